import {randomUUID} from 'node:crypto'
import {isDeepStrictEqual} from 'node:util'

import {ipCondition, withIpSubnetworks} from '../level/condition.ts'
import {canonicalCidrText, type Cidr} from '../level/cidr.ts'
import type {Clients} from '../core/clients.ts'
import {ENV, requireSetting, type Settings, type Sourced} from '../core/config.ts'
import {ForeignChange, NotWritten, WriteUnknown} from '../gcp/confirmed-write.ts'
import {describeOwner, findMarker, holdsSwap, levelsWithSwap, markerLevel, newMarkerInfo} from './marker.ts'
import {denyTestHold, holdInTheWay} from './hold.ts'
import {ExitCode, RefusedError, RestoreNeededError, RuntimeError, TestFailedError, VpcscError} from '../core/errors.ts'
import type {AccessLevel} from '../gcp/types.ts'
import {createJournal, newJournal, removeJournal} from './journal.ts'
import {readForWrite, readLevels, replaceLevels, writeFailure, type LevelSnapshot} from '../level/write.ts'
import {shortName} from '../core/names.ts'
import {levelUse, perimeterMode} from '../perimeter/mode.ts'
import {VERTEX_SERVICE, type ProbeOutcome} from './probe/classify.ts'
import type {Probe} from './probe/probe.ts'
import {restoreLevel, restoreRefusedForGood, type RestoreResult, type RestoreTarget} from './restore.ts'
import {sleep} from '../core/sleep.ts'
import {allInOrder} from '../core/concurrency.ts'

/**
 * `vpcsc deny-test`: proves the perimeter denies. Probe (must be allowed), journal, swap
 * the level's IP list to a TEST-NET address, probe until Vertex AI answers with a VPC-SC
 * denial, restore, probe until allowed again. Whatever happens after the swap (success,
 * failure, error, Ctrl-C, SIGTERM, timeout) the level is restored; a crash leaves the
 * marker in the access policy and the local journal for `vpcsc restore`, from any host.
 */

export const DEFAULT_TIMEOUT_MS = 30 * 60_000

export type Phase = 'preflight' | 'baseline' | 'swap' | 'deny-wait' | 'restore' | 'recovery-wait'

export interface ProgressEvent {
  phase: Phase
  attempt?: number
  elapsedMs?: number
  last?: ProbeOutcome
  message?: string
  /** After a probe that is not the last: how long until the next one starts. */
  nextInMs?: number
}

export interface Polling {
  firstIntervalMs: number
  maxIntervalMs: number
  /** How many probe errors in a row end the wait. */
  maxConsecutiveErrors: number
}

export const DEFAULT_POLLING: Polling = {firstIntervalMs: 3_000, maxIntervalMs: 30_000, maxConsecutiveErrors: 3}

export interface DenyTestOptions {
  denyCidr: Cidr
  timeoutMs: number
  recoveryWait: boolean
  polling?: Polling
  /** Aborted on Ctrl-C / SIGTERM: waits stop and the restore runs. */
  signal: AbortSignal
  /** Aborted when the user insists (a third signal): the restore's own waits stop too; exit 6. */
  restoreSignal?: AbortSignal
  /** Asked once the baseline passed, right before the swap; false: nothing is changed. */
  confirm: (question: string) => Promise<boolean>
  onProgress?: (event: ProgressEvent) => void
}

export interface WaitResult {
  reached: boolean
  attempts: number
  elapsedMs: number
  last: ProbeOutcome
}

export type DenyTestOutcome = 'pass' | 'not-denied' | 'denied-otherwise' | 'not-recovered' | 'interrupted' | 'declined'

export interface DenyTestResult {
  outcome: DenyTestOutcome
  level: string
  perimeter: string
  denyCidr: string
  probe: string
  baseline: ProbeOutcome
  denial?: WaitResult
  restore?: RestoreResult
  recovery?: WaitResult | {skipped: true}
  /** The vpcServiceControlsUniqueIdentifier of the denial: look it up in the audit logs. */
  evidence?: string
  /** What the reader should know beyond the outcome: one line each (denyTestWarnings). */
  warnings: string[]
  timingsMs: {total: number; toDeny?: number; toRecover?: number}
}

