import {spawn} from 'node:child_process'

import {classifyText, type ProbeOutcome} from './classify.ts'
import type {Probe} from './probe.ts'

/** The operator's own probe command, run on this machine (with --probe local). */
export class LocalCommandProbe implements Probe {
  readonly description: string
  private readonly command: string
  private readonly timeoutMs: number

  constructor(command: string, timeoutMs: number) {
    this.command = command
    this.timeoutMs = timeoutMs
    this.description = `this machine: ${command}`
  }

  run(signal?: AbortSignal): Promise<ProbeOutcome> {
    return new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-c', this.command], {stdio: ['ignore', 'pipe', 'pipe'], signal, timeout: this.timeoutMs})
      let output = ''
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString('utf8')).slice(-20_000)
      }
      child.stdout.on('data', keep)
      child.stderr.on('data', keep)
      child.on('error', (error) => resolve({verdict: 'ERROR', detail: `could not run the probe command: ${error.message}`}))
      child.on('close', (code, killed) => {
        if (code === null) return resolve({verdict: 'ERROR', detail: `the probe command was stopped (${killed ?? 'timeout'})`})
        resolve(classifyText(output, {stage: 'vertex', exitCode: code}))
      })
    })
  }
}
