import assert from 'node:assert/strict'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {after, before, beforeEach, describe, it} from 'node:test'
import {DescribeNatGatewaysCommand, DescribeVpcsCommand, EC2Client} from '@aws-sdk/client-ec2'
import {GetCommandInvocationCommand, SSMClient} from '@aws-sdk/client-ssm'
import {startAwsFaultProxy, type AwsFaultProxy} from './aws-fault-proxy.ts'
import {startMoto, type Moto} from './moto.ts'

// The fault proxy must be invisible until armed, then misbehave exactly for the requests
// it was armed for: tests of the CLI's bounded waits rely on both.

const credentials = {accessKeyId: 'test', secretAccessKey: 'test'}

describe('AWS fault proxy', () => {
  let moto: Moto
  let proxy: AwsFaultProxy
  let ssmServer: ReturnType<typeof createServer>
  const ssmTargets: string[] = []
  let ec2: EC2Client
  let ssm: SSMClient

  before(async () => {
    moto = await startMoto()
    // A stand-in for the SSM executor: it records the target and answers an invocation.
    ssmServer = createServer((req, res) => {
      ssmTargets.push(String(req.headers['x-amz-target']))
      req.resume()
      req.on('end', () => {
        res.writeHead(200, {'content-type': 'application/x-amz-json-1.1'})
        res.end(JSON.stringify({CommandId: 'c-1', InstanceId: 'i-1', Status: 'Success'}))
      })
    })
    await new Promise<void>((resolve) => ssmServer.listen(0, '127.0.0.1', resolve))
    const ssmUrl = `http://127.0.0.1:${(ssmServer.address() as AddressInfo).port}`
    proxy = await startAwsFaultProxy({upstream: moto.endpoint, ssmUpstream: ssmUrl})
    ec2 = new EC2Client({region: 'us-east-1', endpoint: proxy.url, credentials, maxAttempts: 1})
    ssm = new SSMClient({region: 'us-east-1', endpoint: proxy.url, credentials, maxAttempts: 1})
  })

  after(async () => {
    ec2?.destroy()
    ssm?.destroy()
    await proxy?.close()
    await new Promise<void>((resolve) => (ssmServer ? ssmServer.close(() => resolve()) : resolve()))
    await moto?.stop()
  })

  beforeEach(() => {
    proxy.clear()
    ssmTargets.length = 0
  })

  it('forwards EC2 calls to moto and SSM targets to the SSM upstream, logging each', async () => {
    const vpcs = await ec2.send(new DescribeVpcsCommand({}))
    assert.ok((vpcs.Vpcs ?? []).length >= 1, 'moto answers its default VPC through the proxy')
    const invocation = await ssm.send(new GetCommandInvocationCommand({CommandId: 'c-1', InstanceId: 'i-1'}))
    assert.equal(invocation.Status, 'Success')
    assert.deepEqual(ssmTargets, ['AmazonSSM.GetCommandInvocation'])
    assert.deepEqual(
      proxy.requests().map((r) => [r.action ?? r.target, r.status, r.fault ?? null]),
      [
        ['DescribeVpcs', 200, null],
        ['AmazonSSM.GetCommandInvocation', 200, null],
      ],
    )
  })

  it('answers 503 in EC2 format for the next N matching Actions only', async () => {
    proxy.arm({action: 'DescribeNatGateways', mode: '503', count: 2})
    await ec2.send(new DescribeVpcsCommand({}))
    for (let i = 0; i < 2; i++) {
      const error = (await ec2.send(new DescribeNatGatewaysCommand({})).then(
        () => assert.fail('expected a 503'),
        (e: unknown) => e,
      )) as {name: string; $metadata: {httpStatusCode?: number}}
      assert.equal(error.$metadata.httpStatusCode, 503)
      assert.equal(error.name, 'Unavailable')
    }
    await ec2.send(new DescribeNatGatewaysCommand({}))
    assert.deepEqual(
      proxy.requests().map((r) => [r.action, r.status, r.fault ?? null]),
      [
        ['DescribeVpcs', 200, null],
        ['DescribeNatGateways', 503, '503'],
        ['DescribeNatGateways', 503, '503'],
        ['DescribeNatGateways', 200, null],
      ],
    )
  })

  it('answers 503 in JSON for an SSM target given without its prefix', async () => {
    proxy.arm({target: 'GetCommandInvocation', mode: '503'})
    const error = (await ssm.send(new GetCommandInvocationCommand({CommandId: 'c-1', InstanceId: 'i-1'})).then(
      () => assert.fail('expected a 503'),
      (e: unknown) => e,
    )) as {name: string; $metadata: {httpStatusCode?: number}}
    assert.equal(error.$metadata.httpStatusCode, 503)
    assert.equal(error.name, 'ServiceUnavailableException')
    assert.deepEqual(ssmTargets, [], 'a faulted request never reaches the upstream')
  })

  it('stalls a matching request: held open, never answered, until cleared', async () => {
    proxy.arm({action: 'DescribeNatGateways', mode: 'stall'})
    const started = Date.now()
    const stalled = ec2.send(new DescribeNatGatewaysCommand({}), {abortSignal: AbortSignal.timeout(400)})
    await assert.rejects(stalled, (error: Error) => error.name === 'AbortError' || /abort/i.test(error.message))
    assert.ok(Date.now() - started >= 390, 'no answer came before the client gave up')
    assert.equal(proxy.requests()[0]?.fault, 'stall')
    assert.equal(proxy.requests()[0]?.status, null)
    // Only that one request: the next is forwarded.
    await ec2.send(new DescribeNatGatewaysCommand({}))
  })

  it('clear() releases a request still stalled (its connection is cut)', async () => {
    proxy.arm({action: 'DescribeVpcs', mode: 'stall'})
    const raw = fetch(proxy.url, {
      method: 'POST',
      headers: {'content-type': 'application/x-www-form-urlencoded'},
      body: 'Action=DescribeVpcs&Version=2016-11-15',
    })
    for (const deadline = Date.now() + 2000; proxy.stalled === 0; await new Promise((r) => setTimeout(r, 10))) {
      assert.ok(Date.now() < deadline, 'the request never arrived')
    }
    proxy.clear()
    await assert.rejects(raw)
    assert.equal(proxy.stalled, 0)
  })

  it('refuses a rule it cannot honour', () => {
    assert.throws(() => proxy.arm({action: 'DescribeVpcs', mode: 'hang' as '503'}), /mode must be 'stall' or '503'/)
    assert.throws(() => proxy.arm({action: 'DescribeVpcs', mode: '503', count: 0}), /count must be an integer >= 1/)
  })
})
