import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {stripVTControlCharacters} from 'node:util'
import {describe, it} from 'node:test'

import {Chalk} from 'chalk'

import {isLibraryNoise} from '../../src/cli/library-warnings.ts'
import {DenyTestProgress} from '../../src/cli/progress.ts'
import {closest, closestCommand, commandPart} from '../../src/cli/suggest.ts'
import {profileExists, sdkRegion} from '../../src/lib/aws/sdk-options.ts'
import {diagnoseBaseline} from '../../src/lib/deny-test/baseline-diagnosis.ts'
import {ExitCode, RuntimeError, TestFailedError} from '../../src/lib/core/errors.ts'
import {probeLine, shortAnswer} from '../../src/lib/render/deny-test.ts'
import {shortPrincipal} from '../../src/lib/render/perimeter.ts'
import {renderStatus} from '../../src/lib/render/status.ts'
import {colourLevel, fitToTerminal, layoutFor, packFields, screenWidth, visibleLength, wrap} from '../../src/lib/render/text.ts'
import type {StatusReport} from '../../src/lib/report/status.ts'

describe('colourLevel', () => {
  it('NO_COLOR (non-empty) turns colour off; an empty NO_COLOR does not; FORCE_COLOR wins', () => {
    assert.equal(colourLevel({level: 2}, {NO_COLOR: '1'}), 0)
    assert.equal(colourLevel({level: 2}, {NO_COLOR: ''}), 2)
    assert.equal(colourLevel({level: 1}, {NO_COLOR: '1', FORCE_COLOR: '1'}), 1)
    // --color on the command line beats NO_COLOR in the environment (flag > environment).
    assert.equal(colourLevel({level: 1}, {NO_COLOR: '1'}, ['node', 'vpcsc', 'status', '--color']), 1)
    assert.equal(colourLevel({level: 1}, {NO_COLOR: '1'}, ['node', 'vpcsc', 'status']), 0)
    assert.equal(colourLevel(false, {}), 0)
  })
})

describe('wrap', () => {
  it('keeps an arrow with what it points to', () => {
    assert.equal(wrap('level swapped. → vpcsc restore', 20), 'level swapped.\n  → vpcsc restore')
    assert.equal(wrap('level swapped. \u001b[2m→\u001b[22m vpcsc restore', 20), 'level swapped.\n  \u001b[2m→\u001b[22m vpcsc restore')
  })

  it('wraps at spaces under the value, and cuts a word longer than a line', () => {
    const line = `  condition 1          members ${'x'.repeat(70)}; regions US`
    const wrapped = wrap(line, 80, 23)
    for (const l of wrapped.split('\n')) assert.ok(l.length <= 80, l)
    assert.ok(wrapped.startsWith('  condition 1'))
    assert.equal(wrapped.replace(/\s+/g, ''), line.replace(/\s+/g, ''))
    assert.equal(wrap('short', 80), 'short')
  })

  it('measures colour codes as nothing', () => {
    const red = new Chalk({level: 1}).red('word')
    assert.equal(visibleLength(red), 4)
    assert.equal(wrap(`${red} ${red}`, 9), `${red} ${red}`)
  })
})

describe('the width human output fits', () => {
  it("a terminal's own width; else COLUMNS (a positive integer); else 80", () => {
    assert.equal(screenWidth({isTTY: true, columns: 120}, {COLUMNS: '80'}), 120, 'a terminal that reports its width is believed')
    assert.equal(screenWidth({isTTY: true, columns: 0}, {COLUMNS: '72'}), 72, 'a pseudo-terminal without a size: COLUMNS')
    assert.equal(screenWidth({isTTY: true}, {}), 80)
    assert.equal(screenWidth({}, {COLUMNS: '100'}), 100, 'a pipe: COLUMNS')
    for (const columns of ['0', '-5', 'wide', '80x', '']) assert.equal(screenWidth({}, {COLUMNS: columns}), 80, `COLUMNS=${columns}`)
    assert.deepEqual(layoutFor({}, {COLUMNS: '60'}), {width: 60, wrapHints: false})
    assert.deepEqual(layoutFor({isTTY: true, columns: 0}, {}), {width: 80, wrapHints: true})
  })

  it('fitToTerminal wraps on a terminal without a size (COLUMNS, else 80), never in a pipe', () => {
    const line = `  ${'word '.repeat(30).trim()}`
    assert.ok(fitToTerminal(line, {isTTY: true, columns: 0}, {COLUMNS: '40'}).split('\n').every((l) => l.length <= 40))
    assert.ok(fitToTerminal(line, {isTTY: true}, {}).split('\n').every((l) => l.length <= 80))
    assert.equal(fitToTerminal(line, {}, {COLUMNS: '40'}), line)
  })

  it('packFields: fields two spaces apart, a field that does not fit goes whole to the next line', () => {
    assert.deepEqual(packFields('  ', ['aiplatform ModelService.ListModels', 'NO_MATCHING_ACCESS_LEVEL', 'last 2026-12-03 13:29Z'], 64, 4), [
      '  aiplatform ModelService.ListModels  NO_MATCHING_ACCESS_LEVEL',
      '    last 2026-12-03 13:29Z',
    ])
  })
})

