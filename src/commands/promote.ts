import * as Flags from '@oclif/core/flags'

import {VpcscCommand} from '../cli/base-command.ts'
import {confirmWrite, refuseToAskWithJson} from '../cli/confirm.ts'
import {googleFlags, logFlags} from '../cli/flags.ts'
import {CLIENT_SETTINGS, createClients} from '../lib/core/clients.ts'
import {parseSince} from '../lib/core/config.ts'
import {ASKING_EXIT_CODES_HELP} from '../lib/core/errors.ts'
import type {FieldChange} from '../lib/perimeter/diff.ts'
import type {PerimeterWrite} from '../lib/perimeter/write.ts'
import {applyPromote, applyPromoteAll, checkGate, confirmedBy, preparePromote, preparePromoteAll, promoteWarnings, unsaidWarnings, type Gate} from '../lib/perimeter/promote.ts'
import {renderChanges, renderGroups} from '../lib/render/perimeter.ts'
import {dim, mark, layoutFor, plural, seconds, shortName} from '../lib/render/text.ts'

export interface PromoteResult {
  outcome: 'promoted' | 'declined'
  perimeters: {name: string; changes: FieldChange[]; gate: Gate}[]
  write?: PerimeterWrite | {operation?: string; answerLost: boolean}
  /** Also shown in the human output: perimeters promoted past violations (--force), a lost answer. */
  warnings: string[]
  timingsMs: {total: number}
}

export default class Promote extends VpcscCommand {
  static override summary = 'Enforce the perimeter\'s dry-run spec once the logs show it would deny nobody.'
  static override description = `1. Reads the perimeter; refuses (exit 5) without an explicit dry-run spec.
2. Shows what enforcing changes: the spec against the enforced status.
3. Gate: counts the dry-run violations since --since; any found: refuses (exit 5) and shows them, unless --force.
4. Asks (or --yes), then writes the move as one PATCH (updateMask=spec,status,useExplicitDryRunSpec) carrying the perimeter etag, waits for the operation and reads the perimeter back.
Enforcement can take up to 30 minutes to propagate; then run vpcsc deny-test.
--all promotes every dry-run perimeter of the policy at once (servicePerimeters:commit with the policy etag), listing each first.

${ASKING_EXIT_CODES_HELP}`
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --since 14d --yes', '<%= config.bin %> <%= command.id %> --all']
  // The gate reads the level (which caller IPs it admits) and the project number (when a
  // perimeter lists no project). The perimeter is a need without --all, and then used; --all
  // reads every perimeter of the policy instead. The gate's violations come from Cloud Logging.
  static override uses = ['policy', 'level', 'projectNumber', 'loggingEndpoint', ...CLIENT_SETTINGS] as const
  static override flags = {
    ...googleFlags,
    // --since, as violations and explain name it; --lookback was its first name.
    since: Flags.string({description: 'How far back dry-run violations are counted: a duration (24h, 7d) or an RFC 3339 timestamp.', default: '7d', aliases: ['lookback'], deprecateAliases: true}),
    force: Flags.boolean({description: 'Promote even though dry-run violations were found (they are shown first), or the perimeter came without an etag.'}),
    all: Flags.boolean({description: 'Promote EVERY perimeter of the policy that has a dry-run spec (servicePerimeters:commit).'}),
    yes: Flags.boolean({char: 'y', description: 'Write without asking (--json needs it: it never asks).'}),
    ...logFlags,
  }

  async run(): Promise<PromoteResult> {
    const started = Date.now()
    const {flags} = await this.parse(Promote)
    const since = parseSince(flags.since)
    const settings = await this.settingsFrom(flags, flags.all ? ['policy'] : ['perimeter'])
    if (!flags.yes) refuseToAskWithJson(this.jsonEnabled())
    const clients = createClients(settings)
    const human = !this.jsonEnabled()
    const show = (name: string, changes: FieldChange[], gate: Gate) => {
      if (!human) return
      this.show(() => renderChanges(`Enforcing the dry-run spec of ${shortName(name)} changes:`, changes))
      this.log(
        gate.count === 0
          ? `${mark.ok()} No dry-run violation since ${gate.since}.`
          : `${mark.bad()} ${plural(gate.count, 'dry-run violation')}${gate.truncated ? '+' : ''} since ${gate.since}:\n${renderGroups(gate.groups, layoutFor()).trimEnd()}`,
      )
    }

    if (flags.all) {
      const plan = await this.step('Reading the policy, its perimeters and the audit logs', () => preparePromoteAll(settings, clients, {since, limit: flags.limit}))
      for (const p of plan.perimeters) show(p.perimeter.name, p.changes, p.gate)
      const perimeters = plan.perimeters.map((p) => ({name: p.perimeter.name, changes: p.changes, gate: p.gate}))
      for (const p of plan.perimeters) checkGate(p, flags.force)
      this.log(`servicePerimeters:commit promotes ${plural(plan.perimeters.length, 'perimeter')}: ${plan.perimeters.map((p) => shortName(p.perimeter.name)).join(', ')}.`)
      if (!flags.yes && !(await confirmWrite(`Enforce all ${plan.perimeters.length} dry-run specs of ${plan.policy}?`))) return {outcome: 'declined', perimeters, warnings: [], timingsMs: {total: Date.now() - started}}
      const write = await this.step('Committing', () => this.duringWrite((signal) => applyPromoteAll(plan, clients, {signal})))
      this.log(`${mark.ok()} Promoted ${plural(plan.perimeters.length, 'perimeter')} (${confirmedBy(write, 'every perimeter')}).\n${dim('Enforcement can take up to 30 minutes to propagate; then run vpcsc deny-test.')}`)
      const warnings = promoteWarnings(perimeters, write)
      for (const warning of unsaidWarnings(warnings, write)) this.note(`! ${warning}`)
      return {outcome: 'promoted', perimeters, write, warnings, timingsMs: {total: Date.now() - started}}
    }

    const plan = await this.step('Reading the perimeter and the audit logs', () => preparePromote(settings, clients, {since, limit: flags.limit}))
    show(plan.perimeter.name, plan.changes, plan.gate)
    checkGate(plan, flags.force)
    const perimeters = [{name: plan.perimeter.name, changes: plan.changes, gate: plan.gate}]
    if (!flags.yes && !(await confirmWrite(`Enforce the dry-run spec of ${shortName(plan.perimeter.name)}?`))) return {outcome: 'declined', perimeters, warnings: [], timingsMs: {total: Date.now() - started}}
    const write = await this.step('Promoting', () => this.duringWrite((signal) => applyPromote(plan, clients, {force: flags.force, signal})))
    this.log(`${mark.ok()} ${shortName(plan.perimeter.name)} now enforces its former dry-run spec (${confirmedBy(write, 'it')}, ${seconds(write.writeMs)}).`)
    this.log(dim('Enforcement can take up to 30 minutes to propagate; then run vpcsc deny-test to prove it denies.'))
    const warnings = promoteWarnings(perimeters, write, !plan.perimeter.etag)
    for (const warning of unsaidWarnings(warnings, write)) this.note(`! ${warning}`)
    return {outcome: 'promoted', perimeters, write, warnings, timingsMs: {total: Date.now() - started}}
  }
}
