import {CliCommand} from '../cli/base-command.ts'

/** `vpcsc version --json` (and `vpcsc --version --json`): what a bug report or an inventory script needs. */
export interface VersionInfo {
  /** The package: vpcsc. */
  name: string
  version: string
  /** The Node.js that runs it (22 or 24). */
  node: string
  /** process.platform and process.arch: linux, x64. */
  platform: string
  arch: string
  /** Always empty: every result carries warnings (README, The --json contract). */
  warnings: string[]
}

/**
 * `vpcsc version`: the line `vpcsc --version` prints, or the same facts as JSON, as
 * `terraform version -json` and `sf version --json` give them. oclif's own `--version`
 * prints its line whatever follows it; src/cli/run.ts sends `--version` here whenever
 * something follows it (`--json`, or a flag to refuse). A CliCommand, not a VpcscCommand:
 * it reads no settings, so it offers no --config or --request-timeout to ignore.
 */
export default class Version extends CliCommand {
  static override summary = 'Show the version of vpcsc and of the Node.js it runs on.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json', '<%= config.bin %> --version --json']

  async run(): Promise<VersionInfo> {
    await this.parse(Version)
    this.show(() => this.config.userAgent)
    return {name: this.config.name, version: this.config.version, node: process.versions.node, platform: process.platform, arch: process.arch, warnings: []}
  }
}
