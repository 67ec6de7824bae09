import {Flags} from '@oclif/core'

import {VpcscCommand} from '../../cli/base-command.ts'
import {confirmWrite} from '../../cli/confirm.ts'
import {awsFlags, googleFlags, keepFlag, levelConditionFlag} from '../../cli/flags.ts'
import {createClients} from '../../lib/clients.ts'
import {EXIT_CODES_HELP, ExitCode} from '../../lib/errors.ts'
import type {SyncPlan} from '../../lib/plan.ts'
import {renderPlan, renderWritten} from '../../lib/render/sync.ts'
import {shortName} from '../../lib/names.ts'
import {applySync, prepareSync, type SyncWrite} from '../../lib/sync.ts'

export interface SyncResult {
  level: string
  condition: number
  outcome: 'in-sync' | 'planned' | 'declined' | 'written'
  plan: SyncPlan
  egressIps: {ip: string; natGatewayId: string; region: string; primary: boolean}[]
  warnings: string[]
  write?: SyncWrite
  timingsMs: {read: number; total: number}
}

export default class IpSync extends VpcscCommand {
  static override summary = "Make the access level's IP list match the NAT gateways' egress IPs."
  static override description = `Reads the NAT gateways' public IPs from AWS, plans the change to the level's IP condition as a diff, asks, then writes it conflict-safely (accessLevels:replaceAll with the policy etag), waits for the operation and reads the level back.
Only the condition holding the IP list changes; every other field and condition is kept byte for byte. An empty list is never written: it would admit every IP.

${EXIT_CODES_HELP}`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --plan',
    '<%= config.bin %> <%= command.id %> --yes',
    '<%= config.bin %> <%= command.id %> --add-only --nat-tag vpcsc=egress --region eu-west-1 --region us-east-1',
  ]
  static override flags = {
    ...googleFlags,
    ...levelConditionFlag,
    ...awsFlags,
    ...keepFlag,
    plan: Flags.boolean({description: 'Print the plan and write nothing: exit 3 when changes are pending, 0 when in sync.', exclusive: ['yes']}),
    yes: Flags.boolean({char: 'y', description: 'Write without asking.'}),
    'add-only': Flags.boolean({description: 'Never remove a CIDR; only add missing NAT IPs.'}),
    force: Flags.boolean({description: 'Write even when the access policy has no etag (no compare-and-swap: the level is re-read and compared right before a PATCH).'}),
  }

  async run(): Promise<SyncResult> {
    const started = Date.now()
    const {flags} = await this.parse(IpSync)
    const settings = await this.settingsFrom(flags)
    const clients = createClients(settings)
    const prepared = await this.step('Reading the access level and the NAT gateways', () => prepareSync(settings, clients, {addOnly: flags['add-only'], planOnly: flags.plan}))
    const {plan} = prepared
    const warnings = [...prepared.nat.warnings, ...prepared.warnings]
    for (const warning of warnings) this.note(`! ${warning}`)

    const result: SyncResult = {
      level: prepared.snapshot.level.name,
      condition: prepared.condition,
      outcome: 'in-sync',
      plan,
      egressIps: prepared.nat.egressIps,
      warnings,
      timingsMs: {read: prepared.readMs, total: 0},
    }
    const finish = (outcome: SyncResult['outcome']): SyncResult => ({...result, outcome, timingsMs: {...result.timingsMs, total: Date.now() - started}})

    if (!plan.changed) {
      if (!this.jsonEnabled()) process.stdout.write(`${prepared.snapshot.level.name} is in sync: ${plan.result.join(', ')}. Nothing to write.\n`)
      return finish('in-sync')
    }
    if (!this.jsonEnabled()) process.stdout.write(renderPlan(prepared.snapshot.level.name, prepared.condition, plan, prepared.nat, settings.keep.map((c) => c.text)))
    if (flags.plan) {
      process.exitCode = ExitCode.drift
      return finish('planned')
    }
    if (!flags.yes && !(await confirmWrite(`Write this list to ${shortName(prepared.snapshot.level.name)}?`))) {
      if (!this.jsonEnabled()) process.stdout.write('Nothing was written.\n')
      return finish('declined')
    }
    const write = await this.step('Writing the access level', () => applySync(prepared, clients, {force: flags.force}))
    if (!this.jsonEnabled()) process.stdout.write(renderWritten(prepared.snapshot.level.name, plan, write))
    return {...finish('written'), write}
  }
}
