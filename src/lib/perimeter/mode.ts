import type {ServicePerimeter, ServicePerimeterConfig} from '../gcp/types.ts'

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
