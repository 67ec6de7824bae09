import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {probeUntil, type Polling, type ProgressEvent} from '../../src/lib/deny-test/run.ts'
import {DEFAULT_DENY_CIDR} from '../../src/lib/deny-test/deny-cidr.ts'
import {resolveSettings} from '../../src/lib/core/config.ts'
import {ExitCode, VpcscError} from '../../src/lib/core/errors.ts'
import type {ProbeOutcome, ProbeVerdict} from '../../src/lib/deny-test/probe/classify.ts'
import type {Probe} from '../../src/lib/deny-test/probe/probe.ts'

function usage(error: unknown): boolean {
  assert.ok(error instanceof VpcscError, `expected a VpcscError, got ${String(error)}`)
  assert.equal(error.exitCode, ExitCode.usage)
  assert.equal(error.exitCode, 2)
  assert.equal(error.code, 'USAGE')
  assert.match(error.message, /--deny-cidr/)
  assert.ok(error.hint, 'a usage error says what to do')
  return true
}

/** The deny CIDR as the settings resolve it from `--deny-cidr`. */
const parseDenyCidr = (text: string) => resolveSettings({'deny-cidr': text}, {}, {values: {}}).denyCidr

describe('the deny CIDR (--deny-cidr)', () => {
  it('the default is TEST-NET-1 192.0.2.1/32', () => {
    assert.equal(DEFAULT_DENY_CIDR, '192.0.2.1/32')
    assert.equal(resolveSettings({}, {}, {values: {}}).denyCidr.text, '192.0.2.1/32')
  })

  for (const [input, text] of [
    ['192.0.2.1/32', '192.0.2.1/32'],
    ['198.51.100.7', '198.51.100.7/32'],
    ['203.0.113.0/24', '203.0.113.0/24'],
    [' 203.0.113.255 ', '203.0.113.255/32'],
  ] as const) {
    it(`accepts ${JSON.stringify(input)} as ${text}`, () => {
      const cidr = parseDenyCidr(input)
      assert.equal(cidr.text, text)
      assert.equal(cidr.version, 4)
    })
  }

  for (const [input, why] of [
    ['8.8.8.8/32', 'a real public address'],
    ['10.0.0.1', 'a private address'],
    ['2001:db8::1', 'IPv6 (even the documentation range)'],
    ['2001:db8::/32', 'IPv6 documentation range'],
    ['not-an-ip', 'garbage'],
    ['', 'empty'],
    ['192.0.2', 'a shorthand'],
    ['192.0.2.1/24', 'host bits set'],
    ['198.51.100.7/16', 'host bits set'],
    ['192.0.2.0/33', 'a prefix too long'],
  ] as const) {
    it(`refuses ${JSON.stringify(input)} (${why}) as a usage error`, () => {
      assert.throws(() => parseDenyCidr(input), usage)
    })
  }

  it('names the TEST-NET ranges in the hint when the address is public', () => {
    assert.throws(
      () => parseDenyCidr('8.8.8.8/32'),
      (error: unknown) => {
        assert.ok(error instanceof VpcscError)
        assert.match(error.message, /TEST-NET/)
        assert.match(error.hint ?? '', /192\.0\.2\.0\/24.*198\.51\.100\.0\/24.*203\.0\.113\.0\/24/)
        return true
      },
    )
  })

  // A range that merely CONTAINS a TEST-NET range also holds real public addresses
  // (203.0.0.0/16 is APNIC space; 192.0.32.0/20 was IANA's): swapping the level to it
  // could admit a real caller, which is what the TEST-NET rule is there to prevent.
  for (const input of ['203.0.0.0/16', '198.51.0.0/16', '192.0.0.0/16', '200.0.0.0/5']) {
    it(`refuses ${input}: a wider range that contains a TEST-NET range but also real addresses`, () => {
      assert.throws(() => parseDenyCidr(input), usage)
    })
  }
})

/** A probe that answers from a script; the last answer repeats. */
class ScriptedProbe implements Probe {
  readonly description = 'scripted probe'
  calls = 0
  private readonly answers: ProbeVerdict[]
  constructor(answers: ProbeVerdict[]) {
    this.answers = answers
  }
  async run(): Promise<ProbeOutcome> {
    const verdict = this.answers[Math.min(this.calls, this.answers.length - 1)]!
    this.calls++
    return {verdict, detail: `answer ${this.calls}: ${verdict}`, uid: verdict === 'DENIED_VPCSC' ? `uid-${this.calls}` : undefined}
  }
}

