import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import {
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2'
import {ec2Client, NAT_TAGS, REPLACEMENT_EIP} from './aws-seed.ts'
import {LEVEL, SEED_EIP, seedState} from './google/seed.ts'
import {isAlive} from './moto.ts'
import {regionEip, startWorld, type World} from './world.ts'

const tagged = (tags: {Key?: string; Value?: string}[] | undefined) =>
  Object.entries(NAT_TAGS).every(([k, v]) => tags?.some((t) => t.Key === k && t.Value === v))

async function nats(ec2: EC2Client) {
  const all = (await ec2.send(new DescribeNatGatewaysCommand({}))).NatGateways ?? []
  return all.filter((n) => tagged(n.Tags))
}

/** instance -> subnet -> route table -> 0.0.0.0/0 target, the way the egress is resolved. */
async function instanceEgressNat(ec2: EC2Client, instanceId: string) {
  const r = await ec2.send(new DescribeInstancesCommand({InstanceIds: [instanceId]}))
  const subnetId = r.Reservations?.[0]?.Instances?.[0]?.SubnetId
  const rts = await ec2.send(
    new DescribeRouteTablesCommand({Filters: [{Name: 'association.subnet-id', Values: [subnetId as string]}]}),
  )
  assert.equal(rts.RouteTables?.length, 1)
  return {subnetId, natGatewayId: rts.RouteTables?.[0]?.Routes?.find((x) => x.DestinationCidrBlock === '0.0.0.0/0')?.NatGatewayId}
}

/** One raw SSM JSON call (the executor checks no signature). */
async function ssmCall(world: World | {ssm: {url: string}}, op: string, body: object): Promise<{status: number; body: Record<string, unknown>}> {
  const res = await fetch(world.ssm.url, {
    method: 'POST',
    headers: {'x-amz-target': `AmazonSSM.${op}`, 'content-type': 'application/x-amz-json-1.1'},
    body: JSON.stringify(body),
  })
  return {status: res.status, body: (await res.json()) as Record<string, unknown>}
}

/** SendCommand, then GetCommandInvocation until the invocation ends. */
async function runOnInstance(world: {ssm: {url: string}}, instanceId: string, commands: string[]) {
  const sent = await ssmCall(world, 'SendCommand', {InstanceIds: [instanceId], DocumentName: 'AWS-RunShellScript', Parameters: {commands}})
  assert.equal(sent.status, 200, JSON.stringify(sent.body))
  const commandId = (sent.body.Command as {CommandId: string}).CommandId
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    const got = await ssmCall(world, 'GetCommandInvocation', {CommandId: commandId, InstanceId: instanceId})
    if (got.status === 200 && !['Pending', 'InProgress'].includes(got.body.Status as string)) return got.body
  }
  throw new Error(`command ${commandId} did not finish`)
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, {signal: AbortSignal.timeout(2000)})
    return false
  } catch {
    return true
  }
}

