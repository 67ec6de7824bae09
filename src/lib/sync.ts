import {assertSafeSubnetworks, ipCondition, withIpSubnetworks} from './access-level.ts'
import {discoverNatEgress, type NatDiscovery} from './aws/nat.ts'
import type {Clients} from './clients.ts'
import {ENV, requireSetting, type Settings} from './config.ts'
import {describeAccount} from './aws/accounts.ts'
import {refusedError, runtimeError, type VpcscError} from './errors.ts'
import {denyTestHold, holdInTheWay} from './deny-test-state.ts'
import {ForeignChange} from './confirmed-write.ts'
import type {AccessLevel} from './gcp/types.ts'
import {describeChange, readForWrite, writeFailure, writeLevel, type LevelSnapshot, type LevelWrite} from './level-write.ts'
import {checkWritable, desiredSubnetworks, planSync, type SyncPlan} from './plan.ts'

/**
 * `vpcsc ip sync`: plan the access level's IP list from the NAT gateways, then write it
 * conflict-safely (level-write.ts). Only the managed condition changes (docs/safety.md, rule 6)
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
  const natPromise = discoverNatEgress(settings)
  natPromise.catch(() => undefined)
  const snapshot = await readForWrite(clients, policy, levelName)
  // docs/safety.md rules 3 and 9: while a deny test holds the level (its marker in the
  // policy, from any host, or a journal here), a sync would "fix" the swap and the test's
  // restore would then refuse to overwrite it. A plan writes nothing: it may still be
  // shown, with the test as a warning.
  const hold = await denyTestHold(settings.stateDir, snapshot.levels, levelName)
  const inTheWay = hold && holdInTheWay(hold, 'not syncing the level while a deny test holds it')
  if (inTheWay && !options.planOnly) throw inTheWay
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
  const plan = planSync(managed.ipSubnetworks, desired, {addOnly: options.addOnly, unreadable: nat.unreadable})
  checkWritable(plan, snapshot.level.name)
  return {snapshot, condition: managed.index, plan, nat, readMs: Date.now() - started, warnings: inTheWay ? [`${inTheWay.message} ${inTheWay.hint ?? ''}`.trim()] : []}
}

/**
 * The error a partial read ends with, after the additions (if any) were written: every
 * unreadable source with its error, and that nothing was removed.
 */
export function partialReadError(plan: SyncPlan, written: boolean): VpcscError | undefined {
  if (!plan.partial) return undefined
  const sources = plan.partial.unreadable.map((u) => `${describeAccount(u.account)}${u.region ? ` in ${u.region}` : ''}: ${u.message}`)
  const what = written ? `additions written (${plan.add.length}), nothing removed` : 'nothing removed'
  return runtimeError(
    'PARTIAL_READ',
    `Not every NAT source could be read, so ${what}:\n${sources.map((s) => `  - ${s}`).join('\n')}`,
    plan.partial.unreadable.find((u) => u.hint)?.hint ?? 'Fix access to those sources and run vpcsc ip sync again.',
    {unreadable: plan.partial.unreadable, notRemoved: plan.partial.notRemoved},
  )
}

/**
 * Writes the plan, waits for the operation and confirms what the level holds. A lost
 * answer is confirmed by reading (docs/safety.md, rule 7): written, not written, or
 * changed by someone else, each said as such.
 */
export async function applySync(prepared: PreparedSync, clients: Clients, options: {force?: boolean; signal?: AbortSignal} = {}): Promise<SyncWrite> {
  const {snapshot, condition, plan} = prepared
  const target = withIpSubnetworks(snapshot.level, condition, plan.result)
  assertSafeSubnetworks(target, condition)
  try {
    const write = await writeLevel(clients, snapshot, target, `update access level ${target.name}`, options)
    return {...write, written: plan.result}
  } catch (error) {
    if (error instanceof ForeignChange) {
      const now = error.now as AccessLevel | undefined
      throw runtimeError(
        'CONFLICT',
        `Not written: ${snapshot.level.name} was changed by someone else after vpcsc read it: ${describeChange(snapshot.level, now, condition)}.`,
        'Nothing was overwritten. Review the change (vpcsc status), then run vpcsc ip sync again to plan against it.',
        {before: snapshot.level, now},
      )
    }
    throw writeFailure(error, snapshot.level.name, 'Nothing changed. Run vpcsc ip sync again.')
  }
}
