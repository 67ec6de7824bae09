import * as Flags from '@oclif/core/flags'

import {VpcscCommand} from '../cli/base-command.ts'
import {confirmWrite, refuseToAskWithJson} from '../cli/confirm.ts'
import {stateDirFlag} from '../cli/deny-test-flags.ts'
import {googleFlags} from '../cli/flags.ts'
import {CLIENT_SETTINGS, createClients} from '../lib/core/clients.ts'
import {ASKING_EXIT_CODES_HELP} from '../lib/core/errors.ts'
import {renderRestore} from '../lib/render/deny-test.ts'
import {planRestore, restoreHolds, type RestoreReport} from '../lib/deny-test/restore-plan.ts'

export default class Restore extends VpcscCommand {
  static override summary = 'Put back what an interrupted deny test left swapped, from any host.'
  static override description = `Finds the deny tests that hold a level: their markers in the access policy (visible from any host) and this machine's journals. Shows what it will put back, and restores each level in one conflict-safe write that also removes the marker, but only while the level still holds exactly what the deny test wrote: a level someone changed since is not overwritten (exit 6, marker and journal kept). A swap that was sent but never confirmed is ruled out first. Safe to run again.

${ASKING_EXIT_CODES_HELP}`
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --level vpcsc_allow_ec2_ip --yes', '<%= config.bin %> <%= command.id %> --discard --level vpcsc_allow_ec2_ip']
  static override uses = ['policy', 'level', 'stateDir', ...CLIENT_SETTINGS] as const
  static override writesStateDir = true
  static override flags = {
    ...googleFlags,
    ...stateDirFlag,
    yes: Flags.boolean({char: 'y', description: 'Restore without asking (--json needs it: it never asks).'}),
    discard: Flags.boolean({description: "After you fixed the level by hand: drop the deny test's marker (a write to the policy) and its journal, without writing the level. Refused while the level still holds the swap (their list is then the only record of it), unless --force."}),
    force: Flags.boolean({description: "Restore even though the deny test still seems to run (its host is gone, or it hangs); or, when the level holds a swap whose marker is gone, put back this host's journal's list; with --discard, discard even while the level holds the swap."}),
  }

  async run(): Promise<RestoreReport> {
    const {flags} = await this.parse(Restore)
    const settings = await this.settingsFrom(flags)
    if (!flags.yes) refuseToAskWithJson(this.jsonEnabled())
    const clients = createClients(settings)
    const plan = await planRestore(settings, clients, {force: flags.force})
    if (plan.holds.length === 0) {
      this.log(`Nothing to restore: no deny-test marker in ${plan.policy} and no journal in ${settings.stateDir}${settings.level ? ` for ${settings.level}` : ''}.`)
      return {stateDir: settings.stateDir, results: [], warnings: []}
    }
    if (!this.jsonEnabled()) {
      for (const hold of plan.holds) {
        const original = hold.marker?.original.conditions[hold.marker.condition]?.ipSubnetworks ?? hold.journal?.original.basic?.conditions[hold.journal.condition]?.ipSubnetworks ?? []
        const what = hold.marker ? `swapped to ${hold.denyCidr} by ${hold.who}` : `a swap to ${hold.denyCidr} was sent by ${hold.who}; no marker of it is in the policy (only the local journal knows of it)`
        const putBack = `condition ${hold.marker?.condition ?? hold.journal?.condition}: ${original.join(', ')}`
        const action = flags.discard ? 'Discard the marker and the journal (the level is not written).' : hold.marker ? `Put back ${putBack}` : `Make sure that swap can no longer land; if the level still holds it, put back ${putBack} from the journal${flags.force ? '' : ' (with --force: no marker says whose swap it is)'}.`
        this.log(`${hold.level}: ${what}.\n  ${action}`)
      }
    }
    if (!flags.yes && !(await confirmWrite(flags.discard ? 'Discard these?' : 'Restore these levels?'))) {
      return {stateDir: settings.stateDir, results: [], warnings: []}
    }
    const report = await this.duringWrite((signal) => restoreHolds(clients, settings, plan, {discard: flags.discard, force: flags.force, signal}))
    for (const result of report.results) this.show(() => renderRestore(result))
    return report
  }
}
