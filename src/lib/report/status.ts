import {ipCondition} from '../level/condition.ts'
import {describeSource} from '../aws/accounts.ts'
import {discoverNatEgress, type NatDiscovery} from '../aws/nat.ts'
import type {Clients} from '../core/clients.ts'
import {requireSetting, ENV, type SettingSource, type Settings, type Sourced} from '../core/config.ts'
import {computeDrift, type Drift} from '../level/drift.ts'
import type {VpcscError} from '../core/errors.ts'
import {denyTestHold} from '../deny-test/hold.ts'
import {journalPath} from '../deny-test/journal.ts'
import type {AccessLevel, AccessPolicy, Condition, ServicePerimeter} from '../gcp/types.ts'
import {diffConfigs, summariseChanges} from '../perimeter/diff.ts'
import {levelUseFields, perimeterMode, type LevelUseFields, type PerimeterMode} from '../perimeter/mode.ts'
import {readViolations} from '../perimeter/violations.ts'
import {readTfvars, terraformDrift} from '../level/tfvars.ts'
import {allInOrder} from '../core/concurrency.ts'

/**
 * `vpcsc status`: everything on one screen, read-only. The Google reads and the AWS reads
 * run concurrently; no write call is ever made from here.
 */

export interface LevelReport {
  name: string
  title?: string
  description?: string
  combiningFunction?: string
  conditions: (Condition & {index: number})[]
  /** The condition whose ipSubnetworks vpcsc manages, when it can tell. */
  managedCondition?: number
  managedCidrs: string[]
  /** Why no condition is managed (several hold IPs, custom level, ...). */
  managedProblem?: string
}

/** Where the level is used: levelUse (named, or required by a level the configuration names). */
export interface PerimeterReport extends LevelUseFields {
  name: string
  title?: string
  mode: PerimeterMode
  perimeterType?: string
  resources: string[]
  restrictedServices: string[]
  dryRun?: LevelUseFields & {
    resources: string[]
    restrictedServices: string[]
    /** How the dry-run spec differs from the enforced status, in one line. */
    differs: string
    /** Dry-run violations over the last 24 hours (undefined when the logs could not be read). */
    violations24h?: number
    violationsProblem?: string
  }
}

export interface StatusReport {
  policy: {name: string; title?: string; scopes?: string[]}
  level: LevelReport
  perimeter?: PerimeterReport
  nat: NatDiscovery
  keep: string[]
  /** Where the kept CIDRs come from, when any are kept. */
  keepSource?: SettingSource
  drift: Drift
  /** A deny test holding this level (its marker in the policy, or a journal here): running, or interrupted. */
  denyTest?: {
    running: boolean
    /** running-here, running-elsewhere (another host, within its time) or gone. */
    owner: string
    who: string
    startedAt: string
    denyCidr: string
    /** The marker level in the access policy; absent while only the local journal knows of the swap. */
    marker?: string
    /** This machine's journal, if any. */
    journal?: string
  }
  /** What the reader should know that the screen shows in its sections: one line each (statusWarnings). */
  warnings: string[]
  timingsMs: {total: number}
}

export async function gatherStatus(settings: Settings, clients: Clients): Promise<StatusReport> {
  const started = Date.now()
  const policyName = requireSetting(settings.policy, 'policy', ENV.policy, 'policy')
  const levelName = requireSetting(settings.level, 'level', ENV.level, 'level')
  // The tfvars file first: a malformed one is a usage error, before any remote read.
  const tfvars = settings.tfvars && (await readTfvars(settings.tfvars, {forWrite: false}))
  // The level is read with the policy's other levels (one call either way): a deny test's
  // marker is one of them (docs/safety.md, rule 9).
  const [policy, levels, perimeter, nat] = await allInOrder([
    clients.acm.getPolicy(policyName),
    clients.acm.listLevels(policyName),
    settings.perimeter ? clients.acm.getPerimeter(settings.perimeter).then((p) => withDryRunViolations(settings, clients, p)) : Promise.resolve(undefined),
    discoverNatEgress(settings),
  ])
  const level = levels.find((l) => l.name === levelName) ?? (await clients.acm.getLevel(levelName))
  const hold = await denyTestHold(settings.stateDir, levels, levelName)
  const levelReport = describeLevel(level, settings.condition)
  const drift: Drift = computeDrift(levelReport.managedCidrs, nat.egressIps.map((e) => e.ip), settings.keep, [settings.denyCidr.text, ...(hold?.denyCidr ? [hold.denyCidr] : [])])
  if (tfvars && levelReport.managedCondition !== undefined) {
    drift.terraform = terraformDrift(tfvars, levelReport.managedCidrs)
    drift.inSync &&= !drift.terraform.reverts
  }
  const report: Omit<StatusReport, 'warnings'> = {
    policy: describePolicy(policy),
    level: levelReport,
    perimeter: perimeter ? describePerimeter(perimeter.perimeter, levelName, levels, perimeter.violations) : undefined,
    nat,
    keep: settings.keep.map((c) => c.text),
    keepSource: settings.keepSource,
    drift,
    denyTest: hold && {
      running: hold.state === 'running',
      owner: hold.owner,
      who: hold.who,
      startedAt: hold.startedAt,
      denyCidr: hold.denyCidr,
      marker: hold.marker?.name,
      journal: hold.journal ? journalPath(settings.stateDir, levelName) : undefined,
    },
    timingsMs: {total: Date.now() - started},
  }
  return {...report, warnings: statusWarnings(report)}
}