/** Checks that a deny test can mean something, and that none is under way (marker or journal). */
async function preflight(settings: Settings, clients: Clients, denyCidr: Cidr) {
  const perimeterName = requireSetting(settings.perimeter, 'perimeter', ENV.perimeter, 'perimeter')
  const levelName = requireSetting(settings.level, 'level', ENV.level, 'level')
  const policy = requireSetting(settings.policy, 'policy', ENV.policy, 'policy')

  // The policy's own read first: a missing policy fails both, and says so best.
  const [{levels}, perimeter] = await allInOrder([readLevels(clients, policy), clients.acm.getPerimeter(perimeterName)])
  const hold = await denyTestHold(settings.stateDir, levels, levelName)
  if (hold) throw holdInTheWay(hold, 'not starting another')
  const level = levels.find((l) => l.name === levelName) ?? (await clients.acm.getLevel(levelName))
  const mode = perimeterMode(perimeter)
  if (mode === 'dry-run' || mode === 'empty') {
    throw new RefusedError({
      code: 'NOT_ENFORCED',
      message: `${perimeterName} is ${mode === 'dry-run' ? 'in dry-run mode only' : 'empty'}: a perimeter that is not enforced never denies, so a deny test cannot pass.`,
      hint: 'Check its dry-run violations (vpcsc violations), enforce it (vpcsc promote), then run the deny test.',
    })
  }
  if (!perimeter.status?.restrictedServices?.includes(VERTEX_SERVICE)) {
    throw new RefusedError({code: 'NOT_RESTRICTED', message: `${perimeterName} does not restrict ${VERTEX_SERVICE}: Vertex AI calls are never denied by it.`, hint: `Add ${VERTEX_SERVICE} to its restricted services.`})
  }
  // Used through a level that requires it counts: emptying the level denies through that one
  // too (docs/api-facts.md, "Where a perimeter uses a level"). An egress source admits nobody.
  const use = levelUse(perimeter.status, levelName, levels)
  if (!use.accessLevels && !use.ingressSources) {
    const where = use.egressSources ? 'only as an egress rule\'s source, which admits nobody into it' : 'neither in its access levels nor in an ingress source, nor through a level that requires it'
    throw new RefusedError({code: 'LEVEL_UNUSED', message: `${perimeterName} uses ${levelName} ${where}: swapping the level would prove nothing.`, hint: 'Check --level and --perimeter (vpcsc status shows both).'})
  }
  refuseIfSwapped(level, settings.condition, denyCidr)
  return {perimeterName, levelName, policy}
}

/** A level that holds only the deny CIDR is being tested from elsewhere, or was left so. */
function refuseIfSwapped(level: AccessLevel, condition: Sourced<number> | undefined, denyCidr: Cidr): void {
  const current = ipCondition(level, condition).ipSubnetworks.map(canonicalCidrText)
  if (current.length > 0 && current.every((c) => c === denyCidr.text)) {
    throw new RefusedError({code: 'ALREADY_SWAPPED', message: `${level.name} already holds only ${denyCidr.text}: another deny test is running, or one was interrupted elsewhere.`, hint: 'Check vpcsc status; if nothing runs, put the NAT IPs back with vpcsc ip sync.'})
  }
}

/** Probes until `want`, or until `stop`, the timeout, too many errors in a row, or an abort. */
export async function probeUntil(
  probe: Probe,
  phase: Phase,
  want: (o: ProbeOutcome) => boolean,
  stop: (o: ProbeOutcome) => boolean,
  options: {timeoutMs: number; polling: Polling; signal: AbortSignal; onProgress?: (e: ProgressEvent) => void},
): Promise<WaitResult> {
  const started = Date.now()
  let interval = options.polling.firstIntervalMs
  let attempts = 0
  let errorsInARow = 0
  for (;;) {
    attempts++
    // Intervals run start to start: a slow probe (SSM takes a second or two) does not
    // stretch the cadence, so a change is seen at most one interval after it happens.
    const probeStarted = Date.now()
    const last = await probe.run(options.signal)
    const elapsedMs = Date.now() - started
    options.onProgress?.({phase, attempt: attempts, elapsedMs, last, nextInMs: Math.max(0, probeStarted + interval - Date.now())})
    if (options.signal.aborted) return {reached: false, attempts, elapsedMs, last}
    if (want(last)) return {reached: true, attempts, elapsedMs, last}
    if (stop(last)) return {reached: false, attempts, elapsedMs, last}
    errorsInARow = last.verdict === 'ERROR' ? errorsInARow + 1 : 0
    if (errorsInARow >= options.polling.maxConsecutiveErrors) {
      throw new RuntimeError({code: 'PROBE_FAILING', message: `The probe failed ${errorsInARow} times in a row: ${last.detail}.`, hint: 'Check the instance, its SSM agent and its credential file (or --probe-command), then run again.'})
    }
    const pause = Math.max(0, probeStarted + interval - Date.now())
    if (elapsedMs + pause > options.timeoutMs) return {reached: false, attempts, elapsedMs, last}
    await sleep(pause, options.signal)
    if (options.signal.aborted) return {reached: false, attempts, elapsedMs: Date.now() - started, last}
    interval = Math.min(Math.round(interval * 1.5), options.polling.maxIntervalMs)
  }
}

