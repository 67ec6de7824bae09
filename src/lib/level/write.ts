import {isDeepStrictEqual} from 'node:util'

import type {Clients} from '../core/clients.ts'
import {confirmedWrite, ForeignChange, NotWritten, WriteUnknown, type Finding, type Observed} from '../gcp/confirmed-write.ts'
import {RefusedError, RuntimeError, VpcscError} from '../core/errors.ts'
import {GoogleApiError} from '../gcp/google-error.ts'
import type {AccessLevel} from '../gcp/types.ts'

/**
 * The one way vpcsc writes access levels (docs/safety.md, rules 1, 2 and 7):
 * `accessLevels:replaceAll` carrying the policy etag that was read BEFORE the levels, so
 * that any write by anyone in between makes the API refuse instead of being overwritten,
 * and every outcome is confirmed by reading (confirmed-write.ts). Without an etag there
 * is no compare-and-swap: vpcsc then refuses to write, unless forced, in which case the
 * level is re-read and compared right before a PATCH and read back after.
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
  operation?: string
  /** The API's answer was lost; reading the policy confirmed the write landed. */
  answerLost: boolean
  /** Ours was refused while another write was pending, and that write put exactly this in place (confirmed-write.ts). */
  writtenByAnother?: boolean
  /** Another write elsewhere in the policy moved the etag; sent once more with the fresh one. */
  retriedWithFreshEtag: boolean
  writeMs: number
}

/** Reads the etag, then the levels it protects; in that order. */
export async function readLevels(clients: Clients, policy: string, signal?: AbortSignal): Promise<{etag?: string; levels: AccessLevel[]}> {
  const policyResource = await clients.acm.getPolicy(policy, signal)
  const levels = await clients.acm.listLevels(policy, signal)
  return {etag: policyResource.etag, levels}
}

export async function readForWrite(clients: Clients, policy: string, levelName: string, signal?: AbortSignal): Promise<LevelSnapshot> {
  const {etag, levels} = await readLevels(clients, policy, signal)
  const level = levels.find((l) => l.name === levelName) ?? (await clients.acm.getLevel(levelName, signal))
  return {policy, etag, levels, level}
}

export interface LevelsWrite {
  /** For messages: "access level X". */
  what: string
  action: string
  /** The levels to send, built from the levels as read (replaceAll replaces every level). */
  build(levels: AccessLevel[]): AccessLevel[]
  classify(levels: AccessLevel[]): Finding
  onOperation?(operation: string): Promise<void>
}

/**
 * A confirmed replaceAll of the policy's levels. Throws ForeignChange (with the levels as
 * they are now), NotWritten or WriteUnknown (confirmed-write.ts); never a bare conflict.
 */
export async function replaceLevels(
  clients: Clients,
  snapshot: {policy: string; etag?: string; levels: AccessLevel[]},
  write: LevelsWrite,
  options: {signal?: AbortSignal; deadlineMs?: number} = {},
): Promise<LevelWrite & {after: AccessLevel[]}> {
  if (!snapshot.etag) throw noEtag(snapshot.policy)
  for (const level of write.build(snapshot.levels)) assertNoEmptyList(level)
  const result = await confirmedWrite<AccessLevel[]>(
    {
      what: write.what,
      action: write.action,
      read: async (signal) => {
        const {etag, levels} = await readLevels(clients, snapshot.policy, signal)
        if (!etag) throw noEtag(snapshot.policy)
        return {etag, state: levels}
      },
      readBack: (signal) => clients.acm.listLevels(snapshot.policy, signal),
      send: (basis: Observed<AccessLevel[]>, signal) => clients.acm.replaceAllLevels(snapshot.policy, write.build(basis.state), basis.etag, signal),
      classify: write.classify,
      onOperation: write.onOperation,
    },
    {etag: snapshot.etag, state: snapshot.levels},
    {acm: clients.acm, ...options},
  )
  return {method: 'replaceAll', operation: result.operation, answerLost: result.answerLost, ...(result.writtenByAnother ? {writtenByAnother: true} : {}), retriedWithFreshEtag: result.retriedWithFreshEtag, writeMs: result.writeMs, after: result.after}
}

/**
 * Writes `target` in place of `snapshot.level`. Throws ForeignChange<AccessLevel> (the
 * level as it is now) when someone else changed it, NotWritten or WriteUnknown.
 */
export async function writeLevel(
  clients: Clients,
  snapshot: LevelSnapshot,
  target: AccessLevel,
  action: string,
  options: {force?: boolean; signal?: AbortSignal} = {},
): Promise<LevelWrite> {
  assertNoEmptyList(target)
  if (!snapshot.etag && options.force) return patchLevel(clients, snapshot, target, action, options.signal)
  const find = (levels: AccessLevel[]) => levels.find((l) => l.name === target.name)
  try {
    const {after: _after, ...write} = await replaceLevels(
      clients,
      snapshot,
      {
        what: `access level ${target.name}`,
        action,
        build: (levels) => (levels.some((l) => l.name === target.name) ? levels.map((l) => (l.name === target.name ? target : l)) : [...levels, target]),
        classify: (levels) => {
          const now = find(levels)
          return isDeepStrictEqual(now, target) ? 'target' : isDeepStrictEqual(now, snapshot.level) ? 'before' : 'other'
        },
      },
      options,
    )
    return write
  } catch (error) {
    if (error instanceof ForeignChange) throw new ForeignChange<AccessLevel | undefined>(find(error.now as AccessLevel[]))
    throw error
  }
}

