import * as Flags from '@oclif/core/flags'

import {VpcscCommand} from '../cli/base-command.ts'
import {awsFlags, googleFlags, keepFlag, levelConditionFlag, tfvarsFlags} from '../cli/flags.ts'
import {CLIENT_SETTINGS, createClients} from '../lib/core/clients.ts'
import {EXIT_CODES_HELP, ExitCode} from '../lib/core/errors.ts'
import {renderStatus} from '../lib/render/status.ts'
import {describeSource} from '../lib/aws/accounts.ts'
import {NAT_SELECTION_SETTINGS} from '../lib/aws/nat.ts'
import {layoutFor, plural, renderError} from '../lib/render/text.ts'
import {gatherStatus, type StatusReport} from '../lib/report/status.ts'
import {stateDirFlag} from '../cli/deny-test-flags.ts'

export default class Status extends VpcscCommand {
  static override summary = 'Show the perimeter, the access level, the NAT egress IPs and their drift.'
  static override description = `Read-only: reads Access Context Manager and AWS concurrently and never writes.
NAT gateways are read in the caller's account and in every member account (--assume-role); an account or region that cannot be read is named, and the command exits 1 (ip sync would then add what is missing and remove nothing).
Drift is a NAT egress IP the level does not admit, a CIDR in the level that matches no NAT gateway and is not kept (a level holding only the deny CIDR is a deny test's swap: vpcsc restore), or a kept CIDR (--keep, VPCSC_KEEP or the config file's "keep") that the level does not hold (ip sync would add it).
Every line of the report (stdout) fits the terminal's width (else COLUMNS, else 80), in a pipe too; only a hint line stays whole in a pipe. An error on stderr, as every command's, wraps on a terminal and stays one whole line (and its hint) in a pipe or a file, for logs and grep.
With --tfvars FILE, a FILE whose list differs from the level's is drift too ("Terraform would revert the level"): the next terraform apply would write that list back.

${EXIT_CODES_HELP}`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --check',
    '<%= config.bin %> <%= command.id %> --check --tfvars infra/vpcsc.auto.tfvars.json',
    '<%= config.bin %> <%= command.id %> --policy 555000111222 --level vpcsc_allow_ec2_ip --json',
  ]
  static override needs = ['policy', 'level'] as const
  // The perimeter, shown with its dry-run violations (read in the project number's logs when
  // it lists no project); the deny CIDR, though status has no flag for it, to tell a deny
  // test's leftover swap from drift; the Cloud Logging endpoint, for the violations.
  static override uses = ['policy', 'level', 'perimeter', 'projectNumber', 'condition', 'keep', 'stateDir', 'denyCidr', 'tfvars', 'tfvarsVar', 'loggingEndpoint', ...NAT_SELECTION_SETTINGS, ...CLIENT_SETTINGS] as const
  static override flags = {
    ...googleFlags,
    ...stateDirFlag,
    ...levelConditionFlag,
    ...awsFlags,
    ...keepFlag,
    ...tfvarsFlags,
    check: Flags.boolean({description: 'Exit 3 when there is drift, 6 when an interrupted deny test needs vpcsc restore (for CI and monitoring).'}),
  }

  async run(): Promise<StatusReport> {
    const {flags} = await this.parse(Status)
    const settings = await this.settingsFrom(flags)
    const report = await this.step('Reading Google Cloud and AWS', () => gatherStatus(settings, createClients(settings)))
    this.show(() => renderStatus(report, layoutFor()))
    const unread = report.nat.unreadable
    // Each unreadable source with its own error, so that stderr alone says what failed.
    const sources = unread.map((u) => `${describeSource(u)}: ${u.message}`)
    if (unread.length > 0) this.note(renderError(`${plural(unread.length, 'NAT source', 'NAT sources')} not read, the drift is incomplete: ${sources.join('; ')}`, unread.find((u) => u.hint)?.hint).trimEnd())
    if (flags.check && report.denyTest && !report.denyTest.running) process.exitCode = ExitCode.restoreNeeded
    // A source not read makes the drift unknowable: a runtime failure, with or without --check.
    else if (report.nat.unreadable.length > 0) process.exitCode = ExitCode.runtime
    else if (flags.check && !report.drift.inSync) process.exitCode = ExitCode.drift
    return report
  }
}
