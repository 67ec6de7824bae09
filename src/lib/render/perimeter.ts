import Table from 'cli-table3'

import type {FieldChange} from '../perimeter/diff.ts'
import type {ViolationGroup, ViolationsReport} from '../perimeter/violations.ts'
import {dim, heading, mark, packFields, plural, out as chalk, wrapIn, type Layout} from './text.ts'

/** Diffs of perimeter configurations and grouped violations, for people. */

export function renderChanges(title: string, changes: FieldChange[]): string {
  const lines = [heading(title)]
  if (changes.length === 0) lines.push(`  ${dim('no change: both configurations are the same')}`)
  for (const change of changes) {
    for (const item of change.removed) lines.push(chalk.red(`  - ${change.field.padEnd(22)} ${item}`))
    for (const item of change.added) lines.push(chalk.green(`  + ${change.field.padEnd(22)} ${item}`))
  }
  return `${lines.join('\n')}\n`
}

/** 2026-11-28T18:41:20.363Z -> 2026-11-28 18:41Z: enough to read, narrow enough for a table. */
function minute(timestamp: string): string {
  return timestamp.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z')
}

/** Wide enough for the whole table; narrower screens get two lines per group. */
const TABLE_WIDTH = 160

/** A principal as people say it: a service account by name and project, not its whole address. */
export function shortPrincipal(principal: string): string {
  // A workload identity: its pool and subject say who it is; the rest is the same for all.
  const federated = /^principal(?:Set)?:\/\/.*\/workloadIdentityPools\/(.+)$/.exec(principal)
  if (federated) return federated[1]!
  const bare = principal.replace(/^(serviceAccount|user|principal):/, '')
  const sa = /^([^@]+)@([^.]+)\.iam\.gserviceaccount\.com$/.exec(bare)
  if (sa) return `${sa[1]}@${sa[2]}`
  return bare.length > 40 ? `${bare.slice(0, 39)}…` : bare
}

/** google.cloud.aiplatform.v1.PredictionService.Predict -> PredictionService.Predict */
function shortMethod(method: string): string {
  return method.split('.').slice(-2).join('.')
}

export function renderGroups(groups: ViolationGroup[], layout: Layout = {width: 80, wrapHints: true}): string {
  const {width} = layout
  if (groups.length === 0) return ''
  const admittedText = (g: ViolationGroup) => (g.admitted === undefined ? '?' : g.admitted ? chalk.green('yes') : chalk.yellow('no'))
  if (width >= TABLE_WIDTH) {
    const table = new Table({head: ['Count', 'Caller IP', 'Admitted', 'Principal', 'Service / method', 'Reason', 'First seen', 'Last seen'], style: {head: [], border: []}, wordWrap: true})
    for (const g of groups) table.push([g.count, g.callerIp, admittedText(g), shortPrincipal(g.principal), `${g.service}\n${dim(shortMethod(g.method))}`, g.reason, minute(g.firstSeen), minute(g.lastSeen)])
    return `${table.toString()}\n`
  }
  // Two lines per group (who and from where, then what and why), each within the width in a
  // pipe as on a terminal: a field that does not fit goes to the next line, under the first
  // field, whole. --json has every field.
  const lines: string[] = []
  for (const g of groups) {
    const admitted = g.admitted === undefined ? '' : g.admitted ? ` ${dim('(admitted)')}` : ` ${chalk.yellow('(not admitted)')}`
    lines.push(...packFields(`  ${String(g.count).padStart(5)}  `, [`${g.callerIp}${admitted}`, shortPrincipal(g.principal)], width, 9))
    lines.push(...packFields('         ', [`${g.service.replace(/\.googleapis\.com$/, '')} ${shortMethod(g.method)}`, g.reason, dim(`last ${minute(g.lastSeen)}`)], width, 9))
  }
  return `${lines.join('\n')}\n`
}

export function renderViolations(report: ViolationsReport, layout: Layout = {width: 80, wrapHints: true}): string {
  const {width} = layout
  const lines: string[] = []
  for (const [label, set] of [
    ['Dry-run violations (would be denied once enforced)', report.dryRun],
    ['Enforced violations (denied)', report.enforced],
  ] as const) {
    // Every line within the width, in a pipe too (README, Conventions): a heading or the
    // count line continues under its own text.
    lines.push(wrapIn(layout, heading(label)))
    lines.push(wrapIn(layout, `  ${dim(`${plural(set.entries.length, 'entry', 'entries')}${set.truncated ? ' (more: raise --limit)' : ''} since ${report.since}`)}`, 4))
    if (set.groups.length === 0) lines.push(`  ${mark.ok()} none`)
    else lines.push(renderGroups(set.groups, layout).trimEnd())
  }
  const notAdmitted = [...new Set([...report.dryRun.groups, ...report.enforced.groups].filter((g) => g.admitted === false).map((g) => g.callerIp))]
  // A warning wraps with a hanging indent, under its text.
  if (notAdmitted.length > 0) lines.push(wrapIn(layout, `${mark.warn()} Not admitted by the access level: ${notAdmitted.join(', ')} ${dim('(a NAT IP among them? vpcsc ip sync)')}`))
  const groups = report.dryRun.groups.length + report.enforced.groups.length
  if (groups > 0 && width < TABLE_WIDTH) lines.push(wrapIn(layout, dim(`→ Shortened to fit ${width} columns: --json has every field (full names, first seen).`)))
  return `${lines.join('\n')}\n`
}
