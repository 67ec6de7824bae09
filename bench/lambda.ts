// The Lambda handler against `vpcsc ip sync --yes` as a process, on one local cloud, in sync
// (no write: the steady state of a reconciler):
//   - cold: a fresh Node process imports dist/lambda.js and runs one reconcile (what a Lambda
//     cold start adds to the runtime's own start), wall clock and peak RSS under GNU time;
//   - warm: further invocations in that same process (a warm Lambda: clients and token kept).
//   node bench/lambda.ts [--runs 7] [--warm 5]     (after npm run build)
import {spawn} from 'node:child_process'
import {parseArgs} from 'node:util'

import {CLI_ENTRY, cliProcessOptions, startWorld, type World} from '../test/local-cloud/world.ts'

const {values} = parseArgs({options: {runs: {type: 'string', default: '7'}, warm: {type: 'string', default: '5'}}})
const RUNS = Number(values.runs)
const WARM = Number(values.warm)
const CHILD = new URL('./lambda-child.ts', import.meta.url).pathname

interface Sample {
  seconds: number
  maxRssKb: number
  stdout: string
}

async function measure(world: World, command: string[]): Promise<Sample> {
  const child = spawn('/usr/bin/time', ['-f', 'BENCH %e %M', ...command], {...cliProcessOptions(world), stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  const line = stderr.trim().split('\n').filter((l) => l.startsWith('BENCH ')).at(-1)
  if (code !== 0 || !line) throw new Error(`${command.join(' ')} exited ${code}: ${stderr}`)
  const [, seconds, rss] = line.split(' ')
  return {seconds: Number(seconds), maxRssKb: Number(rss), stdout}
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const world = await startWorld()
try {
  const cli = [process.execPath, CLI_ENTRY, 'ip', 'sync', '--yes']
  const handler = [process.execPath, CHILD, String(WARM)]
  await measure(world, cli) // warm-up: Node's compile cache, the OS page cache
  await measure(world, handler)
  const cliRuns: Sample[] = []
  const handlerRuns: Sample[] = []
  for (let i = 0; i < RUNS; i++) {
    cliRuns.push(await measure(world, cli))
    handlerRuns.push(await measure(world, handler))
  }
  const inner = handlerRuns.map((s) => JSON.parse(s.stdout.trim().split('\n').at(-1)!) as {importMs: number; firstInvokeMs: number; warmMs: number[]})
  const cliS = median(cliRuns.map((s) => s.seconds))
  // The cold process ran WARM more invocations too: its own timings give import + first.
  const coldMs = median(inner.map((t) => t.importMs + t.firstInvokeMs))
  const warmMs = median(inner.flatMap((t) => t.warmMs))
  console.log(`Node ${process.version}, ${RUNS} runs each after one warm-up, in sync (no write); ${WARM} warm invocations per cold process.\n`)
  console.log('| what | median ms | peak RSS MB | vs ip sync --yes |')
  console.log('| --- | --- | --- | --- |')
  console.log(`| vpcsc ip sync --yes (a process: start, settings, token, reads) | ${(cliS * 1000).toFixed(0)} | ${(median(cliRuns.map((s) => s.maxRssKb)) / 1024).toFixed(0)} | 1.00x |`)
  console.log(`| handler cold: import dist/lambda.js | ${median(inner.map((t) => t.importMs)).toFixed(0)} | | |`)
  console.log(`| handler cold: import + first reconcile (token exchange included) | ${coldMs.toFixed(0)} | ${(median(handlerRuns.map((s) => s.maxRssKb)) / 1024).toFixed(0)} | ${(coldMs / (cliS * 1000)).toFixed(2)}x |`)
  console.log(`| handler warm invocation (clients and token kept) | ${warmMs.toFixed(0)} | | ${(warmMs / (cliS * 1000)).toFixed(2)}x |`)
  console.log('\n(The cold row leaves out Node\'s own start, which the Lambda runtime pays before the import; ip sync --yes includes it.)')
} finally {
  await world.stop()
}
