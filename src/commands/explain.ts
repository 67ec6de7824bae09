import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {VpcscCommand} from '../cli/base-command.ts'
import {awsFlags, googleFlags, keepFlag} from '../cli/flags.ts'
import {CLIENT_SETTINGS, createClients} from '../lib/core/clients.ts'
import {NAT_SELECTION_SETTINGS} from '../lib/aws/nat.ts'
import {parseSince} from '../lib/core/config.ts'
import {EXIT_CODES_HELP} from '../lib/core/errors.ts'
import {explain, parseExplainInput, type Explanation} from '../lib/report/explain.ts'
import {renderExplanation} from '../lib/render/explain.ts'
import {stateDirFlag} from '../cli/deny-test-flags.ts'

export default class Explain extends VpcscCommand {
  static override summary = 'Explain a denial, from its vpcServiceControlsUniqueIdentifier or a caller IP.'
  static override description = `Given the id of a VPC Service Controls denial (from the 403 message, or deny-test's evidence), finds its audit entry in Cloud Logging (within --since) and takes the caller IP, the perimeter, dry-run or enforced, the service, method and principal. Given an IP, explains that caller as things are now.
Then says which selected NAT gateway owns the IP (account, region, VPC, gateway), whether the access level admits it now and through which condition, whether a deny test held the level, and what would fix it: vpcsc ip sync, a --keep, or an ingress rule. Read-only.
Exit 0 when explained, 1 when no audit entry has the id within --since, 2 for input that is neither an IP nor an id.

${EXIT_CODES_HELP}`
  static override examples = [
    '<%= config.bin %> <%= command.id %> Kx3N0QF7W2EXAMPLEUID8RM1A5ZP4TC9',
    '<%= config.bin %> <%= command.id %> Kx3N0QF7W2EXAMPLEUID8RM1A5ZP4TC9 --since 30d --json',
    '<%= config.bin %> <%= command.id %> 203.0.113.77',
  ]
  static override args = {
    target: Args.string({description: 'A vpcServiceControlsUniqueIdentifier, or a caller IP address.', required: true}),
  }
  static override needs = ['policy', 'level'] as const
  static override uses = ['policy', 'level', 'perimeter', 'projectNumber', 'keep', 'stateDir', 'loggingEndpoint', ...NAT_SELECTION_SETTINGS, ...CLIENT_SETTINGS] as const
  static override flags = {
    ...googleFlags,
    ...stateDirFlag,
    ...awsFlags,
    ...keepFlag,
    // --since, as violations and promote name it; --freshness was its first name.
    since: Flags.string({description: 'How far back the audit entry of an id is looked for: a duration (90m, 24h, 7d) or an RFC 3339 timestamp.', default: '7d', aliases: ['freshness'], deprecateAliases: true}),
  }

  async run(): Promise<Explanation> {
    const {args, flags} = await this.parse(Explain)
    // Bad input is refused before any setting is read or any call made.
    const input = parseExplainInput(args.target)
    // One clock for the window and its description ("in the last 2 days").
    const now = new Date()
    const since = parseSince(flags.since, now.getTime())
    const settings = await this.settingsFrom(flags)
    // An IP is explained as things are now: no audit log is read for it.
    const reading = input.kind === 'id' ? 'the audit log, the access level and the NAT gateways' : 'the access level and the NAT gateways'
    const explanation = await this.step(`Reading ${reading}`, () => explain(settings, createClients(settings), args.target, {since, now}))
    this.show(() => renderExplanation(explanation))
    return explanation
  }
}