export async function runDenyTest(settings: Settings, clients: Clients, probe: Probe, options: DenyTestOptions): Promise<DenyTestResult> {
  const result = await runSteps(settings, clients, probe, options)
  return {...result, warnings: denyTestWarnings(result)}
}

/**
 * A deny test's warnings: an interrupted test (no verdict, and whether the level is back), a
 * restore whose answer was lost (a read confirmed it), a recovery not waited for (callers
 * may still be denied while the restore propagates).
 */
export function denyTestWarnings(result: Omit<DenyTestResult, 'warnings'>): string[] {
  const warnings: string[] = []
  if (result.outcome === 'interrupted') {
    warnings.push(
      !result.restore ? 'Interrupted before the swap: no verdict, nothing was written.'
      : `Interrupted: no verdict; the access level ${result.restore.outcome === 'restored' || result.restore.outcome === 'already' ? 'holds its original again' : 'may still be swapped: run vpcsc restore'}.`,
    )
  }
  if (result.restore?.answerLost) warnings.push("The restore's answer was lost; a read of the access policy confirmed it.")
  if (result.recovery && 'skipped' in result.recovery) warnings.push('The recovery was not waited for (--no-recovery-wait): callers may be denied until the restore has propagated (up to 30 minutes).')
  return warnings
}

