import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {nextPoll, pollDelay, pollDueMs} from '../../src/lib/gcp/acm.ts'

/** When each poll of an operation is sent, in ms after the write's answer, up to `untilMs`. */
function pollTimes(untilMs: number, delay: (poll: number) => number = pollDelay): number[] {
  const times: number[] = []
  for (let poll = 0, at = delay(0); at <= untilMs; at += delay(++poll)) times.push(at)
  return times
}

/** The schedule before early polls: 250 ms, doubling to 5 s. */
const before = (poll: number) => Math.min(250 * 2 ** poll, 5_000)

/** When an operation done at `doneAt` ms is first seen done. */
function seenAt(doneAt: number, delay: (poll: number) => number): number {
  return pollTimes(10 * 60_000, delay).find((t) => t >= doneAt)!
}

describe('operation polls (docs/safety.md, rule 8)', () => {
  it('polls at 50, 150 and 250 ms, then doubling from 750 ms, then every 5 s', () => {
    assert.deepEqual(pollTimes(20_000), [50, 150, 250, 750, 1750, 3750, 7750, 12750, 17750])
    assert.equal(pollDelay(40), 5_000)
  })

  it('gives each poll its time after the write\'s answer, whatever the polls before it took', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5].map(pollDueMs), pollTimes(3750))
    assert.equal(pollDueMs(40), pollTimes(10 * 60_000)[40])
  })

  it('after a poll that took long, one poll at once, then the schedule: never a burst of overdue polls', () => {
    // Polls answered at once follow the schedule.
    assert.deepEqual([0, 1, 2, 3].map((poll) => nextPoll(poll, pollDueMs(poll) - 1)), [0, 1, 2, 3])
    // The 4th poll (sent at 750 ms) answered at 5258 ms: the times 1750 and 3750 passed meanwhile.
    const late = nextPoll(4, 5258)
    assert.equal(pollDueMs(late), 3750, 'only the last of the passed times is kept, and sent at once')
    assert.equal(nextPoll(late + 1, 5260), late + 1, 'the one after it waits for its own time')
    assert.equal(pollDueMs(late + 1), 7750)
  })

  it('sees an operation that commits 150 ms after the write at the second poll', () => {
    assert.equal(seenAt(150, pollDelay), 150)
  })

  it('never sees an operation done later than the schedule before it did', () => {
    for (let doneAt = 0; doneAt <= 120_000; doneAt += 10) assert.ok(seenAt(doneAt, pollDelay) <= seenAt(doneAt, before), `done at ${doneAt} ms`)
  })

  it('reads about 30 times over a 2-minute wait, two more than before: the read quota is 500 a minute for the organization (docs/api-facts.md, Quotas)', () => {
    assert.equal(pollTimes(120_000).length - pollTimes(120_000, before).length, 2)
    assert.ok(pollTimes(120_000).length <= 31)
  })
})
