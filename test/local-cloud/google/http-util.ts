import type {IncomingMessage, ServerResponse} from 'node:http'
import type {Json} from './json.ts'

/** What a handler answers; the server writes it (or a fault replaces it). */
export interface Reply {
  status: number
  body: Json
  headers?: Record<string, string>
}

/** Request bodies are small JSON documents; anything huge is a client bug. */
const MAX_BODY_BYTES = 10 * 1024 * 1024

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new Error('request body too large')
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return
  const text = JSON.stringify(reply.body, null, 2)
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    ...reply.headers,
  })
  res.end(text)
}

/** The query string as a flat object (a repeated key keeps its last value). */
export function queryObject(url: URL): Record<string, string> {
  return Object.fromEntries(url.searchParams)
}
