import assert from 'node:assert/strict'
import {connect} from 'node:net'
import {describe, it} from 'node:test'
import {startBlackhole} from './blackhole.ts'

async function until(check: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 2000; !check(); await new Promise((r) => setTimeout(r, 10))) {
    assert.ok(Date.now() < deadline, what)
  }
}

describe('black-hole endpoint', () => {
  it('accepts an HTTP request and never answers it', async () => {
    const hole = await startBlackhole()
    try {
      assert.match(hole.url, /^http:\/\/127\.0\.0\.1:\d+$/)
      const started = Date.now()
      await assert.rejects(fetch(`${hole.url}/v1/accessPolicies`, {signal: AbortSignal.timeout(300)}), /abort|timeout/i)
      assert.ok(Date.now() - started >= 290, 'nothing answered before the client gave up')
      assert.ok(hole.connections >= 1)
      assert.ok(hole.bytesReceived > 0, 'the request was received')
    } finally {
      await hole.close()
    }
  })

  it('counts every connection', async () => {
    // Raw sockets: an HTTP client may open more connections than requests (undici reconnects after an abort).
    const hole = await startBlackhole()
    const sockets = [connect(hole.port, '127.0.0.1'), connect(hole.port, '127.0.0.1')]
    try {
      for (const socket of sockets) {
        socket.on('error', () => {})
        socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n')
      }
      await until(() => hole.connections === 2 && hole.bytesReceived >= 2 * 27, 'connections not counted')
      await new Promise((r) => setTimeout(r, 100))
      assert.equal(hole.connections, 2)
    } finally {
      for (const socket of sockets) socket.destroy()
      await hole.close()
    }
  })

  it('close() cuts held connections and stops listening', async () => {
    const hole = await startBlackhole()
    const socket = connect(hole.port, '127.0.0.1')
    socket.on('error', () => {})
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    await until(() => hole.connections === 1, 'connection not accepted')
    await hole.close()
    await ended
    await assert.rejects(fetch(hole.url, {signal: AbortSignal.timeout(1000)}))
  })
})