/**
 * The status's warnings, for --json readers and scripts: the NAT selection's own, each
 * source that could not be read (the drift is then incomplete), a level vpcsc cannot manage,
 * dry-run violations that could not be counted, and a deny test that left the level swapped.
 */
export function statusWarnings(report: Omit<StatusReport, 'warnings'>): string[] {
  const warnings = [...report.nat.warnings]
  for (const u of report.nat.unreadable) warnings.push(`NAT gateways not read, the drift is incomplete: ${describeSource(u)}: ${u.message}`)
  if (report.level.managedProblem) warnings.push(`vpcsc cannot tell which condition of ${report.level.name} it manages: ${report.level.managedProblem}`)
  if (report.perimeter?.dryRun?.violationsProblem) warnings.push(`Dry-run violations not counted: ${report.perimeter.dryRun.violationsProblem}`)
  // `who` says when it started already (pid, host, user, start).
  if (report.denyTest && !report.denyTest.running) warnings.push(`An interrupted deny test (${report.denyTest.who}) left ${report.level.name} swapped to ${report.denyTest.denyCidr}: run vpcsc restore.`)
  return warnings
}

function describePolicy(policy: AccessPolicy): StatusReport['policy'] {
  return {name: policy.name, title: policy.title, scopes: policy.scopes}
}

function describeLevel(level: AccessLevel, condition: Sourced<number> | undefined): LevelReport {
  const report: LevelReport = {
    name: level.name,
    title: level.title,
    description: level.description,
    combiningFunction: level.basic?.combiningFunction ?? (level.basic ? 'AND' : undefined),
    conditions: (level.basic?.conditions ?? []).map((c, index) => ({index, ...c})),
    managedCidrs: [],
  }
  try {
    const managed = ipCondition(level, condition)
    report.managedCondition = managed.index
    report.managedCidrs = managed.ipSubnetworks
  } catch (error) {
    // Status still shows the level; sync will refuse with the same words.
    report.managedProblem = (error as VpcscError).message
  }
  return report
}

/** For a perimeter with a dry-run spec: how many calls the spec would have denied in 24 h. */
async function withDryRunViolations(settings: Settings, clients: Clients, perimeter: ServicePerimeter) {
  if (!perimeter.useExplicitDryRunSpec || !perimeter.spec) return {perimeter}
  try {
    const report = await readViolations(settings, clients, {since: new Date(Date.now() - DAY_MS), limit: 1000, perimeter, level: undefined, kinds: ['dryRun']})
    return {perimeter, violations: {count: report.dryRun.entries.length}}
  } catch (error) {
    // The logs are one more permission; status still shows everything else.
    return {perimeter, violations: {problem: (error as Error).message}}
  }
}

const DAY_MS = 24 * 3600_000

function describePerimeter(perimeter: ServicePerimeter, level: string, levels: readonly AccessLevel[], violations?: {count?: number; problem?: string}): PerimeterReport {
  const report: PerimeterReport = {
    name: perimeter.name,
    title: perimeter.title,
    mode: perimeterMode(perimeter),
    perimeterType: perimeter.perimeterType,
    resources: perimeter.status?.resources ?? [],
    restrictedServices: perimeter.status?.restrictedServices ?? [],
    ...levelUseFields(perimeter.status, level, levels),
  }
  if (perimeter.useExplicitDryRunSpec && perimeter.spec) {
    report.dryRun = {
      resources: perimeter.spec.resources ?? [],
      restrictedServices: perimeter.spec.restrictedServices ?? [],
      ...levelUseFields(perimeter.spec, level, levels),
      differs: summariseChanges(diffConfigs(perimeter.status, perimeter.spec)),
      violations24h: violations?.count,
      violationsProblem: violations?.problem,
    }
  }
  return report
}