/** The PATCH path, only when forced: no etag means no compare-and-swap (docs/safety.md, rule 2). */
async function patchLevel(clients: Clients, snapshot: LevelSnapshot, target: AccessLevel, action: string, signal?: AbortSignal): Promise<LevelWrite> {
  const started = Date.now()
  const now = await clients.acm.getLevel(snapshot.level.name, signal)
  if (!isDeepStrictEqual(now, snapshot.level)) throw new ForeignChange<AccessLevel>(now)
  let operationName: string
  try {
    const operation = await clients.acm.patchLevelConditions(target, signal)
    operationName = operation.name
    await clients.acm.waitForOperation(operation, action, {signal})
  } catch (failure) {
    // A PATCH carries no etag: it is never re-sent blind, only confirmed by reading.
    const found = await clients.acm.getLevel(target.name, signal).catch(() => undefined)
    if (found && isDeepStrictEqual(found, target)) return {method: 'patch', answerLost: true, retriedWithFreshEtag: false, writeMs: Date.now() - started}
    if (found && !isDeepStrictEqual(found, snapshot.level)) throw new ForeignChange<AccessLevel>(found)
    const refused = failure instanceof GoogleApiError && failure.httpStatus !== undefined && failure.httpStatus < 500 && failure.code !== 'CONFLICT'
    throw refused ? new NotWritten(failure) : new WriteUnknown(failure as Error)
  }
  const after = await clients.acm.getLevel(target.name, signal)
  if (!isDeepStrictEqual(after, target)) throw new ForeignChange<AccessLevel>(after)
  return {method: 'patch', operation: operationName, answerLost: false, retriedWithFreshEtag: false, writeMs: Date.now() - started}
}

function assertNoEmptyList(level: AccessLevel): void {
  // docs/safety.md rule 1, for every writer: an empty ipSubnetworks admits every address.
  if (level.basic?.conditions.some((c) => c.ipSubnetworks !== undefined && c.ipSubnetworks.length === 0)) {
    throw new RefusedError({code: 'EMPTY_LIST', message: `Refusing to write ${level.name} with an empty ipSubnetworks: an empty list admits every IP address.`})
  }
}

function noEtag(policy: string): VpcscError {
  return new RefusedError({
    code: 'NO_ETAG',
    message: `The access policy ${policy} came without an etag: vpcsc cannot write its levels conflict-safely (another writer's change could be overwritten).`,
    hint: 'Run again with --force to write anyway (the level is re-read and compared right before a PATCH).',
  })
}

/** The standard words for an unconfirmed or refused write, by what was found. */
export function writeFailure(error: unknown, what: string, nextStep: string): unknown {
  if (error instanceof NotWritten) {
    const reason = error.reason
    return new RuntimeError({code: 'NOT_WRITTEN', message: `Not written: ${what}: ${reason.message.replace(/\.$/, '')}.`, hint: reason instanceof VpcscError && reason.hint ? reason.hint : nextStep, cause: reason})
  }
  if (error instanceof WriteUnknown && error.reason instanceof GoogleApiError && error.reason.code === 'INTERRUPTED') {
    return new RuntimeError({
      code: 'WRITE_UNKNOWN',
      message: `Interrupted: the write of ${what} was sent and may still land (${error.reason.message.replace(/^Could not [^:]*: /, '').replace(/\.$/, '')}); an operation finishes on the service side whether or not anyone waits for it.`,
      hint: 'Run vpcsc status in a minute to see what the policy holds; running the command again is safe: it reads the policy again and plans against what it finds.',
      cause: error.reason,
    })
  }
  if (error instanceof WriteUnknown) {
    return new RuntimeError({
      code: 'WRITE_UNKNOWN',
      message: `Unknown whether ${what} was written: ${error.reason.message.replace(/\.$/, '')}.`,
      hint: 'Run vpcsc status to see what the policy holds now; running the command again is safe: it reads the policy again and plans against what it finds.',
      cause: error.reason,
    })
  }
  return error
}

/** In words: what differs between the level as planned and as it is now. */
export function describeChange(before: AccessLevel, now: AccessLevel | undefined, condition: number): string {
  if (!now) return 'it was deleted'
  if (isDeepStrictEqual(now, before)) return 'another resource of the access policy changed (the policy etag moved), this level did not'
  const beforeIps = before.basic?.conditions[condition]?.ipSubnetworks ?? []
  const nowIps = now.basic?.conditions[condition]?.ipSubnetworks ?? []
  return isDeepStrictEqual(beforeIps, nowIps) ? 'other fields of the level changed' : `its IP list is now [${nowIps.join(', ')}] (was [${beforeIps.join(', ')}])`
}
