import {createHash} from 'node:crypto'
import {hostname, userInfo} from 'node:os'
import {isDeepStrictEqual} from 'node:util'

import type {AccessLevel, BasicLevel} from '../gcp/types.ts'
import {shortName} from '../core/names.ts'

/**
 * The deny test's marker: what every host must see while a test holds a level
 * (docs/safety.md, rule 9), kept in the access policy itself.
 *
 * It is a companion access level, written in the SAME `accessLevels:replaceAll` as the
 * swap and removed in the same one as the restore, so the policy never shows a swapped
 * level without its marker, nor a marker without its swap. No perimeter references it,
 * so it changes no access decision. Its `basic` is the swapped level's original `basic`
 * (every condition, every CIDR: up to 40 x 200 values, which a description could not
 * hold); its description carries who runs the test, since when, and the deny CIDR.
 * Anyone with policyReader sees it: `gcloud access-context-manager levels list` shows a
 * level titled "vpcsc deny test: LEVEL" while a test runs.
 */

const DESCRIPTION_PREFIX = 'vpcsc deny test in progress; do not edit or delete (vpcsc restore removes it). '
const ID_PREFIX = 'vpcsc_deny_test_'
const MAX_ID = 50

export interface MarkerInfo {
  v: 1
  /** Random per test: tells this test's swap from another's. */
  testId: string
  /** The swapped level's full resource name. */
  level: string
  /** The index of the condition the swap replaced. */
  condition: number
  denyCidr: string
  host: string
  pid: number
  user?: string
  startedAt: string
  /** When the test must be over (its timeouts, twice, and a margin): past this, a test on another host is taken as gone. */
  expiresAt: string
}

export interface Marker extends MarkerInfo {
  /** The marker level's own resource name. */
  name: string
  /** The swapped level's `basic` before the swap: what a restore puts back. */
  original: BasicLevel
}

/** The marker level's name for a level: readable, within the 50-character id limit. */
export function markerName(levelName: string): string {
  const policy = levelName.slice(0, levelName.indexOf('/accessLevels/'))
  const id = shortName(levelName)
  const plain = `${ID_PREFIX}${id}`
  if (plain.length <= MAX_ID) return `${policy}/accessLevels/${plain}`
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 8)
  return `${policy}/accessLevels/${ID_PREFIX}${id.slice(0, MAX_ID - ID_PREFIX.length - 9)}_${hash}`
}

export function newMarkerInfo(fields: {testId: string; level: string; condition: number; denyCidr: string; lifetimeMs: number}, now = new Date()): MarkerInfo {
  let user: string | undefined
  try {
    user = userInfo().username
  } catch {
    // no user entry (some containers): the host and pid still say who
  }
  return {
    v: 1,
    testId: fields.testId,
    level: fields.level,
    condition: fields.condition,
    denyCidr: fields.denyCidr,
    host: hostname(),
    pid: process.pid,
    ...(user ? {user} : {}),
    startedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + fields.lifetimeMs).toISOString(),
  }
}

/** The marker level for a swap of `original`. */
export function markerLevel(original: AccessLevel, info: MarkerInfo): AccessLevel {
  if (!original.basic) throw new Error(`BUG: ${original.name} has no basic level to keep`)
  return {
    name: markerName(original.name),
    title: `vpcsc deny test: ${shortName(original.name)}`,
    description: `${DESCRIPTION_PREFIX}${JSON.stringify(info)}`,
    basic: structuredClone(original.basic),
  }
}

/** Whether a level is a vpcsc marker at all (well-formed or not). */
export function isMarkerLevel(level: AccessLevel): boolean {
  return shortName(level.name).startsWith(ID_PREFIX) && (level.description ?? '').startsWith(DESCRIPTION_PREFIX)
}

/** Parses a marker level; undefined when it is not one, or is damaged (then `problem`). */
export function parseMarker(level: AccessLevel): {marker?: Marker; problem?: string} {
  if (!isMarkerLevel(level)) return {}
  let info: Partial<MarkerInfo>
  try {
    info = JSON.parse((level.description ?? '').slice(DESCRIPTION_PREFIX.length)) as Partial<MarkerInfo>
  } catch {
    return {problem: `the deny-test marker ${level.name} has a damaged description`}
  }
  if (info.v !== 1 || typeof info.testId !== 'string' || typeof info.level !== 'string' || typeof info.condition !== 'number' || typeof info.denyCidr !== 'string' || !level.basic) {
    return {problem: `the deny-test marker ${level.name} is missing fields`}
  }
  return {marker: {...(info as MarkerInfo), name: level.name, original: level.basic}}
}

/** The marker of a level among the policy's levels, if a test holds it. */
export function findMarker(levels: AccessLevel[], levelName: string): Marker | undefined {
  return levels.map((l) => parseMarker(l).marker).find((m) => m?.level === levelName)
}

/** Every marker in the policy, and the damaged ones by name. */
export function listMarkers(levels: AccessLevel[]): {markers: Marker[]; problems: string[]} {
  const parsed = levels.map(parseMarker)
  return {markers: parsed.flatMap((p) => (p.marker ? [p.marker] : [])), problems: parsed.flatMap((p) => (p.problem ? [p.problem] : []))}
}

/** The level as the marker's swap wrote it: the original with the condition's list replaced by the deny CIDR. */
export function swappedBasic(marker: Pick<Marker, 'original' | 'condition' | 'denyCidr'>): BasicLevel {
  const basic = structuredClone(marker.original)
  const condition = basic.conditions[marker.condition]
  if (condition) condition.ipSubnetworks = [marker.denyCidr]
  return basic
}

/** Whether the level still holds exactly what the marker's swap wrote. */
export function holdsSwap(level: AccessLevel | undefined, marker: Marker): boolean {
  return level !== undefined && isDeepStrictEqual(level.basic, swappedBasic(marker))
}

/** The swap: the level replaced by `swapped`, the marker added; every other level as read. */
export function levelsWithSwap(levels: AccessLevel[], swapped: AccessLevel, marker: AccessLevel): AccessLevel[] {
  return [...levels.filter((l) => l.name !== marker.name).map((l) => (l.name === swapped.name ? swapped : l)), marker]
}

/** The restore: the level's `basic` put back from the marker, the marker removed; the level's other fields as they are. */
export function levelsWithRestore(levels: AccessLevel[], marker: Marker): AccessLevel[] {
  return levels.filter((l) => l.name !== marker.name).map((l) => (l.name === marker.level ? {...l, basic: structuredClone(marker.original)} : l))
}

export type OwnerState =
  /** This host, and its pid is alive. */
  | 'running-here'
  /** Another host, and the test's time is not up: it may still be running. */
  | 'running-elsewhere'
  /** This host and the pid is gone, or another host and the time is up. */
  | 'gone'

export function ownerState(marker: Pick<MarkerInfo, 'host' | 'pid' | 'expiresAt'>, now = Date.now()): OwnerState {
  if (marker.host === hostname()) return pidAlive(marker.pid) ? 'running-here' : 'gone'
  return now < Date.parse(marker.expiresAt) ? 'running-elsewhere' : 'gone'
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** "pid 4242 on host-a (alice), started 2026-12-02T10:00:00Z" */
export function describeOwner(marker: Pick<MarkerInfo, 'host' | 'pid' | 'user' | 'startedAt'>): string {
  return `pid ${marker.pid} on ${marker.host}${marker.user ? ` (${marker.user})` : ''}, started ${marker.startedAt}`
}
