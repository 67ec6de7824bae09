import * as Flags from '@oclif/core/flags'

import {VpcscCommand} from '../../cli/base-command.ts'
import {confirmWrite, refuseToAskWithJson} from '../../cli/confirm.ts'
import {awsFlags, googleFlags, keepFlag, levelConditionFlag, tfvarsFlags} from '../../cli/flags.ts'
import {CLIENT_SETTINGS, createClients} from '../../lib/core/clients.ts'
import {ENV} from '../../lib/core/config.ts'
import {ASKING_EXIT_CODES_HELP, ExitCode} from '../../lib/core/errors.ts'
import {shortName} from '../../lib/core/names.ts'
import {notifySync, runNotice} from '../../lib/core/notify.ts'
import {renderPlan, renderTfvarsChange, renderWritten} from '../../lib/render/sync.ts'
import {fitToTerminal, renderError} from '../../lib/render/text.ts'
import {partialReadError, runSync, SYNC_SETTINGS, type LevelSyncResult, type PreparedSync} from '../../lib/level/sync.ts'
import {afterLevelWrite, openTfvars, planTfvars, updateTfvars, type TfvarsChange} from '../../lib/level/tfvars.ts'
import {stateDirFlag} from '../../cli/deny-test-flags.ts'

/** `ip sync --json`: the sync (the Lambda handler returns the same), and the tfvars file's part. */
export interface SyncResult extends LevelSyncResult {
  /** GitOps mode: only the tfvars file is written, never the level. */
  tfvarsOnly: boolean
  /** The tfvars file's change, and whether it was written. */
  tfvars?: TfvarsChange & {written: boolean}
}

