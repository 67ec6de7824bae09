// The local cloud for the README demo and manual use; tests use world.ts instead.
//   node test/local-cloud/cli.ts start [--dir .local-cloud] [--region us-east-1] [--propagation-delay-ms 0]
//   node test/local-cloud/cli.ts replace-nat [--dir .local-cloud] [--eip 203.0.113.77]
//   node test/local-cloud/cli.ts add-account 111111111111 --eip 203.0.113.31 [--dir .local-cloud]   (prints the role ARN)
//   node test/local-cloud/cli.ts stop [--dir .local-cloud]
// `start` leaves moto, the emulated Google and the SSM executor (with its NAT egress
// proxies) running in the background (detached, logs in the dir) and prints the
// environment; `eval "$(node test/local-cloud/cli.ts start)"` works.
import {spawn} from 'node:child_process'
import {closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {accountCredentials, createMemberRole, DEFAULT_REGION, ec2Client, memberRoleArn, replaceNatGateway, seedAws} from './aws-seed.ts'
import {envScript, worldEnv, writeProbeCredFile} from './env.ts'
import {SEED_EIP} from './google/seed.ts'
import {isAlive, startMoto, terminate} from './moto.ts'
import {recordPid} from './pid-registry.ts'

interface Recorded {
  pid: number
  /** A word of its command line, to avoid killing an unrelated process that reused the pid. */
  marker: string
}
interface Pids {
  moto: Recorded & {endpoint: string}
  google: Recorded & {url: string}
  /** Absent in a pids.json written before the executor existed. */
  ssm?: Recorded & {url: string}
  region: string
  startedAt: string
}

const GOOGLE_MAIN = fileURLToPath(new URL('./google/main.ts', import.meta.url))
const SSM_MAIN = fileURLToPath(new URL('./ssm/main.ts', import.meta.url))
const usage = `usage: node test/local-cloud/cli.ts start|stop|replace-nat|add-account [ACCOUNT_ID] [--dir DIR] [--region REGION] [--eip IP]`

/** Alive and still the process we started (checked where /proc tells the command line). */
function running(p: Recorded): boolean {
  if (!isAlive(p.pid)) return false
  try {
    return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes(p.marker)
  } catch {
    return !existsSync('/proc/self') // no /proc (macOS): trust the pid
  }
}

function readPids(dir: string): Pids | undefined {
  const file = join(dir, 'pids.json')
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Pids) : undefined
}

function tail(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-20).join('\n') : ''
}

/**
 * Starts a Node entry detached, output to `log`; it prints one JSON line with at least the
 * fields `needs` once it listens. Returns its pid and that line.
 */
async function startDetached(name: string, script: string, args: string[], log: string, needs: string[]) {
  const fd = openSync(log, 'w')
  const child = spawn(process.execPath, [script, ...args], {stdio: ['ignore', fd, fd], detached: true})
  closeSync(fd)
  child.unref()
  let exited: number | string | null | undefined
  child.once('exit', (code, signal) => (exited = code ?? signal))
  const pid = child.pid as number
  recordPid(pid, script)
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue
      try {
        const info = JSON.parse(line) as Record<string, string>
        if (needs.every((k) => typeof info[k] === 'string')) return {pid, info}
      } catch {
        // a partial line: read again
      }
    }
    if (exited !== undefined) throw new Error(`${name} exited (${exited}):\n${tail(log)}`)
    await sleep(100)
  }
  await terminate(pid)
  throw new Error(`${name} printed no address within 15 s:\n${tail(log)}`)
}

/** google/main.ts prints {url, port, credentialFile}. */
async function startGoogle(dir: string, propagationDelayMs: string) {
  const {pid, info} = await startDetached(
    'the emulated Google',
    GOOGLE_MAIN,
    ['--port', '0', '--state-dir', join(dir, 'google'), '--propagation-delay-ms', propagationDelayMs],
    join(dir, 'google.log'),
    ['url', 'credentialFile'],
  )
  return {pid, url: info.url as string, credentialFile: info.credentialFile as string}
}

/** ssm/main.ts prints {url, port}; it runs its own NAT egress proxies. */
async function startSsm(dir: string, motoEndpoint: string, region: string) {
  const {pid, info} = await startDetached(
    'the SSM executor',
    SSM_MAIN,
    ['--port', '0', '--moto', motoEndpoint, '--region', region, '--work-dir', join(dir, 'ssm')],
    join(dir, 'ssm.log'),
    ['url'],
  )
  return {pid, url: info.url as string}
}

