// One local world for tests: moto (AWS) seeded with the seed's setup, the emulated Google,
// the SSM Run Command executor and the NAT egress proxies in-process, the CLI's
// environment, and the CLI run as a real child process.
import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {EC2Client} from '@aws-sdk/client-ec2'
import {startAwsGate, type AwsGate} from './aws-gate.ts'
import {
  accountCredentials,
  createMemberRole,
  DEFAULT_REGION,
  deleteMemberRole,
  ec2Client,
  memberRoleArn,
  type AccountCredentials,
  replaceNatGateway,
  seedAws,
  type AwsSeedIds,
  type NatReplacement,
} from './aws-seed.ts'
import {startBlackhole, type Blackhole} from './blackhole.ts'
import {worldEnv, writeProbeCredFile} from './env.ts'
import {startGoogleCloud} from './google/server.ts'
import type {LoggedRequest} from './google/request-log.ts'
import {SEED_EIP} from './google/seed.ts'
import {resetMoto, startMoto} from './moto.ts'
import {NatEgress} from './nat-egress.ts'
import {ssmAdminClient, type SsmAdmin} from './ssm/admin-client.ts'
import {startSsmExecutor} from './ssm/executor.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))

/** EIPs of the extra regions' NAT gateways: regions[1] gets .21, regions[2] .22, ... */
export function regionEip(index: number): string {
  return `203.0.113.${20 + index}`
}

export interface WorldOptions {
  /** Emulator time from a write's acceptance to its commit (google/README.md). Default 150 ms. */
  operationDelayMs?: number
  /** A write while another of the policy is pending: 'refuse' (409 ABORTED, default) or 'queue'. */
  pendingWrites?: 'refuse' | 'queue'
  /** regions[0] (default us-east-1) gets the seed (EIP 203.0.113.10) and is AWS_REGION; the others get their own NAT. */
  regions?: string[]
}

/** Admin API bodies are JSON objects; their fields are documented in google/admin.ts and google/controls.ts. */
export type AdminSpec = object

/** A stored policy, level or perimeter, exactly as the emulated Google holds it. */
export interface StoredResource {
  name: string
  [field: string]: unknown
}

/** GET /__admin/state (google/seed.ts CloudState). */
export interface AdminState {
  policies: StoredResource[]
  levels: StoredResource[]
  perimeters: StoredResource[]
}

/** A write the emulated Google accepted and has not committed yet (GET /__admin/operations). */
export interface PendingOperation {
  name: string
  policy: string
  method: string
  target: string
  acceptedAt: string
  dueAt: string
  etag?: string
}

/** Thin wrappers over the emulated Google's /__admin/ API (see google/admin.ts). */
export interface Admin {
  requests(): Promise<LoggedRequest[]>
  clearRequests(): Promise<void>
  fault(spec: AdminSpec): Promise<void>
  operationError(spec: AdminSpec): Promise<void>
  foreignEdit(spec: AdminSpec): Promise<void>
  config(spec: AdminSpec): Promise<unknown>
  /** GET /__admin/operations: the writes accepted and not committed yet, in commit order. */
  pendingOperations(): Promise<PendingOperation[]>
  /** POST /__admin/operations/settle: commit every pending write now; answers their names. */
  settleOperations(): Promise<string[]>
  state(): Promise<AdminState>
  putResource(name: string, value: AdminSpec): Promise<void>
  deleteResource(name: string): Promise<void>
  reset(): Promise<void>
}