export default class IpSync extends VpcscCommand {
  static override summary = "Make the access level's IP list match the NAT gateways' egress IPs."
  static override description = `Reads the NAT gateways' public IPs from AWS, plans the change to the level's IP condition as a diff, asks, then writes it conflict-safely (accessLevels:replaceAll with the policy etag), waits for the operation and reads the level back.
Only the condition holding the IP list changes; every other field and condition is kept byte for byte. An empty list is never written: it would admit every IP.
NAT gateways are read in the caller's account and in every member account (--assume-role, or "accounts" in the config file). If any account or region cannot be read, nothing is removed: the IPs read may be added, every existing CIDR is kept, and the command exits 1 naming each unreadable source (--plan too).
With --tfvars FILE, FILE (a Terraform *.auto.tfvars.json) gets the level's list as written, so the next terraform apply writes the same list; other variables in FILE are kept. With --tfvars-only, only FILE is written and the level is left to terraform apply: exit 0 when FILE changed or was right, and with --plan exit 3 when FILE would change.

${ASKING_EXIT_CODES_HELP}`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --plan',
    '<%= config.bin %> <%= command.id %> --yes',
    '<%= config.bin %> <%= command.id %> --add-only --nat-tag vpcsc=egress --region eu-west-1',
    '<%= config.bin %> <%= command.id %> --yes --tfvars infra/vpcsc.auto.tfvars.json',
    '<%= config.bin %> <%= command.id %> --tfvars infra/vpcsc.auto.tfvars.json --tfvars-only',
    '<%= config.bin %> <%= command.id %> --yes --notify https://hooks.slack.com/services/T000/B000/XXXX',
  ]
  static override needs = ['policy', 'level'] as const
  static override uses = [...SYNC_SETTINGS, 'tfvars', 'tfvarsVar', 'notifyUrl', ...CLIENT_SETTINGS] as const
  static override flags = {
    ...googleFlags,
    ...stateDirFlag,
    ...levelConditionFlag,
    ...awsFlags,
    ...keepFlag,
    ...tfvarsFlags,
    'tfvars-only': Flags.boolean({description: 'GitOps: write only the tfvars file, never the access level (terraform apply writes it); needs no --yes.', helpGroup: 'TERRAFORM'}),
    plan: Flags.boolean({description: 'Print the plan and write nothing: exit 3 when changes are pending, 0 when in sync.', exclusive: ['yes']}),
    yes: Flags.boolean({char: 'y', description: 'Write without asking (--json needs it: it never asks).'}),
    'add-only': Flags.boolean({description: 'Never remove a CIDR; only add missing NAT IPs.'}),
    force: Flags.boolean({description: 'Write even when the access policy has no etag (no compare-and-swap: the level is re-read and compared right before a PATCH).'}),
    notify: Flags.string({description: `After a write, refusal or failure, POST {"text": ...} (Slack incoming webhook format) to this http(s) URL. Env: ${ENV.notifyUrl}.`}),
  }

  /**
   * A run that acts (not --plan) tells its end once (README, Notifications): where, as what
   * command, and the sync it got to (its write, if any), even when a later step fails.
   */
  private notice?: {url?: string; command: string; level?: string; synced?: LevelSyncResult}

  async run(): Promise<SyncResult> {
    let result: SyncResult
    try {
      result = await this.sync()
    } catch (error) {
      const warning = await this.notifyEnd(error)
      // The error goes to stdout with --json: the notification's own failure only to stderr.
      if (warning) process.stderr.write(fitToTerminal(`! ${warning}\n`, process.stderr))
      throw error
    }
    // A partial read (docs/safety.md, rule 10) ends in exit 1 naming every unreadable
    // source, whatever else happened: the result (what was written, if anything) stays on
    // stdout, and the one notification says both.
    const partial = partialReadError(result.plan, result.outcome === 'written')
    if (partial) {
      process.exitCode = partial.exitCode
      this.note(renderError(partial.message, partial.hint).trimEnd())
    }
    const warning = await this.notifyEnd(partial)
    if (!warning) return result
    this.note(`! ${warning}`)
    return {...result, warnings: [...result.warnings, warning]}
  }

  /** The run's one notification, when it acted and there is something to tell; a failed one is a warning. */
  private async notifyEnd(error: unknown): Promise<string | undefined> {
    if (!this.notice) return undefined
    const notice = runNotice(this.notice.command, {level: this.notice.level, result: this.notice.synced, error})
    return notice && notifySync(this.notice.url, notice)
  }

  private async sync(): Promise<SyncResult> {
    const {flags} = await this.parse(IpSync)
    const settings = await this.settingsFrom(flags)
    const tfvarsOnly = flags['tfvars-only'] ?? false
    // --plan and --tfvars-only never ask; anything else does unless --yes, which --json needs.
    if (!flags.yes && !flags.plan && !tfvarsOnly) refuseToAskWithJson(this.jsonEnabled(), {plan: '--plan'})
    // The file is read and checked before anything is written anywhere (a bad one: exit 2).
    const tfvars = await openTfvars(settings, {tfvarsOnly, planOnly: flags.plan})
    const clients = createClients(settings)
    // Human output through oclif's log, which stays silent under --json.
    const say = (text: string) => this.log(text.trimEnd())
    const command = `vpcsc ip sync${flags.yes ? ' --yes' : ''}${flags['add-only'] ? ' --add-only' : ''}${tfvarsOnly ? ' --tfvars-only' : ''}`
    // A plan acts on nothing: only a run that could write notifies.
    if (!flags.plan) this.notice = {url: settings.notifyUrl, command, level: settings.level}
    let fileChange: TfvarsChange | undefined
    // --tfvars-only writes no level but is still refused while a deny test holds it: the
    // level's list is the deny CIDR then.
    const synced = await runSync(settings, clients, {
      addOnly: flags['add-only'],
      planOnly: flags.plan,
      leaveLevel: tfvarsOnly,
      force: flags.force,
      step: (message, work) => this.step(message, work),
      duringWrite: (write) => this.duringWrite(write),
      onPlan: (prepared) => {
        // The list exactly as the level holds it once written: current entries in order, then additions.
        fileChange = tfvars && planTfvars(tfvars, prepared.plan.result)
        this.showPlan(prepared, settings.keep.map((c) => c.text), Boolean(fileChange))
      },
      confirm: flags.yes ? undefined : (prepared) => confirmWrite(`Write this list to ${shortName(prepared.snapshot.level.name)}${fileChange ? ' and the tfvars file' : ''}?`),
    })
    if (this.notice) this.notice.synced = synced
    const warnings = [...synced.warnings]
    const result: SyncResult = {...synced, warnings, tfvarsOnly, tfvars: fileChange && {...fileChange, written: false}}
    const updateFile = async (): Promise<Partial<SyncResult>> => {
      if (!settings.tfvars) return {}
      const done = await updateTfvars(settings.tfvars, synced.plan.result)
      say(renderTfvarsChange(done, 'written'))
      return {tfvars: done}
    }
    // What follows a write (or the file's own write) is not stopped halfway by Ctrl-C: it is
    // let finish, so that the run ends whole and tells its end (docs/safety.md, rule 8).
    const whole = async (finish: () => Promise<Partial<SyncResult>>): Promise<Partial<SyncResult>> => {
      const {value, signal} = await this.finishingThroughSignals(finish)
      if (signal) {
        const warning = `${signal} came while the run was finishing${settings.tfvars ? ' (the tfvars file)' : ''}: it was let finish, and the run is complete.`
        this.note(`! ${warning}`)
        warnings.push(warning)
      }
      return value
    }

    if (flags.plan) {
      if (fileChange) say(renderTfvarsChange(fileChange, 'planned'))
      // Pending = what this run would write: the file alone in GitOps mode, else the level or the file.
      const pending = tfvarsOnly ? Boolean(fileChange?.changed) : synced.plan.changed || Boolean(fileChange?.changed)
      if (pending) process.exitCode = ExitCode.drift
      return result
    }
    if (tfvarsOnly) {
      const written = await whole(updateFile)
      if (synced.plan.changed) say(`The level is not written: terraform apply writes it from ${fileChange!.file}.\n`)
      return {...result, ...written}
    }
    if (synced.outcome === 'in-sync' || synced.outcome === 'partial') return {...result, ...(await whole(updateFile))}
    if (synced.outcome === 'declined') {
      say('Nothing was written.\n')
      return result
    }
    // Held before the level's line is printed: a signal sent once it is seen finds the hold.
    return {
      ...result,
      ...(await whole(() => {
        say(renderWritten(synced.level, synced.plan, synced.write!))
        return this.step('Writing the tfvars file', () => afterLevelWrite(synced.level, updateFile))
      })),
    }
  }

  private showPlan(prepared: PreparedSync, keep: string[], withFile: boolean): void {
    for (const warning of [...prepared.nat.warnings, ...prepared.warnings]) this.note(`! ${warning}`)
    const {plan, snapshot} = prepared
    // this.log stays silent under --json.
    if (plan.changed || plan.partial) this.show(() => renderPlan(snapshot.level.name, prepared.condition, plan, prepared.nat, keep))
    else this.log(`${snapshot.level.name} is in sync: ${plan.result.join(', ')}.${withFile ? '' : ' Nothing to write.'}`)
  }
}
