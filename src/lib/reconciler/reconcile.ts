import {countCalls, type CallCounts} from './call-count.ts'
import {CLIENT_SETTINGS, createClients, type Clients} from '../core/clients.ts'
import {ENV, loadConfigFile, resolveSettings, type Settings} from '../core/config.ts'
import {VpcscError} from '../core/errors.ts'
import {classifyEvent, describeTrigger, type Trigger} from './event.ts'
import {errorFacts, notifySync, redact, runNotice} from '../core/notify.ts'
import {partialReadError, runSync, SYNC_SETTINGS, type LevelSyncResult} from '../level/sync.ts'

/**
 * The unattended reconciler (the AWS Lambda handler's body): one run is `vpcsc ip sync --yes`
 * without a terminal, through the same `runSync`, so every guard and every source the CLI
 * reads, it reads. Settings come from the same VPCSC_* environment (and VPCSC_CONFIG), Google
 * credentials from the same ADC chain.
 */

/** How long a NAT gateway still `pending` is waited for before it is left to the next run. */
export const PENDING_WAIT_MS = 20_000

/**
 * The refusals of `ip sync` while a deny test holds the level (journal.ts: a test running,
 * or one interrupted that needs a restore). The reconciler recognises them by code: the
 * check itself stays where ip sync makes it.
 */
export const DENY_TEST_REFUSALS: ReadonlySet<string> = new Set(['TEST_RUNNING', 'RESTORE_NEEDED'])

export type ReconcileResult = (LevelSyncResult & {event: Trigger}) | SkippedResult

export interface SkippedResult {
  skipped: 'deny test in progress'
  event: Trigger
  level?: string
  /** The refusal, as `ip sync` gives it (exit 5: running, 6: restore needed). */
  refusal: {code: string; message: string; hint?: string; exitCode: number}
  warnings: string[]
  timingsMs: {total: number}
}

/** What the Lambda runtime passes; only the function's name is read (for messages). */
export interface LambdaContext {
  functionName?: string
  awsRequestId?: string
}

export interface ReconcileOptions {
  env?: NodeJS.ProcessEnv
  /** Where the one JSON line of the run goes (Lambda: stdout, which CloudWatch Logs keeps). */
  log?: (line: string) => void
  pendingPollMs?: number
}

/**
 * One run: classify the event, sync, notify once, log one line; throws when the run fails.
 * A partial read is one run that did two things: it wrote the additions it read and held
 * every removal back. Its one notification and its one line say both, then it throws
 * PARTIAL_READ (exit 1 for the CLI), so that Lambda records it and retries an event.
 */
export async function reconcile(event: unknown, context: LambdaContext = {}, options: ReconcileOptions = {}): Promise<ReconcileResult> {
  const started = Date.now()
  const env = options.env ?? process.env
  const log = options.log ?? ((line: string) => void process.stdout.write(line))
  const trigger = classifyEvent(event)
  const command = `${context.functionName ? `Lambda ${context.functionName}` : 'vpcsc reconciler'}, ${describeTrigger(trigger)} (vpcsc ip sync --yes)`
  const unknownWarning = trigger.kind === 'unknown' ? [`Reconciled on an ${describeTrigger(trigger)}: events only say "look now", so the whole selection was synced.`] : []
  const calls = countCalls()
  let settings: Settings | undefined
  const line = (fields: Record<string, unknown>, counts: CallCounts) =>
    log(`${redact(JSON.stringify({vpcsc: 'reconcile', requestId: context.awsRequestId, event: trigger, ...fields, calls: counts, callsTotal: Object.values(counts).reduce((a, b) => a + b, 0)}))}\n`)

  let result: LevelSyncResult
  try {
    // What ip sync uses, the tfvars file aside: the reconciler never writes one.
    settings = resolveSettings({}, env, await loadConfigFile(env[ENV.config]), [], {callsAws: true, uses: [...SYNC_SETTINGS, 'notifyUrl', ...CLIENT_SETTINGS]})
    result = await runSync(settings, clientsFor(settings), {addOnly: false, waitForPendingMs: PENDING_WAIT_MS, pendingPollMs: options.pendingPollMs})
  } catch (error) {
    const refusal = errorFacts(error)
    if (error instanceof VpcscError && DENY_TEST_REFUSALS.has(error.code)) {
      const warning = await notifySync(settings?.notifyUrl, {command, exitCode: refusal.exitCode, level: settings?.level, error: refusal, skipped: 'deny test in progress'})
      const skipped: SkippedResult = {
        skipped: 'deny test in progress',
        event: trigger,
        level: settings?.level,
        refusal,
        warnings: [...unknownWarning, ...(warning ? [warning] : [])],
        timingsMs: {total: Date.now() - started},
      }
      line({outcome: 'skipped', level: skipped.level, refusal, warnings: skipped.warnings, durationsMs: skipped.timingsMs}, calls.stop())
      return skipped
    }
    // A failed run throws, so that Lambda records it (and retries an event).
    const notice = runNotice(command, {level: settings?.level, error})
    const warning = notice && (await notifySync(settings?.notifyUrl, notice))
    line({outcome: 'failed', level: settings?.level, error: refusal, warnings: [...unknownWarning, ...(warning ? [warning] : [])], durationsMs: {total: Date.now() - started}}, calls.stop())
    throw error
  }

  // A source not read (docs/safety.md, rule 10): the additions read were written, nothing
  // removed; the run still fails, so that Lambda records it and the next run tries again.
  const partial = partialReadError(result.plan, result.outcome === 'written')
  const warnings = [...unknownWarning, ...result.warnings]
  const notice = runNotice(command, {result, error: partial})
  const warning = notice && (await notifySync(settings.notifyUrl, notice))
  if (warning) warnings.push(warning)
  const done: ReconcileResult = {...result, warnings, event: trigger, timingsMs: {...result.timingsMs, total: Date.now() - started}}
  line(
    {
      outcome: done.outcome,
      level: done.level,
      added: done.plan.add,
      removed: done.plan.remove,
      // What a partial read held back, and the error the run ends with: the line says both facts.
      ...(done.plan.partial ? {partial: done.plan.partial} : {}),
      ...(partial ? {error: errorFacts(partial)} : {}),
      pending: done.pending,
      warnings,
      durationsMs: done.timingsMs,
    },
    calls.stop(),
  )
  if (partial) throw partial
  return done
}

/**
 * The API clients survive between invocations of a warm Lambda, so its token is reused;
 * new ones only when the settings they depend on change.
 */
let cached: {key: string; clients: Clients} | undefined
function clientsFor(settings: Settings): Clients {
  const key = JSON.stringify([settings.impersonateServiceAccount, settings.endpoints])
  if (cached?.key !== key) cached = {key, clients: createClients(settings)}
  return cached.clients
}
