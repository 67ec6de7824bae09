import {ExitCode, VpcscError, type ErrorCode} from '../core/errors.ts'

/**
 * Google API errors as errors a user can act on. Google answers
 * {"error": {"code", "status", "message", "details": [ErrorInfo, ...]}}; the reason and
 * metadata in ErrorInfo say which permission is missing, whether a quota project is, ...
 */

export interface GoogleErrorBody {
  code?: number
  status?: string
  message?: string
  details?: {'@type'?: string; reason?: string; metadata?: Record<string, string>; violations?: {type?: string; description?: string}[]}[]
}

/** What failed, in words, for the message: "read access level accessPolicies/1/accessLevels/x". */
export interface CallContext {
  action: string
  /** Friendly name of the service, e.g. "Access Context Manager". */
  service: string
  endpoint: string
}

export function googleErrorBody(data: unknown): GoogleErrorBody | undefined {
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data)
    } catch {
      return undefined
    }
  }
  const error = (data as {error?: unknown} | undefined)?.error
  return error && typeof error === 'object' ? (error as GoogleErrorBody) : undefined
}

function errorInfo(body: GoogleErrorBody): {reason?: string; metadata?: Record<string, string>} | undefined {
  return body.details?.find((d) => d['@type']?.endsWith('google.rpc.ErrorInfo'))
}

/** An etag mismatch: the API's only compare-and-swap said someone else wrote first. */
export function isConflict(status: number | undefined, body: GoogleErrorBody | undefined): boolean {
  return status === 409 || body?.status === 'ABORTED' || (body?.status === 'FAILED_PRECONDITION' && /etag/i.test(body.message ?? ''))
}

/** HTTP statuses of a request refused for good: sending it again gets the same answer. */
export const PERMANENT_REFUSALS: readonly number[] = [400, 401, 403, 404]

export class GoogleApiError extends VpcscError {
  readonly httpStatus?: number
  readonly googleStatus?: string
  constructor(message: string, opts: {code: ErrorCode; hint?: string; httpStatus?: number; googleStatus?: string; exitCode?: ExitCode; cause?: unknown}) {
    super({message, exitCode: opts.exitCode ?? ExitCode.runtime, code: opts.code, hint: opts.hint, cause: opts.cause, details: {httpStatus: opts.httpStatus, status: opts.googleStatus}})
    this.name = 'GoogleApiError'
    this.httpStatus = opts.httpStatus
    this.googleStatus = opts.googleStatus
  }
}

/** Maps an HTTP answer (or its absence) to a GoogleApiError. */
export function toGoogleApiError(
  context: CallContext,
  answer: {status?: number; data?: unknown; networkCode?: string; networkMessage?: string; attempts?: number; timeoutMs?: number},
  cause?: unknown,
): GoogleApiError {
  const {status} = answer
  if (status === undefined && (answer.networkCode === 'TimeoutError' || /aborted due to timeout/i.test(answer.networkMessage ?? ''))) {
    const host = hostOf(context.endpoint)
    const tries = (answer.attempts ?? 0) + 1
    return new GoogleApiError(`Could not ${context.action}: no answer from ${host} within ${formatSeconds(answer.timeoutMs)}${tries > 1 ? ` (${tries} attempts)` : ''}.`, {
      code: 'TIMEOUT',
      hint: `Check the network, proxy or endpoint variable for ${host}; VPCSC_REQUEST_TIMEOUT (or --request-timeout) sets the bound on one attempt.`,
      cause,
    })
  }
  if (status === undefined && (answer.networkCode === 'ABORT_ERR' || answer.networkCode === 'AbortError' || /operation was aborted/i.test(answer.networkMessage ?? ''))) {
    return new GoogleApiError(`Could not ${context.action}: interrupted.`, {code: 'INTERRUPTED', cause})
  }
  if (status === undefined) {
    return new GoogleApiError(`Could not ${context.action}: no answer from ${context.service} at ${context.endpoint} (${answer.networkCode ?? answer.networkMessage ?? 'network error'}).`, {
      code: 'NETWORK',
      hint: 'Check the network or proxy; if you set an endpoint variable (VPCSC_*_ENDPOINT), check it.',
      cause,
    })
  }
  const body = googleErrorBody(answer.data)
  const google = body?.status ? `${status} ${body.status}` : `HTTP ${status}`
  // One line, whatever came back: Google joins field violations with newlines, a proxy's
  // plain-text answer is cut short, and an HTML error page says nothing useful here.
  const text = typeof answer.data === 'string' && !answer.data.trimStart().startsWith('<') ? answer.data.slice(0, 160) : ''
  const apiMessage = (body?.message ?? text).replace(/\s+/g, ' ').trim()
  const info = body ? errorInfo(body) : undefined
  const base = `Could not ${context.action}: ${google}${apiMessage ? `: ${apiMessage}` : ''}`
  const make = (code: ErrorCode, hint: string, exitCode?: ExitCode) =>
    new GoogleApiError(base.endsWith('.') ? base : `${base}.`, {code, hint, httpStatus: status, googleStatus: body?.status, exitCode, cause})

  if (status === 401) {
    return make('UNAUTHENTICATED', 'Refresh your Google credentials: gcloud auth application-default login, or check GOOGLE_APPLICATION_CREDENTIALS.')
  }
  if (status === 403) {
    if (/quota project/i.test(apiMessage) || info?.reason === 'SERVICE_DISABLED' && /quota/i.test(apiMessage)) {
      return make('QUOTA_PROJECT', 'Set a quota project: gcloud auth application-default set-quota-project PROJECT_ID (the project needs the Access Context Manager API enabled).')
    }
    const permission = info?.metadata?.permission ?? apiMessage.match(/Permission '([^']+)'/)?.[1]
    if (permission) {
      return make('PERMISSION_DENIED', `The caller lacks ${permission}: grant roles/accesscontextmanager.policyEditor (writes) or policyReader (reads) on the policy.`)
    }
    return make('PERMISSION_DENIED', 'Check that the caller has an Access Context Manager role on the policy (roles/accesscontextmanager.policyReader to read, policyEditor to write).')
  }
  if (status === 404) return make('NOT_FOUND', 'Check the policy, level and perimeter names (vpcsc status shows what it reads).')
  if (isConflict(status, body)) {
    return make('CONFLICT', 'Someone else changed the access policy meanwhile. Run the command again to plan against the current state.')
  }
  if (status === 429) return make('RATE_LIMITED', 'Access Context Manager allows about 50 writes a minute per organisation; wait a minute and run again.')
  if (status >= 500) return make('SERVER_ERROR', `${context.service} kept failing after retries; try again in a few minutes.`)
  if (status === 400) return make('INVALID_ARGUMENT', 'The API refused the request as shown; fix what it names and run again.', ExitCode.runtime)
  return make('GOOGLE_API', 'Run again with DEBUG=vpcsc* for details.')
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host
  } catch {
    return endpoint
  }
}

export function formatSeconds(ms: number | undefined): string {
  return ms === undefined ? 'the request timeout' : `${Math.round(ms / 100) / 10}s`
}

/** A finished operation that carries an error. */
export function operationFailed(context: CallContext, operation: string, error: {code?: number; message?: string}): GoogleApiError {
  const message = (error.message ?? 'no message').replace(/\s+/g, ' ').trim().replace(/\.$/, '')
  return new GoogleApiError(`Could not ${context.action}: operation ${operation} failed${error.code !== undefined ? ` with code ${error.code}` : ''}: ${message}.`, {
    code: 'OPERATION_FAILED',
    hint: 'Nothing was changed by this operation; check the message, then run the command again.',
  })
}
