import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {constants, mkdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {open} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, beforeEach, describe, it} from 'node:test'

import {LEVEL, show, spawnCli, storedLevel, useWorld, vpcsc, writes} from './helpers.ts'
import {deadUrl, startSink, type Sink} from './notify-sink.ts'
import type {CliResult} from '../local-cloud/world.ts'

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

  it('a partial read after a NAT replacement: one notice says what was written and which source was not read, exit 1', async () => {
    const {roleArn} = await ctx.world.aws.seedAccount('111111111111', {eips: {'us-east-1': '203.0.113.31'}})
    const replaced = await ctx.world.aws.replaceNatGateway()
    // STS does not answer: the member account cannot be read (nor the caller's own id).
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--notify', sink.url, '--assume-role', roleArn], {env: {AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:1'}})
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /Not every NAT source could be read, so additions written \(1\), nothing removed/)
    assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.10/32', `${replaced.newIp}/32`])
    assert.equal(sink.texts.length, 1, sink.texts.join('\n---\n'))
    const [text] = sink.texts
    assert.ok(
      text!.startsWith(
        [
          `vpcsc wrote vpcsc_allow_ec2_ip (${LEVEL}), condition 0: 1 added, 0 removed, now 2 CIDRs.`,
          `+ ${replaced.newIp}/32`,
          'Not complete (PARTIAL_READ): Not every NAT source could be read, so additions written (1), nothing removed:',
          '  - account 111111111111 (role vpcsc-reader): ',
        ].join('\n'),
      ),
      text,
    )
    assert.match(text!, /\nNot removed, as it may belong to a source not read: 203\.0\.113\.10\/32\.\n/)
    assert.match(text!, /\nRun: vpcsc ip sync --yes \(exit 1\)\.$/)
    assert.doesNotMatch(text!, /exit 0/)
    // The member account failed at STS, and the notice says so (not EC2).
    assert.match(text!, /account 111111111111 \(role vpcsc-reader\): sts:AssumeRole on \S+ failed: Cannot reach AWS STS/)
  })

  it('a partial read (a member role gone): one notice with the addition and the failed read; a plan posts nothing', async () => {
    const {roleArn: roleA} = await ctx.world.aws.seedAccount('111111111111', {eips: {'us-east-1': '203.0.113.31'}})
    const {roleArn: roleB} = await ctx.world.aws.seedAccount('222222222222', {eips: {'us-east-1': '203.0.113.41'}})
    const roles = ['--assume-role', roleA, '--assume-role', roleB]
    assert.equal((await vpcsc(ctx.world, ['ip', 'sync', '--yes', ...roles])).code, 0)
    await ctx.world.aws.replaceNatGateway({accountId: '111111111111', region: 'us-east-1', eip: '203.0.113.88'})
    await ctx.world.aws.deleteRole('222222222222')
    sink.clear()
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--json', '--notify', sink.url, ...roles])
    assert.equal(result.code, 1, show(result))
    assert.equal(JSON.parse(result.stdout).outcome, 'written')
    assert.equal(sink.texts.length, 1, sink.texts.join('\n---\n'))
    assert.match(sink.texts[0]!, /^vpcsc wrote vpcsc_allow_ec2_ip .*1 added, 0 removed.*\n\+ 203\.0\.113\.88\/32\nNot complete \(PARTIAL_READ\): Not every NAT source could be read, so additions written \(1\), nothing removed:\n {2}- account 222222222222 \(role vpcsc-reader\): AWS denied sts:AssumeRole/)
    // A's old address and B's: a complete read would remove the first, B's may still be in use.
    const kept = /\nNot removed, as they may belong to a source not read: (.*)\.\n/.exec(sink.texts[0]!)?.[1]?.split(', ').sort()
    assert.deepEqual(kept, ['203.0.113.31/32', '203.0.113.41/32'], sink.texts[0])
    assert.match(sink.texts[0]!, /Run: vpcsc ip sync --yes \(exit 1\)\.$/)

    // Nothing left to add: the failed read alone, still one notice.
    sink.clear()
    const again = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--notify', sink.url, ...roles])
    assert.equal(again.code, 1, show(again))
    assert.equal(sink.texts.length, 1, sink.texts.join('\n---\n'))
    assert.match(sink.texts[0]!, /^vpcsc failed to sync vpcsc_allow_ec2_ip .*\(PARTIAL_READ\): Not every NAT source could be read, so nothing removed/)

    // A plan acts on nothing: a partial plan posts nothing.
    sink.clear()
    const plan = await vpcsc(ctx.world, ['ip', 'sync', '--plan', '--notify', sink.url, ...roles])
    assert.equal(plan.code, 1, show(plan))
    assert.deepEqual(sink.texts, [])
  })

  it('the level written, then the tfvars file not: one notice with the write and the failure, exit 1', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    const dir = join(ctx.world.dir, 'tf', `notify-${Math.random().toString(36).slice(2, 8)}`)
    mkdirSync(dir, {recursive: true})
    const file = join(dir, 'vpcsc.auto.tfvars.json')
    writeFileSync(file, '{"allowed_cidrs": ["203.0.113.10/32"]}')
    // While the level write is held, the file is broken: it is read again before it is written.
    await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, delayMs: 1500, count: 1})
    await ctx.world.admin.clearRequests()
    const run = spawnCli(ctx.world, ['ip', 'sync', '--yes', '--tfvars', file, '--notify', sink.url])
    while (!(await ctx.world.admin.requests()).some((r) => r.path.endsWith(':replaceAll'))) await new Promise((resolve) => setTimeout(resolve, 50))
    writeFileSync(file, '{"allowed_cidrs": [')
    const result = await run.result
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /was written, but the tfvars file was not/)
    assert.equal(sink.texts.length, 1, sink.texts.join('\n---\n'))
    assert.match(sink.texts[0]!, new RegExp(`^vpcsc wrote vpcsc_allow_ec2_ip .*1 added, 1 removed, now 1 CIDR\\.\\n\\+ ${replaced.newIp.replaceAll('.', '\\.')}/32\\n- 203\\.0\\.113\\.10/32\\nNot complete \\(TFVARS_AFTER_LEVEL\\): .* was written, but the tfvars file was not`))
    assert.match(sink.texts[0]!, /\nRun: vpcsc ip sync --yes \(exit 1\)\.$/)
  })

  it('Ctrl-C while the tfvars file is written after the level: the file is finished, the write posted, exit 0 with a warning', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    const dir = join(ctx.world.dir, 'tf', `notify-${Math.random().toString(36).slice(2, 8)}`)
    mkdirSync(dir, {recursive: true})
    // A named pipe holds the run inside the file step: each read waits for the test to write.
    const file = join(dir, 'vpcsc.auto.tfvars.json')
    execFileSync('mkfifo', [file])
    const content = '{"allowed_cidrs": ["203.0.113.10/32"]}'
    const run = spawnCli(ctx.world, ['ip', 'sync', '--yes', '--tfvars', file, '--notify', sink.url])
    // The pipe opens for writing once the run opens it to read (never blocking the test: a
    // run that ended before reading it fails the test instead of hanging it).
    let ended: CliResult | undefined
    void run.result.then((r) => (ended = r))
    const feed = async () => {
      for (;;) {
        if (ended) assert.fail(`vpcsc ended before reading the pipe:\n${show(ended)}`)
        const pipe = await open(file, constants.O_WRONLY | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENXIO') throw error
        })
        if (pipe) return void (await pipe.writeFile(content), await pipe.close())
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
    await feed()
    await run.waitFor(/now holds 1 CIDR/)
    run.child.kill('SIGINT')
    await new Promise((resolve) => setTimeout(resolve, 200))
    await feed()
    const result = await run.result
    assert.equal(result.code, 0, show(result))
    assert.match(result.stderr, /! Ctrl-C came while the run was finishing \(the tfvars file\): it was let finish, and the run is complete\./)
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).allowed_cidrs, [`${replaced.newIp}/32`])
    assert.ok(statSync(file).isFile(), 'the pipe was replaced by the file')
    assert.equal(sink.texts.length, 1, sink.texts.join('\n---\n'))
    assert.match(sink.texts[0]!, /^vpcsc wrote vpcsc_allow_ec2_ip .*\nRun: vpcsc ip sync --yes \(exit 0\)\.$/s)
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
