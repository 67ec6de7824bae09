// The floor of the benchmark (bench/run.ts): the least that any program doing the job of
// `vpcsc status` (read) or `vpcsc ip sync --yes` (write) with the libraries vpcsc uses must
// spend on this machine. Bundled and compile-cached as dist/ is (scripts/bundle.ts), with
// the same lazy loads (the AWS request leaves before google-auth-library loads), but no CLI
// framework, no settings, no checks, no retries, no output beyond one line, and operation
// polls every 5 ms. Nothing of vpcsc's own code runs here.
//   node <bundle>/program.js read|write     (with the local cloud's environment)
import {enableCompileCache} from 'node:module'
import {setTimeout as sleep} from 'node:timers/promises'

enableCompileCache()

interface Level {
  name: string
  basic?: {conditions?: {ipSubnetworks?: string[]}[]}
}

const mode = process.argv[2]
const acm = `${process.env.VPCSC_ACM_ENDPOINT ?? 'https://accesscontextmanager.googleapis.com'}/v1`
const policy = process.env.VPCSC_POLICY!
const level = `${policy}/accessLevels/${process.env.VPCSC_LEVEL!}`

const nat = import('./aws.ts').then((aws) => aws.natEgressIps())
const client = await (await import('./google.ts')).authorisedClient()
const get = async <T>(url: string): Promise<T> => (await client.request<T>({url})).data

if (mode === 'read') {
  const perimeter = `${policy}/servicePerimeters/${process.env.VPCSC_PERIMETER!}`
  const [ips, levelNow, perimeterNow] = await Promise.all([nat, get<Level>(`${acm}/${level}`), get<unknown>(`${acm}/${perimeter}`)])
  process.stdout.write(`${JSON.stringify({ips, level: levelNow, perimeter: perimeterNow})}\n`)
} else if (mode === 'write') {
  // replaceAll carrying the policy's etag, as vpcsc writes: every level, this one's CIDRs replaced.
  const [ips, {etag}, {accessLevels}] = await Promise.all([nat, get<{etag: string}>(`${acm}/${policy}`), get<{accessLevels: Level[]}>(`${acm}/${policy}/accessLevels`)])
  const cidrs = ips.map((ip) => `${ip}/32`)
  const replaced = (l: Level): Level => ({...l, basic: {...l.basic, conditions: (l.basic?.conditions ?? [{}]).map((c, i) => (i === 0 ? {...c, ipSubnetworks: cidrs} : c))}})
  const levels = accessLevels.map((l) => (l.name === level ? replaced(l) : l))
  let operation = (await client.request<{name: string; done?: boolean}>({method: 'POST', url: `${acm}/${policy}/accessLevels:replaceAll`, data: {accessLevels: levels, etag}})).data
  while (!operation.done) {
    await sleep(5)
    operation = await get(`${acm}/${operation.name}`)
  }
  process.stdout.write(`${JSON.stringify({ips, operation: operation.name})}\n`)
} else {
  throw new Error(`usage: program.js read|write (not ${mode})`)
}