export interface World {
  dir: string
  env: Record<string, string>
  googleUrl: string
  awsEndpoint: string
  /** moto's process id (tests check that stop() leaves nothing behind). */
  motoPid: number
  admin: Admin
  /** The SSM Run Command executor (AWS_ENDPOINT_URL_SSM) and its admin API (ssm/README.md). */
  ssm: {url: string; admin: SsmAdmin}
  /** A new black-hole endpoint (accepts, never answers), closed by stop(). */
  blackhole(): Promise<Blackhole>
  /** The emulated NAT egress: the forward proxy (http://127.0.0.1:PORT) whose requests leave as `ip`. */
  egressProxyFor(ip: string): Promise<string>
  /**
   * In front of moto and the SSM executor (AmazonSSM.* targets): STS always
   * (AWS_ENDPOINT_URL_STS), EC2 and SSM when a test runs the CLI with
   * `env: {AWS_ENDPOINT_URL_EC2: world.awsGate.url}` (or _SSM), e.g. to set
   * `fault({action: 'DescribeNatGateways', code, status} | {action, stall: true})`. Reset clears it.
   */
  awsGate: AwsGate
  aws: {
    /** An EC2 client in the caller's account, or in a member account seeded by seedAccount. */
    ec2(region?: string, accountId?: string): EC2Client
    /** The seed's ids in the first region (current: updated by replaceNatGateway and reset). */
    readonly ids: AwsSeedIds
    /** The ids of every seeded region. */
    readonly regions: Record<string, AwsSeedIds>
    replaceNatGateway(opts?: {eip?: string; region?: string; accountId?: string}): Promise<NatReplacement>
    seedRegion(region: string, opts: {eip: string}): Promise<AwsSeedIds>
    /**
     * A member account: the seed's setup in each region with its EIP, and (unless
     * `role: false`) the role vpcsc assumes there, which with `externalId` trusts only a
     * caller presenting it. Returns the role's ARN.
     */
    seedAccount(accountId: string, opts: {eips: Record<string, string>; role?: boolean; externalId?: string}): Promise<{roleArn: string; regions: Record<string, AwsSeedIds>}>
    /** Deletes the member account's role: AssumeRole is then denied, as AWS does. */
    deleteRole(accountId: string): Promise<void>
  }
  /** Google, SSM executor and moto back to the seed; env.VPCSC_INSTANCE_ID follows the new instance. */
  reset(): Promise<void>
  stop(): Promise<void>
}

