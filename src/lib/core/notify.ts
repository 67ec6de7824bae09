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
  /** A written sync. */
  result?: LevelSyncResult
  /** A refusal or failure. */
  error?: {code: string; message: string; hint?: string}
  /** Why nothing was attempted (a deny test holds the level). */
  skipped?: string
}

/** The message, in plain text (it reads the same in a chat and in a log). */
export function syncMessage(notice: SyncNotice): string {
  const level = notice.result?.level ?? notice.level
  const where = level ? `${shortName(level)} (${level})` : 'the access level'
  const lines: string[] = []
  if (notice.result?.write) {
    const {plan} = notice.result
    const changes = [...plan.add.map((c) => `+ ${c}`), ...plan.remove.map((c) => `- ${c}`)]
    lines.push(`vpcsc wrote ${where}, condition ${notice.result.condition}: ${plan.add.length} added, ${plan.remove.length} removed, now ${notice.result.write.written.length} CIDR${notice.result.write.written.length === 1 ? '' : 's'}.`)
    lines.push(changes.join('\n'))
  } else if (notice.skipped) {
    lines.push(`vpcsc skipped ${where}: ${notice.skipped}. Nothing was written.`)
    if (notice.error) lines.push(`${notice.error.message}${notice.error.hint ? ` ${notice.error.hint}` : ''}`)
  } else if (notice.error) {
    const verb = notice.exitCode === 5 || notice.exitCode === 6 ? 'refused to sync' : 'failed to sync'
    lines.push(`vpcsc ${verb} ${where} (${notice.error.code}): ${notice.error.message}`)
    if (notice.error.hint) lines.push(`Next: ${notice.error.hint}`)
  } else {
    lines.push(`vpcsc: ${where}: ${notice.result?.outcome ?? 'done'}.`)
  }
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
