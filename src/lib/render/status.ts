import {stripVTControlCharacters} from 'node:util'

import Table from 'cli-table3'

import {accountLabel, describeSource} from '../aws/accounts.ts'
import type {LevelUseFields} from '../perimeter/mode.ts'
import type {StatusReport} from '../report/status.ts'
import {dim, heading, mark, plural, shortName, out as chalk, PLAIN_TABLE, wrapIn, type Layout} from './text.ts'

/**
 * The human screen of `vpcsc status`, within `layout.width` columns (80 in a pipe): on a
 * terminal long lines wrap under their value; the NAT table has no borders.
 */
export function renderStatus(report: StatusReport, layout: Layout = {width: 80, wrap: true}): string {
  const lines: string[] = []
  const {policy, level, perimeter, nat, drift} = report

  lines.push(`${heading('Policy')}     ${policy.name}${policy.title ? `  ${dim(`"${policy.title}"`)}` : ''}`)
  if (policy.scopes?.length) lines.push(`           ${dim(`scope ${policy.scopes.join(', ')}`)}`)

  lines.push(`${heading('Level')}      ${shortName(level.name)}${level.title ? `  ${dim(`"${level.title}"`)}` : ''}`)
  lines.push(`           ${dim(`${plural(level.conditions.length, 'condition')}, combined with ${level.combiningFunction ?? 'AND'}`)}`)
  for (const condition of level.conditions) {
    const managed = condition.index === level.managedCondition
    const parts: string[] = []
    if (condition.ipSubnetworks?.length) parts.push(`ipSubnetworks ${condition.ipSubnetworks.join(', ')}`)
    if (condition.members?.length) parts.push(`members ${condition.members.join(', ')}`)
    if (condition.regions?.length) parts.push(`regions ${condition.regions.join(', ')}`)
    if (condition.requiredAccessLevels?.length) parts.push(`requires ${condition.requiredAccessLevels.map(shortName).join(', ')}`)
    if (condition.devicePolicy) parts.push('device policy')
    if (condition.negate) parts.push('negated')
    lines.push(`  ${managed ? chalk.cyan(`condition ${condition.index} (vpcsc)`) : `condition ${condition.index}        `}  ${parts.join('; ') || dim('empty')}`)
  }
  if (level.managedProblem) lines.push(`  ${mark.warn()} ${level.managedProblem}`)

  if (perimeter) {
    const modeText = {enforced: chalk.green('ENFORCED'), 'dry-run': chalk.yellow('DRY-RUN'), 'enforced+dry-run': `${chalk.green('ENFORCED')} + ${chalk.yellow('DRY-RUN spec')}`, empty: chalk.red('EMPTY')}[perimeter.mode]
    lines.push(`${heading('Perimeter')}  ${shortName(perimeter.name)}  ${modeText}`)
    lines.push(`  resources            ${perimeter.resources.join(', ') || dim('none')}`)
    lines.push(`  restricted services  ${perimeter.restrictedServices.join(', ') || dim('none')}`)
    lines.push(`  uses the level       ${levelUseText(perimeter) ?? chalk.yellow('no: the level admits nobody through this perimeter')}`)
    if (perimeter.dryRun) {
      const dry = perimeter.dryRun
      lines.push(`  dry-run spec         ${dry.restrictedServices.join(', ') || dim('no services')}; level ${levelUseText(dry) ?? 'not used'}`)
      lines.push(`  vs enforced          ${dry.differs}`)
      lines.push(
        `  dry-run violations   ${
          dry.violations24h === undefined ? chalk.yellow(`unknown (${dry.violationsProblem ?? 'not read'})`)
          : dry.violations24h === 0 ? `${mark.ok()} none in 24 h`
          : `${mark.bad()} ${dry.violations24h} in 24 h ${dim('(vpcsc violations)')}`
        }`,
      )
    }
  } else {
    lines.push(`${heading('Perimeter')}  ${dim('not configured (set --perimeter or VPCSC_PERIMETER to see it)')}`)
  }

  lines.push(`${heading('NAT gateways')}  ${dim(nat.regions.join(', '))}`)
  if (nat.gateways.length > 0) {
    // Second lines (the role under the account, the name under the gateway) keep the table
    // within 80 columns now that it has an account column.
    const table = new Table({...PLAIN_TABLE, head: ['Account', 'Region', 'Gateway', 'State', 'Egress IPs'].map((h) => dim(h))})
    for (const gateway of nat.gateways) {
      const ips = gateway.addresses.map((a) => `${a.publicIp ?? a.privateIp ?? '?'}${a.isPrimary ? '' : ' (secondary)'}`).join('\n')
      const account = accountLabel({id: gateway.account.id}) + (gateway.account.roleName ? `\n${dim(gateway.account.roleName)}` : '')
      table.push([account, gateway.region, gateway.id + (gateway.name ? `\n${dim(gateway.name)}` : ''), gateway.state === 'available' ? gateway.state : chalk.yellow(gateway.state), ips])
    }
    lines.push(...table.toString().split('\n').map((line) => `  ${line.trimEnd()}`))
  }
  for (const warning of nat.warnings) lines.push(`  ${mark.warn()} ${warning}`)
  for (const u of nat.unreadable) lines.push(`  ${mark.bad()} ${chalk.red('not read:')} ${describeSource(u)}: ${u.message}`)

  if (report.denyTest) {
    const t = report.denyTest
    lines.push(heading('Deny test'))
    lines.push(
      t.running
        ? `  ${mark.warn()} A deny test is running on this level (${t.who}${t.owner === 'running-elsewhere' ? ', on another host' : ''}): the level holds ${t.denyCidr} until it restores.`
        : t.marker
          ? `  ${mark.bad()} A deny test was interrupted (${t.who}) and left the level swapped to ${t.denyCidr}. ${chalk.bold('→ vpcsc restore')}`
          : `  ${mark.bad()} A deny test was interrupted (${t.who}) after sending a swap to ${t.denyCidr} that never showed up; its journal remains. ${chalk.bold('→ vpcsc restore')}`,
    )
  }
  lines.push(heading('Drift'))
  const levelDrifts = drift.missing.length > 0 || drift.stale.length > 0 || drift.unkept.length > 0
  if (!levelDrifts) {
    lines.push(`  ${mark.ok()} In sync: every NAT egress IP is admitted and the level holds nothing else${report.keep.length ? ' (besides kept CIDRs)' : ''}.`)
  }
  for (const ip of drift.missing) {
    const egress = nat.egressIps.find((e) => e.ip === ip)
    lines.push(`  ${mark.bad()} ${ip} ${egress ? dim(`(${egress.natGatewayId}, ${egress.region}) `) : ''}is not admitted by the level: its callers are denied.`)
  }
  for (const cidr of drift.stale) {
    const unsure = nat.unreadable.length > 0 ? ` ${dim('(or it belongs to a source that was not read)')}` : ''
    lines.push(
      drift.testNet.includes(cidr)
        ? `  ${mark.bad()} ${cidr} is a deny test's deny CIDR, not a NAT egress IP: the level is swapped.`
        : `  ${mark.bad()} ${cidr} matches no NAT egress IP and is not kept.${unsure}`,
    )
  }
  for (const cidr of drift.unkept) lines.push(`  ${mark.bad()} ${cidr} is kept (--keep) but not in the level: ip sync adds it.`)
  const terraform = drift.terraform
  if (terraform?.reverts) {
    const changes = [terraform.wouldRemove.length ? `remove ${terraform.wouldRemove.join(', ')}` : '', terraform.wouldAdd.length ? `add ${terraform.wouldAdd.join(', ')}` : ''].filter(Boolean).join(' and ')
    const why = terraform.problem ? `${terraform.problem}` : `terraform apply would ${changes || 'reorder the list'}`
    lines.push(`  ${mark.bad()} Terraform would revert the level: ${terraform.file} ("${terraform.variable}") does not hold its list; ${why}.`)
    lines.push(`  ${dim(`→ vpcsc ip sync --tfvars ${terraform.file} puts the level's list in the file (or terraform apply, when the file is the one that is right).`)}`)
  } else if (terraform) {
    lines.push(`  ${mark.ok()} ${terraform.file} ("${terraform.variable}") holds the level's list: terraform apply keeps it.`)
  }
  // One next step, and never one another part of the screen contradicts: while a deny test
  // holds the level, ip sync refuses to write it.
  if (levelDrifts) {
    const test = report.denyTest
    const hint =
      test?.running ? 'This is the running deny test\'s swap: it ends when the test restores the level (ip sync refuses until then).'
      : test ? 'vpcsc restore puts the level back first; then vpcsc status shows what is left.'
      : drift.testNet.length > 0 ? 'If a deny test was interrupted on another machine, run vpcsc restore there; otherwise vpcsc ip sync --plan shows the fix.'
      : 'vpcsc ip sync --plan shows the change; vpcsc ip sync writes it.'
    lines.push(`  ${dim(`→ ${hint}`)}`)
  }
  // Hint lines (→ ...) wrap like the rest; continuation lines keep the item's indent.
  return `${lines.map((line) => wrapIn(layout, line, continuationIndent(line))).join('\n')}\n`
}

/** Where a perimeter's configuration uses the level, in words; undefined when it does not. */
function levelUseText(use: LevelUseFields): string | undefined {
  const places = [use.levelInAccessLevels && 'access levels', use.levelInIngressSources && 'ingress sources', use.levelInEgressSources && 'egress sources'].filter((place) => place !== false)
  if (places.length === 0) return undefined
  const through = use.levelRequiredBy.length > 0 ? ` (required by ${use.levelRequiredBy.map(shortName).join(', ')})` : ''
  // An egress rule's source lets calls out of the perimeter, and admits nobody into it.
  if (!use.levelInAccessLevels && !use.levelInIngressSources) return `${chalk.yellow('only in egress sources')}${through}: admits nobody in`
  return `in ${places.join(' and ')}${through}`
}

/** Where a wrapped line continues: under the value of a `label   value` line, else under the text. */
function continuationIndent(line: string): number {
  const plain = stripVTControlCharacters(line)
  const labelled = /^(\s*\S+(?: \S+)*?(?:\s{2,}|\)\s+))\S/.exec(plain)
  if (labelled && labelled[1]!.length < 30) return labelled[1]!.length
  return (/^\s*(?:[✓✗!] )?/.exec(plain)?.[0].length ?? 0) + 2
}
