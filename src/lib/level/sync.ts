import {assertSafeSubnetworks, ipCondition, withIpSubnetworks} from './condition.ts'
import {discoverNatEgress, NAT_SELECTION_SETTINGS, type EgressIp, type NatDiscovery} from '../aws/nat.ts'
import type {Clients} from '../core/clients.ts'
import {ENV, requireSetting, type SettingKey, type Settings} from '../core/config.ts'
import {describeSource} from '../aws/accounts.ts'
import {RefusedError, RuntimeError, VpcscError} from '../core/errors.ts'
import {denyTestHold, holdInTheWay} from '../deny-test/hold.ts'
import {ForeignChange} from '../gcp/confirmed-write.ts'
import type {AccessLevel, ServicePerimeter} from '../gcp/types.ts'
import {debug} from '../core/debug.ts'
import {shortName} from '../core/names.ts'
import {perimeterUsesLevel} from '../perimeter/mode.ts'
import {describeChange, readForWrite, writeFailure, writeLevel, type LevelSnapshot, type LevelWrite} from './write.ts'
import {waitWhilePending, type PendingWait} from '../aws/pending-nat.ts'
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

interface PrepareOptions {
  addOnly: boolean
  planOnly?: boolean
  settleNat?: (nat: NatDiscovery) => Promise<NatDiscovery>
}

/** Starts the reads (the NAT gateways, the perimeter for a warning, the level), then plans from them. */
export async function prepareSync(
  settings: Settings,
  clients: Clients,
  options: PrepareOptions,
): Promise<PreparedSync> {
  const started = Date.now()
  const levelName = requireSetting(settings.level, 'level', ENV.level, 'level')
  const policy = requireSetting(settings.policy, 'policy', ENV.policy, 'policy')
  const natPromise = discoverNatEgress(settings)
  natPromise.catch(() => undefined)
  const perimeterRead = readPerimeterForWarning(settings, clients)
  try {
    return await planFromReads(settings, clients, options, {started, levelName, policy, natPromise, perimeterRead})
  } finally {
    perimeterRead.abort()
  }
}

/** The guards and the plan, from the reads prepareSync started. */
async function planFromReads(
  settings: Settings,
  clients: Clients,
  options: PrepareOptions,
  reads: {started: number; levelName: string; policy: string; natPromise: Promise<NatDiscovery>; perimeterRead: PerimeterRead},
): Promise<PreparedSync> {
  const {started, levelName, policy, natPromise} = reads
  const snapshot = await readForWrite(clients, policy, levelName)
  // docs/safety.md rules 3 and 9: while a deny test holds the level (its marker in the
  // policy, from any host, or a journal here), a sync would "fix" the swap and the test's
  // restore would then refuse to overwrite it. A plan writes nothing: it may still be
  // shown, with the test as a warning.
  const hold = await denyTestHold(settings.stateDir, snapshot.levels, levelName)
  const inTheWay = hold && holdInTheWay(hold, 'not syncing the level while a deny test holds it')
  if (inTheWay && !options.planOnly) throw inTheWay
  // The reconciler waits here for gateways still pending, before the plan is made of them.
  const nat = options.settleNat ? await options.settleNat(await natPromise) : await natPromise

  if (nat.missingGatewayIds.length > 0) {
    throw new RefusedError({
      code: 'NAT_NOT_FOUND',
      message: `NAT gateway${nat.missingGatewayIds.length > 1 ? 's' : ''} ${nat.missingGatewayIds.join(', ')} not found in ${nat.regions.join(', ') || 'the default region'}; refusing to plan without ${nat.missingGatewayIds.length > 1 ? 'them' : 'it'}.`,
      hint: 'Check the ids and --region (or use --all-regions).',
    })
  }
  const managed = ipCondition(snapshot.level, settings.condition)
  const desired = desiredSubnetworks(nat.egressIps, settings.keep)
  const plan = planSync(managed.ipSubnetworks, desired, {addOnly: options.addOnly, unreadable: nat.unreadable})
  checkWritable(plan, snapshot.level.name)
  const perimeter = await reads.perimeterRead.answer()
  const warnings = [
    ...(inTheWay ? [`${inTheWay.message} ${inTheWay.hint ?? ''}`.trim()] : []),
    ...(perimeter && !perimeterUsesLevel(perimeter, levelName, snapshot.levels)
      ? [`${shortName(perimeter.name)} does not use ${shortName(levelName)} (neither enforced nor in its dry-run spec, as an access level, a rule's source or a nested level): syncing it changes nothing that perimeter admits. Check --level and --perimeter (vpcsc status shows both).`]
      : []),
  ]
  return {snapshot, condition: managed.index, plan, nat, readMs: Date.now() - started, warnings}
}

