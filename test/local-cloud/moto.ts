// Starts the moto AWS emulator (python3 -m moto.server) on a free local port.
import {spawn, spawnSync} from 'node:child_process'
import {closeSync, mkdtempSync, openSync, readFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {forgetPid, recordPid} from './pid-registry.ts'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

export interface Moto {
  endpoint: string
  port: number
  pid: number
  logFile: string
  stop(): Promise<void>
}

const HOST = '127.0.0.1'
const INSTALL_HINT = "Install it with: python3 -m pip install 'moto[server]'"

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, HOST, () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Throws a clear error when python3 or moto's server extra (flask, werkzeug) is missing. */
export function checkMoto(): void {
  // moto.server (not just moto) needs the [server] extra; importing it checks both.
  const check = spawnSync('python3', ['-c', 'import moto.server'], {encoding: 'utf8', timeout: 30_000})
  if (check.error) {
    throw new Error(`The local cloud needs python3 with moto, but python3 could not run (${check.error.message}). ${INSTALL_HINT}`)
  }
  if (check.status !== 0) {
    const why = check.stderr.trim().split('\n').at(-1) ?? 'import failed'
    throw new Error(`The local cloud needs the moto AWS emulator, but python3 cannot import moto.server (${why}). ${INSTALL_HINT}`)
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  // A zombie (exited, not yet reaped by a parent or an init that does not reap) still
  // answers signal 0 but is gone for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return true // no /proc (macOS)
  }
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function terminate(pid: number, graceMs = 5000): Promise<void> {
  const gone = async (ms: number) => {
    for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(50)) {
      if (!isAlive(pid)) return true
    }
    return !isAlive(pid)
  }
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    if (!isAlive(pid)) return
    try {
      process.kill(pid, signal)
    } catch {
      return
    }
    if (await gone(graceMs)) return
  }
  throw new Error(`process ${pid} is still running after SIGKILL`)
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

/**
 * Starts moto and waits until it answers. Output goes to `logFile` (never to a pipe: moto
 * logs every request, and an unread pipe would block it; a detached moto outlives us).
 * `detached` lets it survive this process (the demo's `cli.ts start`).
 */
export async function startMoto(opts: {logFile?: string; detached?: boolean; timeoutMs?: number} = {}): Promise<Moto> {
  checkMoto()
  const logFile = opts.logFile ?? join(mkdtempSync(join(tmpdir(), 'vpcsc-moto-')), 'moto.log')
  // freePort closes its socket before moto binds: another process may take the port in
  // between, so a start that dies with "Address already in use" is tried again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(await freePort(), logFile, opts)
    } catch (error) {
      if (attempt >= 3 || !/address already in use/i.test(String(error))) throw error
    }
  }
}

async function startOnce(port: number, logFile: string, opts: {detached?: boolean; timeoutMs?: number}): Promise<Moto> {
  const fd = openSync(logFile, 'a')
  const child = spawn('python3', ['-m', 'moto.server', '-H', HOST, '-p', String(port)], {
    stdio: ['ignore', fd, fd],
    detached: opts.detached ?? false,
    // PYTHONUNBUFFERED: moto's start-up errors reach the log before it exits.
    env: {...process.env, PYTHONUNBUFFERED: '1'},
  })
  closeSync(fd)
  let exited: number | string | null | undefined
  child.once('exit', (code, signal) => (exited = code ?? signal))
  // Never keeps this process alive: a test that forgets stop() must not hang node --test.
  child.unref()
  const pid = child.pid
  if (pid === undefined) throw new Error(`could not start python3 -m moto.server. ${INSTALL_HINT}`)
  // An attached moto dies with us even when stop() was never called; a detached one is
  // meant to outlive us.
  const killOnExit = () => {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  if (!opts.detached) process.once('exit', killOnExit)
  // A test runner killed outright never runs 'exit': scripts/test.sh stops it by this record.
  recordPid(pid, 'moto.server')

  const endpoint = `http://${HOST}:${port}`
  const stop = async () => {
    process.off('exit', killOnExit)
    await terminate(pid)
    forgetPid(pid)
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000)
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      throw new Error(`moto exited (${exited}) before answering on ${endpoint}:\n${tail(logFile)}`)
    }
    try {
      const res = await fetch(`${endpoint}/moto-api/`, {signal: AbortSignal.timeout(1000)})
      await res.body?.cancel()
      if (res.ok) return {endpoint, port, pid, logFile, stop}
    } catch {
      // not listening yet
    }
    await sleep(100)
  }
  await stop()
  throw new Error(`moto did not answer on ${endpoint} within ${opts.timeoutMs ?? 15_000} ms:\n${tail(logFile)}`)
}

/** Empties every region (moto's own reset endpoint). */
export async function resetMoto(endpoint: string): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/reset`, {method: 'POST'})
  await res.body?.cancel()
  if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`)
}
