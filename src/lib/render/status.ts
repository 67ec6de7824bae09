import {stripVTControlCharacters} from 'node:util'

import {accountLabel, describeSource} from '../aws/accounts.ts'
import type {NatGatewayInfo} from '../aws/nat.ts'
import {sourceWords} from '../core/config.ts'
import {tryCidr} from '../level/drift.ts'
import type {LevelUseFields} from '../perimeter/mode.ts'
import type {StatusReport} from '../report/status.ts'
import {dim, fitTable, heading, mark, plural, shortName, out as chalk, wrapIn, type CellLine, type Layout} from './text.ts'

/**
 * The human screen of `vpcsc status`, within `layout.width` columns (the terminal's, else
 * COLUMNS, else 80): long lines wrap under their value, in a pipe too; the NAT table has no
 * borders. Hint lines (→ ...) stay whole in a pipe.
 */
export function renderStatus(report: StatusReport, layout: Layout = {width: 80, wrapHints: true}): string {
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
  lines.push(...natGateways(nat.gateways, layout.width))
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
  const partial = nat.unreadable.length > 0
  const levelDrifts = drift.missing.length > 0 || drift.stale.length > 0 || drift.unkept.length > 0
  if (!levelDrifts) {
    const kept = report.keep.length ? ' (besides kept CIDRs)' : ''
    lines.push(
      partial
        ? `  ${mark.ok()} Every NAT egress IP read is admitted and the level holds nothing else${kept}; the sources not read (above) may hold more.`
        : `  ${mark.ok()} In sync: every NAT egress IP is admitted and the level holds nothing else${kept}.`,
    )
  }
  for (const ip of drift.missing) {
    const egress = nat.egressIps.find((e) => e.ip === ip)
    lines.push(`  ${mark.bad()} ${ip} ${egress ? dim(`(${egress.natGatewayId}, ${egress.region}) `) : ''}is not admitted by the level: its callers are denied.`)
  }
  for (const cidr of drift.stale) {
    if (!drift.testNet.includes(cidr)) {
      lines.push(`  ${mark.bad()} ${cidr} matches no NAT egress IP and is not kept${partial ? ` ${dim('(or it belongs to a source that was not read)')}` : ''}.`)
    } else if (isSwapped(report)) {
      lines.push(`  ${mark.bad()} ${cidr} is a deny test's deny CIDR, not a NAT egress IP: the level is swapped.`)
    } else if (report.denyTest && sameCidr(cidr, report.denyTest.denyCidr)) {
      lines.push(`  ${mark.bad()} ${cidr} is the deny test's deny CIDR, not a NAT egress IP, and the level holds other CIDRs beside it.`)
    } else {
      // The configured deny CIDR, next to other CIDRs, and no marker or journal: no deny test
      // swapped the level (a swap leaves the deny CIDR alone), so ip sync treats it as stale.
      const sync = partial ? 'ip sync keeps it until every NAT source can be read.' : 'ip sync removes it.'
      lines.push(`  ${mark.bad()} ${cidr} is the configured deny CIDR, but no deny test claims it (no marker in the policy, no journal here) and the level holds other CIDRs too: not a swap. ${sync}`)
    }
  }
  // Named by where it is kept: a VPCSC_KEEP or a config file's "keep" is not a flag typed now.
  const keptBy = report.keepSource ? ` (${sourceWords(report.keepSource)})` : ''
  for (const cidr of drift.unkept) lines.push(`  ${mark.bad()} ${cidr} is kept${keptBy} but not in the level: ip sync adds it.`)
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
  // holds the level, ip sync refuses to write it; while a NAT source is not read, it removes nothing.
  if (levelDrifts) lines.push(`  ${dim(`→ ${driftHint(report)}`)}`)
  // Every line fits the width, a long value continuing under its value; hint lines (→ ...)
  // wrap on a terminal and stay whole in a pipe (wrapIn).
  return `${lines.map((line) => wrapIn(layout, line.trimEnd(), continuationIndent(line))).join('\n')}\n`
}

