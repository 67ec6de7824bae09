// The SSM Run Command executor of the local cloud: moto accepts SSM commands but never runs
// them, so the CLI's AWS_ENDPOINT_URL_SSM points here instead. It speaks the SSM JSON 1.1
// protocol (POST /, X-Amz-Target: AmazonSSM.<Operation>; signatures are not checked) and
// runs AWS-RunShellScript payloads locally "on the instance": `bash -c` in a temp dir, with
// an environment made for the instance (never this process's), whose http_proxy is the
// emulated NAT egress of the instance's NAT gateway, resolved from moto's topology.
//
// Operations: SendCommand, GetCommandInvocation, ListCommandInvocations, ListCommands,
// CancelCommand, DescribeInstanceInformation (moto lacks the last two of those it has).
// Admin API for tests under /__admin/ (faults, request log, reset): see README.md.
import {randomUUID} from 'node:crypto'
import {chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {DescribeInstancesCommand, type EC2Client} from '@aws-sdk/client-ec2'
import {DEFAULT_REGION, ec2Client} from '../aws-seed.ts'
import {NatEgress} from '../nat-egress.ts'
import {LONGEST_TIMER_MS, runScript, type RunningScript} from './run-script.ts'
import {findInstance, resolveEgress, type Egress} from './topology.ts'

export const RUN_SHELL_SCRIPT = 'AWS-RunShellScript'
/** SSM's inline output cuts (GetCommandInvocation). */
export const STDOUT_LIMIT = 24_000
export const STDERR_LIMIT = 8_000
/** CommandPlugin.Output (ListCommandInvocations with Details) is cut at 2,500 characters by AWS. */
export const PLUGIN_OUTPUT_LIMIT = 2_500
/** Filler printed before the script's own output by the `truncate` fault. */
export const TRUNCATE_FILLER_CHARS = 30_000
const DEFAULT_TIMEOUT_SECONDS = 3600
const MAX_TIMEOUT_SECONDS = 2_592_000
/**
 * AWS-RunShellScript's executionTimeout: how long the commands may run once started (default
 * 3600 s, at most 172800 s, 48 h). TimeoutSeconds is the delivery timeout: how long SSM tries
 * to start the command on the instance (docs/api-facts.md, AWS SSM Run Command).
 */
const DEFAULT_EXECUTION_SECONDS = 3600
const MAX_EXECUTION_SECONDS = 172_800
/** Where the instance's proxy variables point when it has no NAT egress: port 1 is privileged and closed. */
export const NO_EGRESS_PROXY = 'http://127.0.0.1:1'
const STAND_IN_GCLOUD = fileURLToPath(new URL('./stand-ins/gcloud.mjs', import.meta.url))

export type FaultKind = 'never-delivered' | 'timed-out' | 'failed' | 'truncate' | 'delay'
const FAULT_KINDS: readonly FaultKind[] = ['never-delivered', 'timed-out', 'failed', 'truncate', 'delay']

/** POST /__admin/faults: applies to the next `count` (1) SendCommands. */
export interface FaultSpec {
  kind: FaultKind
  count?: number
  /** `delay` only: how much longer the invocation stays InProgress (default 1000). */
  delayMs?: number
}

/** One SSM call as GET /__admin/requests lists it. */
export interface SsmCall {
  seq: number
  /** The X-Amz-Target header, e.g. AmazonSSM.SendCommand. */
  target: string
  /** The parsed JSON request body. */
  body: unknown
  at: string
  /** HTTP status of the answer (null while pending). */
  status: number | null
  /** The error's __type when it failed. */
  error?: string
  /** The region of the request's signature. */
  region: string
}

export type InvocationStatus = 'Pending' | 'InProgress' | 'Delayed' | 'Success' | 'Cancelled' | 'TimedOut' | 'Failed' | 'Cancelling'

export interface SsmExecutorOptions {
  /** moto's endpoint: instances and the network topology are read from there. */
  motoEndpoint: string
  /** Region when a request carries no SigV4 signature to read it from. Default us-east-1. */
  region?: string
  host?: string
  port?: number
  /** Per-command temp dirs and the stand-ins live here. Default: a new temp dir, removed on close. */
  workDir?: string
  /** The NAT egress to use (the world shares its own); default: a private one, closed on close. */
  egressProxyFor?: (ip: string) => Promise<string>
  /** How long a command stays Pending before the agent picks it up. Default 100 ms. */
  pickupMs?: number
  /** The least time an invocation stays InProgress. Default 150 ms. */
  minInProgressMs?: number
}

export interface SsmExecutor {
  url: string
  port: number
  workDir: string
  /** The dir at the front of the instance's PATH (gcloud stand-in). */
  standInsDir: string
  close(): Promise<void>
}

class SsmError extends Error {
  readonly type: string
  constructor(type: string, message: string) {
    super(message)
    this.type = type
  }
}

interface Invocation {
  commandId: string
  instanceId: string
  region: string
  status: InvocationStatus
  statusDetails: string
  responseCode: number
  stdout: string
  stderr: string
  startedAt?: number
  endedAt?: number
  /** The first GetCommandInvocation answers InvocationDoesNotExist (eventual consistency). */
  visible: boolean
  script?: RunningScript
  timers: Set<NodeJS.Timeout>
}

interface Command {
  commandId: string
  documentName: string
  parameters: Record<string, string[]>
  instanceIds: string[]
  comment: string
  timeoutSeconds: number
  executionSeconds: number
  requestedAt: number
  region: string
  fault?: {kind: FaultKind; delayMs: number}
  invocations: Invocation[]
}

interface QueuedFault {
  kind: FaultKind
  remaining: number
  delayMs: number
}

const TERMINAL: ReadonlySet<InvocationStatus> = new Set(['Success', 'Cancelled', 'TimedOut', 'Failed'])
const epochSeconds = (ms: number) => ms / 1000
const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString())
const elapsed = (inv: Invocation) =>
  inv.startedAt === undefined || inv.endedAt === undefined ? '' : `PT${((inv.endedAt - inv.startedAt) / 1000).toFixed(3)}S`

