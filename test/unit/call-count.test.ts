import assert from 'node:assert/strict'
import {createServer, request} from 'node:http'
import type {AddressInfo} from 'node:net'
import {after, before, describe, it} from 'node:test'

import {apiOf, countCalls} from '../../src/lib/reconciler/call-count.ts'

describe('apiOf', () => {
  it('names the API by host, or behind a proxy or emulator by path', () => {
    assert.equal(apiOf('accesscontextmanager.googleapis.com', '/v1/accessPolicies/1'), 'accesscontextmanager')
    assert.equal(apiOf('sts.googleapis.com', '/v1/token'), 'sts')
    assert.equal(apiOf('ec2.eu-west-1.amazonaws.com', '/'), 'aws:ec2')
    assert.equal(apiOf('127.0.0.1:9000', '/v1/token'), 'sts')
    assert.equal(apiOf('127.0.0.1:9000', '/v1/operations/abc'), 'accesscontextmanager')
    assert.equal(apiOf('127.0.0.1:9000', '/', 'ec2'), 'aws:ec2')
    assert.equal(apiOf('proxy.internal:8080', '/other'), 'proxy.internal:8080')
  })
})

describe('countCalls', () => {
  let url: string
  const server = createServer((_req, res) => res.end('ok'))
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('counts fetch and node:http calls while it runs, and nothing after stop()', async () => {
    const counter = countCalls()
    await (await fetch(`${url}/v1/accessPolicies/1`)).text()
    await (await fetch(`${url}/v1/token`, {method: 'POST', body: 'x'})).text()
    await new Promise<void>((resolve, reject) => {
      const req = request(`${url}/`, {method: 'POST', headers: {authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261128/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=abc'}}, (res) => res.resume().on('end', resolve))
      req.on('error', reject)
      req.end('Action=DescribeNatGateways')
    })
    const counts = counter.stop()
    await (await fetch(`${url}/v1/accessPolicies/1`)).text()
    assert.deepEqual(counts, {'accesscontextmanager GET': 1, 'sts POST': 1, 'aws:ec2 POST': 1})
  })
})
