import * as Flags from '@oclif/core/flags'

import {VpcscCommand} from '../cli/base-command.ts'
import {googleFlags, logFlags} from '../cli/flags.ts'
import {CLIENT_SETTINGS, createClients} from '../lib/core/clients.ts'
import {parseSince} from '../lib/core/config.ts'
import {EXIT_CODES_HELP} from '../lib/core/errors.ts'
import {renderViolations} from '../lib/render/perimeter.ts'
import {layoutFor} from '../lib/render/text.ts'
import {readViolations, type ViolationsReport} from '../lib/perimeter/violations.ts'

export default class Violations extends VpcscCommand {
  static override summary = "Recent violations of the perimeter, dry-run and enforced, grouped."
  static override description = `Reads the VPC-SC audit logs (Cloud Logging entries:list) of the perimeter's projects, pages to the end (bounded by --limit), and groups the entries by caller IP, principal, service, method and reason, with counts and first/last seen. Says which caller IPs the access level admits. Laid out for the terminal's width (else COLUMNS, else 80), in a pipe too: two lines or more a group, the full table from 160 columns. Read-only. Needs roles/logging.privateLogViewer on the projects (the denials are Policy Denied audit logs, kept in the _Default log bucket, 30 days unless its retention is changed).

${EXIT_CODES_HELP}`
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --since 7d --json', '<%= config.bin %> <%= command.id %> --since 2026-11-01T00:00:00Z']
  static override needs = ['perimeter'] as const
  // The level says which caller IPs it admits; the project number is read when the perimeter lists no project.
  static override uses = ['policy', 'perimeter', 'level', 'projectNumber', 'loggingEndpoint', ...CLIENT_SETTINGS] as const
  static override flags = {
    ...googleFlags,
    since: Flags.string({description: 'How far back: a duration (24h, 7d) or an RFC 3339 timestamp.', default: '24h'}),
    ...logFlags,
  }

  async run(): Promise<ViolationsReport> {
    const {flags} = await this.parse(Violations)
    const settings = await this.settingsFrom(flags)
    const since = parseSince(flags.since)
    const report = await this.step('Reading the audit logs', () => readViolations(settings, createClients(settings), {since, limit: flags.limit}))
    this.show(() => renderViolations(report, layoutFor()))
    return report
  }
}
