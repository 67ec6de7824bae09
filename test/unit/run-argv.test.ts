import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {routedArgv} from '../../src/cli/run.ts'

describe('the command line oclif is given (src/cli/run.ts)', () => {
  it('sends --version --json, in either order, to the version command', () => {
    assert.deepEqual(routedArgv(['--version', '--json']), ['version', '--json'])
    assert.deepEqual(routedArgv(['--json', '--version']), ['version', '--json'])
  })

  it('sends --help (or -h) with --json to the help command, which says as JSON that help has no JSON form', () => {
    assert.deepEqual(routedArgv(['status', '--help', '--json']), ['help', 'status', '--json'])
    assert.deepEqual(routedArgv(['ip', 'sync', '--plan', '--json', '-h']), ['help', 'ip', 'sync', '--json'])
    assert.deepEqual(routedArgv(['--json', '--help']), ['help', '--json'])
    assert.deepEqual(routedArgv(['help', 'status', '--help', '--json']), ['help', 'status', '--json'])
  })

  it('leaves every other command line as it is', () => {
    for (const argv of [[], ['--version'], ['status', '--json'], ['status', '--version'], ['--version', '--json', 'status'], ['ip', 'sync', '--json'], ['status', '--help'], ['explain', '--json', '--', '--help']]) {
      assert.deepEqual(routedArgv(argv), argv)
    }
  })
})
