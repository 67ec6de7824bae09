import {createServer} from 'node:http'
import type {IncomingMessage, ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'
import ipaddr from 'ipaddr.js'
import {handleAcm} from './acm.ts'
import {handleAdmin} from './admin.ts'
import {AuditLog} from './audit-log.ts'
import {Auth} from './auth.ts'
import {Clock} from './clock.ts'
import type {CallerInfo, CloudContext, ServiceRequest} from './context.ts'
import {Controls} from './controls.ts'
import type {Fault, PendingWrites} from './controls.ts'
import {Enforcement} from './enforcement.ts'
import {ApiError, googleError, invalidArgument} from './google-errors.ts'
import {queryObject, readBody, send} from './http-util.ts'
import type {Reply} from './http-util.ts'
import {handleIamCredentials} from './iam-credentials.ts'
import {isObject} from './json.ts'
import {handleLogging} from './logging.ts'
import {Operations} from './operations.ts'
import {bodyForLog, RequestLog} from './request-log.ts'
import type {Api, LoggedRequest} from './request-log.ts'
import {seedState} from './seed.ts'
import {Store} from './store.ts'
import {handleSts} from './sts.ts'
import {handleVertex} from './vertex.ts'

/**
 * The emulated Google Cloud on one local HTTP port: Access Context Manager v1 and its
 * operations, the STS token endpoint, IAM Credentials (impersonation), Vertex AI and
 * Cloud Logging behind VPC Service Controls, and the /__admin/ API for tests.
 */

/** Set by the emulated NAT egress proxies: the public address the request leaves AWS from. */
export const EGRESS_IP_HEADER = 'x-vpcsc-egress-ip'

export interface GoogleCloudOptions {
  /** Default 127.0.0.1: the local cloud never listens beyond the machine. */
  host?: string
  /** Default 0: any free port. */
  port?: number
  /** Where the credential file and the subject-token file are written. */
  stateDir: string
  /** Emulator time from a write's acceptance to its commit. Default 150 ms. */
  operationDelayMs?: number
  /** A write while another write of the policy is pending: 'refuse' (409 ABORTED, default) or 'queue'. */
  pendingWrites?: PendingWrites
  /** How long ACM changes take to be enforced by VPC-SC. Default 0. */
  propagationDelayMs?: number
  /** The caller IP of requests without the x-vpcsc-egress-ip header. Default 198.51.100.250. */
  operatorIp?: string
}

export interface GoogleCloud {
  url: string
  port: number
  /** An external_account credential file: point GOOGLE_APPLICATION_CREDENTIALS at it. */
  credentialFile: string
  close(): Promise<void>
}

function apiOf(path: string): Api {
  if (path === '/v1/token') return 'sts'
  if (path === '/v1/operations' || path.startsWith('/v1/operations/')) return 'operations'
  if (/^\/v1\/projects\/[^/]+\/serviceAccounts\//.test(path)) return 'iamcredentials'
  if (/^\/v1(beta1)?\/projects\//.test(path)) return 'vertex'
  if (path.startsWith('/v2/')) return 'logging'
  return 'acm'
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** Who the front end sees: the NAT egress address when the request came through one, else the operator. */
function callerOf(ctx: CloudContext, req: IncomingMessage): CallerInfo {
  const egress = header(req, EGRESS_IP_HEADER)
  const userAgent = header(req, 'user-agent')
  let ip = egress === undefined ? ctx.controls.operatorIp : egress.trim()
  // IPv4-mapped IPv6 counts as IPv4; an invalid value is kept as sent and refused by dispatch.
  if (ipaddr.isValid(ip)) ip = ipaddr.process(ip).toString()
  return userAgent ? {ip, userAgent} : {ip}
}

function replyFor(error: unknown): Reply {
  if (error instanceof ApiError) return {status: error.code, body: error.toBody(), headers: error.headers}
  // An emulator bug: say so loudly in the answer rather than hang or crash the server.
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
  return {status: 500, body: googleError(500, `local Google Cloud internal error: ${message}`).toBody()}
}

/** Route one non-admin request; each API authenticates it. Synchronous: state changes are atomic. */
function dispatch(ctx: CloudContext, api: Api, req: ServiceRequest): Reply {
  try {
    if (!ipaddr.isValid(req.caller.ip)) {
      throw invalidArgument(`The ${EGRESS_IP_HEADER} header '${req.caller.ip}' is not an IP address (the emulated NAT egress must set the EIP).`)
    }
    switch (api) {
      case 'sts':
        return handleSts(ctx, req)
      case 'vertex':
        return handleVertex(ctx, req)
      case 'logging':
        return handleLogging(ctx, req)
      case 'iamcredentials':
        return handleIamCredentials(ctx, req)
      default: {
        const authorization = req.headers.authorization
        ctx.auth.checkBearer(typeof authorization === 'string' ? authorization : undefined, req.query.access_token)
        return handleAcm(ctx, {method: req.method, path: req.path, query: req.query, rawBody: req.rawBody})
      }
    }
  } catch (error) {
    return replyFor(error)
  }
}

/** A fault's answer: a lost connection, or an error (Google's format unless the test gave a body). */
function deliverFault(res: ServerResponse, entry: LoggedRequest, fault: Fault): void {
  if (fault.drop) {
    res.socket?.destroy()
    return
  }
  const status = fault.status ?? 500
  entry.status = status
  send(res, {status, body: fault.body ?? googleError(status).toBody()})
}

async function handle(ctx: CloudContext, req: IncomingMessage, res: ServerResponse, closing: AbortSignal): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  const method = (req.method ?? 'GET').toUpperCase()
  const query = queryObject(url)
  const raw = await readBody(req)
  let path: string
  try {
    path = decodeURIComponent(url.pathname)
  } catch {
    send(res, {status: 400, body: googleError(400, 'The request path is not valid percent-encoding.').toBody()})
    return
  }

  // Operations whose time has come are committed before anything is answered, so every
  // read (admin ones too) sees what the service has committed by now.
  ctx.operations.settleDue()

  if (path === '/__admin' || path.startsWith('/__admin/')) {
    let reply: Reply
    try {
      reply = handleAdmin(ctx, method, path, query, raw)
    } catch (error) {
      reply = replyFor(error)
    }
    send(res, reply)
    return
  }

  const api = apiOf(path)
  const caller = callerOf(ctx, req)
  const entry = ctx.log.start({
    method,
    path,
    query,
    body: bodyForLog(raw, req.headers['content-type']),
    write: api === 'acm' && method !== 'GET',
    api,
    callerIp: caller.ip,
  })
  const fault = ctx.controls.takeFault(method, path)
  const breaks = fault !== undefined && (fault.drop || fault.status !== undefined)
  if (fault) entry.fault = fault.drop ? 'drop' : fault.status !== undefined ? 'status' : 'delay'
  if (fault && fault.delayMs > 0) {
    await sleep(fault.delayMs, undefined, {signal: closing}).catch(() => undefined)
    if (closing.aborted) return
  }
  if (fault && breaks && fault.phase === 'before') {
    deliverFault(res, entry, fault)
    return
  }
  ctx.operations.settleDue()
  const reply = dispatch(ctx, api, {method, path, query, rawBody: raw, headers: req.headers, caller})
  // An accepted write: the log names its operation, even when a fault then loses the answer.
  const operation = entry.write && reply.status === 200 && isObject(reply.body) ? reply.body.name : undefined
  if (typeof operation === 'string') entry.operation = operation
  if (fault && breaks && fault.phase === 'after') {
    deliverFault(res, entry, fault)
    return
  }
  entry.status = reply.status
  send(res, reply)
}

export async function startGoogleCloud(opts: GoogleCloudOptions): Promise<GoogleCloud> {
  if (opts.operatorIp !== undefined && !ipaddr.isValid(opts.operatorIp)) throw new Error(`operatorIp '${opts.operatorIp}' is not an IP address`)
  const clock = new Clock()
  const ctx: CloudContext = {
    store: new Store(),
    controls: new Controls({
      ...(opts.operationDelayMs !== undefined ? {operationDelayMs: opts.operationDelayMs} : {}),
      ...(opts.pendingWrites !== undefined ? {pendingWrites: opts.pendingWrites} : {}),
      ...(opts.propagationDelayMs !== undefined ? {propagationDelayMs: opts.propagationDelayMs} : {}),
      ...(opts.operatorIp !== undefined ? {operatorIp: opts.operatorIp} : {}),
    }),
    operations: new Operations(clock),
    auth: new Auth(),
    log: new RequestLog(),
    clock,
    enforcement: new Enforcement(),
    auditLog: new AuditLog(),
  }
  ctx.store.load(seedState())
  ctx.enforcement.reset(ctx.store.acmState(), ctx.clock.now())
  ctx.store.onChange = (at) => ctx.enforcement.record(ctx.store.acmState(), at ?? ctx.clock.now())
  const closing = new AbortController()
  const server = createServer((req, res) => {
    handle(ctx, req, res, closing.signal).catch((error: unknown) => send(res, replyFor(error)))
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
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  let credentialFile: string
  try {
    credentialFile = await ctx.auth.writeCredentials(opts.stateDir, url)
  } catch (error) {
    server.close()
    throw error
  }
  let closed: Promise<void> | undefined
  return {
    url,
    port,
    credentialFile,
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort()
        ctx.operations.stop()
        server.close(() => resolve())
        // Keep-alive connections from clients would otherwise hold close() open.
        server.closeAllConnections()
      })
      return closed
    },
  }
}
