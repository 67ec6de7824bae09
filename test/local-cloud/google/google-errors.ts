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
