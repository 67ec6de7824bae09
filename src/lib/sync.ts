import {isDeepStrictEqual} from 'node:util'

import {assertSafeSubnetworks, ipCondition, withIpSubnetworks} from './access-level.ts'
import {discoverNatEgress, type NatDiscovery} from './aws/nat.ts'
import type {Clients} from './clients.ts'
import {ENV, requireSetting, type Settings} from './config.ts'
import {refusedError, runtimeError} from './errors.ts'
import {findJournal, journalInTheWay} from './journal.ts'
import {describeChange, LevelConflict, readForWrite, writeLevel, type LevelSnapshot, type LevelWrite} from './level-write.ts'
import {checkWritable, desiredSubnetworks, planSync, type SyncPlan} from './plan.ts'

/**
 * `vpcsc ip sync`: plan the access level's IP list from the NAT gateways, then write it
 * conflict-safely (level-write.ts). Only the managed condition changes (DESIGN.md rule 6)
 * and an empty list is never sent (rule 1).
 */

export interface PreparedSync {
  snapshot: LevelSnapshot
  condition: number
  plan: SyncPlan
  nat: NatDiscovery
  readMs: number
  /** Besides the NAT's: what a plan-only run let pass (a deny test journal). */
  warnings: string[]
}

export interface SyncWrite extends LevelWrite {
  written: string[]
}

export async function prepareSync(settings: Settings, clients: Clients, options: {addOnly: boolean; planOnly?: boolean}): Promise<PreparedSync> {
  const started = Date.now()
  const levelName = requireSetting(settings.level, 'level', ENV.level, 'level')
  const policy = requireSetting(settings.policy, 'policy', ENV.policy, 'policy')
  // DESIGN.md rule 3: while a deny test holds the level, a sync would "fix" the swap and
  // the test's restore would then refuse to overwrite it.
  // A plan writes nothing: it may still be shown, with the journal as a warning.
  const journal = await findJournal(settings.stateDir, levelName)
  const inTheWay = journal && journalInTheWay(journal, 'not syncing the level while a deny test journal exists')
  if (inTheWay && !options.planOnly) throw inTheWay
  const natPromise = discoverNatEgress(settings)
  natPromise.catch(() => undefined)
  const snapshot = await readForWrite(clients, policy, levelName)
  const nat = await natPromise

  if (nat.missingGatewayIds.length > 0) {
    throw refusedError(
      'NAT_NOT_FOUND',
      `NAT gateway${nat.missingGatewayIds.length > 1 ? 's' : ''} ${nat.missingGatewayIds.join(', ')} not found in ${nat.regions.join(', ') || 'the default region'}; refusing to plan without ${nat.missingGatewayIds.length > 1 ? 'them' : 'it'}.`,
      'Check the ids and --region (or use --all-regions).',
    )
  }
  const managed = ipCondition(snapshot.level, settings.condition)
  const desired = desiredSubnetworks(nat.egressIps, settings.keep)
  const plan = planSync(managed.ipSubnetworks, desired, options)
  checkWritable(plan, snapshot.level.name)
  return {snapshot, condition: managed.index, plan, nat, readMs: Date.now() - started, warnings: inTheWay ? [`${inTheWay.message} ${inTheWay.hint ?? ''}`.trim()] : []}
}

/** Writes the plan, waits for the operation, reads the level back and checks it. */
export async function applySync(prepared: PreparedSync, clients: Clients): Promise<SyncWrite> {
  const {snapshot, condition, plan} = prepared
  const target = withIpSubnetworks(snapshot.level, condition, plan.result)
  assertSafeSubnetworks(target, condition)
  try {
    const write = await writeLevel(clients, snapshot, target, `update access level ${target.name}`)
    return {...write, written: plan.result}
  } catch (error) {
    if (!(error instanceof LevelConflict)) throw error
    // Our own write may have landed while its answer was lost; the retry then met the new
    // etag. The level is exactly what we meant: say so rather than cry conflict.
    if (isDeepStrictEqual(error.now, target)) {
      throw runtimeError('CONFLICT_ALREADY_APPLIED', `${target.name} already holds exactly the planned list, but the policy changed after the plan was made.`, 'Run vpcsc status to review the policy, then sync again if needed.')
    }
    throw runtimeError(
      'CONFLICT',
      `Not written: ${snapshot.level.name} was changed by someone else after vpcsc read it: ${describeChange(snapshot.level, error.now, condition)}.`,
      'Nothing was overwritten. Review the change (vpcsc status), then run vpcsc ip sync again to plan against it.',
      {before: snapshot.level, now: error.now},
    )
  }
}
