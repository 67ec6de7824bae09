import * as Flags from '@oclif/core/flags'

import {ENV} from '../lib/core/config.ts'

/** Where and how the deny test probes, and where its journal lives. */
export const stateDirFlag = {
  'state-dir': Flags.string({description: `Where deny-test journals are kept. Env: ${ENV.stateDir}; default $XDG_STATE_HOME/vpcsc or ~/.local/state/vpcsc.`}),
}

export const probeFlags = {
  'instance-id': Flags.string({description: `EC2 instance the probe runs on, through SSM. Env: ${ENV.instanceId}.`, helpGroup: 'PROBE'}),
  probe: Flags.string({description: `ssm: on the instance through SSM Run Command (default with --instance-id); local: from this machine. Env: ${ENV.probe}.`, options: ['ssm', 'local'], helpGroup: 'PROBE'}),
  'probe-command': Flags.string({description: `Your own Vertex AI call instead of the built-in one (e.g. "python vertex_ai_client.py"); its output is classified. Env: ${ENV.probeCommand}.`, helpGroup: 'PROBE'}),
  'probe-timeout': Flags.string({description: `Bound on one probe, delivery included: 1s to 48h, SSM's longest run of a command (default 2m). Env: ${ENV.probeTimeout}.`, helpGroup: 'PROBE'}),
  'probe-interval': Flags.string({description: `First pause between probes (default 3s); it grows by half each time, up to 30s. Env: ${ENV.probeInterval}.`, helpGroup: 'PROBE'}),
  location: Flags.string({description: `Vertex AI location (default us-central1). Env: ${ENV.location}.`, helpGroup: 'PROBE'}),
  project: Flags.string({description: `Vertex AI project id or number (default: --project-number). Env: ${ENV.project}.`, helpGroup: 'PROBE'}),
  'credential-file': Flags.string({description: `The instance's Workload Identity Federation credential file (default /tmp/gcp_credential_config.json). Env: ${ENV.credentialFile}.`, helpGroup: 'PROBE'}),
}
