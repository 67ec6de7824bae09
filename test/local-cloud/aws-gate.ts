// The one front for the local AWS (moto, and the SSM executor for `X-Amz-Target:
// AmazonSSM.*`), for what they do not do by themselves:
// - sts:AssumeRole succeeds in moto for any role ARN, existing or not. Real AWS answers
//   AccessDenied when the role does not exist (or its trust policy does not allow the
//   caller), so the gate asks moto for the role (iam:GetRole in the target account) and
//   answers STS's own AccessDenied when it is not there, or when its trust policy requires
//   an external id (sts:ExternalId, as the member-account module's does) that the request
//   does not carry. A test denies a role by not creating it, by deleting it, or by giving
//   it an external id.
// - Fault injection by action (and region): an error in the service's own format (throttling
//   past retries, a failing region, a 503), or a stall (the request is held open and never
//   answered, to test the CLI's bounded waits).
// - A request log (service, action, region, account key, status), to count calls.
// Everything else is forwarded unchanged. The CLI reaches the gate through the SDK's
// standard AWS_ENDPOINT_URL_STS (always) and AWS_ENDPOINT_URL_EC2 / _SSM (when a test asks).
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {Socket} from 'node:net'

import {listenLocal} from './listen.ts'

export interface GateRequest {
  seq: number
  /** From the SigV4 credential scope: ec2, sts, ssm ('' when unsigned). */
  service: string
  /** The query protocol's Action, or the operation of a JSON protocol's target (SendCommand). */
  action: string
  /** X-Amz-Target, for the JSON protocols (AmazonSSM.SendCommand). */
  target?: string
  region: string
  accessKeyId: string
  /** null while pending, and for a stalled request. */
  status: number | null
  fault?: 'error' | 'stall'
  /** For AssumeRole: the role asked for, and whether the gate let it through. */
  roleArn?: string
  externalId?: string
  roleSessionName?: string
  denied?: boolean
}

/** Which requests misbehave: those of `action` (in `region`), the next `count` of them (default: every one). */
interface FaultMatch {
  action: string
  region?: string
  count?: number
}
/** An answer in the service's error format: EC2 or STS XML, or SSM's JSON. */
export type GateErrorFault = FaultMatch & {
  /** The service's error code, e.g. RequestLimitExceeded, ServiceUnavailableException. */
  code: string
  status: number
}
/** Held open and never answered: only the client's own timeout (or reset/close) ends it. */
export type GateStallFault = FaultMatch & {stall: true}
export type GateFault = GateErrorFault | GateStallFault

export interface AwsGate {
  /** http://127.0.0.1:PORT */
  url: string
  requests(): GateRequest[]
  clearRequests(): void
  fault(fault: GateFault): void
  /** Requests held open by a stall fault now. */
  readonly stalled: number
  /** Forgets the log and the faults, and cuts the stalled requests' connections. */
  reset(): void
  close(): Promise<void>
}

export interface AwsGateOptions {
  /** moto: every request but the SSM executor's. */
  moto: string
  /** Where requests with X-Amz-Target AmazonSSM.* go; default moto. */
  ssm?: string
}

const xml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')

/** An error answer as the service sends it: JSON for a JSON protocol (a target), XML otherwise. */
function errorAnswer(service: string, target: string | undefined, code: string, message: string): {type: string; text: string} {
  const id = crypto.randomUUID()
  if (target) return {type: 'application/x-amz-json-1.1', text: JSON.stringify({__type: code, message})}
  if (service === 'sts') return {type: 'text/xml', text: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`}
  return {type: 'text/xml', text: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${xml(message)}</Message></Error></Errors><RequestID>${id}</RequestID></Response>`}
}

/** service, region and access key from the SigV4 Authorization header's credential scope. */
function scope(req: IncomingMessage): {service: string; region: string; accessKeyId: string} {
  const match = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\//.exec(req.headers.authorization ?? '')
  return {accessKeyId: match?.[1] ?? '', region: match?.[2] ?? '', service: match?.[3] ?? ''}
}

/** The Action of a query-protocol call: in the form body (the SDK's way) or the query string. */
function queryAction(req: IncomingMessage, params: URLSearchParams): string {
  return new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('Action') ?? params.get('Action') ?? ''
}

interface TrustStatement {
  Effect?: string
  Condition?: {StringEquals?: Record<string, string | string[]>}
}

/**
 * Whether the role's trust policy (GetRole's answer, its document URL-encoded as AWS sends
 * it) admits a request with this external id. Only the sts:ExternalId condition is
 * evaluated: every caller here is the same principal.
 */
