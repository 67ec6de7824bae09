import assert from 'node:assert/strict'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {CONFIG_FILE_NAME, DEFAULT_ACM_ENDPOINT, ENV, loadConfigFile, requireSetting, resolveSettings, type ConfigFile, type FlagValues, type LoadedConfig} from '../../src/lib/core/config.ts'
import {ExitCode, VpcscError} from '../../src/lib/core/errors.ts'

const fileConfig = (values: ConfigFile, file = '/tmp/vpcsc.config.json'): LoadedConfig => ({file, values})
const noFile: LoadedConfig = {values: {}}
const resolve = (flags: FlagValues = {}, env: NodeJS.ProcessEnv = {}, config: LoadedConfig = noFile) => resolveSettings(flags, env, config)

function usage(message?: RegExp, hint?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof VpcscError, `expected a VpcscError, got ${String(error)}`)
    assert.equal(error.exitCode, ExitCode.usage)
    assert.equal(error.exitCode, 2)
    if (message) assert.match(error.message, message)
    if (hint) assert.match(error.hint ?? '', hint)
    return true
  }
}

describe('resolveSettings: precedence flag > env > file > default', () => {
  const file = fileConfig({
    policy: '300',
    projectNumber: '333',
    regions: ['eu-west-3'],
    natGateways: ['nat-0f0f'],
    natTags: ['from=file'],
    vpcs: ['vpc-0f0f'],
    keep: ['203.0.113.0/24'],
    condition: 3,
    profile: 'file-profile',
    allRegions: true,
    impersonateServiceAccount: 'file@p.iam.gserviceaccount.com',
  })
  const env: NodeJS.ProcessEnv = {
    [ENV.policy]: '200',
    [ENV.projectNumber]: '222',
    [ENV.regions]: 'eu-west-2, us-east-1 ,',
    [ENV.natGateways]: 'nat-0e0e,nat-0e1e',
    [ENV.natTags]: 'from=env,team=net',
    [ENV.vpcs]: 'vpc-0e0e',
    [ENV.keep]: '198.51.100.0/24, 2001:db8::/32',
    [ENV.condition]: '2',
    [ENV.profile]: 'env-profile',
    [ENV.allRegions]: 'false',
    [ENV.impersonateServiceAccount]: 'env@p.iam.gserviceaccount.com',
  }
  const flags: FlagValues = {
    policy: '100',
    'project-number': '111',
    region: ['eu-west-1'],
    'nat-gateway': ['nat-0a0a'],
    'nat-tag': ['from=flag'],
    vpc: ['vpc-0a0a'],
    keep: ['8.8.8.8'],
    condition: '1',
    profile: 'flag-profile',
    'impersonate-service-account': 'flag@p.iam.gserviceaccount.com',
  }

  it('defaults when nothing is given', () => {
    const s = resolve()
    assert.equal(s.policy, undefined)
    assert.equal(s.level, undefined)
    assert.equal(s.perimeter, undefined)
    assert.deepEqual(s.regions, [])
    assert.equal(s.allRegions, false)
    assert.deepEqual(s.natGatewayIds, [])
    assert.deepEqual(s.natTags, [])
    assert.deepEqual(s.vpcIds, [])
    assert.deepEqual(s.keep, [])
    assert.equal(s.condition, undefined)
    assert.equal(s.endpoints.acm, DEFAULT_ACM_ENDPOINT)
    assert.equal(s.configFile, undefined)
  })

  it('the file wins over the default', () => {
    const s = resolve({}, {}, file)
    assert.equal(s.policy, 'accessPolicies/300')
    assert.equal(s.projectNumber, '333')
    assert.deepEqual(s.regions, ['eu-west-3'])
    assert.deepEqual(s.natGatewayIds, ['nat-0f0f'])
    assert.deepEqual(s.natTags, [{key: 'from', value: 'file'}])
    assert.deepEqual(s.vpcIds, ['vpc-0f0f'])
    assert.deepEqual(s.keep.map((c) => c.text), ['203.0.113.0/24'])
    assert.deepEqual(s.condition, {value: 3, source: {kind: 'file', name: 'condition', file: '/tmp/vpcsc.config.json'}}, 'tagged with its source, for errors found once the level is read')
    assert.equal(s.profile, 'file-profile')
    assert.equal(s.allRegions, true)
    assert.equal(s.impersonateServiceAccount, 'file@p.iam.gserviceaccount.com')
    assert.equal(s.configFile, '/tmp/vpcsc.config.json')
  })

  it('the environment wins over the file (lists are comma-separated and trimmed)', () => {
    const s = resolve({}, env, file)
    assert.equal(s.policy, 'accessPolicies/200')
    assert.equal(s.projectNumber, '222')
    assert.deepEqual(s.regions, ['eu-west-2', 'us-east-1'])
    assert.deepEqual(s.natGatewayIds, ['nat-0e0e', 'nat-0e1e'])
    assert.deepEqual(s.natTags, [{key: 'from', value: 'env'}, {key: 'team', value: 'net'}])
    assert.deepEqual(s.vpcIds, ['vpc-0e0e'])
    assert.deepEqual(s.keep.map((c) => c.text), ['198.51.100.0/24', '2001:db8::/32'])
    assert.deepEqual(s.condition, {value: 2, source: {kind: 'env', name: ENV.condition}})
    assert.equal(s.profile, 'env-profile')
    assert.equal(s.allRegions, false, 'VPCSC_ALL_REGIONS=false overrides the file')
    assert.equal(s.impersonateServiceAccount, 'env@p.iam.gserviceaccount.com')
  })

  it('flags win over the environment and the file', () => {
    const s = resolve(flags, env, file)
    assert.equal(s.policy, 'accessPolicies/100')
    assert.equal(s.projectNumber, '111')
    assert.deepEqual(s.regions, ['eu-west-1'])
    assert.deepEqual(s.natGatewayIds, ['nat-0a0a'])
    assert.deepEqual(s.natTags, [{key: 'from', value: 'flag'}])
    assert.deepEqual(s.vpcIds, ['vpc-0a0a'])
    assert.deepEqual(s.keep.map((c) => c.text), ['8.8.8.8/32'])
    assert.deepEqual(s.condition, {value: 1, source: {kind: 'flag', name: 'condition'}})
    assert.equal(s.profile, 'flag-profile')
    assert.equal(s.impersonateServiceAccount, 'flag@p.iam.gserviceaccount.com')
  })

  it('--all-regions wins over VPCSC_ALL_REGIONS=false', () => {
    assert.equal(resolve({'all-regions': true}, {[ENV.allRegions]: 'false'}).allRegions, true)
  })

  it('VPCSC_ALL_REGIONS accepts 1/yes/true and refuses anything else', () => {
    assert.equal(resolve({}, {[ENV.allRegions]: 'YES'}).allRegions, true)
    assert.equal(resolve({}, {[ENV.allRegions]: '1'}).allRegions, true)
    assert.throws(() => resolve({}, {[ENV.allRegions]: 'maybe'}), usage(/VPCSC_ALL_REGIONS "maybe": expected a boolean/))
  })

  it('an empty flag list does not hide the environment or the file', () => {
    const s = resolve({region: [], keep: [], 'nat-gateway': [], 'nat-tag': [], vpc: []}, {[ENV.regions]: 'eu-west-2'}, file)
    assert.deepEqual(s.regions, ['eu-west-2'])
    assert.deepEqual(s.keep.map((c) => c.text), ['203.0.113.0/24'])
    assert.deepEqual(s.natGatewayIds, ['nat-0f0f'])
  })

  it('an empty or blank environment variable does not hide the file', () => {
    const s = resolve({}, {[ENV.regions]: '  ', [ENV.policy]: '', [ENV.keep]: ' , '}, file)
    assert.deepEqual(s.regions, ['eu-west-3'])
    assert.equal(s.policy, 'accessPolicies/300')
    assert.deepEqual(s.keep.map((c) => c.text), ['203.0.113.0/24'], 'a list that names nothing is unset')
    // Nor does it decide the region selection: the file's allRegions stands.
    const all = resolve({}, {[ENV.regions]: ','}, file)
    assert.deepEqual([all.regions, all.allRegions], [['eu-west-3'], true])
  })

  it('VPCSC_ACM_ENDPOINT replaces the default endpoint, without trailing slashes', () => {
    assert.equal(resolve({}, {[ENV.acmEndpoint]: 'http://127.0.0.1:8085//'}).endpoints.acm, 'http://127.0.0.1:8085')
  })

  it('VPCSC_CONDITION must be a non-negative integer', () => {
    assert.throws(() => resolve({}, {[ENV.condition]: 'one'}), usage(/VPCSC_CONDITION "one": expected a condition index, 0 to 39/))
    assert.throws(() => resolve({}, {[ENV.condition]: '-1'}), usage(/VPCSC_CONDITION/))
    assert.throws(() => resolve({}, {[ENV.condition]: '1.5'}), usage(/VPCSC_CONDITION/))
    assert.equal(resolve({}, {[ENV.condition]: '0'}).condition?.value, 0)
  })
})

