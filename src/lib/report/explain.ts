import ipaddr from 'ipaddr.js'

import {describeSource} from '../aws/accounts.ts'
import {discoverNatEgress, type NatDiscovery} from '../aws/nat.ts'
import {CidrError, cidrContains, hostCidr, parseIp} from '../level/cidr.ts'
import type {Clients} from '../core/clients.ts'
import {ENV, requireSetting, type Settings} from '../core/config.ts'
import {tryCidr} from '../level/drift.ts'
import {RuntimeError, UsageError} from '../core/errors.ts'
import {listEntries, type VpcscAuditEntry} from '../gcp/logging.ts'
import type {AccessLevel, ServicePerimeter, ServicePerimeterConfig} from '../gcp/types.ts'
import {denyTestHold} from '../deny-test/hold.ts'
import {shortName} from '../core/names.ts'
import {levelUseFields, perimeterMode, reachesLevel, type LevelUseFields, type PerimeterMode} from '../perimeter/mode.ts'
import {AUDIT_METADATA_TYPE, perimeterProjects} from '../perimeter/violations.ts'
import {allInOrder} from '../core/concurrency.ts'

/**
 * `vpcsc explain`: the first question after an outage, "why was THIS call denied?".
 * From a VPC-SC unique id (its audit entry) or a caller IP: which NAT gateway owns the
 * IP, whether the access level admits it now and through which condition, whether the
 * perimeter enforced the call or only logged it, whether a deny test held the level, and
 * what would fix it. Read-only.
 */

export type ExplainInput = {kind: 'id'; id: string} | {kind: 'ip'; ip: string}

/** Real ids are base64url-like strings (the emulator's: 32 letters and digits). */
const PLAUSIBLE_ID = /^[A-Za-z0-9_-]{8,128}$/

/** Pure: an IP (v4 in four parts, or v6) or a plausible unique id; anything else is a usage error. */
export function parseExplainInput(text: string): ExplainInput {
  const value = text.trim()
  const ipv4 = ipaddr.IPv4.isValidFourPartDecimal(value)
  if (ipv4 || (value.includes(':') && !value.includes('%') && ipaddr.IPv6.isValid(value))) {
    return {kind: 'ip', ip: parseIp(value).toString()}
  }
  if (PLAUSIBLE_ID.test(value) && !/^[0-9.]+$/.test(value)) return {kind: 'id', id: value}
  throw new UsageError({
    message: `"${text}" is neither an IP address nor a vpcServiceControlsUniqueIdentifier.`,
    hint: 'Give the id from the 403 message ("vpcServiceControlsUniqueIdentifier: ...") or deny-test\'s evidence, or one caller IP such as 203.0.113.10.',
  })
}

export interface Denial {
  uniqueId: string
  timestamp: string
  perimeter?: string
  dryRun: boolean
  service?: string
  method?: string
  principal?: string
  callerIp?: string
  violationReason?: string
}

export interface GatewayOwner {
  natGatewayId: string
  /** Absent when the caller's own account id could not be looked up. */
  account?: string
  /** The role the gateway's account was read through: a member account (--assume-role, accounts). */
  roleName?: string
  region: string
  vpcId?: string
  name?: string
  state: string
  /** Whether ip sync counts this address (a selected, available, public gateway). */
  egress: boolean
}

export interface Admission {
  level: string
  admits: boolean
  /** The condition whose ipSubnetworks hold the IP, and the CIDR that does. */
  condition?: number
  cidr?: string
  combiningFunction: 'AND' | 'OR'
}

export type FixKind = 'ip-sync' | 'keep' | 'ingress-rule' | 'deny-test' | 'none'

export interface Fix {
  kind: FixKind
  command?: string
  text: string
}

export interface DenyTestAtTime {
  /**
   * A marker or a journal shows a deny test holding the level (since before the denial).
   * false says only that none is left now: a finished test leaves no trace.
   */
  inProgress: boolean
  /** Where a test holding the level was read: its marker in the access policy, or only this machine's journal. */
  basis?: 'policy marker' | 'local journal'
  /** Still running, or interrupted (a restore is owed). */
  state?: 'running' | 'gone'
  startedAt?: string
  who?: string
  denyCidr?: string
}

