// A notification sink for tests: a local HTTP server that records every POST body (as a
// Slack incoming webhook would receive it) and answers 200, or never answers at all.
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

export interface Sink {
  url: string
  /** The `text` of every message received, in order. */
  readonly texts: string[]
  /** The raw bodies, for checking the JSON shape. */
  readonly bodies: string[]
  /** When true, requests are held without an answer (an unresponsive webhook). */
  silent: boolean
  clear(): void
  close(): Promise<void>
}

export async function startSink(): Promise<Sink> {
  const bodies: string[] = []
  const texts: string[] = []
  const held: ServerResponse[] = []
  const sink = {silent: false} as Sink
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      bodies.push(body)
      try {
        texts.push((JSON.parse(body) as {text: string}).text)
      } catch {
        texts.push(`(not JSON: ${body})`)
      }
      if (sink.silent) return void held.push(res)
      res.writeHead(200, {'content-type': 'text/plain'}).end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return Object.assign(sink, {
    url: `http://127.0.0.1:${port}/services/T000/B000/XXXXXXXX`,
    texts,
    bodies,
    clear() {
      bodies.length = 0
      texts.length = 0
    },
    async close() {
      for (const res of held.splice(0)) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  })
}

/** A URL on which nothing listens: a dead sink. */
export async function deadUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}/hook`
}
