// One fresh process, as a Lambda cold start is: import dist/lambda.js, invoke the handler
// once (the cold invocation), then again WARM times; prints the timings as one JSON line.
// Run by bench/lambda.ts with the world's environment.
import {readFileSync} from 'node:fs'
import {performance} from 'node:perf_hooks'

const warm = Number(process.argv[2] ?? '5')
const event = JSON.parse(readFileSync(new URL('../test/fixtures/eventbridge/ScheduledEvent.json', import.meta.url), 'utf8')) as unknown
const quiet = process.stdout.write.bind(process.stdout)
// The handler's own log line is not the bench's output.
process.stdout.write = ((chunk: string) => (String(chunk).startsWith('{"vpcsc":') ? true : quiet(chunk))) as typeof process.stdout.write

const t0 = performance.now()
const {handler} = (await import(new URL('../dist/lambda.js', import.meta.url).href)) as {handler: (e: unknown, c: unknown) => Promise<{outcome?: string}>}
const t1 = performance.now()
const first = await handler(event, {functionName: 'bench'})
const t2 = performance.now()
const warmMs: number[] = []
for (let i = 0; i < warm; i++) {
  const start = performance.now()
  const again = await handler(event, {functionName: 'bench'})
  warmMs.push(performance.now() - start)
  if (again.outcome !== 'in-sync') throw new Error(`warm invocation: ${JSON.stringify(again)}`)
}
if (first.outcome !== 'in-sync') throw new Error(`first invocation: ${JSON.stringify(first)}`)
quiet(`${JSON.stringify({importMs: t1 - t0, firstInvokeMs: t2 - t1, warmMs})}\n`)