describe('resolveSettings: the region selection (a list, or every region) is one setting', () => {
  const selection = (flags: FlagValues, env: NodeJS.ProcessEnv, values: ConfigFile) => {
    const s = resolve(flags, env, fileConfig(values))
    return {regions: s.regions, allRegions: s.allRegions}
  }

  it('--region overrides allRegions from the config file and from VPCSC_ALL_REGIONS', () => {
    assert.deepEqual(selection({region: ['eu-west-1']}, {}, {allRegions: true}), {regions: ['eu-west-1'], allRegions: false})
    assert.deepEqual(selection({region: ['us-east-1']}, {[ENV.allRegions]: '1'}, {}), {regions: ['us-east-1'], allRegions: false})
  })

  it('VPCSC_REGIONS overrides the file\'s allRegions; VPCSC_ALL_REGIONS the file\'s regions', () => {
    assert.deepEqual(selection({}, {[ENV.regions]: 'eu-west-2'}, {allRegions: true}), {regions: ['eu-west-2'], allRegions: false})
    assert.deepEqual(selection({}, {[ENV.allRegions]: 'true'}, {regions: ['eu-west-3']}), {regions: [], allRegions: true})
  })

  it('--all-regions overrides a list from the environment or the file', () => {
    assert.deepEqual(selection({'all-regions': true}, {[ENV.regions]: 'eu-west-2'}, {regions: ['eu-west-3']}), {regions: [], allRegions: true})
  })

  it('--no-all-regions overrides the file: the AWS default region, or the listed ones given with it', () => {
    assert.deepEqual(selection({'all-regions': false}, {}, {regions: ['eu-west-3'], allRegions: true}), {regions: [], allRegions: false})
    assert.deepEqual(selection({'all-regions': false, region: ['eu-west-1']}, {[ENV.allRegions]: 'yes'}, {allRegions: true}), {regions: ['eu-west-1'], allRegions: false})
  })

  it('within the source that decides, both keys count (every region, asked in the listed one)', () => {
    assert.deepEqual(selection({}, {}, {regions: ['eu-west-3'], allRegions: true}), {regions: ['eu-west-3'], allRegions: true})
    assert.deepEqual(selection({region: ['eu-west-1'], 'all-regions': true}, {}, {}), {regions: ['eu-west-1'], allRegions: true})
  })

  it('a key of a source that does not decide is neither used nor checked', () => {
    assert.deepEqual(selection({region: ['eu-west-1']}, {[ENV.allRegions]: 'maybe'}, {}), {regions: ['eu-west-1'], allRegions: false})
    assert.deepEqual(selection({'all-regions': true}, {[ENV.regions]: 'mars-1'}, {}), {regions: [], allRegions: true})
    assert.throws(() => resolve({}, {[ENV.allRegions]: 'maybe'}, fileConfig({regions: ['eu-west-1']})), usage(/^VPCSC_ALL_REGIONS "maybe": expected a boolean/))
  })

  it("AWS_REGION is checked whenever it is the region read: the deciding source lists none", () => {
    assert.throws(() => resolveSettings({'all-regions': true}, {AWS_REGION: 'mars-1'}, fileConfig({regions: ['eu-west-1']}), [], {callsAws: true}), usage(/^AWS_REGION "mars-1"/))
    assert.deepEqual(resolve({}, {AWS_REGION: 'mars-1', [ENV.regions]: 'eu-west-1'}, fileConfig({allRegions: true})).regions, ['eu-west-1'])
  })
})

