import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'

import {configFileSchema, DEFAULT_CREDENTIAL_FILE, DEFAULT_LOCATION, ENV, parseDuration, resolveSettings, type ConfigFile, type FlagValues, type LoadedConfig, type Settings} from '../../src/lib/core/config.ts'
import {ExitCode, VpcscError} from '../../src/lib/core/errors.ts'

const fileConfig = (values: ConfigFile): LoadedConfig => ({file: '/etc/vpcsc/vpcsc.config.json', values})
const noFile: LoadedConfig = {values: {}}
const resolve = (flags: FlagValues = {}, env: NodeJS.ProcessEnv = {HOME: '/home/u'}, config: LoadedConfig = noFile) => resolveSettings(flags, env, config)

function usage(message?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof VpcscError, `expected a VpcscError, got ${String(error)}`)
    assert.equal(error.exitCode, ExitCode.usage)
    assert.equal(error.code, 'USAGE')
    if (message) assert.match(error.message, message)
    assert.ok(error.hint, 'a usage error carries a hint')
    return true
  }
}

describe('parseDuration', () => {
  for (const [text, ms] of [
    ['90s', 90_000],
    ['30m', 30 * 60_000],
    ['2h', 2 * 3_600_000],
    ['7d', 7 * 86_400_000],
    ['45', 45_000],
    ['1.5h', 90 * 60_000],
    [' 10m ', 10 * 60_000],
  ] as const) {
    it(`${JSON.stringify(text)} is ${ms} ms`, () => {
      assert.equal(parseDuration(text, 'timeout'), ms)
    })
  }

  for (const text of ['', '   ', 'abc', '-5m', '0', '0s', '-5', '5 parsecs']) {
    it(`refuses ${JSON.stringify(text)} as a usage error naming the setting`, () => {
      assert.throws(() => parseDuration(text, 'probe timeout'), usage(/probe timeout/))
    })
  }
})

describe('resolveSettings: stateDir', () => {
  const env = {HOME: '/home/u', XDG_STATE_HOME: '/xdg', [ENV.stateDir]: '/from/env'}
  const file = fileConfig({stateDir: '/from/file'})

  it('the flag wins over VPCSC_STATE_DIR, the file and the default', () => {
    assert.equal(resolve({'state-dir': '/from/flag'}, env, file).stateDir, '/from/flag')
  })

  it('VPCSC_STATE_DIR wins over the file', () => {
    assert.equal(resolve({}, env, file).stateDir, '/from/env')
  })

  it('the file wins over the default', () => {
    assert.equal(resolve({}, {HOME: '/home/u', XDG_STATE_HOME: '/xdg'}, file).stateDir, '/from/file')
  })

  it('default: $XDG_STATE_HOME/vpcsc, else ~/.local/state/vpcsc', () => {
    assert.equal(resolve({}, {HOME: '/home/u', XDG_STATE_HOME: '/xdg'}).stateDir, '/xdg/vpcsc')
    assert.equal(resolve({}, {HOME: '/home/u'}).stateDir, '/home/u/.local/state/vpcsc')
  })

  it('a blank VPCSC_STATE_DIR does not hide the file', () => {
    assert.equal(resolve({}, {HOME: '/home/u', [ENV.stateDir]: '  '}, file).stateDir, '/from/file')
  })

  it('a relative directory is made absolute', () => {
    const fromFlag = resolve({'state-dir': 'rel/state'}).stateDir
    assert.ok(path.isAbsolute(fromFlag), fromFlag)
    assert.equal(fromFlag, path.resolve(process.cwd(), 'rel/state'))
    assert.ok(path.isAbsolute(resolve({}, {HOME: '/home/u', [ENV.stateDir]: 'env-rel'}).stateDir))
    assert.ok(path.isAbsolute(resolve({}, {HOME: '/home/u'}, fileConfig({stateDir: 'file-rel'})).stateDir))
  })
})

