import {RuntimeError} from '../core/errors.ts'
import {shortName} from '../core/names.ts'
import {sleep} from '../core/sleep.ts'
import type {GoogleRestClient} from './client.ts'
import {GoogleApiError, operationFailed, type CallContext} from './google-error.ts'
import type {AccessLevel, AccessPolicy, Operation, ServicePerimeter} from './types.ts'

/**
 * Access Context Manager v1 over REST: only the methods vpcsc uses. Levels are always
 * read AS_DEFINED so that what is written back is what the user wrote, not a rendering.
 */

const SERVICE = 'Access Context Manager'

export interface OperationWait {
  /** Aborts the wait (Ctrl-C, SIGTERM). */
  signal?: AbortSignal
  /** Wall-clock time (ms since epoch) after which waiting stops; default 2 min from now. */
  deadline?: number
}

/**
 * When to poll an operation (docs/safety.md, rule 8), in ms after the write's answer: early
 * polls at 50, 150 and 250 ms, for an operation done within moments (the emulator commits
 * 150 ms after accepting a write); then 750, 1750, 3750 and 7750 ms (doubling) and every 5 s.
 * From 250 ms on these are the times of the schedule before (250 ms, doubling), so no
 * operation is seen done later than it was; the two early polls are the only extra reads.
 * Reads are an organization-wide quota (docs/api-facts.md, Quotas): a 2-minute wait costs
 * about 30, and no loop ever spins. The times are kept from the write's answer, not from
 * each poll's own answer: a poll that took 100 ms (a real round trip) does not push every
 * later poll back by as much. A poll is never sent before its time, and one at a time, so
 * there are never more reads than the schedule has by then. After a poll that took long (a
 * read retried through 429s), only the last of the times that passed meanwhile is kept: one
 * poll at once, then the schedule, never a burst of catching up (nextPoll).
 */
const EARLY_POLL_DELAYS_MS = [50, 100, 100]
const BACKOFF_START_MS = 500
const MAX_POLL_MS = 5_000

/** The time between poll number `poll` (0 for the first) and the one before it (or the write's answer): 50, 100, 100, then 500, 1000, ... ms, at most 5 s. */
export function pollDelay(poll: number): number {
  return EARLY_POLL_DELAYS_MS[poll] ?? Math.min(BACKOFF_START_MS * 2 ** (poll - EARLY_POLL_DELAYS_MS.length), MAX_POLL_MS)
}

/** When poll number `poll` is due, in ms after the write's answer: 50, 150, 250, 750, 1750, ... */
export function pollDueMs(poll: number): number {
  let due = 0
  for (let i = 0; i <= poll; i++) due += pollDelay(i)
  return due
}

/**
 * The poll to send next, `elapsedMs` after the write's answer, when `poll` is the next one
 * by count: the latest of those whose time has passed (sent at once), or `poll` itself.
 */
export function nextPoll(poll: number, elapsedMs: number): number {
  let next = poll
  while (pollDueMs(next + 1) <= elapsedMs) next++
  return next
}

const DEFAULT_OPERATION_TIMEOUT_MS = 120_000

export class AccessContextManager {
  private readonly http: GoogleRestClient
  private readonly endpoint: string

  constructor(http: GoogleRestClient, endpoint: string) {
    this.http = http
    this.endpoint = endpoint
  }

  private context(action: string): CallContext {
    return {action, service: SERVICE, endpoint: this.endpoint}
  }

  private url(name: string): string {
    return `${this.endpoint}/v1/${name}`
  }

  async getPolicy(name: string, signal?: AbortSignal): Promise<AccessPolicy> {
    try {
      return await this.http.request<AccessPolicy>(this.context(`read access policy ${name}`), {method: 'GET', url: this.url(name), signal})
    } catch (error) {
      // Policies are listed per organization, which vpcsc is not told: say where to look.
      if (!(error instanceof GoogleApiError) || error.httpStatus !== 404) throw error
      throw notFound(`The access policy ${name} does not exist.`, 'List the policies of your organization: gcloud access-context-manager policies list --organization ORG_ID; then set --policy (or VPCSC_POLICY).', error)
    }
  }

  async getLevel(name: string, signal?: AbortSignal): Promise<AccessLevel> {
    try {
      return await this.http.request<AccessLevel>(this.context(`read access level ${name}`), {
        method: 'GET',
        url: this.url(name),
        params: {accessLevelFormat: 'AS_DEFINED'},
        signal,
      })
    } catch (error) {
      throw await this.explainMissingLevel(error, name)
    }
  }

  /** Every level of the policy, all pages. */
  async listLevels(policy: string, signal?: AbortSignal): Promise<AccessLevel[]> {
    const levels: AccessLevel[] = []
    let pageToken: string | undefined
    do {
      const page = await this.http.request<{accessLevels?: AccessLevel[]; nextPageToken?: string}>(this.context(`list the access levels of ${policy}`), {
        method: 'GET',
        url: this.url(`${policy}/accessLevels`),
        params: {accessLevelFormat: 'AS_DEFINED', pageSize: 100, pageToken},
        signal,
      })
      levels.push(...(page.accessLevels ?? []))
      pageToken = page.nextPageToken || undefined
    } while (pageToken)
    return levels
  }

  async getPerimeter(name: string, signal?: AbortSignal): Promise<ServicePerimeter> {
    try {
      return await this.http.request<ServicePerimeter>(this.context(`read service perimeter ${name}`), {method: 'GET', url: this.url(name), signal})
    } catch (error) {
      throw await this.explainMissing(error, name, 'service perimeter', async (policy) =>
        (await this.listPerimeters(policy)).map((p) => shortName(p.name)),
      )
    }
  }

