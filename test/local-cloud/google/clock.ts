/**
 * The emulator's notion of now: real time plus an offset tests set through
 * POST /__admin/clock. It dates audit entries and ages ACM changes (propagation).
 * Access tokens keep real time: clients compare their expiry with their own clock.
 */
export class Clock {
  offsetMs = 0

  now(): number {
    return Date.now() + this.offsetMs
  }
}