async function runSteps(settings: Settings, clients: Clients, probe: Probe, options: DenyTestOptions): Promise<Omit<DenyTestResult, 'warnings'>> {
  const started = Date.now()
  const polling = options.polling ?? DEFAULT_POLLING
  const progress = options.onProgress ?? (() => undefined)
  const denyCidr = options.denyCidr
  progress({phase: 'preflight', message: 'Checking the perimeter and the level'})
  const {perimeterName, levelName, policy} = await preflight(settings, clients, denyCidr)

  progress({phase: 'baseline', message: `Probing from ${probe.description}: the call must be allowed first`})
  const baseline = await probe.run(options.signal)
  progress({phase: 'baseline', attempt: 1, last: baseline})
  const base = {level: levelName, perimeter: perimeterName, denyCidr: denyCidr.text, probe: probe.description, baseline}
  if (options.signal.aborted) return {...base, outcome: 'interrupted', timingsMs: {total: Date.now() - started}}
  if (baseline.verdict === 'ERROR') {
    throw new RuntimeError({code: 'BASELINE_ERROR', message: `The baseline probe failed before anything was changed: ${baseline.detail}.`, hint: 'Check the instance, its SSM agent and its credential file (or --probe-command), then run again.', details: {baseline}})
  }
  if (baseline.verdict !== 'ALLOWED') {
    throw new TestFailedError({
      message: `The baseline probe was not allowed (${baseline.verdict}: ${baseline.detail}); nothing was changed. A test that starts from a failing call proves nothing.`,
      code: 'BASELINE_NOT_ALLOWED',
      hint: 'Make the call work first: vpcsc status shows whether the level admits the NAT IPs (vpcsc ip sync fixes that).',
      details: {baseline},
    })
  }

  const question = `Swap ${shortName(levelName)} to ${denyCidr.text}? Callers it admits are denied until it is restored (up to ${Math.round(options.timeoutMs / 60_000)} min).`
  if (!(await options.confirm(question))) return {...base, outcome: 'declined', timingsMs: {total: Date.now() - started}}

  // Journal first, then the swap: from here on, a crash leaves what restore needs. The
  // swap writes the marker in the same replaceAll (docs/safety.md, rule 9), so every host
  // sees the test from the moment the level is swapped until the moment it is restored.
  const snapshot = await readForWrite(clients, policy, levelName)
  if (!snapshot.etag) {
    throw new RefusedError({code: 'NO_ETAG', message: `The access policy ${policy} came without an etag: the swap and its marker cannot be written conflict-safely.`, hint: 'A deny test needs the policy etag; check the API endpoint (VPCSC_ACM_ENDPOINT).'})
  }
  const held = await denyTestHold(settings.stateDir, snapshot.levels, levelName)
  if (held) throw holdInTheWay(held, 'not starting another')
  refuseIfSwapped(snapshot.level, settings.condition, denyCidr)
  const managed = ipCondition(snapshot.level, settings.condition)
  const swapped = withIpSubnetworks(snapshot.level, managed.index, [denyCidr.text])
  const testId = randomUUID()
  const info = newMarkerInfo({testId, level: levelName, condition: managed.index, denyCidr: denyCidr.text, lifetimeMs: 2 * options.timeoutMs + RESTORE_MARGIN_MS})
  const marker = markerLevel(snapshot.level, info)
  const journal = newJournal({testId, etagBefore: snapshot.etag, level: levelName, policy, condition: managed.index, original: snapshot.level, swapped, denyCidr: denyCidr.text})
  try {
    await createJournal(settings.stateDir, journal)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      const other = await denyTestHold(settings.stateDir, snapshot.levels, levelName)
      if (other) throw holdInTheWay(other, 'not starting another')
    }
    throw error
  }
  if (options.signal.aborted) {
    await removeJournal(settings.stateDir, levelName)
    return {...base, outcome: 'interrupted', timingsMs: {total: Date.now() - started}}
  }

  progress({phase: 'swap', message: `Swapping ${shortName(levelName)} to ${denyCidr.text}`})
  // An interrupt does not stop the swap's own confirmation (short and bounded): the restore
  // must know what landed. Only the user insisting (restoreSignal) cuts it short.
  const swapSentAt = Date.now()
  const swap = await swapLevel(clients, snapshot, {swapped, marker, testId, original: snapshot.level}, settings.stateDir, options.restoreSignal)

  let denial: WaitResult | undefined
  let failure: unknown = swap.failure
  if (!failure && !options.signal.aborted) {
    try {
      const waitStartedAt = Date.now()
      denial = await probeUntil(
        probe,
        'deny-wait',
        (o) => o.verdict === 'DENIED_VPCSC',
        (o) => o.verdict === 'DENIED_VPCSC_OTHER_SERVICE' || o.verdict === 'DENIED_OTHER',
        {timeoutMs: options.timeoutMs, polling, signal: options.signal, onProgress: progress},
      )
      // Time to deny counts from the swap's write, not from its confirmation: propagation
      // starts when the write lands.
      denial = {...denial, elapsedMs: denial.elapsedMs + (waitStartedAt - swapSentAt)}
    } catch (error) {
      failure = error
    }
  }

  // Restore, always; retried, since a level left swapped denies every caller it admitted.
  progress({phase: 'restore', message: `Restoring ${shortName(levelName)}`})
  const restore = await restoreWithRetries(clients, {policy, level: levelName, testId, stateDir: settings.stateDir}, {failure, interrupted: options.signal.aborted, restoreSignal: options.restoreSignal})
  if (failure) throw failure
  const total = () => Date.now() - started

  if (options.signal.aborted || !denial) {
    return {...base, outcome: 'interrupted', denial, restore, timingsMs: {total: total()}}
  }
  if (!denial.reached) {
    const outcome = denial.last.verdict === 'DENIED_VPCSC_OTHER_SERVICE' || denial.last.verdict === 'DENIED_OTHER' ? 'denied-otherwise' : 'not-denied'
    return {...base, outcome, denial, restore, timingsMs: {total: total()}}
  }

  let recovery: WaitResult | {skipped: true} = {skipped: true}
  if (options.recoveryWait) {
    try {
      recovery = await probeUntil(probe, 'recovery-wait', (o) => o.verdict === 'ALLOWED', () => false, {timeoutMs: options.timeoutMs, polling, signal: options.signal, onProgress: progress})
    } catch (error) {
      // The denial is proven and the level restored: a failing probe now loses neither.
      if (!(error instanceof VpcscError)) throw error
      recovery = {reached: false, attempts: 0, elapsedMs: 0, last: {verdict: 'ERROR', detail: error.message}}
    }
    if (options.signal.aborted) return {...base, outcome: 'interrupted', denial, restore, recovery, evidence: denial.last.uid, timingsMs: {total: total(), toDeny: denial.elapsedMs}}
  }
  const recovered = 'skipped' in recovery || recovery.reached
  return {
    ...base,
    outcome: recovered ? 'pass' : 'not-recovered',
    denial,
    restore,
    recovery,
    evidence: denial.last.uid,
    timingsMs: {total: total(), toDeny: denial.elapsedMs, toRecover: 'skipped' in recovery ? undefined : recovery.elapsedMs},
  }
}

