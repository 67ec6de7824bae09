// The benchmark: against one local cloud, in one run, times vpcsc's commands and two
// baselines (one `aws ec2 describe-nat-gateways`, Debian's awscli v2, against the same moto;
// gcloud's `levels update`, when gcloud is installed, against the same emulated ACM),
// prints medians, peak memory and ratios, and counts the API calls each command makes. The
// floor (bench/floor/) is timed beside them: the same job with the same libraries and
// nothing else, what no change to vpcsc's start can go below.
//   node bench/run.ts [--runs 7] [--only fanout|sync]     (after npm run build)
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {CLI_ENTRY, cliProcessOptions, startWorld, type World} from '../test/local-cloud/world.ts'
import {bundleFloor} from './floor/bundle.ts'

const {values} = parseArgs({options: {runs: {type: 'string', default: '7'}, only: {type: 'string'}}})
const RUNS = Number(values.runs)

const floorDir = mkdtempSync(join(tmpdir(), 'vpcsc-bench-floor-'))
process.on('exit', () => rmSync(floorDir, {recursive: true, force: true}))
const FLOOR = await bundleFloor(floorDir)

interface Sample {
  seconds: number
  /** User + system CPU seconds of the process: its own work, whatever the machine's load. */
  cpuSeconds: number
  maxRssKb: number
  code: number | null
}

/**
 * One run: wall-clock seconds to the millisecond from bash's `time` (GNU time gives
 * hundredths, too coarse for a 0.1 s command's ratio; a clock in this process would add
 * the cost of spawning from it), peak resident memory of the process tree's largest
 * member and CPU time from GNU time around it (bash's share of either is a few KB and ms).
 */
