import {isDeepStrictEqual} from 'node:util'

import type {Clients} from './clients.ts'
import {refusedError, runtimeError} from './errors.ts'
import type {AccessLevel, Operation} from './gcp/types.ts'

/**
 * The one way vpcsc writes an access level (DESIGN.md rule 2): `accessLevels:replaceAll`
 * carrying the policy etag that was read BEFORE the levels, so that any write by anyone
 * in between makes the API refuse instead of being overwritten. Where the API gives no
 * etag, the level is re-read right before a PATCH and compared. After the operation is
 * done, the level is read back and must be exactly what was written.
 */

export interface LevelSnapshot {
  policy: string
  /** Undefined when the API gave none. */
  etag?: string
  /** Every level of the policy, as read. */
  levels: AccessLevel[]
  level: AccessLevel
}

export interface LevelWrite {
  method: 'replaceAll' | 'patch'
  operation: string
  writeMs: number
  operationMs: number
  readBackMs: number
}

/** Reads the etag, then the levels it protects; in that order. */
export async function readForWrite(clients: Clients, policy: string, levelName: string): Promise<LevelSnapshot> {
  const policyResource = await clients.acm.getPolicy(policy)
  const levels = await clients.acm.listLevels(policy)
  const level = levels.find((l) => l.name === levelName) ?? (await clients.acm.getLevel(levelName))
  return {policy, etag: policyResource.etag, levels, level}
}

/** A conflict: the level (or the policy) moved since `snapshot` was read. */
export class LevelConflict extends Error {
  readonly now: AccessLevel
  constructor(now: AccessLevel) {
    super('conflict')
    this.now = now
  }
}

/**
 * Writes `target` in place of `snapshot.level`. Throws LevelConflict (with the level as
 * it is now) when someone else wrote first; any other failure is thrown as it came.
 */
export async function writeLevel(
  clients: Clients,
  snapshot: LevelSnapshot,
  target: AccessLevel,
  action: string,
  options: {onOperation?: (name: string) => Promise<void>} = {},
): Promise<LevelWrite> {
  // DESIGN.md rule 1, for every writer: an empty ipSubnetworks admits every address.
  if (target.basic?.conditions.some((c) => c.ipSubnetworks !== undefined && c.ipSubnetworks.length === 0)) {
    throw refusedError('EMPTY_LIST', `Refusing to write ${target.name} with an empty ipSubnetworks: an empty list admits every IP address.`)
  }
  const writeStarted = Date.now()
  let operation: Operation
  let method: LevelWrite['method']
  try {
    if (snapshot.etag) {
      method = 'replaceAll'
      const levels = snapshot.levels.map((l) => (l.name === target.name ? target : l))
      if (!levels.some((l) => l.name === target.name)) levels.push(target)
      operation = await clients.acm.replaceAllLevels(snapshot.policy, levels, snapshot.etag)
    } else {
      method = 'patch'
      const now = await clients.acm.getLevel(snapshot.level.name)
      if (!isDeepStrictEqual(now, snapshot.level)) throw new LevelConflict(now)
      operation = await clients.acm.patchLevelConditions(target)
    }
  } catch (error) {
    if (error instanceof LevelConflict) throw error
    if ((error as {code?: string}).code === 'CONFLICT') throw new LevelConflict(await clients.acm.getLevel(snapshot.level.name))
    throw error
  }
  const writeMs = Date.now() - writeStarted
  await options.onOperation?.(operation.name)

  const operationStarted = Date.now()
  const done = await clients.acm.waitForOperation(operation, action)
  const operationMs = Date.now() - operationStarted

  const readBackStarted = Date.now()
  const after = await clients.acm.getLevel(target.name)
  if (!isDeepStrictEqual(after, target)) {
    throw runtimeError(
      'READ_BACK_MISMATCH',
      `The write to ${target.name} finished (operation ${done.name}) but the level read back differs from what was written.`,
      'Someone may have changed it at the same moment: run vpcsc status and compare.',
      {expected: target, actual: after},
    )
  }
  return {method, operation: done.name, writeMs, operationMs, readBackMs: Date.now() - readBackStarted}
}

/** In words: what differs between the level as planned and as it is now. */
export function describeChange(before: AccessLevel, now: AccessLevel, condition: number): string {
  if (isDeepStrictEqual(now, before)) return 'another resource of the access policy changed (the policy etag moved), this level did not'
  const beforeIps = before.basic?.conditions[condition]?.ipSubnetworks ?? []
  const nowIps = now.basic?.conditions[condition]?.ipSubnetworks ?? []
  return isDeepStrictEqual(beforeIps, nowIps) ? 'other fields of the level changed' : `its IP list is now [${nowIps.join(', ')}] (was [${beforeIps.join(', ')}])`
}
