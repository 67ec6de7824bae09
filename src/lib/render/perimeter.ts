import chalk from 'chalk'
import Table from 'cli-table3'

import type {FieldChange} from '../perimeter-diff.ts'
import type {ViolationGroup, ViolationsReport} from '../violations.ts'
import {dim, heading, mark, plural} from './text.ts'

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

export function renderGroups(groups: ViolationGroup[]): string {
  if (groups.length === 0) return ''
  const table = new Table({head: ['Count', 'Caller IP', 'Admitted', 'Principal', 'Service / method', 'Reason', 'First seen', 'Last seen'], style: {head: [], border: []}, wordWrap: true})
  for (const g of groups) {
    const admitted = g.admitted === undefined ? '?' : g.admitted ? chalk.green('yes') : chalk.yellow('no')
    table.push([g.count, g.callerIp, admitted, g.principal, `${g.service}\n${dim(g.method)}`, g.reason, minute(g.firstSeen), minute(g.lastSeen)])
  }
  return `${table.toString()}\n`
}

export function renderViolations(report: ViolationsReport): string {
  const lines: string[] = []
  for (const [label, set] of [
    ['Dry-run violations (would be denied once enforced)', report.dryRun],
    ['Enforced violations (denied)', report.enforced],
  ] as const) {
    lines.push(`${heading(label)}  ${dim(`${plural(set.entries.length, 'entry', 'entries')}${set.truncated ? ' (more: raise --limit)' : ''} since ${report.since}`)}`)
    if (set.groups.length === 0) lines.push(`  ${mark.ok()} none`)
    else lines.push(renderGroups(set.groups).trimEnd())
  }
  const notAdmitted = [...new Set([...report.dryRun.groups, ...report.enforced.groups].filter((g) => g.admitted === false).map((g) => g.callerIp))]
  if (notAdmitted.length > 0) lines.push(`${mark.warn()} Not admitted by the access level: ${notAdmitted.join(', ')} ${dim('(a NAT IP among them? vpcsc ip sync)')}`)
  return `${lines.join('\n')}\n`
}
