import type {GoogleRestClient} from '../../gcp/client.ts'
import {classifyHttp, classifyText, type ProbeOutcome} from './classify.ts'
import type {Probe} from './probe.ts'

/**
 * The probe made by vpcsc itself, with its own Application Default Credentials: right
 * when vpcsc runs on the instance, where ADC is the Workload Identity Federation file.
 */
export class LocalProbe implements Probe {
  readonly description = 'this machine (Application Default Credentials)'
  private readonly google: GoogleRestClient
  private readonly url: string

  constructor(google: GoogleRestClient, url: string) {
    this.google = google
    this.url = url
  }

  async run(signal?: AbortSignal): Promise<ProbeOutcome> {
    const answer = await this.google.raw(this.url, signal)
    if (answer.kind === 'http') return classifyHttp(answer.status, answer.body, 'vertex')
    if (answer.kind === 'token') return answer.status ? classifyHttp(answer.status, answer.body, 'token') : classifyText(answer.body, {stage: 'token', exitCode: 1})
    return {verdict: 'ERROR', detail: answer.body}
  }
}
