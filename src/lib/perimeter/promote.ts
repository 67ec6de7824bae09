import {isDeepStrictEqual} from 'node:util'

import type {Clients} from '../core/clients.ts'
import {ENV, requireSetting, type Settings} from '../core/config.ts'
import {confirmedWrite, ForeignChange} from '../gcp/confirmed-write.ts'
import {RefusedError, RuntimeError} from '../core/errors.ts'
import {writeFailure} from '../level/write.ts'
import type {ServicePerimeter} from '../gcp/types.ts'
import {shortName} from '../core/names.ts'
import {plural} from '../render/text.ts'
import {describePerimeterChange, diffConfigs, type FieldChange} from './diff.ts'
import {patchPerimeter, type PerimeterWrite} from './write.ts'
import {perimeterMode} from './mode.ts'
import {readViolations, type ViolationGroup} from './violations.ts'

/**
 * `vpcsc promote` and `vpcsc demote`: a perimeter from dry-run to enforced and back, the
 * way a careful operator does it. Promote checks that a dry-run spec exists and that the
 * audit logs hold no dry-run violation before it moves spec to status; gcloud's
 * `perimeters dry-run enforce` checks neither and sends no etag.
 */

/** The move is one PATCH of exactly these fields (docs/api-facts.md). */
export const MOVE_MASK = ['spec', 'status', 'useExplicitDryRunSpec']

export interface Gate {
  lookbackMs: number
  since: string
  count: number
  groups: ViolationGroup[]
  truncated: boolean
}

export interface PromotePlan {
  perimeter: ServicePerimeter
  changes: FieldChange[]
  gate: Gate
}

export async function preparePromote(settings: Settings, clients: Clients, options: {since: Date; limit: number}): Promise<PromotePlan> {
  const name = requireSetting(settings.perimeter, 'perimeter', ENV.perimeter, 'perimeter')
  const perimeter = await clients.acm.getPerimeter(name)
  if (!perimeter.useExplicitDryRunSpec || !perimeter.spec) {
    throw new RefusedError({
      code: 'NO_DRY_RUN_SPEC',
      message: `${name} has no explicit dry-run spec: there is nothing to promote${perimeterMode(perimeter) === 'enforced' ? ' (it is already enforced)' : ''}.`,
      hint: 'Give it one first (Terraform: use_explicit_dry_run_spec = true with a spec block), watch vpcsc violations, then promote.',
    })
  }
  return {perimeter, changes: diffConfigs(perimeter.status, perimeter.spec), gate: await readGate(settings, clients, perimeter, options)}
}

/** The dry-run violations of one perimeter over the lookback: what the gate decides on. */
async function readGate(settings: Settings, clients: Clients, perimeter: ServicePerimeter, options: {since: Date; limit: number}): Promise<Gate> {
  const {since} = options
  const {dryRun} = await readViolations({...settings, perimeter: perimeter.name}, clients, {since, limit: options.limit, perimeter, kinds: ['dryRun']})
  return {lookbackMs: Date.now() - since.getTime(), since: since.toISOString(), count: dryRun.entries.length, groups: dryRun.groups, truncated: dryRun.truncated}
}

/**
 * A promotion's warnings: each perimeter whose dry-run spec would have denied someone (only
 * --force gets that far: they are denied for real once enforced), and the write's own.
 */
export function promoteWarnings(perimeters: {name: string; gate: Gate}[], write?: {answerLost: boolean; writtenByAnother?: boolean}, withoutEtag = false): string[] {
  const warnings: string[] = []
  for (const {name, gate} of perimeters) {
    if (gate.count > 0) warnings.push(`${shortName(name)}: ${plural(gate.count, 'dry-run violation')}${gate.truncated ? ' or more' : ''} since ${gate.since}; promoted with --force, those callers are denied once it is enforced.`)
  }
  return [...warnings, ...writeWarnings(write, withoutEtag)]
}

const WRITTEN_BY_ANOTHER = 'another write, pending when ours was sent (an earlier run?), put exactly this in place; ours did not land and was not sent again'

/** A perimeter write's warnings: a lost answer (a read confirmed it), another write's result, no compare-and-swap (--force without an etag). */
export function writeWarnings(write: {answerLost: boolean; writtenByAnother?: boolean} | undefined, withoutEtag = false): string[] {
  return [
    ...(write?.answerLost ? ["The API's answer was lost; a read of the perimeter confirmed the write."] : []),
    ...(write?.writtenByAnother ? [`${WRITTEN_BY_ANOTHER[0]!.toUpperCase()}${WRITTEN_BY_ANOTHER.slice(1)}.`] : []),
    ...(write && withoutEtag ? ['The perimeter came without an etag: written with --force, without compare-and-swap.'] : []),
  ]
}

