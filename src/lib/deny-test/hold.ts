import {describeOwner, findMarker, ownerState, type Marker, type OwnerState} from './marker.ts'
import {RefusedError, RestoreNeededError, VpcscError} from '../core/errors.ts'
import type {AccessLevel} from '../gcp/types.ts'
import {findJournal, writerAlive, type Journal} from './journal.ts'

/**
 * Whether a deny test holds a level, from both places it is recorded: the marker in the
 * access policy (what every host and scheduler sees) and this machine's journal (which
 * alone knows of a swap still on its way). Every writer of the level asks here first
 * (docs/safety.md, rules 3 and 9).
 */

export interface DenyTestHold {
  level: string
  marker?: Marker
  journal?: Journal
  /** running: its owner is (or may be) alive; gone: it was interrupted, a restore is owed. */
  state: 'running' | 'gone'
  owner: OwnerState
  who: string
  denyCidr: string
  startedAt: string
}

export async function denyTestHold(stateDir: string, levels: AccessLevel[], levelName: string): Promise<DenyTestHold | undefined> {
  const marker = findMarker(levels, levelName)
  const journal = await findJournal(stateDir, levelName)
  if (!marker && !journal) return undefined
  // The local journal decides for a test of this host (its pid is exact); the marker for
  // a test of another host, taken as alive until its time is up.
  const owner: OwnerState = journal ? (writerAlive(journal) ? 'running-here' : marker ? ownerState(marker) : 'gone') : ownerState(marker!)
  const source = (journal ?? marker)!
  return {
    level: levelName,
    marker,
    journal,
    state: owner === 'gone' ? 'gone' : 'running',
    owner,
    who: describeOwner(marker ?? journal!),
    denyCidr: source.denyCidr,
    startedAt: source.startedAt,
  }
}

/** The error for a deny test in the way: still running (5) or interrupted (6). */
export function holdInTheWay(hold: DenyTestHold, doing: string): VpcscError {
  if (hold.state === 'running') {
    return new RefusedError({
      code: 'TEST_RUNNING',
      message: `A deny test is running on ${hold.level} (${hold.who}${hold.owner === 'running-elsewhere' ? ', on another host' : ''}): ${doing}.`,
      hint: 'Wait for it to finish (Ctrl-C on it restores the level before it exits).',
      details: {hold: summary(hold)},
    })
  }
  return new RestoreNeededError({
    message: hold.marker
      ? `An interrupted deny test (${hold.who}) left ${hold.level} swapped to ${hold.denyCidr}: ${doing}.`
      : `An interrupted deny test (${hold.who}) may have swapped ${hold.level} to ${hold.denyCidr} (its local journal remains): ${doing}.`,
    code: 'RESTORE_NEEDED',
    hint: 'Run vpcsc restore to put the original IP list back (from any host).',
    details: {hold: summary(hold)},
  })
}

function summary(hold: DenyTestHold) {
  return {level: hold.level, state: hold.state, owner: hold.owner, who: hold.who, denyCidr: hold.denyCidr, startedAt: hold.startedAt, marker: hold.marker?.name, journal: Boolean(hold.journal)}
}
