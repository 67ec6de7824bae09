// A thin front for moto, for what moto does not do by itself:
// - sts:AssumeRole succeeds in moto for any role ARN, existing or not. Real AWS answers
//   AccessDenied when the role does not exist (or its trust policy does not allow the
//   caller), so the gate asks moto for the role (iam:GetRole in the target account) and
//   answers STS's own AccessDenied when it is not there. A test denies a role by not
//   creating it, or by deleting it.
// - Fault injection by action and region (throttling past retries, a failing region), in
//   the error format of the service (STS and EC2 query protocols).
// - A request log (service, action, region, account key), to count AssumeRole and EC2 calls.
// Everything else is forwarded to moto byte for byte. The CLI reaches the gate through the
// SDK's standard AWS_ENDPOINT_URL_STS (always) and AWS_ENDPOINT_URL_EC2 (when a test asks).
import {createServer, type IncomingMessage, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

export interface GateRequest {
  service: string
  action: string
  region: string
  accessKeyId: string
  /** For AssumeRole: the role asked for, and whether the gate let it through. */
  roleArn?: string
  externalId?: string
  roleSessionName?: string
  denied?: boolean
}

export interface GateFault {
  action: string
  region?: string
  /** EC2 or STS error code, e.g. RequestLimitExceeded. */
  code: string
  status: number
  /** How many matching requests fail (default: all). */
  count?: number
}

export interface AwsGate {
  url: string
  requests(): GateRequest[]
  clearRequests(): void
  fault(fault: GateFault): void
  reset(): void
  close(): Promise<void>
}

const xml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')

function errorBody(service: string, code: string, message: string): string {
  const id = crypto.randomUUID()
  if (service === 'ec2') return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${xml(message)}</Message></Error></Errors><RequestID>${id}</RequestID></Response>`
  return `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`
}

/** service, region and access key from the SigV4 Authorization header's credential scope. */
function scope(req: IncomingMessage): {service: string; region: string; accessKeyId: string} {
  const match = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\//.exec(req.headers.authorization ?? '')
  return {accessKeyId: match?.[1] ?? '', region: match?.[2] ?? '', service: match?.[3] ?? ''}
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

export async function startAwsGate(motoUrl: string): Promise<AwsGate> {
  let log: GateRequest[] = []
  let faults: GateFault[] = []

  const forward = async (req: IncomingMessage, payload: Buffer) => {
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k, v]) => typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>
    const res = await fetch(`${motoUrl}${req.url ?? '/'}`, {method: req.method, headers, body: ['GET', 'HEAD'].includes(req.method ?? '') ? undefined : new Uint8Array(payload)})
    return {status: res.status, type: res.headers.get('content-type') ?? 'text/xml', text: await res.text()}
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const payload = await body(req)
      const params = new URLSearchParams(payload.toString('utf8'))
      const {service, region, accessKeyId} = scope(req)
      const action = params.get('Action') ?? ''
      const entry: GateRequest = {service, action, region, accessKeyId}
      log.push(entry)
      const send = (status: number, type: string, text: string) => res.writeHead(status, {'content-type': type}).end(text)

      const fault = faults.find((f) => f.action === action && (f.region === undefined || f.region === region) && (f.count === undefined || f.count > 0))
      if (fault) {
        if (fault.count !== undefined) fault.count--
        return send(fault.status, 'text/xml', errorBody(service, fault.code, `Injected by the test: ${fault.code}`))
      }
      const answer = await forward(req, payload)
      if (service === 'sts' && action === 'AssumeRole' && answer.status === 200) {
        const roleArn = params.get('RoleArn') ?? ''
        entry.roleArn = roleArn
        entry.externalId = params.get('ExternalId') ?? undefined
        entry.roleSessionName = params.get('RoleSessionName') ?? undefined
        // The role must exist in its account: ask moto as the new session (moto puts it there).
        const sessionKey = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(answer.text)?.[1] ?? ''
        const roleName = roleArn.split('/').at(-1) ?? ''
        const role = await motoQuery(motoUrl, 'iam', sessionKey, {Action: 'GetRole', RoleName: roleName, Version: '2010-05-08'})
        if (role.status !== 200) {
          entry.denied = true
          return send(403, 'text/xml', errorBody('sts', 'AccessDenied', `User: arn:aws:iam::123456789012:user/test is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`))
        }
      }
      send(answer.status, answer.type, answer.text)
    })().catch((error: unknown) => {
      res.writeHead(500, {'content-type': 'text/plain'}).end(String(error))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => [...log],
    clearRequests: () => void (log = []),
    fault: (f) => void faults.push({...f}),
    reset: () => {
      log = []
      faults = []
    },
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  }
}
