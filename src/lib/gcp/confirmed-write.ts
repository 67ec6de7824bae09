import type {VpcscError} from '../core/errors.ts'
import {GoogleApiError, PERMANENT_REFUSALS} from './google-error.ts'
import type {AccessContextManager} from './acm.ts'
import type {Operation} from './types.ts'
import {sleep} from '../core/sleep.ts'

/**
 * A write that carries the policy etag, and whose outcome is confirmed by reading, never
 * guessed (docs/safety.md, rules 2 and 7).
 *
 * The policy etag is the API's only compare-and-swap (docs/api-facts.md): a write that
 * carries etag E lands only while the policy's etag is E, and every committed write moves
 * it. That makes a lost answer decidable: read the policy again and
 * - it holds what we wrote: ours (the answer was lost, the write was not);
 * - the etag moved and it holds what it held before: ours can never land any more (it
 *   carried the old etag), so nothing was written; since our resource is untouched it is
 *   safe to send once more with the fresh etag;
 * - the etag did not move: ours may still be on its way or pending; sending the SAME write
 *   with the SAME etag again cannot double it (at most one of the two can match E), so it
 *   is sent again, after a pause, until the etag moves or the deadline passes;
 * - anything else: a foreign change. Nothing is touched; the caller says what it found.
 */

export interface Observed<S> {
  /** The policy etag, read BEFORE the state it protects. */
  etag: string
  state: S
}

export type Finding = 'target' | 'before' | 'other'

export interface WriteSpec<S> {
  /** What is written, for messages: "access level accessPolicies/1/accessLevels/x". */
  what: string
  /** The verb for operation errors: "update access level ...". */
  action: string
  read(signal?: AbortSignal): Promise<Observed<S>>
  /**
   * The state alone, for the read-back once the operation is done: the operation has
   * decided the write, so no etag is needed, and the read costs one call less (the policy
   * GET) where `read` needs two. Without it, `read` is used.
   */
  readBack?(signal?: AbortSignal): Promise<S>
  /** Sends the write, carrying `basis.etag`; built from `basis.state` (replaceAll sends every level). */
  send(basis: Observed<S>, signal?: AbortSignal): Promise<Operation>
  /** What a state is: what we meant to write, what was there when we planned, or neither. */
  classify(state: S): Finding
  /** Called once the API accepted the write (the operation name), e.g. to journal it. */
  onOperation?(operation: string): Promise<void>
}

export interface WriteOptions {
  acm: AccessContextManager
  signal?: AbortSignal
  /** Bound on the whole write: sending, the operation, confirming (default 2 min). */
  deadlineMs?: number
}

export interface ConfirmedWrite<S> {
  /** The operation, when its answer came back. */
  operation?: string
  /** The answer was lost (or the operation could not be followed) and a read confirmed the write. */
  answerLost: boolean
  /**
   * None of our sends can have landed (each was refused while another write of the policy
   * was pending, or its operation ended ABORTED at commit) and the read then found exactly
   * what we meant to write: another write put it there (an earlier run whose write was
   * still pending, a second host with the same plan).
   */
  writtenByAnother: boolean
  /** Sent again with a fresh etag after another write elsewhere in the policy moved it. */
  retriedWithFreshEtag: boolean
  /** The state read back after the write. */
  after: S
  writeMs: number
}

/** Someone else's change: the resource is neither what we planned from nor what we wrote. */
export class ForeignChange<S = unknown> extends Error {
  readonly now: S
  constructor(now: S) {
    super('the resource was changed by someone else')
    this.name = 'ForeignChange'
    this.now = now
  }
}

/** Known not to have landed (the API refused it, or its operation failed). */
export class NotWritten extends Error {
  readonly reason: VpcscError | Error
  constructor(reason: VpcscError | Error) {
    super(reason.message)
    this.name = 'NotWritten'
    this.reason = reason
  }
}

/** Neither confirmed nor ruled out before the deadline (or an interrupt): the API stopped answering. */
export class WriteUnknown extends Error {
  readonly reason: Error
  constructor(reason: Error) {
    super(reason.message)
    this.name = 'WriteUnknown'
    this.reason = reason
  }
}

const DEFAULT_DEADLINE_MS = 120_000
/** How many times the same write may be sent (the first included) while its fate is open. */
const MAX_SENDS = 5
/** Reads while a write refused outright waits for someone else's pending write to commit. */
const MAX_WAITS_FOR_OTHERS = 8
/** Pauses between confirmation rounds (reads after a lost answer or a refusal): 250 ms, doubling to 4 s (a rate-limited send waits four times as long), so that no loop spins on the policy (rule 8). */
const FIRST_PAUSE_MS = 250
const MAX_PAUSE_MS = 4_000