export interface Explanation {
  input: string
  kind: 'id' | 'ip'
  /** The call explained: its audit entry (an id), absent for an IP. */
  denial?: Denial
  callerIp?: string
  /** undefined: the caller IP is not an address (e.g. "private"), or no NAT gateway owns it. */
  gateway?: GatewayOwner
  admission?: Admission
  /** Where the configuration that applies to the call uses the level (levelUse). */
  perimeter?: LevelUseFields & {
    name: string
    /** The perimeter now. */
    mode: PerimeterMode
    /** For the call: denied (enforced) or only logged (dry-run); for an IP, what applies now. */
    call?: 'enforced' | 'dry-run'
    /** Whether an ingress rule from the level lets the call's principal reach its service (undefined: no principal). */
    ingressAdmitsPrincipal?: boolean
  }
  denyTest: DenyTestAtTime
  fixes: Fix[]
  warnings: string[]
}

export interface ExplainOptions {
  /** Where the search for the audit entry starts (--since). */
  since: Date
  now?: Date
}

export async function explain(settings: Settings, clients: Clients, text: string, options: ExplainOptions): Promise<Explanation> {
  const input = parseExplainInput(text)
  const levelName = requireSetting(settings.level, 'level', ENV.level, 'level')
  const policyName = requireSetting(settings.policy, 'policy', ENV.policy, 'policy')
  const now = options.now ?? new Date()
  const configured = settings.perimeter ? clients.acm.getPerimeter(settings.perimeter) : undefined
  const natPromise = discoverNatEgress(settings)
  // Every level of the policy: a deny test's marker is one of them (one call either way).
  const levelsPromise = clients.acm.listLevels(policyName)
  // Settled rejections are read below; these stop Node from calling them unhandled meanwhile.
  for (const p of [configured, natPromise, levelsPromise]) p?.catch(() => undefined)

  let denial: Denial | undefined
  if (input.kind === 'id') {
    if (!configured && !settings.projectNumber) requireSetting(settings.perimeter, 'perimeter', ENV.perimeter, 'perimeter')
    const resourceNames = configured ? perimeterProjects(await configured, settings.projectNumber) : [`projects/${settings.projectNumber}`]
    denial = await findDenial(clients, settings.endpoints.logging, input.id, resourceNames, options.since)
    if (!denial) {
      throw new RuntimeError({
        code: 'NOT_FOUND',
        message: `No VPC Service Controls audit entry with id ${input.id} ${describeWindow(options.since, now)} (${resourceNames.join(', ')}).`,
        hint: notFoundHint(options.since, now),
      })
    }
  }
  const warnings: string[] = []
  const perimeterName = denial?.perimeter ?? settings.perimeter
  let perimeter: ServicePerimeter | undefined
  if (perimeterName !== undefined && perimeterName === settings.perimeter && configured) perimeter = await configured
  else if (perimeterName !== undefined) {
    // The denial names another perimeter, which may be gone since: explain the rest anyway.
    perimeter = await clients.acm.getPerimeter(perimeterName).catch((error: Error) => void warnings.push(`The perimeter ${perimeterName} of the denial cannot be read now: ${error.message}`))
  }
  const [levels, nat] = await allInOrder([levelsPromise, natPromise])
  const level = levels.find((l) => l.name === levelName) ?? (await clients.acm.getLevel(levelName))
  const callerIp = input.kind === 'ip' ? input.ip : denial?.callerIp
  const address = callerIp !== undefined && ipaddr.isValid(callerIp) ? parseIp(callerIp).toString() : undefined
  const at = denial ? new Date(denial.timestamp) : now

  const gateway = address ? findOwner(nat, address) : undefined
  const denyTest = await denyTestAt(settings, levels, level.name, at)
  const admission = address ? admissionOf(level, address) : undefined
  const call = denial ? (denial.dryRun ? 'dry-run' : 'enforced') : perimeter ? currentCall(perimeter) : undefined
  const config = perimeter && (call === 'dry-run' ? perimeter.spec : perimeter.status)
  const perimeterReport = perimeter && {
    name: perimeter.name,
    mode: perimeterMode(perimeter),
    call,
    ...levelUseFields(config, level.name, levels),
    ingressAdmitsPrincipal: denial?.principal ? ingressAdmits(config, level.name, levels, denial.principal, denial.service) : undefined,
  }
  warnings.push(...nat.warnings)
  // An unread account or region may hold the gateway this IP belongs to.
  for (const u of nat.unreadable) warnings.push(`NAT gateways not read: ${describeSource(u)}: ${u.message}`)
  if (admission?.admits && admission.combiningFunction === 'AND' && (level.basic?.conditions.length ?? 0) > 1) {
    warnings.push(`${shortName(level.name)} combines its conditions with AND: the IP alone does not admit a caller, the other conditions must hold too.`)
  }
  if (callerIp !== undefined && !address) warnings.push(`The caller IP "${callerIp}" is not an address (a call from inside Google's network, or a private one): no NAT gateway or IP list applies.`)
  return {
    input: text,
    kind: input.kind,
    denial,
    callerIp,
    gateway,
    admission,
    perimeter: perimeterReport,
    denyTest,
    fixes: decideFixes({address, gateway, admission, perimeter: perimeterReport, denial, denyTest, keep: settings.keep.map((c) => c.text), keepCovers: address ? settings.keep.some((c) => cidrContains(c, address)) : false}),
    warnings,
  }
}