describe('resolveSettings: policy, level and perimeter names', () => {
  it('normalises a policy number to accessPolicies/N', () => {
    assert.equal(resolve({policy: '123'}).policy, 'accessPolicies/123')
    assert.equal(resolve({policy: 'accessPolicies/123'}).policy, 'accessPolicies/123')
  })

  it('refuses a policy that is neither', () => {
    assert.throws(() => resolve({policy: 'organizations/1'}), usage(/^--policy "organizations\/1": expected a policy number or accessPolicies\/NUMBER\.$/, /policies list/))
    assert.throws(() => resolve({}, {[ENV.policy]: 'accessPolicies/abc'}), usage(/^VPCSC_POLICY "accessPolicies\/abc": expected a policy number/))
  })

  it('turns a level short id plus the policy into the full name', () => {
    assert.equal(resolve({policy: '123', level: 'test_allow_ec2_ip'}).level, 'accessPolicies/123/accessLevels/test_allow_ec2_ip')
    assert.equal(resolve({}, {[ENV.policy]: '123', [ENV.level]: 'lvl'}).level, 'accessPolicies/123/accessLevels/lvl')
  })

  it('turns a perimeter short id plus the policy into the full name', () => {
    assert.equal(resolve({policy: '123', perimeter: 'test_vertex_ai_perimeter'}).perimeter, 'accessPolicies/123/servicePerimeters/test_vertex_ai_perimeter')
  })

  it('a full level name implies the policy (for the settings and for a short perimeter id)', () => {
    const s = resolve({level: 'accessPolicies/456/accessLevels/lvl', perimeter: 'per'})
    assert.equal(s.policy, 'accessPolicies/456')
    assert.equal(s.level, 'accessPolicies/456/accessLevels/lvl')
    assert.equal(s.perimeter, 'accessPolicies/456/servicePerimeters/per')
  })

  it('a full perimeter name implies the policy', () => {
    assert.equal(resolve({perimeter: 'accessPolicies/789/servicePerimeters/per'}).policy, 'accessPolicies/789')
  })

  it('a full name in the matching policy is fine', () => {
    assert.equal(resolve({policy: '456', level: 'accessPolicies/456/accessLevels/lvl'}).level, 'accessPolicies/456/accessLevels/lvl')
  })

  it('a full level name in another policy than --policy: usage error', () => {
    assert.throws(() => resolve({policy: '123', level: 'accessPolicies/456/accessLevels/lvl'}), usage(/accessPolicies\/456\/accessLevels\/lvl is not in the policy accessPolicies\/123/))
  })

  it('a full perimeter name in another policy than the level: usage error', () => {
    assert.throws(
      () => resolve({level: 'accessPolicies/456/accessLevels/lvl', perimeter: 'accessPolicies/789/servicePerimeters/per'}),
      usage(/not in the policy accessPolicies\/456/),
    )
  })

  it('a short level id without a policy: usage error naming --policy', () => {
    assert.throws(() => resolve({level: 'lvl'}), usage(/"lvl" is a short id, so the access policy is needed/, /--policy/))
    assert.throws(() => resolve({perimeter: 'per'}), usage(/"per" is a short id/, /--policy.*VPCSC_POLICY/))
  })

  for (const bad of ['1level', 'my-level', 'a'.repeat(51), 'level with space', 'accessPolicies/123/accessLevels/bad-id', 'accessPolicies/x/accessLevels/lvl', '']) {
    it(`refuses the invalid level id ${JSON.stringify(bad.length > 20 ? `${bad.slice(0, 10)}...` : bad)}`, () => {
      assert.throws(() => resolve({policy: '123', level: bad}), usage(/^--level ".*": expected an id such as my_allow_level \(a letter, then letters, digits and _; at most 50\) or accessPolicies\/NUMBER\/accessLevels\/ID\.$/, /levels list/))
    })
  }

  it('accepts a 50-character id', () => {
    const id = `a${'b'.repeat(49)}`
    assert.equal(resolve({policy: '1', level: id}).level, `accessPolicies/1/accessLevels/${id}`)
  })

  it('refuses an invalid perimeter id', () => {
    assert.throws(() => resolve({policy: '1', perimeter: 'per-imeter'}), usage(/^--perimeter "per-imeter": expected an id such as my_perimeter/))
  })

  it('a policy overridden by a full level name is not checked: it is not used', () => {
    const level = 'accessPolicies/7/accessLevels/lvl'
    assert.equal(resolve({level}, {[ENV.policy]: 'abc'}).policy, 'accessPolicies/7')
    assert.equal(resolveSettings({}, {[ENV.level]: level}, {file: '/c.json', values: {policy: 'abc'}}).policy, 'accessPolicies/7')
    assert.throws(() => resolve({level: 'lvl'}, {[ENV.policy]: 'abc'}), usage(/^VPCSC_POLICY "abc": expected a policy number/))
  })

  it('a bad policy is one problem, named with its source: the short ids that need it add none', () => {
    const error = (() => {
      try {
        resolve({policy: 'abc', level: 'x'}, {[ENV.perimeter]: 'p'})
      } catch (caught) {
        return caught as VpcscError
      }
      throw new Error('no error')
    })()
    assert.equal(error.message, '--policy "abc": expected a policy number or accessPolicies/NUMBER.')
    const file = {file: '/etc/vpcsc.config.json', values: {policy: 'abc', level: 'bad-id'}}
    assert.throws(() => resolveSettings({}, {}, file), usage(/^2 settings are invalid: \/etc\/vpcsc\.config\.json: field "policy" "abc": expected a policy number .*; \/etc\/vpcsc\.config\.json: field "level" "bad-id": expected an id/))
  })
})

