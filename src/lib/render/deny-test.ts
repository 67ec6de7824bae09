import {stripVTControlCharacters} from 'node:util'

import type {DenyTestResult, ProgressEvent} from '../deny-test/run.ts'
import type {ProbeOutcome} from '../deny-test/probe/classify.ts'
import type {RestoreResult} from '../deny-test/restore.ts'
import {dim, err, mark, out as chalk, plural, seconds, shortName} from './text.ts'
import type {ChalkInstance} from 'chalk'

/** A verdict in a word, coloured by what it means for the test. */
export function verdictText(outcome: ProbeOutcome, c: ChalkInstance = chalk): string {
  return `${verdictWord(outcome, c)}${outcome.service && outcome.verdict !== 'ALLOWED' ? ` (${outcome.service})` : ''}  ${dim(outcome.detail, c)}`
}

function verdictWord(outcome: ProbeOutcome, c: ChalkInstance): string {
  const colour = {ALLOWED: c.green, DENIED_VPCSC: c.cyan, DENIED_VPCSC_OTHER_SERVICE: c.yellow, DENIED_OTHER: c.yellow, ERROR: c.red}[outcome.verdict]
  return colour(outcome.verdict)
}

/** The answer in a few words (verdict, HTTP status, denying service), never the whole 403 body. */
export function shortAnswer(outcome: ProbeOutcome, c: ChalkInstance = err): string {
  const status = outcome.httpStatus ? `HTTP ${outcome.httpStatus}` : outcome.verdict === 'ERROR' ? outcome.detail.replace(/\s+/g, ' ').slice(0, 40) : ''
  const service = outcome.service && outcome.verdict !== 'ALLOWED' ? outcome.service.replace(/\.googleapis\.com$/, '') : ''
  const extra = [status, service].filter(Boolean).join(', ')
  return `${verdictWord(outcome, c)}${extra ? ` ${dim(extra, c)}` : ''}`
}

/**
 * One progress line for a probe: phase, attempt, elapsed time, the last answer in short and,
 * while waiting, the time to the next probe. `sinceMs` is how long ago the event came (a live
 * line ticks on between probes); the line never exceeds `width` columns (pieces drop from
 * the end first).
 */
export function probeLine(event: ProgressEvent, opts: {sinceMs?: number; width?: number; countdown?: boolean; c?: ChalkInstance} = {}): string {
  const c = opts.c ?? err
  const since = opts.sinceMs ?? 0
  const head = `  ${event.phase.padEnd(13)} #${event.attempt ?? 1}${event.elapsedMs === undefined ? '' : ` ${seconds(event.elapsedMs + since).padStart(7)}`}`
  const pieces = [head, event.last ? shortAnswer(event.last, c) : '']
  if (opts.countdown && event.nextInMs !== undefined) {
    const left = Math.ceil((event.nextInMs - since) / 1000)
    pieces.push(dim(left > 0 ? `next probe in ${left} s` : 'probing...', c))
  }
  const width = opts.width ?? Number.POSITIVE_INFINITY
  let kept = pieces.filter(Boolean)
  while (kept.length > 1 && stripVTControlCharacters(kept.join('  ')).length > width) kept = kept.slice(0, -1)
  return kept.join('  ')
}

/** A step of the test, for the progress on stderr. */
export function stepLine(message: string, c: ChalkInstance = err): string {
  return `${c.bold('→')} ${message}`
}

/** Pipes and CI: one line per step and per probe; see src/cli/progress.ts for the live line. */
export function renderProgress(event: ProgressEvent): string {
  if (event.message) return `${stepLine(event.message)}\n`
  if (!event.last) return ''
  return `${probeLine(event)}\n`
}

export function renderRestore(result: RestoreResult): string {
  const level = shortName(result.level)
  switch (result.outcome) {
    case 'discarded':
      return `${mark.ok()} The deny-test marker and journal of ${level} are discarded; the level was not written.\n`
    case 'already':
      return result.stale
        ? `${mark.ok()} ${level} holds no deny CIDR (its list is now [${result.stale.now.join(', ')}], changed since the test); the journal is removed. Its list before the test was [${result.stale.before.join(', ')}]: vpcsc status shows whether the level fits the NAT gateways.\n`
        : `${mark.ok()} ${level} holds its original IP list (the swap never landed, or was undone); the journal is removed.\n`
    case 'nothing':
      return `${mark.ok()} ${level}: no deny test holds it; nothing to do.\n`
    case 'restored':
      return `${mark.ok()} ${level} restored ${result.fromJournal ? 'from the local journal (its marker was gone)' : 'and its marker removed'} (${result.operation ?? 'confirmed by reading'}, ${seconds(result.ms)})${result.answerLost ? "; the API's answer was lost, a read confirmed it" : ''}.\n`
  }
}

export function renderDenyTest(result: DenyTestResult): string {
  const lines: string[] = []
  const level = shortName(result.level)
  const perimeter = shortName(result.perimeter)
  switch (result.outcome) {
    case 'pass':
      lines.push(`${chalk.green.bold('PASS')}  ${perimeter} denied Vertex AI once ${level} held only ${result.denyCidr}, and the level is restored.`)
      break
    case 'not-denied':
      lines.push(`${chalk.red.bold('FAIL')}  Vertex AI was still answering ${result.denial ? `after ${seconds(result.denial.elapsedMs)}` : ''} with ${level} swapped to ${result.denyCidr}: the perimeter did not deny. The level is restored.`)
      lines.push(dim('  Check that the perimeter restricts aiplatform.googleapis.com for this project, and that no other level or ingress rule admits the caller. Propagation can take up to 30 minutes (--timeout).'))
      break
    case 'denied-otherwise':
      lines.push(`${chalk.red.bold('FAIL')}  The call was denied, but not by VPC Service Controls for Vertex AI (${result.denial?.last.verdict}${result.denial?.last.service ? `, ${result.denial.last.service}` : ''}): that proves nothing about the perimeter. The level is restored.`)
      lines.push(dim(`  ${result.denial?.last.detail ?? ''}`))
      break
    case 'not-recovered':
      lines.push(`${chalk.red.bold('FAIL')}  The perimeter denied, and ${level} is restored, but the call was not allowed again within the timeout.`)
      lines.push(dim('  Propagation can take up to 30 minutes; vpcsc status shows the level. Probe again later.'))
      break
    case 'declined':
      lines.push('Nothing was changed.')
      break
    case 'interrupted':
      lines.push(`${chalk.yellow.bold('INTERRUPTED')}  ${result.restore ? `${level} is restored.` : 'Nothing was changed.'}`)
      break
  }
  if (result.denial?.reached) {
    lines.push(`  time to deny     ${seconds(result.denial.elapsedMs)} ${dim(`(${plural(result.denial.attempts, 'probe')})`)}`)
  }
  if (result.recovery && !('skipped' in result.recovery)) {
    lines.push(`  time to recover  ${seconds(result.recovery.elapsedMs)} ${dim(`(${plural(result.recovery.attempts, 'probe')})`)}`)
  } else if (result.recovery) {
    lines.push(`  time to recover  ${dim('not waited for (--no-recovery-wait)')}`)
  }
  if (result.evidence) lines.push(`  evidence         vpcServiceControlsUniqueIdentifier ${result.evidence} ${dim('(find it in the audit logs)')}`)
  return `${lines.join('\n')}\n`
}
