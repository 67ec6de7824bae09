import * as Flags from '@oclif/core/flags'

import {VpcscCommand} from '../cli/base-command.ts'
import {confirmWrite, refuseToAskWithJson, requireAsker} from '../cli/confirm.ts'
import {probeFlags, stateDirFlag} from '../cli/deny-test-flags.ts'
import {awsFlags, googleFlags, levelConditionFlag} from '../cli/flags.ts'
import {CLIENT_SETTINGS, createClients} from '../lib/core/clients.ts'
import {ENV} from '../lib/core/config.ts'
import {DEFAULT_POLLING, DEFAULT_TIMEOUT_MS, runDenyTest, type DenyTestResult} from '../lib/deny-test/run.ts'
import {DEFAULT_DENY_CIDR} from '../lib/deny-test/deny-cidr.ts'
import {diagnoseBaseline, natIpsNotAdmitted} from '../lib/deny-test/baseline-diagnosis.ts'
import {ASKING_EXIT_CODES_HELP, ExitCode, VpcscError} from '../lib/core/errors.ts'
import {createProbe, PROBE_SETTINGS} from '../lib/deny-test/probe/create.ts'
import {NAT_SELECTION_SETTINGS} from '../lib/aws/nat.ts'
import {renderDenyTest} from '../lib/render/deny-test.ts'
import {DenyTestProgress} from '../cli/progress.ts'

const SIGNAL_EXIT: Record<string, number> = {SIGINT: 130, SIGTERM: 143, SIGHUP: 129}

export default class DenyTest extends VpcscCommand {
  static override summary = 'Prove the perimeter denies: swap in a TEST-NET address, watch Vertex AI refuse.'
  static override description = `1. Preflight: the perimeter is enforced, restricts aiplatform.googleapis.com and uses the level; no other deny test runs on the level.
2. Baseline: the probe must be allowed now.
3. A journal is written, then the level's IP list is swapped to --deny-cidr (only that list changes).
4. Probes, with backoff, until Vertex AI answers with a VPC Service Controls denial (or --timeout).
5. Restores the level, always: on success, failure, error, Ctrl-C and SIGTERM. If someone changed the level meanwhile, it is not overwritten (exit 6).
6. Probes until the call is allowed again (unless --no-recovery-wait), then removes the journal.
After a crash (kill -9, power loss), vpcsc restore puts the level back from the journal.
Probe: on the instance through SSM Run Command, getting a token there from its own credential file (no token ever travels in the command), or --probe local from this machine.

${ASKING_EXIT_CODES_HELP}
  129/130/143 interrupted (SIGHUP / Ctrl-C / SIGTERM), after restoring`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --instance-id i-0123456789abcdef0 --yes',
    '<%= config.bin %> <%= command.id %> --probe-command "python vertex_ai_client.py"',
    '<%= config.bin %> <%= command.id %> --probe local --timeout 45m --yes --json',
  ]
  static override needs = ['policy', 'level', 'perimeter'] as const
  // The NAT selection and the kept CIDRs, though it has no flags for most of them: a baseline
  // that VPC-SC denies is diagnosed by the NAT IPs the level does not admit.
  static override uses = ['policy', 'level', 'perimeter', 'condition', 'keep', 'stateDir', 'denyCidr', 'timeout', 'probeInterval', ...PROBE_SETTINGS, ...NAT_SELECTION_SETTINGS, ...CLIENT_SETTINGS] as const
  static override writesStateDir = true
  static override flags = {
    ...googleFlags,
    ...levelConditionFlag,
    region: awsFlags.region,
    profile: awsFlags.profile,
    ...probeFlags,
    ...stateDirFlag,
    'deny-cidr': Flags.string({description: `The address the level is swapped to; RFC 5737 TEST-NET only (default ${DEFAULT_DENY_CIDR}). Env: ${ENV.denyCidr}.`}),
    timeout: Flags.string({description: `How long to wait for the denial, and again for the recovery (default 30m: the documented propagation bound). Env: ${ENV.timeout}.`}),
    'recovery-wait': Flags.boolean({description: 'After restoring, wait until the call is allowed again.', default: true, allowNo: true}),
    yes: Flags.boolean({char: 'y', description: 'Swap without asking (the baseline must still pass first; --json needs it).'}),
  }

  async run(): Promise<DenyTestResult> {
    const {flags} = await this.parse(DenyTest)
    const settings = await this.settingsFrom(flags)
    const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS
    // It would ask only after the baseline probe (up to --probe-timeout): with nobody to ask,
    // refuse before it, once the inputs are known to be good.
    if (!flags.yes) {
      refuseToAskWithJson(this.jsonEnabled())
      requireAsker()
    }
    const clients = createClients(settings)
    const probe = createProbe(settings, clients)

    const progress = new DenyTestProgress(process.stderr, !this.jsonEnabled())
    const controller = new AbortController()
    // The restore's own waits: stopped only when the user insists (a third signal); the
    // restore then ends with exit 6 and every copy of the original kept.
    const restoreController = new AbortController()
    let received: string | undefined
    let signalCount = 0
    const onSignal = (signal: string) => {
      signalCount++
      if (signalCount === 1) {
        received = signal
        progress.note(`! ${signal}: stopping the test and restoring the access level first.`)
        controller.abort()
      } else if (signalCount === 2) {
        progress.note('! Still restoring the access level; vpcsc exits as soon as it is back. Once more stops waiting (the level may stay swapped: vpcsc restore).')
      } else {
        progress.note('! Stopping the restore; vpcsc restore (from any host) finishes it.')
        restoreController.abort()
      }
    }
    // A closed terminal (SIGHUP) or a reader of stderr that went away (EPIPE) must not kill
    // the process between the swap and the restore.
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
    for (const signal of signals) process.on(signal, onSignal)
    const ignoreBrokenPipe = (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error
    }
    process.stderr.on('error', ignoreBrokenPipe)
    process.stdout.on('error', ignoreBrokenPipe)
    try {
      const result = await runDenyTest(settings, clients, probe, {
        denyCidr: settings.denyCidr,
        timeoutMs,
        recoveryWait: flags['recovery-wait'],
        polling: {...DEFAULT_POLLING, firstIntervalMs: settings.probe.intervalMs},
        signal: controller.signal,
        restoreSignal: restoreController.signal,
        confirm: (question) => {
          progress.settle()
          return flags.yes ? Promise.resolve(true) : confirmWrite(question)
        },
        onProgress: (event) => progress.handle(event),
      })
      progress.settle()
      this.show(() => renderDenyTest(result))
      process.exitCode =
        result.outcome === 'pass' || result.outcome === 'declined' ? ExitCode.ok
        : result.outcome === 'interrupted' ? (SIGNAL_EXIT[received ?? 'SIGINT'] ?? 130)
        : ExitCode.testFailed
      return result
    } catch (error) {
      if (!(error instanceof VpcscError)) throw error
      const denied = error.code === 'BASELINE_NOT_ALLOWED' && (error.details as {baseline?: {verdict?: string}} | undefined)?.baseline?.verdict === 'DENIED_VPCSC'
      const notAdmitted = denied ? await natIpsNotAdmitted(settings, clients) : undefined
      throw diagnoseBaseline(error, {probe: settings.probe.kind, instanceId: settings.probe.instanceId, command: Boolean(settings.probe.command), notAdmitted})
    } finally {
      progress.settle()
      for (const signal of signals) process.off(signal, onSignal)
      process.stderr.off('error', ignoreBrokenPipe)
      process.stdout.off('error', ignoreBrokenPipe)
      if ('close' in probe && typeof probe.close === 'function') probe.close()
    }
  }
}