/** The VPC-SC audit entry of one unique id, newer than `since`. */
export async function findDenial(clients: Clients, endpoint: string, id: string, resourceNames: string[], since: Date): Promise<Denial | undefined> {
  // The id is checked against PLAUSIBLE_ID, so it needs no escaping inside the quotes.
  const filter = [`protoPayload.metadata.@type="${AUDIT_METADATA_TYPE}"`, `protoPayload.metadata.vpcServiceControlsUniqueId="${id}"`, `timestamp>="${since.toISOString()}"`].join(' AND ')
  const {entries} = await listEntries(clients.google, endpoint, {resourceNames, filter, limit: 10, pageSize: 10})
  const entry = entries[0]
  return entry && toDenial(entry, id)
}

function toDenial(entry: VpcscAuditEntry, id: string): Denial {
  const p = entry.protoPayload ?? {}
  return {
    uniqueId: p.metadata?.vpcServiceControlsUniqueId ?? id,
    timestamp: entry.timestamp,
    perimeter: p.metadata?.securityPolicyInfo?.servicePerimeterName,
    dryRun: p.metadata?.dryRun === true,
    service: p.serviceName,
    method: p.methodName,
    principal: p.authenticationInfo?.principalEmail,
    callerIp: p.requestMetadata?.callerIp,
    violationReason: p.metadata?.violationReason,
  }
}

/**
 * Whether a deny test held the level at `at`: its marker in the access policy (seen from
 * any host) or this machine's journal, with a start no later than `at`. Both go when the
 * test restores, so a denial by a test that has finished is not tied to it.
 */
export async function denyTestAt(settings: Pick<Settings, 'stateDir'>, levels: AccessLevel[], level: string, at: Date): Promise<DenyTestAtTime> {
  const hold = await denyTestHold(settings.stateDir, levels, level)
  if (!hold || Date.parse(hold.startedAt) > at.getTime()) return {inProgress: false}
  return {inProgress: true, basis: hold.marker ? 'policy marker' : 'local journal', state: hold.state, startedAt: hold.startedAt, who: hold.who, denyCidr: hold.denyCidr}
}

/**
 * Pure: the selected gateway holding the address, usable or not, with the account it was
 * read in (the caller's own, from sts:GetCallerIdentity, or a member's, from its role).
 */
export function findOwner(nat: NatDiscovery, ip: string): GatewayOwner | undefined {
  const gateway = nat.gateways.find((g) => g.addresses.some((a) => a.publicIp !== undefined && ipaddr.isValid(a.publicIp) && parseIp(a.publicIp).toString() === ip))
  if (!gateway) return undefined
  return {
    natGatewayId: gateway.id,
    ...(gateway.account.id ? {account: gateway.account.id} : {}),
    ...(gateway.account.roleName ? {roleName: gateway.account.roleName} : {}),
    region: gateway.region,
    vpcId: gateway.vpcId,
    name: gateway.name,
    state: gateway.state,
    egress: nat.egressIps.some((e) => e.ip === ip),
  }
}

