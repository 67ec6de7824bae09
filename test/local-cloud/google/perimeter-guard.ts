import {newViolationUid, violationEntry} from './audit-log.ts'
import type {CloudContext} from './context.ts'
import {ApiError} from './google-errors.ts'
import {ORGANIZATION} from './seed.ts'
import {policyOf} from './store.ts'
import {decide} from './vpc-sc.ts'
import type {Decision, Decisions} from './vpc-sc.ts'

/**
 * VPC Service Controls in front of the emulated services: decide with the state in force
 * (after propagation), log every violation (enforced and dry-run) to the audit log, and
 * tell the service whether to deny.
 */

export interface GuardedCall {
  service: string
  /** The audit log's methodName, e.g. google.cloud.aiplatform.v1.ModelService.ListModels */
  methodName: string
  projectNumber: string
  callerIp: string
  userAgent?: string
  principal: string
}

/** The decisions for a call with the state in force now (no side effects). */
export function decisionsNow(ctx: CloudContext, call: Omit<GuardedCall, 'methodName' | 'userAgent'>): Decisions {
  const state = ctx.enforcement.effective(ctx.clock.now(), ctx.controls.propagationDelayMs)
  return decide(state, {projectNumber: call.projectNumber, service: call.service, ip: call.callerIp, principal: call.principal})
}

/**
 * Check the call against the perimeters. Writes the audit entries (an enforced and a
 * dry-run one when both configs deny) and returns the enforced violation's unique id
 * when the call must be denied, undefined when it goes through.
 */
export function checkPerimeters(ctx: CloudContext, call: GuardedCall): string | undefined {
  const decisions = decisionsNow(ctx, call)
  const at = ctx.clock.now()
  let deniedUid: string | undefined
  if (!decisions.enforced.allowed) {
    deniedUid = newViolationUid()
    audit(ctx, call, decisions.enforced, deniedUid, at, false)
  }
  if (!decisions.dryRun.allowed) audit(ctx, call, decisions.dryRun, newViolationUid(), at, true)
  return deniedUid
}

function audit(ctx: CloudContext, call: GuardedCall, decision: Decision, uid: string, at: number, dryRun: boolean): void {
  const perimeter = decision.perimeter ?? ''
  const parent = ctx.store.policies.get(policyOf(perimeter))?.parent
  const organization = typeof parent === 'string' && parent.startsWith('organizations/') ? parent : ORGANIZATION
  ctx.auditLog.append(
    violationEntry({
      uid,
      at,
      dryRun,
      service: call.service,
      methodName: call.methodName,
      perimeter,
      organizationId: organization.slice('organizations/'.length),
      violationReason: decision.violationReason ?? 'NO_MATCHING_ACCESS_LEVEL',
      callerIp: call.callerIp,
      ...(call.userAgent ? {userAgent: call.userAgent} : {}),
      principal: call.principal,
    }),
  )
}

export const VPC_SC_MESSAGE = "Request is prohibited by organization's policy. vpcServiceControlsUniqueIdentifier: "

/** The 403 Google APIs answer for a VPC-SC denial (docs/api-facts.md "A VPC Service Controls denial"). */
export function vpcScDenial(uid: string, service: string, projectNumber: string): ApiError {
  return new ApiError(403, 'PERMISSION_DENIED', `${VPC_SC_MESSAGE}${uid}`, [
    {'@type': 'type.googleapis.com/google.rpc.PreconditionFailure', violations: [{type: 'VPC_SERVICE_CONTROLS', description: uid}]},
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'SECURITY_POLICY_VIOLATED',
      domain: 'googleapis.com',
      metadata: {consumer: `projects/${projectNumber}`, service, uid},
    },
  ])
}

/** checkPerimeters, throwing the Google-format 403 when the call is denied. */
export function guard(ctx: CloudContext, call: GuardedCall): void {
  const uid = checkPerimeters(ctx, call)
  if (uid !== undefined) throw vpcScDenial(uid, call.service, call.projectNumber)
}
