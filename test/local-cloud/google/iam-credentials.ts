import type {CloudContext, ServiceRequest} from './context.ts'
import {ApiError, invalidArgument, notFound} from './google-errors.ts'
import type {Reply} from './http-util.ts'
import {guard} from './perimeter-guard.ts'
import {PROJECT_ID, PROJECT_NUMBER} from './seed.ts'
import {authenticate, callerOf, checkQuery, jsonBody} from './service-util.ts'

/**
 * IAM Service Account Credentials (iamcredentials.googleapis.com): generateAccessToken,
 * what google-auth-library's Impersonated client calls
 * (`${endpoint}/v1/projects/-/serviceAccounts/EMAIL:generateAccessToken`, body
 * `{delegates, scope, lifetime: "3600s"}`). Any caller with a valid token may impersonate
 * any service account (no IAM emulation); the new token's principal is
 * `serviceAccount:EMAIL`. Service accounts of the seed project sit inside its perimeter:
 * when one restricts iamcredentials.googleapis.com, VPC-SC applies.
 */

export const IAM_CREDENTIALS_SERVICE = 'iamcredentials.googleapis.com'
const MAX_LIFETIME_SECONDS = 3600
const EMAIL = /^[^@\s/:]+@[^@\s/:]+$/

function lifetimeSeconds(value: unknown): number {
  if (value === undefined || value === null || value === '') return MAX_LIFETIME_SECONDS
  const match = typeof value === 'string' ? /^(\d+)(\.\d{1,9})?s$/.exec(value) : null
  if (!match) throw invalidArgument(`Invalid value at 'lifetime' (type.googleapis.com/google.protobuf.Duration), ${JSON.stringify(value)}`)
  const seconds = Number(match[1])
  if (seconds < 1 || seconds > MAX_LIFETIME_SECONDS) {
    throw invalidArgument(`The lifetime must be between 1s and ${MAX_LIFETIME_SECONDS}s, got ${String(value)}.`)
  }
  return seconds
}

function generateAccessToken(ctx: CloudContext, req: ServiceRequest, project: string, email: string): Reply {
  const principal = authenticate(ctx, req, IAM_CREDENTIALS_SERVICE)
  checkQuery(req.query, [])
  if (project !== '-') {
    throw invalidArgument(`The project in 'projects/${project}/serviceAccounts/${email}' must be the wildcard '-'.`)
  }
  if (!EMAIL.test(email)) throw invalidArgument(`'${email}' is not a service account email.`)
  const body = jsonBody(req.rawBody, ['scope', 'lifetime', 'delegates'])
  const scope = body.scope
  if (!Array.isArray(scope) || scope.length === 0 || !scope.every((s) => typeof s === 'string' && s !== '')) {
    throw invalidArgument('Scope required: scope must be a non-empty list of OAuth scopes.')
  }
  const delegates = body.delegates ?? []
  if (!Array.isArray(delegates) || !delegates.every((d) => typeof d === 'string' && /^projects\/-\/serviceAccounts\/[^/]+$/.test(d))) {
    throw invalidArgument('delegates must be a list of projects/-/serviceAccounts/EMAIL.')
  }
  const lifetime = lifetimeSeconds(body.lifetime)
  if (email.endsWith(`@${PROJECT_ID}.iam.gserviceaccount.com`)) {
    guard(ctx, {
      service: IAM_CREDENTIALS_SERVICE,
      methodName: 'GenerateAccessToken',
      projectNumber: PROJECT_NUMBER,
      principal,
      ...callerOf(req),
    })
  }
  const accessToken = ctx.auth.issue(`serviceAccount:${email}`, lifetime)
  // Real time, seconds precision: the client compares it with its own clock.
  const expireTime = new Date(Date.now() + lifetime * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
  return {status: 200, body: {accessToken, expireTime}}
}

export function handleIamCredentials(ctx: CloudContext, req: ServiceRequest): Reply {
  const match = /^\/v1\/projects\/([^/:]+)\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(req.path)
  if (!match) throw notFound('Resource', req.path.slice(1))
  if (req.method !== 'POST') throw new ApiError(501, 'UNIMPLEMENTED', `The local Google Cloud does not implement ${req.method} ${req.path}.`)
  return generateAccessToken(ctx, req, match[1] ?? '', match[2] ?? '')
}
