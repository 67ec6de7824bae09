import assert from 'node:assert/strict'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {after, before, beforeEach, describe, it} from 'node:test'
import {DescribeNatGatewaysCommand, DescribeVpcsCommand, EC2Client} from '@aws-sdk/client-ec2'
import {GetCommandInvocationCommand, SSMClient} from '@aws-sdk/client-ssm'
import {startAwsGate, type AwsGate} from './aws-gate.ts'
import {startMoto, type Moto} from './moto.ts'

// The gate must be invisible until a fault is set, then misbehave exactly for the requests
// the fault names: tests of the CLI's bounded waits and partial failures rely on both.

const credentials = {accessKeyId: 'test', secretAccessKey: 'test'}

describe('AWS gate', () => {
  let moto: Moto
  let gate: AwsGate
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
    gate = await startAwsGate({moto: moto.endpoint, ssm: ssmUrl})
    ec2 = new EC2Client({region: 'us-east-1', endpoint: gate.url, credentials, maxAttempts: 1})
    ssm = new SSMClient({region: 'us-east-1', endpoint: gate.url, credentials, maxAttempts: 1})
  })

  after(async () => {
    ec2?.destroy()
    ssm?.destroy()
    await gate?.close()
    await new Promise<void>((resolve) => (ssmServer ? ssmServer.close(() => resolve()) : resolve()))
    await moto?.stop()
  })

  beforeEach(() => {
    gate.reset()
    ssmTargets.length = 0
  })

  it('forwards EC2 calls to moto and SSM targets to the SSM upstream, logging each', async () => {
    const vpcs = await ec2.send(new DescribeVpcsCommand({}))
    assert.ok((vpcs.Vpcs ?? []).length >= 1, 'moto answers its default VPC through the gate')
    const invocation = await ssm.send(new GetCommandInvocationCommand({CommandId: 'c-1', InstanceId: 'i-1'}))
    assert.equal(invocation.Status, 'Success')
    assert.deepEqual(ssmTargets, ['AmazonSSM.GetCommandInvocation'])
    assert.deepEqual(
      gate.requests().map((r) => [r.service, r.action, r.target ?? null, r.region, r.status, r.fault ?? null]),
      [
        ['ec2', 'DescribeVpcs', null, 'us-east-1', 200, null],
        ['ssm', 'GetCommandInvocation', 'AmazonSSM.GetCommandInvocation', 'us-east-1', 200, null],
      ],
    )
  })

  it('answers an error in EC2 format for the next N matching Actions only', async () => {
    gate.fault({action: 'DescribeNatGateways', code: 'Unavailable', status: 503, count: 2})
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
      gate.requests().map((r) => [r.action, r.status, r.fault ?? null]),
      [
        ['DescribeVpcs', 200, null],
        ['DescribeNatGateways', 503, 'error'],
        ['DescribeNatGateways', 503, 'error'],
        ['DescribeNatGateways', 200, null],
      ],
    )
  })

  it('answers every matching SSM call in JSON when no count is given, and only in the region named', async () => {
    gate.fault({action: 'GetCommandInvocation', region: 'eu-west-1', code: 'ServiceUnavailableException', status: 503})
    await ssm.send(new GetCommandInvocationCommand({CommandId: 'c-1', InstanceId: 'i-1'}))
    ssmTargets.length = 0
    gate.fault({action: 'GetCommandInvocation', code: 'ServiceUnavailableException', status: 503})
    const error = (await ssm.send(new GetCommandInvocationCommand({CommandId: 'c-1', InstanceId: 'i-1'})).then(
      () => assert.fail('expected a 503'),
      (e: unknown) => e,
    )) as {name: string; $metadata: {httpStatusCode?: number}}
    assert.equal(error.$metadata.httpStatusCode, 503)
    assert.equal(error.name, 'ServiceUnavailableException')
    await assert.rejects(ssm.send(new GetCommandInvocationCommand({CommandId: 'c-1', InstanceId: 'i-1'})), {name: 'ServiceUnavailableException'})
    assert.deepEqual(ssmTargets, [], 'a faulted request never reaches the upstream')
  })

  it('stalls a matching request: held open, never answered, until cleared', async () => {
    gate.fault({action: 'DescribeNatGateways', stall: true, count: 1})
    const started = Date.now()
    const stalled = ec2.send(new DescribeNatGatewaysCommand({}), {abortSignal: AbortSignal.timeout(400)})
    await assert.rejects(stalled, (error: Error) => error.name === 'AbortError' || /abort/i.test(error.message))
    assert.ok(Date.now() - started >= 390, 'no answer came before the client gave up')
    assert.equal(gate.requests()[0]?.fault, 'stall')
    assert.equal(gate.requests()[0]?.status, null)
    // Only that one request: the next is forwarded.
    await ec2.send(new DescribeNatGatewaysCommand({}))
  })

  it('reset() releases a request still stalled (its connection is cut)', async () => {
    gate.fault({action: 'DescribeVpcs', stall: true})
    const raw = fetch(gate.url, {
      method: 'POST',
      headers: {'content-type': 'application/x-www-form-urlencoded'},
      body: 'Action=DescribeVpcs&Version=2016-11-15',
    })
    for (const deadline = Date.now() + 2000; gate.stalled === 0; await new Promise((r) => setTimeout(r, 10))) {
      assert.ok(Date.now() < deadline, 'the request never arrived')
    }
    gate.reset()
    await assert.rejects(raw)
    assert.equal(gate.stalled, 0)
  })

  it('refuses a count it cannot honour', () => {
    assert.throws(() => gate.fault({action: 'DescribeVpcs', stall: true, count: 0}), /count must be an integer >= 1/)
    assert.throws(() => gate.fault({action: 'DescribeVpcs', code: 'Unavailable', status: 503, count: 1.5}), /count must be an integer >= 1/)
  })
})
