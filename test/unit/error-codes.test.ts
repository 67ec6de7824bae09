import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {ERROR_CODES} from '../../src/lib/core/error-codes.ts'
import {ExitCode} from '../../src/lib/core/errors.ts'

describe('error codes', () => {
  it('every code maps to a documented exit code', () => {
    const exits = new Set<number>(Object.values(ExitCode))
    for (const [code, [exit]] of Object.entries(ERROR_CODES)) assert.ok(exits.has(exit), `${code}: exit ${exit}`)
  })

  it("the README's table lists exactly the codes, exit codes and meanings of src/lib/core/error-codes.ts", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    const section = readme.slice(readme.indexOf('### Error codes'))
    const rows = [...section.matchAll(/^\| `([A-Z_]+)` \| (\d+) \| (.*) \|$/gm)].map((m) => [m[1], Number(m[2]), m[3]])
    assert.deepEqual(rows, Object.entries(ERROR_CODES).map(([code, [exit, meaning]]) => [code, exit, meaning]))
  })
})
