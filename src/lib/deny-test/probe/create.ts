import type {Clients} from '../../core/clients.ts'
import {configFileName, type Settings, type UsedSetting} from '../../core/config.ts'
import {UsageError} from '../../core/errors.ts'
import {LocalCommandProbe} from './command-probe.ts'
import {LocalProbe} from './local-probe.ts'
import {defaultVertexEndpoint, vertexProbeUrl, type Probe} from './probe.ts'
import {SsmProbe} from './ssm-probe.ts'
import {commandProbeScript, vertexProbeScript} from './ssm-script.ts'

/** The settings createProbe reads: the instance's region and profile are the AWS selection's. */
export const PROBE_SETTINGS = ['instanceId', 'probe', 'probeCommand', 'probeTimeout', 'location', 'project', 'projectNumber', 'credentialFile', 'regions', 'profile', 'requestTimeout', 'vertexEndpoint'] as const satisfies readonly UsedSetting[]

/** The probe the settings ask for: through SSM on the instance, or from this machine. */
export function createProbe(settings: Settings, clients: Clients): Probe {
  const {probe} = settings
  const project = probe.project ?? settings.projectNumber
  const url = () => {
    if (!project) throw new UsageError({message: 'The Vertex AI project for the probe is not set.', hint: `Set --project (or --project-number, VPCSC_PROJECT_NUMBER, "projectNumber" in ${configFileName(settings)}).`})
    return vertexProbeUrl(settings.endpoints.vertex ?? defaultVertexEndpoint(probe.location), project, probe.location)
  }
  if (probe.kind === 'local') {
    return probe.command ? new LocalCommandProbe(probe.command, probe.timeoutMs) : new LocalProbe(clients.google, url())
  }
  if (!probe.instanceId) {
    throw new UsageError({message: 'The SSM probe needs the instance to run on.', hint: `Set --instance-id (or VPCSC_INSTANCE_ID, "instanceId" in ${configFileName(settings)}), or use --probe local.`})
  }
  return new SsmProbe({
    instanceId: probe.instanceId,
    region: settings.regions[0],
    profile: settings.profile,
    script: probe.command ? commandProbeScript(probe.command) : vertexProbeScript({credentialFile: probe.credentialFile, url: url()}),
    timeoutMs: probe.timeoutMs,
    requestTimeoutMs: settings.requestTimeoutMs,
  })
}
