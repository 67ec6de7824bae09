import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {LEVEL, overWidth, screenLines, show, storedLevel, useWorld, vpcsc, wrappedText, writes} from './helpers.ts'

/** The hint lines (→ ...) of human output. */
const hints = (stdout: string) => screenLines(stdout).filter((line) => /^\s*→ /.test(line))

describe('vpcsc status', () => {
  const ctx = useWorld()

  it('shows policy, level, perimeter and NAT, in sync on the seed', async () => {
    const result = await vpcsc(ctx.world, ['status'])
    assert.equal(result.code, 0, show(result))
    assert.match(result.stdout, /accessPolicies\/555000111222/)
    assert.match(result.stdout, /vpcsc_allow_ec2_ip/)
    assert.match(result.stdout, /203\.0\.113\.10\/32/)
    assert.match(result.stdout, /members\s+serviceAccount:break-glass@vpcsc-demo\.iam\.gserviceaccount\.com/)
    assert.match(result.stdout, /vpcsc_vertex_ai_perimeter\s+ENFORCED/)
    assert.match(result.stdout, /aiplatform\.googleapis\.com/)
    assert.match(result.stdout, /in ingress sources/)
    assert.match(result.stdout, new RegExp(ctx.world.aws.ids.natGatewayId))
    assert.match(result.stdout, /In sync/)
  })

  it('--json gives one typed object', async () => {
    const result = await vpcsc(ctx.world, ['status', '--json'])
    assert.equal(result.code, 0, show(result))
    const report = JSON.parse(result.stdout)
    assert.equal(report.policy.name, 'accessPolicies/555000111222')
    assert.equal(report.level.name, LEVEL)
    assert.equal(report.level.managedCondition, 0)
    assert.deepEqual(report.level.managedCidrs, ['203.0.113.10/32'])
    assert.equal(report.perimeter.mode, 'enforced')
    assert.deepEqual(report.perimeter.restrictedServices, ['aiplatform.googleapis.com'])
    assert.equal(report.perimeter.levelInIngressSources, true)
    assert.deepEqual(report.nat.egressIps.map((e: {ip: string}) => e.ip), ['203.0.113.10'])
    assert.deepEqual(report.drift, {missing: [], stale: [], testNet: [], unkept: [], inSync: true})
  })

  it('finds drift after the NAT gateway is replaced, and --check exits 3', async () => {
    const replaced = await ctx.world.aws.replaceNatGateway()
    const result = await vpcsc(ctx.world, ['status', '--check'])
    assert.equal(result.code, 3, show(result))
    assert.match(result.stdout, new RegExp(`${replaced.newIp.replaceAll('.', '\\.')} .*is not admitted`))
    assert.match(result.stdout, /203\.0\.113\.10\/32 matches no NAT egress IP/)
    assert.match(result.stdout, /vpcsc ip sync/)
    assert.match(result.stdout, new RegExp(`${replaced.oldNatGatewayId}\\s.*deleted\\s.*203\\.0\\.113\\.10`))

    const json = JSON.parse((await vpcsc(ctx.world, ['status', '--json', '--check'])).stdout)
    // The seed's EIP is in TEST-NET-3 but is no deny test's deny CIDR: only stale.
    assert.deepEqual(json.drift, {missing: [replaced.newIp], stale: ['203.0.113.10/32'], testNet: [], unkept: [], inSync: false})
  })

  it('a kept CIDR missing from the level is drift (--check exits 3) until ip sync adds it, as its plan says', async () => {
    const keep = ['--keep', '198.51.100.0/24']
    const plan = await vpcsc(ctx.world, ['ip', 'sync', '--plan', ...keep])
    assert.equal(plan.code, 3, show(plan))
    const result = await vpcsc(ctx.world, ['status', '--check', ...keep])
    assert.equal(result.code, 3, show(result))
    assert.match(result.stdout, /198\.51\.100\.0\/24 is kept \(--keep\) but not in the level: ip sync adds it\./)
    assert.doesNotMatch(result.stdout, /In sync/)
    const json = JSON.parse((await vpcsc(ctx.world, ['status', '--json', ...keep])).stdout)
    assert.deepEqual(json.drift, {missing: [], stale: [], testNet: [], unkept: ['198.51.100.0/24'], inSync: false})
    assert.equal((await vpcsc(ctx.world, ['ip', 'sync', '--yes', ...keep])).code, 0)
    assert.equal((await vpcsc(ctx.world, ['status', '--check', ...keep])).code, 0)
  })

  it('without --check, drift still exits 0', async () => {
    await ctx.world.aws.replaceNatGateway()
    const result = await vpcsc(ctx.world, ['status'])
    assert.equal(result.code, 0, show(result))
  })

  it('shows a TEST-NET range left behind by a deny test', async () => {
    const level = await storedLevel(ctx.world)
    level.basic!.conditions[0]!.ipSubnetworks = ['192.0.2.1/32']
    await ctx.world.admin.putResource(LEVEL, level)
    const result = await vpcsc(ctx.world, ['status', '--check'])
    assert.equal(result.code, 3, show(result))
    assert.match(result.stdout, /192\.0\.2\.1\/32 is a deny test's deny CIDR, not a NAT egress IP/)
    assert.match(result.stdout, /run\s+vpcsc\s+restore\s+there/)
    const json = JSON.parse((await vpcsc(ctx.world, ['status', '--json'])).stdout)
    assert.deepEqual(json.drift.testNet, ['192.0.2.1/32'])
    assert.deepEqual(json.drift.missing, ['203.0.113.10'])
  })

  it('the deny CIDR beside the NAT IP, claimed by no deny test: not called a swap; ip sync removes it, as the screen says', async () => {
    const level = await storedLevel(ctx.world)
    level.basic!.conditions[0]!.ipSubnetworks = ['203.0.113.10/32', '192.0.2.1/32']
    await ctx.world.admin.putResource(LEVEL, level)
    const result = await vpcsc(ctx.world, ['status', '--check'])
    assert.equal(result.code, 3, show(result))
    assert.doesNotMatch(result.stdout, /swapped/)
    assert.match(result.stdout, wrappedText('✗ 192.0.2.1/32 is the configured deny CIDR, but no deny test claims it (no marker in the policy, no journal here) and the level holds other CIDRs too: not a swap. ip sync removes it.'))
    assert.deepEqual(hints(result.stdout), ['  → vpcsc ip sync --plan shows the change; vpcsc ip sync writes it.'])
    assert.deepEqual(overWidth(result.stdout, 80), [], result.stdout)
    const json = JSON.parse((await vpcsc(ctx.world, ['status', '--json'])).stdout)
    assert.deepEqual(json.drift, {missing: [], stale: ['192.0.2.1/32'], testNet: ['192.0.2.1/32'], unkept: [], inSync: false})

    const plan = await vpcsc(ctx.world, ['ip', 'sync', '--plan'])
    assert.equal(plan.code, 3, show(plan))
    assert.match(plan.stdout, /- 192\.0\.2\.1\/32/)
    assert.equal((await vpcsc(ctx.world, ['ip', 'sync', '--yes'])).code, 0)
    assert.deepEqual((await storedLevel(ctx.world)).basic!.conditions[0]!.ipSubnetworks, ['203.0.113.10/32'])
    assert.equal((await vpcsc(ctx.world, ['status', '--check'])).code, 0)
  })

  it('a NAT source not read: the hint says ip sync removes nothing until it is read (never that ip sync writes the removal), and ip sync agrees', async () => {
    const unreachable = {AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:1', AWS_MAX_ATTEMPTS: '1'}
    const level = await storedLevel(ctx.world)
    level.basic!.conditions[0]!.ipSubnetworks = ['203.0.113.10/32', '203.0.113.99/32']
    await ctx.world.admin.putResource(LEVEL, level)
    const result = await vpcsc(ctx.world, ['status'], {env: unreachable})
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /NAT sources? not read, the drift is incomplete/)
    assert.deepEqual(hints(result.stdout), ['  → Fix the NAT source not read (above) first: until it can be read, vpcsc ip sync removes nothing.'])
    assert.match(result.stdout, wrappedText('✗ 203.0.113.99/32 matches no NAT egress IP and is not kept (or it belongs to a source that was not read).'))
    assert.doesNotMatch(result.stdout, /ip sync writes/)
    // Nothing was read: "no NAT gateway matched" would be news of a selection never applied.
    assert.doesNotMatch(result.stdout + result.stderr, /No NAT gateway matched/)
    assert.deepEqual(overWidth(result.stdout, 80), [], result.stdout)
    await ctx.world.admin.clearRequests()
    const sync = await vpcsc(ctx.world, ['ip', 'sync', '--yes'], {env: unreachable})
    assert.equal(sync.code, 1, show(sync))
    assert.match(sync.stderr, /Not every NAT source could be read, so nothing removed/)
    assert.deepEqual(await writes(ctx.world), [])
  })

  it('kept CIDRs are not drift', async () => {
    const level = await storedLevel(ctx.world)
    level.basic!.conditions[0]!.ipSubnetworks = ['203.0.113.10/32', '198.51.100.0/24']
    await ctx.world.admin.putResource(LEVEL, level)
    assert.equal((await vpcsc(ctx.world, ['status', '--check'])).code, 3)
    const kept = await vpcsc(ctx.world, ['status', '--check', '--keep', '198.51.100.0/24'])
    assert.equal(kept.code, 0, show(kept))
  })

  it('makes no write call, whatever it finds', async () => {
    await ctx.world.aws.replaceNatGateway()
    await ctx.world.admin.clearRequests()
    await vpcsc(ctx.world, ['status'])
    await vpcsc(ctx.world, ['status', '--json', '--check'])
    assert.deepEqual(await writes(ctx.world), [])
    const reads = (await ctx.world.admin.requests()).filter((r) => r.api === 'acm')
    assert.equal(reads.length, 6, 'policy, level and perimeter, once per run')
  })

  it('re-checks tag filters that the EC2 endpoint ignores', async () => {
    const none = await vpcsc(ctx.world, ['status', '--json', '--nat-tag', 'vpcsc=something-else'])
    assert.equal(none.code, 0, show(none))
    const report = JSON.parse(none.stdout)
    assert.deepEqual(report.nat.gateways, [])
    assert.ok(report.nat.warnings.includes('No NAT gateway matched the selection.'))
    const match = JSON.parse((await vpcsc(ctx.world, ['status', '--json', '--nat-tag', 'vpcsc=egress'])).stdout)
    assert.deepEqual(match.nat.egressIps.map((e: {ip: string}) => e.ip), ['203.0.113.10'])
  })

  it('a level that does not exist: lists the levels that do', async () => {
    const result = await vpcsc(ctx.world, ['status', '--level', 'vpcsc_typo'])
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /vpcsc_typo does not exist/)
    assert.match(result.stderr, /vpcsc_allow_ec2_ip, vpcsc_office/)
    assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, 'no stack trace')
  })

  it('a policy that does not exist: named, with where to list the policies (vpcsc is not told the organization)', async () => {
    const result = await vpcsc(ctx.world, ['status', '--policy', '999'])
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /^Error: The access policy accessPolicies\/999 does not exist\.\n.*gcloud access-context-manager policies list --organization ORG_ID/)
  })

  it('a missing setting is a usage error naming the flag, env and config key', async () => {
    const result = await vpcsc(ctx.world, ['status'], {env: {VPCSC_LEVEL: ''}})
    assert.equal(result.code, 2, show(result))
    assert.match(result.stderr, /Missing --level/)
    assert.match(result.stderr, /VPCSC_LEVEL/)
  })

  it('a bad config file names the file and the field', async () => {
    const file = join(ctx.world.dir, 'work', 'vpcsc.config.json')
    writeFileSync(file, JSON.stringify({keep: ['198.51.100.0/24', '10.0.0.0/8']}))
    try {
      const result = await vpcsc(ctx.world, ['status'])
      assert.equal(result.code, 2, show(result))
      assert.match(result.stderr, /vpcsc\.config\.json: field "keep\[1\]": "10\.0\.0\.0\/8" is in or overlaps the private/)
      writeFileSync(file, JSON.stringify({levle: 'x'}))
      const typo = await vpcsc(ctx.world, ['status'])
      assert.equal(typo.code, 2, show(typo))
      assert.match(typo.stderr, /unknown field "levle"/)
    } finally {
      writeFileSync(file, '{}')
    }
  })

  it('an unknown flag or a bad flag value exits 2', async () => {
    const unknown = await vpcsc(ctx.world, ['status', '--levl', 'x'])
    assert.equal(unknown.code, 2, show(unknown))
    const badInt = await vpcsc(ctx.world, ['status', '--condition', 'two'])
    assert.equal(badInt.code, 2, show(badInt))
    assert.match(badInt.stderr, /^Error: --condition "two": expected a condition index, 0 to 39\.\n→ Give the index/)
    // The flag gets the file's check and words, with every other problem at once.
    const both = await vpcsc(ctx.world, ['status', '--condition', '-1', '--region', 'mars-1'])
    assert.equal(both.code, 2, show(both))
    assert.match(both.stderr, /^Error: 2 settings are invalid: --region "mars-1": .*; --condition "-1": expected a condition index, 0 to 39\./)
    const badPolicy = await vpcsc(ctx.world, ['status', '--policy', 'my-policy'])
    assert.equal(badPolicy.code, 2, show(badPolicy))
    assert.match(badPolicy.stderr, /accessPolicies\/NUMBER/)
  })

  it('a missing permission is named', async () => {
    await ctx.world.admin.fault({
      match: {method: 'GET', path: 'accessLevels'},
      status: 403,
      count: 1,
      body: {
        error: {
          code: 403,
          status: 'PERMISSION_DENIED',
          message: "Permission 'accesscontextmanager.accessLevels.get' denied on resource 'accessPolicies/555000111222' (or it may not exist).",
          details: [{'@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', domain: 'accesscontextmanager.googleapis.com', metadata: {permission: 'accesscontextmanager.accessLevels.get'}}],
        },
      },
    })
    const result = await vpcsc(ctx.world, ['status'])
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /lacks accesscontextmanager\.accessLevels\.get/)
    assert.ok(result.stderr.trim().split('\n').length <= 2, result.stderr)
  })

  it('an error nothing foresaw (an API answer of the wrong shape) is still one line, a hint and, with --json, the error contract: code INTERNAL, exit 1', async () => {
    const garbled = {match: {method: 'GET', path: 'accessLevels'}, status: 200, body: {accessLevels: [{name: 5}]}, count: 2}
    await ctx.world.admin.fault(garbled)
    const human = await vpcsc(ctx.world, ['status'])
    assert.equal(human.code, 1, show(human))
    assert.equal(human.stderr, 'Error: Unexpected error: name.split is not a function.\n→ This is a bug in vpcsc: run again with DEBUG=vpcsc* for where it happened, and report it.\n')
    assert.doesNotMatch(human.stderr, /\s+at /, 'no stack trace without DEBUG')
    await ctx.world.admin.fault(garbled)
    // vpcsc() checks the output against schemas/error.json.
    const json = await vpcsc(ctx.world, ['status', '--json'])
    assert.equal(json.code, 1, show(json))
    assert.deepEqual(JSON.parse(json.stdout).error, {code: 'INTERNAL', message: 'Unexpected error: name.split is not a function.', hint: 'This is a bug in vpcsc: run again with DEBUG=vpcsc* for where it happened, and report it.', exitCode: 1})
    // DEBUG shows where it happened.
    await ctx.world.admin.fault(garbled)
    const debug = await vpcsc(ctx.world, ['status'], {env: {DEBUG: 'vpcsc*'}})
    assert.match(debug.stderr, /TypeError: name\.split is not a function\n\s+at /)
  })

  it('bad Google credentials are an authentication error with a next step', async () => {
    const result = await vpcsc(ctx.world, ['status'], {env: {GOOGLE_APPLICATION_CREDENTIALS: join(ctx.world.dir, 'nope.json')}})
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /credentials/i)
    assert.match(result.stderr, /gcloud auth application-default login|GOOGLE_APPLICATION_CREDENTIALS/)
  })

  it('a missing quota project says how to set one', async () => {
    await ctx.world.admin.fault({
      match: {method: 'GET', path: 'accessPolicies/[0-9]+$'},
      status: 403,
      count: 1,
      body: {error: {code: 403, status: 'PERMISSION_DENIED', message: 'Your application is authenticating by using local Application Default Credentials. The accesscontextmanager.googleapis.com API requires a quota project, which is not set by default.'}},
    })
    const result = await vpcsc(ctx.world, ['status'])
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /set-quota-project/)
  })

  it('--impersonate-service-account calls Google as that service account', async () => {
    await ctx.world.admin.clearRequests()
    const result = await vpcsc(ctx.world, ['status', '--json', '--impersonate-service-account', 'vpcsc-operator@vpcsc-demo.iam.gserviceaccount.com'], {
      env: {VPCSC_IAMCREDENTIALS_ENDPOINT: ctx.world.googleUrl},
    })
    assert.equal(result.code, 0, show(result))
    const requests = await ctx.world.admin.requests()
    const impersonation = requests.filter((r) => r.api === 'iamcredentials')
    assert.equal(impersonation.length, 1)
    assert.match(impersonation[0]!.path, /serviceAccounts\/vpcsc-operator@vpcsc-demo\.iam\.gserviceaccount\.com:generateAccessToken$/)
    // google-auth-library's notice about unvalidated configurations is not the user's concern.
    assert.equal(result.stderr, '', result.stderr)
  })

  it('honours AWS_ENDPOINT_URL_EC2 and --profile, as the AWS SDK does', async () => {
    const {AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...rest} = ctx.world.env
    const credentials = join(ctx.world.dir, 'aws', 'credentials-with-profile')
    writeFileSync(credentials, '[demo]\naws_access_key_id = test\naws_secret_access_key = test\n')
    const env = {...rest, AWS_ENDPOINT_URL: '', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_ENDPOINT_URL_EC2: endpoint!, AWS_SHARED_CREDENTIALS_FILE: credentials}
    const ok = await vpcsc(ctx.world, ['status', '--json', '--profile', 'demo'], {env})
    assert.equal(ok.code, 0, show(ok))
    assert.deepEqual(JSON.parse(ok.stdout).nat.egressIps.map((e: {ip: string}) => e.ip), ['203.0.113.10'])
    const missing = await vpcsc(ctx.world, ['status', '--profile', 'nope'], {env})
    // A profile that does not exist is a configuration error, named as such.
    assert.equal(missing.code, 2, show(missing))
    assert.match(missing.stderr, /^Error: --profile "nope" is not a profile in the AWS config or credentials file\./)
    assert.ok(missing.stderr.trim().split('\n').length <= 2, missing.stderr)
  })

  it('5xx and 429 bursts on reads are retried', async () => {
    await ctx.world.admin.fault({match: {method: 'GET'}, status: 503, count: 2})
    await ctx.world.admin.fault({match: {method: 'GET'}, status: 429, count: 1})
    const result = await vpcsc(ctx.world, ['status', '--check'])
    assert.equal(result.code, 0, show(result))
  })
})

