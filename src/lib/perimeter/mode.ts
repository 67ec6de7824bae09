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

/** Where a perimeter configuration refers to an access level. */
export function levelUse(config: ServicePerimeterConfig | undefined, level: string): {accessLevels: boolean; ingressSources: boolean} {
  return {
    accessLevels: config?.accessLevels?.includes(level) ?? false,
    ingressSources: config?.ingressPolicies?.some((p) => p.ingressFrom?.sources?.some((s) => s.accessLevel === level)) ?? false,
  }
}

/**
 * Whether the perimeter's enforced status or its dry-run spec uses the level: as one of its
 * access levels, as an ingress or an egress rule's source, or through a level that requires
 * it (a nested level, `requiredAccessLevels`, followed through `levels`, the policy's levels).
 * Egress sources (`egressFrom.sources[].accessLevel`) are not in types.ts's egress rules
 * (untyped there): read where present, so that a level used only there is not called unused.
 */
export function perimeterUsesLevel(perimeter: ServicePerimeter, level: string, levels: readonly AccessLevel[]): boolean {
  const configs = [perimeter.status, perimeter.useExplicitDryRunSpec ? perimeter.spec : undefined]
  const used = new Set<string>()
  for (const config of configs) {
    for (const name of config?.accessLevels ?? []) used.add(name)
    for (const policy of config?.ingressPolicies ?? []) for (const source of policy.ingressFrom?.sources ?? []) if (source.accessLevel) used.add(source.accessLevel)
    for (const policy of (config?.egressPolicies ?? []) as {egressFrom?: {sources?: {accessLevel?: string}[]}}[]) {
      for (const source of policy?.egressFrom?.sources ?? []) if (source?.accessLevel) used.add(source.accessLevel)
    }
  }
  const byName = new Map(levels.map((l) => [l.name, l]))
  const pending = [...used]
  while (pending.length > 0) {
    for (const condition of byName.get(pending.pop()!)?.basic?.conditions ?? []) {
      for (const required of condition.requiredAccessLevels ?? []) {
        if (!used.has(required)) {
          used.add(required)
          pending.push(required)
        }
      }
    }
  }
  return used.has(level)
}