/** Pure: the first condition whose ipSubnetworks hold the address. */
export function admissionOf(level: AccessLevel, ip: string): Admission {
  const combiningFunction = level.basic?.combiningFunction ?? 'AND'
  for (const [index, condition] of (level.basic?.conditions ?? []).entries()) {
    if (condition.negate) continue
    for (const text of condition.ipSubnetworks ?? []) {
      const cidr = tryCidr(text)
      if (cidr && cidrContains(cidr, ip)) return {level: level.name, admits: true, condition: index, cidr: text, combiningFunction}
    }
  }
  return {level: level.name, admits: false, combiningFunction}
}

/** For an IP with no call: the perimeter denies when enforced; a dry-run one only logs. */
function currentCall(perimeter: ServicePerimeter): 'enforced' | 'dry-run' | undefined {
  const mode = perimeterMode(perimeter)
  return mode === 'empty' ? undefined : mode === 'dry-run' ? 'dry-run' : 'enforced'
}

/** Pure: whether an ingress rule from the level lets this principal reach the service. */
export function ingressAdmits(config: ServicePerimeterConfig | undefined, level: string, levels: readonly AccessLevel[], principal: string, service: string | undefined): boolean {
  const isServiceAccount = /\.gserviceaccount\.com$/.test(principal)
  return (config?.ingressPolicies ?? []).some((policy) => {
    const from = policy.ingressFrom
    // A source that is the level or requires it (levelUse), or `*`, every source.
    if (!from?.sources?.some((s) => s.accessLevel === '*' || (s.accessLevel !== undefined && reachesLevel([s.accessLevel], level, levels)))) return false
    const identity =
      from.identityType === 'ANY_IDENTITY' ||
      (from.identityType === 'ANY_SERVICE_ACCOUNT' && isServiceAccount) ||
      (from.identityType === 'ANY_USER_ACCOUNT' && !isServiceAccount && principal.includes('@')) ||
      (from.identities ?? []).some((i) => i === principal || i === `serviceAccount:${principal}` || i === `user:${principal}`)
    if (!identity) return false
    const operations = (policy.ingressTo?.operations ?? []) as {serviceName?: string}[]
    return service === undefined || operations.some((o) => o.serviceName === '*' || o.serviceName === service)
  })
}

/** Pure: what would fix the denial, most likely first. */
export function decideFixes(facts: {
  address?: string
  gateway?: GatewayOwner
  admission?: Admission
  perimeter?: Explanation['perimeter']
  denial?: Denial
  denyTest: DenyTestAtTime
  keep: string[]
  keepCovers: boolean
}): Fix[] {
  const {address, gateway, admission, perimeter, denial, denyTest} = facts
  // While a deny test holds the level, its swap is the reason; a sync would undo the test.
  if (denyTest.inProgress) {
    return [
      {
        kind: 'deny-test',
        text:
          denyTest.state === 'gone'
            ? `An interrupted deny test (${denyTest.who}) left the level swapped to ${denyTest.denyCidr}: vpcsc restore puts the original list back.`
            : `A deny test held the level (swapped to ${denyTest.denyCidr}; ${denyTest.who}): denying is its purpose; it restores the level when it ends.`,
      },
    ]
  }
  const fixes: Fix[] = []
  if (!address || !admission) {
    fixes.push({kind: 'ingress-rule', text: 'No IP list can admit this caller: admit it with an ingress rule (its identity, or a VPC network source).'})
    return fixes
  }
  if (!admission.admits) {
    if (gateway?.egress) {
      fixes.push({kind: 'ip-sync', command: 'vpcsc ip sync', text: `The level lacks ${address}, an egress IP of ${gateway.natGatewayId}: vpcsc ip sync adds it.`})
    } else if (facts.keepCovers) {
      fixes.push({kind: 'ip-sync', command: 'vpcsc ip sync', text: `${address} is in a kept CIDR the level does not hold yet: vpcsc ip sync writes it.`})
    } else if (gateway) {
      fixes.push({kind: 'none', text: `${address} belongs to ${gateway.natGatewayId}, which is ${gateway.state}: traffic no longer leaves through it; a workload still using it needs the current NAT gateway.`})
    } else {
      fixes.push(keepFix(address, facts.keep))
    }
  } else if (perimeter && !perimeter.levelInAccessLevels && !perimeter.levelInIngressSources) {
    const uses = perimeter.levelInEgressSources ? `uses ${shortName(admission.level)} only as an egress rule's source, which admits nobody into it` : `does not use ${shortName(admission.level)}`
    fixes.push({kind: 'ingress-rule', text: `${shortName(perimeter.name)} ${uses}: add it to the perimeter's access levels, or as the source of an ingress rule.`})
  } else if (perimeter && !perimeter.levelInAccessLevels && perimeter.ingressAdmitsPrincipal === false && denial?.principal) {
    fixes.push({
      kind: 'ingress-rule',
      text: `The IP is admitted, but no ingress rule from ${shortName(admission.level)} lets ${denial.principal} reach ${denial.service ?? 'the service'}: add one (its identity, or identityType ANY_IDENTITY) for that service.`,
    })
  } else {
    fixes.push({
      kind: 'none',
      text: denial
        ? `Nothing to fix now: ${shortName(admission.level)} admits ${address}. At ${denial.timestamp} it did not yet (a sync, a Terraform apply or a deny test since; changes take up to 30 minutes to apply).`
        : `Nothing to fix: ${shortName(admission.level)} admits ${address}.`,
    })
  }
  return fixes
}

