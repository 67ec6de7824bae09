import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {routedArgv} from '../../src/cli/run.ts'

describe('the command line oclif is given (src/cli/run.ts)', () => {
  it('sends --version --json, in either order, to the version command', () => {
    assert.deepEqual(routedArgv(['--version', '--json']), ['version', '--json'])
    assert.deepEqual(routedArgv(['--json', '--version']), ['version', '--json'])
  })

  it('leaves every other command line as it is', () => {
    for (const argv of [[], ['--version'], ['status', '--json'], ['status', '--version'], ['--version', '--json', 'status'], ['ip', 'sync', '--json']]) {
      assert.deepEqual(routedArgv(argv), argv)
    }
  })
})
