import {createServer} from 'node:http'
import type {IncomingMessage, ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'
import {handleAcm} from './acm.ts'
import {handleAdmin} from './admin.ts'
import {Auth} from './auth.ts'
import type {CloudContext} from './context.ts'
import {Controls} from './controls.ts'
import type {Fault} from './controls.ts'
import {ApiError, googleError} from './google-errors.ts'
import {queryObject, readBody, send} from './http-util.ts'
import type {Reply} from './http-util.ts'
import {Operations} from './operations.ts'
import {bodyForLog, RequestLog} from './request-log.ts'
import type {Api, LoggedRequest} from './request-log.ts'
import {seedState} from './seed.ts'
import {Store} from './store.ts'

/**
 * The emulated Google Cloud: Access Context Manager v1, its operations, the STS token
 * endpoint, and the /__admin/ API for tests, on one local HTTP port.
 */

export interface GoogleCloudOptions {
  /** Default 127.0.0.1: the local cloud never listens beyond the machine. */
  host?: string
  /** Default 0: any free port. */
  port?: number
  /** Where the credential file and the subject-token file are written. */
  stateDir: string
  /** How many GETs of an operation answer done:false before it is done. Default 1. */
  operationPolls?: number
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
  if (path.startsWith('/v1/operations/')) return 'operations'
  return 'acm'
}

function replyFor(error: unknown): Reply {
  if (error instanceof ApiError) return {status: error.code, body: error.toBody(), headers: error.headers}
  // An emulator bug: say so loudly in the answer rather than hang or crash the server.
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
  return {status: 500, body: googleError(500, `local Google Cloud internal error: ${message}`).toBody()}
}

/** Authenticate and route one non-admin request. Synchronous: state changes are atomic. */
function dispatch(ctx: CloudContext, api: Api, req: IncomingMessage, method: string, path: string, query: Record<string, string>, raw: string): Reply {
  try {
    if (api === 'sts') {
      if (method !== 'POST') throw new ApiError(405, 'UNIMPLEMENTED', 'The token endpoint only accepts POST.')
      return ctx.auth.exchange(raw, req.headers['content-type'])
    }
    ctx.auth.checkBearer(req.headers.authorization, query.access_token)
    return handleAcm(ctx, {method, path, query, rawBody: raw})
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
  const entry = ctx.log.start({
    method,
    path,
    query,
    body: bodyForLog(raw, req.headers['content-type']),
    write: api === 'acm' && method !== 'GET',
    api,
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
  const reply = dispatch(ctx, api, req, method, path, query, raw)
  if (fault && breaks && fault.phase === 'after') {
    deliverFault(res, entry, fault)
    return
  }
  entry.status = reply.status
  send(res, reply)
}

export async function startGoogleCloud(opts: GoogleCloudOptions): Promise<GoogleCloud> {
  const ctx: CloudContext = {
    store: new Store(),
    controls: new Controls(opts.operationPolls ?? 1),
    operations: new Operations(),
    auth: new Auth(),
    log: new RequestLog(),
  }
  ctx.store.load(seedState())
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
        server.close(() => resolve())
        // Keep-alive connections from clients would otherwise hold close() open.
        server.closeAllConnections()
      })
      return closed
    },
  }
}
