import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {ENV, loadConfigFile, resolveSettings, type ConfigFile, type FlagValues, type LoadedConfig} from '../../src/lib/core/config.ts'
import {VpcscError} from '../../src/lib/core/errors.ts'

const FILE = '/etc/vpcsc/vpcsc.config.json'
const fileConfig = (values: ConfigFile): LoadedConfig => ({file: FILE, values})
const resolve = (flags: FlagValues = {}, env: NodeJS.ProcessEnv = {}, config: LoadedConfig = {values: {}}) => resolveSettings(flags, env, config)

/** The usage error's message, asserting it is one (exit 2). */
function problem(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    assert.ok(error instanceof VpcscError, String(error))
    assert.equal(error.exitCode, 2)
    assert.ok(error.hint)
    return error.message
  }
  assert.fail('expected a usage error')
}

describe('one validation for flags, environment and config file', () => {
  // Each setting the file's schema checks, with a bad value, the flag and the env variable.
  const cases: [key: keyof ConfigFile, flag: keyof FlagValues, env: string, bad: string, reason: RegExp][] = [
    ['projectNumber', 'project-number', ENV.projectNumber, 'abc', /expected a project number \(digits only\)/],
    ['location', 'location', ENV.location, 'Bad!', /expected a Vertex AI location/],
    ['impersonateServiceAccount', 'impersonate-service-account', ENV.impersonateServiceAccount, 'not-an-email', /expected a service account email/],
    ['probeTimeout', 'probe-timeout', ENV.probeTimeout, 'soon', /is not a duration for the probe timeout/],
    ['probeTimeout', 'probe-timeout', ENV.probeTimeout, '3d', /is longer than 2 days, the longest probe timeout, SSM's longest run of a command/],
    ['probeTimeout', 'probe-timeout', ENV.probeTimeout, '10ms', /is shorter than 1 second, the shortest probe timeout\.$/],
    ['probeTimeout', 'probe-timeout', ENV.probeTimeout, '0s', /is no time at all: the probe timeout must be longer than zero/],
    ['timeout', 'timeout', ENV.timeout, '0', /is no time at all: the timeout must be longer than zero/],
    ['probeInterval', 'probe-interval', ENV.probeInterval, 'often', /is not a duration for the probe interval/],
    ['probeInterval', 'probe-interval', ENV.probeInterval, '25d', /is longer than 24 days, the longest probe interval, the limit of Node\.js timers\.$/],
    ['timeout', 'timeout', ENV.timeout, '40d', /is longer than 24 days, the longest timeout, the limit of Node\.js timers\.$/],
    ['requestTimeout', 'request-timeout', ENV.requestTimeout, '25d', /is longer than 24 days, the longest request timeout, the limit of Node\.js timers\.$/],
    ['timeout', 'timeout', ENV.timeout, 'forever', /is not a duration for the timeout/],
    ['instanceId', 'instance-id', ENV.instanceId, 'instance-1', /expected an EC2 instance id/],
    ['probe', 'probe', ENV.probe, 'docker', /expected ssm or local/],
    ['tfvarsVar', 'tfvars-var', ENV.tfvarsVar, 'allowed cidrs', /is not a valid identifier: expected a Terraform variable name/],
  ]
  for (const [key, flag, env, bad, reason] of cases) {
    it(`${key} "${bad}": refused from --${flag}, ${env} and the file, each named`, () => {
      const quoted = JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      assert.match(problem(() => resolve({[flag]: bad} as FlagValues)), new RegExp(`^--${flag} ${quoted}:? ${reason.source}`))
      assert.match(problem(() => resolve({}, {[env]: bad})), new RegExp(`^${env} ${quoted}:? ${reason.source}`))
      assert.match(problem(() => resolve({}, {}, fileConfig({[key]: bad}))), new RegExp(`^${FILE.replace(/\./g, '\\.')}: field "${key}" ${quoted}:? ${reason.source}`))
    })
  }

  it('a region in the wrong format, and a well-formed one no AWS partition has', () => {
    assert.match(problem(() => resolve({region: ['US-EAST-1']})), /^--region "US-EAST-1": expected an AWS region such as eu-west-1\.$/)
    assert.match(problem(() => resolve({}, {[ENV.regions]: 'eu-west-1,xx-fake-9'})), /^VPCSC_REGIONS "xx-fake-9" is not an AWS region: no AWS partition has regions named like it/)
    assert.match(problem(() => resolve({}, {}, fileConfig({regions: ['xx-fake-9']}))), /field "regions" "xx-fake-9" is not an AWS region/)
    // real ones, including partitions besides aws and a region newer than any list
    assert.deepEqual(resolve({region: ['us-east-1', 'cn-north-1', 'us-gov-west-1', 'eusc-de-east-1', 'ap-southeast-7', 'mx-central-1']}).regions.length, 6)
  })

  it("what a command needs is named with every other problem, once: a short-id perimeter does not hide the missing level", () => {
    const needs = ['policy', 'level', 'perimeter'] as const
    assert.match(problem(() => resolveSettings({}, {[ENV.perimeter]: 'my_perimeter'}, {values: {}}, needs)), /^Missing --policy and --level\.$/)
    const both = problem(() => resolveSettings({region: ['mars-1']}, {[ENV.perimeter]: 'my_perimeter'}, {values: {}}, needs))
    assert.match(both, /^2 problems with the settings: --region "mars-1": .*; missing --policy and --level\.$/)
    // Not needed by the command: the short id itself is the problem, as before.
    assert.match(problem(() => resolveSettings({}, {[ENV.perimeter]: 'my_perimeter'}, {values: {}}, [])), /short id, so the access policy is needed/)
    assert.equal(resolveSettings({policy: '1', level: 'l'}, {[ENV.perimeter]: 'my_perimeter'}, {values: {}}, needs).perimeter, 'accessPolicies/1/servicePerimeters/my_perimeter')
  })

  it("the SDK's region variables are checked like --region when vpcsc has no region of its own", () => {
    assert.match(problem(() => resolveSettings({}, {AWS_REGION: 'xx-fake-9'}, {values: {}}, [], {callsAws: true})), /^AWS_REGION "xx-fake-9" is not an AWS region/)
    assert.match(problem(() => resolveSettings({}, {AWS_DEFAULT_REGION: 'Europe'}, {values: {}}, [], {callsAws: true})), /^AWS_DEFAULT_REGION "Europe": expected an AWS region such as eu-west-1\.$/)
    assert.deepEqual(resolve({region: ['eu-west-1']}, {AWS_REGION: 'xx-fake-9'}).regions, ['eu-west-1'], 'a region of its own wins, as it is the one read')
    assert.deepEqual(resolve({}, {AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'bad'}).regions, [], 'AWS_REGION wins over AWS_DEFAULT_REGION')
  })

  it('the deny CIDR: TEST-NET only, refused from --deny-cidr, VPCSC_DENY_CIDR and the file, each named', () => {
    const testNet = /is not in a TEST-NET range \(RFC 5737\): it could admit a real caller\.$/
    assert.match(problem(() => resolve({'deny-cidr': '8.8.8.8/32'})), new RegExp(`^--deny-cidr "8\\.8\\.8\\.8/32" ${testNet.source}`))
    assert.match(problem(() => resolve({}, {[ENV.denyCidr]: '8.8.8.8/32'})), new RegExp(`^VPCSC_DENY_CIDR "8\\.8\\.8\\.8/32" ${testNet.source}`))
    assert.match(problem(() => resolve({}, {}, fileConfig({denyCidr: '8.8.8.8/32'}))), new RegExp(`^${FILE.replace(/\./g, '\\.')}: field "denyCidr" "8\\.8\\.8\\.8/32" ${testNet.source}`))
    assert.match(problem(() => resolve({}, {[ENV.denyCidr]: '192.0.2.1/24'})), /^VPCSC_DENY_CIDR "192\.0\.2\.1\/24" has host bits set/)
    // Only the winning value counts: a good flag over a bad variable is fine.
    assert.equal(resolve({'deny-cidr': '198.51.100.7'}, {[ENV.denyCidr]: '8.8.8.8/32'}).denyCidr.text, '198.51.100.7/32')
  })

  it('the deny CIDR is reported with every other problem, not after them', () => {
    const message = problem(() => resolve({'deny-cidr': '8.8.8.8/32', region: ['mars-1']}))
    assert.match(message, /^2 settings are invalid: --region "mars-1": .*; --deny-cidr "8\.8\.8\.8\/32" is not in a TEST-NET range/)
  })

  it('a condition index out of range keeps the value in the message', () => {
    assert.match(problem(() => resolve({condition: '40'})), /^--condition 40: expected a condition index, 0 to 39 \(a level holds at most 40\)\.$/)
  })

  it('--condition, VPCSC_CONDITION and the file get the same check and the same words', () => {
    for (const bad of ['-1', '1.5', 'one']) {
      assert.equal(problem(() => resolve({condition: bad})), `--condition "${bad}": expected a condition index, 0 to 39.`)
      assert.equal(problem(() => resolve({}, {[ENV.condition]: bad})), `${ENV.condition} "${bad}": expected a condition index, 0 to 39.`)
    }
    assert.equal(resolve({condition: '2'}).condition?.value, 2)
    assert.match(problem(() => resolve({condition: '1.5', region: ['mars-1']})), /^2 settings are invalid: --region "mars-1".*; --condition "1\.5": expected a condition index/)
  })

  it('a wait of 24 days passes', () => {
    assert.equal(resolve({'request-timeout': '24d'}).requestTimeoutMs, 24 * 86_400_000)
  })

  it('a probe timeout at the limits passes: 48 hours, through SSM or from this machine', () => {
    assert.equal(resolve({'probe-timeout': '48h', 'instance-id': 'i-0abc'}).probe.timeoutMs, 172_800_000)
    assert.equal(resolve({'probe-timeout': '2d'}).probe.timeoutMs, 172_800_000)
    assert.equal(resolve({'probe-timeout': '1s'}).probe.timeoutMs, 1000)
  })

  it('every problem at once, each with its source', () => {
    const message = problem(() => resolve({'project-number': 'abc', region: ['xx-fake-9']}, {[ENV.location]: 'Nowhere!', [ENV.probeTimeout]: '40d'}))
    assert.match(message, /^4 settings are invalid: /)
    for (const part of [/--project-number "abc"/, /--region "xx-fake-9"/, /VPCSC_LOCATION "Nowhere!"/, /VPCSC_PROBE_TIMEOUT "40d"/]) assert.match(message, part)
  })

  it('a notification URL: refused from --notify, VPCSC_NOTIFY_URL and the file, each named, the URL never repeated', () => {
    const bad = 'ftp://user:s3cret@hooks.example.com/T000/B000/XXXX'
    const messages = [problem(() => resolve({notify: bad})), problem(() => resolve({}, {[ENV.notifyUrl]: bad})), problem(() => resolve({}, {}, fileConfig({notifyUrl: bad})))]
    assert.deepEqual(
      messages.map((m) => m.replace(/: .*/, '')),
      ['--notify', ENV.notifyUrl, `${FILE}`],
    )
    for (const message of messages) {
      assert.match(message, /expected an http\(s\) URL, not ftp:/)
      assert.ok(!message.includes('s3cret') && !message.includes('XXXX'), message)
    }
  })

  it('a bad notification URL is reported with every other problem, not after them', () => {
    const message = problem(() => resolve({notify: 'hooks.example.com/x', timeout: 'forever'}))
    assert.match(message, /^2 settings are invalid: /)
    assert.match(message, /--notify: expected an http\(s\) URL such as/)
    assert.match(message, /--timeout "forever"/)
  })

  it('only the winning source is checked: a good flag hides a bad env value (precedence holds)', () => {
    const settings = resolve({'project-number': '123'}, {[ENV.projectNumber]: 'abc', [ENV.regions]: 'us-east-1'}, fileConfig({regions: ['eu-west-1']}))
    assert.equal(settings.projectNumber, '123')
    assert.deepEqual(settings.regions, ['us-east-1'])
  })

  it('a bad env value under a flag that wins is not an error; a bad flag over a good env value is', () => {
    assert.equal(resolve({location: 'europe-west4'}, {[ENV.location]: 'Bad!'}).probe.location, 'europe-west4')
    assert.match(problem(() => resolve({location: 'Bad!'}, {[ENV.location]: 'europe-west4'})), /^--location "Bad!"/)
  })
})

describe('the AWS profile a command would use must exist (commands that call AWS)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vpcsc-profiles-'))
  writeFileSync(join(dir, 'config'), '[default]\nregion = eu-west-1\n[profile sso-dev]\nsso_session = x\n')
  writeFileSync(join(dir, 'credentials'), '[keys]\naws_access_key_id = x\n')
  const files = {AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials')}
  const check = (flags: FlagValues, env: NodeJS.ProcessEnv) => resolveSettings(flags, {...files, ...env}, {values: {}}, [], {callsAws: true})

  it('a profile of the config file ([profile x]) or of the credentials file ([x]) passes', () => {
    for (const profile of ['sso-dev', 'keys', 'default']) assert.equal(check({profile}, {}).profile, profile)
  })

  it('"default", named but in neither file, is refused as the AWS CLI refuses it; named by nothing, none is needed', () => {
    assert.match(problem(() => check({}, {AWS_PROFILE: 'default', AWS_CONFIG_FILE: join(dir, 'none')})), /^AWS_PROFILE "default" is not a profile in the AWS config or credentials file\.$/)
    assert.equal(check({}, {AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none')}).profile, undefined)
  })

  it('a missing one is named with its source: --profile, AWS_PROFILE, the file', () => {
    assert.match(problem(() => check({profile: 'dev'}, {})), /^--profile "dev" is not a profile in the AWS config or credentials file\.$/)
    assert.match(problem(() => check({}, {AWS_PROFILE: 'dev'})), /^AWS_PROFILE "dev" is not a profile/)
    assert.match(problem(() => resolveSettings({}, files, fileConfig({profile: 'dev'}), [], {callsAws: true})), /^\/etc\/vpcsc\/vpcsc\.config\.json: field "profile" "dev" is not a profile/)
    // The section name in the config file needs its "profile " prefix, as the SDK reads it.
    assert.match(problem(() => check({profile: 'config'}, {})), /not a profile/)
  })

  it('the profile that counts is checked: a good --profile hides a stale AWS_PROFILE; AWS_PROFILE and AWS_REGION unchecked for commands without AWS', () => {
    assert.equal(check({profile: 'keys'}, {AWS_PROFILE: 'gone'}).profile, 'keys')
    assert.equal(resolveSettings({}, {...files, AWS_PROFILE: 'gone', AWS_REGION: 'xx-fake-9'}, {values: {}}, [], {callsAws: false}).profile, 'gone')
    assert.match(problem(() => resolveSettings({}, {...files, AWS_REGION: 'xx-fake-9'}, {values: {}}, [], {callsAws: true})), /^AWS_REGION "xx-fake-9" is not an AWS region/)
  })

  it('cleans up', () => rmSync(dir, {recursive: true, force: true}))
})

describe('a command reads and checks only the settings it uses', () => {
  const uses = ['policy', 'level', 'keep', 'requestTimeout'] as const
  const withUses = (env: NodeJS.ProcessEnv, config: LoadedConfig = {values: {}}, needs: readonly ('policy' | 'level' | 'perimeter')[] = []) => resolveSettings({}, env, config, needs, {uses})

  it('a bad value of a setting it does not use is neither reported nor used: that setting keeps its default', () => {
    const settings = withUses({[ENV.timeout]: 'abc', [ENV.probeInterval]: 'often', [ENV.notifyUrl]: 'ftp://x', [ENV.regions]: 'mars-1', [ENV.assumeRoles]: 'not-a-role', [ENV.condition]: 'one'})
    assert.equal(settings.timeoutMs, undefined)
    assert.equal(settings.probe.intervalMs, 3000)
    assert.equal(settings.notifyUrl, undefined)
    assert.deepEqual([settings.regions, settings.accounts, settings.condition], [[], [], undefined])
    // A good value too: a command that does not use a setting never sees it.
    assert.equal(withUses({[ENV.denyCidr]: '198.51.100.7/32', [ENV.timeout]: '5m'}).denyCidr.text, '192.0.2.1/32')
    assert.equal(withUses({[ENV.timeout]: '5m'}).timeoutMs, undefined)
  })

  it('a bad value of a setting it uses is still reported with its source, with the unused ones left out', () => {
    assert.equal(problem(() => withUses({[ENV.timeout]: 'abc', [ENV.requestTimeout]: 'soon'})), 'VPCSC_REQUEST_TIMEOUT "soon" is not a duration for the request timeout (use e.g. 90s, 30m, 2h or 7d).')
    assert.deepEqual(withUses({[ENV.keep]: '198.51.100.0/24', [ENV.requestTimeout]: '5s'}).keep.map((c) => c.text), ['198.51.100.0/24'])
  })

  it('what it needs is checked and used even when not in the list', () => {
    const needs = ['perimeter'] as const
    assert.match(problem(() => withUses({}, {values: {}}, needs)), /^Missing --perimeter\./)
    assert.match(problem(() => withUses({[ENV.perimeter]: 'bad-id', [ENV.timeout]: 'abc'}, {values: {}}, needs)), /^VPCSC_PERIMETER "bad-id": expected an id/)
    assert.equal(withUses({[ENV.policy]: '1', [ENV.perimeter]: 'p'}, {values: {}}, needs).perimeter, 'accessPolicies/1/servicePerimeters/p')
    // Not needed and not used: the perimeter is left out, a short id without a policy included.
    assert.equal(withUses({[ENV.perimeter]: 'p'}).perimeter, undefined)
  })

  it('a file field of a setting it does not use is neither used nor checked; an unknown field always counts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vpcsc-uses-'))
    try {
      const file = join(dir, 'vpcsc.config.json')
      writeFileSync(file, JSON.stringify({timeout: 'abc', probeTimeout: '40d', accounts: [{roleArn: 'nope'}], keep: ['198.51.100.0/24']}))
      assert.deepEqual(withUses({}, await loadConfigFile(file)).keep.map((c) => c.text), ['198.51.100.0/24'])
      writeFileSync(file, JSON.stringify({timeout: 'abc', levle: 'x'}))
      const typo = await loadConfigFile(file)
      assert.match(problem(() => withUses({}, typo)), /^\S*vpcsc\.config\.json: unknown field "levle"; expected one of: .*\.$/)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('the endpoint variables are settings like the others', () => {
  const deny = (env: NodeJS.ProcessEnv) => resolveSettings({}, env, {values: {}}, [], {callsAws: true, uses: ['instanceId', 'vertexEndpoint', 'acmEndpoint']})

  it('http(s) URLs pass, the local cloud\'s http://127.0.0.1:PORT and a path among them, without trailing slashes', () => {
    const s = deny({[ENV.vertexEndpoint]: 'http://127.0.0.1:8085/', [ENV.acmEndpoint]: 'https://proxy.example.com/acm', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_ENDPOINT_URL_SSM: 'https://ssm.eu-west-1.amazonaws.com'})
    assert.equal(s.endpoints.vertex, 'http://127.0.0.1:8085')
    assert.equal(s.endpoints.acm, 'https://proxy.example.com/acm')
  })

  it('anything else is named with its variable and what is expected; credentials are never repeated', () => {
    assert.match(problem(() => deny({[ENV.vertexEndpoint]: 'notaurl'})), /^VPCSC_VERTEX_ENDPOINT "notaurl": expected an http\(s\) URL such as https:\/\/us-central1-aiplatform\.googleapis\.com\.$/)
    assert.match(problem(() => deny({[ENV.acmEndpoint]: 'ftp://acm.example.com'})), /^VPCSC_ACM_ENDPOINT "ftp:\/\/acm\.example\.com": expected an http\(s\) URL, not ftp:\.$/)
    assert.match(problem(() => deny({[ENV.acmEndpoint]: 'https://acm.example.com/#x'})), /^VPCSC_ACM_ENDPOINT ".*": expected a URL without a query or fragment/)
    const secret = problem(() => deny({[ENV.acmEndpoint]: 'https://me:s3cret@acm.example.com'}))
    assert.equal(secret, 'VPCSC_ACM_ENDPOINT: expected a URL without user:password@.')
  })

  it('the AWS SDK\'s variable that each service called takes: its own, else AWS_ENDPOINT_URL', () => {
    assert.match(problem(() => deny({AWS_ENDPOINT_URL: 'notaurl'})), /^AWS_ENDPOINT_URL "notaurl": expected an http\(s\) URL such as https:\/\/ec2\.us-east-1\.amazonaws\.com\.$/)
    assert.match(problem(() => deny({AWS_ENDPOINT_URL_SSM: 'notaurl'})), /^AWS_ENDPOINT_URL_SSM "notaurl"/)
    // Every service has its own: the general one is not taken, so not checked.
    assert.doesNotThrow(() => deny({AWS_ENDPOINT_URL: 'notaurl', AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:1', AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:2', AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:3'}))
    // The SDK ignores them all then.
    assert.doesNotThrow(() => deny({AWS_ENDPOINT_URL: 'notaurl', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true'}))
  })

  it('reported with every other problem, each once', () => {
    assert.match(problem(() => deny({[ENV.vertexEndpoint]: 'a', [ENV.acmEndpoint]: 'b', AWS_ENDPOINT_URL: 'c'})), /^3 settings are invalid: VPCSC_VERTEX_ENDPOINT "a": .*; VPCSC_ACM_ENDPOINT "b": .*; AWS_ENDPOINT_URL "c": .*\.$/)
  })

  it('only for a command that uses them: SSM\'s and AWS\'s for one that calls AWS, a Google endpoint for one that declares it', () => {
    const status = (env: NodeJS.ProcessEnv) => resolveSettings({}, env, {values: {}}, [], {callsAws: true, uses: ['acmEndpoint']})
    assert.doesNotThrow(() => status({[ENV.vertexEndpoint]: 'notaurl', [ENV.loggingEndpoint]: 'notaurl', AWS_ENDPOINT_URL_SSM: 'notaurl'}))
    assert.equal(status({[ENV.vertexEndpoint]: 'http://127.0.0.1:1'}).endpoints.vertex, undefined)
    const violations = (env: NodeJS.ProcessEnv) => resolveSettings({}, env, {values: {}}, [], {callsAws: false, uses: ['loggingEndpoint']})
    assert.doesNotThrow(() => violations({AWS_ENDPOINT_URL: 'notaurl'}))
    assert.match(problem(() => violations({[ENV.loggingEndpoint]: 'notaurl'})), /^VPCSC_LOGGING_ENDPOINT "notaurl"/)
    // A caller that does not say checks every one.
    assert.match(problem(() => resolve({}, {[ENV.iamCredentialsEndpoint]: 'notaurl'})), /^VPCSC_IAMCREDENTIALS_ENDPOINT "notaurl"/)
  })
})
