import {Flags} from '@oclif/core'

import {VpcscCommand} from '../../cli/base-command.ts'
import {confirmWrite} from '../../cli/confirm.ts'
import {awsFlags, googleFlags, keepFlag, levelConditionFlag, tfvarsFlags} from '../../cli/flags.ts'
import {createClients} from '../../lib/clients.ts'
import {EXIT_CODES_HELP, ExitCode} from '../../lib/errors.ts'
import type {SyncPlan} from '../../lib/plan.ts'
import {renderPlan, renderTfvarsChange, renderWritten} from '../../lib/render/sync.ts'
import {shortName} from '../../lib/names.ts'
import {applySync, prepareSync, type SyncWrite} from '../../lib/sync.ts'
import {afterLevelWrite, openTfvars, planTfvars, updateTfvars, type TfvarsChange} from '../../lib/tfvars.ts'

export interface SyncResult {
  level: string
  condition: number
  outcome: 'in-sync' | 'planned' | 'declined' | 'written'
  plan: SyncPlan
  egressIps: {ip: string; natGatewayId: string; region: string; primary: boolean}[]
  warnings: string[]
  write?: SyncWrite
  /** GitOps mode: only the tfvars file is written, never the level. */
  tfvarsOnly: boolean
  /** The tfvars file's change, and whether it was written. */
  tfvars?: TfvarsChange & {written: boolean}
  timingsMs: {read: number; total: number}
}

export default class IpSync extends VpcscCommand {
  static override summary = "Make the access level's IP list match the NAT gateways' egress IPs."
  static override description = `Reads the NAT gateways' public IPs from AWS, plans the change to the level's IP condition as a diff, asks, then writes it conflict-safely (accessLevels:replaceAll with the policy etag), waits for the operation and reads the level back.
Only the condition holding the IP list changes; every other field and condition is kept byte for byte. An empty list is never written: it would admit every IP.
With --tfvars FILE, FILE (a Terraform *.auto.tfvars.json) gets the level's list as written, so the next terraform apply writes the same list; other variables in FILE are kept. With --tfvars-only, only FILE is written and the level is left to terraform apply: exit 0 when FILE changed or was right, and with --plan exit 3 when FILE would change.

${EXIT_CODES_HELP}`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --plan',
    '<%= config.bin %> <%= command.id %> --yes',
    '<%= config.bin %> <%= command.id %> --add-only --nat-tag vpcsc=egress --region eu-west-1 --region us-east-1',
    '<%= config.bin %> <%= command.id %> --yes --tfvars infra/vpcsc.auto.tfvars.json',
    '<%= config.bin %> <%= command.id %> --tfvars infra/vpcsc.auto.tfvars.json --tfvars-only',
  ]
  static override flags = {
    ...googleFlags,
    ...levelConditionFlag,
    ...awsFlags,
    ...keepFlag,
    ...tfvarsFlags,
    'tfvars-only': Flags.boolean({description: 'GitOps: write only the tfvars file, never the access level (terraform apply writes it); needs no --yes.', helpGroup: 'TERRAFORM'}),
    plan: Flags.boolean({description: 'Print the plan and write nothing: exit 3 when changes are pending, 0 when in sync.', exclusive: ['yes']}),
    yes: Flags.boolean({char: 'y', description: 'Write without asking.'}),
    'add-only': Flags.boolean({description: 'Never remove a CIDR; only add missing NAT IPs.'}),
    force: Flags.boolean({description: 'Write even when the access policy has no etag (no compare-and-swap: the level is re-read and compared right before a PATCH).'}),
  }

  async run(): Promise<SyncResult> {
    const started = Date.now()
    const {flags} = await this.parse(IpSync)
    const settings = await this.settingsFrom(flags)
    const tfvarsOnly = flags['tfvars-only'] ?? false
    // The file is read and checked before anything is written anywhere (a bad one: exit 2).
    const tfvars = await openTfvars(settings, {tfvarsOnly, planOnly: flags.plan})
    const clients = createClients(settings)
    // --tfvars-only writes no level but is still refused while a deny test holds it: the
    // level's list is the deny CIDR then.
    const prepared = await this.step('Reading the access level and the NAT gateways', () => prepareSync(settings, clients, {addOnly: flags['add-only'], planOnly: flags.plan}))
    const {plan} = prepared
    const warnings = [...prepared.nat.warnings, ...prepared.warnings]
    for (const warning of warnings) this.note(`! ${warning}`)
    // Human output through oclif's log, which stays silent under --json.
    const say = (text: string) => this.log(text.trimEnd())
    // The list exactly as the level holds it once written: current entries in order, then additions.
    const fileChange = tfvars && planTfvars(tfvars, plan.result)

    const result: SyncResult = {
      level: prepared.snapshot.level.name,
      condition: prepared.condition,
      outcome: 'in-sync',
      plan,
      egressIps: prepared.nat.egressIps,
      warnings,
      tfvarsOnly,
      tfvars: fileChange && {...fileChange, written: false},
      timingsMs: {read: prepared.readMs, total: 0},
    }
    const finish = (outcome: SyncResult['outcome'], extra: Partial<SyncResult> = {}): SyncResult => ({...result, ...extra, outcome, timingsMs: {...result.timingsMs, total: Date.now() - started}})
    const updateFile = async (): Promise<Partial<SyncResult>> => {
      if (!settings.tfvars) return {}
      const done = await updateTfvars(settings.tfvars, plan.result)
      say(renderTfvarsChange(done, 'written'))
      return {tfvars: done}
    }

    if (plan.changed) say(renderPlan(prepared.snapshot.level.name, prepared.condition, plan, prepared.nat, settings.keep.map((c) => c.text)))
    else say(`${prepared.snapshot.level.name} is in sync: ${plan.result.join(', ')}.${fileChange ? '' : ' Nothing to write.'}\n`)

    if (flags.plan) {
      if (fileChange) say(renderTfvarsChange(fileChange, 'planned'))
      // Pending = what this run would write: the file alone in GitOps mode, else the level or the file.
      const pending = tfvarsOnly ? Boolean(fileChange?.changed) : plan.changed || Boolean(fileChange?.changed)
      if (pending) process.exitCode = ExitCode.drift
      return finish(plan.changed ? 'planned' : 'in-sync')
    }
    if (tfvarsOnly) {
      const written = await updateFile()
      if (plan.changed) say(`The level is not written: terraform apply writes it from ${fileChange!.file}.\n`)
      return finish(plan.changed ? 'planned' : 'in-sync', written)
    }
    if (!plan.changed) return finish('in-sync', await updateFile())
    if (!flags.yes && !(await confirmWrite(`Write this list to ${shortName(prepared.snapshot.level.name)}${fileChange ? ' and the tfvars file' : ''}?`))) {
      say('Nothing was written.\n')
      return finish('declined')
    }
    const write = await this.step('Writing the access level', () => applySync(prepared, clients, {force: flags.force}))
    say(renderWritten(prepared.snapshot.level.name, plan, write))
    const file = await this.step('Writing the tfvars file', () => afterLevelWrite(prepared.snapshot.level.name, updateFile))
    return finish('written', {write, ...file})
  }
}
