import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {withNegatedFlags} from '../../src/cli/autocomplete-command.ts'

type Flags = Record<string, {name: string; type: string; allowNo?: boolean; hidden?: boolean; description?: string}>

describe('withNegatedFlags', () => {
  it('lists --no-X right after a negatable boolean --X, and nothing for other flags', () => {
    const command: {id: string; flags: Flags} = {
      id: 'status',
      flags: {
        json: {name: 'json', type: 'boolean'},
        color: {name: 'color', type: 'boolean', allowNo: true, description: 'Colour in the output.'},
        policy: {name: 'policy', type: 'option', allowNo: true},
        check: {name: 'check', type: 'boolean', allowNo: false},
      },
    }
    const completed = withNegatedFlags(command)
    assert.deepEqual(Object.keys(completed.flags), ['json', 'color', 'no-color', 'policy', 'check'])
    assert.deepEqual(completed.flags['no-color'], {name: 'no-color', type: 'boolean', hidden: undefined, description: 'Turn --color off.'})
    assert.equal(completed.id, 'status')
    assert.equal(Object.keys(command.flags).length, 4, 'the manifest command is left as it was')
  })

  it('keeps a hidden flag hidden, and a flag that already has its --no- form as it is', () => {
    const command: {flags: Flags} = {flags: {debug: {name: 'debug', type: 'boolean', allowNo: true, hidden: true}, 'no-debug': {name: 'no-debug', type: 'boolean'}}}
    assert.deepEqual(withNegatedFlags(command).flags, command.flags)
    const hidden = withNegatedFlags<{flags: Flags}>({flags: {trace: {name: 'trace', type: 'boolean', allowNo: true, hidden: true}}})
    assert.equal(hidden.flags['no-trace']?.hidden, true)
  })
})