/**
 * Keeping the address. A `--keep` replaces the kept list of VPCSC_KEEP or the config file
 * (flag > environment > file), so the command repeats the CIDRs kept now: `--keep` with the
 * new one alone would remove them. And it lasts one run: the next sync without it removes
 * the address again, so the lasting fix is the kept list itself.
 */
function keepFix(address: string, keep: readonly string[]): Fix {
  try {
    const host = hostCidr(address)
    const command = ['vpcsc ip sync', ...[...keep, host.text].map((cidr) => `--keep ${cidr}`)].join(' ')
    return {
      kind: 'keep',
      command,
      text: `No selected NAT gateway owns ${address}; check the NAT selection first (--region, --nat-tag, --vpc). If this caller should be admitted, add ${host.text} to the kept CIDRs ("keep" in the config file, VPCSC_KEEP, or the reconciler's Terraform variable "keep"), or for this run only: ${command}.`,
    }
  } catch (error) {
    if (!(error instanceof CidrError)) throw error
    return {kind: 'none', text: `No selected NAT gateway owns ${address}, and an access level cannot hold it (${error.message.replace(/^"[^"]*" /, '')}).`}
  }
}

/** Policy Denied audit entries go to the _Default log bucket, which keeps them 30 days unless its retention is changed (docs/api-facts.md). */
const DEFAULT_RETENTION_DAYS = 30

/**
 * What to try when no entry has the id within the window: a longer one, never the window
 * already searched; past the _Default bucket's retention, that the entry may be gone, and
 * a longer window for a bucket that keeps entries longer.
 */
export function notFoundHint(since: Date, now: Date): string {
  const days = (now.getTime() - since.getTime()) / 86_400_000
  const late = 'entries can take a minute to reach Cloud Logging'
  if (days < DEFAULT_RETENTION_DAYS) return `Check the id; look further back, e.g. --since ${DEFAULT_RETENTION_DAYS}d; ${late}.`
  return `Check the id; ${late}. Denials are kept ${DEFAULT_RETENTION_DAYS} days by default (the _Default log bucket's retention): an older one is gone, unless the bucket keeps them longer (then --since ${Math.ceil(days * 2)}d).`
}

/** "in the last 2 days" for a window of whole days, hours or minutes (--since 2d), else "since" its start. */
function describeWindow(since: Date, now: Date): string {
  const ms = now.getTime() - since.getTime()
  for (const [unit, size] of [['day', 86_400_000], ['hour', 3_600_000], ['minute', 60_000]] as const) {
    const count = ms / size
    if (Number.isInteger(count) && count > 0) return `in the last ${count} ${unit}${count === 1 ? '' : 's'}`
  }
  return `since ${since.toISOString()}`
}
