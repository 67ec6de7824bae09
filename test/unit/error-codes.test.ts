import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {ERROR_CODES} from '../../src/lib/core/error-codes.ts'
import {CancelledError, ExitCode, RefusedError, RestoreNeededError, RuntimeError, TestFailedError, UsageError, type VpcscError} from '../../src/lib/core/errors.ts'

describe('error codes', () => {
  it('every code maps to a documented exit code', () => {
    const exits = new Set<number>(Object.values(ExitCode))
    for (const [code, [exit]] of Object.entries(ERROR_CODES)) assert.ok(exits.has(exit), `${code}: exit ${exit}`)
  })

  it("each error class gives its codes their table's exit code, and takes no other code (the type-check refuses one)", () => {
    const make: Record<number, (code: never) => VpcscError> = {
      1: (code) => new RuntimeError({code, message: 'm'}),
      2: (code) => new UsageError({code, message: 'm'}),
      4: (code) => new TestFailedError({code, message: 'm'}),
      5: (code) => new RefusedError({code, message: 'm'}),
      6: (code) => new RestoreNeededError({code, message: 'm'}),
      130: () => new CancelledError({message: 'm'}),
    }
    for (const [code, [exit]] of Object.entries(ERROR_CODES)) {
      const error = make[exit]!(code as never)
      assert.deepEqual([error.code, error.exitCode], [code, exit])
    }
    // @ts-expect-error NO_ETAG is a refusal (exit 5), not a runtime failure (exit 1).
    assert.equal(new RuntimeError({code: 'NO_ETAG', message: 'm'}).exitCode, 1)
  })

  it("the README's table lists exactly the codes, exit codes and meanings of src/lib/core/error-codes.ts", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    const section = readme.slice(readme.indexOf('### Error codes'))
    const rows = [...section.matchAll(/^\| `([A-Z_]+)` \| (\d+) \| (.*) \|$/gm)].map((m) => [m[1], Number(m[2]), m[3]])
    assert.deepEqual(rows, Object.entries(ERROR_CODES).map(([code, [exit, meaning]]) => [code, exit, meaning]))
  })
})
