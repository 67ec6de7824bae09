// Runs one AWS-RunShellScript payload as the instance would: `bash -c SCRIPT` in its own
// process group (so a timeout or a reset kills everything it started), with exactly the
// environment it is given, output captured.
import {spawn} from 'node:child_process'
import {constants} from 'node:os'

/** The longest wait of a Node.js timer (2^31-1 ms, ~24.8 days): past it, it fires at once. */
export const LONGEST_TIMER_MS = 2 ** 31 - 1

/** Output kept per stream: far more than SSM's 24,000 / 8,000 character cuts need. */
const CAPTURE_LIMIT = 1024 * 1024

export interface ScriptResult {
  /** The exit status; 128 + signal number when a signal ended it; -1 when it timed out or could not start. */
  exitCode: number
  timedOut: boolean
  /** Set when bash could not be started at all. */
  spawnError?: string
  stdout: string
  stderr: string
}

export interface RunningScript {
  done: Promise<ScriptResult>
  /** Kills the whole process group (idempotent). */
  kill(): void
}

function capture(stream: NodeJS.ReadableStream | null): () => string {
  const chunks: Buffer[] = []
  let size = 0
  stream?.on('data', (chunk: Buffer) => {
    if (size >= CAPTURE_LIMIT) return
    chunks.push(chunk)
    size += chunk.length
  })
  return () => Buffer.concat(chunks).subarray(0, CAPTURE_LIMIT).toString('utf8')
}

export function runScript(opts: {script: string; cwd: string; env: Record<string, string>; timeoutMs: number}): RunningScript {
  const child = spawn('/bin/bash', ['-c', opts.script], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: kill(-pid) reaches its children too
  })
  const stdout = capture(child.stdout)
  const stderr = capture(child.stderr)
  let timedOut = false
  let killed = false
  let closed = false
  const kill = () => {
    // After bash exits, its group may live on in a background job that holds the pipes.
    if (killed || closed || child.pid === undefined) return
    killed = true
    try {
      process.kill(-child.pid, 'SIGKILL')
    } catch {
      // the group is gone already
    }
  }
  // SSM lets a command run up to 30 days; a Node.js timer fires at once past ~24.8: the
  // wait is kept in steps no timer overflows.
  const due = Date.now() + opts.timeoutMs
  let timer: NodeJS.Timeout
  const arm = () => {
    timer = setTimeout(() => {
      if (Date.now() < due) return arm()
      timedOut = true
      kill()
    }, Math.min(Math.max(0, due - Date.now()), LONGEST_TIMER_MS))
    timer.unref()
  }
  arm()
  const done = new Promise<ScriptResult>((resolve) => {
    child.once('error', (error) => {
      closed = true
      clearTimeout(timer)
      resolve({exitCode: -1, timedOut: false, spawnError: error.message, stdout: '', stderr: ''})
    })
    // 'close': the exit and the end of both pipes (a background child holding a pipe is killed with the group).
    child.once('close', (code, signal) => {
      closed = true
      clearTimeout(timer)
      const exitCode = timedOut ? -1 : code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : -1)
      resolve({exitCode, timedOut, stdout: stdout(), stderr: stderr()})
    })
  })
  return {done, kill}
}
