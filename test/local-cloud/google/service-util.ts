import type {CloudContext, ServiceRequest} from './context.ts'
import {invalidArgument} from './google-errors.ts'
import {isObject} from './json.ts'
import type {JsonObject} from './json.ts'

/**
 * What the Vertex AI, Cloud Logging and IAM Credentials handlers share: the front end's
 * checks of query parameters and JSON bodies (same messages as schema-validation.ts),
 * and the bearer check that yields the caller's principal.
 */

/** System parameters every Google API accepts on any method. */
const SYSTEM_PARAMETERS = ['$.xgafv', 'access_token', 'alt', '$alt', 'callback', 'fields', 'key', 'oauth_token', 'prettyPrint', 'quotaUser', 'upload_protocol', 'uploadType']

function badRequest(violations: {field: string; description: string}[]): never {
  throw invalidArgument(violations.map((v) => v.description).join('\n'), [
    {'@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: violations},
  ])
}

/** Rejects query parameters that are neither the method's nor system parameters; integer ones must be integers. */
export function checkQuery(query: Record<string, string>, allowed: string[], integers: string[] = []): void {
  const violations: {field: string; description: string}[] = []
  for (const [key, value] of Object.entries(query)) {
    if (!allowed.includes(key) && !SYSTEM_PARAMETERS.includes(key)) {
      violations.push({
        field: key,
        description: `Invalid JSON payload received. Unknown name "${key}": Cannot bind query parameter. Field '${key}' could not be found in request message.`,
      })
    } else if (integers.includes(key) && !/^-?\d+$/.test(value)) {
      violations.push({field: key, description: `Invalid value at '${key}' (TYPE_INT32), "${value}"`})
    }
  }
  if (violations.length > 0) badRequest(violations)
}

/** The body as a JSON object ({} when empty), as the API front end reads it. */
export function parseJsonBody(raw: string): JsonObject {
  if (raw.trim() === '') return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch (error) {
    throw invalidArgument(`Invalid JSON payload received. ${(error as Error).message}`)
  }
  if (!isObject(parsed)) throw invalidArgument('Invalid JSON payload received. Expected an object at the top level.')
  return parsed
}

/** parseJsonBody, and unknown top-level fields rejected as the front end does. */
export function jsonBody(raw: string, known: string[]): JsonObject {
  const parsed = parseJsonBody(raw)
  const unknown = Object.keys(parsed).filter((key) => !known.includes(key))
  if (unknown.length > 0) {
    badRequest(unknown.map((key) => ({field: '', description: `Invalid JSON payload received. Unknown name "${key}": Cannot find field.`})))
  }
  return parsed
}

/** The caller's principal, or 401 UNAUTHENTICATED naming `service`. */
export function authenticate(ctx: CloudContext, req: ServiceRequest, service: string): string {
  const authorization = req.headers.authorization
  return ctx.auth.checkBearer(typeof authorization === 'string' ? authorization : undefined, req.query.access_token, service)
}

/** The caller fields of a guarded call. */
export function callerOf(req: ServiceRequest): {callerIp: string; userAgent?: string} {
  return req.caller.userAgent ? {callerIp: req.caller.ip, userAgent: req.caller.userAgent} : {callerIp: req.caller.ip}
}