export async function confirmedWrite<S>(spec: WriteSpec<S>, first: Observed<S>, options: WriteOptions): Promise<ConfirmedWrite<S>> {
  const started = Date.now()
  const deadline = started + (options.deadlineMs ?? DEFAULT_DEADLINE_MS)
  const {signal} = options
  let basis = first
  let freshRetryLeft = true
  let retriedWithFreshEtag = false
  let answerLost = false
  let pause = FIRST_PAUSE_MS
  let lastProblem: Error = new Error('no answer')
  let sends = 0
  // Whether any write we sent with the current etag may have been accepted. Until one may
  // have, a 409 is a clean refusal: a pending write then is someone else's, and the same
  // etag is waited out by reading, not sent again.
  let mayHaveLanded = false
  let waitedForOthers = 0

  for (;;) {
    let operation: Operation | undefined
    // A refusal or a failed operation says only that THIS send did not land: once an earlier
    // send with this etag may have, nothing is "not written" until a read says so (rule 7).
    const earlierMayHaveLanded: boolean = mayHaveLanded
    try {
      sends++
      operation = await spec.send(basis, signal)
    } catch (error) {
      lastProblem = error as Error
      if (!earlierMayHaveLanded) {
        if (isRateLimited(error) && sends < MAX_SENDS && Date.now() < deadline) {
          // Refused before anything was stored: the same write again, after a pause.
          await sleep(Math.min(pause * 4, Math.max(0, deadline - Date.now())), signal)
          pause = Math.min(pause * 2, MAX_PAUSE_MS)
          continue
        }
        if (refusedBeforeApplying(error)) throw new NotWritten(error as Error)
      }
      // A conflict, a lost connection, a timeout, a 5xx, or a refused resend: decided by
      // reading, below.
      if (!isConflict(error) && !refusedBeforeApplying(error)) {
        answerLost = true
        mayHaveLanded = true
      }
    }
    if (operation) {
      mayHaveLanded = true
      await spec.onOperation?.(operation.name)
      try {
        const done = await options.acm.waitForOperation(operation, spec.action, {signal, deadline})
        const after = spec.readBack ? await spec.readBack(signal) : (await spec.read(signal)).state
        if (spec.classify(after) === 'target') {
          return {operation: done.name, answerLost, writtenByAnother: false, retriedWithFreshEtag, after, writeMs: Date.now() - started}
        }
        throw new ForeignChange(after)
      } catch (error) {
        if (error instanceof ForeignChange) throw error
        if (error instanceof GoogleApiError && error.code === 'OPERATION_FAILED' && !isAbortedOperation(error) && !earlierMayHaveLanded) throw new NotWritten(error)
        // Aborted at commit (a stale etag), or the operation could not be followed.
        lastProblem = error as Error
        // A failed operation is this send's own answer: it did not land. What the read finds
        // then is ours only if an earlier send may have landed (else another write's).
        if (error instanceof GoogleApiError && error.code === 'OPERATION_FAILED') mayHaveLanded = earlierMayHaveLanded
        else answerLost = true
      }
    }

    // Decide by reading what the policy holds now.
    for (;;) {
      if (signal?.aborted || Date.now() >= deadline) throw new WriteUnknown(lastProblem)
      let now: Observed<S>
      try {
        now = await spec.read(signal)
      } catch (error) {
        lastProblem = error as Error
        await sleep(Math.min(pause, Math.max(0, deadline - Date.now())), signal)
        pause = Math.min(pause * 2, MAX_PAUSE_MS)
        continue
      }
      const finding = spec.classify(now.state)
      if (finding === 'target') {
        // Ours, unless none of our sends with this etag can have landed: then another write's.
        return {answerLost: mayHaveLanded, writtenByAnother: !mayHaveLanded, retriedWithFreshEtag, after: now.state, writeMs: Date.now() - started}
      }
      if (finding === 'other') throw new ForeignChange(now.state)
      if (now.etag !== basis.etag) {
        // Ours carried the old etag: it can no longer land. Untouched: send once more.
        if (!freshRetryLeft) throw new NotWritten(new Error('the access policy kept changing under the write'))
        freshRetryLeft = false
        retriedWithFreshEtag = true
        answerLost = false
        mayHaveLanded = false
        basis = now
        break
      }
      if (!mayHaveLanded && waitedForOthers < MAX_WAITS_FOR_OTHERS) {
        // Ours was refused outright (409) while another write is pending: read again once
        // that one has had time to commit; sending ours again would only meet it.
        waitedForOthers++
        await sleep(Math.min(pause, Math.max(0, deadline - Date.now())), signal)
        pause = Math.min(pause * 2, MAX_PAUSE_MS)
        continue
      }
      // Same etag: ours may still be in flight or pending. The same write again is safe.
      if (sends >= MAX_SENDS) throw new WriteUnknown(lastProblem)
      await sleep(Math.min(pause, Math.max(0, deadline - Date.now())), signal)
      pause = Math.min(pause * 2, MAX_PAUSE_MS)
      break
    }
  }
}

/** Answers that say the write was refused before anything was stored. */
function refusedBeforeApplying(error: unknown): boolean {
  // Not an answer of the API (no credentials, a token refused): the write was never sent.
  if (!(error instanceof GoogleApiError)) return true
  return error.httpStatus !== undefined && [...PERMANENT_REFUSALS, 429].includes(error.httpStatus) && error.code !== 'CONFLICT'
}

function isRateLimited(error: unknown): boolean {
  return error instanceof GoogleApiError && error.httpStatus === 429
}

function isConflict(error: unknown): boolean {
  return error instanceof GoogleApiError && error.code === 'CONFLICT'
}

/** An operation that ended ABORTED (code 10): its etag was stale when it was committed. */
function isAbortedOperation(error: GoogleApiError): boolean {
  return /with code 10\b|ABORTED/i.test(error.message)
}