describe('the NAT table of status', () => {
  const gateway = (over: Partial<StatusReport['nat']['gateways'][number]> = {}): StatusReport['nat']['gateways'][number] => ({
    id: 'nat-0123456789abcdef0',
    account: {id: '111111111111', roleName: 'vpcsc-nat-reader-production'},
    region: 'ap-southeast-2',
    state: 'available',
    connectivityType: 'public',
    name: 'egress-gateway-of-the-production-vpc-in-sydney',
    addresses: [
      {publicIp: '203.0.113.100', isPrimary: true},
      {publicIp: '203.0.113.101', isPrimary: false},
    ],
    ...over,
  })
  const report = (gateways: StatusReport['nat']['gateways']): StatusReport => ({
    policy: {name: 'accessPolicies/1'},
    level: {name: 'accessPolicies/1/accessLevels/l', conditions: [{index: 0, ipSubnetworks: ['203.0.113.100/32', '203.0.113.101/32']}], managedCondition: 0, managedCidrs: ['203.0.113.100/32', '203.0.113.101/32']},
    nat: {regions: ['ap-southeast-2'], accounts: [], unreadable: [], gateways, egressIps: [], warnings: [], missingGatewayIds: []},
    keep: [],
    drift: {missing: [], stale: [], testNet: [], unkept: [], inSync: true},
    warnings: [],
    timingsMs: {total: 1},
  })
  const natLines = (text: string) => {
    const lines = stripVTControlCharacters(text).split('\n')
    return lines.slice(lines.findIndex((l) => l.startsWith('NAT gateways')) + 1, lines.indexOf('Drift'))
  }

  it('within 80 columns: a secondary address continues under its IP, a long name or role on more lines, ids whole', () => {
    const lines = natLines(renderStatus(report([gateway()]), {width: 80, wrapHints: false}))
    assert.ok(lines.every((l) => l.length <= 80), lines.join('\n'))
    assert.match(lines[0]!, /^ {2}Account {2,}Region {2,}Gateway {2,}State {2,}Egress IPs$/)
    assert.match(lines[1]!, /^ {2}111111111111 {2,}ap-southeast-2 {2}nat-0123456789abcdef0 {2}available {2}203\.0\.113\.100$/)
    const ips = lines[0]!.indexOf('Egress IPs')
    assert.deepEqual(lines.slice(1).map((l) => l.slice(ips)).filter(Boolean), ['203.0.113.100', '203.0.113.101', '(secondary)'])
    // The name and the role, cut where their column ends, lose no character.
    const column = (start: number, end: number) => lines.slice(2).map((l) => l.slice(start, end).trim()).join('')
    const account = lines[0]!.indexOf('Account')
    const gatewayAt = lines[0]!.indexOf('Gateway')
    assert.equal(column(account, lines[0]!.indexOf('Region')), 'vpcsc-nat-reader-production')
    assert.equal(column(gatewayAt, lines[0]!.indexOf('State')), 'egress-gateway-of-the-production-vpc-in-sydney')
  })

  it('as wide as it needs when it fits: the same table as before, a role under its account, a name under its gateway', () => {
    const lines = natLines(renderStatus(report([gateway({account: {id: '123456789012'}, region: 'us-east-1', name: 'vpcsc-demo-nat', addresses: [{publicIp: '203.0.113.10', isPrimary: true}]})]), {width: 80, wrapHints: false}))
    assert.deepEqual(lines, [
      '  Account       Region     Gateway                State      Egress IPs',
      '  123456789012  us-east-1  nat-0123456789abcdef0  available  203.0.113.10',
      '                           vpcsc-demo-nat',
    ])
  })

  it('too narrow for the ids: one block per gateway, every line within the width', () => {
    const lines = natLines(renderStatus(report([gateway()]), {width: 60, wrapHints: false}))
    assert.ok(lines.every((l) => l.length <= 60), lines.join('\n'))
    assert.deepEqual(lines, [
      '  nat-0123456789abcdef0',
      '    egress-gateway-of-the-production-vpc-in-sydney',
      '    111111111111 vpcsc-nat-reader-production  ap-southeast-2',
      '      available',
      '    egress 203.0.113.100, 203.0.113.101 (secondary)',
    ])
  })
})

