import * as Flags from '@oclif/core/flags'

import {VpcscCommand} from '../cli/base-command.ts'
import {confirmWrite, refuseToAskWithJson} from '../cli/confirm.ts'
import {googleFlags} from '../cli/flags.ts'
import {CLIENT_SETTINGS, createClients} from '../lib/core/clients.ts'
import {ASKING_EXIT_CODES_HELP} from '../lib/core/errors.ts'
import type {FieldChange} from '../lib/perimeter/diff.ts'
import type {PerimeterWrite} from '../lib/perimeter/write.ts'
import {applyDemote, confirmedBy, prepareDemote, unsaidWarnings, writeWarnings} from '../lib/perimeter/promote.ts'
import {renderChanges} from '../lib/render/perimeter.ts'
import {dim, mark, shortName} from '../lib/render/text.ts'

export interface DemoteResult {
  outcome: 'demoted' | 'declined'
  perimeter: string
  changes: FieldChange[]
  write?: PerimeterWrite
  /** Also shown in the human output: a lost answer, a write without compare-and-swap. */
  warnings: string[]
}

export default class Demote extends VpcscCommand {
  static override summary = 'Move the perimeter back from enforced to dry-run, keeping its configuration.'
  static override description = `The enforced configuration becomes the dry-run spec (useExplicitDryRunSpec true) and nothing stays enforced, in one PATCH (updateMask=spec,status,useExplicitDryRunSpec) with the perimeter etag; the operation is waited for and the perimeter read back. vpcsc promote puts it back exactly. Refuses (exit 5) when the perimeter is already dry-run only, or has a different dry-run spec that this would overwrite.

${ASKING_EXIT_CODES_HELP}`
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --yes --json']
  static override needs = ['perimeter'] as const
  static override uses = ['policy', 'perimeter', ...CLIENT_SETTINGS] as const
  static override flags = {
    ...googleFlags,
    yes: Flags.boolean({char: 'y', description: 'Write without asking (--json needs it: it never asks).'}),
    force: Flags.boolean({description: 'Write even when the perimeter came without an etag (no compare-and-swap: it is re-read and compared right before the PATCH).'}),
  }

  async run(): Promise<DemoteResult> {
    const {flags} = await this.parse(Demote)
    const settings = await this.settingsFrom(flags)
    if (!flags.yes) refuseToAskWithJson(this.jsonEnabled())
    const clients = createClients(settings)
    const plan = await this.step('Reading the perimeter', () => prepareDemote(settings, clients))
    const result: DemoteResult = {outcome: 'declined', perimeter: plan.perimeter.name, changes: plan.changes, warnings: []}
    this.show(() => renderChanges(`Demoting ${shortName(plan.perimeter.name)} stops enforcing:`, plan.changes))
    if (!flags.yes && !(await confirmWrite(`Stop enforcing ${shortName(plan.perimeter.name)} (it stays as a dry-run spec)?`))) return result
    const write = await this.step('Demoting', () => this.duringWrite((signal) => applyDemote(plan, clients, {force: flags.force, signal})))
    this.log(`${mark.ok()} ${shortName(plan.perimeter.name)} is dry-run only now (${confirmedBy(write, 'it')}); vpcsc promote enforces it again.`)
    this.log(dim('Changes can take up to 30 minutes to propagate.'))
    const warnings = writeWarnings(write, !plan.perimeter.etag)
    for (const warning of unsaidWarnings(warnings, write)) this.note(`! ${warning}`)
    return {...result, outcome: 'demoted', write, warnings}
  }
}
