// Bad input from every source is refused before any call, in words that say what to do:
// the managed condition, the host-bits hint, and AWS errors that name their service.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {createServer, type Socket} from 'node:net'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import type {World} from '../local-cloud/world.ts'
import {LEVEL, show, storedLevel, useWorld, vpcsc, writes} from './helpers.ts'

/** Each command line exits 2 with its one- or two-line error, and nothing reached Google or SSM. */
async function refusedBeforeAnyCall(world: World, cases: [string[], Record<string, string>, RegExp][]): Promise<void> {
  for (const [args, env, pattern] of cases) {
    const result = await vpcsc(world, args, {env})
    assert.equal(result.code, 2, show(result))
    assert.match(result.stderr, pattern)
    assert.ok(result.stderr.trim().split('\n').length <= 2, result.stderr)
  }
  assert.deepEqual(await world.admin.requests(), [], 'no call reached Google')
  assert.deepEqual(await world.ssm.admin.requests(), [], 'no call reached SSM')
}

describe('input checks', () => {
  const ctx = useWorld()

  it('flags and VPCSC_* values get the config file\'s checks, before any call, each problem named with its source', async () => {
    await ctx.world.admin.clearRequests()
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['deny-test', '--yes', '--project-number', 'abc'], {}, /--project-number "abc": expected a project number \(digits only\)/],
      [['status', '--region', 'xx-fake-9'], {}, /--region "xx-fake-9" is not an AWS region/],
      [['status', '--region', 'US-EAST-1'], {}, /--region "US-EAST-1": expected an AWS region such as eu-west-1/],
      [['status'], {VPCSC_REGIONS: 'us-east-1,xx-fake-9'}, /VPCSC_REGIONS "xx-fake-9" is not an AWS region/],
      [['deny-test', '--yes', '--location', 'Bad!'], {}, /--location "Bad!": expected a Vertex AI location/],
      [['status', '--impersonate-service-account', 'nobody'], {}, /--impersonate-service-account "nobody": expected a service account email/],
      [['deny-test', '--yes', '--probe-timeout', '40d'], {}, /--probe-timeout "40d" is longer than 2 days, the longest probe timeout, SSM's longest run of a command/],
      [['deny-test', '--yes'], {VPCSC_PROBE_TIMEOUT: 'soon'}, /VPCSC_PROBE_TIMEOUT "soon" is not a duration/],
      // A local probe command is stopped by a Node.js timer, which would fire at once past its limit.
      [['deny-test', '--yes', '--probe', 'local', '--probe-command', 'sleep 0.2; echo ok', '--probe-timeout', '25d'], {}, /--probe-timeout "25d" is longer than 2 days, the longest probe timeout/],
      // A probe command of white space alone is no command, as an empty one (SSM would run it, exit 127).
      [['deny-test', '--yes', '--probe-command', '   '], {}, /--probe-command " {3}": must not be blank \(white space only\)/],
      [['deny-test', '--yes', '--probe-command', ''], {}, /--probe-command "": must not be empty/],
      // Past a Node.js timer's limit every call would time out at once, with a warning per call.
      [['status', '--request-timeout', '25d'], {}, /--request-timeout "25d" is longer than 24 days, the longest request timeout, the limit of Node\.js timers/],
      [['status', '--condition', '1.5'], {}, /--condition "1\.5": expected a condition index, 0 to 39/],
    ]
    await refusedBeforeAnyCall(ctx.world, cases)
  })

  it('every missing setting a command needs is named at once, before any call', async () => {
    await ctx.world.admin.clearRequests()
    const none = {VPCSC_POLICY: '', VPCSC_LEVEL: '', VPCSC_PERIMETER: ''}
    const cases: [string[], RegExp][] = [
      [['status'], /Missing --policy and --level\./],
      [['ip', 'sync', '--plan'], /Missing --policy and --level\./],
      [['deny-test', '--yes'], /Missing --policy and --level and --perimeter\./],
      [['demote', '--yes'], /Missing --perimeter\./],
      [['promote', '--all', '--yes'], /Missing --policy\./],
    ]
    for (const [args, pattern] of cases) {
      const result = await vpcsc(ctx.world, args, {env: none})
      assert.equal(result.code, 2, show(result))
      assert.match(result.stderr, pattern)
      assert.match(result.stderr, /VPCSC_POLICY|VPCSC_PERIMETER/)
    }
    // The demo's environment sets the perimeter as a short id: it does not hide the rest.
    const perimeterOnly = await vpcsc(ctx.world, ['status', '--region', 'mars-1'], {env: {VPCSC_POLICY: '', VPCSC_LEVEL: ''}})
    assert.equal(perimeterOnly.code, 2, show(perimeterOnly))
    assert.match(perimeterOnly.stderr, /2 problems with the settings: --region "mars-1": .*; missing --policy and --level\./)
    assert.deepEqual(await ctx.world.admin.requests(), [], 'no call reached Google')
  })

  it('all problems at once, and a config file field is named as such', async () => {
    const file = join(ctx.world.dir, 'work', 'bad-regions.json')
    writeFileSync(file, JSON.stringify({regions: ['xx-fake-9']}))
    const fromFile = await vpcsc(ctx.world, ['status', '--config', file])
    assert.equal(fromFile.code, 2, show(fromFile))
    assert.match(fromFile.stderr, /bad-regions\.json: field "regions\[0\]": is not an AWS region/)
    const several = await vpcsc(ctx.world, ['deny-test', '--yes', '--project-number', 'abc', '--location', 'Bad!'], {env: {VPCSC_PROBE_TIMEOUT: '40d'}})
    assert.equal(several.code, 2, show(several))
    assert.match(several.stderr, /3 settings are invalid: --project-number "abc".*; VPCSC_PROBE_TIMEOUT "40d".*; --location "Bad!"/)
    // A bad policy is named with its source, once: the short ids that would need it add nothing.
    const policy = await vpcsc(ctx.world, ['status', '--policy', 'abc', '--level', 'x'])
    assert.equal(policy.code, 2, show(policy))
    assert.equal(policy.stderr.split('\n')[0], 'Error: --policy "abc": expected a policy number or accessPolicies/NUMBER.')
    const policyInFile = join(ctx.world.dir, 'work', 'bad-policy.json')
    writeFileSync(policyInFile, JSON.stringify({policy: 'abc', level: 'bad-id', regions: ['xx-fake-9']}))
    // (Without the world's VPCSC_POLICY and VPCSC_LEVEL, which would decide over the file.)
    const fromFileAll = await vpcsc(ctx.world, ['status', '--config', policyInFile], {env: {VPCSC_POLICY: '', VPCSC_LEVEL: ''}})
    assert.equal(fromFileAll.code, 2, show(fromFileAll))
    assert.match(fromFileAll.stderr, /bad-policy\.json: 3 problems: field "policy": expected a policy number.*; field "level": expected an id.*; field "regions\[0\]": is not an AWS region/)
    // The file's problems come with those of flags and the missing settings, in one run.
    const timeoutInFile = join(ctx.world.dir, 'work', 'bad-timeout.json')
    writeFileSync(timeoutInFile, JSON.stringify({requestTimeout: 'abc'}))
    const mixed = await vpcsc(ctx.world, ['status', '--config', timeoutInFile, '--region', 'mars-1'], {env: {VPCSC_POLICY: '', VPCSC_LEVEL: ''}})
    assert.equal(mixed.code, 2, show(mixed))
    assert.match(mixed.stderr, /^Error: 3 problems with the settings: --region "mars-1": .*; \S*bad-timeout\.json: field "requestTimeout": is not a duration .*; missing --policy and --level\./)
  })

  it('a command checks only the settings it uses: a bad value of another one, from the environment or the file, does not stop it', async () => {
    // The deny test's wait, its probe's pause and the notification URL: status never uses them.
    const unused = {VPCSC_TIMEOUT: 'abc', VPCSC_PROBE_INTERVAL: 'often', VPCSC_NOTIFY_URL: 'ftp://hooks.example.com/x'}
    const file = join(ctx.world.dir, 'work', 'deny-test-only.json')
    writeFileSync(file, JSON.stringify({timeout: 'abc', probeTimeout: '40d', denyCidr: '8.8.8.8/32'}))
    const status = await vpcsc(ctx.world, ['status'], {env: unused})
    assert.equal(status.code, 0, show(status))
    assert.doesNotMatch(status.stdout + status.stderr, /VPCSC_TIMEOUT|VPCSC_PROBE_INTERVAL|VPCSC_NOTIFY_URL/)
    // ip sync waits for its write's operation with a bound of its own, not the deny test's.
    const sync = await vpcsc(ctx.world, ['ip', 'sync', '--plan'], {env: {VPCSC_TIMEOUT: 'abc', VPCSC_PROBE_INTERVAL: 'often'}})
    assert.equal(sync.code, 0, show(sync))
    assert.doesNotMatch(sync.stderr, /VPCSC_/)
    // violations reads no NAT gateway either: a bad region is not its business.
    const violations = await vpcsc(ctx.world, ['violations', '--json'], {env: {...unused, VPCSC_REGIONS: 'mars-1'}})
    assert.equal(violations.code, 0, show(violations))
    assert.doesNotMatch(violations.stderr, /VPCSC_/)
    // The file's fields of settings status does not use are neither used nor checked; the
    // deny CIDR it does use (to recognise a deny test's leftover), so that one is named.
    const fromFile = await vpcsc(ctx.world, ['status', '--config', file])
    assert.equal(fromFile.code, 2, show(fromFile))
    assert.match(fromFile.stderr, /^Error: \S*deny-test-only\.json: field "denyCidr": "8\.8\.8\.8\/32" is not in a TEST-NET range/)
    assert.doesNotMatch(fromFile.stderr, /"timeout"|"probeTimeout"/)
  })

  it('a bad value of a setting the command uses still stops it, named with its source, before any call', async () => {
    await ctx.world.admin.clearRequests()
    const file = join(ctx.world.dir, 'work', 'bad-wait.json')
    writeFileSync(file, JSON.stringify({timeout: 'abc'}))
    await refusedBeforeAnyCall(ctx.world, [
      [['deny-test', '--yes'], {VPCSC_TIMEOUT: 'abc'}, /^Error: VPCSC_TIMEOUT "abc" is not a duration for the timeout \(use e\.g\. 90s, 30m, 2h or 7d\)\.\n/],
      [['deny-test', '--yes', '--config', file], {}, /^Error: \S*bad-wait\.json: field "timeout": is not a duration for the timeout/],
      [['promote', '--yes'], {VPCSC_REQUEST_TIMEOUT: 'abc', VPCSC_PROBE_INTERVAL: 'often'}, /^Error: VPCSC_REQUEST_TIMEOUT "abc" is not a duration for the request timeout/],
      // A flag is typed for this run: checked even when the command does not use its setting.
      [['ip', 'sync', '--plan', '--project-number', 'abc'], {}, /^Error: --project-number "abc": expected a project number \(digits only\)/],
      [['restore', '--yes', '--project-number', '12x'], {}, /^Error: --project-number "12x": expected a project number/],
    ])
  })

  it('the endpoint variables, vpcsc\'s and the AWS SDK\'s, are checked with the other settings by the commands that use them, before any call', async () => {
    await ctx.world.admin.clearRequests()
    await refusedBeforeAnyCall(ctx.world, [
      [['deny-test', '--yes', '--probe', 'local'], {VPCSC_VERTEX_ENDPOINT: 'notaurl'}, /^Error: VPCSC_VERTEX_ENDPOINT "notaurl": expected an http\(s\) URL such as https:\/\/us-central1-aiplatform\.googleapis\.com\.\n→ Give VPCSC_VERTEX_ENDPOINT as http\(s\):\/\/HOST\[:PORT\]\[\/PATH\], or unset it\.\n$/],
      [['status'], {VPCSC_ACM_ENDPOINT: 'notaurl'}, /^Error: VPCSC_ACM_ENDPOINT "notaurl": expected an http\(s\) URL such as https:\/\/accesscontextmanager\.googleapis\.com\./],
      [['status'], {VPCSC_ACM_ENDPOINT: 'ftp://acm.example.com'}, /^Error: VPCSC_ACM_ENDPOINT "ftp:\/\/acm\.example\.com": expected an http\(s\) URL, not ftp:\./],
      [['violations'], {VPCSC_LOGGING_ENDPOINT: 'https://logging.example.com/?x=1'}, /^Error: VPCSC_LOGGING_ENDPOINT "https:\/\/logging\.example\.com\/\?x=1": expected a URL without a query or fragment/],
      // The SDK takes AWS_ENDPOINT_URL for EC2 when AWS_ENDPOINT_URL_EC2 is not set.
      [['status'], {AWS_ENDPOINT_URL: 'notaurl'}, /^Error: AWS_ENDPOINT_URL "notaurl": expected an http\(s\) URL such as https:\/\/ec2\.us-east-1\.amazonaws\.com\./],
      [['deny-test', '--yes'], {AWS_ENDPOINT_URL_SSM: 'ssm.example.com'}, /^Error: AWS_ENDPOINT_URL_SSM "ssm\.example\.com": expected an http\(s\) URL/],
      // Every problem at once, each named by its variable.
      [['deny-test', '--yes'], {VPCSC_TIMEOUT: 'abc', VPCSC_ACM_ENDPOINT: 'notaurl', AWS_ENDPOINT_URL_EC2: 'ftp://ec2.example.com'}, /^Error: 3 settings are invalid: VPCSC_TIMEOUT "abc" .*; VPCSC_ACM_ENDPOINT "notaurl": .*; AWS_ENDPOINT_URL_EC2 "ftp:\/\/ec2\.example\.com": expected an http\(s\) URL, not ftp:\./],
    ])
    // Credentials in an endpoint are refused and never repeated.
    const secret = await vpcsc(ctx.world, ['ip', 'sync', '--plan'], {env: {VPCSC_IAMCREDENTIALS_ENDPOINT: 'https://me:s3cret@iam.example.com'}})
    assert.equal(secret.code, 2, show(secret))
    assert.match(secret.stderr, /^Error: VPCSC_IAMCREDENTIALS_ENDPOINT: expected a URL without user:password@\./)
    assert.doesNotMatch(secret.stderr, /s3cret/)
    // --json: the JSON error object (vpcsc() holds it to schemas/error.json), not a raw TypeError.
    const json = await vpcsc(ctx.world, ['deny-test', '--yes', '--probe', 'local', '--json'], {env: {VPCSC_VERTEX_ENDPOINT: 'notaurl'}})
    assert.equal(json.code, 2, show(json))
    assert.equal((JSON.parse(json.stdout) as {error: {code: string}}).error.code, 'USAGE')
    assert.deepEqual(await ctx.world.admin.requests(), [], 'no call reached Google')
    // A command that does not use an endpoint is not stopped by it: status probes nothing,
    // violations calls no AWS. The local cloud's http://127.0.0.1:PORT endpoints pass.
    const status = await vpcsc(ctx.world, ['status'], {env: {VPCSC_VERTEX_ENDPOINT: 'notaurl', AWS_ENDPOINT_URL_SSM: 'notaurl'}})
    assert.equal(status.code, 0, show(status))
    const violations = await vpcsc(ctx.world, ['violations', '--json'], {env: {VPCSC_VERTEX_ENDPOINT: 'notaurl', AWS_ENDPOINT_URL: 'notaurl'}})
    assert.equal(violations.code, 0, show(violations))
  })

  it('an AWS profile that does not exist is named with its source, among the other problems, before any call', async () => {
    await ctx.world.admin.clearRequests()
    const several = await vpcsc(ctx.world, ['status', '--region', 'mars-1', '--level', 'a b'], {env: {AWS_PROFILE: 'ghost'}})
    assert.equal(several.code, 2, show(several))
    assert.match(several.stderr, /^Error: 3 settings are invalid: --level "a b": .*; --region "mars-1": .*; AWS_PROFILE "ghost" is not a profile in the AWS config or credentials file/)
    // The region from the profile: a missing profile is not reported as a missing region.
    const noRegion = await vpcsc(ctx.world, ['status'], {env: {AWS_PROFILE: 'nope', AWS_REGION: '', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: ''}})
    assert.equal(noRegion.code, 2, show(noRegion))
    assert.match(noRegion.stderr, /^Error: AWS_PROFILE "nope" is not a profile in the AWS config or credentials file\.\n→ aws configure list-profiles lists the profiles there; aws configure --profile nope creates it\.\n$/)
    // "default" named, in neither file (the local cloud's are empty): refused up front with the
    // rest, as the AWS CLI refuses it, not by the SDK after the Google reads.
    const namedDefault = await vpcsc(ctx.world, ['status', '--region', 'mars-1'], {env: {AWS_PROFILE: 'default'}})
    assert.equal(namedDefault.code, 2, show(namedDefault))
    assert.match(namedDefault.stderr, /^Error: 2 settings are invalid: --region "mars-1": .*; AWS_PROFILE "default" is not a profile in the AWS config or credentials file/)
    const file = join(ctx.world.dir, 'work', 'profile.json')
    writeFileSync(file, JSON.stringify({profile: 'ghost'}))
    const fromFile = await vpcsc(ctx.world, ['ip', 'sync', '--plan', '--config', file])
    assert.equal(fromFile.code, 2, show(fromFile))
    assert.match(fromFile.stderr, /^Error: \S*profile\.json: field "profile" "ghost" is not a profile in the AWS config or credentials file\./)
    const flag = await vpcsc(ctx.world, ['explain', '203.0.113.77', '--profile', 'ghost'])
    assert.equal(flag.code, 2, show(flag))
    assert.match(flag.stderr, /^Error: --profile "ghost" is not a profile/)
    assert.deepEqual(await ctx.world.admin.requests(), [], 'no call reached Google')
    // A command that does not call AWS does not check it.
    const violations = await vpcsc(ctx.world, ['violations', '--json'], {env: {AWS_PROFILE: 'ghost', AWS_REGION: 'xx-fake-9'}})
    assert.equal(violations.code, 0, show(violations))
  })

  it('--profile "" is one problem, not two', async () => {
    const result = await vpcsc(ctx.world, ['status', '--profile', ''])
    assert.equal(result.code, 2, show(result))
    assert.match(result.stderr, /^Error: --profile "": must not be empty\.\n→ /)
    assert.doesNotMatch(result.stderr, /is not a profile|settings are invalid/)
  })

  it('a missing setting: the hint names the config file read (--config), else vpcsc.config.json', async () => {
    await ctx.world.admin.clearRequests()
    const file = join(ctx.world.dir, 'work', 'no-level.json')
    writeFileSync(file, JSON.stringify({regions: ['us-east-1']}))
    const named = await vpcsc(ctx.world, ['status', '--config', file], {env: {VPCSC_LEVEL: ''}})
    assert.equal(named.code, 2, show(named))
    assert.ok(named.stderr.includes(`→ Set --level (or VPCSC_LEVEL, or "level" in ${file}).`), named.stderr)
    const none = await vpcsc(ctx.world, ['status'], {env: {VPCSC_LEVEL: ''}})
    assert.equal(none.code, 2, show(none))
    assert.ok(none.stderr.includes('→ Set --level (or VPCSC_LEVEL, or "level" in vpcsc.config.json).'), none.stderr)
    assert.deepEqual(await ctx.world.admin.requests(), [], 'no call reached Google')
  })

  it("a kept CIDR the level does not hold is named with where it is kept: --keep, VPCSC_KEEP or the config file's \"keep\"", async () => {
    const file = join(ctx.world.dir, 'work', 'keep.json')
    writeFileSync(file, JSON.stringify({keep: ['198.51.100.0/24']}))
    for (const [args, env, source] of [
      [['--keep', '198.51.100.0/24'], {}, '--keep'],
      [[], {VPCSC_KEEP: '198.51.100.0/24'}, 'VPCSC_KEEP'],
      [['--config', file], {}, `"keep" in ${file}`],
    ] as const) {
      const result = await vpcsc(ctx.world, ['status', ...args], {env: {COLUMNS: '200', ...env}})
      assert.equal(result.code, 0, show(result))
      assert.ok(result.stdout.includes(`✗ 198.51.100.0/24 is kept (${source}) but not in the level: ip sync adds it.`), result.stdout)
      const json = JSON.parse((await vpcsc(ctx.world, ['status', '--json', ...args], {env})).stdout) as {keepSource: unknown}
      assert.deepEqual(json.keepSource, source === '--keep' ? {kind: 'flag', name: 'keep'} : source === 'VPCSC_KEEP' ? {kind: 'env', name: 'VPCSC_KEEP'} : {kind: 'file', name: 'keep', file})
    }
  })

  it("a config file's region selection that --region overrides is neither used nor checked", async () => {
    await ctx.world.admin.clearRequests()
    for (const values of [{regions: ['mars-1']}, {allRegions: 'yes'}]) {
      const file = join(ctx.world.dir, 'work', 'overridden-regions.json')
      writeFileSync(file, JSON.stringify(values))
      const result = await vpcsc(ctx.world, ['status', '--json', '--config', file, '--region', 'us-east-1'])
      assert.equal(result.code, 0, show(result))
      assert.deepEqual(JSON.parse(result.stdout).nat.regions, ['us-east-1'])
      const decided = await vpcsc(ctx.world, ['status', '--config', file])
      assert.equal(decided.code, 2, show(decided))
      assert.match(decided.stderr, /overridden-regions\.json: field "(regions\[0\]|allRegions)"/)
    }
  })

  it('--condition on a condition of members but no IPs is refused (exit 2), naming the condition that holds them', async () => {
    const before = JSON.stringify(await storedLevel(ctx.world))
    await ctx.world.admin.clearRequests()
    // The seed's condition 1 admits the break-glass account by its members alone.
    for (const args of [['ip', 'sync', '--yes', '--condition', '1'], ['deny-test', '--yes', '--condition', '1']]) {
      const result = await vpcsc(ctx.world, args)
      assert.equal(result.code, 2, show(result))
      assert.match(result.stderr, /--condition 1 holds no ipSubnetworks in .*vpcsc_allow_ec2_ip: it holds members and regions, and IPs written there would be ANDed with them\./)
      assert.match(result.stderr, /The IP list is in condition 0: use --condition 0, or leave --condition out\./)
      assert.equal(result.stderr.split('\n').filter((line) => line.startsWith('Error:')).length, 1, result.stderr)
    }
    assert.deepEqual(await writes(ctx.world), [])
    assert.equal(JSON.stringify(await storedLevel(ctx.world)), before)
  })

  it('VPCSC_CONDITION and the config file\'s condition are held to the same rule, each named as the source', async () => {
    const env = await vpcsc(ctx.world, ['ip', 'sync', '--plan'], {env: {VPCSC_CONDITION: '1'}})
    assert.equal(env.code, 2, show(env))
    assert.match(env.stderr, /^Error: VPCSC_CONDITION 1 holds no ipSubnetworks in .*vpcsc_allow_ec2_ip: it holds members and regions/)
    assert.match(env.stderr, /The IP list is in condition 0: use VPCSC_CONDITION=0, or leave VPCSC_CONDITION out\./)
    const file = join(ctx.world.dir, 'work', 'condition.json')
    writeFileSync(file, JSON.stringify({condition: 1}))
    const fromFile = await vpcsc(ctx.world, ['status', '--config', file])
    assert.equal(fromFile.code, 0, show(fromFile))
    // The screen fits 80 columns in a pipe too: the line wraps.
    assert.match(fromFile.stdout, /condition\.json:\s+field\s+"condition"\s+1\s+holds\s+no\s+ipSubnetworks/, 'status shows the level, and why it cannot manage it')
    const syncFromFile = await vpcsc(ctx.world, ['ip', 'sync', '--plan', '--config', file])
    assert.equal(syncFromFile.code, 2, show(syncFromFile))
    assert.match(syncFromFile.stderr, /^Error: \S*condition\.json: field "condition" 1 holds no ipSubnetworks/)
    assert.match(syncFromFile.stderr, /use "condition": 0 in \S*condition\.json, or leave "condition" out\./)
    for (const result of [env, syncFromFile]) assert.doesNotMatch(result.stderr, /--condition/)
  })

  it('the deny CIDR is checked with the other settings, before any call, named with its source', async () => {
    await ctx.world.admin.clearRequests()
    const file = join(ctx.world.dir, 'work', 'deny.json')
    writeFileSync(file, JSON.stringify({denyCidr: '8.8.8.8/32'}))
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['deny-test', '--yes'], {VPCSC_DENY_CIDR: '8.8.8.8/32'}, /^Error: VPCSC_DENY_CIDR "8\.8\.8\.8\/32" is not in a TEST-NET range \(RFC 5737\): it could admit a real caller\.\n/],
      [['deny-test', '--yes', '--config', file], {}, /^Error: \S*deny\.json: field "denyCidr": "8\.8\.8\.8\/32" is not in a TEST-NET range/],
      [['deny-test', '--yes', '--deny-cidr', '8.8.8.8/32', '--region', 'mars-1'], {}, /^Error: 2 settings are invalid: --region "mars-1": .*; --deny-cidr "8\.8\.8\.8\/32" is not in a TEST-NET range/],
    ]
    await refusedBeforeAnyCall(ctx.world, cases)
  })

  it('--condition on a level where no condition holds IPs says so', async () => {
    const level = await storedLevel(ctx.world)
    level.basic!.conditions[0]!.ipSubnetworks = undefined
    level.basic!.conditions[0]!.regions = ['DE']
    await ctx.world.admin.putResource(LEVEL, level)
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--plan', '--condition', '0'])
    assert.equal(result.code, 2, show(result))
    assert.match(result.stderr, /--condition 0 holds no ipSubnetworks .*: it holds regions/)
    assert.match(result.stderr, /No condition of the level holds an IP list/)
  })

  it('the host-bits hint offers only ranges that pass: 8.0.0.0/4 -> 8.0.0.0/32, never 0.0.0.0/4', async () => {
    const result = await vpcsc(ctx.world, ['ip', 'sync', '--plan', '--keep', '8.0.0.0/4'])
    assert.equal(result.code, 2, show(result))
    assert.match(result.stderr, /"8\.0\.0\.0\/4" has host bits set, and its range 0\.0\.0\.0\/4 is refused too; the one address is 8\.0\.0\.0\/32/)
    // The hint it gives is itself accepted.
    const offered = await vpcsc(ctx.world, ['ip', 'sync', '--plan', '--keep', '8.0.0.0/32'])
    assert.equal(offered.code, 3, show(offered))
    const both = await vpcsc(ctx.world, ['ip', 'sync', '--plan', '--keep', '2001:db8::1/32'])
    assert.equal(both.code, 2, show(both))
    assert.match(both.stderr, /the range is 2001:db8::\/32, or the one address 2001:db8::1\/128/)
  })

  it('a region named like AWS regions but not served: the SDK\'s unreadable answer is named as such', async () => {
    const result = await vpcsc(ctx.world, ['status', '--region', 'us-fake-9'])
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /AWS EC2 in us-fake-9 did not answer as AWS does \(HTTP \d+\): is us-fake-9 a region EC2 serves\?/)
    assert.doesNotMatch(result.stderr, /XML parse error|Deserialization/)
    assert.ok(result.stderr.trim().split('\n').length <= 2, result.stderr)
  })

  it('an SSM failure says SSM, not EC2', async () => {
    const before = JSON.stringify(await storedLevel(ctx.world))
    const result = await vpcsc(ctx.world, ['deny-test', '--yes'], {env: {AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:9'}})
    assert.equal(result.code, 1, show(result))
    assert.match(result.stderr, /Cannot reach AWS SSM: .*ECONNREFUSED/)
    assert.doesNotMatch(result.stderr, /EC2/)
    assert.equal(JSON.stringify(await storedLevel(ctx.world)), before)
  })

  it('a stalled EC2 or SSM endpoint ends within --request-timeout, naming the service', async () => {
    const sockets = new Set<Socket>()
    const hole = createServer((socket) => void sockets.add(socket))
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve))
    const stalled = `http://127.0.0.1:${(hole.address() as {port: number}).port}`
    try {
      const ec2 = await vpcsc(ctx.world, ['status', '--request-timeout', '1s'], {env: {AWS_ENDPOINT_URL_EC2: stalled}})
      assert.equal(ec2.code, 1, show(ec2))
      assert.match(ec2.stderr, /No answer from AWS EC2( in us-east-1)? within 1s\./) // the read region is named
      assert.doesNotMatch(ec2.stderr, /\[WARN\]|node-http-handler/)
      const ssm = await vpcsc(ctx.world, ['deny-test', '--yes', '--request-timeout', '1s'], {env: {AWS_ENDPOINT_URL_SSM: stalled}})
      assert.equal(ssm.code, 1, show(ssm))
      assert.match(ssm.stderr, /SendCommand: No answer from AWS SSM within 1s\b/)
      assert.doesNotMatch(ssm.stderr, /EC2|node-http-handler/)
      assert.ok(sockets.size > 0, 'the calls reached the stalled endpoint')
    } finally {
      hole.close()
      for (const socket of sockets) socket.destroy()
    }
  })
})