describe('resolveSettings: tags and kept CIDRs', () => {
  it('splits a tag at the first =', () => {
    assert.deepEqual(resolve({'nat-tag': ['vpcsc=egress', 'k=a=b', 'empty=']}).natTags, [
      {key: 'vpcsc', value: 'egress'},
      {key: 'k', value: 'a=b'},
      {key: 'empty', value: ''},
    ])
  })

  for (const bad of ['novalue', '=value']) {
    it(`refuses the tag ${JSON.stringify(bad)}`, () => {
      assert.throws(() => resolve({'nat-tag': [bad]}), usage(new RegExp(`--nat-tag "${bad}": expected KEY=VALUE`), /--nat-tag KEY=VALUE/))
      assert.throws(() => resolve({}, {[ENV.natTags]: bad}), usage(new RegExp(`VPCSC_NAT_TAGS "${bad}": expected KEY=VALUE`)))
    })
  }

  it('canonicalises kept CIDRs', () => {
    assert.deepEqual(resolve({keep: ['2001:DB8::/32', ' 8.8.8.8 ']}).keep.map((c) => c.text), ['2001:db8::/32', '8.8.8.8/32'])
  })

  it('a bad --keep CIDR: usage error with the reason', () => {
    assert.throws(() => resolve({keep: ['10.0.0.0/8']}), usage(/--keep "10\.0\.0\.0\/8" is in or overlaps the private \(RFC 1918\) range/, /public CIDRs/))
    assert.throws(() => resolve({keep: ['192.0.2.1/24']}), usage(/host bits set; the range is 192\.0\.2\.0\/24/))
    assert.throws(() => resolve({keep: ['nonsense']}), usage(/"nonsense" is not an IPv4 or IPv6 address/))
    assert.throws(() => resolve({}, {[ENV.keep]: '203.0.113.10,127.0.0.1'}), usage(/"127\.0\.0\.1" is in or overlaps the loopback range/))
  })
})

