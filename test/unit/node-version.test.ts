import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {ERROR_CODES} from '../../src/lib/core/error-codes.ts'
import {assertJsonContract} from '../e2e/json-contract.ts'
// @ts-expect-error: plain JavaScript without types, on purpose (it must run on any Node).
import {unsupportedNode, unsupportedNodeJson, wantsJson} from '../../bin/node-version.js'

describe('the Node.js version check of bin/run.js', () => {
  for (const version of ['18.20.4', '20.20.2', 'v21.7.3']) {
    it(`refuses Node ${version}, naming what it needs`, () => {
      const message = unsupportedNode(version) as string
      assert.match(message, /needs Node\.js 22 or newer/)
      assert.match(message, new RegExp(`this is Node\\.js ${version.replace(/\./g, '\\.')}`))
    })
  }
  for (const version of ['22.0.0', '22.23.5', '24.1.0', '26.0.0']) {
    it(`accepts Node ${version}`, () => {
      assert.equal(unsupportedNode(version), undefined)
      assert.equal(unsupportedNodeJson(version), undefined)
    })
  }

  it('with --json, the JSON error object: schemas/error.json, a documented code and its exit code, the two lines as message and hint', () => {
    const json = unsupportedNodeJson('20.20.2') as string
    assertJsonContract(['status', '--json'], json)
    const {error} = JSON.parse(json) as {error: {code: keyof typeof ERROR_CODES; message: string; hint: string; exitCode: number}}
    assert.equal(error.exitCode, ERROR_CODES[error.code][0])
    assert.equal(error.exitCode, 2)
    assert.deepEqual([error.message, error.hint, ''], (unsupportedNode('20.20.2') as string).split('\n'))
  })

  it('reads --json before a --, as the CLI does', () => {
    assert.equal(wantsJson(['status', '--json']), true)
    assert.equal(wantsJson(['--json', 'ip', 'sync']), true)
    assert.equal(wantsJson(['status']), false)
    assert.equal(wantsJson(['explain', '--', '--json']), false)
  })
})
