import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {setImmediate as tick} from 'node:timers/promises'

import {allInOrder, limiter} from '../../src/lib/core/concurrency.ts'

describe('limiter', () => {
  it('runs at most N tasks at once, all of them, in order of arrival', async () => {
    const limit = limiter(3)
    let running = 0
    let peak = 0
    const started: number[] = []
    const results = await Promise.all(
      Array.from({length: 10}, (_, i) =>
        limit(async () => {
          started.push(i)
          running++
          peak = Math.max(peak, running)
          for (let k = 0; k < 3 + (i % 4); k++) await tick()
          running--
          return i * 2
        }),
      ),
    )
    assert.equal(peak, 3)
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert.deepEqual(results, Array.from({length: 10}, (_, i) => i * 2))
  })

  it('a failing task (thrown or rejected) frees its slot and rejects only its own promise', async () => {
    const limit = limiter(1)
    const thrown = limit(() => {
      throw new Error('sync boom')
    })
    const rejected = limit(() => Promise.reject(new Error('async boom')))
    const fine = limit(async () => 'ok')
    await assert.rejects(thrown, /sync boom/)
    await assert.rejects(rejected, /async boom/)
    assert.equal(await fine, 'ok')
  })
})

describe('allInOrder', () => {
  /** A promise settled by hand, to order the answers of a test. */
  function deferred<T>() {
    let resolve!: (value: T) => void
    let reject!: (error: Error) => void
    const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)))
    return {promise, resolve, reject}
  }

  it('gives every value, in order', async () => {
    assert.deepEqual(await allInOrder([Promise.resolve(1), Promise.resolve('two'), 3]), [1, 'two', 3])
  })

  it('reports the first failure in the order given, whichever failed first', async () => {
    const policy = deferred<string>()
    const levels = deferred<string>()
    const result = allInOrder([policy.promise, levels.promise])
    levels.reject(new Error('levels: 404'))
    await tick()
    policy.reject(new Error('policy: 404'))
    await assert.rejects(result, /policy: 404/)
  })

  it("reports a later failure when the earlier reads succeed, without waiting for the reads after it", async () => {
    const policy = deferred<string>()
    const levels = deferred<string>()
    const never = new Promise<string>(() => undefined)
    const result = allInOrder([policy.promise, levels.promise, never])
    levels.reject(new Error('levels: 403'))
    await tick()
    policy.resolve('policy')
    await assert.rejects(result, /levels: 403/)
  })
})
