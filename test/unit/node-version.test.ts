import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

// @ts-expect-error: plain JavaScript without types, on purpose (it must run on any Node).
import {unsupportedNode} from '../../bin/node-version.js'

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
    })
  }
})
