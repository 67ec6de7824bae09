import type {Json, JsonObject} from './json.ts'

/** HTTP code -> canonical status, as Google's JSON error format pairs them. */
const STATUS_BY_CODE: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
}

/** The messages Google's front ends use, so injected faults look like the real thing. */
const DEFAULT_MESSAGES: Record<string, string> = {
  INVALID_ARGUMENT: 'Request contains an invalid argument.',
  UNAUTHENTICATED:
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
  PERMISSION_DENIED: 'The caller does not have permission',
  NOT_FOUND: 'Requested entity was not found.',
  ABORTED: 'The operation was aborted.',
  RESOURCE_EXHAUSTED:
    "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per organization' of service 'accesscontextmanager.googleapis.com'.",
  INTERNAL: 'Internal error encountered.',
  UNIMPLEMENTED: 'Operation is not implemented, or supported, or enabled.',
  UNAVAILABLE: 'The service is currently unavailable.',
  DEADLINE_EXCEEDED: 'The request was aborted because it exceeded its deadline.',
}

/** Canonical status -> google.rpc.Code, the `code` of a Status inside an operation's `error`. */
const RPC_CODES: Record<string, number> = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
}

export function statusForCode(code: number): string {
  return STATUS_BY_CODE[code] ?? (code >= 500 ? 'INTERNAL' : code >= 400 ? 'FAILED_PRECONDITION' : 'OK')
}

/**
 * An error answered in Google's format `{"error":{"code","message","status","details"?}}`.
 * Handlers throw it; the server turns it into the response.
 */
export class ApiError extends Error {
  readonly code: number
  readonly status: string
  readonly details: Json[] | undefined
  readonly headers: Record<string, string>

  constructor(code: number, status: string, message: string, details?: Json[], headers: Record<string, string> = {}) {
    super(message)
    this.code = code
    this.status = status
    this.details = details
    this.headers = headers
  }

  toBody(): JsonObject {
    const error: JsonObject = {code: this.code, message: this.message, status: this.status}
    if (this.details !== undefined) error.details = this.details
    return {error}
  }

  /** As a google.rpc.Status (numeric rpc code): how a finished operation carries a failure. */
  toStatus(): JsonObject {
    const status: JsonObject = {code: RPC_CODES[this.status] ?? 2, message: this.message}
    if (this.details !== undefined) status.details = this.details
    return status
  }
}

/** A Google error for an HTTP code, with the stock message when none is given. */
export function googleError(code: number, message?: string, details?: Json[]): ApiError {
  const status = statusForCode(code)
  return new ApiError(code, status, message ?? DEFAULT_MESSAGES[status] ?? `HTTP ${code}`, details)
}

export function invalidArgument(message: string, details?: Json[]): ApiError {
  return new ApiError(400, 'INVALID_ARGUMENT', message, details)
}

/** Google maps FAILED_PRECONDITION to HTTP 400. */
export function failedPrecondition(message: string): ApiError {
  return new ApiError(400, 'FAILED_PRECONDITION', message)
}

export function notFound(kind: string, name: string): ApiError {
  return new ApiError(404, 'NOT_FOUND', `${kind} '${name}' not found.`)
}

export function etagMismatch(sent: string, current: string): ApiError {
  return new ApiError(409, 'ABORTED', `The etag '${sent}' does not match the current etag '${current}' of the Access Policy.`)
}

/** A write arriving while another write of the same policy is still in progress. */
export function operationInProgress(policy: string): ApiError {
  return new ApiError(
    409,
    'ABORTED',
    `Another operation is in progress on the Access Policy '${policy}'. Wait for it to complete, then retry.`,
  )
}