async function start(dir: string, region: string, propagationDelayMs: string): Promise<void> {
  const before = readPids(dir)
  if (before && (running(before.moto) || running(before.google) || (before.ssm && running(before.ssm)))) {
    throw new Error(
      `The local cloud already runs from ${dir} (moto pid ${before.moto.pid}, Google pid ${before.google.pid}` +
        `${before.ssm ? `, SSM executor pid ${before.ssm.pid}` : ''}). ` +
        `Use it with: source ${join(dir, 'env.sh')}; or stop it first: node test/local-cloud/cli.ts stop --dir ${dir}`,
    )
  }
  mkdirSync(dir, {recursive: true})
  const moto = await startMoto({detached: true, logFile: join(dir, 'moto.log')})
  let google
  let ssm
  let seeded
  try {
    google = await startGoogle(dir, propagationDelayMs)
    seeded = await seedAws(ec2Client(moto.endpoint, region), {eip: SEED_EIP})
    ssm = await startSsm(dir, moto.endpoint, region)
  } catch (error) {
    if (ssm) await terminate(ssm.pid)
    if (google) await terminate(google.pid)
    await moto.stop()
    throw error
  }
  const pids: Pids = {
    moto: {pid: moto.pid, marker: 'moto.server', endpoint: moto.endpoint},
    google: {pid: google.pid, marker: 'main.ts', url: google.url},
    ssm: {pid: ssm.pid, marker: 'ssm/main.ts', url: ssm.url},
    region,
    startedAt: new Date().toISOString(),
  }
  writeFileSync(join(dir, 'pids.json'), JSON.stringify(pids, null, 2) + '\n')
  const env = worldEnv(
    {
      dir,
      googleUrl: google.url,
      credentialFile: google.credentialFile,
      awsEndpoint: moto.endpoint,
      region,
      ssmUrl: ssm.url,
      instanceId: seeded.instanceId,
      probeCredFile: writeProbeCredFile(dir, google.credentialFile),
    },
    {isolated: false},
  )
  const envFile = join(dir, 'env.sh')
  writeFileSync(envFile, envScript(env))
  // stdout stays valid shell (comments and exports) so that eval "$(... start)" works.
  process.stdout.write(
    `# The local cloud runs (moto pid ${moto.pid}, Google pid ${google.pid}, SSM executor pid ${ssm.pid}). Load it with:\n`,
  )
  process.stdout.write(`#   source ${envFile}\n`)
  process.stdout.write(envScript(env))
}

async function stop(dir: string): Promise<void> {
  const pids = readPids(dir)
  if (!pids) {
    process.stdout.write(`Nothing to stop: no ${join(dir, 'pids.json')}.\n`)
    return
  }
  // The executor first: it kills the scripts it runs and stops asking moto.
  const recorded: Array<[string, Recorded]> = [['moto', pids.moto], ['the emulated Google', pids.google]]
  if (pids.ssm) recorded.unshift(['the SSM executor', pids.ssm])
  for (const [name, p] of recorded) {
    if (running(p)) {
      await terminate(p.pid)
      process.stdout.write(`Stopped ${name} (pid ${p.pid}).\n`)
    } else {
      process.stdout.write(`${name} (pid ${p.pid}) was not running.\n`)
    }
  }
  rmSync(join(dir, 'pids.json'), {force: true})
}

async function replaceNat(dir: string, eip: string | undefined): Promise<void> {
  const pids = readPids(dir)
  if (!pids || !running(pids.moto)) {
    throw new Error(`The local cloud does not run from ${dir}. Start it: node test/local-cloud/cli.ts start --dir ${dir}`)
  }
  const r = await replaceNatGateway(ec2Client(pids.moto.endpoint, pids.region), {eip})
  process.stdout.write(`NAT gateway replaced: ${r.oldNatGatewayId} ${r.oldIp} -> ${r.newNatGatewayId} ${r.newIp}\n`)
}

/**
 * A member account: the seed's setup (a NAT gateway with the given EIP) in the world's
 * region of another moto account, and the role vpcsc assumes there. Prints the role ARN.
 */
async function addAccount(dir: string, accountId: string | undefined, eip: string | undefined): Promise<void> {
  const pids = readPids(dir)
  if (!pids || !running(pids.moto)) {
    throw new Error(`The local cloud does not run from ${dir}. Start it: node test/local-cloud/cli.ts start --dir ${dir}`)
  }
  if (!accountId || !/^[0-9]{12}$/.test(accountId) || !eip) throw new Error(`usage: node test/local-cloud/cli.ts add-account ACCOUNT_ID --eip IP`)
  const credentials = await accountCredentials(pids.moto.endpoint, accountId)
  const seeded = await seedAws(ec2Client(pids.moto.endpoint, pids.region, credentials), {eip})
  await createMemberRole(pids.moto.endpoint, credentials)
  process.stderr.write(`Account ${accountId}: NAT gateway ${seeded.natGatewayId} ${seeded.publicIp} in ${pids.region}; vpcsc reads it through the role ${memberRoleArn(accountId)} (--assume-role, VPCSC_ASSUME_ROLES).\n`)
  process.stdout.write(`${memberRoleArn(accountId)}\n`)
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage}\n`)
    return
  }
  const {positionals, values} = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {dir: {type: 'string', default: '.local-cloud'}, region: {type: 'string'}, eip: {type: 'string'}, 'propagation-delay-ms': {type: 'string', default: '0'}},
  })
  const dir = resolve(values.dir)
  const command = positionals[0]
  if (command === 'start') return start(dir, values.region ?? DEFAULT_REGION, values['propagation-delay-ms'])
  if (command === 'stop') return stop(dir)
  if (command === 'replace-nat') return replaceNat(dir, values.eip)
  if (command === 'add-account') return addAccount(dir, positionals[1], values.eip)
  throw new Error(usage)
}

try {
  await main(process.argv.slice(2))
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
}
