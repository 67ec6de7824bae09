import type {SSMClient} from '@aws-sdk/client-ssm'

import {awsClientOptions} from '../../aws/sdk-options.ts'
import {awsError, SSM} from '../../aws/errors.ts'
import {awsRequestBounds} from '../../aws/nat.ts'
import {sleep} from '../../core/sleep.ts'
import type {ProbeOutcome} from './classify.ts'
import type {Probe} from './probe.ts'
import {parseProbeOutput} from './ssm-script.ts'

/**
 * Runs a probe script on the instance with SSM Run Command (AWS-RunShellScript) and
 * polls GetCommandInvocation until the command is done. Every way SSM can fail becomes an
 * ERROR outcome with words a person can act on; none is mistaken for a verdict.
 */

export interface SsmProbeOptions {
  instanceId: string
  region?: string
  profile?: string
  script: string
  /** Bound on one probe, delivery included (a command nobody picks up stays Pending). */
  timeoutMs: number
  /** Bound on one SSM HTTP attempt. */
  requestTimeoutMs?: number
}

const WAITING = new Set(['Pending', 'InProgress', 'Delayed', 'Cancelling'])

export class SsmProbe implements Probe {
  readonly description: string
  private readonly options: SsmProbeOptions
  private client?: Promise<{client: SSMClient; sdk: typeof import('@aws-sdk/client-ssm')}>

  constructor(options: SsmProbeOptions) {
    this.options = options
    this.description = `SSM Run Command on ${options.instanceId}${options.region ? ` (${options.region})` : ''}`
  }

  private sdk() {
    this.client ??= import('@aws-sdk/client-ssm').then((sdk) => ({
      sdk,
      client: new sdk.SSMClient({...awsClientOptions(this.options.region, this.options.profile), requestHandler: awsRequestBounds(this.options.requestTimeoutMs)}),
    }))
    return this.client
  }

  /** The probe timeout in SSM's whole seconds, at least its minimum TimeoutSeconds (30). */
  private seconds(): number {
    return Math.max(30, Math.ceil(this.options.timeoutMs / 1000))
  }

  async run(signal?: AbortSignal): Promise<ProbeOutcome> {
    const {client, sdk} = await this.sdk()
    const deadline = Date.now() + this.options.timeoutMs
    let commandId: string
    try {
      const sent = await client.send(
        new sdk.SendCommandCommand({
          InstanceIds: [this.options.instanceId],
          DocumentName: 'AWS-RunShellScript',
          Comment: 'vpcsc probe: one read-only Vertex AI call',
          // executionTimeout bounds the run (AWS-RunShellScript's default is an hour), and
          // TimeoutSeconds the delivery (at least SSM's 30 s): each no shorter than the
          // probe's own deadline, which stays the one that ends a probe (docs/api-facts.md).
          Parameters: {commands: [this.options.script], executionTimeout: [String(this.seconds())]},
          TimeoutSeconds: this.seconds(),
        }),
        {abortSignal: signal},
      )
      commandId = sent.Command?.CommandId ?? ''
    } catch (error) {
      if (signal?.aborted) return {verdict: 'ERROR', detail: 'interrupted'}
      const name = (error as {name?: string}).name
      if (name === 'InvalidInstanceId') {
        return {verdict: 'ERROR', detail: `SSM cannot reach ${this.options.instanceId}: not a managed instance in ${this.options.region ?? 'this region'}, or its SSM agent is not online`}
      }
      return {verdict: 'ERROR', detail: `SendCommand: ${awsError(SSM, error, this.options.region, this.options.profile).message.replace(/\.$/, '')}`}
    }

    let delay = 200
    while (Date.now() < deadline) {
      await sleep(delay, signal)
      if (signal?.aborted) return {verdict: 'ERROR', detail: 'interrupted'}
      delay = Math.min(Math.round(delay * 1.5), 2000)
      let invocation
      try {
        invocation = await client.send(new sdk.GetCommandInvocationCommand({CommandId: commandId, InstanceId: this.options.instanceId}), {abortSignal: signal})
      } catch (error) {
        // Right after SendCommand the invocation may not exist yet: eventual consistency.
        if ((error as {name?: string}).name === 'InvocationDoesNotExist') continue
        if (signal?.aborted) return {verdict: 'ERROR', detail: 'interrupted'}
        return {verdict: 'ERROR', detail: `GetCommandInvocation: ${awsError(SSM, error, this.options.region, this.options.profile).message.replace(/\.$/, '')}`}
      }
      const status = invocation.Status ?? 'Pending'
      if (WAITING.has(status)) continue
      if (status === 'Success' || status === 'Failed') {
        const outcome = parseProbeOutput(invocation.StandardOutputContent ?? '', invocation.StandardErrorContent ?? '')
        if (status === 'Failed' && outcome.verdict === 'ERROR') {
          return {verdict: 'ERROR', detail: `the command failed on the instance (exit ${invocation.ResponseCode}): ${(invocation.StandardErrorContent ?? '').trim().split('\n').at(-1)?.slice(0, 200) ?? ''}`}
        }
        return outcome
      }
      // TimedOut, Cancelled, and anything new.
      return {verdict: 'ERROR', detail: `the command ${status === 'TimedOut' ? 'timed out' : `ended ${status}`} on the instance${invocation.StatusDetails && invocation.StatusDetails !== status ? ` (${invocation.StatusDetails})` : ''}`}
    }
    return {
      verdict: 'ERROR',
      detail: `no result from ${this.options.instanceId} within ${Math.round(this.options.timeoutMs / 1000)} s (command ${commandId} not delivered or still running: is the SSM agent online?)`,
    }
  }

  close(): void {
    void this.client?.then(({client}) => client.destroy())
  }
}
