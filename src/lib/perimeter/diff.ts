import {isDeepStrictEqual} from 'node:util'

import type {IngressPolicy, ServicePerimeter, ServicePerimeterConfig} from '../gcp/types.ts'

/**
 * What changes when one perimeter configuration replaces another (the dry-run spec
 * becoming the enforced status, or back), field by field, in words. Pure.
 */

export interface FieldChange {
  field: string
  added: string[]
  removed: string[]
}

const LIST_FIELDS = ['resources', 'restrictedServices', 'accessLevels'] as const

function shortLevel(name: string): string {
  return name.replace(/^accessPolicies\/[0-9]+\/accessLevels\//, '')
}

/** One line per ingress policy: from whom, to what. */
export function describeIngress(policy: IngressPolicy): string {
  const from = policy.ingressFrom
  const sources = (from?.sources ?? []).map((s) => (s.accessLevel ? `level ${shortLevel(s.accessLevel)}` : s.resource ? `resource ${s.resource}` : '?'))
  const who = from?.identityType ?? (from?.identities?.length ? from.identities.join(', ') : 'no identity')
  const operations = ((policy.ingressTo?.operations ?? []) as {serviceName?: string; methodSelectors?: {method?: string; permission?: string}[]}[]).map(
    (o) => `${o.serviceName ?? '?'}${o.methodSelectors?.length ? ` [${o.methodSelectors.map((m) => m.method ?? m.permission).join(', ')}]` : ''}`,
  )
  return `from ${sources.join(', ') || 'any source'} (${who}) to ${operations.join(', ') || 'no operation'}${policy.ingressTo?.resources ? ` on ${policy.ingressTo.resources.join(', ')}` : ''}`
}

function describeEgress(policy: unknown): string {
  return JSON.stringify(policy)
}

function setDiff(from: string[], to: string[]): {added: string[]; removed: string[]} {
  return {added: to.filter((x) => !from.includes(x)), removed: from.filter((x) => !to.includes(x))}
}

function policyDiff<T>(from: T[], to: T[], describe: (p: T) => string): {added: string[]; removed: string[]} {
  return {
    added: to.filter((p) => !from.some((q) => isDeepStrictEqual(p, q))).map(describe),
    removed: from.filter((p) => !to.some((q) => isDeepStrictEqual(p, q))).map(describe),
  }
}

/** Changes from `from` to `to`; empty when they are the same. */
export function diffConfigs(from: ServicePerimeterConfig | undefined, to: ServicePerimeterConfig | undefined): FieldChange[] {
  const a = from ?? {}
  const b = to ?? {}
  const changes: FieldChange[] = []
  for (const field of LIST_FIELDS) {
    const {added, removed} = setDiff(a[field] ?? [], b[field] ?? [])
    if (added.length || removed.length) changes.push({field, added: field === 'accessLevels' ? added.map(shortLevel) : added, removed: field === 'accessLevels' ? removed.map(shortLevel) : removed})
  }
  const ingress = policyDiff(a.ingressPolicies ?? [], b.ingressPolicies ?? [], describeIngress)
  if (ingress.added.length || ingress.removed.length) changes.push({field: 'ingressPolicies', ...ingress})
  const egress = policyDiff(a.egressPolicies ?? [], b.egressPolicies ?? [], describeEgress)
  if (egress.added.length || egress.removed.length) changes.push({field: 'egressPolicies', ...egress})
  const va = a.vpcAccessibleServices
  const vb = b.vpcAccessibleServices
  if (!isDeepStrictEqual(va, vb)) {
    const services = setDiff(va?.allowedServices ?? [], vb?.allowedServices ?? [])
    const restriction = Boolean(va?.enableRestriction) !== Boolean(vb?.enableRestriction) ? [`restriction ${vb?.enableRestriction ? 'on' : 'off'}`] : []
    changes.push({field: 'vpcAccessibleServices', added: [...restriction, ...services.added], removed: services.removed})
  }
  return changes
}

/** "restrictedServices +1 -0, ingressPolicies +1": for one line in status. */
export function summariseChanges(changes: FieldChange[]): string {
  if (changes.length === 0) return 'same as the enforced configuration'
  return changes.map((c) => `${c.field} ${c.added.length ? `+${c.added.length}` : ''}${c.removed.length ? `${c.added.length ? ' ' : ''}-${c.removed.length}` : ''}`.trim()).join(', ')
}

/**
 * What someone else changed in a perimeter between vpcsc's read and its write, in words:
 * "its enforced configuration changed (restrictedServices +1)", "its dry-run spec was
 * removed". The conflict error shows it (docs/safety.md, rule 2: both values reported).
 */
export function describePerimeterChange(before: ServicePerimeter, now: ServicePerimeter | undefined): string {
  if (!now) return 'it was deleted'
  const parts: string[] = []
  for (const [key, label] of [['status', 'enforced configuration'], ['spec', 'dry-run spec']] as const) {
    const [a, b] = [before[key], now[key]]
    if (a && !b) parts.push(`its ${label} was removed`)
    else if (!a && b) parts.push(`a ${label} was added`)
    else if (!isDeepStrictEqual(a, b)) {
      const changes = diffConfigs(a, b)
      parts.push(`its ${label} changed${changes.length ? ` (${summariseChanges(changes)})` : ''}`)
    }
  }
  if (Boolean(before.useExplicitDryRunSpec) !== Boolean(now.useExplicitDryRunSpec)) parts.push(`useExplicitDryRunSpec is now ${Boolean(now.useExplicitDryRunSpec)}`)
  for (const key of ['title', 'description', 'perimeterType'] as const) if (before[key] !== now[key]) parts.push(`its ${key} changed`)
  return parts.length ? parts.join(', ') : 'another resource of its access policy changed'
}
