import {accountLabel, describeSource} from '../aws/accounts.ts'
import type {NatDiscovery} from '../aws/nat.ts'
import type {SyncPlan} from '../level/plan.ts'
import type {SyncWrite} from '../level/sync.ts'
import type {TfvarsChange} from '../level/tfvars.ts'
import {dim, mark, plural, seconds, shortName, out as chalk} from './text.ts'

/** The plan as a diff: + added, - removed, unchanged in between, each with its source. */
export function renderPlan(level: string, condition: number, plan: SyncPlan, nat: NatDiscovery, keep: string[]): string {
  const source = (cidr: string): string => {
    const ip = cidr.replace(/\/(32|128)$/, '')
    const egress = nat.egressIps.find((e) => e.ip === ip)
    if (egress) return `${egress.natGatewayId} (${egress.region}, ${accountLabel(egress.account)})`
    if (keep.includes(cidr)) return 'kept'
    if (plan.partial?.notRemoved.includes(cidr)) return 'kept: may belong to an unread source'
    return ''
  }
  const width = Math.max(...[...plan.add, ...plan.remove, ...plan.unchanged].map((c) => c.length), 0) + 2
  const lines = [`Plan for ${shortName(level)}, condition ${condition}${plan.partial ? chalk.yellow(' (PARTIAL: not every source was read)') : ''}:`]
  for (const cidr of plan.unchanged) lines.push(`    ${cidr.padEnd(width)}${dim(source(cidr))}`)
  const formerly = (cidr: string): string => {
    const ip = cidr.replace(/\/(32|128)$/, '')
    const gone = nat.gateways.find((g) => g.state !== 'available' && g.addresses.some((a) => a.publicIp === ip))
    return gone ? `was ${gone.id}, now ${gone.state} (${accountLabel(gone.account)})` : 'matches no selected NAT gateway'
  }
  for (const cidr of plan.remove) lines.push(chalk.red(`  - ${cidr.padEnd(width)}`) + dim(formerly(cidr)))
  for (const cidr of plan.add) lines.push(chalk.green(`  + ${cidr.padEnd(width)}`) + dim(source(cidr)))
  lines.push(`${plural(plan.add.length, 'to add', 'to add')}, ${plan.remove.length} to remove, ${plan.unchanged.length} unchanged.`)
  if (plan.partial) {
    lines.push(chalk.yellow(`Partial read: nothing is removed while ${plural(plan.partial.unreadable.length, 'source is', 'sources are')} unreadable:`))
    for (const u of plan.partial.unreadable) lines.push(`  ${mark.bad()} ${describeSource(u)}: ${u.code}`)
  }
  return `${lines.join('\n')}\n`
}

export function renderWritten(level: string, plan: SyncPlan, write: SyncWrite): string {
  return (
    `${mark.ok()} ${shortName(level)} now holds ${plural(write.written.length, 'CIDR')}: ${plan.add.length} added, ${plan.remove.length} removed ` +
    `${dim(`(${write.method}${write.operation ? `, ${write.operation}` : ''}, ${seconds(write.writeMs)})`)}.\n` +
    (write.answerLost ? `${dim("The API's answer was lost; vpcsc read the level back and it holds exactly this list.")}\n` : '') +
    (write.writtenByAnother ? `${dim('Another write (an earlier run still pending?) put exactly this list in place while ours waited; ours was not sent again.')}\n` : '') +
    (write.retriedWithFreshEtag ? `${dim('Another change elsewhere in the access policy came first; vpcsc wrote again against it.')}\n` : '') +
    `${dim('Access level changes can take up to 30 minutes to take effect everywhere.')}\n`
  )
}

/** The tfvars file's change: the variable's diff when planned, one line once written. */
export function renderTfvarsChange(change: TfvarsChange, stage: 'planned' | 'written'): string {
  const where = `${change.file} ("${change.variable}")`
  if (!change.changed) return `${mark.ok()} ${where} already holds the level's list.\n`
  if (stage === 'written') return `${mark.ok()} ${where} now holds ${plural(change.after.length, 'CIDR')}: ${change.after.join(', ')}.\n`
  const lines = [`Plan for ${where}${change.before === undefined ? ' (the variable is new)' : ''}:`]
  for (const cidr of change.before ?? []) if (!change.remove.includes(cidr)) lines.push(`    ${cidr}`)
  for (const cidr of change.remove) lines.push(chalk.red(`  - ${cidr}`))
  for (const cidr of change.add) lines.push(chalk.green(`  + ${cidr}`))
  if (change.add.length === 0 && change.remove.length === 0) lines.push(dim('  same CIDRs, in the level\'s order'))
  return `${lines.join('\n')}\n`
}