describe('resolveSettings: probe', () => {
  it('defaults: local, no instance, 2 minutes, us-central1, the seed credential file', () => {
    const probe = resolve().probe
    assert.equal(probe.kind, 'local')
    assert.equal(probe.instanceId, undefined)
    assert.equal(probe.timeoutMs, 120_000)
    assert.equal(probe.location, DEFAULT_LOCATION)
    assert.equal(probe.credentialFile, DEFAULT_CREDENTIAL_FILE)
    assert.equal(probe.command, undefined)
  })

  it('the kind defaults to ssm when an instance id is set (flag, env or file)', () => {
    assert.equal(resolve({'instance-id': 'i-0123456789abcdef0'}).probe.kind, 'ssm')
    assert.equal(resolve({}, {[ENV.instanceId]: 'i-0abc'}).probe.kind, 'ssm')
    assert.equal(resolve({}, {}, fileConfig({instanceId: 'mi-0abc'})).probe.kind, 'ssm')
    assert.equal(resolve({'instance-id': 'i-0abc'}).probe.instanceId, 'i-0abc')
  })

  it('an explicit --probe local wins over the instance id default', () => {
    assert.equal(resolve({'instance-id': 'i-0abc', probe: 'local'}).probe.kind, 'local')
  })

  it('probe kind precedence: flag > VPCSC_PROBE > file', () => {
    const file = fileConfig({probe: 'ssm', instanceId: 'i-0abc'})
    assert.equal(resolve({}, {[ENV.probe]: 'local'}, file).probe.kind, 'local')
    assert.equal(resolve({probe: 'ssm'}, {[ENV.probe]: 'local'}, file).probe.kind, 'ssm')
    assert.equal(resolve({}, {}, file).probe.kind, 'ssm')
  })

  for (const bad of ['i-XYZ', 'i-', '0123abcd', 'i-0ABC', 'ami-0abc', 'i-0abc; rm -rf /']) {
    it(`refuses the instance id ${JSON.stringify(bad)} as a usage error`, () => {
      assert.throws(() => resolve({'instance-id': bad}), usage(/instance id/i))
    })
  }

  it('refuses a bad VPCSC_INSTANCE_ID too', () => {
    assert.throws(() => resolve({}, {[ENV.instanceId]: 'instance-1'}), usage(/instance-1/))
  })

  for (const bad of ['remote', 'SSM', 'lambda']) {
    it(`refuses --probe ${bad}`, () => {
      assert.throws(() => resolve({probe: bad}), usage(new RegExp(bad)))
    })
  }

  it('refuses VPCSC_PROBE=docker', () => {
    assert.throws(() => resolve({}, {[ENV.probe]: 'docker'}), usage(/docker/))
  })

  it('probe timeout: flag > VPCSC_PROBE_TIMEOUT > file, parsed as a duration', () => {
    const file = fileConfig({probeTimeout: '5m'})
    assert.equal(resolve({}, {}, file).probe.timeoutMs, 300_000)
    assert.equal(resolve({}, {[ENV.probeTimeout]: '90s'}, file).probe.timeoutMs, 90_000)
    assert.equal(resolve({'probe-timeout': '30'}, {[ENV.probeTimeout]: '90s'}, file).probe.timeoutMs, 30_000)
  })

  it('a bad probe timeout is a usage error', () => {
    assert.throws(() => resolve({'probe-timeout': 'soon'}), usage(/probe timeout/))
  })

  it("a probe's timeout is at most 48 hours, SSM's longest run of a command, through SSM or from this machine", () => {
    assert.throws(() => resolve({'probe-timeout': '49h'}), usage(/^--probe-timeout "49h" is longer than 2 days, the longest probe timeout, SSM's longest run of a command\.$/))
    assert.throws(() => resolve({}, {HOME: '/home/u', [ENV.instanceId]: 'i-0abc', [ENV.probeTimeout]: '3d'}), usage(/^VPCSC_PROBE_TIMEOUT "3d" is longer than 2 days/))
    assert.equal(resolve({'probe-timeout': '48h'}).probe.timeoutMs, 172_800_000)
    assert.equal(resolve({'probe-timeout': '2d', 'instance-id': 'i-0abc'}).probe.timeoutMs, 172_800_000)
  })

  it('a probe command of white space alone is refused as an empty one is, from a flag or the file', () => {
    assert.throws(() => resolve({'probe-command': ''}), usage(/^--probe-command "": must not be empty\.$/))
    assert.throws(() => resolve({'probe-command': ' \t '}), usage(/^--probe-command " \\t ": must not be blank \(white space only\)\.$/))
    assert.throws(() => resolve({}, {HOME: '/home/u'}, fileConfig({probeCommand: '   '})), usage(/field "probeCommand".*must not be blank/))
  })

  it('command, location, project and credential file come from flags, env and the file', () => {
    const probe = resolve(
      {'probe-command': 'python vertex_ai_client.py'},
      {[ENV.location]: 'europe-west4', [ENV.credentialFile]: '/opt/cred.json'},
      fileConfig({project: 'my-project', location: 'us-east1', probeCommand: 'ignored'}),
    ).probe
    assert.equal(probe.command, 'python vertex_ai_client.py')
    assert.equal(probe.location, 'europe-west4')
    assert.equal(probe.project, 'my-project')
    assert.equal(probe.credentialFile, '/opt/cred.json')
  })
})

describe('resolveSettings: deny test settings', () => {
  it('VPCSC_DENY_CIDR and VPCSC_TIMEOUT are read', () => {
    const settings = resolve({}, {[ENV.denyCidr]: '198.51.100.7/32', [ENV.timeout]: '45m'})
    assert.equal(settings.denyCidr.text, '198.51.100.7/32')
    assert.equal(settings.timeoutMs, 45 * 60_000)
  })

  it('neither set: the deny CIDR is TEST-NET-1 192.0.2.1/32, the timeout is left to the deny test', () => {
    const settings = resolve()
    assert.equal(settings.denyCidr.text, '192.0.2.1/32')
    assert.equal(settings.timeoutMs, undefined)
  })

  it('flags win over the environment, the environment over the file', () => {
    const file = fileConfig({denyCidr: '203.0.113.0/24', timeout: '1h'})
    const env = {[ENV.denyCidr]: '198.51.100.7/32', [ENV.timeout]: '20m'}
    assert.deepEqual(pickDeny(resolve({}, {}, file)), ['203.0.113.0/24', 3_600_000])
    assert.deepEqual(pickDeny(resolve({}, env, file)), ['198.51.100.7/32', 1_200_000])
    assert.deepEqual(pickDeny(resolve({'deny-cidr': '192.0.2.9/32', timeout: '90'}, env, file)), ['192.0.2.9/32', 90_000])
  })

  it('a blank timeout in the config file is a usage error, not a crash', () => {
    assert.equal(configFileSchema.safeParse({timeout: ' ', probeTimeout: ' '}).success, false, 'the schema checks durations')
    assert.throws(() => resolve({}, {}, fileConfig({timeout: ' '})), usage(/timeout/))
    assert.throws(() => resolve({}, {}, fileConfig({probeTimeout: ' '})), usage(/probe timeout/))
  })

  it('a bad VPCSC_TIMEOUT is a usage error naming the timeout', () => {
    assert.throws(() => resolve({}, {[ENV.timeout]: 'forever'}), usage(/timeout/))
  })
})

function pickDeny(settings: Settings): [string, number | undefined] {
  return [settings.denyCidr.text, settings.timeoutMs]
}
