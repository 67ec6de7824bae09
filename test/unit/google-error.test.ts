import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {ExitCode, VpcscError} from '../../src/lib/core/errors.ts'
import {GoogleApiError, googleErrorBody, isConflict, operationFailed, toGoogleApiError, type CallContext} from '../../src/lib/gcp/google-error.ts'

const LEVEL = 'accessPolicies/123/accessLevels/test_allow_ec2_ip'
const CONTEXT: CallContext = {action: `read access level ${LEVEL}`, service: 'Access Context Manager', endpoint: 'https://accesscontextmanager.googleapis.com'}

/** What the user sees: the message and the hint, one line each, no stack. */
function assertShort(error: VpcscError): void {
  assert.ok(error instanceof GoogleApiError)
  assert.ok(error instanceof VpcscError)
  assert.doesNotMatch(error.message, /[\r\n]/, `message is one line: ${JSON.stringify(error.message)}`)
  assert.ok(error.hint, 'every Google error carries a hint')
  assert.doesNotMatch(error.hint, /[\r\n]/, `hint is one line: ${JSON.stringify(error.hint)}`)
  assert.doesNotMatch(`${error.message} ${error.hint}`, /\bat .+:\d+:\d+\)?/, 'no stack frame')
  assert.doesNotMatch(error.message, /\.\.$/, 'no doubled full stop')
  assert.ok(error.message.startsWith(`Could not ${CONTEXT.action}`), error.message)
}

function map(status: number | undefined, data?: unknown, extra: {networkCode?: string; networkMessage?: string} = {}): GoogleApiError {
  const error = toGoogleApiError(CONTEXT, {status, data, ...extra})
  assertShort(error)
  return error
}

const googleBody = (code: number, status: string, message: string, details?: unknown[]) => ({error: {code, message, status, ...(details ? {details} : {})}})