/**
 * How a perimeter write was confirmed, for the human line: its operation; or, with no
 * answer, another write's (an earlier run whose write was still pending: ours met it and
 * did not land) or a lost answer that a read confirmed (`confirmed` names what was read).
 * Without the first case a rerun after a killed run said "the API's answer was lost".
 */
export function confirmedBy(write: {operation?: string; writtenByAnother?: boolean}, confirmed: string): string {
  if (write.writtenByAnother) return WRITTEN_BY_ANOTHER
  return write.operation ?? `the API's answer was lost; a read confirmed ${confirmed}`
}

/**
 * The result's warnings that the done line (confirmedBy) does not already say: shown on
 * stderr in the human output (a --force past the gate, a write without compare-and-swap).
 */
export function unsaidWarnings(warnings: string[], write: {answerLost: boolean; writtenByAnother?: boolean}): string[] {
  const said = new Set(writeWarnings(write))
  return warnings.filter((warning) => !said.has(warning))
}

/** Refuses (exit 5) while the dry-run spec would have denied someone, unless forced. */
export function checkGate(plan: PromotePlan, force: boolean): void {
  if (plan.gate.count === 0 || force) return
  throw new RefusedError({
    code: 'DRY_RUN_VIOLATIONS',
    message: `Not promoted: the dry-run spec of ${plan.perimeter.name} would have denied ${plan.gate.count}${plan.gate.truncated ? '+' : ''} call${plan.gate.count === 1 ? '' : 's'} since ${plan.gate.since}.`,
    hint: 'Enforcing it would deny them for real. Fix the spec (or the access level) and wait, or promote anyway with --force.',
    details: {groups: plan.gate.groups},
  })
}

export async function applyPromote(plan: PromotePlan, clients: Clients, options: {force?: boolean; signal?: AbortSignal} = {}): Promise<PerimeterWrite> {
  const spec = plan.perimeter.spec!
  return patchPerimeter(
    clients,
    plan.perimeter,
    // spec absent from the body while in the mask: cleared.
    {status: spec, useExplicitDryRunSpec: false},
    MOVE_MASK,
    (after) =>
      !isDeepStrictEqual(after.status, spec) ? 'the enforced status is not the spec that was promoted'
      : after.spec ? 'a dry-run spec is still there'
      : after.useExplicitDryRunSpec ? 'useExplicitDryRunSpec is still true'
      : undefined,
    `promote ${plan.perimeter.name}`,
    options,
  )
}

export interface DemotePlan {
  perimeter: ServicePerimeter
  /** What stops being enforced. */
  changes: FieldChange[]
}

export async function prepareDemote(settings: Settings, clients: Clients): Promise<DemotePlan> {
  const name = requireSetting(settings.perimeter, 'perimeter', ENV.perimeter, 'perimeter')
  const perimeter = await clients.acm.getPerimeter(name)
  const mode = perimeterMode(perimeter)
  if (mode === 'dry-run' || mode === 'empty') {
    throw new RefusedError({code: 'NOT_ENFORCED', message: `${name} is ${mode === 'dry-run' ? 'already dry-run only' : 'empty'}: there is nothing to demote.`, hint: 'vpcsc status shows its mode.'})
  }
  if (mode === 'enforced+dry-run' && !isDeepStrictEqual(perimeter.spec, perimeter.status)) {
    throw new RefusedError({
      code: 'PENDING_DRY_RUN_SPEC',
      message: `${name} already has a dry-run spec that differs from what is enforced; demoting would overwrite it with the enforced configuration.`,
      hint: 'Promote or drop that spec first (vpcsc promote shows how it differs).',
    })
  }
  return {perimeter, changes: diffConfigs(perimeter.status, undefined)}
}

export async function applyDemote(plan: DemotePlan, clients: Clients, options: {force?: boolean; signal?: AbortSignal} = {}): Promise<PerimeterWrite> {
  const status = plan.perimeter.status!
  return patchPerimeter(
    clients,
    plan.perimeter,
    // status absent from the body while in the mask: cleared, so nothing is enforced.
    {spec: status, useExplicitDryRunSpec: true},
    MOVE_MASK,
    (after) =>
      !isDeepStrictEqual(after.spec, status) ? 'the dry-run spec is not the configuration that was enforced'
      : perimeterMode(after) !== 'dry-run' ? 'the perimeter is still enforced'
      : undefined,
    `demote ${plan.perimeter.name}`,
    options,
  )
}

export interface PromoteAllPlan {
  policy: string
  etag: string
  perimeters: {perimeter: ServicePerimeter; changes: FieldChange[]; gate: Gate}[]
}

