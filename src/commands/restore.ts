import {Flags} from '@oclif/core'

import {VpcscCommand} from '../cli/base-command.ts'
import {confirmWrite} from '../cli/confirm.ts'
import {stateDirFlag} from '../cli/deny-test-flags.ts'
import {googleFlags} from '../cli/flags.ts'
import {createClients} from '../lib/clients.ts'
import {EXIT_CODES_HELP} from '../lib/errors.ts'
import {renderRestore} from '../lib/render/deny-test.ts'
import {planRestore, restoreJournals, type RestoreReport} from '../lib/restore-journals.ts'

export default class Restore extends VpcscCommand {
  static override summary = 'Put back what an interrupted deny test left swapped, from its journal.'
  static override description = `Reads the deny-test journal(s) in the state directory, shows what it will put back, and restores each level, but only while the level still holds exactly what the deny test wrote: a level someone changed since is not overwritten (exit 6, journal kept). A level already back to its original just loses its journal. Safe to run again.

${EXIT_CODES_HELP}`
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --level vpcsc_allow_ec2_ip --yes', '<%= config.bin %> <%= command.id %> --discard --level vpcsc_allow_ec2_ip']
  static override flags = {
    ...googleFlags,
    ...stateDirFlag,
    yes: Flags.boolean({char: 'y', description: 'Restore without asking.'}),
    discard: Flags.boolean({description: 'Remove the journal without writing (after you fixed the level by hand).'}),
    force: Flags.boolean({description: 'Restore even though the deny test that wrote the journal still seems to run.'}),
  }

  async run(): Promise<RestoreReport> {
    const {flags} = await this.parse(Restore)
    const settings = await this.settingsFrom(flags)
    const plan = await planRestore(settings, {force: flags.force})
    if (plan.journals.length === 0) {
      if (!this.jsonEnabled()) process.stdout.write(`Nothing to restore: no deny-test journal in ${settings.stateDir}${settings.level ? ` for ${settings.level}` : ''}.\n`)
      return {stateDir: settings.stateDir, results: []}
    }
    if (!this.jsonEnabled()) {
      for (const journal of plan.journals) {
        const original = journal.original.basic?.conditions[journal.condition]?.ipSubnetworks ?? []
        process.stdout.write(`${journal.level}: swapped to ${journal.denyCidr} by pid ${journal.pid} on ${journal.host} at ${journal.startedAt}.\n  ${flags.discard ? 'Discard the journal (nothing is written).' : `Put back condition ${journal.condition}: ${original.join(', ')}`}\n`)
      }
    }
    if (!flags.yes && !(await confirmWrite(flags.discard ? 'Discard these journals?' : 'Restore these levels?'))) {
      return {stateDir: settings.stateDir, results: []}
    }
    const report = await restoreJournals(createClients(settings), settings.stateDir, plan.journals, {discard: flags.discard})
    if (!this.jsonEnabled()) for (const result of report.results) process.stdout.write(renderRestore(result))
    return report
  }
}
