// Shared by the end-to-end tests: one world per test file, reset before each test, and
// small readers of the emulated Google's state and request log.
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {stripVTControlCharacters} from 'node:util'
import {after, before, beforeEach} from 'node:test'

import {LEVEL, OTHER_LEVEL, PERIMETER} from '../local-cloud/google/seed.ts'
import {assertJsonContract} from './json-contract.ts'
import {CLI_ENTRY, cliProcessOptions, runCli, startWorld, type CliResult, type World, type WorldOptions} from '../local-cloud/world.ts'

export {LEVEL, OTHER_LEVEL, PERIMETER}


export interface StoredLevel {
  name: string
  title?: string
  basic?: {combiningFunction?: string; conditions: {ipSubnetworks?: string[]; members?: string[]; regions?: string[]}[]}
}

/** Starts one world for the file and resets it before each test. */
export function useWorld(options: WorldOptions = {}): {readonly world: World} {
  const holder: {world?: World} = {}
  before(async () => {
    holder.world = await startWorld(options)
  })
  beforeEach(async () => {
    await holder.world!.reset()
    // Deny-test journals live in the CLI's state dir, outside the emulated clouds.
    rmSync(join(holder.world!.env.XDG_STATE_HOME!, 'vpcsc'), {recursive: true, force: true})
  })
  after(async () => {
    await holder.world?.stop()
  })
  return {
    get world() {
      if (!holder.world) throw new Error('world not started')
      return holder.world
    },
  }
}

/** The built CLI, run once; any `--json` output is checked against its command's schema. */
export async function vpcsc(world: World, args: string[], opts?: Parameters<typeof runCli>[2]): Promise<CliResult> {
  const result = await runCli(world, args, opts)
  assertJsonContract(args, result.stdout)
  return result
}

export async function storedLevel(world: World, name = LEVEL): Promise<StoredLevel> {
  const state = (await world.admin.state()) as unknown as {levels: StoredLevel[]}
  const level = state.levels.find((l) => l.name === name)
  if (!level) throw new Error(`no level ${name} in the emulator`)
  return level
}

export interface LoggedWrite {
  method: string
  path: string
  query: Record<string, string>
  body: Record<string, unknown>
}

export async function writes(world: World): Promise<LoggedWrite[]> {
  return (await world.admin.requests()).filter((r) => r.write === true) as unknown as LoggedWrite[]
}

/** A result's output, for assertion messages. */
export function show(result: CliResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`
}

export interface RunningCli {
  child: ChildProcess
  /** Resolves when stderr (or stdout) has matched the pattern; rejects when the process ends first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>
  result: Promise<CliResult>
}

/** The built CLI as a child process that a test can watch and signal while it runs. */
export function spawnCli(world: World, args: string[], opts: {env?: Record<string, string>} = {}): RunningCli {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], {...cliProcessOptions(world, opts.env), stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  const watchers = new Set<() => void>()
  const notify = () => watchers.forEach((w) => w())
  child.stdout!.setEncoding('utf8').on('data', (c: string) => ((stdout += c), notify()))
  child.stderr!.setEncoding('utf8').on('data', (c: string) => ((stderr += c), notify()))
  const result = new Promise<CliResult>((resolve) => child.once('close', (code, signal) => resolve({code, signal, stdout, stderr})))
  return {
    child,
    result,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(stderr) || pattern.test(stdout)) {
            cleanup()
            resolve()
          }
        }
        const timer = setTimeout(() => (cleanup(), reject(new Error(`no ${pattern} within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`))), timeoutMs)
        const ended = () => (cleanup(), reject(new Error(`vpcsc ended before ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`)))
        const cleanup = () => {
          clearTimeout(timer)
          watchers.delete(check)
          child.off('close', ended)
        }
        watchers.add(check)
        child.once('close', ended)
        check()
      })
    },
  }
}

/** Admin calls the world's typed client does not wrap. */
export async function googleAdmin(world: World, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${world.googleUrl}/__admin/${path}`, {
    method,
    headers: body === undefined ? {} : {'content-type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`admin ${method} ${path}: ${res.status} ${text}`)
  return text ? JSON.parse(text) : undefined
}

/**
 * One Vertex AI call as a workload makes it, from the given egress IP (the emulated NAT's
 * header), with a token from the emulated STS. Returns the HTTP status.
 */
export async function vertexCall(world: World, egressIp?: string): Promise<number> {
  const credentials = JSON.parse(readFileSync(world.env.GOOGLE_APPLICATION_CREDENTIALS!, 'utf8')) as {token_url: string; audience: string; subject_token_type: string; credential_source: {file: string}}
  const headers: Record<string, string> = egressIp ? {'x-vpcsc-egress-ip': egressIp} : {}
  const exchange = await fetch(credentials.token_url, {
    method: 'POST',
    headers: {...headers, 'content-type': 'application/x-www-form-urlencoded'},
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      audience: credentials.audience,
      scope: 'https://www.googleapis.com/auth/cloud-platform',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      subject_token_type: credentials.subject_token_type,
      subject_token: readFileSync(credentials.credential_source.file, 'utf8').trim(),
    }),
  })
  if (!exchange.ok) return exchange.status
  const {access_token: token} = (await exchange.json()) as {access_token: string}
  const answer = await fetch(`${world.googleUrl}/v1/projects/123456789012/locations/us-central1/models?pageSize=1`, {headers: {...headers, authorization: `Bearer ${token}`}})
  return answer.status
}

/**
 * Another level in the perimeter admits the NAT: swapping ours then denies nothing, so a
 * deny test keeps waiting (and holding the level) until it is stopped.
 */
export async function perimeterThatNeverDenies(world: World): Promise<void> {
  const state = (await world.admin.state()) as unknown as {perimeters: {name: string; status: {accessLevels?: string[]}}[]; levels: {name: string; basic: {conditions: {ipSubnetworks?: string[]}[]}}[]}
  const other = structuredClone(state.levels.find((l) => l.name === OTHER_LEVEL)!)
  other.basic.conditions[0]!.ipSubnetworks = ['203.0.113.0/24']
  await world.admin.putResource(OTHER_LEVEL, other)
  const perimeter = structuredClone(state.perimeters.find((p) => p.name === PERIMETER)!)
  perimeter.status.accessLevels = [OTHER_LEVEL]
  await world.admin.putResource(PERIMETER, perimeter)
}

/** The CLI's state dir in a world: where deny-test journals live. */
export function journalDir(world: World): string {
  return join(world.env.XDG_STATE_HOME!, 'vpcsc')
}

/** The deny-test journals left in the world's state dir. */
export function journals(world: World): string[] {
  const dir = journalDir(world)
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('deny-test-')) : []
}

/** Human output's lines as they are printed: colour codes and a terminal's carriage returns gone. */
export function screenLines(text: string): string[] {
  return stripVTControlCharacters(text).split('\n').map((line) => line.replace(/\r$/, ''))
}

/**
 * The lines of human output wider than `width` columns, hint lines (→ ...) aside: a hint
 * wraps on a terminal, and stays whole in a pipe (for grep, and to copy its command).
 */
export function overWidth(text: string, width: number): string[] {
  return screenLines(text).filter((line) => line.length > width && !/^\s*→ /.test(line))
}

/** A string as a regular expression that matches it, spaces matching any run of white space (a wrapped line). */
export function wrappedText(text: string): RegExp {
  return new RegExp(text.split(' ').map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+'))
}
