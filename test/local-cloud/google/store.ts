import {clone, stringAt} from './json.ts'
import type {JsonObject} from './json.ts'
import {newEtag} from './seed.ts'
import type {CloudState} from './seed.ts'

export type ResourceKind = 'policy' | 'level' | 'perimeter'

const NAME_PATTERNS: [ResourceKind, RegExp][] = [
  ['policy', /^accessPolicies\/[^/:]+$/],
  ['level', /^accessPolicies\/[^/:]+\/accessLevels\/[^/:]+$/],
  ['perimeter', /^accessPolicies\/[^/:]+\/servicePerimeters\/[^/:]+$/],
]

export function kindOf(name: string): ResourceKind | undefined {
  return NAME_PATTERNS.find(([, pattern]) => pattern.test(name))?.[0]
}

/** `accessPolicies/X` for any name inside policy X. */
export function policyOf(name: string): string {
  return name.split('/').slice(0, 2).join('/')
}

/**
 * The stored policies, levels and perimeters. Levels and perimeters carry no etag:
 * the etag lives on the policy and changes on every write inside it, as in the live API.
 */
export class Store {
  readonly policies = new Map<string, JsonObject>()
  readonly levels = new Map<string, JsonObject>()
  readonly perimeters = new Map<string, JsonObject>()
  /**
   * Told after every change of a level or perimeter (not after load): enforcement
   * snapshots the state. `at` is the emulator time of the change when it is not now
   * (an operation committed when it fell due, noticed a little later).
   */
  onChange: ((at?: number) => void) | undefined

  load(state: CloudState): void {
    this.policies.clear()
    this.levels.clear()
    this.perimeters.clear()
    for (const policy of state.policies) this.policies.set(String(policy.name), clone(policy))
    for (const level of state.levels) this.levels.set(String(level.name), clone(level))
    for (const perimeter of state.perimeters) this.perimeters.set(String(perimeter.name), clone(perimeter))
  }

  snapshot(): CloudState {
    return {
      policies: [...this.policies.values()].map((v) => clone(v)),
      levels: [...this.levels.values()].map((v) => clone(v)),
      perimeters: [...this.perimeters.values()].map((v) => clone(v)),
    }
  }

  /** Levels and perimeters as they are stored now (not copies: snapshot before keeping them). */
  acmState(): {levels: JsonObject[]; perimeters: JsonObject[]} {
    return {levels: [...this.levels.values()], perimeters: [...this.perimeters.values()]}
  }

  etag(policy: string): string {
    return stringAt(this.policies.get(policy), 'etag') ?? ''
  }

  /** Called after every successful write of a level or perimeter in `policy` (committed at `at`, default now). */
  bumpEtag(policy: string, at?: number): void {
    this.onChange?.(at)
    const stored = this.policies.get(policy)
    if (!stored) return
    const old = stored.etag
    let next = newEtag()
    while (next === old) next = newEtag()
    stored.etag = next
  }

  /** Sorted by name: list answers are stable whatever the write order was. */
  levelsOf(policy: string): JsonObject[] {
    return sortedIn(this.levels, policy)
  }

  perimetersOf(policy: string): JsonObject[] {
    return sortedIn(this.perimeters, policy)
  }

  /** A perimeter as the API answers it: with the policy's etag. */
  perimeterView(perimeter: JsonObject): JsonObject {
    return {...clone(perimeter), etag: this.etag(policyOf(String(perimeter.name)))}
  }

  mapFor(kind: ResourceKind): Map<string, JsonObject> {
    return kind === 'policy' ? this.policies : kind === 'level' ? this.levels : this.perimeters
  }

  /** Raw upsert for the admin API: no validation, but it is a write, so the etag moves. */
  upsert(name: string, kind: ResourceKind, value: JsonObject): void {
    const stored: JsonObject = {...clone(value), name}
    if (kind === 'policy') {
      if (typeof stored.etag !== 'string') stored.etag = newEtag()
      this.policies.set(name, stored)
      return
    }
    this.mapFor(kind).set(name, stored)
    this.bumpEtag(policyOf(name))
  }

  remove(name: string, kind: ResourceKind): boolean {
    const removed = this.mapFor(kind).delete(name)
    if (removed && kind !== 'policy') this.bumpEtag(policyOf(name))
    return removed
  }

  /**
   * Someone else's edit (admin foreign edits): each key of `set` replaces the stored
   * key wholesale, null removes it. A missing resource is created.
   */
  edit(name: string, kind: ResourceKind, set: JsonObject): void {
    const map = this.mapFor(kind)
    const stored: JsonObject = clone(map.get(name) ?? {name})
    for (const [key, value] of Object.entries(set)) {
      if (value === null) delete stored[key]
      else stored[key] = clone(value)
    }
    stored.name = name
    map.set(name, stored)
    if (kind !== 'policy') this.bumpEtag(policyOf(name))
  }
}

function sortedIn(map: Map<string, JsonObject>, policy: string): JsonObject[] {
  return [...map.values()]
    .filter((value) => policyOf(String(value.name)) === policy)
    .sort((a, b) => String(a.name).localeCompare(String(b.name)))
}

