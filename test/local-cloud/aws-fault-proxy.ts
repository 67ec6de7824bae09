// A fault proxy in front of the local AWS: it forwards every request unchanged (EC2's
// query protocol and anything else to moto, SSM's JSON protocol to the SSM executor),
// except the next N requests a test armed it for, matched by EC2 Action or SSM target:
// those stall (the connection is held, no answer ever comes) or get a 503 in the
// protocol's own error format. A test points AWS_ENDPOINT_URL_EC2 (and/or
// AWS_ENDPOINT_URL_SSM) at `url`. moto and the executor do not check signatures, and
// the Host header is passed on as the client signed it.
import {randomUUID} from 'node:crypto'
import {createServer, request} from 'node:http'
import type {IncomingMessage, ServerResponse} from 'node:http'
import type {Socket} from 'node:net'
import {listenLocal} from './listen.ts'

export type AwsFaultMode = 'stall' | '503'

/** One armed fault: the next `count` (1) requests that match misbehave. */
export interface AwsFaultRule {
  /** EC2 (query protocol) Action, e.g. DescribeNatGateways. */
  action?: string
  /** SSM target, with or without the service prefix: SendCommand or AmazonSSM.SendCommand. */
  target?: string
  mode: AwsFaultMode
  count?: number
}

/** One request as the proxy saw it. */
export interface AwsProxiedRequest {
  seq: number
  /** The EC2 Action, when the request is a query-protocol call. */
  action?: string
  /** The X-Amz-Target header, when present. */
  target?: string
  /** null while pending, and for a stalled request. */
  status: number | null
  fault?: AwsFaultMode
  at: string
}

export interface AwsFaultProxy {
  /** http://127.0.0.1:PORT */
  url: string
  port: number
  /** Arm a fault; rules are used in the order armed. */
  arm(rule: AwsFaultRule): void
  /** Disarm every rule and release stalled requests (their connections are cut). */
  clear(): void
  /** Every request seen since start (or since clear()). */
  requests(): AwsProxiedRequest[]
  /** Requests currently stalled. */
  readonly stalled: number
  close(): Promise<void>
}

export interface AwsFaultProxyOptions {
  /** Where EC2 and every non-SSM request goes (moto). */
  upstream: string
  /** Where requests with X-Amz-Target AmazonSSM.* go; default `upstream`. */
  ssmUpstream?: string
}

interface ArmedRule {
  action?: string
  target?: string
  mode: AwsFaultMode
  remaining: number
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/** The Action of a query-protocol call: in the form body (the SDK's way) or the query string. */
function actionOf(req: IncomingMessage, body: Buffer): string | undefined {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  const fromQuery = url.searchParams.get('Action')
  if (fromQuery) return fromQuery
  if (!String(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) return undefined
  return new URLSearchParams(body.toString('utf8')).get('Action') ?? undefined
}

function matches(rule: ArmedRule, action: string | undefined, target: string | undefined): boolean {
  if (rule.action !== undefined && rule.action !== action) return false
  if (rule.target !== undefined) {
    if (!target) return false
    if (rule.target !== target && rule.target !== target.split('.').pop()) return false
  }
  return true
}

/** A 503 as the service would send it: XML for the query protocol, JSON for JSON protocols. */
function unavailable(res: ServerResponse, isQuery: boolean): void {
  const message = 'The service is unavailable. Please try again shortly.'
  const body = isQuery
    ? `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>Unavailable</Code><Message>${message}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`
    : JSON.stringify({__type: 'ServiceUnavailableException', message})
  res.writeHead(503, {
    'content-type': isQuery ? 'text/xml;charset=UTF-8' : 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
  })
  res.end(body)
}

export async function startAwsFaultProxy(opts: AwsFaultProxyOptions): Promise<AwsFaultProxy> {
  let rules: ArmedRule[] = []
  let log: AwsProxiedRequest[] = []
  let seq = 1
  const stalled = new Set<Socket>()

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, base: string, entry: AwsProxiedRequest): void => {
    const upstream = new URL(req.url ?? '/', base)
    const out = request(
      upstream,
      {method: req.method, headers: {...req.headers, 'content-length': String(body.length)}},
      (answer) => {
        entry.status = answer.statusCode ?? 502
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    out.on('error', (error) => {
      entry.status = 502
      if (!res.headersSent) res.writeHead(502, {'content-type': 'text/plain'})
      res.end(`aws fault proxy: upstream ${base} failed: ${error.message}`)
    })
    out.end(body)
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req)
    const target = typeof req.headers['x-amz-target'] === 'string' ? req.headers['x-amz-target'] : undefined
    const action = actionOf(req, body)
    const entry: AwsProxiedRequest = {seq: seq++, status: null, at: new Date().toISOString()}
    if (action) entry.action = action
    if (target) entry.target = target
    log.push(entry)
    const rule = rules.find((r) => r.remaining > 0 && matches(r, action, target))
    if (rule) {
      rule.remaining -= 1
      rules = rules.filter((r) => r.remaining > 0)
      entry.fault = rule.mode
      if (rule.mode === 'stall') {
        // Held open, never answered: only the client's own timeout (or clear/close) ends it.
        stalled.add(req.socket)
        req.socket.once('close', () => stalled.delete(req.socket))
        return
      }
      entry.status = 503
      unavailable(res, action !== undefined)
      return
    }
    const base = target?.startsWith('AmazonSSM.') ? (opts.ssmUpstream ?? opts.upstream) : opts.upstream
    forward(req, res, body, base, entry)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, {'content-type': 'text/plain'})
      res.end(`aws fault proxy: ${String(error)}`)
    })
  })
  const {port, cutAll} = await listenLocal(server)
  const release = () => {
    for (const socket of stalled) socket.destroy()
    stalled.clear()
  }
  let closed: Promise<void> | undefined
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    arm(rule) {
      if (rule.mode !== 'stall' && rule.mode !== '503') throw new Error(`mode must be 'stall' or '503', got ${String(rule.mode)}`)
      const count = rule.count ?? 1
      if (!Number.isInteger(count) || count < 1) throw new Error(`count must be an integer >= 1, got ${count}`)
      const armed: ArmedRule = {mode: rule.mode, remaining: count}
      if (rule.action !== undefined) armed.action = rule.action
      if (rule.target !== undefined) armed.target = rule.target
      rules.push(armed)
    },
    clear() {
      rules = []
      log = []
      release()
    },
    requests: () => log.map((entry) => ({...entry})),
    get stalled() {
      return stalled.size
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        release()
        cutAll()
      })
      return closed
    },
  }
}