/** The level's managed list is exactly the deny CIDR: a deny test's swap (or what one left). */
function isSwapped(report: StatusReport): boolean {
  const {managedCidrs} = report.level
  return managedCidrs.length > 0 && managedCidrs.every((cidr) => report.drift.testNet.includes(cidr))
}

function sameCidr(a: string, b: string): boolean {
  const [x, y] = [tryCidr(a), tryCidr(b)]
  return x !== undefined && y !== undefined && x.prefix === y.prefix && x.address.toString() === y.address.toString()
}

/** The next step for the level's drift: what vpcsc ip sync would really do, or what must come first. */
function driftHint(report: StatusReport): string {
  const test = report.denyTest
  if (test?.running) return "This is the running deny test's swap: it ends when the test restores the level (ip sync refuses until then)."
  if (test) return 'vpcsc restore puts the level back first; then vpcsc status shows what is left.'
  const sync = syncHint(report)
  return isSwapped(report) ? `If a deny test was interrupted on another machine, run vpcsc restore there; otherwise ${sync[0]!.toLowerCase()}${sync.slice(1)}` : sync
}

/**
 * What ip sync does about the drift. While a NAT source is not read it adds what is missing
 * but removes nothing (src/lib/level/plan.ts, docs/safety.md rule 10), and exits 1: with
 * only removals pending it writes nothing, so the step is to fix the source.
 */
function syncHint(report: StatusReport): string {
  const {drift, nat} = report
  const unread = nat.unreadable.length
  if (unread === 0) return 'vpcsc ip sync --plan shows the change; vpcsc ip sync writes it.'
  const sources = unread === 1 ? 'the NAT source not read (above)' : 'the NAT sources not read (above)'
  if (drift.missing.length > 0 || drift.unkept.length > 0) return `vpcsc ip sync --plan shows the additions; vpcsc ip sync writes them but removes nothing until ${sources} can be read.`
  return `Fix ${sources} first: until ${unread === 1 ? 'it' : 'they'} can be read, vpcsc ip sync removes nothing.`
}

/**
 * The NAT gateways as a table within `width` (a role under its account, a name under its
 * gateway; a name too long, or "(secondary)", continues on the next line); on a screen too
 * narrow for the ids themselves, one short block per gateway instead.
 */
function natGateways(gateways: NatGatewayInfo[], width: number): string[] {
  if (gateways.length === 0) return []
  const whole = (text: string, colour?: (t: string) => string): CellLine => ({text, floor: text.length, colour})
  const name = (text: string): CellLine => ({text, floor: 0, colour: (t) => dim(t)})
  const state = (g: NatGatewayInfo) => (g.state === 'available' ? undefined : (t: string) => chalk.yellow(t))
  const address = (a: NatGatewayInfo['addresses'][number]) => a.publicIp ?? a.privateIp ?? '?'
  const table = fitTable(
    ['Account', 'Region', 'Gateway', 'State', 'Egress IPs'],
    gateways.map((g) => [
      [whole(accountLabel({id: g.account.id})), ...(g.account.roleName ? [name(g.account.roleName)] : [])],
      [whole(g.region)],
      [whole(g.id), ...(g.name ? [name(g.name)] : [])],
      [whole(g.state, state(g))],
      g.addresses.map((a) => ({text: `${address(a)}${a.isPrimary ? '' : ' (secondary)'}`, floor: address(a).length})),
    ]),
    width,
  )
  if (table) return table
  return gateways.flatMap((g) => [
    `  ${g.id}${g.name ? `  ${dim(g.name)}` : ''}`,
    `    ${accountLabel(g.account)}  ${g.region}  ${state(g)?.(g.state) ?? g.state}`,
    `    egress ${g.addresses.map((a) => `${address(a)}${a.isPrimary ? '' : ' (secondary)'}`).join(', ')}`,
  ])
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