describe('requireSetting', () => {
  it('returns a given value and names flag, env and key when missing', () => {
    assert.equal(requireSetting('x', 'level', ENV.level, 'level'), 'x')
    assert.throws(() => requireSetting(undefined, 'level', ENV.level, 'level'), usage(/Missing --level/, /VPCSC_LEVEL.*"level" in vpcsc\.config\.json/))
  })
})

describe('loadConfigFile', () => {
  let dir = ''
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'vpcsc-config-test-'))
  })
  after(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  async function write(name: string, text: string): Promise<string> {
    const file = path.join(dir, name)
    await writeFile(file, text)
    return file
  }

  // A field's problem is reported when the settings are resolved, with every other problem.
  async function rejects(explicit: string | undefined, cwd: string, message: RegExp): Promise<VpcscError> {
    let caught: unknown
    await assert.rejects(async () => resolveSettings({}, {}, await loadConfigFile(explicit, cwd)), (error: unknown) => {
      caught = error
      return usage(message)(error)
    })
    const error = caught as VpcscError
    assert.doesNotMatch(error.message, /\n/, 'one line')
    return error
  }

  it("a field's problem is reported with every other problem: flags, variables, missing settings", async () => {
    const file = await write('mixed.json', JSON.stringify({timeout: 'abc'}))
    const loaded = await loadConfigFile(file, dir)
    assert.throws(() => resolveSettings({region: ['mars-1']}, {}, loaded, ['policy', 'level']), (error: unknown) => {
      const message = (error as VpcscError).message
      assert.match(message, /^3 problems with the settings: /)
      assert.ok(message.includes(`${file}: field "timeout": is not a duration for the timeout`), message)
      assert.match(message, /--region "mars-1": expected an AWS region/)
      assert.match(message, /; missing --policy and --level\.$/)
      return true
    })
  })

  it('the place that does not decide is neither used nor checked: a flag or variable over a bad field', async () => {
    const loaded = await loadConfigFile(await write('overridden.json', JSON.stringify({regions: ['mars-1'], allRegions: 'yes', timeout: 'abc', accounts: [{roleArn: 'nope'}]})), dir)
    const settings = resolveSettings({region: ['us-east-1'], timeout: '5m', 'assume-role': ['arn:aws:iam::111111111111:role/r']}, {}, loaded)
    assert.deepEqual(settings.regions, ['us-east-1'])
    assert.equal(settings.allRegions, false)
    assert.equal(settings.timeoutMs, 300_000)
    assert.deepEqual(settings.accounts.map((a) => a.roleArn), ['arn:aws:iam::111111111111:role/r'])
    assert.equal(resolveSettings({}, {[ENV.regions]: 'eu-west-1', [ENV.timeout]: '1m', [ENV.assumeRoles]: 'arn:aws:iam::111111111111:role/r'}, loaded).timeoutMs, 60_000)
    // Without the flags, the file decides, and each of its problems is named.
    assert.throws(() => resolveSettings({}, {}, loaded), usage(/4 problems: .*field "accounts\[0\]\.roleArn".*field "regions\[0\]".*field "allRegions".*field "timeout"/))
  })

  it('a needed setting given with a bad value is reported once, not as missing too', async () => {
    const loaded = await loadConfigFile(await write('bad-level.json', JSON.stringify({policy: '123', level: 'bad id'})), dir)
    assert.throws(() => resolveSettings({}, {}, loaded, ['policy', 'level']), (error: unknown) => {
      assert.match((error as VpcscError).message, /^\S+bad-level\.json: field "level": expected an id such as/)
      assert.doesNotMatch((error as VpcscError).message, /missing/i)
      return true
    })
  })

  it("a bad policy field is not checked when a flag's full level name gives the policy", async () => {
    const loaded = await loadConfigFile(await write('bad-policy.json', JSON.stringify({policy: 'abc'})), dir)
    assert.equal(resolveSettings({level: 'accessPolicies/123/accessLevels/lvl'}, {}, loaded, ['policy', 'level']).policy, 'accessPolicies/123')
  })

  it("a bad policy field is reported, not taken for a missing policy, when nothing else gives the policy", async () => {
    const loaded = await loadConfigFile(await write('bad-policy-only.json', JSON.stringify({policy: 'abc', level: 'bad-id'})), dir)
    assert.throws(() => resolveSettings({}, {}, loaded, ['policy', 'level']), usage(/2 problems: field "policy": expected a policy number.*; field "level": expected an id/))
  })

  it('an unknown field is reported whatever the flags give', async () => {
    const loaded = await loadConfigFile(await write('unknown.json', JSON.stringify({levle: 'x', policy: '123'})), dir)
    assert.throws(() => resolveSettings({policy: '456', level: 'lvl'}, {}, loaded), usage(/unknown field "levle"/))
  })

  it('a missing default file is fine', async () => {
    const empty = await mkdtemp(path.join(dir, 'empty-'))
    assert.deepEqual(await loadConfigFile(undefined, empty), {values: {}})
  })

  it('reads the default file from the working directory', async () => {
    const sub = await mkdtemp(path.join(dir, 'cwd-'))
    await writeFile(path.join(sub, CONFIG_FILE_NAME), JSON.stringify({policy: '123', level: 'lvl', keep: ['198.51.100.0/24'], condition: 0}))
    const loaded = await loadConfigFile(undefined, sub)
    assert.equal(loaded.file, path.join(sub, CONFIG_FILE_NAME))
    assert.deepEqual(loaded.values, {policy: '123', level: 'lvl', keep: ['198.51.100.0/24'], condition: 0})
  })

  it('reads --config relative to the working directory, and accepts $schema', async () => {
    await write('good.json', JSON.stringify({$schema: './schema.json', regions: ['eu-west-1'], natTags: ['vpcsc=egress'], natGateways: ['nat-0abc123'], vpcs: ['vpc-0abc']}))
    const loaded = await loadConfigFile('good.json', dir)
    assert.equal(loaded.file, path.join(dir, 'good.json'))
    assert.deepEqual(loaded.values.regions, ['eu-west-1'])
    assert.deepEqual(loaded.values.natGateways, ['nat-0abc123'])
  })

  it('a missing --config file: usage error naming the file', async () => {
    const missing = path.join(dir, 'nope.json')
    const error = await rejects(missing, dir, /Cannot read config file .*nope\.json: ENOENT/)
    assert.ok(error.message.includes(missing))
    assert.match(error.hint ?? '', /--config/)
  })

  it('invalid JSON: usage error naming the file', async () => {
    const file = await write('broken.json', '{"policy": "123",}')
    const error = await rejects(file, dir, /not valid JSON/)
    assert.ok(error.message.startsWith(`${file}:`), error.message)
  })

  it('an unknown key: the message names it and lists the valid ones', async () => {
    const file = await write('typo.json', JSON.stringify({policy: '123', levle: 'lvl'}))
    const error = await rejects(file, dir, /unknown field "levle"/)
    assert.ok(error.message.includes(file))
    assert.match(error.message, /expected one of: policy, level, perimeter, projectNumber, regions/)
    assert.match(error.message, /keep/)
    assert.doesNotMatch(error.message, /\$schema/)
  })

  it('a wrong type in a nested array: the message names keep[1] and the file', async () => {
    const file = await write('type.json', JSON.stringify({keep: ['198.51.100.0/24', 42]}))
    const error = await rejects(file, dir, /field "keep\[1\]": expected string, received number/)
    assert.ok(error.message.includes(file))
  })

  it('a wrong type at the top level names the field', async () => {
    const file = await write('type2.json', JSON.stringify({regions: 'eu-west-1'}))
    await rejects(file, dir, /field "regions": expected array/)
  })

  it('a bad value names the field and what is expected', async () => {
    const file = await write('region.json', JSON.stringify({regions: ['eu-west-1', 'Europe']}))
    await rejects(file, dir, /field "regions\[1\]": expected an AWS region such as eu-west-1/)
    const file2 = await write('nat.json', JSON.stringify({natGateways: ['gw-1']}))
    await rejects(file2, dir, /field "natGateways\[0\]": expected a NAT gateway id/)
    const file3 = await write('cond.json', JSON.stringify({condition: 40}))
    await rejects(file3, dir, /field "condition"/)
  })

  it('a private CIDR in keep: the message says why', async () => {
    const file = await write('private.json', JSON.stringify({keep: ['203.0.113.10/32', '10.0.0.0/8']}))
    const error = await rejects(file, dir, /field "keep\[1\]": "10\.0\.0\.0\/8" is in or overlaps the private \(RFC 1918\) range/)
    assert.ok(error.message.includes(file))
  })

  it('names every problem at once, each with its field, and lists them in details', async () => {
    const file = await write('many.json', JSON.stringify({keep: ['10.0.0.0/8'], regions: ['x'], natGateways: ['y']}))
    const error = await rejects(file, dir, /: 3 problems: field "regions\[0\]": .*; field "natGateways\[0\]": expected a NAT gateway id .*; field "keep\[0\]": .*private/)
    assert.equal((error.details as {problems: string[]}).problems.length, 3)
  })

  it('a wrong type keeps the type in the message, for the condition index and the service account too', async () => {
    await rejects(await write('cond-type.json', JSON.stringify({condition: '5'})), dir, /field "condition": expected number, received string\./)
    await rejects(await write('sa-type.json', JSON.stringify({impersonateServiceAccount: 5})), dir, /field "impersonateServiceAccount": expected string, received number\./)
    await rejects(await write('cond-float.json', JSON.stringify({condition: 1.5})), dir, /field "condition": expected a condition index, 0 to 39\./)
  })

  it("an unknown field in an accounts entry lists an entry's fields", async () => {
    const error = await rejects(await write('acct.json', JSON.stringify({accounts: [{roleArn: 'arn:aws:iam::111111111111:role/r', region: ['x']}]})), dir, /field "accounts\[0\]": unknown field "region"; expected one of: roleArn, externalId, regions, natTags, vpcs, natGateways\./)
    assert.doesNotMatch(error.message, /policy/)
  })

  it("an external id that sts:AssumeRole would refuse is named with its field, before any call", async () => {
    await rejects(await write('ext-id.json', JSON.stringify({accounts: [{roleArn: 'arn:aws:iam::111111111111:role/r', externalId: 'vpcsc 7f3a'}]})), dir, /field "accounts\[0\]\.externalId": expected letters, digits and _\+=,\.@:\/- only \(no spaces\)\./)
  })

  it('JSON that is not an object is refused', async () => {
    const file = await write('array.json', '[1, 2]')
    await rejects(file, dir, /expected object/)
  })
})

