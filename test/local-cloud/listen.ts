// Listening for the local cloud's small TCP/HTTP helpers (black hole, AWS gate).
import type {AddressInfo, Server, Socket} from 'node:net'

/**
 * Listens on 127.0.0.1 on a free port and keeps every open connection, so that closing
 * can cut connections nobody will ever answer (server.close() alone would wait for them).
 */
export async function listenLocal(server: Server): Promise<{port: number; sockets: Set<Socket>; cutAll(): void}> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  return {
    port: (server.address() as AddressInfo).port,
    sockets,
    cutAll() {
      for (const socket of sockets) socket.destroy()
    },
  }
}
