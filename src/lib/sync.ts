import {isDeepStrictEqual} from 'node:util'

import {assertSafeSubnetworks, ipCondition, withIpSubnetworks} from './access-level.ts'
import {discoverNatEgress, type NatDiscovery} from './aws/nat.ts'
import type {Clients} from './clients.ts'
import {ENV, requireSetting, type Settings} from './config.ts'
import {refusedError, runtimeError} from './errors.ts'
import {GoogleApiError} from './gcp/google-error.ts'
import type {AccessLevel, Operation} from './gcp/types.ts'
import {checkWritable, desiredSubnetworks, planSync, type SyncPlan} from './plan.ts'

/**
 * `vpcsc ip sync`: plan the access level's IP list from the NAT gateways, then write it
 * conflict-safely. The write is `accessLevels:replaceAll` carrying the policy etag read
 * BEFORE the levels, so any write by anyone in between makes it fail instead of being
 * overwritten (DESIGN.md rule 2). Only the managed condition changes (rule 6) and an
 * empty list is never sent (rule 1).
 */

export interface PreparedSync {
  policy: string
  /** The policy etag the plan was made against; undefined when the API gave none. */
  etag?: string
  level: AccessLevel
  /** Every level of the policy as read, for replaceAll. */
  levels: AccessLevel[]
  condition: number
  plan: SyncPlan
  nat: NatDiscovery
  readMs: number
}

export interface SyncWrite {
  method: 'replaceAll' | 'patch'
  operation: string
  written: string[]
  writeMs: number
  operationMs: number
  readBackMs: number
}

export async function prepareSync(settings: Settings, clients: Clients, options: {addOnly: boolean}): Promise<PreparedSync> {
  const started = Date.now()
  const levelName = requireSetting(settings.level, 'level', ENV.level, 'level')
  const policy = requireSetting(settings.policy, 'policy', ENV.policy, 'policy')
  const natPromise = discoverNatEgress(settings)
  natPromise.catch(() => undefined)
  // Order matters: the etag must be read before the levels it protects.
  const policyResource = await clients.acm.getPolicy(policy)
  const levels = await clients.acm.listLevels(policy)
  const level = levels.find((l) => l.name === levelName) ?? (await clients.acm.getLevel(levelName))
  const nat = await natPromise

  if (nat.missingGatewayIds.length > 0) {
    throw refusedError(
      'NAT_NOT_FOUND',
      `NAT gateway${nat.missingGatewayIds.length > 1 ? 's' : ''} ${nat.missingGatewayIds.join(', ')} not found in ${nat.regions.join(', ') || 'the default region'}; refusing to plan without ${nat.missingGatewayIds.length > 1 ? 'them' : 'it'}.`,
      'Check the ids and --region (or use --all-regions).',
    )
  }
  const managed = ipCondition(level, settings.condition)
  const desired = desiredSubnetworks(nat.egressIps, settings.keep)
  const plan = planSync(managed.ipSubnetworks, desired, options)
  checkWritable(plan, level.name)
  return {policy, etag: policyResource.etag, level, levels, condition: managed.index, plan, nat, readMs: Date.now() - started}
}

/** Writes the plan, waits for the operation, reads the level back and checks it. */
export async function applySync(prepared: PreparedSync, clients: Clients): Promise<SyncWrite> {
  const target = withIpSubnetworks(prepared.level, prepared.condition, prepared.plan.result)
  assertSafeSubnetworks(target, prepared.condition)

  const writeStarted = Date.now()
  let operation: Operation
  let method: SyncWrite['method']
  try {
    if (prepared.etag) {
      method = 'replaceAll'
      const levels = prepared.levels.map((l) => (l.name === target.name ? target : l))
      if (!levels.some((l) => l.name === target.name)) levels.push(target)
      operation = await clients.acm.replaceAllLevels(prepared.policy, levels, prepared.etag)
    } else {
      method = 'patch'
      operation = await patchAfterCompare(prepared, target, clients)
    }
  } catch (error) {
    throw await explainConflict(error, prepared, target, clients)
  }
  const writeMs = Date.now() - writeStarted

  const operationStarted = Date.now()
  const done = await clients.acm.waitForOperation(operation, `update access level ${target.name}`)
  const operationMs = Date.now() - operationStarted

  const readBackStarted = Date.now()
  const after = await clients.acm.getLevel(target.name)
  if (!isDeepStrictEqual(after, target)) {
    throw runtimeError(
      'READ_BACK_MISMATCH',
      `The write to ${target.name} finished (operation ${done.name}) but the level read back differs from what was written.`,
      'Someone may have changed it at the same moment: run vpcsc status and compare.',
      {expected: target, actual: after},
    )
  }
  return {method, operation: done.name, written: prepared.plan.result, writeMs, operationMs, readBackMs: Date.now() - readBackStarted}
}

/**
 * Without a policy etag, the API offers no compare-and-swap for levels: re-read right
 * before the PATCH and refuse if anything moved since the plan was made.
 */
async function patchAfterCompare(prepared: PreparedSync, target: AccessLevel, clients: Clients): Promise<Operation> {
  const now = await clients.acm.getLevel(prepared.level.name)
  if (!isDeepStrictEqual(now, prepared.level)) throw conflictError(prepared, now)
  return clients.acm.patchLevelConditions(target)
}

/**
 * A conflict is reported with what changed, never retried blindly. One exception: when
 * our own write landed but its answer was lost and the retry hit the new etag, the level
 * already is exactly what we meant to write.
 */
async function explainConflict(error: unknown, prepared: PreparedSync, target: AccessLevel, clients: Clients): Promise<unknown> {
  if (!(error instanceof GoogleApiError) || error.code !== 'CONFLICT') return error
  const now = await clients.acm.getLevel(prepared.level.name)
  if (isDeepStrictEqual(now, target)) {
    return runtimeError('CONFLICT_ALREADY_APPLIED', `${target.name} already holds exactly the planned list, but the policy changed after the plan was made.`, 'Run vpcsc status to review the policy, then sync again if needed.')
  }
  return conflictError(prepared, now)
}

function conflictError(prepared: PreparedSync, now: AccessLevel): Error {
  const before = prepared.level
  let what: string
  if (isDeepStrictEqual(now, before)) {
    what = 'another resource of the access policy changed (the policy etag moved), this level did not'
  } else {
    const beforeIps = before.basic?.conditions[prepared.condition]?.ipSubnetworks ?? []
    const nowIps = now.basic?.conditions[prepared.condition]?.ipSubnetworks ?? []
    what = isDeepStrictEqual(beforeIps, nowIps)
      ? 'other fields of the level changed'
      : `its IP list is now [${nowIps.join(', ')}] (was [${beforeIps.join(', ')}] when planned)`
  }
  return runtimeError(
    'CONFLICT',
    `Not written: ${prepared.level.name} was changed by someone else after vpcsc read it: ${what}.`,
    'Nothing was overwritten. Review the change (vpcsc status), then run vpcsc ip sync again to plan against it.',
    {before, now},
  )
}
