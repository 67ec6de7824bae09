import {canonicalCidrText, cidrContains, parseCidr, type Cidr} from '../level/cidr.ts'
import type {Clients} from '../core/clients.ts'
import {ENV, requireSetting, type Settings} from '../core/config.ts'
import {listEntries, type VpcscAuditEntry} from '../gcp/logging.ts'
import type {AccessLevel, ServicePerimeter} from '../gcp/types.ts'
import {allInOrder} from '../core/concurrency.ts'

/**
 * VPC Service Controls violations of one perimeter from the audit logs, dry-run and
 * enforced apart, grouped the way an operator reads them: who, from where, calling what,
 * why; with whether the access level admits each caller IP.
 */

export const AUDIT_METADATA_TYPE = 'type.googleapis.com/google.cloud.audit.VpcServiceControlAuditMetadata'

export function violationFilter(perimeter: string, since: Date, dryRun: boolean): string {
  return [
    `protoPayload.metadata.@type="${AUDIT_METADATA_TYPE}"`,
    // Enforced entries may lack the field altogether, hence NOT ...=true rather than =false.
    dryRun ? 'protoPayload.metadata.dryRun=true' : 'NOT protoPayload.metadata.dryRun=true',
    `protoPayload.metadata.securityPolicyInfo.servicePerimeterName="${perimeter}"`,
    `timestamp>="${since.toISOString()}"`,
  ].join(' AND ')
}

export interface ViolationGroup {
  callerIp: string
  principal: string
  service: string
  method: string
  reason: string
  count: number
  firstSeen: string
  lastSeen: string
  /** Whether the access level's IP ranges admit the caller IP (undefined: not an IP). */
  admitted?: boolean
}

/** Pure: groups entries by caller IP, principal, service, method and reason; most frequent first. */
export function groupViolations(entries: VpcscAuditEntry[], levelCidrs: Cidr[]): ViolationGroup[] {
  const groups = new Map<string, ViolationGroup>()
  for (const entry of entries) {
    const p = entry.protoPayload ?? {}
    const key = {
      callerIp: p.requestMetadata?.callerIp ?? 'unknown',
      principal: p.authenticationInfo?.principalEmail ?? 'unknown',
      service: p.serviceName ?? 'unknown',
      method: p.methodName ?? 'unknown',
      reason: p.metadata?.violationReason ?? 'unknown',
    }
    const id = JSON.stringify(key)
    const group = groups.get(id)
    if (group) {
      group.count++
      if (instant(entry.timestamp) < instant(group.firstSeen)) group.firstSeen = entry.timestamp
      if (instant(entry.timestamp) > instant(group.lastSeen)) group.lastSeen = entry.timestamp
    } else {
      groups.set(id, {...key, count: 1, firstSeen: entry.timestamp, lastSeen: entry.timestamp, admitted: admits(levelCidrs, key.callerIp)})
    }
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || instant(b.lastSeen) - instant(a.lastSeen) || 0)
}

/**
 * An entry's time in ms. Cloud Logging writes RFC 3339 timestamps with 0, 3, 6 or 9
 * fractional digits, so as strings "10:00:00Z" sorts after "10:00:00.5Z".
 */
function instant(timestamp: string): number {
  return Date.parse(timestamp)
}

function admits(cidrs: Cidr[], ip: string): boolean | undefined {
  try {
    return cidrs.some((c) => cidrContains(c, ip))
  } catch {
    return undefined
  }
}

/** Every CIDR of every condition of a basic level (unparsable ones skipped). */
export function levelCidrs(level: AccessLevel | undefined): Cidr[] {
  const cidrs: Cidr[] = []
  for (const condition of level?.basic?.conditions ?? []) {
    for (const text of condition.ipSubnetworks ?? []) {
      try {
        cidrs.push(parseCidr(canonicalCidrText(text)))
      } catch {
        // A range vpcsc would refuse (private, ...) still admits, but not a public caller IP.
      }
    }
  }
  return cidrs
}

export interface ViolationSet {
  entries: VpcscAuditEntry[]
  groups: ViolationGroup[]
  truncated: boolean
}

export interface ViolationsReport {
  perimeter: string
  resourceNames: string[]
  since: string
  dryRun: ViolationSet
  enforced: ViolationSet
  /** Also shown in the human output: a kind read only up to --limit (its counts are a floor). */
  warnings: string[]
}

/** The projects whose logs hold the perimeter's violations. */
export function perimeterProjects(perimeter: ServicePerimeter, fallbackProjectNumber?: string): string[] {
  const resources = new Set([...(perimeter.status?.resources ?? []), ...(perimeter.spec?.resources ?? [])].filter((r) => r.startsWith('projects/')))
  if (resources.size === 0 && fallbackProjectNumber) resources.add(`projects/${fallbackProjectNumber}`)
  return [...resources]
}

export async function readViolations(
  settings: Settings,
  clients: Clients,
  options: {since: Date; limit: number; perimeter?: ServicePerimeter; level?: AccessLevel; kinds?: ('dryRun' | 'enforced')[]},
): Promise<ViolationsReport> {
  const perimeterName = requireSetting(settings.perimeter, 'perimeter', ENV.perimeter, 'perimeter')
  const [perimeter, level] = await allInOrder([
    options.perimeter ?? clients.acm.getPerimeter(perimeterName),
    options.level ?? (settings.level ? clients.acm.getLevel(settings.level) : undefined),
  ])
  const resourceNames = perimeterProjects(perimeter, settings.projectNumber)
  const cidrs = levelCidrs(level)
  const kinds = options.kinds ?? ['dryRun', 'enforced']
  const read = async (dryRun: boolean): Promise<ViolationSet> => {
    if (!kinds.includes(dryRun ? 'dryRun' : 'enforced')) return {entries: [], groups: [], truncated: false}
    const listed = await listEntries(clients.google, settings.endpoints.logging, {resourceNames, filter: violationFilter(perimeterName, options.since, dryRun), limit: options.limit})
    return {entries: listed.entries, groups: groupViolations(listed.entries, cidrs), truncated: listed.truncated}
  }
  const [dryRun, enforced] = await Promise.all([read(true), read(false)])
  const warnings = ([['dry-run', dryRun], ['enforced', enforced]] as const)
    .filter(([, set]) => set.truncated)
    .map(([kind, set]) => `More ${kind} violations than --limit ${set.entries.length} since ${options.since.toISOString()}: the counts are a floor; raise --limit or shorten --since.`)
  return {perimeter: perimeterName, resourceNames, since: options.since.toISOString(), dryRun, enforced, warnings}
}