function trustAdmits(getRole: string, externalId: string | undefined): boolean {
  const encoded = /<AssumeRolePolicyDocument>([^<]*)<\/AssumeRolePolicyDocument>/.exec(getRole)?.[1]
  if (encoded === undefined) return true
  const policy = JSON.parse(decodeURIComponent(encoded)) as {Statement?: TrustStatement | TrustStatement[]}
  return [policy.Statement ?? []].flat().some((statement) => {
    const wanted = statement.Condition?.StringEquals?.['sts:ExternalId']
    return statement.Effect === 'Allow' && (wanted === undefined || (externalId !== undefined && [wanted].flat().includes(externalId)))
  })
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** One query-protocol call to moto as the holder of `accessKeyId` (moto checks no signature). */
export async function motoQuery(motoUrl: string, service: string, accessKeyId: string, params: Record<string, string>): Promise<{status: number; text: string}> {
  const res = await fetch(motoUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams(params).toString(),
  })
  return {status: res.status, text: await res.text()}
}

export async function startAwsGate(options: AwsGateOptions): Promise<AwsGate> {
  let log: GateRequest[] = []
  let faults: GateFault[] = []
  let seq = 1
  const stalled = new Set<Socket>()
  const release = () => {
    for (const socket of stalled) socket.destroy()
    stalled.clear()
  }

  const forward = async (req: IncomingMessage, payload: Buffer, upstream: string) => {
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k, v]) => typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>
    const res = await fetch(`${upstream}${req.url ?? '/'}`, {method: req.method, headers, body: ['GET', 'HEAD'].includes(req.method ?? '') ? undefined : new Uint8Array(payload)})
    return {status: res.status, type: res.headers.get('content-type') ?? 'text/xml', text: await res.text()}
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const payload = await body(req)
    const target = typeof req.headers['x-amz-target'] === 'string' ? req.headers['x-amz-target'] : undefined
    const params = new URLSearchParams(target ? '' : payload.toString('utf8'))
    const {service, region, accessKeyId} = scope(req)
    const action = target ? (target.split('.').at(-1) ?? target) : queryAction(req, params)
    const entry: GateRequest = {seq: seq++, service, action, region, accessKeyId, status: null, ...(target ? {target} : {})}
    log.push(entry)
    const send = (status: number, answer: {type: string; text: string}) => {
      entry.status = status
      res.writeHead(status, {'content-type': answer.type}).end(answer.text)
    }

    const fault = faults.find((f) => f.action === action && (f.region === undefined || f.region === region) && (f.count === undefined || f.count > 0))
    if (fault) {
      if (fault.count !== undefined) fault.count--
      if ('stall' in fault) {
        entry.fault = 'stall'
        stalled.add(req.socket)
        req.socket.once('close', () => stalled.delete(req.socket))
        return
      }
      entry.fault = 'error'
      return send(fault.status, errorAnswer(service, target, fault.code, `Injected by the test: ${fault.code}`))
    }
    const answer = await forward(req, payload, target?.startsWith('AmazonSSM.') ? (options.ssm ?? options.moto) : options.moto)
    if (service === 'sts' && action === 'AssumeRole' && answer.status === 200) {
      const roleArn = params.get('RoleArn') ?? ''
      entry.roleArn = roleArn
      entry.externalId = params.get('ExternalId') ?? undefined
      entry.roleSessionName = params.get('RoleSessionName') ?? undefined
      // The role must exist in its account: ask moto as the new session (moto puts it there).
      const sessionKey = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(answer.text)?.[1] ?? ''
      const roleName = roleArn.split('/').at(-1) ?? ''
      const role = await motoQuery(options.moto, 'iam', sessionKey, {Action: 'GetRole', RoleName: roleName, Version: '2010-05-08'})
      if (role.status !== 200 || !trustAdmits(role.text, entry.externalId)) {
        entry.denied = true
        return send(403, errorAnswer('sts', undefined, 'AccessDenied', `User: arn:aws:iam::123456789012:user/test is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`))
      }
    }
    send(answer.status, answer)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, {'content-type': 'text/plain'})
      res.end(`aws gate: ${String(error)}`)
    })
  })
  const {port, cutAll} = await listenLocal(server)
  let closed: Promise<void> | undefined
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => log.map((entry) => ({...entry})),
    clearRequests: () => void (log = []),
    fault: (f) => {
      if (f.count !== undefined && (!Number.isInteger(f.count) || f.count < 1)) throw new Error(`count must be an integer >= 1, got ${f.count}`)
      faults.push({...f})
    },
    get stalled() {
      return stalled.size
    },
    reset: () => {
      log = []
      faults = []
      release()
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
