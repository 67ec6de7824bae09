import assert from 'node:assert/strict'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {overWidth, screenLines, show, storedLevel, useWorld, vpcsc, wrappedText, writes} from './helpers.ts'

// Three accounts (the caller's own and two members reached through their roles) in two
// regions each: six NAT gateways, six EIPs.
const REGIONS = ['us-east-1', 'eu-west-1']
const OWN = '123456789012' // moto's default account: the caller's
const A = '111111111111'
const B = '222222222222'
const EIPS = {
  own: ['203.0.113.10/32', '203.0.113.21/32'],
  [A]: {'us-east-1': '203.0.113.31', 'eu-west-1': '203.0.113.32'},
  [B]: {'us-east-1': '203.0.113.41', 'eu-west-1': '203.0.113.42'},
}
const ALL_SIX = [...EIPS.own, ...Object.values(EIPS[A]), ...Object.values(EIPS[B])].map((ip) => (ip.includes('/') ? ip : `${ip}/32`)).sort()
const regionArgs = REGIONS.flatMap((r) => ['--region', r])

describe('many accounts', () => {
  const ctx = useWorld({regions: REGIONS})

  async function seedMembers() {
    const a = await ctx.world.aws.seedAccount(A, {eips: EIPS[A]})
    const b = await ctx.world.aws.seedAccount(B, {eips: EIPS[B]})
    return {roleA: a.roleArn, roleB: b.roleArn, roleArgs: ['--assume-role', a.roleArn, '--assume-role', b.roleArn]}
  }
  const held = async () => [...((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks ?? [])].sort()

  it('three accounts x two regions: ip sync --yes writes all six EIPs, with one AssumeRole per member account', async () => {
    const {roleA, roleB, roleArgs} = await seedMembers()
    ctx.world.awsGate.clearRequests()
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', ...regionArgs, ...roleArgs])
    assert.equal(result.code, 0, show(result))
    assert.deepEqual(await held(), ALL_SIX)
    const sts = ctx.world.awsGate.requests().filter((r) => r.service === 'sts')
    assert.deepEqual(sts.filter((r) => r.action === 'AssumeRole').map((r) => [r.roleArn, r.roleSessionName]).sort(), [[roleA, 'vpcsc'], [roleB, 'vpcsc']])
    assert.equal(sts.filter((r) => r.action === 'GetCallerIdentity').length, 1)
    assert.equal(sts.length, 3, 'no other STS call')
  })

  it('DEBUG=vpcsc* shows every AWS call and the Google token exchange, never a credential', async () => {
    const {roleArgs} = await seedMembers()
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--plan', ...regionArgs, ...roleArgs], {env: {DEBUG: 'vpcsc*'}})
    assert.equal(result.code, 3, show(result))
    assert.match(result.stderr, /vpcsc:aws call STSClient AssumeRoleCommand HTTP 200, 1 attempt\(s\)/)
    assert.match(result.stderr, /vpcsc:aws call STSClient GetCallerIdentityCommand HTTP 200/)
    assert.equal(result.stderr.match(/vpcsc:aws call EC2Client DescribeNatGatewaysCommand HTTP 200/g)?.length, 6, 'one per account and region')
    assert.match(result.stderr, /vpcsc:http Google token \(Application Default Credentials\) obtained in \d+ms/)
    assert.doesNotMatch(result.stderr, /SecretAccessKey|SessionToken|AccessKeyId|"Credentials"/)
  })

  it('the plan names the account and role of every gateway, the caller\'s own included', async () => {
    const {roleArgs} = await seedMembers()
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--plan', ...regionArgs, ...roleArgs])
    assert.equal(result.code, 3, show(result))
    assert.match(result.stdout, /\+ 203\.0\.113\.31\/32\s+nat-\w+ \(us-east-1, 111111111111 vpcsc-reader\)/)
    assert.match(result.stdout, /\+ 203\.0\.113\.42\/32\s+nat-\w+ \(eu-west-1, 222222222222 vpcsc-reader\)/)
    assert.match(result.stdout, /\+ 203\.0\.113\.21\/32\s+nat-\w+ \(eu-west-1, 123456789012\)/)
    assert.match(result.stdout, /203\.0\.113\.10\/32\s+nat-\w+ \(us-east-1, 123456789012\)/)
  })

  it('a NAT replaced in one member account: exactly one level write', async () => {
    const {roleArgs} = await seedMembers()
    assert.equal((await vpcsc(ctx.world, ['ip', 'sync', '--yes', ...regionArgs, ...roleArgs])).code, 0)
    const replaced = await ctx.world.aws.replaceNatGateway({accountId: B, region: 'eu-west-1', eip: '203.0.113.99'})
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', ...regionArgs, ...roleArgs])
    assert.equal(result.code, 0, show(result))
    assert.match(result.stdout, /1 added, 1 removed/)
    assert.equal((await writes(ctx.world)).length, 1)
    assert.deepEqual(await held(), [...ALL_SIX.filter((c) => c !== `${replaced.oldIp}/32`), '203.0.113.99/32'].sort())
  })

  it('one role denied: nothing removed, the additions written, exit 1 naming the account', async () => {
    const {roleArgs} = await seedMembers()
    assert.equal((await vpcsc(ctx.world, ['ip', 'sync', '--yes', ...regionArgs, ...roleArgs])).code, 0)
    // Account A's NAT is replaced (its old EIP would be removed by a complete read), and
    // account B can no longer be read: its two EIPs must survive.
    const replaced = await ctx.world.aws.replaceNatGateway({accountId: A, region: 'us-east-1', eip: '203.0.113.88'})
    await ctx.world.aws.deleteRole(B)
    await ctx.world.admin.clearRequests()

    const plan = await vpcsc(ctx.world, ['ip', 'sync', '--plan', ...regionArgs, ...roleArgs])
    assert.equal(plan.code, 1, show(plan))
    assert.match(plan.stdout, /PARTIAL/)
    assert.match(plan.stdout, /1 to add, 0 to remove/)
    assert.match(plan.stdout, new RegExp(`${replaced.oldIp.replaceAll('.', '\\.')}/32\\s+kept: may belong to an unread source`))
    assert.match(plan.stderr, /account 222222222222 \(role vpcsc-reader\).*AccessDenied|account 222222222222 \(role vpcsc-reader\).*denied sts:AssumeRole/)
    assert.deepEqual(await writes(ctx.world), [], '--plan writes nothing')

    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', ...regionArgs, ...roleArgs])
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /Not every NAT source could be read, so additions written \(1\), nothing removed/)
    assert.match(result.stderr, /account 222222222222 \(role vpcsc-reader\): AWS denied sts:AssumeRole on arn:aws:iam::222222222222:role\/vpcsc-reader/)
    assert.equal((await writes(ctx.world)).length, 1)
    assert.deepEqual(await held(), [...ALL_SIX, '203.0.113.88/32'].sort(), "B's EIPs and A's old EIP survive; A's new one is added")

    const json = await vpcsc(ctx.world, ['ip', 'sync', '--yes', '--json', ...regionArgs, ...roleArgs])
    assert.equal(json.code, 1, show(json))
    const out = JSON.parse(json.stdout)
    assert.equal(out.outcome, 'partial')
    assert.deepEqual(out.plan.partial.unreadable.map((u: {account: object; code: string}) => [u.account, u.code]), [[{id: B, roleName: 'vpcsc-reader'}, 'AWS_ASSUME_ROLE_DENIED']])
    // What a complete read of only what was read would remove: A's old EIP and B's two.
    assert.deepEqual([...out.plan.partial.notRemoved].sort(), [`${replaced.oldIp}/32`, ...Object.values(EIPS[B]).map((ip) => `${ip}/32`)].sort())
  })

  it("explain names the account a gateway was read in, a member account's and role included", async () => {
    const {roleArgs} = await seedMembers()
    const member = JSON.parse((await vpcsc(ctx.world, ['explain', '203.0.113.32', '--json', ...regionArgs, ...roleArgs])).stdout)
    assert.deepEqual([member.gateway.account, member.gateway.roleName, member.gateway.region], [A, 'vpcsc-reader', 'eu-west-1'])
    const own = JSON.parse((await vpcsc(ctx.world, ['explain', '203.0.113.10', '--json', ...regionArgs, ...roleArgs])).stdout)
    assert.deepEqual([own.gateway.account, own.gateway.roleName], [OWN, undefined])
    const screen = await vpcsc(ctx.world, ['explain', '203.0.113.32', ...regionArgs, ...roleArgs])
    assert.match(screen.stdout, /NAT gateway +nat-\w+ .*\(account 111111111111 \(role vpcsc-reader\), eu-west-1, vpc-\w+\)/)
  })

  it('status --json carries the account of every gateway; the screen shows it in 80 columns', async () => {
    const {roleArgs} = await seedMembers()
    const result = await vpcsc(ctx.world, ['status', '--json', ...regionArgs, ...roleArgs])
    assert.equal(result.code, 0, show(result))
    const out = JSON.parse(result.stdout)
    const where = out.nat.gateways.map((g: {account: object; region: string; addresses: {publicIp: string}[]}) => [g.account, g.region, g.addresses[0]!.publicIp])
    assert.deepEqual(where, [
      [{id: OWN}, 'us-east-1', '203.0.113.10'],
      [{id: OWN}, 'eu-west-1', '203.0.113.21'],
      [{id: A, roleName: 'vpcsc-reader'}, 'us-east-1', '203.0.113.31'],
      [{id: A, roleName: 'vpcsc-reader'}, 'eu-west-1', '203.0.113.32'],
      [{id: B, roleName: 'vpcsc-reader'}, 'us-east-1', '203.0.113.41'],
      [{id: B, roleName: 'vpcsc-reader'}, 'eu-west-1', '203.0.113.42'],
    ])
    assert.deepEqual(out.nat.unreadable, [])
    assert.deepEqual(out.warnings, [])
    assert.ok(out.nat.egressIps.every((e: {account: {id: string}}) => /^\d{12}$/.test(e.account.id)))

    const screen = await vpcsc(ctx.world, ['status', ...regionArgs, ...roleArgs])
    assert.equal(screen.code, 0, show(screen))
    assert.match(screen.stdout, /^ {2}222222222222 {2}eu-west-1 {2}nat-\w+ /m)
    assert.match(screen.stdout, /^ {2}vpcsc-reader {13}vpcsc-demo-nat$/m, 'the role under its account, the name under its gateway')
    // The NAT table is laid out for 80 columns in a pipe (findings stay whole lines, for grep).
    const table = screen.stdout.slice(screen.stdout.indexOf('NAT gateways'), screen.stdout.indexOf('Drift')).split('\n')
    const widest = Math.max(...table.map((l) => l.length))
    assert.ok(table.length > 6 && widest <= 80, `the NAT table is ${widest} columns wide:\n${screen.stdout}`)
  })

  it('status with a denied role names it and exits 1', async () => {
    const {roleArgs} = await seedMembers()
    await ctx.world.aws.deleteRole(A)
    const result = await vpcsc(ctx.world, ['status', ...regionArgs, ...roleArgs])
    assert.equal(result.code, 1, show(result))
    assert.match(result.stdout, /not read: account 111111111111 \(role vpcsc-reader\): AWS denied\s+sts:AssumeRole/)
    const json = await vpcsc(ctx.world, ['status', '--json', ...regionArgs, ...roleArgs])
    assert.equal(json.code, 1, show(json))
    const {warnings} = JSON.parse(json.stdout) as {warnings: string[]}
    assert.equal(warnings.length, 1, warnings.join('\n'))
    assert.match(warnings[0]!, /^NAT gateways not read, the drift is incomplete: account 111111111111 \(role vpcsc-reader\): AWS denied sts:AssumeRole/)
  })

  it('status with a role denied says what ip sync does then: it adds what was read and removes nothing, until the role can be read', async () => {
    const {roleArgs} = await seedMembers()
    const args = [...regionArgs, ...roleArgs]
    assert.equal((await vpcsc(ctx.world, ['ip', 'sync', '--yes', ...args])).code, 0)
    const replaced = await ctx.world.aws.replaceNatGateway({accountId: A, region: 'us-east-1', eip: '203.0.113.88'})
    await ctx.world.aws.deleteRole(B)
    const hints = (stdout: string) => screenLines(stdout).filter((line) => /^\s*→ /.test(line))

    const before = await vpcsc(ctx.world, ['status', ...args])
    assert.equal(before.code, 1, show(before))
    assert.match(before.stdout, wrappedText(`✗ 203.0.113.88 (${replaced.newNatGatewayId}, us-east-1) is not admitted by the level: its callers are denied.`))
    assert.deepEqual(hints(before.stdout), ['  → vpcsc ip sync --plan shows the additions; vpcsc ip sync writes them but removes nothing until the NAT source not read (above) can be read.'])
    assert.deepEqual(overWidth(before.stdout, 80), [], before.stdout)
    const sync = await vpcsc(ctx.world, ['ip', 'sync', '--yes', ...args])
    assert.equal(sync.code, 1, show(sync))
    assert.match(sync.stderr, /additions written \(1\), nothing removed/)

    // Only removals are left: ip sync would write nothing, and the hint says so.
    const after = await vpcsc(ctx.world, ['status', ...args])
    assert.equal(after.code, 1, show(after))
    assert.doesNotMatch(after.stdout, /is not admitted/)
    assert.deepEqual(hints(after.stdout), ['  → Fix the NAT source not read (above) first: until it can be read, vpcsc ip sync removes nothing.'])
    assert.deepEqual(overWidth(after.stdout, 80), [], after.stdout)
    await ctx.world.admin.clearRequests()
    const again = await vpcsc(ctx.world, ['ip', 'sync', '--yes', ...args])
    assert.equal(again.code, 1, show(again))
    assert.match(again.stderr, /Not every NAT source could be read, so nothing removed/)
    assert.deepEqual(await writes(ctx.world), [])
  })

  it('the config file: per-account regions and external id; VPCSC_ASSUME_ROLES; --all-regions per account', async () => {
    const {roleA, roleB} = await seedMembers()
    const file = join(ctx.world.dir, 'work', 'vpcsc.config.json')
    writeFileSync(file, JSON.stringify({regions: REGIONS, accounts: [{roleArn: roleA, externalId: 'vpcsc-ext-1', regions: ['eu-west-1']}, {roleArn: roleB}]}))
    try {
      ctx.world.awsGate.clearRequests()
      const result = await vpcsc(ctx.world, ['status', '--json'])
      assert.equal(result.code, 0, show(result))
      const ips = JSON.parse(result.stdout).nat.egressIps.map((e: {ip: string}) => e.ip).sort()
      // Account A is read in eu-west-1 only: its us-east-1 NAT is not selected.
      assert.deepEqual(ips, ['203.0.113.10', '203.0.113.21', '203.0.113.32', '203.0.113.41', '203.0.113.42'])
      const assumed = ctx.world.awsGate.requests().filter((r) => r.action === 'AssumeRole')
      assert.deepEqual(assumed.map((r) => [r.roleArn, r.externalId]).sort(), [[roleA, 'vpcsc-ext-1'], [roleB, undefined]])
    } finally {
      rmSync(file)
    }
    const fromEnv = await vpcsc(ctx.world, ['status', '--json', '--all-regions'], {env: {VPCSC_ASSUME_ROLES: `${roleA}, ${roleB}`}})
    assert.equal(fromEnv.code, 0, show(fromEnv))
    assert.deepEqual(JSON.parse(fromEnv.stdout).nat.egressIps.map((e: {ip: string}) => e.ip).sort(), ALL_SIX.map((c) => c.replace('/32', '')))
  })

  it("the caller's own account listed as a member: each gateway once, as the own account's, in status, ip sync and explain", async () => {
    // A role in the caller's own account (as a list of every account's reader role may hold).
    const {roleArn: ownRole} = await ctx.world.aws.seedAccount(OWN, {eips: {}})
    const {roleA} = await seedMembers()
    const roleArgs = ['--assume-role', ownRole, '--assume-role', roleA]
    const status = await vpcsc(ctx.world, ['status', '--json', ...regionArgs, ...roleArgs])
    assert.equal(status.code, 0, show(status))
    const out = JSON.parse(status.stdout)
    const where = out.nat.gateways.map((g: {id: string; account: object; region: string}) => [g.account, g.region])
    assert.deepEqual(where, [
      [{id: OWN}, 'us-east-1'],
      [{id: OWN}, 'eu-west-1'],
      [{id: A, roleName: 'vpcsc-reader'}, 'us-east-1'],
      [{id: A, roleName: 'vpcsc-reader'}, 'eu-west-1'],
    ])
    assert.equal(new Set(out.nat.gateways.map((g: {id: string}) => g.id)).size, 4)
    assert.deepEqual(out.nat.egressIps.filter((e: {account: {id: string}}) => e.account.id === OWN).map((e: {ip: string; account: object}) => [e.ip, e.account]), [
      ['203.0.113.10', {id: OWN}],
      ['203.0.113.21', {id: OWN}],
    ])
    assert.deepEqual(out.warnings, [`${ownRole} is in the caller's own account ${OWN}, which is always read: a NAT gateway read both ways is listed once, under the first selection that takes it (the own account's first).`])
    const screen = await vpcsc(ctx.world, ['status', ...regionArgs, ...roleArgs])
    assert.equal(screen.stdout.match(/vpcsc-demo-nat/g)?.length, 4, screen.stdout)

    const plan = await vpcsc(ctx.world, ['ip', 'sync', '--plan', ...regionArgs, ...roleArgs])
    assert.equal(plan.code, 3, show(plan))
    assert.match(plan.stdout, /\+ 203\.0\.113\.21\/32\s+nat-\w+ \(eu-west-1, 123456789012\)/)
    const explained = await vpcsc(ctx.world, ['explain', '203.0.113.21', '--json', ...regionArgs, ...roleArgs])
    const ownInEuWest1 = out.nat.gateways.find((g: {region: string; account: {id: string}}) => g.region === 'eu-west-1' && g.account.id === OWN)
    assert.deepEqual(JSON.parse(explained.stdout).gateway, {natGatewayId: ownInEuWest1.id, account: OWN, region: 'eu-west-1', vpcId: ownInEuWest1.vpcId, name: 'vpcsc-demo-nat', state: 'available', egress: true}, show(explained))
  })

  it("a member account's own regions are its alone: the caller's account still reads the AWS default region", async () => {
    const {roleA} = await seedMembers()
    const file = join(ctx.world.dir, 'work', 'vpcsc.config.json')
    writeFileSync(file, JSON.stringify({accounts: [{roleArn: roleA, regions: ['eu-west-1']}]}))
    try {
      const result = await vpcsc(ctx.world, ['status', '--json'])
      assert.equal(result.code, 0, show(result))
      const out = JSON.parse(result.stdout)
      assert.deepEqual(out.nat.accounts.map((a: {account: {id: string}; regions: string[]}) => [a.account.id, a.regions]), [[OWN, ['us-east-1']], [A, ['eu-west-1']]])
      assert.deepEqual(out.nat.egressIps.map((e: {ip: string}) => e.ip), ['203.0.113.10', '203.0.113.32'])
      // The top-level selection, whatever its source, does not reach into the account's own regions.
      for (const args of [['--all-regions'], ['--region', 'us-east-1']]) {
        const top = JSON.parse((await vpcsc(ctx.world, ['status', '--json', ...args])).stdout)
        assert.deepEqual(top.nat.accounts[1].regions, ['eu-west-1'], args.join(' '))
      }
    } finally {
      rmSync(file)
    }
  })

  it('one region that cannot be read (throttled past retries), one account: nothing removed, exit 1 naming the region', async () => {
    // The level holds an EIP that a complete read would find stale.
    const level = await storedLevel(ctx.world)
    level.basic!.conditions[0]!.ipSubnetworks = ['203.0.113.10/32', '198.51.100.7/32']
    await ctx.world.admin.putResource(level.name, level)
    ctx.world.awsGate.fault({action: 'DescribeNatGateways', region: 'eu-west-1', code: 'RequestLimitExceeded', status: 503})
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', ...regionArgs], {env: {AWS_ENDPOINT_URL_EC2: ctx.world.awsGate.url}})
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /own account 123456789012 in eu-west-1: .*RequestLimitExceeded/)
    assert.deepEqual(await writes(ctx.world), [], 'nothing to add, nothing removed: no write')
    assert.deepEqual(await held(), ['198.51.100.7/32', '203.0.113.10/32'])
    const attempts = ctx.world.awsGate.requests().filter((r) => r.action === 'DescribeNatGateways' && r.region === 'eu-west-1')
    assert.equal(attempts.length, 4, 'the SDK retried before giving up')
  })

  for (const [args, env, pattern] of [
    [['--assume-role', 'arn:aws:iam::12345:role/x'], {}, /--assume-role: "arn:aws:iam::12345:role\/x" is not an IAM role ARN/],
    [['--assume-role', 'arn:aws:iam::123456789012:user/alice'], {}, /--assume-role: .* is not an IAM role ARN/],
    [['--assume-role', 'arn:aws-xx:iam::123456789012:role/x'], {}, /is not an IAM role ARN/],
    [['--assume-role', '111111111111'], {}, /is not an IAM role ARN/],
    [[], {VPCSC_ASSUME_ROLES: 'arn:aws:iam::111111111111:role/ok,nope'}, /VPCSC_ASSUME_ROLES: "nope" is not an IAM role ARN/],
  ] as const) {
    it(`refuses ${args.join(' ') || JSON.stringify(env)} with exit 2 before any call`, async () => {
      ctx.world.awsGate.clearRequests()
      await ctx.world.admin.clearRequests()
      const result = await vpcsc(ctx.world, ['ip', 'sync', '--yes', ...args], {env})
      assert.equal(result.code, 2, show(result))
      assert.match(result.stderr, pattern)
      assert.match(result.stderr, /arn:aws:iam::123456789012:role\/vpcsc-reader/, 'the hint shows the form')
      assert.deepEqual(ctx.world.awsGate.requests(), [])
      assert.deepEqual(await ctx.world.admin.requests(), [])
    })
  }

  it('refuses a bad roleArn in the config file, naming the file and field', async () => {
    const file = join(ctx.world.dir, 'work', 'vpcsc.config.json')
    writeFileSync(file, JSON.stringify({accounts: [{roleArn: 'arn:aws:iam::111111111111:role/ok'}, {roleArn: 'role/vpcsc-reader'}]}))
    try {
      const result = await vpcsc(ctx.world, ['status'])
      assert.equal(result.code, 2, show(result))
      assert.match(result.stderr, /vpcsc\.config\.json: field "accounts\[1\]\.roleArn": expected an IAM role ARN/)
    } finally {
      rmSync(file)
    }
  })
})
