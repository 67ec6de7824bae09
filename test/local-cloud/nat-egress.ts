// The emulated NAT egress: one plain HTTP forward proxy per Elastic IP. A script run "on
// the instance" gets http_proxy pointing at the proxy of its NAT gateway's EIP; the proxy
// forwards to the (local) target and stamps `x-vpcsc-egress-ip: <EIP>`, which the emulated
// Google reads as the caller's address. Requests without that header come from the operator.
//
// Only absolute-form requests (`GET http://127.0.0.1:PORT/path HTTP/1.1`, as curl, Python
// and Node clients send them through http_proxy) are forwarded, and only to 127.0.0.1 or
// localhost (403 otherwise): nothing leaves the machine. CONNECT answers 405 (everything
// local is plain http).
import {createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'

export const EGRESS_HEADER = 'x-vpcsc-egress-ip'

const HOST = '127.0.0.1'
const LOCAL_TARGETS = new Set(['127.0.0.1', 'localhost'])
// Hop-by-hop headers (RFC 9110 section 7.6.1) and the proxy's own: never forwarded.
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {...headers}
  const named = String(headers.connection ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean)
  for (const h of [...HOP_BY_HOP, ...named]) delete out[h]
  return out
}

function plain(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  res.writeHead(status, {'content-type': 'text/plain; charset=utf-8', connection: 'close'})
  res.end(`${message}\n`)
}

function forward(ip: string, req: IncomingMessage, res: ServerResponse): void {
  let target: URL
  try {
    // Absolute form only: an origin-form request (`GET /path`) was not meant for a proxy.
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(req.url ?? '')) throw new Error('not absolute')
    target = new URL(req.url as string)
  } catch {
    plain(res, 400, `NAT egress ${ip}: expected an absolute-form proxy request (GET http://host:port/path), got ${JSON.stringify(req.url)}`)
    return
  }
  if (target.protocol !== 'http:') {
    plain(res, 400, `NAT egress ${ip}: only http:// targets are forwarded, got ${target.protocol}`)
    return
  }
  if (!LOCAL_TARGETS.has(target.hostname.toLowerCase())) {
    plain(res, 403, `NAT egress ${ip}: the local cloud only forwards to 127.0.0.1 or localhost, not ${target.hostname}`)
    return
  }
  const headers = endToEnd(req.headers)
  // Overwrites whatever the client claimed: the address is the NAT's, not the caller's to choose.
  delete headers[EGRESS_HEADER]
  headers[EGRESS_HEADER] = ip
  headers.host = target.host
  const upstream = request(
    {
      host: HOST, // localhost too: the local cloud listens on IPv4 only
      port: target.port || 80,
      method: req.method,
      path: `${target.pathname}${target.search}`,
      headers,
      agent: false,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.headers))
      answer.pipe(res)
      answer.once('error', () => res.destroy())
    },
  )
  upstream.once('error', (error) => plain(res, 502, `NAT egress ${ip}: ${target.host} did not answer (${error.message})`))
  req.pipe(upstream)
  res.once('close', () => {
    if (!res.writableFinished) upstream.destroy()
  })
}

interface Proxy {
  url: string
  server: Server
}

async function listen(ip: string): Promise<Proxy> {
  const server = createServer((req, res) => forward(ip, req, res))
  server.on('clientError', (_error, socket: Socket) => socket.destroy())
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    socket.on('error', () => {}) // the client may reset first
    socket.end(
      'HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 58\r\n\r\n' +
        'CONNECT is not supported: everything local is plain http\n',
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, HOST, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return {url: `http://${HOST}:${(server.address() as AddressInfo).port}`, server}
}

/** The egress proxies of one world: one per EIP, created on first use, reused, all closed by close(). */
export class NatEgress {
  readonly #proxies = new Map<string, Promise<Proxy>>()
  #closed = false

  /** The proxy URL (http://127.0.0.1:PORT) whose requests leave with `ip` as their source address. */
  egressProxyFor = async (ip: string): Promise<string> => {
    if (this.#closed) throw new Error('the NAT egress is closed')
    if (!ip) throw new Error('egressProxyFor needs an IP address')
    let proxy = this.#proxies.get(ip)
    if (!proxy) {
      proxy = listen(ip)
      this.#proxies.set(ip, proxy)
      proxy.catch(() => this.#proxies.delete(ip))
    }
    return (await proxy).url
  }

  /** EIP -> proxy URL of the proxies started so far. */
  async list(): Promise<Record<string, string>> {
    const entries = await Promise.all([...this.#proxies].map(async ([ip, p]) => [ip, (await p).url] as const))
    return Object.fromEntries(entries)
  }

  async close(): Promise<void> {
    this.#closed = true
    const proxies = [...this.#proxies.values()]
    this.#proxies.clear()
    await Promise.all(
      proxies.map(async (p) => {
        const {server} = await p.catch(() => ({server: undefined}))
        if (!server) return
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
      }),
    )
  }
}

let shared: NatEgress | undefined

/** The process-wide NatEgress (a world has its own: World.egressProxyFor). */
export function egressProxyFor(ip: string): Promise<string> {
  shared ??= new NatEgress()
  return shared.egressProxyFor(ip)
}

/** Closes the proxies egressProxyFor started. */
export async function closeEgressProxies(): Promise<void> {
  const s = shared
  shared = undefined
  await s?.close()
}