describe('closest ("did you mean")', () => {
  it('finds typos, not other words', () => {
    assert.equal(closest('statsu', ['status', 'restore', 'ip:sync']), 'status')
    assert.equal(closest('ip:snyc', ['status', 'ip:sync']), 'ip:sync')
    assert.equal(closest('polcy', ['policy', 'level', 'perimeter']), 'policy')
    assert.equal(closest('frobnicate', ['status', 'restore']), undefined)
  })

  it('a topic command by its own last word, unless a command has that name', () => {
    const ids = ['status', 'restore', 'ip:sync', 'autocomplete', 'autocomplete:script']
    assert.equal(closestCommand('sync', ids), 'ip:sync')
    assert.equal(closestCommand('snyc', ids), 'ip:sync')
    assert.equal(closestCommand('statsu', ids), 'status')
    assert.equal(closestCommand('script', ids), 'autocomplete:script')
    assert.equal(closestCommand('restore', [...ids, 'x:restore']), 'restore')
    assert.equal(closestCommand('frobnicate', ids), undefined)
  })

  it("a command line's command part: the prefix of its words closest to a command, without the arguments", () => {
    const ids = ['status', 'explain', 'restore', 'ip:sync', 'autocomplete', 'autocomplete:script']
    assert.deepEqual(commandPart('explian:203.0.113.77', ids), {typed: 'explian', suggestion: 'explain'})
    // The whole id is within reach of autocomplete too, but the shorter prefix is closer.
    assert.deepEqual(commandPart('autocomplet:bash', ids), {typed: 'autocomplet', suggestion: 'autocomplete'})
    assert.deepEqual(commandPart('ip:snyc:extra', ids), {typed: 'ip:snyc', suggestion: 'ip:sync'})
    assert.deepEqual(commandPart('sync:now', ids), {typed: 'sync', suggestion: 'ip:sync'})
    assert.deepEqual(commandPart('statsu', ids), {typed: 'statsu', suggestion: 'status'})
    // Nothing close: the words up to the first that no command's name continues.
    assert.deepEqual(commandPart('frobnicate:now', ids), {typed: 'frobnicate'})
    assert.deepEqual(commandPart('ip:frobnicate:now', ids), {typed: 'ip:frobnicate'})
  })
})