const FAST: Polling = {firstIntervalMs: 5, maxIntervalMs: 20, maxConsecutiveErrors: 3}
const wantDenied = (o: ProbeOutcome) => o.verdict === 'DENIED_VPCSC'
const stopOtherDenial = (o: ProbeOutcome) => o.verdict === 'DENIED_VPCSC_OTHER_SERVICE' || o.verdict === 'DENIED_OTHER'
const never = () => false

function options(extra: {timeoutMs?: number; signal?: AbortSignal; polling?: Polling; onProgress?: (e: ProgressEvent) => void} = {}) {
  return {timeoutMs: extra.timeoutMs ?? 10_000, polling: extra.polling ?? FAST, signal: extra.signal ?? new AbortController().signal, onProgress: extra.onProgress}
}

describe('probeUntil', () => {
  it('reaches the wanted verdict and counts the attempts', async () => {
    const probe = new ScriptedProbe(['ALLOWED', 'ALLOWED', 'ALLOWED', 'DENIED_VPCSC'])
    const result = await probeUntil(probe, 'deny-wait', wantDenied, stopOtherDenial, options())
    assert.equal(result.reached, true)
    assert.equal(result.attempts, 4)
    assert.equal(probe.calls, 4)
    assert.equal(result.last.verdict, 'DENIED_VPCSC')
    assert.equal(result.last.uid, 'uid-4')
    assert.ok(result.elapsedMs >= 5 + 8 + 12 - 3, `three waits of about 5, 8 and 12 ms happened: ${result.elapsedMs}`)
  })

  it('a wanted answer at once: one attempt, no wait', async () => {
    const probe = new ScriptedProbe(['DENIED_VPCSC'])
    const result = await probeUntil(probe, 'deny-wait', wantDenied, stopOtherDenial, options({polling: {firstIntervalMs: 60_000, maxIntervalMs: 60_000, maxConsecutiveErrors: 3}}))
    assert.deepEqual([result.reached, result.attempts], [true, 1])
    assert.ok(result.elapsedMs < 1000)
  })

  it('stops on the stop predicate, not reached', async () => {
    const probe = new ScriptedProbe(['ALLOWED', 'DENIED_VPCSC_OTHER_SERVICE', 'DENIED_VPCSC'])
    const result = await probeUntil(probe, 'deny-wait', wantDenied, stopOtherDenial, options())
    assert.equal(result.reached, false)
    assert.equal(result.attempts, 2)
    assert.equal(probe.calls, 2, 'no probe after the stop')
    assert.equal(result.last.verdict, 'DENIED_VPCSC_OTHER_SERVICE')
  })

  it('want is checked before stop', async () => {
    const probe = new ScriptedProbe(['ALLOWED'])
    const result = await probeUntil(probe, 'recovery-wait', (o) => o.verdict === 'ALLOWED', () => true, options())
    assert.equal(result.reached, true)
  })

  it('returns not reached at the timeout, without waiting past it', async () => {
    const probe = new ScriptedProbe(['ALLOWED'])
    const started = Date.now()
    const result = await probeUntil(probe, 'deny-wait', wantDenied, never, options({timeoutMs: 200}))
    const took = Date.now() - started
    assert.equal(result.reached, false)
    assert.equal(result.last.verdict, 'ALLOWED')
    assert.ok(result.attempts >= 3, `several attempts in 200 ms with 5..20 ms intervals: ${result.attempts}`)
    assert.equal(result.attempts, probe.calls)
    // No pause is started that would end past the timeout; a timer may fire a few ms late.
    assert.ok(result.elapsedMs <= 250, `elapsed ${result.elapsedMs}`)
    assert.ok(took < 1000, `took ${took} ms`)
  })

  it('throws PROBE_FAILING after 3 ERRORs in a row', async () => {
    const probe = new ScriptedProbe(['ERROR', 'ERROR', 'ERROR', 'DENIED_VPCSC'])
    await assert.rejects(probeUntil(probe, 'deny-wait', wantDenied, stopOtherDenial, options()), (error: unknown) => {
      assert.ok(error instanceof VpcscError)
      assert.equal(error.code, 'PROBE_FAILING')
      assert.equal(error.exitCode, ExitCode.runtime)
      assert.match(error.message, /3 times in a row/)
      assert.match(error.message, /answer 3: ERROR/, 'names the last error')
      assert.ok(error.hint)
      return true
    })
    assert.equal(probe.calls, 3)
  })

  it('ERROR, ALLOWED, ERROR, ERROR does not throw: the count restarts after a good answer', async () => {
    const probe = new ScriptedProbe(['ERROR', 'ALLOWED', 'ERROR', 'ERROR', 'DENIED_VPCSC'])
    const result = await probeUntil(probe, 'deny-wait', wantDenied, stopOtherDenial, options())
    assert.equal(result.reached, true)
    assert.equal(result.attempts, 5)
  })

  it('honours maxConsecutiveErrors (1: the first ERROR ends the wait)', async () => {
    const probe = new ScriptedProbe(['ERROR', 'DENIED_VPCSC'])
    await assert.rejects(probeUntil(probe, 'deny-wait', wantDenied, stopOtherDenial, options({polling: {...FAST, maxConsecutiveErrors: 1}})), {code: 'PROBE_FAILING'})
    assert.equal(probe.calls, 1)
  })

  it('an abort during a long interval ends the wait promptly', async () => {
    const probe = new ScriptedProbe(['ALLOWED'])
    const controller = new AbortController()
    const started = Date.now()
    setTimeout(() => controller.abort(), 50)
    const result = await probeUntil(probe, 'deny-wait', wantDenied, never, options({timeoutMs: 600_000, signal: controller.signal, polling: {firstIntervalMs: 30_000, maxIntervalMs: 30_000, maxConsecutiveErrors: 3}}))
    const took = Date.now() - started
    assert.equal(result.reached, false)
    assert.equal(result.attempts, 1)
    assert.equal(probe.calls, 1, 'no probe after the abort')
    assert.ok(took < 2_000, `returned after ${took} ms, well before the 30 s interval`)
  })

  it('an already aborted signal: one attempt, then back at once', async () => {
    const controller = new AbortController()
    controller.abort()
    const probe = new ScriptedProbe(['ALLOWED'])
    const started = Date.now()
    const result = await probeUntil(probe, 'deny-wait', wantDenied, never, options({signal: controller.signal, polling: {firstIntervalMs: 30_000, maxIntervalMs: 30_000, maxConsecutiveErrors: 3}}))
    assert.equal(result.reached, false)
    assert.ok(Date.now() - started < 1000)
    assert.ok(probe.calls <= 1)
  })

  it('onProgress receives every attempt with the phase, attempt number, elapsed time and outcome', async () => {
    const events: ProgressEvent[] = []
    const probe = new ScriptedProbe(['ERROR', 'ALLOWED', 'ALLOWED', 'DENIED_VPCSC'])
    await probeUntil(probe, 'recovery-wait', wantDenied, never, options({onProgress: (e) => events.push(e)}))
    assert.deepEqual(
      events.map((e) => [e.phase, e.attempt, e.last?.verdict]),
      [
        ['recovery-wait', 1, 'ERROR'],
        ['recovery-wait', 2, 'ALLOWED'],
        ['recovery-wait', 3, 'ALLOWED'],
        ['recovery-wait', 4, 'DENIED_VPCSC'],
      ],
    )
    for (const e of events) assert.equal(typeof e.elapsedMs, 'number')
    const elapsed = events.map((e) => e.elapsedMs!)
    assert.deepEqual([...elapsed].sort((a, b) => a - b), elapsed, 'elapsed time never goes back')
  })

  it('the interval grows by 1.5x up to maxIntervalMs', async () => {
    const times: number[] = []
    const probe: Probe = {
      description: 'timing probe',
      async run() {
        times.push(Date.now())
        return {verdict: 'ALLOWED', detail: 'ok'}
      },
    }
    await probeUntil(probe, 'deny-wait', () => times.length >= 6, never, options({polling: {firstIntervalMs: 40, maxIntervalMs: 90, maxConsecutiveErrors: 3}}))
    const gaps = times.slice(1).map((t, i) => t - times[i]!)
    // Planned: 40, 60, 90, 90, 90 (timers fire no earlier than asked).
    const planned = [40, 60, 90, 90, 90]
    gaps.forEach((gap, i) => assert.ok(gap >= planned[i]! - 2, `gap ${i} was ${gap} ms, planned ${planned[i]}`))
    assert.ok(gaps[2]! < 90 * 1.5 + 60, `capped at maxIntervalMs: ${gaps.join(', ')}`)
  })
})