// Asynchronous on purpose: the emulated Google runs in this process and must keep answering.
async function measure(world: World, command: string[], env: Record<string, string> = {}): Promise<Sample> {
  const timed = ['/usr/bin/time', '-f', 'BENCH %M %U %S', 'bash', '-c', 'TIMEFORMAT="WALL %3R"; time "$@"', 'bench', ...command]
  const child = spawn(timed[0]!, timed.slice(1), {...cliProcessOptions(world, env), stdio: ['ignore', 'ignore', 'pipe']})
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  const lines = stderr.trim().split('\n')
  const wall = lines.filter((l) => l.startsWith('WALL ')).at(-1)
  const usage = lines.filter((l) => l.startsWith('BENCH ')).at(-1)
  if (!wall || !usage) throw new Error(`no timing for ${command.join(' ')}: ${stderr}`)
  const [, rss, user, system] = usage.split(' ')
  return {seconds: Number(wall.split(' ')[1]), cpuSeconds: Number(user) + Number(system), maxRssKb: Number(rss), code}
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

interface Series {
  median: number
  min: number
  cpu?: number
  rssMb: number
  codes: Set<number | null>
}

async function series(world: World, command: string[], env?: Record<string, string>): Promise<Series> {
  await measure(world, command, env) // warm-up: fills Node's compile cache and the OS page cache
  const samples: Sample[] = []
  for (let i = 0; i < RUNS; i++) samples.push(await measure(world, command, env))
  return {
    median: median(samples.map((s) => s.seconds)),
    min: Math.min(...samples.map((s) => s.seconds)),
    rssMb: median(samples.map((s) => s.maxRssKb)) / 1024,
    codes: new Set(samples.map((s) => s.code)),
  }
}

/**
 * Two commands timed in alternation (A, B, A, B, ...), so that the load of a shared
 * machine falls on both alike: a ratio between them is then worth reading.
 */
async function alternating(world: World, a: string[], b: string[], env: Record<string, string> = {}): Promise<[Series, Series]> {
  await measure(world, a, env)
  await measure(world, b, env)
  const samples: [Sample[], Sample[]] = [[], []]
  for (let i = 0; i < RUNS; i++) {
    samples[0].push(await measure(world, a, env))
    samples[1].push(await measure(world, b, env))
  }
  return [toSeries(samples[0]), toSeries(samples[1])]
}

function toSeries(list: Sample[]): Series {
  return {
    median: median(list.map((s) => s.seconds)),
    min: Math.min(...list.map((s) => s.seconds)),
    cpu: median(list.map((s) => s.cpuSeconds)),
    rssMb: median(list.map((s) => s.maxRssKb)) / 1024,
    codes: new Set(list.map((s) => s.code)),
  }
}

/**
 * `vpcsc ip sync --yes` with one change against gcloud's `access-context-manager levels
 * update` (one PATCH, then gcloud waits for the operation), both on the emulated ACM, in
 * alternation. gcloud reads a token file (the emulator's own token) and the endpoint
 * override; it updates the seed's other level, so that the two never touch each other.
 */
async function syncAgainstGcloud(world: World): Promise<[Series, Series, Series] | undefined> {
  const gcloud = await which('gcloud')
  if (!gcloud) return undefined
  const dir = mkdtempSync(join(tmpdir(), 'vpcsc-bench-gcloud-'))
  const credentials = JSON.parse(readFileSync(world.env.GOOGLE_APPLICATION_CREDENTIALS!, 'utf8')) as {token_url: string; audience: string; subject_token_type: string; credential_source: {file: string}}
  const answer = await fetch(credentials.token_url, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token_type: credentials.subject_token_type,
      audience: credentials.audience,
      subject_token: readFileSync(credentials.credential_source.file, 'utf8').trim(),
    }),
  })
  writeFileSync(join(dir, 'token'), ((await answer.json()) as {access_token: string}).access_token)
  const env = {
    CLOUDSDK_CONFIG: join(dir, 'config'),
    CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: join(dir, 'token'),
    CLOUDSDK_API_ENDPOINT_OVERRIDES_ACCESSCONTEXTMANAGER: `${world.env.VPCSC_ACM_ENDPOINT}/`,
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
  }
  const spec = join(dir, 'spec.json')
  const policy = world.env.VPCSC_POLICY!.replace('accessPolicies/', '')
  const samples: [Sample[], Sample[], Sample[]] = [[], [], []]
  try {
    for (let i = -1; i < RUNS; i++) {
      // One change each: a NAT gateway with a new address for vpcsc and the floor, a new CIDR for gcloud.
      await world.aws.replaceNatGateway({eip: `192.0.2.${100 + (i + 1) * 3}`})
      const sync = await measure(world, [process.execPath, CLI_ENTRY, 'ip', 'sync', '--yes'])
      writeFileSync(spec, JSON.stringify([{ipSubnetworks: [`198.51.100.${50 + ((i + 1) % 2)}/32`]}]))
      const update = await measure(world, [gcloud, 'access-context-manager', 'levels', 'update', 'vpcsc_office', `--policy=${policy}`, `--basic-level-spec=${spec}`, '--quiet'], env)
      await world.aws.replaceNatGateway({eip: `192.0.2.${101 + (i + 1) * 3}`})
      const floor = await measure(world, [process.execPath, FLOOR, 'write'])
      if (i < 0) continue // the first round is the warm-up
      samples[0].push(sync)
      samples[1].push(update)
      samples[2].push(floor)
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
  return [toSeries(samples[0]), toSeries(samples[1]), toSeries(samples[2])]
}

async function printSyncAgainstGcloud(world: World): Promise<void> {
  const versusGcloud = await syncAgainstGcloud(world)
  if (versusGcloud) {
    const [sync, update, floor] = versusGcloud
    console.log(`\nOne change written, ${RUNS} alternating runs after one warm-up round; wall-clock seconds:\n`)
    console.log('| command | median s | min s | CPU s (median) | peak RSS MB | vs gcloud | exit codes |')
    console.log('| --- | --- | --- | --- | --- | --- | --- |')
    const rows = [
      ['gcloud access-context-manager levels update --basic-level-spec (baseline)', update],
      ['vpcsc ip sync --yes', sync],
      ['floor: the same write, the libraries alone, polled every 5 ms (bench/floor/)', floor],
    ] as const
    for (const [name, s] of rows) {
      if ([...s.codes].some((c) => c !== 0)) throw new Error(`${name} exited ${[...s.codes].join(',')}`)
      console.log(`| ${name} | ${s.median.toFixed(3)} | ${s.min.toFixed(3)} | ${(s.cpu ?? 0).toFixed(2)} | ${s.rssMb.toFixed(0)} | ${(s.median / update.median).toFixed(2)}x | ${[...s.codes].join(',')} |`)
    }
  } else {
    console.log('\n(no gcloud on PATH: install the Google Cloud CLI for the ip sync --yes baseline)')
  }
}

async function which(command: string): Promise<string | undefined> {
  const child = spawn('sh', ['-c', `command -v ${command}`], {stdio: ['ignore', 'pipe', 'ignore']})
  let stdout = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  const code = await new Promise((resolve) => child.once('close', resolve))
  return code === 0 ? stdout.trim() : undefined
}

async function callsOf(world: World, args: string[]): Promise<Record<string, number>> {
  await world.admin.clearRequests()
  await measure(world, [process.execPath, CLI_ENTRY, ...args])
  const counts: Record<string, number> = {}
  for (const request of await world.admin.requests()) {
    const key = `${request.api} ${request.method}${request.write ? ' (write)' : ''}`
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

/**
 * Time-to-detect: with a propagation delay D injected, how long after D the deny test
 * sees the denial. The bound is one poll interval (the pause before the probe that saw it).
 */
async function denyTestDetection(world: World): Promise<void> {
  const firstIntervalMs = 1000
  console.log(`\nvpcsc deny-test through SSM, --probe-interval ${firstIntervalMs / 1000}s, injected propagation delays:\n`)
  console.log('| delay ms | time to deny ms | over the delay ms | poll interval before it ms | within one interval | attempts | time to recover ms |')
  console.log('| --- | --- | --- | --- | --- | --- | --- |')
  for (const delayMs of [2200, 3000, 3700, 5000]) {
    await world.admin.config({propagationDelayMs: delayMs})
    const child = spawn(process.execPath, [CLI_ENTRY, 'deny-test', '--yes', '--json', '--probe-interval', '1s'], {...cliProcessOptions(world), stdio: ['ignore', 'pipe', 'ignore']})
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    const code = await new Promise((resolve) => child.once('close', resolve))
    const result = JSON.parse(stdout) as {outcome: string; denial: {attempts: number}; timingsMs: {toDeny: number; toRecover: number}}
    if (code !== 0 || result.outcome !== 'pass') throw new Error(`deny-test did not pass: ${stdout}`)
    // Pauses grow by half from the first one: the k-th probe waited first * 1.5^(k-2).
    const interval = Math.round(firstIntervalMs * 1.5 ** Math.max(0, result.denial.attempts - 2))
    const over = result.timingsMs.toDeny - delayMs
    console.log(`| ${delayMs} | ${result.timingsMs.toDeny} | ${over} | ${interval} | ${over <= interval ? 'yes' : 'NO'} | ${result.denial.attempts} | ${result.timingsMs.toRecover} |`)
  }
  await world.admin.config({propagationDelayMs: 0})
}

/** EIP of the NAT gateway seeded in account a, region r. */
const fanOutEip = (a: number, r: number) => `198.51.100.${a * 25 + r + 1}`

/**
 * Fan-out: the NAT reads across regions and accounts, each against the same command on one
 * region of one account. Own worlds: seeding 20 regions is not for the other sections.
 */
async function fanOut(): Promise<void> {
  const ratio = (a: Series, b: Series) => `${(a.median / b.median).toFixed(2)}x`
  console.log(`\nFan-out, ${RUNS} alternating runs of each pair after one warm-up each; wall-clock seconds.`)
  const table = (rows: [string, Series][], base: Series) => {
    console.log('| command | median s | min s | CPU s (median) | peak RSS MB | median vs one region | min vs one region |')
    console.log('| --- | --- | --- | --- | --- | --- | --- |')
    for (const [name, s] of rows) {
      if ([...s.codes].some((c) => c !== 0)) throw new Error(`${name} exited ${[...s.codes].join(',')}`)
      console.log(`| ${name} | ${s.median.toFixed(3)} | ${s.min.toFixed(3)} | ${(s.cpu ?? 0).toFixed(2)} | ${s.rssMb.toFixed(0)} | ${ratio(s, base)} | ${(s.min / base.min).toFixed(2)}x |`)
    }
  }
  const vpcsc = (...args: string[]) => [process.execPath, CLI_ENTRY, ...args]

  // 20 regions with a NAT each (moto enables more; --all-regions reads every one).
  const world = await startWorld()
  try {
    const regions = (await listMotoRegions(world)).slice(0, 20)
    for (const [i, region] of regions.entries()) if (region !== 'us-east-1') await world.aws.seedRegion(region, {eip: fanOutEip(0, i)})
    const [one, all] = await alternating(world, vpcsc('status', '--json'), vpcsc('status', '--json', '--all-regions'))
    const count = JSON.parse(await output(world, vpcsc('status', '--json', '--all-regions'))).nat.regions.length as number
    console.log(`\nFan-out across regions: a NAT gateway in each of the ${regions.length} enabled regions; --all-regions read ${count}:\n`)
    table([['vpcsc status --json (one region)', one], ['vpcsc status --json --all-regions', all]], one)
  } finally {
    await world.stop()
  }

  // 5 accounts (the caller's and 4 members) x 4 regions, a NAT in each.
  const accounts = await startWorld({regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'sa-east-1']})
  try {
    const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'sa-east-1']
    const roles: string[] = []
    for (let a = 1; a <= 4; a++) {
      const eips = Object.fromEntries(regions.map((r, i) => [r, fanOutEip(a, i)]))
      roles.push((await accounts.aws.seedAccount(`${a}`.repeat(12), {eips})).roleArn)
    }
    const regionArgs = regions.flatMap((r) => ['--region', r])
    // STS straight to moto: the tests' gate (which checks that each role exists, one more
    // moto call per AssumeRole) is not what is measured here.
    const [one, many] = await alternating(
      accounts,
      vpcsc('status', '--json', '--region', 'us-east-1'),
      vpcsc('status', '--json', ...regionArgs, ...roles.flatMap((r) => ['--assume-role', r])),
      {AWS_ENDPOINT_URL_STS: accounts.awsEndpoint},
    )
    console.log('\nFan-out across accounts: the caller and 4 member accounts (AssumeRole) x 4 regions, a NAT in each:\n')
    table([['vpcsc status --json (one account, one region)', one], ['vpcsc status --json (5 accounts x 4 regions)', many]], one)
  } finally {
    await accounts.stop()
  }
}

async function listMotoRegions(world: World): Promise<string[]> {
  const {DescribeRegionsCommand} = await import('@aws-sdk/client-ec2')
  // The regions enabled in the account (moto also lists regions not opted in, and other partitions).
  const answer = await world.aws.ec2().send(new DescribeRegionsCommand({}))
  const names = (answer.Regions ?? []).filter((r) => r.OptInStatus !== 'not-opted-in').map((r) => r.RegionName!).filter((r) => !/^(cn|us-gov)-/.test(r)).sort()
  return ['us-east-1', ...names.filter((r) => r !== 'us-east-1')]
}

async function output(world: World, command: string[]): Promise<string> {
  const child = spawn(command[0]!, command.slice(1), {...cliProcessOptions(world), stdio: ['ignore', 'pipe', 'ignore']})
  let stdout = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  await new Promise((resolve) => child.once('close', resolve))
  return stdout
}

if (values.only === 'sync') {
  const world = await startWorld()
  try {
    await printSyncAgainstGcloud(world)
  } finally {
    await world.stop()
  }
  process.exit(0)
}
if (values.only === 'fanout') {
  await fanOut()
  process.exit(0)
}

const world = await startWorld()
try {
  const vpcsc = (...args: string[]) => [process.execPath, CLI_ENTRY, ...args]
  const rows: [string, Series][] = []
  const aws = '/usr/bin/aws'
  // awscli 2.9 (Debian 12) predates AWS_ENDPOINT_URL: give the endpoint explicitly.
  const baseline = existsSync(aws) ? await series(world, [aws, 'ec2', 'describe-nat-gateways', '--output', 'json', '--endpoint-url', world.awsEndpoint]) : undefined
  if (baseline) rows.push(['aws ec2 describe-nat-gateways (awscli v2, baseline)', baseline])
  rows.push(['vpcsc --version', await series(world, vpcsc('--version'))])
  rows.push(['vpcsc status --json', await series(world, vpcsc('status', '--json'))])
  rows.push(['vpcsc ip sync --plan (in sync)', await series(world, vpcsc('ip', 'sync', '--plan'))])
  rows.push(["floor: status's reads, the libraries alone (bench/floor/)", await series(world, [process.execPath, FLOOR, 'read'])])

  console.log(`Node ${process.version}, ${RUNS} runs each after one warm-up; wall-clock seconds (median, min), peak RSS (median).\n`)
  console.log('| command | median s | min s | peak RSS MB | vs baseline | exit codes |')
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const [name, s] of rows) {
    if ([...s.codes].some((c) => c !== 0)) throw new Error(`${name} exited ${[...s.codes].join(',')}: the timing would be of a failure`)
    const ratio = baseline ? `${(s.median / baseline.median).toFixed(2)}x` : 'n/a'
    console.log(`| ${name} | ${s.median.toFixed(3)} | ${s.min.toFixed(3)} | ${s.rssMb.toFixed(0)} | ${ratio} | ${[...s.codes].join(',')} |`)
  }
  if (!baseline) console.log(`\n(no ${aws}: install Debian's awscli for the baseline)`)

  await printSyncAgainstGcloud(world)
  await world.reset()

  console.log('\nAPI calls per command (from the emulated Google request log):\n')
  for (const args of [['status'], ['ip', 'sync', '--plan']]) {
    console.log(`- vpcsc ${args.join(' ')}: ${JSON.stringify(await callsOf(world, args))}`)
  }
  console.log(`- vpcsc deny-test (pass, no propagation delay): ${JSON.stringify(await callsOf(world, ['deny-test', '--yes', '--probe-interval', '1s']))}`)
  await world.aws.replaceNatGateway()
  console.log(`- vpcsc ip sync --yes (one change): ${JSON.stringify(await callsOf(world, ['ip', 'sync', '--yes']))}`)
  await world.reset()
  await denyTestDetection(world)
} finally {
  await world.stop()
}
await fanOut()
