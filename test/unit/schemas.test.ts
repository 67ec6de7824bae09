import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {generateSchemas} from '../../scripts/schemas.ts'

describe('schemas/', () => {
  it('every committed schema is what the result types generate (run node scripts/schemas.ts)', () => {
    for (const [name, text] of Object.entries(generateSchemas())) {
      assert.equal(readFileSync(new URL(`../../schemas/${name}.json`, import.meta.url), 'utf8'), text, `schemas/${name}.json is stale: run node scripts/schemas.ts`)
    }
  })
})

interface Schema {
  $ref?: string
  anyOf?: Schema[]
  required?: string[]
  definitions?: Record<string, Schema>
}

describe('the --json contract', () => {
  it("every command's result carries its warnings (a required array), whatever its outcome", () => {
    for (const [name, text] of Object.entries(generateSchemas())) {
      if (name === 'error') continue
      const schema = JSON.parse(text) as Schema
      const root = schema.definitions![schema.$ref!.split('/').at(-1)!]!
      const shapes = (root.anyOf ?? [root]).map((s) => (s.$ref ? schema.definitions![s.$ref.split('/').at(-1)!]! : s))
      for (const shape of shapes) assert.ok(shape.required?.includes('warnings'), `${name}: a result without warnings`)
    }
  })
})