describe('local world', () => {
  let world: World
  before(async () => {
    world = await startWorld()
  })
  after(async () => {
    await world?.stop()
  })

  it('seeds the AWS side of the seed setup', async () => {
    const ec2 = world.aws.ec2()
    const ids = world.aws.ids
    const vpcs = await ec2.send(new DescribeVpcsCommand({VpcIds: [ids.vpcId]}))
    assert.equal(vpcs.Vpcs?.[0]?.CidrBlock, '10.0.0.0/16')
    assert.deepEqual(vpcs.Vpcs?.[0]?.Tags, [{Key: 'Name', Value: 'vpcsc-demo-vpc'}])

    const found = await nats(ec2)
    assert.equal(found.length, 1)
    const nat = found[0]
    assert.equal(nat?.State, 'available')
    assert.equal(nat?.NatGatewayId, ids.natGatewayId)
    assert.equal(nat?.SubnetId, ids.publicSubnetId)
    assert.deepEqual(nat?.NatGatewayAddresses?.map((a) => a.PublicIp), [SEED_EIP])

    const egress = await instanceEgressNat(ec2, ids.instanceId)
    assert.equal(egress.subnetId, ids.privateSubnetId)
    assert.equal(egress.natGatewayId, ids.natGatewayId)
  })

  it('gives the CLI an environment of its own', async () => {
    const keys = Object.keys(world.env).sort()
    for (const k of ['GOOGLE_APPLICATION_CREDENTIALS', 'VPCSC_ACM_ENDPOINT', 'AWS_ENDPOINT_URL', 'AWS_REGION', 'HOME', 'NO_COLOR']) {
      assert.ok(keys.includes(k), k)
    }
    assert.equal(world.env.AWS_ENDPOINT_URL, world.awsEndpoint)
    assert.equal(world.env.VPCSC_ACM_ENDPOINT, world.googleUrl)
    for (const k of ['HOME', 'XDG_STATE_HOME', 'XDG_CONFIG_HOME', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE']) {
      assert.ok(world.env[k]?.startsWith(world.dir), k)
    }
    assert.equal(readFileSync(world.env.AWS_CONFIG_FILE as string, 'utf8'), '')
    assert.ok(existsSync(world.env.GOOGLE_APPLICATION_CREDENTIALS as string))

    // SSM goes to the executor; the probe's instance and its credential file.
    assert.equal(world.env.AWS_ENDPOINT_URL_SSM, world.ssm.url)
    assert.match(world.ssm.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.equal(world.env.VPCSC_INSTANCE_ID, world.aws.ids.instanceId)
    const cred = JSON.parse(readFileSync(world.env.VPCSC_PROBE_CRED_FILE as string, 'utf8'))
    assert.equal(cred.type, 'external_account')
    assert.equal(cred.token_url, `${world.googleUrl}/v1/token`)
    assert.ok(world.env.VPCSC_PROBE_CRED_FILE?.startsWith(world.dir))
    assert.deepEqual(await world.ssm.admin.requests(), [])
    assert.match(await world.egressProxyFor(SEED_EIP), /^http:\/\/127\.0\.0\.1:\d+$/)
  })

  it('replaceNatGateway swaps the NAT gateway and its EIP like pausing the environment', async () => {
    const ec2 = world.aws.ec2()
    const before = world.aws.ids
    const r = await world.aws.replaceNatGateway()
    assert.deepEqual(
      {oldNatGatewayId: r.oldNatGatewayId, oldIp: r.oldIp, newIp: r.newIp},
      {oldNatGatewayId: before.natGatewayId, oldIp: SEED_EIP, newIp: REPLACEMENT_EIP},
    )
    assert.notEqual(r.newNatGatewayId, r.oldNatGatewayId)
    const all = await nats(ec2)
    const available = all.filter((n) => n.State === 'available')
    assert.deepEqual(available.map((n) => n.NatGatewayId), [r.newNatGatewayId])
    assert.deepEqual(available[0]?.NatGatewayAddresses?.map((a) => a.PublicIp), [REPLACEMENT_EIP])
    assert.equal(all.find((n) => n.NatGatewayId === r.oldNatGatewayId)?.State, 'deleted')
    assert.equal((await instanceEgressNat(ec2, before.instanceId)).natGatewayId, r.newNatGatewayId)
    assert.equal(world.aws.ids.natGatewayId, r.newNatGatewayId)
    assert.equal(world.aws.ids.publicIp, REPLACEMENT_EIP)
  })

  it('puts a gate in front of EC2 and SSM, and black holes on demand', async () => {
    const viaGate = new EC2Client({region: 'us-east-1', endpoint: world.awsGate.url, credentials: {accessKeyId: 'test', secretAccessKey: 'test'}, maxAttempts: 1})
    try {
      assert.deepEqual((await nats(viaGate)).map((n) => n.NatGatewayId), (await nats(world.aws.ec2())).map((n) => n.NatGatewayId))
      world.awsGate.fault({action: 'DescribeNatGateways', code: 'Unavailable', status: 503})
      await assert.rejects(nats(viaGate), (error: {$metadata?: {httpStatusCode?: number}}) => error.$metadata?.httpStatusCode === 503)
    } finally {
      viaGate.destroy()
    }
    const ssmViaGate = await ssmCall({ssm: {url: world.awsGate.url}}, 'ListCommands', {})
    assert.equal(ssmViaGate.status, 200, 'AmazonSSM targets go to the executor')
    const hole = await world.blackhole()
    await assert.rejects(fetch(hole.url, {signal: AbortSignal.timeout(200)}))
    assert.ok(hole.connections >= 1)
  })

  it('reset restores the seed', async () => {
    assert.ok(world.awsGate.requests().length > 0)
    await world.admin.putResource(LEVEL, {name: LEVEL, title: 'changed', basic: {conditions: [{ipSubnetworks: ['198.51.100.7/32']}]}})
    await world.ssm.admin.fault({kind: 'never-delivered', count: 5})
    await ssmCall(world, 'ListCommands', {})
    const instanceBefore = world.env.VPCSC_INSTANCE_ID
    await world.reset()
    // moto's ids change with the reseed: the CLI's instance follows.
    assert.notEqual(world.env.VPCSC_INSTANCE_ID, instanceBefore)
    assert.equal(world.env.VPCSC_INSTANCE_ID, world.aws.ids.instanceId)
    assert.deepEqual(await world.ssm.admin.requests(), [])
    assert.deepEqual(await (await fetch(`${world.ssm.url}/__admin/faults`)).json(), {faults: []})
    const ec2 = world.aws.ec2()
    const found = await nats(ec2)
    assert.deepEqual(found.map((n) => [n.State, n.NatGatewayAddresses?.[0]?.PublicIp]), [['available', SEED_EIP]])
    assert.equal(world.aws.ids.publicIp, SEED_EIP)
    assert.equal((await instanceEgressNat(ec2, world.aws.ids.instanceId)).natGatewayId, found[0]?.NatGatewayId)
    const level = (await world.admin.state()).levels.find((l) => l.name === LEVEL)
    assert.deepEqual(level?.basic, seedState().levels.find((l) => l.name === LEVEL)?.basic)
    assert.deepEqual(await world.admin.requests(), [])
    // The gate's faults are gone: the 503s set above no longer answer.
    assert.deepEqual(world.awsGate.requests(), [])
    assert.ok((await nats(ec2Client(world.awsGate.url))).length === 1)
  })
})

describe('a multi-region world', () => {
  it('seeds a NAT gateway with its own EIP in each region, and stop leaves nothing running', async () => {
    const world = await startWorld({regions: ['us-east-1', 'eu-west-1']})
    const {dir, motoPid, awsEndpoint, googleUrl} = world
    const ssmUrl = world.ssm.url
    const gateUrl = world.awsGate.url
    const proxy = await world.egressProxyFor(SEED_EIP)
    try {
      const east = await nats(world.aws.ec2('us-east-1'))
      const west = await nats(world.aws.ec2('eu-west-1'))
      assert.deepEqual(east.map((n) => n.NatGatewayAddresses?.[0]?.PublicIp), [SEED_EIP])
      assert.deepEqual(west.map((n) => n.NatGatewayAddresses?.[0]?.PublicIp), [regionEip(1)])
      assert.equal(world.env.AWS_REGION, 'us-east-1')
      await world.aws.seedRegion('ap-southeast-2', {eip: '203.0.113.30'})
      assert.equal((await nats(world.aws.ec2('ap-southeast-2')))[0]?.NatGatewayAddresses?.[0]?.PublicIp, '203.0.113.30')
    } finally {
      await world.stop()
    }
    assert.equal(isAlive(motoPid), false)
    assert.ok(await refused(`${awsEndpoint}/moto-api/`), 'moto still answers')
    assert.ok(await refused(googleUrl), 'the emulated Google still answers')
    assert.ok(await refused(ssmUrl), 'the SSM executor still answers')
    assert.ok(await refused(proxy), 'a NAT egress proxy still answers')
    assert.ok(await refused(gateUrl), 'the AWS gate still answers')
    assert.equal(existsSync(dir), false)
  })
})

describe('cli.ts (the demo local cloud)', () => {
  const cli = fileURLToPath(new URL('./cli.ts', import.meta.url))
  const dir = mkdtempSync(join(tmpdir(), 'vpcsc-cli-'))
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args, '--dir', dir], {encoding: 'utf8', timeout: 60_000})
  after(() => {
    run('stop')
    rmSync(dir, {recursive: true, force: true})
  })

  it('starts in the background, refuses a second start, replaces the NAT, stops', async () => {
    const started = run('start')
    assert.equal(started.status, 0, started.stderr)
    assert.match(started.stdout, /export AWS_ENDPOINT_URL='http:\/\/127\.0\.0\.1:\d+'/)
    const envSh = readFileSync(join(dir, 'env.sh'), 'utf8')
    assert.equal(envSh.includes('export VPCSC_ACM_ENDPOINT='), true)
    const exported = (name: string) => new RegExp(`^export ${name}='([^']*)'$`, 'm').exec(envSh)?.[1]
    const pids = JSON.parse(readFileSync(join(dir, 'pids.json'), 'utf8'))
    assert.ok(isAlive(pids.moto.pid) && isAlive(pids.google.pid) && isAlive(pids.ssm.pid))
    assert.equal(exported('AWS_ENDPOINT_URL_SSM'), pids.ssm.url)
    const instanceId = exported('VPCSC_INSTANCE_ID') as string
    assert.match(instanceId, /^i-[0-9a-f]+$/)
    // Its deny-test journals stay in its own folder, not in the user's state dir.
    assert.equal(exported('VPCSC_STATE_DIR'), join(dir, 'state'))
    assert.equal(JSON.parse(readFileSync(exported('VPCSC_PROBE_CRED_FILE') as string, 'utf8')).token_url, `${pids.google.url}/v1/token`)
    // The detached executor runs scripts on the instance, through its NAT egress.
    const ran = await runOnInstance({ssm: pids.ssm}, instanceId, [`curl -sS -o /dev/null -w '%{http_code}' ${pids.google.url}/__admin/state`])
    assert.deepEqual([ran.Status, ran.StandardOutputContent], ['Success', '200'])

    const again = run('start')
    assert.equal(again.status, 1)
    assert.match(again.stderr, /already runs/)

    const replaced = run('replace-nat')
    assert.equal(replaced.status, 0, replaced.stderr)
    assert.match(replaced.stdout, /203\.0\.113\.10 -> nat-\w+ 203\.0\.113\.77/)

    const stopped = run('stop')
    assert.equal(stopped.status, 0, stopped.stderr)
    assert.match(stopped.stdout, /Stopped the SSM executor/)
    assert.equal(isAlive(pids.moto.pid), false)
    assert.equal(isAlive(pids.google.pid), false)
    assert.equal(isAlive(pids.ssm.pid), false)
    assert.equal(run('stop').status, 0)
  })
})