describe('toGoogleApiError', () => {
  it('403 IAM_PERMISSION_DENIED: names the missing permission from ErrorInfo', () => {
    const error = map(
      403,
      googleBody(403, 'PERMISSION_DENIED', `Permission 'accesscontextmanager.accessLevels.get' denied on resource '${LEVEL}' (or it may not exist).`, [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'IAM_PERMISSION_DENIED',
          domain: 'accesscontextmanager.googleapis.com',
          metadata: {permission: 'accesscontextmanager.accessLevels.get', resource: LEVEL},
        },
      ]),
    )
    assert.equal(error.code, 'PERMISSION_DENIED')
    assert.equal(error.exitCode, ExitCode.runtime)
    assert.equal(error.httpStatus, 403)
    assert.equal(error.googleStatus, 'PERMISSION_DENIED')
    assert.match(error.message, /403 PERMISSION_DENIED: Permission 'accesscontextmanager\.accessLevels\.get' denied/)
    assert.match(error.hint ?? '', /lacks accesscontextmanager\.accessLevels\.get/)
  })

  it('403 without ErrorInfo: takes the permission from the message', () => {
    const error = map(403, googleBody(403, 'PERMISSION_DENIED', "Permission 'accesscontextmanager.accessLevels.update' denied on resource."))
    assert.match(error.hint ?? '', /accesscontextmanager\.accessLevels\.update/)
  })

  it('403 with no permission named: a role hint', () => {
    const error = map(403, googleBody(403, 'PERMISSION_DENIED', 'The caller does not have permission'))
    assert.equal(error.code, 'PERMISSION_DENIED')
    assert.match(error.hint ?? '', /roles\/accesscontextmanager\.policyReader/)
  })

  it('403 "requires a quota project": hint says gcloud auth application-default set-quota-project', () => {
    const error = map(
      403,
      googleBody(
        403,
        'PERMISSION_DENIED',
        'Your application is authenticating by using local Application Default Credentials. The accesscontextmanager.googleapis.com API requires a quota project, which is not set by default. To learn how to set your quota project, see https://cloud.google.com/docs/authentication/adc-troubleshooting/user-creds .',
        [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'SERVICE_DISABLED',
            domain: 'googleapis.com',
            metadata: {consumer: 'projects/764086051850', service: 'accesscontextmanager.googleapis.com'},
          },
        ],
      ),
    )
    assert.equal(error.code, 'QUOTA_PROJECT')
    assert.match(error.hint ?? '', /gcloud auth application-default set-quota-project/)
  })

  it('401: UNAUTHENTICATED with a credentials hint', () => {
    const error = map(
      401,
      googleBody(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      ),
    )
    assert.equal(error.code, 'UNAUTHENTICATED')
    assert.equal(error.exitCode, ExitCode.runtime)
    assert.match(error.hint ?? '', /gcloud auth application-default login/)
  })

  it('404: NOT_FOUND', () => {
    const error = map(404, googleBody(404, 'NOT_FOUND', `Access Level '${LEVEL}' not found.`))
    assert.equal(error.code, 'NOT_FOUND')
    assert.match(error.message, /404 NOT_FOUND: Access Level .* not found\.$/)
  })

  it('409 ABORTED (etag mismatch): CONFLICT', () => {
    const error = map(409, googleBody(409, 'ABORTED', "The etag 'abc' does not match the current etag 'def' of the Access Policy."))
    assert.equal(error.code, 'CONFLICT')
    assert.equal(error.exitCode, ExitCode.runtime)
    assert.match(error.hint ?? '', /Someone else changed/)
  })

  it('409 without a Google body: CONFLICT', () => {
    assert.equal(map(409, '').code, 'CONFLICT')
  })

  it('400 FAILED_PRECONDITION mentioning the etag: CONFLICT', () => {
    const error = map(400, googleBody(400, 'FAILED_PRECONDITION', 'The provided etag is out of date.'))
    assert.equal(error.code, 'CONFLICT')
  })

  it('400 FAILED_PRECONDITION about something else is not a conflict', () => {
    const error = map(400, googleBody(400, 'FAILED_PRECONDITION', 'Access level is referenced by a perimeter.'))
    assert.notEqual(error.code, 'CONFLICT')
    assert.match(error.message, /Access level is referenced by a perimeter/)
  })

  it('429: RATE_LIMITED', () => {
    const error = map(
      429,
      googleBody(
        429,
        'RESOURCE_EXHAUSTED',
        "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per organization' of service 'accesscontextmanager.googleapis.com'.",
      ),
    )
    assert.equal(error.code, 'RATE_LIMITED')
    assert.match(error.hint ?? '', /wait a minute/)
  })

  it('503: SERVER_ERROR', () => {
    const error = map(503, googleBody(503, 'UNAVAILABLE', 'The service is currently unavailable.'))
    assert.equal(error.code, 'SERVER_ERROR')
    assert.equal(error.exitCode, ExitCode.runtime)
    assert.match(error.message, /503 UNAVAILABLE: The service is currently unavailable\.$/)
    assert.match(error.hint ?? '', /Access Context Manager/)
  })

  it('500 without a body: SERVER_ERROR with HTTP 500', () => {
    const error = map(500, undefined)
    assert.equal(error.code, 'SERVER_ERROR')
    assert.match(error.message, /HTTP 500\.$/)
  })

  it('400 INVALID_ARGUMENT: passes the API message through', () => {
    const message = `Invalid JSON payload received. Unknown name "foo" at 'access_level.basic.conditions[0]': Cannot find field.`
    const error = map(400, googleBody(400, 'INVALID_ARGUMENT', message, [{'@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{field: 'access_level.basic.conditions[0]', description: message}]}]))
    assert.equal(error.code, 'INVALID_ARGUMENT')
    assert.equal(error.exitCode, ExitCode.runtime)
    assert.equal(error.message, `Could not ${CONTEXT.action}: 400 INVALID_ARGUMENT: ${message}`)
  })

  it('400 INVALID_ARGUMENT with several violations (Google joins them with newlines) stays one line', () => {
    // Google (and the local cloud's emulator) joins the descriptions of several field
    // violations with "\n"; the user must still see at most two lines.
    const message = [
      `Invalid JSON payload received. Unknown name "foo" at 'access_level.basic.conditions[0]': Cannot find field.`,
      `Invalid JSON payload received. Unknown name "bar" at 'access_level': Cannot find field.`,
    ].join('\n')
    const error = toGoogleApiError(CONTEXT, {status: 400, data: googleBody(400, 'INVALID_ARGUMENT', message)})
    assert.match(error.message, /Unknown name "foo"/)
    assertShort(error)
  })

  it('a non-JSON error page (e.g. a proxy) stays one line', () => {
    const html = '<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n</body>\n</html>\n'
    const error = toGoogleApiError(CONTEXT, {status: 502, data: html})
    assert.equal(error.code, 'SERVER_ERROR')
    assert.match(error.message, /HTTP 502/)
    assertShort(error)
  })

  it('no response: NETWORK naming the service and endpoint', () => {
    const error = map(undefined, undefined, {networkCode: 'ECONNREFUSED', networkMessage: 'connect ECONNREFUSED 127.0.0.1:443'})
    assert.equal(error.code, 'NETWORK')
    assert.equal(error.exitCode, ExitCode.runtime)
    assert.equal(error.httpStatus, undefined)
    assert.match(error.message, /no answer from Access Context Manager at https:\/\/accesscontextmanager\.googleapis\.com \(ECONNREFUSED\)/)
    assert.match(error.hint ?? '', /VPCSC_\*_ENDPOINT/)
  })

  it('no response and no code: NETWORK with the message or a default', () => {
    assert.match(map(undefined, undefined, {networkMessage: 'socket hang up'}).message, /\(socket hang up\)/)
    assert.match(map(undefined).message, /\(network error\)/)
  })

  it('accepts the body as a JSON string', () => {
    const body = googleBody(403, 'PERMISSION_DENIED', "Permission 'accesscontextmanager.policies.get' denied.", [
      {'@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', metadata: {permission: 'accesscontextmanager.policies.get'}},
    ])
    const error = map(403, JSON.stringify(body))
    assert.equal(error.code, 'PERMISSION_DENIED')
    assert.equal(error.googleStatus, 'PERMISSION_DENIED')
    assert.match(error.message, /403 PERMISSION_DENIED: Permission 'accesscontextmanager\.policies\.get' denied\.$/)
    assert.match(error.hint ?? '', /lacks accesscontextmanager\.policies\.get/)
    assert.equal(map(409, JSON.stringify(googleBody(409, 'ABORTED', 'etag mismatch'))).code, 'CONFLICT')
  })

  it('a plain-text body is shown, cut to 160 characters', () => {
    const error = map(418, 'x'.repeat(500))
    assert.equal(error.code, 'GOOGLE_API')
    assert.match(error.message, /HTTP 418: x{160}\.$/)
  })

  it('keeps the cause, and details carry the HTTP and Google status (no secrets)', () => {
    const cause = new Error('gaxios')
    const error = toGoogleApiError(CONTEXT, {status: 404, data: googleBody(404, 'NOT_FOUND', 'not found')}, cause)
    assert.equal(error.cause, cause)
    assert.deepEqual(error.details, {httpStatus: 404, status: 'NOT_FOUND'})
  })
})

describe('googleErrorBody and isConflict', () => {
  it('reads {error: {...}} from an object or a JSON string, and nothing else', () => {
    assert.deepEqual(googleErrorBody({error: {code: 404, status: 'NOT_FOUND'}}), {code: 404, status: 'NOT_FOUND'})
    assert.deepEqual(googleErrorBody('{"error":{"code":429}}'), {code: 429})
    assert.equal(googleErrorBody('not json'), undefined)
    assert.equal(googleErrorBody({error: 'invalid_grant'}), undefined)
    assert.equal(googleErrorBody(undefined), undefined)
    assert.equal(googleErrorBody(null), undefined)
  })

  it('treats 409, ABORTED and FAILED_PRECONDITION about the etag alike', () => {
    assert.equal(isConflict(409, undefined), true)
    assert.equal(isConflict(400, {status: 'ABORTED'}), true)
    assert.equal(isConflict(400, {status: 'FAILED_PRECONDITION', message: 'Etag mismatch'}), true)
    assert.equal(isConflict(400, {status: 'FAILED_PRECONDITION', message: 'Level in use'}), false)
    assert.equal(isConflict(400, {status: 'INVALID_ARGUMENT', message: 'bad etag'}), false)
  })
})

describe('operationFailed', () => {
  it('names the action, the operation, the code and the message', () => {
    const error = operationFailed(CONTEXT, 'operations/accessPolicies/123/op1', {code: 9, message: 'Precondition check failed'})
    assert.ok(error instanceof GoogleApiError)
    assert.equal(error.code, 'OPERATION_FAILED')
    assert.equal(error.exitCode, ExitCode.runtime)
    assert.equal(error.message, `Could not ${CONTEXT.action}: operation operations/accessPolicies/123/op1 failed with code 9: Precondition check failed.`)
    assert.match(error.hint ?? '', /run the command again/)
    assertShort(error)
  })

  it('copes with an error without code or message', () => {
    const error = operationFailed(CONTEXT, 'operations/x', {})
    assert.equal(error.message, `Could not ${CONTEXT.action}: operation operations/x failed: no message.`)
  })

  it('does not double the full stop of a message that ends with one', () => {
    const error = operationFailed(CONTEXT, 'operations/x', {code: 13, message: 'Internal error encountered.'})
    assert.match(error.message, /failed with code 13: Internal error encountered\.$/)
    assertShort(error)
  })
})
