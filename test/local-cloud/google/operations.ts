import {randomBytes} from 'node:crypto'
import {rfc3339} from './audit-log.ts'
import type {Clock} from './clock.ts'
import {ApiError, notFound} from './google-errors.ts'
import {clone} from './json.ts'
import type {JsonObject} from './json.ts'

export const TYPE_PREFIX = 'type.googleapis.com/google.identity.accesscontextmanager.v1.'
const METADATA: JsonObject = {'@type': `${TYPE_PREFIX}AccessContextManagerOperationMetadata`}

/** How a write's operation ends: with the written resource, or with an error status. */
export type OperationOutcome = {response: JsonObject} | {error: JsonObject}

/**
 * What a write does when the service commits it, at emulator time `at`: check what must
 * still hold (the etag it was sent with, the references it needs), change the store and
 * say what the operation answers. An ApiError thrown here ends the operation with that
 * error and nothing changed.
 */
export type CommitFn = (at: number) => OperationOutcome

/** What a write tells the scheduler about itself when it is accepted. */
export interface NewOperation {
  policy: string
  /** The discovery method, e.g. accessPolicies.accessLevels.replaceAll. */
  method: string
  /** The resource written (the policy for replaceAll and commit). */
  target: string
  /** The etag the write was sent with, when it carries one (checked again at commit). */
  etag?: string
  /** Emulator time it was accepted (default: now). */
  acceptedAt?: number
  /** Emulator time after which the service commits it. */
  dueAt: number
  commit: CommitFn
}

interface OperationRecord extends Omit<NewOperation, 'commit'> {
  name: string
  seq: number
  acceptedAt: number
  commit?: CommitFn
  /** Set at commit: the operation is done. */
  outcome?: OperationOutcome
}

/** Node's timers cap at 2^31-1 ms (about 24.8 days); a longer wait is re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Long-running operations as the live service runs them: a write is validated when it
 * arrives and answered with a not-done operation; the service commits it on its own
 * once its time has come, whether or not anybody polls. Before that, reads see the old
 * state and the old etag; at commit the change is applied, the policy etag moves and
 * VPC-SC's propagation starts. Commits happen lazily at the start of every request
 * (so a test reading /__admin/state sees the truth) and from a timer (so a client
 * that died, or lost the answer, still leaves a committed write behind).
 */
export class Operations {
  readonly #records = new Map<string, OperationRecord>()
  readonly #clock: Clock
  #seq = 0
  #timer: NodeJS.Timeout | undefined
  #stopped = false

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** Record an accepted write; it answers the operation, not done yet. */
  create(spec: NewOperation): JsonObject {
    const name = `operations/${randomBytes(12).toString('hex')}`
    // The caller's own reading of the clock: dueAt was computed from the same instant.
    this.#records.set(name, {...spec, name, seq: ++this.#seq, acceptedAt: spec.acceptedAt ?? this.#clock.now()})
    this.settleDue()
    return this.view(name)
  }

  /** The pending operations, in commit order. */
  pending(policy?: string): OperationRecord[] {
    return [...this.#records.values()]
      .filter((record) => !record.outcome && (policy === undefined || record.policy === policy))
      .sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq)
  }

  /** When the last pending write of `policy` commits, or undefined when none is pending. */
  lastDueAt(policy: string): number | undefined {
    return this.pending(policy).at(-1)?.dueAt
  }

  /** GET v1/operations/{id}: done:false until committed, then the outcome. */
  get(name: string): JsonObject {
    if (!this.#records.has(name)) throw notFound('Operation', name)
    return this.view(name)
  }

  /** Every operation in the order they were accepted (operations.list). */
  all(): JsonObject[] {
    return [...this.#records.values()].sort((a, b) => a.seq - b.seq).map((record) => this.view(record.name))
  }

  /** Commit every pending operation whose time has come, in order. */
  settleDue(): string[] {
    const committed: string[] = []
    for (;;) {
      const next = this.pending()[0]
      if (!next || next.dueAt > this.#clock.now()) break
      this.#commit(next, next.dueAt)
      committed.push(next.name)
    }
    this.#schedule()
    return committed
  }

  /** Commit everything pending now, in order (a test's "the service caught up"). */
  settleAll(): string[] {
    const committed: string[] = []
    for (let next = this.pending()[0]; next; next = this.pending()[0]) {
      this.#commit(next, Math.max(this.#clock.now(), next.acceptedAt))
      committed.push(next.name)
    }
    this.#schedule()
    return committed
  }

  /**
   * The emulator clock moved by `deltaMs`. Back: pending operations move back with the
   * history (still due the same time after acceptance). Forward: whatever is now due commits.
   */
  clockMoved(deltaMs: number): void {
    if (deltaMs < 0) {
      for (const record of this.#records.values()) {
        record.acceptedAt += deltaMs
        if (!record.outcome) record.dueAt += deltaMs
      }
    }
    this.settleDue()
  }

  /** Admin view of pending operations. */
  describePending(): JsonObject[] {
    return this.pending().map((record) => {
      const described: JsonObject = {
        name: record.name,
        policy: record.policy,
        method: record.method,
        target: record.target,
        acceptedAt: rfc3339(record.acceptedAt),
        dueAt: rfc3339(record.dueAt),
      }
      if (record.etag !== undefined) described.etag = record.etag
      return described
    })
  }

  /** Forget every operation, pending ones included (reset): nothing pending commits later. */
  clear(): void {
    this.#records.clear()
    this.#schedule()
  }

  /** The server closes: no timer may fire afterwards. */
  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  view(name: string): JsonObject {
    const record = this.#records.get(name)
    if (!record) throw notFound('Operation', name)
    if (!record.outcome) return {name, metadata: clone(METADATA), done: false}
    return {name, metadata: clone(METADATA), done: true, ...clone(record.outcome as JsonObject)}
  }

  #commit(record: OperationRecord, at: number): void {
    const commit = record.commit
    delete record.commit
    try {
      record.outcome = commit ? commit(at) : {error: {code: 13, message: 'Internal error encountered.'}}
    } catch (error) {
      // An emulator bug must not take the server down from a timer: end the operation with INTERNAL.
      record.outcome = {
        error: error instanceof ApiError ? error.toStatus() : {code: 13, message: `local Google Cloud internal error: ${String(error)}`},
      }
    }
  }

  #schedule(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const next = this.pending()[0]
    if (!next || this.#stopped) return
    const wait = Math.min(Math.max(next.dueAt - this.#clock.now(), 0), MAX_TIMER_MS)
    this.#timer = setTimeout(() => this.settleDue(), wait)
    // The server's socket keeps a process alive, not a pending commit.
    this.#timer.unref()
  }
}