/** Every perimeter the policy-wide commit would promote, each with its diff and gate. */
export async function preparePromoteAll(settings: Settings, clients: Clients, options: {since: Date; limit: number}): Promise<PromoteAllPlan> {
  const policy = requireSetting(settings.policy, 'policy', ENV.policy, 'policy')
  const policyResource = await clients.acm.getPolicy(policy)
  if (!policyResource.etag) throw new RefusedError({code: 'NO_ETAG', message: `The access policy ${policy} has no etag: the policy-wide commit cannot be made conflict-safe.`, hint: 'Promote perimeters one at a time (without --all).'})
  const all = await clients.acm.listPerimeters(policy)
  const perimeters = await Promise.all(
    all
      .filter((p) => p.useExplicitDryRunSpec && p.spec)
      .map(async (perimeter) => ({perimeter, changes: diffConfigs(perimeter.status, perimeter.spec), gate: await readGate(settings, clients, perimeter, options)})),
  )
  if (perimeters.length === 0) throw new RefusedError({code: 'NO_DRY_RUN_SPEC', message: `No perimeter of ${policy} has an explicit dry-run spec: there is nothing to promote.`})
  return {policy, etag: policyResource.etag, perimeters}
}

/**
 * The policy-wide commit, carrying the policy etag, confirmed by reading every perimeter
 * it promotes (docs/safety.md, rule 7): a lost answer is never reported as "not committed".
 */
export async function applyPromoteAll(plan: PromoteAllPlan, clients: Clients, options: {signal?: AbortSignal} = {}): Promise<{operation?: string; answerLost: boolean; writtenByAnother?: boolean}> {
  const promoted = (p: ServicePerimeter | undefined, spec: ServicePerimeter['spec']) => p !== undefined && isDeepStrictEqual(p.status, spec) && !p.spec && !p.useExplicitDryRunSpec
  const withoutEtag = ({etag: _etag, ...rest}: ServicePerimeter) => rest
  const planned = new Set(plan.perimeters.map(({perimeter}) => perimeter.name))
  const unplanned = (now: ServicePerimeter[]) => now.filter((p) => p.useExplicitDryRunSpec && p.spec && !planned.has(p.name))
  try {
    const result = await confirmedWrite<ServicePerimeter[]>(
      {
        what: `the dry-run perimeters of ${plan.policy}`,
        action: `commit the dry-run perimeters of ${plan.policy}`,
        read: async (signal) => {
          const policy = await clients.acm.getPolicy(plan.policy, signal)
          return {etag: policy.etag ?? '', state: await clients.acm.listPerimeters(plan.policy, signal)}
        },
        readBack: (signal) => clients.acm.listPerimeters(plan.policy, signal),
        send: (basis, signal) => clients.acm.commitPerimeters(plan.policy, basis.etag, signal),
        classify: (now) => {
          const find = (name: string) => now.find((p) => p.name === name)
          if (plan.perimeters.every(({perimeter}) => promoted(find(perimeter.name), perimeter.spec))) return 'target'
          const untouched = plan.perimeters.every(({perimeter}) => {
            const p = find(perimeter.name)
            return p !== undefined && isDeepStrictEqual(withoutEtag(p), withoutEtag(perimeter))
          })
          // The commit promotes every dry-run spec of the policy: one added since the plan was
          // never shown nor gated, so sending again with the fresh etag would promote it unseen.
          return untouched && unplanned(now).length === 0 ? 'before' : 'other'
        },
      },
      {etag: plan.etag, state: plan.perimeters.map((p) => p.perimeter)},
      {acm: clients.acm, signal: options.signal},
    )
    return {operation: result.operation, answerLost: result.answerLost, ...(result.writtenByAnother ? {writtenByAnother: true} : {})}
  } catch (error) {
    if (error instanceof ForeignChange) {
      const now = error.now as ServicePerimeter[]
      const changed = plan.perimeters.map(({perimeter}) => ({before: perimeter, now: now.find((p) => p.name === perimeter.name)})).filter(({before, now}) => !now || !isDeepStrictEqual(withoutEtag(now), withoutEtag(before)))
      const added = unplanned(now)
      const what = [
        ...changed.map(({before, now}) => `${before.name.split('/').at(-1)}: ${describePerimeterChange(before, now)}`),
        ...added.map((p) => `${p.name.split('/').at(-1)}: a dry-run spec was added, not in the plan`),
      ].join('; ')
      throw new RuntimeError({
        code: 'CONFLICT',
        message: `Not committed: the dry-run perimeters of ${plan.policy} were changed by someone else after vpcsc read them${what ? ` (${what})` : ''}.`,
        hint: 'Nothing was promoted by vpcsc. Run vpcsc promote --all again to review the current state.',
        details: {changed, added},
      })
    }
    throw writeFailure(error, `the commit of ${plan.policy}`, 'Run vpcsc promote --all again.')
  }
}