describe('deny-test progress line', () => {
  const plain = new Chalk({level: 0})
  const event = {phase: 'deny-wait' as const, attempt: 3, elapsedMs: 12_300, nextInMs: 7000, last: {verdict: 'DENIED_VPCSC' as const, service: 'aiplatform.googleapis.com', httpStatus: 403, detail: 'HTTP 403 PERMISSION_DENIED: Request is prohibited by organization\'s policy. vpcServiceControlsUniqueIdentifier: X'}}

  it('elapsed time, attempt, the answer in short, and the next probe; ticking on between probes', () => {
    assert.equal(probeLine(event, {countdown: true, c: plain}), '  deny-wait     #3  12.3 s  DENIED_VPCSC HTTP 403, aiplatform  next probe in 7 s')
    assert.equal(probeLine(event, {countdown: true, sinceMs: 2000, c: plain}), '  deny-wait     #3  14.3 s  DENIED_VPCSC HTTP 403, aiplatform  next probe in 5 s')
    assert.match(probeLine(event, {countdown: true, sinceMs: 7500, c: plain}), /probing\.\.\.$/)
  })

  it('the live line fits COLUMNS on a terminal that reports no size', () => {
    let written = ''
    const pty = {isTTY: true, columns: 0, write: (text: string) => ((written += text), true)} as unknown as NodeJS.WriteStream
    const before = process.env.COLUMNS
    process.env.COLUMNS = '40'
    try {
      const progress = new DenyTestProgress(pty, true)
      progress.handle(event)
      progress.settle()
    } finally {
      if (before === undefined) delete process.env.COLUMNS
      else process.env.COLUMNS = before
    }
    // Each redraw is \r, erase-line, the line: what is left of a line once its codes are gone.
    const lines = stripVTControlCharacters(written).split(/[\r\n]/).filter(Boolean)
    assert.ok(lines.length > 0 && lines.every((line) => line.length <= 39), JSON.stringify(lines))
    assert.match(lines[0]!, /deny-wait +#3/)
  })

  it('never the whole 403 text, and never wider than the terminal', () => {
    assert.doesNotMatch(shortAnswer(event.last, plain), /prohibited/)
    const narrow = probeLine(event, {countdown: true, width: 50, c: plain})
    assert.ok(stripVTControlCharacters(narrow).length <= 50, narrow)
    assert.match(narrow, /#3/)
  })
})

describe('shortPrincipal', () => {
  it('service accounts by name and project, workload identities by pool and subject', () => {
    assert.equal(shortPrincipal('serviceAccount:workload@vpcsc-demo.iam.gserviceaccount.com'), 'workload@vpcsc-demo')
    assert.equal(shortPrincipal('principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/pool/subject/abc'), 'pool/subject/abc')
    assert.equal(shortPrincipal('alice@example.com'), 'alice@example.com')
  })
})

describe('library warnings', () => {
  it('silences exactly the known noise', () => {
    assert.equal(isLibraryNoise('MetadataLookupWarning', 'received unexpected error'), true)
    assert.equal(isLibraryNoise('Warning', 'NodeVersionSupportWarning: The AWS SDK for JavaScript (v3) will no longer support Node.js'), true)
    assert.equal(isLibraryNoise('DeprecationWarning', 'Buffer() is deprecated'), false)
    assert.equal(isLibraryNoise('Warning', 'something else'), false)
    // Node's own, with FORCE_COLOR and NO_COLOR (or NODE_DISABLE_COLORS) both set: FORCE_COLOR wins anyway.
    assert.equal(isLibraryNoise('Warning', "The 'NO_COLOR' env is ignored due to the 'FORCE_COLOR' env being set."), true)
    assert.equal(isLibraryNoise('Warning', "The 'NODE_DISABLE_COLORS' and 'NO_COLOR' env is ignored due to the 'FORCE_COLOR' env being set."), true)
    assert.equal(isLibraryNoise('DeprecationWarning', "The 'NO_COLOR' env is ignored due to the 'FORCE_COLOR' env being set."), false)
  })
})

describe('AWS region and profile', () => {
  it('AWS_REGION, then AWS_DEFAULT_REGION, as the AWS CLI', () => {
    assert.equal(sdkRegion('eu-west-1', {AWS_REGION: 'us-east-1'}), 'eu-west-1')
    assert.equal(sdkRegion(undefined, {AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'eu-west-1'}), 'us-east-1')
    assert.equal(sdkRegion(undefined, {AWS_REGION: '', AWS_DEFAULT_REGION: 'eu-west-1'}), 'eu-west-1')
    assert.equal(sdkRegion(undefined, {}), undefined)
  })

  it('a profile exists in the config file ([profile x]) or the credentials file ([x])', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vpcsc-aws-'))
    writeFileSync(join(dir, 'config'), '[default]\nregion = us-east-1\n[profile  ops ]\nregion = eu-west-1\n')
    writeFileSync(join(dir, 'credentials'), '[ci]\naws_access_key_id = x\n')
    const env = {AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials')}
    assert.equal(profileExists('ops', env), true)
    assert.equal(profileExists('ci', env), true)
    assert.equal(profileExists('default', env), true)
    assert.equal(profileExists('nope', env), false)
  })
})

describe('diagnoseBaseline', () => {
  const notAllowed = (verdict: string, detail: string) =>
    new TestFailedError({message: 'The baseline probe was not allowed', code: 'BASELINE_NOT_ALLOWED', details: {baseline: {verdict, httpStatus: 403, detail}}})

  it('from this machine: says so and points at --instance-id', () => {
    const e = diagnoseBaseline(notAllowed('DENIED_VPCSC', 'HTTP 403'), {probe: 'local', command: false})
    assert.match(e.message, /from this machine/)
    assert.match(e.hint!, /--instance-id/)
    assert.equal(e.exitCode, ExitCode.testFailed)
    assert.match(e.message, /No instance id is set, so the probe ran here, from this machine's IP/)
    // With an instance id, --probe local was asked for: the sentence still reads whole.
    const chosen = diagnoseBaseline(notAllowed('DENIED_VPCSC', 'HTTP 403'), {probe: 'local', instanceId: 'i-1', command: false})
    assert.match(chosen.message, /nothing was changed\. With --probe local it ran here, from this machine's IP, which the level admits only if it is a NAT egress IP\.$/)
  })

  it('from this machine, no answer: the probe could not run, in one message, not an IP problem', () => {
    const baseline = {verdict: 'ERROR', detail: 'no answer from 127.0.0.1:1: ECONNREFUSED'}
    const error = new RuntimeError({message: `The baseline probe failed before anything was changed: ${baseline.detail}.`, code: 'BASELINE_ERROR', details: {baseline}})
    const e = diagnoseBaseline(error, {probe: 'local', instanceId: 'i-1', command: false})
    assert.equal(e.message, 'The baseline probe from this machine could not run: no answer from 127.0.0.1:1: ECONNREFUSED; nothing was changed.')
    assert.match(e.hint!, /network or proxy to Vertex AI \(and VPCSC_VERTEX_ENDPOINT/)
    assert.equal(e.exitCode, ExitCode.runtime)
    // An answer that is neither allowed nor denied: it failed, with that answer.
    const answered = new RuntimeError({message: 'x', code: 'BASELINE_ERROR', details: {baseline: {verdict: 'ERROR', httpStatus: 503, detail: 'HTTP 503 UNAVAILABLE: try later'}}})
    assert.equal(diagnoseBaseline(answered, {probe: 'local', command: false}).message, 'The baseline probe from this machine failed: HTTP 503 UNAVAILABLE: try later; nothing was changed.')
  })

  it('an SSM delivery problem is named as such', () => {
    const error = new RuntimeError({message: 'The baseline probe failed before anything was changed: SSM cannot reach i-1: not a managed instance.', code: 'BASELINE_ERROR'})
    const e = diagnoseBaseline(error, {probe: 'ssm', instanceId: 'i-1', command: false})
    assert.match(e.message, /never ran on i-1: SSM could not deliver it \(SSM cannot reach i-1/)
  })

  it('a VPC-SC denial through SSM mentions propagation; other errors pass unchanged', () => {
    assert.match(diagnoseBaseline(notAllowed('DENIED_VPCSC', 'HTTP 403'), {probe: 'ssm', instanceId: 'i-1', command: false}).hint!, /propagating/)
    assert.match(diagnoseBaseline(notAllowed('DENIED_VPCSC', 'HTTP 403'), {probe: 'ssm', command: false, notAdmitted: []}).message, /admits every NAT egress IP: a recent change .* still propagating/)
    const missing = diagnoseBaseline(notAllowed('DENIED_VPCSC', 'HTTP 403'), {probe: 'ssm', command: false, notAdmitted: ['203.0.113.77']})
    assert.match(missing.message, /does not admit the NAT egress IP 203\.0\.113\.77/)
    assert.match(missing.hint!, /vpcsc ip sync/)
    const other = new RuntimeError({message: 'x', code: 'CONFLICT'})
    assert.equal(diagnoseBaseline(other, {probe: 'ssm', command: false}), other)
  })
})
