import assert from 'node:assert/strict'
import {writeFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {LEVEL, OTHER_LEVEL, show, storedLevel, useWorld, vpcsc, writes} from './helpers.ts'

describe('vpcsc ip sync', () => {
  const ctx = useWorld()

  it('in sync: says so and writes nothing', async () => {
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes'])
    assert.equal(result.code, 0, show(result))
    assert.match(result.stdout, /is in sync/)
    assert.deepEqual(await writes(ctx.world), [])
    const plan = await vpcsc(ctx.world, ['ip', 'sync', '--plan'])
    assert.equal(plan.code, 0, show(plan))
  })

  it('--plan prints the diff, exits 3 and writes nothing', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--plan'])
    assert.equal(result.code, 3, show(result))
    assert.match(result.stdout, new RegExp(`- 203\\.0\\.113\\.10/32\\s+was ${replaced.oldNatGatewayId}, now deleted`))
    assert.match(result.stdout, new RegExp(`\\+ ${replaced.newIp.replaceAll('.', '\\.')}/32\\s+${replaced.newNatGatewayId}`))
    assert.match(result.stdout, /1 to add, 1 to remove, 0 unchanged/)
    assert.deepEqual(await writes(ctx.world), [])
    assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.10/32'])
  })

  it('warns when the perimeter does not use the level it syncs (a wrong --level), and writes as asked', async () => {
    const unused = await vpcsc(ctx.world, ['ip', 'sync', '--plan', '--level', 'vpcsc_office'])
    assert.equal(unused.code, 3, show(unused))
    assert.match(unused.stderr, /^! vpcsc_vertex_ai_perimeter does not use vpcsc_office \(neither enforced nor in its dry-run spec/m)
    assert.match(unused.stderr, /Check --level and --perimeter/)
    const json = JSON.parse((await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--json', '--level', 'vpcsc_office'])).stdout)
    assert.equal(json.write.written.length > 0, true, JSON.stringify(json))
    assert.equal(json.warnings.filter((w: string) => /does not use vpcsc_office/.test(w)).length, 1, JSON.stringify(json.warnings))
    // The level the perimeter uses: no such warning.
    const used = await vpcsc(ctx.world, ['ip', 'sync', '--plan', '--json'])
    assert.deepEqual(JSON.parse(used.stdout).warnings, [])
  })

  it('a perimeter that cannot be read, or does not answer, neither warns nor holds the sync up', async () => {
    await ctx.world.aws.replaceNatGateway()
    await ctx.world.admin.fault({match: {method: 'GET', path: 'servicePerimeters'}, status: 403, count: 1})
    const refused = await vpcsc(ctx.world, ['ip', 'sync', '--plan', '--json', '--level', 'vpcsc_office'])
    assert.equal(refused.code, 3, show(refused))
    assert.deepEqual(JSON.parse(refused.stdout).warnings, [])
    // Held for a minute: the plan does not wait for it (the default request timeout is 30 s, with retries).
    await ctx.world.admin.fault({match: {method: 'GET', path: 'servicePerimeters'}, delayMs: 60_000, count: 10})
    const stalled = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--json', '--level', 'vpcsc_office'], {timeoutMs: 20_000})
    assert.equal(stalled.code, 0, show(stalled))
    assert.ok(JSON.parse(stalled.stdout).write, stalled.stdout)
    assert.deepEqual(JSON.parse(stalled.stdout).warnings, [])
  })

  it('--yes writes exactly the NAT IPs and keeps every other field and condition byte for byte', async () => {
    const before = await storedLevel(ctx.world)
    const otherBefore = await storedLevel(ctx.world, OTHER_LEVEL)
    const replaced = await ctx.world.aws.replaceNatGateway()
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes'])
    assert.equal(result.code, 0, show(result))
    assert.match(result.stdout, /1 added, 1 removed/)

    const after = await storedLevel(ctx.world)
    assert.deepEqual(after.basic!.conditions[0]!.ipSubnetworks, [`${replaced.newIp}/32`])
    assert.equal(JSON.stringify(after.basic!.conditions[1]), JSON.stringify(before.basic!.conditions[1]))
    const strip = (l: typeof before) => JSON.stringify({...l, basic: {...l.basic, conditions: l.basic!.conditions.slice(1)}})
    assert.equal(strip(after), strip(before))
    assert.equal(JSON.stringify(await storedLevel(ctx.world, OTHER_LEVEL)), JSON.stringify(otherBefore))

    const sent = await writes(ctx.world)
    assert.deepEqual(sent.map((w) => `${w.method} ${w.path}`), ['POST /v1/accessPolicies/555000111222/accessLevels:replaceAll'])

    const status = await vpcsc(ctx.world, ['status', '--check'])
    assert.equal(status.code, 0, show(status))
  })

  it('--json returns the plan, the write and the operation', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--json'])
    assert.equal(result.code, 0, show(result))
    const out = JSON.parse(result.stdout)
    assert.equal(out.outcome, 'written')
    assert.equal(out.level, LEVEL)
    assert.deepEqual(out.plan.add, [`${replaced.newIp}/32`])
    assert.deepEqual(out.plan.remove, ['203.0.113.10/32'])
    assert.equal(out.write.method, 'replaceAll')
    assert.match(out.write.operation, /^operations\//)
    assert.deepEqual(out.write.written, [`${replaced.newIp}/32`])
    assert.equal(typeof out.timingsMs.total, 'number')
    assert.equal(result.stderr, '', 'nothing but JSON is printed')
  })

  it('--add-only never removes', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--add-only'])
    assert.equal(result.code, 0, show(result))
    assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.10/32', `${replaced.newIp}/32`])
  })

  it('--add-only with a selection that finds no NAT egress IP is refused (exit 5), saying it would keep the list, not that it would empty it', async () => {
    const before = await storedLevel(ctx.world)
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--add-only', '--nat-tag', 'vpcsc=nothing-has-this'])
    assert.equal(result.code, 5, show(result))
    assert.match(result.stderr, /^Error: Refusing to sync \S*\/vpcsc_allow_ec2_ip: no NAT egress IP was found and no CIDR is kept; with --add-only the level would keep its list, but a selection that finds nothing is most likely wrong\./m)
    assert.doesNotMatch(result.stderr, /admits every IP/)
    assert.deepEqual(await storedLevel(ctx.world), before)
  })

  it('kept CIDRs from flags and from the config file are written and never removed', async () => {
    const file = join(ctx.world.dir, 'work', 'vpcsc.config.json')
    writeFileSync(file, JSON.stringify({keep: ['198.51.100.0/24']}))
    try {
      const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes'])
      assert.equal(result.code, 0, show(result))
      assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.10/32', '198.51.100.0/24'])
      // A flag wins over the file.
      const flag = await vpcsc(ctx.world, ['ip', 'sync', '--plan', '--keep', '2001:db8::/32', '--json'])
      const out = JSON.parse(flag.stdout)
      assert.deepEqual(out.plan.add, ['2001:db8::/32'])
      assert.deepEqual(out.plan.remove, ['198.51.100.0/24'])
    } finally {
      rmSync(file)
    }
  })

  it('with no terminal and no --yes, refuses with a hint and writes nothing', async () => {
    await ctx.world.aws.replaceNatGateway()
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['ip', 'sync'])
    assert.equal(result.code, 2, show(result))
    assert.match(result.stderr, /--yes/)
    assert.deepEqual(await writes(ctx.world), [])
  })

  it('refuses an empty desired list (exit 5) and leaves the level untouched', async () => {
    const before = JSON.stringify(await storedLevel(ctx.world))
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--nat-tag', 'vpcsc=no-such-gateway'])
    assert.equal(result.code, 5, show(result))
    assert.match(result.stderr, /empty ipSubnetworks admits every IP/)
    assert.deepEqual(await writes(ctx.world), [])
    assert.equal(JSON.stringify(await storedLevel(ctx.world)), before)
  })

  it('refuses a NAT gateway id that does not exist', async () => {
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--plan', '--nat-gateway', 'nat-0123456789abcdef0'])
    assert.equal(result.code, 5, show(result))
    assert.match(result.stderr, /nat-0123456789abcdef0 not found/)
  })

  for (const [args, pattern] of [
    [['--keep', '10.0.0.0/8'], /private/],
    [['--keep', '192.0.2.1/24'], /host bits set; the range is 192\.0\.2\.0\/24/],
    [['--keep', 'not-a-cidr'], /not an IPv4 or IPv6/],
    [['--keep', '0.0.0.0/0'], /every address/],
    [['--condition', '7'], /--condition 7 does not exist/],
    [['--nat-tag', 'novalue'], /KEY=VALUE/],
    [['--level', '9bad'], /--level "9bad": expected an id such as my_allow_level/],
    [['--plan', '--yes'], /--plan and --yes cannot be used together/],
  ] as const) {
    it(`refuses ${args.join(' ')} with exit 2`, async () => {
      await ctx.world.admin.clearRequests()
      const result = await vpcsc(ctx.world, ['ip', 'sync', ...args])
      assert.equal(result.code, 2, show(result))
      assert.match(result.stderr, pattern)
      assert.ok(result.stderr.trim().split('\n').length <= 2, result.stderr)
      assert.deepEqual(await writes(ctx.world), [])
    })
  }

  it('retries 503 and 429 bursts on the write and still writes once', async () => {
    await ctx.world.aws.replaceNatGateway()
    await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, status: 503, count: 2})
    await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, status: 429, count: 1})
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes'])
    assert.equal(result.code, 0, show(result))
    assert.equal((await vpcsc(ctx.world, ['status', '--check'])).code, 0)
  })

  it('a write that keeps failing is reported, not hidden', async () => {
    await ctx.world.aws.replaceNatGateway()
    await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, status: 503, count: 20})
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes'])
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /503/)
    assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.10/32'])
  })

  it('reports an operation that finishes with an error', async () => {
    await ctx.world.aws.replaceNatGateway()
    await ctx.world.admin.operationError({count: 1, error: {code: 9, message: 'Access level is in use by a perimeter being modified.'}})
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes'])
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /operation operations\/\S+ failed with code 9: Access level is in use/)
  })

  it('waits for operations that are not done at first', async () => {
    await ctx.world.aws.replaceNatGateway()
    // The service commits a second after the write: the CLI must poll more than once.
    await ctx.world.admin.config({operationDelayMs: 1000})
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes'])
    assert.equal(result.code, 0, show(result))
    const polls = (await ctx.world.admin.requests()).filter((r) => r.method === 'GET' && /\/v1\/operations\//.test(r.path))
    assert.ok(polls.length >= 2, `polled ${polls.length} time(s)`)
  })

  it('detects a foreign edit between its read and its write, and overwrites nothing', async () => {
    await ctx.world.aws.replaceNatGateway()
    const level = await storedLevel(ctx.world)
    const foreign = structuredClone(level)
    foreign.basic!.conditions[0]!.ipSubnetworks = ['203.0.113.10/32', '198.51.100.7/32']
    await ctx.world.admin.foreignEdit({trigger: 'before-next-write', name: LEVEL, set: {basic: foreign.basic}})
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes'])
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /changed by someone else/)
    assert.match(result.stderr, /198\.51\.100\.7\/32/)
    assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.10/32', '198.51.100.7/32'])
  })

  it('survives a dropped connection on the write', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    await ctx.world.admin.fault({match: {method: 'POST', path: ':replaceAll'}, drop: true, count: 1})
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes'])
    assert.equal(result.code, 0, show(result))
    assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, [`${replaced.newIp}/32`])
  })

  it('a level with two IP conditions needs --condition', async () => {
    const level = await storedLevel(ctx.world)
    level.basic!.conditions[1]!.ipSubnetworks = ['198.51.100.0/24']
    await ctx.world.admin.putResource(LEVEL, level)
    const ambiguous = await vpcsc(ctx.world, ['ip', 'sync', '--plan'])
    assert.equal(ambiguous.code, 2, show(ambiguous))
    assert.match(ambiguous.stderr, /2 conditions holding ipSubnetworks \(0, 1\)/)
    const chosen = await vpcsc(ctx.world, ['ip', 'sync', '--plan', '--condition', '0'])
    assert.equal(chosen.code, 0, show(chosen))
  })
})