describe('resolveSettings: member accounts', () => {
  const ARN_A = 'arn:aws:iam::111111111111:role/vpcsc-reader'
  const ARN_B = 'arn:aws-us-gov:iam::222222222222:role/ops/vpcsc-reader'
  const ARN_C = 'arn:aws-cn:iam::333333333333:role/r'

  it('none by default', () => {
    assert.deepEqual(resolve().accounts, [])
  })

  it('the config file: per-account keys replace the top-level ones for that account only', () => {
    const s = resolve({}, {}, fileConfig({natTags: ['team=net'], accounts: [{roleArn: ARN_A, externalId: 'ext-1', regions: ['eu-west-1'], natTags: ['vpcsc=egress'], vpcs: ['vpc-0a'], natGateways: ['nat-0a']}, {roleArn: ARN_B}]}))
    assert.deepEqual(s.accounts, [
      {roleArn: ARN_A, accountId: '111111111111', roleName: 'vpcsc-reader', externalId: 'ext-1', regions: ['eu-west-1'], natTags: [{key: 'vpcsc', value: 'egress'}], vpcIds: ['vpc-0a'], natGatewayIds: ['nat-0a']},
      {roleArn: ARN_B, accountId: '222222222222', roleName: 'vpcsc-reader', externalId: undefined, regions: undefined, natTags: undefined, vpcIds: undefined, natGatewayIds: undefined},
    ])
    assert.deepEqual(s.natTags, [{key: 'team', value: 'net'}])
  })

  it('--assume-role > VPCSC_ASSUME_ROLES > the file, duplicates read once', () => {
    const file = fileConfig({accounts: [{roleArn: ARN_A}]})
    const env = {[ENV.assumeRoles]: `${ARN_B}, ${ARN_C},${ARN_B}`}
    assert.deepEqual(resolve({'assume-role': [ARN_C, ARN_C]}, env, file).accounts.map((a) => a.roleArn), [ARN_C])
    assert.deepEqual(resolve({}, env, file).accounts.map((a) => [a.accountId, a.roleName]), [['222222222222', 'vpcsc-reader'], ['333333333333', 'r']])
    assert.deepEqual(resolve({}, {}, file).accounts.map((a) => a.roleArn), [ARN_A])
  })

  for (const bad of ['arn:aws:iam::11111111111:role/x', 'arn:aws:iam::111111111111:user/x', 'arn:aws:sts::111111111111:assumed-role/x/s', 'arn:aws-xx:iam::111111111111:role/x', 'arn:aws:iam::111111111111:role/', 'vpcsc-reader']) {
    it(`refuses "${bad}", naming the flag or the variable`, () => {
      assert.throws(() => resolve({'assume-role': [bad]}), usage(/^--assume-role: ".*" is not an IAM role ARN\.$/, /arn:PARTITION:iam::ACCOUNT_ID:role\/NAME/))
      assert.throws(() => resolve({}, {[ENV.assumeRoles]: bad}), usage(/^VPCSC_ASSUME_ROLES: ".*" is not an IAM role ARN\.$/))
    })
  }

  it('the config file schema names the field of a bad ARN or an unknown account key', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vpcsc-accounts-'))
    try {
      const file = path.join(dir, CONFIG_FILE_NAME)
      await writeFile(file, JSON.stringify({accounts: [{roleArn: 'arn:aws:iam::111111111111:role/ok'}, {roleArn: 'nope'}]}))
      await assert.rejects(async () => resolveSettings({}, {}, await loadConfigFile(file)), usage(/field "accounts\[1\]\.roleArn": expected an IAM role ARN/))
      await writeFile(file, JSON.stringify({accounts: [{roleArn: 'arn:aws:iam::111111111111:role/ok', region: 'eu-west-1'}]}))
      await assert.rejects(async () => resolveSettings({}, {}, await loadConfigFile(file)), usage(/field "accounts\[0\]": unknown field "region"/))
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})

describe('resolveSettings: what its messages name', () => {
  it('the kept CIDRs carry their source: the flag, the variable or the file that decides them', () => {
    const file = fileConfig({keep: ['192.0.2.0/24']}, '/etc/vpcsc/team.json')
    assert.deepEqual(resolve({keep: ['198.51.100.0/24']}, {VPCSC_KEEP: '203.0.113.0/24'}, file).keepSource, {kind: 'flag', name: 'keep'})
    assert.deepEqual(resolve({}, {VPCSC_KEEP: '203.0.113.0/24'}, file).keepSource, {kind: 'env', name: 'VPCSC_KEEP'})
    assert.deepEqual(resolve({}, {}, file).keepSource, {kind: 'file', name: 'keep', file: '/etc/vpcsc/team.json'})
    assert.equal(resolve().keepSource, undefined)
  })

  it('a missing setting: the hint names the config file read, else vpcsc.config.json', () => {
    const need = (config: LoadedConfig) => () => resolveSettings({policy: '1'}, {}, config, ['policy', 'level'])
    assert.throws(need(fileConfig({}, '/work/bad.json')), usage(/^Missing --level\.$/, /^Set --level \(or VPCSC_LEVEL, or "level" in \/work\/bad\.json\)\.$/))
    assert.throws(need(noFile), usage(/^Missing --level\.$/, new RegExp(`"level" in ${CONFIG_FILE_NAME.replace('.', '\\.')}\\)`)))
    // A short id without a policy, from a file: the hint names that file too.
    assert.throws(() => resolveSettings({}, {}, fileConfig({level: 'short_id'}, '/work/team.json'), [], {uses: ['level']}), usage(/short id/, /"policy" in \/work\/team\.json/))
  })

  it('an empty --profile is one problem: not also "not a profile"', () => {
    assert.throws(() => resolveSettings({profile: ''}, {AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent'}, noFile, [], {callsAws: true}), usage(/^--profile "": must not be empty\.$/))
  })
})
