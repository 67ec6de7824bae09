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
