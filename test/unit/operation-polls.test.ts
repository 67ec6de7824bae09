import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {FIRST_POLL_MS, pollDelay} from '../../src/lib/gcp/acm.ts'

/** When each poll of an operation is sent, in ms after the write's answer, up to `untilMs`. */
function pollTimes(untilMs: number): number[] {
  const times: number[] = []
  for (let poll = 0, at = pollDelay(0); at <= untilMs; at += pollDelay(++poll)) times.push(at)
  return times
}

describe('operation polls (docs/safety.md, rule 8)', () => {
  it('polls first soon after the write, then twice as long each time, at most 5 s apart', () => {
    assert.equal(FIRST_POLL_MS, 50)
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 20].map(pollDelay), [50, 100, 200, 400, 800, 1600, 3200, 5000, 5000])
  })

  it('sees an operation that commits 150 ms after the write at the second poll', () => {
    assert.deepEqual(pollTimes(150), [50, 150])
  })

  it('reads about 30 times over a 2-minute wait: the organization-wide read quota is 500 a minute (docs/api-facts.md, Quotas)', () => {
    const polls = pollTimes(120_000).length
    assert.ok(polls >= 25 && polls <= 31, `${polls} polls in 2 minutes`)
    assert.ok(pollTimes(60_000).length <= 20, 'at most 20 reads in the first minute')
  })
})