/** 300 lines of 99 characters and a newline: 30,000 characters. */
function filler(): string {
  const line = `${'~'.repeat(20)} local cloud filler (truncate fault) ${'~'.repeat(42)}\n`
  return line.repeat(Math.ceil(TRUNCATE_FILLER_CHARS / line.length)).slice(0, TRUNCATE_FILLER_CHARS)
}

/** The region from a SigV4 Authorization header's credential scope. */
function regionOf(req: IncomingMessage, fallback: string): string {
  const auth = req.headers.authorization ?? ''
  return /Credential=[^/]+\/\d{8}\/([^/]+)\/ssm\//.exec(auth)?.[1] ?? fallback
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.once('error', reject)
  })
}

function sendJson(res: ServerResponse, status: number, body: unknown, contentType = 'application/x-amz-json-1.1'): void {
  const text = JSON.stringify(body ?? {})
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  })
  res.end(text)
}

function str(body: Record<string, unknown>, field: string, required: true): string
function str(body: Record<string, unknown>, field: string, required?: false): string | undefined
function str(body: Record<string, unknown>, field: string, required = false): string | undefined {
  const v = body[field]
  if (v === undefined || v === null) {
    if (required) throw new SsmError('ValidationException', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`)
    return undefined
  }
  if (typeof v !== 'string') throw new SsmError('SerializationException', `${field} must be a string`)
  return v
}

export function parseFault(spec: unknown): QueuedFault {
  const s = (spec ?? {}) as Record<string, unknown>
  if (typeof s !== 'object' || Array.isArray(s)) throw new Error('a fault is a JSON object {kind, count?, delayMs?}')
  const unknown = Object.keys(s).filter((k) => !['kind', 'count', 'delayMs'].includes(k))
  if (unknown.length) throw new Error(`unknown fault field(s): ${unknown.join(', ')}`)
  if (!FAULT_KINDS.includes(s.kind as FaultKind)) {
    throw new Error(`fault kind must be one of ${FAULT_KINDS.join(', ')}; got ${JSON.stringify(s.kind)}`)
  }
  const count = s.count ?? 1
  if (!Number.isInteger(count) || (count as number) < 1) throw new Error(`count must be a positive integer, got ${JSON.stringify(s.count)}`)
  const delayMs = s.delayMs ?? (s.kind === 'delay' ? 1000 : 0)
  if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
    throw new Error(`delayMs must be a non-negative number, got ${JSON.stringify(s.delayMs)}`)
  }
  return {kind: s.kind as FaultKind, remaining: count as number, delayMs}
}

/** Writes the instance's tools: `gcloud` runs the stand-in with this Node (not on the instance's PATH). */
function writeStandIns(dir: string): void {
  mkdirSync(dir, {recursive: true})
  const gcloudJs = join(dir, 'gcloud.mjs')
  copyFileSync(STAND_IN_GCLOUD, gcloudJs)
  const quote = (v: string) => `'${v.replaceAll("'", `'\\''`)}'`
  const wrapper = join(dir, 'gcloud')
  writeFileSync(wrapper, `#!/bin/sh\n# Stand-in for the gcloud CLI (vpcsc local cloud).\nexec ${quote(process.execPath)} ${quote(gcloudJs)} "$@"\n`)
  chmodSync(wrapper, 0o755)
}

export async function startSsmExecutor(opts: SsmExecutorOptions): Promise<SsmExecutor> {
  const defaultRegion = opts.region ?? DEFAULT_REGION
  const pickupMs = opts.pickupMs ?? 100
  const minInProgressMs = opts.minInProgressMs ?? 150
  const ownWorkDir = opts.workDir === undefined
  const workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), 'vpcsc-ssm-'))
  const standInsDir = join(workDir, 'stand-ins')
  const runsDir = join(workDir, 'runs')
  writeStandIns(standInsDir)
  mkdirSync(runsDir, {recursive: true})
  const ownEgress = opts.egressProxyFor ? undefined : new NatEgress()
  const egressProxyFor = opts.egressProxyFor ?? (ownEgress as NatEgress).egressProxyFor

  const ec2s = new Map<string, EC2Client>()
  const ec2 = (region: string) => {
    let client = ec2s.get(region)
    if (!client) {
      client = ec2Client(opts.motoEndpoint, region)
      ec2s.set(region, client)
    }
    return client
  }

  let commands = new Map<string, Command>()
  let faults: QueuedFault[] = []
  let calls: SsmCall[] = []
  let seq = 1
  /** Bumped by reset: work started before it must not touch the state after it. */
  let generation = 0

  /** Runs fn `ms` from now, never early (timers may fire a millisecond ahead of Date.now()). */
  const later = (inv: Invocation, ms: number, fn: () => void) => {
    const due = Date.now() + Math.max(0, ms)
    const arm = (wait: number) => {
      const timer = setTimeout(() => {
        inv.timers.delete(timer)
        if (Date.now() < due) arm(due - Date.now())
        else fn()
      }, Math.min(wait, LONGEST_TIMER_MS))
      inv.timers.add(timer)
    }
    arm(Math.max(0, ms))
  }

  const finish = (inv: Invocation, outcome: {status: InvocationStatus; responseCode: number; stdout?: string; stderr?: string}) => {
    if (TERMINAL.has(inv.status)) return
    inv.status = outcome.status
    inv.statusDetails = outcome.status === 'TimedOut' ? 'ExecutionTimedOut' : outcome.status
    inv.responseCode = outcome.responseCode
    inv.stdout = (outcome.stdout ?? '').slice(0, STDOUT_LIMIT)
    inv.stderr = (outcome.stderr ?? '').slice(0, STDERR_LIMIT)
    inv.endedAt = Date.now()
    inv.script = undefined
  }

  const instanceEnv = (inv: Invocation, dir: string, proxy: string): Record<string, string> => ({
    PATH: `${standInsDir}:/usr/local/bin:/usr/bin:/bin`,
    HOME: dir,
    TMPDIR: dir,
    http_proxy: proxy,
    HTTP_PROXY: proxy,
    // What the SSM agent sets for every command.
    AWS_SSM_INSTANCE_ID: inv.instanceId,
    AWS_SSM_REGION_NAME: inv.region,
  })

  async function execute(cmd: Command, inv: Invocation, earliestEnd: number): Promise<void> {
    const gen = generation
    let egress: Egress
    try {
      egress = await resolveEgress(ec2(inv.region), inv.instanceId)
    } catch (error) {
      egress = {ip: undefined, reason: `moto could not be asked (${error instanceof Error ? error.message : String(error)})`}
    }
    const proxy = egress.ip ? await egressProxyFor(egress.ip) : NO_EGRESS_PROXY
    if (gen !== generation || inv.status !== 'InProgress') return
    const dir = join(runsDir, `${cmd.commandId}-${inv.instanceId}`)
    mkdirSync(dir, {recursive: true})
    const elapsedMs = Date.now() - (inv.startedAt as number)
    const script = runScript({
      script: (cmd.parameters.commands ?? []).join('\n'),
      cwd: dir,
      env: instanceEnv(inv, dir, proxy),
      timeoutMs: Math.max(0, cmd.executionSeconds * 1000 - elapsedMs),
    })
    inv.script = script
    const result = await script.done
    if (gen !== generation || inv.status !== 'InProgress') return
    const truncate = cmd.fault?.kind === 'truncate'
    const stdout = (truncate ? filler() : '') + result.stdout
    let stderr = result.stderr
    let status: InvocationStatus = result.exitCode === 0 ? 'Success' : 'Failed'
    if (result.timedOut) status = 'TimedOut'
    else if (result.spawnError) stderr = `failed to run commands: ${result.spawnError}`
    else if (result.exitCode !== 0) {
      // The agent's own last line for a non-zero exit.
      stderr += `${stderr && !stderr.endsWith('\n') ? '\n' : ''}failed to run commands: exit status ${result.exitCode}`
    }
    const outcome = {status, responseCode: result.timedOut ? -1 : result.exitCode, stdout, stderr}
    later(inv, earliestEnd - Date.now(), () => finish(inv, outcome))
  }

  /** The agent picks the invocation up: InProgress, then the script (or the fault) decides. */
  function pickUp(cmd: Command, inv: Invocation): void {
    if (inv.status !== 'Pending') return
    inv.status = 'InProgress'
    inv.statusDetails = 'InProgress'
    inv.startedAt = Date.now()
    const earliestEnd = inv.startedAt + minInProgressMs + (cmd.fault?.kind === 'delay' ? cmd.fault.delayMs : 0)
    const wait = earliestEnd - Date.now()
    if (cmd.fault?.kind === 'timed-out') {
      later(inv, wait, () => finish(inv, {status: 'TimedOut', responseCode: -1}))
    } else if (cmd.fault?.kind === 'failed') {
      later(inv, wait, () => finish(inv, {status: 'Failed', responseCode: 1, stderr: 'failed to run commands: exit status 1'}))
    } else {
      execute(cmd, inv, earliestEnd).catch((error: unknown) => {
        const why = error instanceof Error ? error.message : String(error)
        finish(inv, {status: 'Failed', responseCode: 1, stderr: `local cloud SSM executor error: ${why}`})
      })
    }
  }

  function takeFault(): Command['fault'] {
    const next = faults[0]
    if (!next) return undefined
    next.remaining -= 1
    if (next.remaining <= 0) faults.shift()
    return {kind: next.kind, delayMs: next.delayMs}
  }

  function commandStatus(cmd: Command): InvocationStatus {
    const statuses = cmd.invocations.map((i) => i.status)
    for (const s of ['InProgress', 'Pending', 'Cancelling', 'Delayed'] as const) {
      if (statuses.includes(s)) return statuses.every((x) => x === 'Pending') ? 'Pending' : 'InProgress'
    }
    if (statuses.every((s) => s === 'Success')) return 'Success'
    for (const s of ['TimedOut', 'Cancelled', 'Failed'] as const) if (statuses.includes(s)) return s
    return 'Failed'
  }

  function commandView(cmd: Command) {
    const status = commandStatus(cmd)
    const done = cmd.invocations.filter((i) => TERMINAL.has(i.status))
    return {
      CommandId: cmd.commandId,
      DocumentName: cmd.documentName,
      DocumentVersion: '$DEFAULT',
      Comment: cmd.comment,
      ExpiresAfter: epochSeconds(cmd.requestedAt + cmd.timeoutSeconds * 1000),
      Parameters: cmd.parameters,
      InstanceIds: cmd.instanceIds,
      Targets: [],
      RequestedDateTime: epochSeconds(cmd.requestedAt),
      Status: status,
      StatusDetails: status,
      OutputS3Region: cmd.region,
      OutputS3BucketName: '',
      OutputS3KeyPrefix: '',
      MaxConcurrency: '50',
      MaxErrors: '0',
      TargetCount: cmd.invocations.length,
      CompletedCount: done.length,
      ErrorCount: done.filter((i) => i.status === 'Failed').length,
      DeliveryTimedOutCount: 0,
      ServiceRole: '',
      NotificationConfig: {NotificationArn: '', NotificationEvents: [], NotificationType: ''},
      CloudWatchOutputConfig: {CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false},
      TimeoutSeconds: cmd.timeoutSeconds,
    }
  }

  function invocationView(cmd: Command, inv: Invocation, details: boolean) {
    let output = inv.stdout
    if (inv.stderr) output += `\n----------ERROR-------\n${inv.stderr}`
    return {
      CommandId: cmd.commandId,
      InstanceId: inv.instanceId,
      InstanceName: '',
      Comment: cmd.comment,
      DocumentName: cmd.documentName,
      DocumentVersion: '$DEFAULT',
      RequestedDateTime: epochSeconds(cmd.requestedAt),
      Status: inv.status,
      StatusDetails: inv.statusDetails,
      TraceOutput: '',
      StandardOutputUrl: '',
      StandardErrorUrl: '',
      CommandPlugins: details
        ? [
            {
              Name: 'aws:runShellScript',
              Status: inv.status,
              StatusDetails: inv.statusDetails,
              ResponseCode: inv.responseCode,
              ...(inv.startedAt === undefined ? {} : {ResponseStartDateTime: epochSeconds(inv.startedAt)}),
              ...(inv.endedAt === undefined ? {} : {ResponseFinishDateTime: epochSeconds(inv.endedAt)}),
              Output: output.slice(0, PLUGIN_OUTPUT_LIMIT),
              StandardOutputUrl: '',
              StandardErrorUrl: '',
              OutputS3Region: cmd.region,
              OutputS3BucketName: '',
              OutputS3KeyPrefix: '',
            },
          ]
        : [],
      ServiceRole: '',
      NotificationConfig: {NotificationArn: '', NotificationEvents: [], NotificationType: ''},
      CloudWatchOutputConfig: {CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false},
    }
  }

  const operations: Record<string, (body: Record<string, unknown>, region: string) => Promise<unknown> | unknown> = {
    async SendCommand(body, region) {
      const documentName = str(body, 'DocumentName', true)
      const instanceIds = body.InstanceIds
      if (body.Targets !== undefined && instanceIds === undefined) {
        throw new SsmError('ValidationException', 'The local cloud supports InstanceIds only, not Targets.')
      }
      if (!Array.isArray(instanceIds) || instanceIds.length === 0 || instanceIds.some((i) => typeof i !== 'string')) {
        throw new SsmError('ValidationException', 'InstanceIds must be a non-empty list of instance ids.')
      }
      if (instanceIds.length > 50) throw new SsmError('ValidationException', 'InstanceIds: at most 50 instances.')
      if (documentName !== RUN_SHELL_SCRIPT) {
        throw new SsmError('InvalidDocument', `Document ${documentName} does not exist in your account (the local cloud runs ${RUN_SHELL_SCRIPT} only).`)
      }
      const parameters = (body.Parameters ?? {}) as Record<string, unknown>
      const commandLines = parameters.commands
      if (typeof parameters !== 'object' || !Array.isArray(commandLines) || commandLines.length === 0 || commandLines.some((c) => typeof c !== 'string')) {
        throw new SsmError('InvalidParameters', 'Parameter "commands" is required by document AWS-RunShellScript and must be a list of strings.')
      }
      const unknownParams = Object.keys(parameters).filter((k) => !['commands', 'workingDirectory', 'executionTimeout'].includes(k))
      if (unknownParams.length) {
        throw new SsmError('InvalidParameters', `Document AWS-RunShellScript does not support the parameter(s) ${unknownParams.join(', ')}.`)
      }
      const timeoutSeconds = body.TimeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS
      if (!Number.isInteger(timeoutSeconds) || (timeoutSeconds as number) < 1 || (timeoutSeconds as number) > MAX_TIMEOUT_SECONDS) {
        throw new SsmError(
          'ValidationException',
          `1 validation error detected: Value '${String(timeoutSeconds)}' at 'timeoutSeconds' failed to satisfy constraint: Member must have value between 1 and ${MAX_TIMEOUT_SECONDS}`,
        )
      }
      const execution = parameters.executionTimeout
      const executionSeconds = execution === undefined ? DEFAULT_EXECUTION_SECONDS : Array.isArray(execution) && execution.length === 1 && /^[1-9][0-9]*$/.test(String(execution[0])) ? Number(execution[0]) : NaN
      if (!(executionSeconds >= 1 && executionSeconds <= MAX_EXECUTION_SECONDS)) {
        throw new SsmError('InvalidParameters', `Parameter "executionTimeout" of document AWS-RunShellScript must be one whole number of seconds from 1 to ${MAX_EXECUTION_SECONDS}.`)
      }
      const comment = str(body, 'Comment') ?? ''
      if (comment.length > 100) {
        throw new SsmError('ValidationException', "1 validation error detected: Value at 'comment' failed to satisfy constraint: Member must have length less than or equal to 100")
      }
      for (const id of instanceIds as string[]) {
        const instance = await findInstance(ec2(region), id)
        if (instance?.State?.Name !== 'running') {
          throw new SsmError('InvalidInstanceId', `Instances [[${id}]] not in a valid state for account (not found or not running in ${region}).`)
        }
      }
      const gen = generation
      const requestedAt = Date.now()
      const cmd: Command = {
        commandId: randomUUID(),
        documentName,
        parameters: parameters as Record<string, string[]>,
        instanceIds: instanceIds as string[],
        comment,
        timeoutSeconds: timeoutSeconds as number,
        executionSeconds,
        requestedAt,
        region,
        fault: takeFault(),
        invocations: [],
      }
      for (const instanceId of cmd.instanceIds) {
        const inv: Invocation = {
          commandId: cmd.commandId,
          instanceId,
          region,
          status: 'Pending',
          statusDetails: 'Pending',
          responseCode: -1,
          stdout: '',
          stderr: '',
          visible: false,
          timers: new Set(),
        }
        cmd.invocations.push(inv)
        // never-delivered: the agent never picks it up; it stays Pending.
        if (cmd.fault?.kind !== 'never-delivered' && gen === generation) later(inv, pickupMs, () => pickUp(cmd, inv))
      }
      if (gen === generation) commands.set(cmd.commandId, cmd)
      return {Command: commandView(cmd)}
    },

    GetCommandInvocation(body) {
      const commandId = str(body, 'CommandId', true)
      const instanceId = str(body, 'InstanceId', true)
      const cmd = commands.get(commandId)
      const inv = cmd?.invocations.find((i) => i.instanceId === instanceId)
      if (!cmd || !inv || !inv.visible) {
        if (inv) inv.visible = true
        throw new SsmError('InvocationDoesNotExist', `An invocation of command ${commandId} on instance ${instanceId} does not exist.`)
      }
      return {
        CommandId: cmd.commandId,
        InstanceId: inv.instanceId,
        Comment: cmd.comment,
        DocumentName: cmd.documentName,
        DocumentVersion: '$DEFAULT',
        PluginName: 'aws:runShellScript',
        ResponseCode: inv.responseCode,
        ExecutionStartDateTime: iso(inv.startedAt),
        ExecutionElapsedTime: elapsed(inv),
        ExecutionEndDateTime: iso(inv.endedAt),
        Status: inv.status,
        StatusDetails: inv.statusDetails,
        StandardOutputContent: inv.stdout,
        StandardOutputUrl: '',
        StandardErrorContent: inv.stderr,
        StandardErrorUrl: '',
        CloudWatchOutputConfig: {CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false},
      }
    },

    ListCommandInvocations(body) {
      const commandId = str(body, 'CommandId')
      const instanceId = str(body, 'InstanceId')
      const details = body.Details === true
      const out = [...commands.values()]
        .filter((c) => commandId === undefined || c.commandId === commandId)
        .sort((a, b) => b.requestedAt - a.requestedAt)
        .flatMap((c) => c.invocations.filter((i) => instanceId === undefined || i.instanceId === instanceId).map((i) => invocationView(c, i, details)))
      return {CommandInvocations: out}
    },

    ListCommands(body) {
      const commandId = str(body, 'CommandId')
      const instanceId = str(body, 'InstanceId')
      if (commandId !== undefined && !commands.has(commandId)) throw new SsmError('InvalidCommandId', `Command ${commandId} does not exist.`)
      const out = [...commands.values()]
        .filter((c) => commandId === undefined || c.commandId === commandId)
        .filter((c) => instanceId === undefined || c.instanceIds.includes(instanceId))
        .sort((a, b) => b.requestedAt - a.requestedAt)
        .map(commandView)
      return {Commands: out}
    },

    CancelCommand(body) {
      const commandId = str(body, 'CommandId', true)
      const cmd = commands.get(commandId)
      if (!cmd) throw new SsmError('InvalidCommandId', `Command ${commandId} does not exist.`)
      const only = Array.isArray(body.InstanceIds) ? (body.InstanceIds as string[]) : undefined
      for (const inv of cmd.invocations) {
        if ((only && !only.includes(inv.instanceId)) || TERMINAL.has(inv.status)) continue
        for (const t of inv.timers) clearTimeout(t)
        inv.timers.clear()
        inv.script?.kill()
        finish(inv, {status: 'Cancelled', responseCode: -1})
      }
      return {}
    },

    async DescribeInstanceInformation(body, region) {
      const filters = [
        ...((body.InstanceInformationFilterList ?? []) as {key?: string; valueSet?: string[]}[]).map((f) => ({Key: f.key, Values: f.valueSet})),
        ...((body.Filters ?? []) as {Key?: string; Values?: string[]}[]),
      ]
      const ids = filters.filter((f) => f.Key === 'InstanceIds').flatMap((f) => f.Values ?? [])
      const r = await ec2(region).send(new DescribeInstancesCommand({Filters: [{Name: 'instance-state-name', Values: ['running']}]}))
      const instances = (r.Reservations ?? []).flatMap((res) => res.Instances ?? []).filter((i) => !ids.length || ids.includes(i.InstanceId ?? ''))
      return {
        InstanceInformationList: instances.map((i) => ({
          InstanceId: i.InstanceId,
          PingStatus: 'Online',
          LastPingDateTime: epochSeconds(Date.now()),
          AgentVersion: '3.3.0.0',
          IsLatestVersion: true,
          PlatformType: 'Linux',
          PlatformName: 'Amazon Linux',
          PlatformVersion: '2023',
          ResourceType: 'EC2Instance',
          IPAddress: i.PrivateIpAddress,
          ComputerName: i.PrivateDnsName,
          AssociationStatus: 'Success',
        })),
      }
    },
  }

  function clearState(): void {
    generation += 1
    for (const cmd of commands.values()) {
      for (const inv of cmd.invocations) {
        for (const t of inv.timers) clearTimeout(t)
        inv.timers.clear()
        inv.script?.kill()
      }
    }
    commands = new Map()
    faults = []
    rmSync(runsDir, {recursive: true, force: true})
    mkdirSync(runsDir, {recursive: true})
  }

  function admin(method: string, path: string, raw: string): {status: number; body: unknown} {
    const json = () => {
      try {
        return raw ? (JSON.parse(raw) as unknown) : {}
      } catch {
        throw new Error('the body is not valid JSON')
      }
    }
    const route = `${method} ${path}`
    try {
      switch (route) {
        case 'POST /__admin/faults': {
          const fault = parseFault(json())
          faults.push(fault)
          return {status: 200, body: {faults}}
        }
        case 'GET /__admin/faults':
          return {status: 200, body: {faults}}
        case 'DELETE /__admin/faults':
          faults = []
          return {status: 200, body: {}}
        case 'GET /__admin/requests':
          return {status: 200, body: calls}
        case 'DELETE /__admin/requests':
          calls = []
          return {status: 200, body: {}}
        case 'GET /__admin/commands':
          return {status: 200, body: [...commands.values()].map((c) => ({...commandView(c), invocations: c.invocations.map((i) => invocationView(c, i, true))}))}
        case 'POST /__admin/reset':
          clearState()
          calls = []
          return {status: 200, body: {}}
        default:
          return {status: 404, body: {error: `no admin route ${route}`}}
      }
    } catch (error) {
      return {status: 400, body: {error: error instanceof Error ? error.message : String(error)}}
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req)
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    const method = (req.method ?? 'GET').toUpperCase()
    if (path.startsWith('/__admin')) {
      const reply = admin(method, path, raw)
      sendJson(res, reply.status, reply.body, 'application/json')
      return
    }
    const target = String(req.headers['x-amz-target'] ?? '')
    const region = regionOf(req, defaultRegion)
    let body: unknown
    try {
      body = raw ? JSON.parse(raw) : {}
    } catch {
      body = raw
    }
    const call: SsmCall = {seq: seq++, target, body, at: new Date().toISOString(), status: null, region}
    calls.push(call)
    let status = 200
    let answer: unknown
    try {
      if (method !== 'POST' || path !== '/') throw new SsmError('UnknownOperationException', `${method} ${path}: the SSM API is POST / only.`)
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new SsmError('SerializationException', 'The request body is not a JSON object.')
      }
      const op = /^AmazonSSM\.(\w+)$/.exec(target)?.[1]
      const handler = op ? operations[op] : undefined
      if (!handler) throw new SsmError('UnknownOperationException', `The local cloud's SSM does not implement ${target || '(no X-Amz-Target)'}.`)
      answer = await handler(body as Record<string, unknown>, region)
    } catch (error) {
      const e = error instanceof SsmError ? error : new SsmError('InternalServerError', error instanceof Error ? error.message : String(error))
      status = e.type === 'InternalServerError' ? 500 : 400
      call.error = e.type
      answer = {__type: e.type, message: e.message}
    }
    call.status = status
    sendJson(res, status, answer)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, {__type: 'InternalServerError', message: String(error)})
    })
  })
  const host = opts.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  // Scripts run in their own process groups: kill them even when close() is never called.
  const killScripts = () => {
    for (const cmd of commands.values()) for (const inv of cmd.invocations) inv.script?.kill()
  }
  process.once('exit', killScripts)
  let closed: Promise<void> | undefined
  return {
    url: `http://${host}:${port}`,
    port,
    workDir,
    standInsDir,
    close() {
      closed ??= (async () => {
        process.off('exit', killScripts)
        clearState()
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
        await ownEgress?.close()
        for (const client of ec2s.values()) client.destroy()
        if (ownWorkDir) rmSync(workDir, {recursive: true, force: true})
      })()
      return closed
    },
  }
}