function adminClient(googleUrl: string): Admin {
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${googleUrl}/__admin/${path}`, {
      method,
      headers: body === undefined ? {} : {'content-type': 'application/json'},
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`admin ${method} /__admin/${path}: HTTP ${res.status} ${text}`)
    return text ? JSON.parse(text) : undefined
  }
  const action = (method: string, path: string) => async (body?: unknown) => void (await call(method, path, body))
  return {
    requests: async () => (await call('GET', 'requests')) as LoggedRequest[],
    clearRequests: action('DELETE', 'requests'),
    fault: action('POST', 'faults'),
    operationError: action('POST', 'operation-errors'),
    foreignEdit: action('POST', 'foreign-edits'),
    config: (spec) => call('POST', 'config', spec),
    pendingOperations: async () => ((await call('GET', 'operations')) as {operations: PendingOperation[]}).operations,
    settleOperations: async () => ((await call('POST', 'operations/settle')) as {settled: string[]}).settled,
    state: async () => (await call('GET', 'state')) as AdminState,
    putResource: (name, value) => action('PUT', 'resource')({name, value}),
    deleteResource: (name) => action('DELETE', `resource?name=${encodeURIComponent(name)}`)(),
    reset: action('POST', 'reset'),
  }
}

export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  const regions = opts.regions?.length ? opts.regions : [DEFAULT_REGION]
  const primary = regions[0] as string
  const dir = mkdtempSync(join(tmpdir(), 'vpcsc-world-'))
  const cleanup: Array<() => Promise<void>> = []
  const stop = async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn()
  }
  try {
    cleanup.push(async () => rmSync(dir, {recursive: true, force: true}))
    const moto = await startMoto({logFile: join(dir, 'moto.log')})
    cleanup.push(moto.stop)
    const google = await startGoogleCloud({
      host: '127.0.0.1',
      port: 0,
      stateDir: join(dir, 'google'),
      ...(opts.operationDelayMs !== undefined ? {operationDelayMs: opts.operationDelayMs} : {}),
      ...(opts.pendingWrites !== undefined ? {pendingWrites: opts.pendingWrites} : {}),
    })
    cleanup.push(() => google.close())

    const members = new Map<string, AccountCredentials>()
    const memberCredentials = async (accountId: string) => {
      if (!members.has(accountId)) members.set(accountId, await accountCredentials(moto.endpoint, accountId))
      return members.get(accountId) as AccountCredentials
    }
    const ec2 = (region = primary, credentials?: AccountCredentials) => ec2Client(moto.endpoint, region, credentials)
    let seeded: Record<string, AwsSeedIds> = {}
    const seedAll = async () => {
      seeded = {}
      for (const [i, region] of regions.entries()) {
        seeded[region] = await seedAws(ec2(region), {eip: i === 0 ? SEED_EIP : regionEip(i)})
      }
    }
    await seedAll()
    mkdirSync(join(dir, 'work'), {recursive: true})

    const egress = new NatEgress()
    cleanup.push(() => egress.close())
    const ssm = await startSsmExecutor({
      motoEndpoint: moto.endpoint,
      region: primary,
      workDir: join(dir, 'ssm'),
      egressProxyFor: egress.egressProxyFor,
    })
    cleanup.push(() => ssm.close())
    const ssmAdmin = ssmAdminClient(ssm.url)
    const gate = await startAwsGate({moto: moto.endpoint, ssm: ssm.url})
    cleanup.push(() => gate.close())
    const blackhole = async () => {
      const hole = await startBlackhole()
      cleanup.push(() => hole.close())
      return hole
    }

    const admin = adminClient(google.url)
    const env = worldEnv(
      {
        dir,
        googleUrl: google.url,
        credentialFile: google.credentialFile,
        awsEndpoint: moto.endpoint,
        region: primary,
        ssmUrl: ssm.url,
        instanceId: (seeded[primary] as AwsSeedIds).instanceId,
        probeCredFile: writeProbeCredFile(dir, google.credentialFile),
      },
      {isolated: true},
    )
    // STS through the gate: AssumeRole of a missing role is denied there, as AWS does.
    env.AWS_ENDPOINT_URL_STS = gate.url
    return {
      dir,
      env,
      awsGate: gate,
      googleUrl: google.url,
      awsEndpoint: moto.endpoint,
      motoPid: moto.pid,
      admin,
      ssm: {url: ssm.url, admin: ssmAdmin},
      blackhole,
      egressProxyFor: egress.egressProxyFor,
      aws: {
        ec2: (region, accountId) => ec2(region, accountId ? members.get(accountId) : undefined),
        get ids() {
          return seeded[primary] as AwsSeedIds
        },
        get regions() {
          return seeded
        },
        async replaceNatGateway({region = primary, eip, accountId}: {eip?: string; region?: string; accountId?: string} = {}) {
          if (accountId) return replaceNatGateway(ec2(region, await memberCredentials(accountId)), {eip})
          const result = await replaceNatGateway(ec2(region), {eip})
          const ids = seeded[region]
          if (ids) seeded[region] = {...ids, natGatewayId: result.newNatGatewayId, publicIp: result.newIp}
          return result
        },
        async seedAccount(accountId, {eips, role = true, externalId}) {
          const credentials = await memberCredentials(accountId)
          const regions: Record<string, AwsSeedIds> = {}
          for (const [region, eip] of Object.entries(eips)) regions[region] = await seedAws(ec2(region, credentials), {eip})
          if (role) await createMemberRole(moto.endpoint, credentials, undefined, {externalId})
          return {roleArn: memberRoleArn(accountId), regions}
        },
        async deleteRole(accountId) {
          await deleteMemberRole(moto.endpoint, await memberCredentials(accountId))
        },
        async seedRegion(region, {eip}) {
          seeded[region] = await seedAws(ec2(region), {eip})
          return seeded[region]
        },
      },
      async reset() {
        gate.reset()
        members.clear()
        await ssmAdmin.reset()
        await admin.reset()
        await resetMoto(moto.endpoint)
        await seedAll()
        // moto hands out new ids: the CLI's instance is the new seeded one.
        env.VPCSC_INSTANCE_ID = (seeded[primary] as AwsSeedIds).instanceId
      },
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

export interface CliResult {
  /** null when the process was ended by a signal (see `signal`). */
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** The built CLI's entry point, as users run it. */
export const CLI_ENTRY = join(REPO, 'bin', 'run.js')

/**
 * How the CLI is started against a world: the world's environment and PATH, nothing else
 * of this process, and an empty working directory (no stray vpcsc.config.json).
 */
export function cliProcessOptions(world: World, env: Record<string, string> = {}, cwd?: string): {cwd: string; env: Record<string, string>} {
  return {cwd: cwd ?? join(world.dir, 'work'), env: {PATH: process.env.PATH ?? '', ...world.env, ...env}}
}

/**
 * Runs the built CLI (bin/run.js) as users run it. Its environment is the world's and
 * PATH, nothing else of this process; its working directory is empty, so no stray
 * vpcsc.config.json is picked up.
 */
export function runCli(
  world: World,
  args: string[],
  opts: {input?: string; env?: Record<string, string>; timeoutMs?: number; cwd?: string} = {},
): Promise<CliResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], {...cliProcessOptions(world, opts.env, opts.cwd), stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`vpcsc ${args.join(' ')} did not finish in ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`))
    }, timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stdout, stderr})
    })
    // The CLI may exit without reading stdin; that EPIPE is not an error here.
    child.stdin.on('error', () => {})
    child.stdin.end(opts.input ?? '')
  })
}