  async listPerimeters(policy: string, signal?: AbortSignal): Promise<ServicePerimeter[]> {
    const perimeters: ServicePerimeter[] = []
    let pageToken: string | undefined
    do {
      const page = await this.http.request<{servicePerimeters?: ServicePerimeter[]; nextPageToken?: string}>(
        this.context(`list the service perimeters of ${policy}`),
        {method: 'GET', url: this.url(`${policy}/servicePerimeters`), params: {pageSize: 100, pageToken}, signal},
      )
      perimeters.push(...(page.servicePerimeters ?? []))
      pageToken = page.nextPageToken || undefined
    } while (pageToken)
    return perimeters
  }

  /**
   * The one true compare-and-swap the API offers for levels: replaces every level of the
   * policy, and fails when the policy's etag is no longer `etag`.
   */
  replaceAllLevels(policy: string, accessLevels: AccessLevel[], etag: string, signal?: AbortSignal): Promise<Operation> {
    return this.http.request(this.context(`replace the access levels of ${policy}`), {
      method: 'POST',
      url: this.url(`${policy}/accessLevels:replaceAll`),
      data: {accessLevels, etag},
      signal,
    })
  }

  /**
   * PATCH of the conditions only. `basic.conditions` replaces the WHOLE array, so the
   * level passed in must carry every condition as read.
   */
  patchLevelConditions(level: AccessLevel, signal?: AbortSignal): Promise<Operation> {
    return this.http.request(this.context(`update access level ${level.name}`), {
      method: 'PATCH',
      url: this.url(level.name),
      params: {updateMask: 'basic.conditions'},
      data: {name: level.name, basic: {conditions: level.basic?.conditions ?? []}},
      signal,
    })
  }

  patchPerimeter(name: string, body: Record<string, unknown>, updateMask: string, signal?: AbortSignal): Promise<Operation> {
    return this.http.request(this.context(`update service perimeter ${name}`), {method: 'PATCH', url: this.url(name), params: {updateMask}, data: body, signal})
  }

  /** Enforces the dry-run spec of EVERY perimeter of the policy at once; fails on a stale etag. */
  commitPerimeters(policy: string, etag: string, signal?: AbortSignal): Promise<Operation> {
    return this.http.request(this.context(`commit the dry-run perimeters of ${policy}`), {method: 'POST', url: this.url(`${policy}/servicePerimeters:commit`), data: {etag}, signal})
  }

  /**
   * Polls a long-running operation until done; a done operation's error is a failure.
   * Polls back off (pollDelay), are bounded by the deadline, and end at once when the
   * signal aborts.
   */
  async waitForOperation(operation: Operation, action: string, wait: OperationWait = {}): Promise<Operation> {
    const deadline = wait.deadline ?? Date.now() + DEFAULT_OPERATION_TIMEOUT_MS
    let polls = 0
    let current = operation
    const started = Date.now()
    while (!current.done) {
      if (wait.signal?.aborted) throw new GoogleApiError(`Could not ${action}: interrupted while operation ${operation.name} was still running.`, {code: 'INTERRUPTED'})
      polls = nextPoll(polls, Date.now() - started)
      const dueAt = Math.max(Date.now(), started + pollDueMs(polls++))
      if (dueAt > deadline) {
        throw new RuntimeError({
          code: 'OPERATION_TIMEOUT',
          message: `Could not ${action}: operation ${operation.name} was not done after ${Math.round((Date.now() - started) / 1000)} s.`,
          hint: `It may still finish: check it with \`gcloud access-context-manager operations describe ${shortName(operation.name)}\`, then run vpcsc status.`,
        })
      }
      await sleep(dueAt - Date.now(), wait.signal)
      if (wait.signal?.aborted) continue
      current = await this.http.request<Operation>(this.context(`read operation ${operation.name}`), {method: 'GET', url: this.url(operation.name), signal: wait.signal})
    }
    if (current.error) throw operationFailed(this.context(action), current.name, current.error)
    return current
  }

  private explainMissingLevel(error: unknown, name: string): Promise<unknown> {
    return this.explainMissing(error, name, 'access level', async (policy) =>
      (await this.listLevels(policy)).map((l) => shortName(l.name)),
    )
  }

  /** On 404, say which resources do exist: the usual cause is a typo. */
  private async explainMissing(error: unknown, name: string, what: string, list: (policy: string) => Promise<string[]>): Promise<unknown> {
    if (!(error instanceof GoogleApiError) || error.httpStatus !== 404) return error
    const policy = name.match(/^accessPolicies\/[0-9]+/)?.[0]
    if (!policy) return error
    let existing: string[] | undefined
    try {
      existing = await list(policy)
    } catch {
      // The policy itself may be missing, or unreadable: the original error says enough.
      return error
    }
    return notFound(`The ${what} ${name} does not exist.`, existing.length > 0 ? `The policy holds: ${existing.join(', ')}.` : `The policy ${policy} holds no ${what}s.`, error)
  }
}

/** A 404 said in vpcsc's words, with where to look next; the API's own error kept as the cause. */
function notFound(message: string, hint: string, cause: unknown): GoogleApiError {
  return new GoogleApiError(message, {code: 'NOT_FOUND', httpStatus: 404, googleStatus: 'NOT_FOUND', hint, cause})
}
