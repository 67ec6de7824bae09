import assert from 'node:assert/strict'
import {request, createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {connect} from 'node:net'
import {after, before, describe, it} from 'node:test'
import {EGRESS_HEADER, NatEgress} from './nat-egress.ts'

/** One request through `proxy` in absolute form, as curl sends it with http_proxy. */
function viaProxy(proxy: string, target: string, opts: {method?: string; headers?: Record<string, string>; body?: string} = {}) {
  const p = new URL(proxy)
  return new Promise<{status: number; headers: Record<string, unknown>; body: string}>((resolve, reject) => {
    const req = request({host: p.hostname, port: p.port, method: opts.method ?? 'GET', path: target, headers: opts.headers, agent: false}, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (c: string) => (body += c))
      res.once('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, body}))
    })
    req.once('error', reject)
    req.end(opts.body)
  })
}

describe('NAT egress proxies', () => {
  let upstream: Server
  let target: string
  const egress = new NatEgress()
  before(async () => {
    upstream = createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8').on('data', (c: string) => (body += c))
      req.once('end', () => {
        res.writeHead(201, {'content-type': 'application/json', 'x-upstream': 'yes'})
        res.end(JSON.stringify({method: req.method, url: req.url, host: req.headers.host, egress: req.headers[EGRESS_HEADER], proxyAuth: req.headers['proxy-authorization'] ?? null, body}))
      })
    })
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
    target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
  })
  after(async () => {
    await egress.close()
    await new Promise<void>((resolve) => upstream.close(() => resolve()))
  })

  it('forwards absolute-form requests to local targets, stamping the EIP over any claimed one', async () => {
    const proxy = await egress.egressProxyFor('203.0.113.10')
    assert.match(proxy, /^http:\/\/127\.0\.0\.1:\d+$/)
    const r = await viaProxy(proxy, `${target}/v1/x?y=1`, {
      method: 'POST',
      headers: {[EGRESS_HEADER]: '198.51.100.9', 'proxy-authorization': 'Basic secret', 'content-type': 'text/plain'},
      body: 'payload',
    })
    assert.equal(r.status, 201)
    assert.equal(r.headers['x-upstream'], 'yes')
    assert.deepEqual(JSON.parse(r.body), {
      method: 'POST',
      url: '/v1/x?y=1',
      host: new URL(target).host,
      egress: '203.0.113.10',
      proxyAuth: null,
      body: 'payload',
    })
    const viaLocalhost = await viaProxy(proxy, target.replace('127.0.0.1', 'localhost'))
    assert.equal(JSON.parse(viaLocalhost.body).egress, '203.0.113.10')
  })

  it('keeps one proxy per EIP', async () => {
    const [a, b, c] = await Promise.all([egress.egressProxyFor('203.0.113.10'), egress.egressProxyFor('203.0.113.10'), egress.egressProxyFor('203.0.113.77')])
    assert.equal(a, b)
    assert.notEqual(a, c)
    assert.equal(JSON.parse((await viaProxy(c as string, target)).body).egress, '203.0.113.77')
    assert.deepEqual(Object.keys(await egress.list()).sort(), ['203.0.113.10', '203.0.113.77'])
  })

  it('refuses other hosts (403), origin-form requests (400) and CONNECT (405); a dead target is 502', async () => {
    const proxy = await egress.egressProxyFor('203.0.113.10')
    assert.equal((await viaProxy(proxy, 'http://example.com/')).status, 403)
    assert.equal((await viaProxy(proxy, 'http://10.0.0.1:8080/')).status, 403)
    assert.equal((await viaProxy(proxy, '/relative')).status, 400)
    assert.equal((await viaProxy(proxy, 'http://127.0.0.1:1/')).status, 502)
    const p = new URL(proxy)
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(p.port), p.hostname, () => socket.write(`CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n`))
      let text = ''
      socket.setEncoding('utf8').on('data', (c: string) => (text += c))
      socket.once('end', () => resolve(text))
      socket.once('error', reject)
    })
    assert.match(answer, /^HTTP\/1\.1 405 /)
  })

  it('closes every proxy', async () => {
    const own = new NatEgress()
    const proxy = await own.egressProxyFor('203.0.113.10')
    await own.close()
    await assert.rejects(viaProxy(proxy, target), /ECONNREFUSED/)
    await assert.rejects(own.egressProxyFor('203.0.113.10'), /closed/)
  })
})