/** What the swap came to. A failure here means the swap did not land, or may have: the restore settles which. */
async function swapLevel(
  clients: Clients,
  snapshot: LevelSnapshot,
  swap: {swapped: AccessLevel; marker: AccessLevel; testId: string; original: AccessLevel},
  stateDir: string,
  signal: AbortSignal | undefined,
): Promise<{failure?: unknown}> {
  const levelName = swap.swapped.name
  try {
    await replaceLevels(
      clients,
      snapshot as LevelSnapshot & {etag: string},
      {
        what: `access level ${levelName}`,
        action: `swap access level ${levelName}`,
        build: (levels) => levelsWithSwap(levels, swap.swapped, swap.marker),
        classify: (levels) => {
          const level = levels.find((l) => l.name === levelName)
          const marker = findMarker(levels, levelName)
          if (marker?.testId === swap.testId && holdsSwap(level, marker)) return 'target'
          return !marker && isDeepStrictEqual(level, swap.original) ? 'before' : 'other'
        },
      },
      {signal},
    )
    return {}
  } catch (error) {
    if (error instanceof ForeignChange) {
      const now = error.now as AccessLevel[]
      const marker = findMarker(now, levelName)
      // Ours landed and the level moved since: the restore finds that and says so (exit 6).
      if (marker?.testId === swap.testId) return {failure: new RuntimeError({code: 'CHANGED_DURING_SWAP', message: `${levelName} was changed by someone else right after the swap.`, hint: 'See the restore message below.'})}
      await removeJournal(stateDir, levelName)
      if (marker) {
        throw new RefusedError({code: 'TEST_RUNNING', message: `Another deny test (${describeOwner(marker)}) swapped ${levelName} at the same moment; this one wrote nothing and restores nothing.`, hint: 'Let that test finish (vpcsc status shows it), then run this one again.'})
      }
      throw new RuntimeError({code: 'CONFLICT', message: `${levelName} was changed by someone else before the swap; the deny test did not start and wrote nothing.`, hint: 'Run vpcsc status, then run the deny test again.', details: {before: swap.original, now: now.find((l) => l.name === levelName)}})
    }
    if (error instanceof NotWritten) {
      await removeJournal(stateDir, levelName)
      throw writeFailure(error, `the swap of ${levelName}`, 'Nothing changed; run the deny test again.')
    }
    // WriteUnknown and anything unexpected: the swap may land; the restore settles it.
    return {failure: error instanceof WriteUnknown ? writeFailure(error, `the swap of ${levelName}`, '') : error}
  }
}

/** How long after its timeouts a test's marker still counts as a live test on another host. */
const RESTORE_MARGIN_MS = 10 * 60_000
/** The restore after an interrupt gets its own short deadline (docs/safety.md, rule 8). */
const INTERRUPTED_RESTORE_MS = 60_000

/**
 * The restore, retried with backoff on failures that may pass (network, 5xx, a timeout).
 * A real conflict (someone changed the level) is final at once. Whatever fails, the error
 * says the level may still be swapped and how to repair it: exit 6.
 */
async function restoreWithRetries(
  clients: Clients,
  target: RestoreTarget & {testId: string},
  context: {failure: unknown; interrupted: boolean; restoreSignal?: AbortSignal},
): Promise<RestoreResult> {
  const deadline = Date.now() + (context.interrupted ? INTERRUPTED_RESTORE_MS : 4 * 60_000)
  let lastError: unknown
  for (let attempt = 1; attempt <= 4 && Date.now() < deadline && !context.restoreSignal?.aborted; attempt++) {
    try {
      return await restoreLevel(clients, target, {signal: context.restoreSignal, deadlineMs: Math.max(1_000, deadline - Date.now())})
    } catch (error) {
      lastError = error
      if (error instanceof VpcscError && (error.code === 'RESTORE_CONFLICT' || error.code === 'TEST_RUNNING')) break
      if (restoreRefusedForGood(error)) break
      if (attempt < 4) await sleep(Math.min(2000 * 2 ** (attempt - 1), Math.max(0, deadline - Date.now())), context.restoreSignal)
    }
  }
  const cause = context.failure ? ` (The test itself had failed: ${(context.failure as Error).message})` : ''
  if (lastError instanceof VpcscError && lastError.exitCode === ExitCode.restoreNeeded) {
    throw new VpcscError({message: `${lastError.message}${cause}`, exitCode: lastError.exitCode, code: lastError.code, hint: lastError.hint, details: lastError.details})
  }
  const why = lastError ? `the restore failed: ${(lastError as Error).message}` : 'the restore was stopped before it could finish'
  throw new RestoreNeededError({
    message: `${target.level} may still be swapped: ${why}${cause}`,
    code: 'RESTORE_FAILED',
    hint: 'The marker in the access policy and the journal are kept: run vpcsc restore (from any host) as soon as the cause is fixed.',
  })
}
