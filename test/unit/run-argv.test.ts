import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {routedArgv} from '../../src/cli/run.ts'
import {flagBeforeCommand} from '../../src/cli/usage-errors.ts'

describe('the command line oclif is given (src/cli/run.ts)', () => {
  it('sends --version --json, in either order, to the version command', () => {
    assert.deepEqual(routedArgv(['--version', '--json']), ['version', '--json'])
    assert.deepEqual(routedArgv(['--json', '--version']), ['version', '--json'])
  })

  it('sends --version with anything after it to the version command, which refuses what it does not take', () => {
    assert.deepEqual(routedArgv(['--version', '--polcy']), ['version', '--polcy'])
    assert.deepEqual(routedArgv(['--version', '--json', 'status']), ['version', '--json', 'status'])
    assert.deepEqual(routedArgv(['--version', '--help']), ['version', '--help'])
  })

  it('sends --help (or -h) with --json to the help command, which says as JSON that help has no JSON form', () => {
    assert.deepEqual(routedArgv(['status', '--help', '--json']), ['help', 'status', '--json'])
    assert.deepEqual(routedArgv(['ip', 'sync', '--plan', '--json', '-h']), ['help', 'ip', 'sync', '--json'])
    assert.deepEqual(routedArgv(['--json', '--help']), ['help', '--json'])
    assert.deepEqual(routedArgv(['help', 'status', '--help', '--json']), ['help', 'status', '--json'])
  })

  it('moves the global flags typed before the command after its words; alone, they ask for help', () => {
    assert.deepEqual(routedArgv(['--no-color', 'status']), ['status', '--no-color'])
    assert.deepEqual(routedArgv(['--json', '--color', 'ip', 'sync', '--plan']), ['ip', 'sync', '--json', '--color', '--plan'])
    assert.deepEqual(routedArgv(['--json', 'explain', '203.0.113.77']), ['explain', '203.0.113.77', '--json'])
    assert.deepEqual(routedArgv(['--json', 'explain', '--', '-x']), ['explain', '--json', '--', '-x'])
    // Another flag first: the global ones go after the options, for it to be named with --json's form.
    assert.deepEqual(routedArgv(['--json', '--polcy', 'status']), ['--polcy', 'status', '--json'])
    assert.deepEqual(routedArgv(['--json']), ['help', '--json'])
    assert.deepEqual(routedArgv(['--no-color']), [])
  })

  it('leaves every other command line as it is', () => {
    for (const argv of [[], ['--version'], ['status', '--json'], ['status', '--version'], ['ip', 'sync', '--json'], ['status', '--help'], ['explain', '--json', '--', '--help'], ['--polcy'], ['--policy', '1', 'status']]) {
      assert.deepEqual(routedArgv(argv), argv)
    }
  })
})

describe('a flag before the command (src/cli/usage-errors.ts)', () => {
  const config = {
    bin: 'vpcsc',
    topicSeparator: ' ',
    commands: [
      {id: 'status', flags: {policy: {}, json: {}, 'all-regions': {}}},
      {id: 'ip:sync', flags: {policy: {}, plan: {}}},
      {id: 'autocomplete:create', hidden: true, flags: {'refresh-cache': {}}},
    ],
    findCommand: (id: string) => ['status', 'ip:sync', 'autocomplete:create'].includes(id),
  }
  const said = (flag: string, ...rest: string[]) => {
    const error = flagBeforeCommand(flag, rest, config)
    return [error.exitCode, error.message, error.hint]
  }

  it("a command's flag: said to go after the command, with the line that puts it there", () => {
    assert.deepEqual(said('--policy', '1', 'ip', 'sync', '--plan'), [2, '--policy comes before the command; flags go after it.', 'Run vpcsc ip sync --policy 1 --plan.'])
    assert.deepEqual(said('--policy=1', 'status'), [2, '--policy comes before the command; flags go after it.', 'Run vpcsc status --policy=1.'])
    assert.deepEqual(said('--no-all-regions', 'status'), [2, '--no-all-regions comes before the command; flags go after it.', 'Run vpcsc status --no-all-regions.'])
    assert.deepEqual(said('--policy'), [2, '--policy comes before the command; flags go after it.', 'As in vpcsc COMMAND --policy ... (vpcsc help lists the commands).'])
  })

  it('a mistyped flag: the closest flag of a visible command, or --version and --help', () => {
    assert.deepEqual(said('--polcy'), [2, 'Nonexistent flag: --polcy. Did you mean --policy?', 'Flags go after the command. As in vpcsc COMMAND --policy ... (vpcsc help lists the commands).'])
    assert.deepEqual(said('--polcy=1', 'status'), [2, 'Nonexistent flag: --polcy. Did you mean --policy?', 'Flags go after the command. Run vpcsc status --policy=1.'])
    assert.deepEqual(said('--verison'), [2, 'Nonexistent flag: --verison. Did you mean --version?', 'Run vpcsc --version.'])
    assert.deepEqual(said('--refresh-cache', 'status')[1], 'Nonexistent flag: --refresh-cache.')
    assert.deepEqual(said('-x', 'status'), [2, 'Nonexistent flag: -x.', "Flags go after the command: vpcsc help lists the commands, vpcsc COMMAND --help a command's flags."])
  })
})