/** How long a plan that is ready waits for the perimeter's read: a warning never holds the sync up. */
const PERIMETER_GRACE_MS = 1_000

interface PerimeterRead {
  /** The perimeter, or undefined: none configured, unreadable, or not answered within the grace. */
  answer(): Promise<ServicePerimeter | undefined>
  /** Ends the read if it is still on its way (the sync went on, or failed, without it). */
  abort(): void
}

/**
 * The configured perimeter, read alongside the level only to warn when it does not use the
 * level: a sync of a level no perimeter uses (a wrong --level or VPCSC_LEVEL) would
 * otherwise succeed in silence. Never in the way: no perimeter configured, one that cannot
 * be read, or one not read by PERIMETER_GRACE_MS after the plan, leaves the warning unsaid.
 */
function readPerimeterForWarning(settings: Settings, clients: Clients): PerimeterRead {
  if (!settings.perimeter) return {answer: async () => undefined, abort: () => undefined}
  const controller = new AbortController()
  const skip = (why: string) => {
    debug('vpcsc', `the perimeter was not checked for the level (${why}): no warning either way`)
    return undefined
  }
  const read = clients.acm.getPerimeter(settings.perimeter, controller.signal).catch((error: unknown) => skip((error as Error).message))
  return {
    answer: async () => {
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(skip(`no answer within ${PERIMETER_GRACE_MS} ms of the plan`)), PERIMETER_GRACE_MS)
      })
      try {
        return await Promise.race([read, late])
      } finally {
        clearTimeout(timer)
      }
    },
    abort: () => controller.abort(),
  }
}

/**
 * The error a partial read ends with, after the additions (if any) were written: every
 * unreadable source with its error, and that nothing was removed.
 */
export function partialReadError(plan: SyncPlan, written: boolean): VpcscError | undefined {
  if (!plan.partial) return undefined
  const sources = plan.partial.unreadable.map((u) => `${describeSource(u)}: ${u.message}`)
  const what = written ? `additions written (${plan.add.length}), nothing removed` : 'nothing removed'
  return new RuntimeError({
    code: 'PARTIAL_READ',
    message: `Not every NAT source could be read, so ${what}:\n${sources.map((s) => `  - ${s}`).join('\n')}`,
    hint: plan.partial.unreadable.find((u) => u.hint)?.hint ?? 'Fix access to those sources and run vpcsc ip sync again.',
    details: {unreadable: plan.partial.unreadable, notRemoved: plan.partial.notRemoved},
  })
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
      throw new RuntimeError({
        code: 'CONFLICT',
        message: `Not written: ${snapshot.level.name} was changed by someone else after vpcsc read it: ${describeChange(snapshot.level, now, condition)}.`,
        hint: 'Nothing was overwritten. Review the change (vpcsc status), then run vpcsc ip sync again to plan against it.',
        details: {before: snapshot.level, now},
      })
    }
    throw writeFailure(error, snapshot.level.name, 'Nothing changed. Run vpcsc ip sync again.')
  }
}

/** What one `ip sync` returns: the `--json` result, and the Lambda handler's. */
export interface LevelSyncResult {
  level: string
  condition: number
  /** `partial`: some source could not be read and there was nothing to add (plan.partial names them). */
  outcome: 'in-sync' | 'partial' | 'planned' | 'declined' | 'written'
  plan: SyncPlan
  egressIps: EgressIp[]
  warnings: string[]
  write?: SyncWrite
  /** A pending NAT gateway was waited for (the reconciler only). */
  pending?: PendingWait
  timingsMs: {read: number; total: number; write?: number; pendingWait?: number}
}