describe('vpcsc status across regions', () => {
  const ctx = useWorld({regions: ['us-east-1', 'eu-west-1']})

  it('reads every region given and reports each NAT', async () => {
    const result = await vpcsc(ctx.world, ['status', '--json', '--region', 'us-east-1', '--region', 'eu-west-1'])
    assert.equal(result.code, 0, show(result))
    const report = JSON.parse(result.stdout)
    assert.deepEqual(report.nat.regions, ['us-east-1', 'eu-west-1'])
    assert.deepEqual(
      report.nat.egressIps.map((e: {ip: string; region: string}) => `${e.region} ${e.ip}`).sort(),
      ['eu-west-1 203.0.113.21', 'us-east-1 203.0.113.10'],
    )
    assert.deepEqual(report.drift.missing, ['203.0.113.21'])
  })

  it('VPCSC_REGIONS works like --region', async () => {
    const result = await vpcsc(ctx.world, ['status', '--json'], {env: {VPCSC_REGIONS: 'eu-west-1'}})
    const report = JSON.parse(result.stdout)
    assert.deepEqual(report.nat.egressIps.map((e: {ip: string}) => e.ip), ['203.0.113.21'])
  })

  it('the region selection is one setting: the first source that names regions or all regions decides it (flag > variable > file)', async () => {
    const file = join(ctx.world.dir, 'work', 'vpcsc.config.json')
    const read = async (args: string[], env: Record<string, string> = {}) => {
      const result = await vpcsc(ctx.world, [...args, '--json'], {env})
      assert.ok(result.code === 0 || result.code === 3, show(result))
      const out = JSON.parse(result.stdout) as {nat?: {regions: string[]}; egressIps?: {region: string}[]}
      return out.nat ? out.nat.regions : [...new Set(out.egressIps!.map((e) => e.region))]
    }
    try {
      writeFileSync(file, JSON.stringify({allRegions: true}))
      assert.deepEqual(await read(['ip', 'sync', '--plan', '--region', 'eu-west-1']), ['eu-west-1'], '--region beats the file\'s allRegions')
      assert.deepEqual(await read(['status', '--region', 'eu-west-1']), ['eu-west-1'])
      assert.deepEqual(await read(['status', '--no-all-regions']), ['us-east-1'], '--no-all-regions: the AWS default region')
      assert.deepEqual(await read(['status'], {VPCSC_REGIONS: 'eu-west-1'}), ['eu-west-1'], 'VPCSC_REGIONS beats the file\'s allRegions')
      writeFileSync(file, JSON.stringify({regions: ['eu-west-1']}))
      assert.ok((await read(['status'], {VPCSC_ALL_REGIONS: '1'})).length > 2, 'VPCSC_ALL_REGIONS beats the file\'s regions')
      assert.ok((await read(['status', '--all-regions'])).length > 2)
    } finally {
      writeFileSync(file, '{}')
    }
    assert.deepEqual(await read(['status', '--region', 'us-east-1'], {VPCSC_ALL_REGIONS: '1'}), ['us-east-1'], '--region beats VPCSC_ALL_REGIONS')
  })

  it('--all-regions finds the NAT gateways of every region', async () => {
    const result = await vpcsc(ctx.world, ['status', '--json', '--all-regions'])
    assert.equal(result.code, 0, show(result))
    const report = JSON.parse(result.stdout)
    assert.ok(report.nat.regions.length > 2, `regions: ${report.nat.regions}`)
    assert.deepEqual(report.nat.egressIps.map((e: {ip: string}) => e.ip).sort(), ['203.0.113.10', '203.0.113.21'])
  })
})
