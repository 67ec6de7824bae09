import assert from 'node:assert/strict'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, beforeEach, describe, it} from 'node:test'

import {LEVEL, show, storedLevel, useWorld, vpcsc, writes} from './helpers.ts'
import {deadUrl, startSink, type Sink} from './notify-sink.ts'

describe('vpcsc ip sync --notify', () => {
  const ctx = useWorld()
  let sink: Sink
  before(async () => {
    sink = await startSink()
  })
  beforeEach(() => {
    sink.clear()
    sink.silent = false
  })
  after(async () => {
    await sink.close()
  })

  it('a write posts what changed, where, the command and the exit code', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--notify', sink.url])
    assert.equal(result.code, 0, show(result))
    assert.equal(sink.texts.length, 1)
    assert.deepEqual(Object.keys(JSON.parse(sink.bodies[0]!)), ['text'])
    assert.equal(
      sink.texts[0],
      [
        `vpcsc wrote vpcsc_allow_ec2_ip (${LEVEL}), condition 0: 1 added, 1 removed, now 1 CIDR.`,
        `+ ${replaced.newIp}/32`,
        '- 203.0.113.10/32',
        'NAT gateways read in: us-east-1; accounts 123456789012.',
        'Run: vpcsc ip sync --yes (exit 0).',
      ].join('\n'),
    )
    assert.doesNotMatch(sink.bodies[0]!, /ya29\./)
  })

  it('in sync, or a plan: nothing is posted', async () => {
    const inSync = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--notify', sink.url])
    assert.equal(inSync.code, 0, show(inSync))
    await ctx.world.aws.replaceNatGateway()
    const plan = await vpcsc(ctx.world, ['ip', 'sync', '--plan', '--notify', sink.url])
    assert.equal(plan.code, 3, show(plan))
    assert.deepEqual(sink.texts, [])
  })

  it('a refusal (VPCSC_NOTIFY_URL): the reason, the next step, exit 5', async () => {
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--nat-tag', 'vpcsc=no-such-gateway'], {env: {VPCSC_NOTIFY_URL: sink.url}})
    assert.equal(result.code, 5, show(result))
    assert.equal(sink.texts.length, 1)
    assert.match(sink.texts[0]!, /^vpcsc refused to sync vpcsc_allow_ec2_ip \(.*\) \(EMPTY_LIST\): Refusing to sync .*an empty ipSubnetworks admits every IP address\.\nNext: Check the NAT selection/)
    assert.match(sink.texts[0]!, /\nRun: vpcsc ip sync --yes \(exit 5\)\.$/)
  })

  it('a failure (notifyUrl in the config file): exit 1, posted', async () => {
    const file = join(ctx.world.dir, 'work', 'vpcsc.config.json')
    writeFileSync(file, JSON.stringify({notifyUrl: sink.url}))
    try {
      await ctx.world.aws.replaceNatGateway()
      await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, status: 503, count: 20})
      const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes'])
      assert.equal(result.code, 1, show(result))
      assert.equal(sink.texts.length, 1)
      assert.match(sink.texts[0]!, /^vpcsc failed to sync vpcsc_allow_ec2_ip .*503/)
      assert.match(sink.texts[0]!, /Run: vpcsc ip sync --yes \(exit 1\)\.$/)
    } finally {
      rmSync(file)
    }
  })

  it('a partial read (a member role gone): the addition is posted, then the failure, exit 1', async () => {
    const {roleArn: roleA} = await ctx.world.aws.seedAccount('111111111111', {eips: {'us-east-1': '203.0.113.31'}})
    const {roleArn: roleB} = await ctx.world.aws.seedAccount('222222222222', {eips: {'us-east-1': '203.0.113.41'}})
    const roles = ['--assume-role', roleA, '--assume-role', roleB]
    assert.equal((await vpcsc(ctx.world, ['ip', 'sync', '--yes', ...roles])).code, 0)
    await ctx.world.aws.replaceNatGateway({accountId: '111111111111', region: 'us-east-1', eip: '203.0.113.88'})
    await ctx.world.aws.deleteRole('222222222222')
    sink.clear()
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--notify', sink.url, ...roles])
    assert.equal(result.code, 1, show(result))
    assert.equal(sink.texts.length, 2, sink.texts.join('\n---\n'))
    assert.match(sink.texts[0]!, /^vpcsc wrote vpcsc_allow_ec2_ip .*1 added, 0 removed/)
    assert.match(sink.texts[1]!, /^vpcsc failed to sync vpcsc_allow_ec2_ip .*Not every NAT source could be read, so additions written \(1\), nothing removed/s)
    assert.match(sink.texts[1]!, /account 222222222222 \(role vpcsc-reader\)/)
    assert.match(sink.texts[1]!, /Run: vpcsc ip sync --yes \(exit 1\)\.$/)

    // A plan acts on nothing: a partial plan posts nothing.
    sink.clear()
    const plan = await vpcsc(ctx.world, ['ip', 'sync', '--plan', '--notify', sink.url, ...roles])
    assert.equal(plan.code, 1, show(plan))
    assert.deepEqual(sink.texts, [])
  })

  it('a dead sink is a warning: the write stands, exit 0, and --json carries it', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    const url = await deadUrl()
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--json', '--notify', url])
    assert.equal(result.code, 0, show(result))
    const out = JSON.parse(result.stdout)
    assert.equal(out.outcome, 'written')
    assert.match(out.warnings.join('\n'), /The notification to 127\.0\.0\.1:\d+ failed \(ECONNREFUSED\); the sync itself is unaffected\./)
    assert.ok(!result.stdout.includes('/hook'), 'the URL (a webhook secret) is not repeated')
    assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, [`${replaced.newIp}/32`])
  })

  it('a sink that never answers is given up after 5 s, with a warning on stderr', async () => {
    sink.silent = true
    await ctx.world.aws.replaceNatGateway()
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--notify', sink.url])
    assert.equal(result.code, 0, show(result))
    assert.match(result.stderr, /! The notification to 127\.0\.0\.1:\d+ failed \(no answer within 5 s\); the sync itself is unaffected\./)
    assert.equal(sink.texts.length, 1, 'it was sent')
  })

  it('a failed notification of a failure only warns; the exit code is the failure\'s', async () => {
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--nat-tag', 'vpcsc=none', '--notify', await deadUrl()])
    assert.equal(result.code, 5, show(result))
    assert.match(result.stderr, /! The notification to .* failed/)
  })

  for (const [url, pattern] of [
    ['ftp://hooks.example.com/x', /expected an http\(s\) URL, not ftp:/],
    ['hooks.slack.com/services/x', /expected an http\(s\) URL such as/],
    ['https://user:secret@hooks.example.com/x', /without user:password@/],
  ] as const) {
    it(`refuses --notify ${url} with exit 2 and writes nothing`, async () => {
      await ctx.world.aws.replaceNatGateway()
      await ctx.world.admin.clearRequests()
      const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--notify', url])
      assert.equal(result.code, 2, show(result))
      assert.match(result.stderr, pattern)
      assert.ok(!result.stderr.includes('secret'), 'the URL is not echoed')
      assert.ok(result.stderr.trim().split('\n').length <= 2, result.stderr)
      assert.deepEqual(await writes(ctx.world), [])
    })
  }

  it('refuses a bad notifyUrl in the config file, naming the field', async () => {
    const file = join(ctx.world.dir, 'work', 'vpcsc.config.json')
    writeFileSync(file, JSON.stringify({notifyUrl: 'file:///etc/passwd'}))
    try {
      const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes'])
      assert.equal(result.code, 2, show(result))
      assert.match(result.stderr, /field "notifyUrl": expected an http\(s\) URL, not file:/)
    } finally {
      rmSync(file)
    }
  })
})