export interface SyncRunOptions {
  addOnly: boolean
  /** Plan only: never write (a plan is shown even while a deny test holds the level). */
  planOnly?: boolean
  /** Never write the level, but as a run that acts: every guard applies (ip sync --tfvars-only). */
  leaveLevel?: boolean
  /** Asked before the write (the CLI's prompt); absent = write without asking (--yes). */
  confirm?: (prepared: PreparedSync) => Promise<boolean>
  /** Called once the plan is made, before any write: the CLI shows it. */
  onPlan?: (prepared: PreparedSync) => void
  /** Write even when the policy has no etag (ip sync --force; the reconciler never does). */
  force?: boolean
  /** Runs each remote step (the CLI puts a spinner around it). */
  step?: <T>(message: string, work: () => Promise<T>) => Promise<T>
  /** Runs the write with the signal that interrupts it (the CLI: Ctrl-C, SIGTERM). */
  duringWrite?: <T>(write: (signal: AbortSignal | undefined) => Promise<T>) => Promise<T>
  /** Wait this long at most for NAT gateways still `pending` (the reconciler: 20 s). */
  waitForPendingMs?: number
  pendingPollMs?: number
}

/**
 * The settings runSync reads (the CLI's ip sync and the reconciler): the perimeter only for
 * its warning, the state dir for a deny test's journal.
 */
export const SYNC_SETTINGS = ['policy', 'level', 'perimeter', 'condition', 'keep', 'stateDir', ...NAT_SELECTION_SETTINGS] as const satisfies readonly SettingKey[]

/**
 * One `ip sync`: prepare (guards, reads, plan), optionally wait for pending NAT gateways,
 * then write unless in sync, plan-only or declined. The CLI command and the Lambda handler
 * both run exactly this, so every guard one has, the other has.
 */
export async function runSync(settings: Settings, clients: Clients, options: SyncRunOptions): Promise<LevelSyncResult> {
  const started = Date.now()
  const step = options.step ?? (<T>(_message: string, work: () => Promise<T>) => work())
  let pending: PendingWait | undefined
  const settleNat = options.waitForPendingMs
    ? async (nat: NatDiscovery) => {
        const settled = await waitWhilePending(nat, () => discoverNatEgress(settings), {maxMs: options.waitForPendingMs!, intervalMs: options.pendingPollMs ?? 4000})
        pending = settled.wait
        return settled.nat
      }
    : undefined
  let prepared: PreparedSync
  try {
    prepared = await step('Reading the access level and the NAT gateways', () => prepareSync(settings, clients, {...options, settleNat}))
  } catch (error) {
    const waited = pending as PendingWait | undefined
    if (waited && waited.stillPending.length > 0 && error instanceof VpcscError && error.code === 'EMPTY_LIST') {
      throw new RefusedError({
        code: 'NAT_PENDING',
        message: `${waited.stillPending.join(', ')} still pending after ${Math.round(waited.waitedMs / 1000)} s, and no other egress IP was found: nothing written (an empty list admits every IP).`,
        hint: 'Left to the next event or the scheduled sweep (or run vpcsc ip sync once the gateway is available).',
      })
    }
    throw error
  }
  // After a wait, plan again from fresh reads: the policy etag, and the deny-test guard, as of now.
  if (pending && pending.stillPending.length < pending.gateways.length) prepared = await prepareSync(settings, clients, options)
  const pendingWarning = pending && pending.stillPending.length > 0
    ? [`${pending.stillPending.join(', ')} still pending after ${Math.round(pending.waitedMs / 1000)} s: left to the next event or the scheduled sweep.`]
    : []
  options.onPlan?.(prepared)
  const {plan} = prepared
  const result: LevelSyncResult = {
    level: prepared.snapshot.level.name,
    condition: prepared.condition,
    outcome: 'in-sync',
    plan,
    egressIps: prepared.nat.egressIps,
    warnings: [...prepared.nat.warnings, ...prepared.warnings, ...pendingWarning],
    ...(pending ? {pending} : {}),
    timingsMs: {read: prepared.readMs, total: 0, ...(pending ? {pendingWait: pending.waitedMs} : {})},
  }
  const finish = (outcome: LevelSyncResult['outcome'], write?: SyncWrite): LevelSyncResult => ({
    ...result,
    outcome,
    ...(write ? {write} : {}),
    timingsMs: {...result.timingsMs, ...(write ? {write: write.writeMs} : {}), total: Date.now() - started},
  })
  if (!plan.changed) return finish(plan.partial ? 'partial' : 'in-sync')
  if (options.planOnly || options.leaveLevel) return finish('planned')
  if (options.confirm && !(await options.confirm(prepared))) return finish('declined')
  const duringWrite = options.duringWrite ?? ((work) => work(undefined))
  const write = await step('Writing the access level', () => duringWrite((signal) => applySync(prepared, clients, {force: options.force, signal})))
  return finish('written', write)
}
