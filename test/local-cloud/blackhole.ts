// A black-hole endpoint: a TCP server on 127.0.0.1 that accepts every connection and
// never answers a byte, as a firewall that drops replies or a hung front end looks to a
// client. A test points an endpoint setting at `url` and checks that the client gives
// up on its own (and how often it tried: `connections`).
import {createServer} from 'node:net'
import {listenLocal} from './listen.ts'

export interface Blackhole {
  /** http://127.0.0.1:PORT */
  url: string
  port: number
  /** Connections accepted so far. */
  readonly connections: number
  /** Bytes received so far (requests are read, never answered). */
  readonly bytesReceived: number
  /** Ends every held connection and stops listening. */
  close(): Promise<void>
}

export async function startBlackhole(): Promise<Blackhole> {
  let connections = 0
  let bytesReceived = 0
  const server = createServer((socket) => {
    connections += 1
    // Read what the client sends (so its writes never block), answer nothing.
    socket.on('data', (chunk) => (bytesReceived += chunk.length))
    socket.on('error', () => {})
  })
  const {port, cutAll} = await listenLocal(server)
  let closed: Promise<void> | undefined
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get connections() {
      return connections
    },
    get bytesReceived() {
      return bytesReceived
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        cutAll()
      })
      return closed
    },
  }
}
