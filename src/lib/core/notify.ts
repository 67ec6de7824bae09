import {ExitCode, VpcscError} from './errors.ts'
import {shortName} from './names.ts'
import type {LevelSyncResult} from '../level/sync.ts'

/**
 * Notifications after `ip sync` acted (wrote, refused, failed) or the reconciler skipped:
 * one POST of `{"text": ...}`, the body Slack incoming webhooks (and Mattermost, Teams'
 * Slack-compatible hooks, most chat relays) accept. A notification is a courtesy: a sink
 * that fails or does not answer within the bound becomes a warning, never a failed sync.
 */

export const NOTIFY_TIMEOUT_MS = 5000

export interface SyncNotice {
  /** What ran, e.g. `vpcsc ip sync --yes` or `Lambda vpcsc-reconciler, event CreateNatGateway`. */
  command: string
  /** The exit code (the CLI's, or what the CLI would have exited with). */
  exitCode: number
  level?: string
  /** Where the NAT gateways were read (regions). */
  regions?: string[]
  /** What the sync did, when it got that far: a write, or the plan of a run that failed after it. */
  result?: LevelSyncResult
  /**
   * The refusal or failure the run ends with. Beside a written result, what kept the run
   * from completing: a partial read (removals held back), the tfvars file after the level.
   */
  error?: {code: string; message: string; hint?: string}
  /** Why nothing was attempted (a deny test holds the level). */
  skipped?: string
}

/**
 * The one notice of an `ip sync` run that acted (not a plan), said once at its end: what it
 * wrote and the error it ends with, together, so that a chat never reads "wrote ... exit 0"
 * of a run that then exits 1. Undefined when there is nothing to tell: in sync, declined,
 * or only the tfvars file written.
 */
export function runNotice(command: string, run: {level?: string; result?: LevelSyncResult; error?: unknown}): SyncNotice | undefined {
  const error = run.error === undefined ? undefined : errorFacts(run.error)
  if (!error && !run.result?.write) return undefined
  return {command, exitCode: error?.exitCode ?? ExitCode.ok, level: run.result?.level ?? run.level, result: run.result, error}
}

/** What a notification, a log line or a result says of an error: vpcsc's own code, or ERROR (exit 1). */
export function errorFacts(error: unknown): {code: string; message: string; hint?: string; exitCode: number} {
  if (error instanceof VpcscError) return {code: error.code, message: error.message, hint: error.hint, exitCode: error.exitCode}
  return {code: 'ERROR', message: error instanceof Error ? error.message : String(error), exitCode: ExitCode.runtime}
}

/** The message, in plain text (it reads the same in a chat and in a log). */
export function syncMessage(notice: SyncNotice): string {
  const level = notice.result?.level ?? notice.level
  const where = level ? `${shortName(level)} (${level})` : 'the access level'
  const {error} = notice
  const lines: string[] = []
  if (notice.result?.write) {
    const {plan} = notice.result
    const changes = [...plan.add.map((c) => `+ ${c}`), ...plan.remove.map((c) => `- ${c}`)]
    lines.push(`vpcsc wrote ${where}, condition ${notice.result.condition}: ${plan.add.length} added, ${plan.remove.length} removed, now ${notice.result.write.written.length} CIDR${notice.result.write.written.length === 1 ? '' : 's'}.`)
    lines.push(changes.join('\n'))
    // The write stands; the error says what the run still did not do (and why it exits non-zero).
    if (error) lines.push(`Not complete (${error.code}): ${error.message}`)
  } else if (notice.skipped) {
    lines.push(`vpcsc skipped ${where}: ${notice.skipped}. Nothing was written.`)
    if (error) lines.push(`${error.message}${error.hint ? ` ${error.hint}` : ''}`)
  } else if (error) {
    const verb = notice.exitCode === 5 || notice.exitCode === 6 ? 'refused to sync' : 'failed to sync'
    lines.push(`vpcsc ${verb} ${where} (${error.code}): ${error.message}`)
  } else {
    lines.push(`vpcsc: ${where}: ${notice.result?.outcome ?? 'done'}.`)
  }
  // A partial read held these back: each is still in the level, and says why.
  const notRemoved = notice.result?.plan.partial?.notRemoved ?? []
  if (notRemoved.length > 0) lines.push(`Not removed, as ${notRemoved.length === 1 ? 'it' : 'they'} may belong to a source not read: ${notRemoved.join(', ')}.`)
  if (error?.hint && !notice.skipped) lines.push(`Next: ${error.hint}`)
  const regions = notice.regions ?? [...new Set(notice.result?.egressIps.map((e) => e.region) ?? [])]
  // The caller's own account id is unknown when sts:GetCallerIdentity failed: "own account".
  const accounts = [...new Set(notice.result?.egressIps.map((e) => (e.account.roleName ? `${e.account.id ?? '?'} (${e.account.roleName})` : (e.account.id ?? 'own account'))) ?? [])]
  if (regions.length > 0) lines.push(`NAT gateways read in: ${regions.join(', ')}${accounts.length > 0 ? `; accounts ${accounts.join(', ')}` : ''}.`)
  lines.push(`Run: ${notice.command} (exit ${notice.exitCode}).`)
  return redact(lines.filter((line) => line !== '').join('\n'))
}

/**
 * Belt and braces: nothing vpcsc puts in a message holds a credential, but an error text
 * from a library could; such shapes never leave.
 */
export function redact(text: string): string {
  return text
    .replace(/\bya29\.[\w.~+/-]+/g, '[redacted]')
    .replace(/\bBearer\s+[\w.~+/-]+=*/gi, 'Bearer [redacted]')
    .replace(/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, '[redacted]')
    .replace(/\b(access_token|id_token|refresh_token|client_secret|private_key)"?\s*[:=]\s*"?[^\s",}]+/gi, '$1=[redacted]')
}

/**
 * POSTs `{"text": text}` to the URL within the bound. Returns a warning when that failed
 * (never throws). The URL itself is never repeated: a webhook's path is its secret.
 */
export async function postNotification(url: string, text: string, timeoutMs = NOTIFY_TIMEOUT_MS): Promise<string | undefined> {
  const host = new URL(url).host
  try {
    const answer = await fetch(url, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({text}),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    })
    await answer.body?.cancel().catch(() => undefined)
    if (!answer.ok) return `The notification to ${host} was refused (HTTP ${answer.status}); the sync itself is unaffected.`
    return undefined
  } catch (error) {
    const e = error as Error & {cause?: {code?: string}}
    const why = e.name === 'TimeoutError' || e.name === 'AbortError' ? `no answer within ${timeoutMs / 1000} s` : (e.cause?.code ?? e.message)
    return `The notification to ${host} failed (${why}); the sync itself is unaffected.`
  }
}

/** Builds and sends the message when a URL is set; the warning, if the notification failed. */
export async function notifySync(url: string | undefined, notice: SyncNotice): Promise<string | undefined> {
  if (!url) return undefined
  return postNotification(url, syncMessage(notice))
}
