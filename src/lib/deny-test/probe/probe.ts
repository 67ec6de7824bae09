import type {ProbeOutcome} from './classify.ts'

/** One attempt at "call Vertex AI as the workload does", classified. */
export interface Probe {
  /** For people: where the call is made from, e.g. "SSM on i-0abc (us-east-1)". */
  readonly description: string
  run(signal?: AbortSignal): Promise<ProbeOutcome>
}

/** The cheap, read-only Vertex AI method every probe calls. */
export function vertexProbeUrl(endpoint: string, project: string, location: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}/models?pageSize=1`
}

export function defaultVertexEndpoint(location: string): string {
  return `https://${location}-aiplatform.googleapis.com`
}
