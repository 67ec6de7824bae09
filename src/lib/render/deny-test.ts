import chalk from 'chalk'

import type {DenyTestResult, ProgressEvent} from '../deny-test.ts'
import type {ProbeOutcome} from '../probe/classify.ts'
import type {RestoreResult} from '../restore.ts'
import {dim, mark, plural, seconds, shortName} from './text.ts'

/** A verdict in a word, coloured by what it means for the test. */
export function verdictText(outcome: ProbeOutcome): string {
  const colour = {ALLOWED: chalk.green, DENIED_VPCSC: chalk.cyan, DENIED_VPCSC_OTHER_SERVICE: chalk.yellow, DENIED_OTHER: chalk.yellow, ERROR: chalk.red}[outcome.verdict]
  return `${colour(outcome.verdict)}${outcome.service && outcome.verdict !== 'ALLOWED' ? ` (${outcome.service})` : ''}  ${dim(outcome.detail)}`
}

/** One line per step and per probe, on stderr: elapsed, attempts, last answer. */
export function renderProgress(event: ProgressEvent): string {
  if (event.message) return `${chalk.bold('→')} ${event.message}\n`
  if (!event.last) return ''
  const when = event.elapsedMs !== undefined ? ` ${seconds(event.elapsedMs).padStart(7)}` : ''
  return `  ${event.phase.padEnd(13)} #${event.attempt ?? 1}${when}  ${verdictText(event.last)}\n`
}

export function renderRestore(result: RestoreResult): string {
  const level = shortName(result.level)
  switch (result.outcome) {
    case 'discarded':
      return `${mark.ok()} The deny-test marker and journal of ${level} are discarded; the level was not written.\n`
    case 'already':
      return `${mark.ok()} ${level} holds its original IP list (the swap never landed, or was undone); the journal is removed.\n`
    case 'nothing':
      return `${mark.ok()} ${level}: no deny test holds it; nothing to do.\n`
    case 'restored':
      return `${mark.ok()} ${level} restored and its marker removed (${result.operation ?? 'confirmed by reading'}, ${seconds(result.ms)})${result.answerLost ? "; the API's answer was lost, a read confirmed it" : ''}.\n`
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
