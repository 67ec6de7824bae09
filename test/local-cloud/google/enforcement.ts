import {clone} from './json.ts'
import type {JsonObject} from './json.ts'
import type {AcmState} from './vpc-sc.ts'

/**
 * Propagation: what VPC Service Controls enforces lags behind what Access Context Manager
 * stores. Every change of levels or perimeters records a timestamped snapshot; a decision
 * uses the newest snapshot at least `delayMs` old (the oldest one when none is: the state
 * that held before the emulator's history began).
 */

interface Snapshot extends AcmState {
  /** Emulator time (Clock) of the change. */
  at: number
}

/** Enough history for any test; the oldest snapshots go first. */
const MAX_SNAPSHOTS = 1000

export class Enforcement {
  #snapshots: Snapshot[] = []

  /** Forget the history: `state` is what has always been enforced (startup, reset). */
  reset(state: AcmState, at: number): void {
    this.#snapshots = [snapshotOf(state, at)]
  }

  /** A change to levels or perimeters, at emulator time `at`. */
  record(state: AcmState, at: number): void {
    this.#snapshots.push(snapshotOf(state, at))
    if (this.#snapshots.length > MAX_SNAPSHOTS) this.#snapshots.splice(0, this.#snapshots.length - MAX_SNAPSHOTS)
  }

  /**
   * The clock moved by `deltaMs`. Moving it back keeps what is enforced as it was (the
   * history moves back too); moving it forward ages pending changes, so a test can make
   * them take effect without waiting.
   */
  clockMoved(deltaMs: number): void {
    if (deltaMs >= 0) return
    for (const snapshot of this.#snapshots) snapshot.at += deltaMs
  }

  /** The state in force at `now` with a propagation delay of `delayMs`, and since when it was recorded. */
  effective(now: number, delayMs: number): Snapshot {
    const cutoff = now - delayMs
    let chosen = this.#snapshots[0]
    for (const snapshot of this.#snapshots) if (snapshot.at <= cutoff) chosen = snapshot
    if (!chosen) throw new Error('enforcement history is empty: reset() was never called')
    return chosen
  }

  /** Changes recorded but not in force yet: the snapshots newer than the effective one. */
  pending(now: number, delayMs: number): number {
    return this.#snapshots.length - 1 - this.#snapshots.indexOf(this.effective(now, delayMs))
  }
}

function snapshotOf(state: AcmState, at: number): Snapshot {
  return {
    at,
    levels: state.levels.map((level: JsonObject) => clone(level)),
    perimeters: state.perimeters.map((perimeter: JsonObject) => clone(perimeter)),
  }
}
