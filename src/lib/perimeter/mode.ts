import type {AccessLevel, ServicePerimeter, ServicePerimeterConfig} from '../gcp/types.ts'

/** How a perimeter is applied: enforced (status), dry-run (explicit spec), both, or neither. */
export type PerimeterMode = 'enforced' | 'dry-run' | 'enforced+dry-run' | 'empty'

function hasContent(config: ServicePerimeterConfig | undefined): boolean {
  return Boolean(config && ((config.resources?.length ?? 0) > 0 || (config.restrictedServices?.length ?? 0) > 0))
}

export function perimeterMode(perimeter: ServicePerimeter): PerimeterMode {
  const enforced = hasContent(perimeter.status)
  const dryRun = Boolean(perimeter.useExplicitDryRunSpec && perimeter.spec)
  if (enforced && dryRun) return 'enforced+dry-run'
  if (enforced) return 'enforced'
  if (dryRun) return 'dry-run'
  return 'empty'
}

/**
 * Where a perimeter configuration uses an access level. A level counts as used where the
 * configuration names it, or names a level that requires it (`requiredAccessLevels`, at any
 * depth, followed through `levels`, the policy's levels): a nested level decides whether the
 * level naming it admits a caller (docs/api-facts.md, "Where a perimeter uses a level").
 */
export interface LevelUse {
  /** In the configuration's access levels: callers it admits reach every protected service. */
  accessLevels: boolean
  /** As an ingress rule's source: callers it admits reach what the rule allows. */
  ingressSources: boolean
  /** As an egress rule's source: it lets calls leave the perimeter and admits nobody into it. */
  egressSources: boolean
  /** The named levels that require it (directly or through others), when it is used through them. */
  requiredBy: string[]
}

/**
 * Egress sources (`egressFrom.sources[].accessLevel`) are not in types.ts's egress rules
 * (untyped there): read where present, so that a level used only there is not called unused.
 */
function egressSourceLevels(config: ServicePerimeterConfig | undefined): string[] {
  const policies = (config?.egressPolicies ?? []) as ({egressFrom?: {sources?: ({accessLevel?: string} | undefined)[]}} | undefined)[]
  return policies.flatMap((policy) => (policy?.egressFrom?.sources ?? []).flatMap((source) => (source?.accessLevel ? [source.accessLevel] : [])))
}

/** Whether one of the named levels is the level or requires it, transitively (a cycle ends). */
export function reachesLevel(names: readonly string[], level: string, levels: readonly AccessLevel[]): boolean {
  return withRequiredLevels(names, levels).has(level)
}

function withRequiredLevels(names: readonly string[], levels: readonly AccessLevel[]): Set<string> {
  const byName = new Map(levels.map((l) => [l.name, l]))
  const found = new Set(names)
  const pending = [...names]
  while (pending.length > 0) {
    for (const condition of byName.get(pending.pop()!)?.basic?.conditions ?? []) {
      for (const required of condition.requiredAccessLevels ?? []) {
        if (!found.has(required)) {
          found.add(required)
          pending.push(required)
        }
      }
    }
  }
  return found
}

export function levelUse(config: ServicePerimeterConfig | undefined, level: string, levels: readonly AccessLevel[]): LevelUse {
  const accessLevels = config?.accessLevels ?? []
  const ingressSources = (config?.ingressPolicies ?? []).flatMap((p) => (p.ingressFrom?.sources ?? []).flatMap((s) => (s.accessLevel ? [s.accessLevel] : [])))
  const egressSources = egressSourceLevels(config)
  const reaches = (names: readonly string[]) => reachesLevel(names, level, levels)
  const named = [...new Set([...accessLevels, ...ingressSources, ...egressSources])]
  return {
    accessLevels: reaches(accessLevels),
    ingressSources: reaches(ingressSources),
    egressSources: reaches(egressSources),
    requiredBy: named.includes(level) ? [] : named.filter((name) => reaches([name])),
  }
}

/** levelUse as the fields of status's and explain's results (their --json). */
export interface LevelUseFields {
  levelInAccessLevels: boolean
  levelInIngressSources: boolean
  levelInEgressSources: boolean
  /** The levels the configuration names that require the level, when it is used only through them. */
  levelRequiredBy: string[]
}

export function levelUseFields(config: ServicePerimeterConfig | undefined, level: string, levels: readonly AccessLevel[]): LevelUseFields {
  const use = levelUse(config, level, levels)
  return {levelInAccessLevels: use.accessLevels, levelInIngressSources: use.ingressSources, levelInEgressSources: use.egressSources, levelRequiredBy: use.requiredBy}
}

/** Whether the perimeter's enforced status or its dry-run spec uses the level at all (levelUse). */
export function perimeterUsesLevel(perimeter: ServicePerimeter, level: string, levels: readonly AccessLevel[]): boolean {
  return [perimeter.status, perimeter.useExplicitDryRunSpec ? perimeter.spec : undefined].some((config) => {
    const use = levelUse(config, level, levels)
    return use.accessLevels || use.ingressSources || use.egressSources
  })
}
