import chalk from 'chalk'

import type {Explanation} from '../report/explain.ts'
import {dim, heading, mark, shortName} from './text.ts'

/** The human answer of `vpcsc explain`: the call, the caller IP's facts, then the fix. */
export function renderExplanation(e: Explanation): string {
  const lines: string[] = []
  const d = e.denial
  if (d) {
    lines.push(`${heading('Denial')}     ${d.uniqueId}  ${dim(d.timestamp)}`)
    lines.push(`  call       ${d.service ?? '?'} ${d.method ?? '?'}`)
    lines.push(`  caller     ${d.callerIp ?? '?'}  ${dim(`as ${d.principal ?? '?'}`)}`)
    lines.push(`  reason     ${d.violationReason ?? '?'}`)
  }
  if (e.perimeter) {
    const p = e.perimeter
    const how =
      p.call === 'dry-run' ? chalk.yellow(d ? 'DRY-RUN: logged as a violation, not blocked' : 'DRY-RUN: calls are logged, not blocked')
      : p.call === 'enforced' ? chalk.red(d ? 'ENFORCED: the call was blocked' : 'ENFORCED: calls not admitted are blocked')
      : dim('no restrictions')
    lines.push(`${heading('Perimeter')}  ${shortName(p.name)}  ${how}  ${dim(`(now ${p.mode})`)}`)
  }
  lines.push(`${heading('Caller IP')}  ${e.callerIp ?? dim('unknown')}`)
  if (e.gateway) {
    const g = e.gateway
    const where = [g.account ? `account ${g.account}${g.roleName ? ` (role ${g.roleName})` : ''}` : '', g.region, g.vpcId ?? ''].filter(Boolean).join(', ')
    lines.push(`  NAT gateway   ${g.natGatewayId}${g.name ? ` "${g.name}"` : ''} (${where}), ${g.state === 'available' ? g.state : chalk.yellow(g.state)}`)
  } else if (e.admission) {
    lines.push(`  NAT gateway   ${chalk.yellow('none of the selected NAT gateways owns it')}`)
  }
  if (e.admission) {
    const a = e.admission
    lines.push(
      a.admits
        ? `  access level  ${mark.ok()} ${shortName(a.level)} admits it now, through condition ${a.condition} (${a.cidr})`
        : `  access level  ${mark.bad()} ${shortName(a.level)} does not admit it now: no condition holds it`,
    )
  }
  const t = e.denyTest
  const when = d ? 'at that time' : 'now'
  lines.push(
    `  deny test     ${
      t.inProgress ? chalk.yellow(`${t.state === 'gone' ? 'interrupted, still holding the level' : 'in progress'} ${when} (${t.who}, level swapped to ${t.denyCidr}; ${t.basis})`)
      : d ? `no trace of one at that time ${dim('(no marker in the policy, no journal here: a finished deny test leaves neither)')}`
      : `none holding the level now ${dim('(no marker in the policy, no journal here)')}`
    }`,
  )
  for (const warning of e.warnings) lines.push(`  ${mark.warn()} ${warning}`)
  lines.push(heading('Fix'))
  for (const fix of e.fixes) lines.push(`  ${fix.command ? `${chalk.bold(`→ ${fix.command}`)}  ` : ''}${fix.text}`)
  return `${lines.join('\n')}\n`
}
