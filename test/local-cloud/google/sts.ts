import {oauthError} from './auth.ts'
import type {CloudContext, ServiceRequest} from './context.ts'
import {ApiError} from './google-errors.ts'
import type {Reply} from './http-util.ts'
import {checkPerimeters, VPC_SC_MESSAGE} from './perimeter-guard.ts'
import {PROJECT_NUMBER} from './seed.ts'

/**
 * POST /v1/token (sts.googleapis.com): the Workload Identity Federation token exchange.
 * When a perimeter around the pool's project restricts sts.googleapis.com and the caller
 * is not admitted, it answers STS's OAuth-style 403 and logs the violation.
 */

export const STS_SERVICE = 'sts.googleapis.com'
const EXCHANGE_METHOD = 'google.identity.sts.v1.SecurityTokenService.ExchangeToken'

export function handleSts(ctx: CloudContext, req: ServiceRequest): Reply {
  if (req.method !== 'POST') throw new ApiError(405, 'UNIMPLEMENTED', 'The token endpoint only accepts POST.')
  const contentType = req.headers['content-type']
  const checked = ctx.auth.checkExchange(req.rawBody, typeof contentType === 'string' ? contentType : undefined)
  if ('error' in checked) return checked.error
  const uid = checkPerimeters(ctx, {
    service: STS_SERVICE,
    methodName: EXCHANGE_METHOD,
    projectNumber: PROJECT_NUMBER,
    callerIp: req.caller.ip,
    ...(req.caller.userAgent ? {userAgent: req.caller.userAgent} : {}),
    principal: checked.principal,
  })
  if (uid !== undefined) return oauthError('access_denied', `${VPC_SC_MESSAGE}${uid}`, 403)
  return ctx.auth.issueExchanged()
}
