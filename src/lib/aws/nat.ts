import type {EC2Client, NatGateway} from '@aws-sdk/client-ec2'
import type {AwsCredentialIdentity, AwsCredentialIdentityProvider} from '@smithy/types'

import {awsClientOptions} from './sdk-options.ts'
import {limiter} from '../core/concurrency.ts'
import type {SettingKey} from '../core/config.ts'
import {RuntimeError, VpcscError} from '../core/errors.ts'
import {describeAccount, type AccountRef, type MemberAccount, type NatTag} from './accounts.ts'
import {awsError as serviceError, EC2, STS, type AwsService} from './errors.ts'

/**
 * Finds the public egress addresses of the selected NAT gateways. The AWS SDK is loaded
 * lazily: it is the heaviest import vpcsc has, and commands that never touch AWS should
 * not pay for it.
 */

/**
 * Every AWS call is bounded (docs/safety.md, rule 8): a stalled endpoint fails the attempt
 * after the request timeout, and the SDK's retries treat it like a dropped connection.
 */
export function awsRequestBounds(requestTimeoutMs: number | undefined): {requestTimeout: number; connectionTimeout: number; throwOnRequestTimeout: true} {
  const bound = requestTimeoutMs ?? 30_000
  return {requestTimeout: bound, connectionTimeout: Math.min(bound, 10_000), throwOnRequestTimeout: true}
}

export interface NatSelection {
  /** Bound on one AWS HTTP attempt (VPCSC_REQUEST_TIMEOUT). */
  requestTimeoutMs?: number
  /** Regions to search; empty means the SDK's default region (AWS_REGION, profile). */
  regions: string[]
  allRegions: boolean
  profile?: string
  natGatewayIds: string[]
  natTags: NatTag[]
  vpcIds: string[]
  /** Member accounts read through sts:AssumeRole, besides the caller's own (always read). */
  accounts: MemberAccount[]
}

/** The settings of the selection, which every command that reads the NAT gateways uses. */
export const NAT_SELECTION_SETTINGS = ['requestTimeout', 'regions', 'allRegions', 'profile', 'natGateways', 'natTags', 'vpcs', 'accounts'] as const satisfies readonly SettingKey[]

export interface NatAddress {
  publicIp?: string
  privateIp?: string
  allocationId?: string
  isPrimary: boolean
  status?: string
}

export interface NatGatewayInfo {
  id: string
  account: AccountRef
  region: string
  vpcId?: string
  subnetId?: string
  state: string
  connectivityType: string
  name?: string
  addresses: NatAddress[]
}

export interface EgressIp {
  ip: string
  natGatewayId: string
  account: AccountRef
  region: string
  primary: boolean
}

/** An account, or one region of it, that could not be read: its NAT IPs are unknown. */
export interface UnreadableSource {
  account: AccountRef
  /** Absent when the whole account failed (AssumeRole, DescribeRegions). */
  region?: string
  code: string
  message: string
  hint?: string
}

export interface NatDiscovery {
  /** Every region read, in any account. */
  regions: string[]
  /** The accounts read (the caller's first) and the regions read in each. */
  accounts: {account: AccountRef; regions: string[]}[]
  /**
   * Sources that could not be read. Not empty means a partial read: a CIDR may belong to
   * a gateway nobody saw, so nothing may be removed (docs/safety.md, rule 10).
   */
  unreadable: UnreadableSource[]
  /** Every gateway the selection matched, usable or not. */
  gateways: NatGatewayInfo[]
  egressIps: EgressIp[]
  warnings: string[]
  /** Gateway ids asked for by --nat-gateway that no region holds. */
  missingGatewayIds: string[]
}

/** Address states in which the address carries, or is about to carry, traffic. */
const LIVE_ADDRESS_STATUSES = new Set(['succeeded', 'associating', 'assigning'])

type GatewaySelection = Pick<NatSelection, 'natGatewayIds' | 'natTags' | 'vpcIds'>

/**
 * Pure selection: which gateways and addresses count as egress, with a warning for every
 * one left out. Tag filters are re-checked here because not every EC2 endpoint applies
 * them (moto ignores them), and a wrong gateway's IP in an allowlist is a hole.
 */
export function selectEgress(gateways: NatGatewayInfo[], selection: GatewaySelection, tagsOf: (id: string) => Record<string, string>): {
  gateways: NatGatewayInfo[]
  egressIps: EgressIp[]
  warnings: string[]
  missingGatewayIds: string[]
} {
  const selected = egressOf(gateways, selection, tagsOf)
  return {...selected, ...completeness([selected], gateways, selection.natGatewayIds, true)}
}

/** The matching gateways of one account and their egress addresses. */
function egressOf(gateways: NatGatewayInfo[], selection: GatewaySelection, tagsOf: (id: string) => Record<string, string>) {
  const matched = gateways.filter((gateway) => {
    if (selection.natGatewayIds.length > 0 && !selection.natGatewayIds.includes(gateway.id)) return false
    if (selection.vpcIds.length > 0 && (!gateway.vpcId || !selection.vpcIds.includes(gateway.vpcId))) return false
    const tags = tagsOf(gateway.id)
    return selection.natTags.every(({key, value}) => tags[key] === value)
  })
  const warnings: string[] = []
  const egressIps: EgressIp[] = []
  for (const gateway of matched) {
    const where = `${gateway.id} (${gateway.region})`
    if (gateway.connectivityType === 'private') {
      warnings.push(`${where} is a private NAT gateway: it has no public egress address; ignored.`)
      continue
    }
    if (gateway.state === 'deleted') continue // AWS lists deleted gateways for an hour: shown, not worth a warning
    if (gateway.state !== 'available') {
      const ips = gateway.addresses.map((a) => a.publicIp).filter(Boolean)
      warnings.push(`${where} is ${gateway.state}, not available${ips.length > 0 ? `: ${ips.join(', ')} not counted` : ''}.`)
      continue
    }
    for (const address of gateway.addresses) {
      if (!address.publicIp) continue
      const status = address.status ?? 'succeeded'
      if (!LIVE_ADDRESS_STATUSES.has(status)) {
        warnings.push(`${where} address ${address.publicIp} is ${status}: not counted.`)
        continue
      }
      if (status !== 'succeeded') warnings.push(`${where} address ${address.publicIp} is still ${status}: counted.`)
      egressIps.push({ip: address.publicIp, natGatewayId: gateway.id, account: gateway.account, region: gateway.region, primary: address.isPrimary})
    }
  }
  return {gateways: matched, egressIps, warnings}
}

/**
 * Merges the accounts' selections and says what is missing: a gateway id asked for that
 * no source holds (only claimed when every source was read: an unread one may hold it).
 * One account reached twice (the caller's own also listed as a member, or two roles in one
 * account) has its gateways read twice: each gateway, its egress IPs and its warnings
 * count once, under the first source that selected it (the caller's own comes first).
 */
function completeness(parts: ReturnType<typeof egressOf>[], read: NatGatewayInfo[], askedIds: string[], everythingRead: boolean, anythingRead = true) {
  const found = new Set(read.map((g) => g.id))
  const missingGatewayIds = everythingRead ? [...new Set(askedIds)].filter((id) => !found.has(id)) : []
  const warnings = [...new Set(parts.flatMap((p) => p.warnings))]
  for (const id of missingGatewayIds) warnings.push(`NAT gateway ${id} was not found in the searched regions.`)
  const matched = firstOfEach(parts.flatMap((p) => p.gateways), (g) => g.id)
  // With sources not read (each named as such), the sources read matched none; with none
  // read, there is nothing to say beyond those.
  if (matched.length === 0 && anythingRead) warnings.push(everythingRead ? 'No NAT gateway matched the selection.' : 'No NAT gateway matched the selection in the sources that were read.')
  return {gateways: matched, egressIps: firstOfEach(parts.flatMap((p) => p.egressIps), (e) => e.ip), warnings, missingGatewayIds}
}

/** The first item of each key, in order. */
function firstOfEach<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>()
  return items.filter((item) => (seen.has(key(item)) ? false : (seen.add(key(item)), true)))
}

function toInfo(gateway: NatGateway, account: AccountRef, region: string): NatGatewayInfo {
  return {
    id: gateway.NatGatewayId ?? '?',
    account,
    region,
    vpcId: gateway.VpcId,
    subnetId: gateway.SubnetId,
    state: gateway.State ?? 'unknown',
    connectivityType: gateway.ConnectivityType ?? 'public',
    name: gateway.Tags?.find((t) => t.Key === 'Name')?.Value,
    addresses: (gateway.NatGatewayAddresses ?? []).map((a) => ({
      publicIp: a.PublicIp,
      privateIp: a.PrivateIp,
      allocationId: a.AllocationId,
      // Some EC2 endpoints (moto) leave IsPrimary out on a gateway's only address.
      isPrimary: a.IsPrimary !== false,
      status: a.Status,
    })),
  }
}

/** (account, region) reads in flight at once. */
const CONCURRENCY = 8
/** With the SDK's backoff between them; each attempt is bounded by awsRequestBounds. */
const MAX_ATTEMPTS = 4
/** Assumed-role credentials live the shortest time STS allows: a run takes seconds. */
const SESSION_SECONDS = 900

/** One account to read: its credentials (the caller's, or an assumed role's) and its selection. */
interface AccountSource {
  ref: AccountRef
  credentials: Promise<AwsCredentialIdentity | AwsCredentialIdentityProvider>
  regions: string[]
  allRegions: boolean
  selection: GatewaySelection
}

/**
 * Reads the NAT gateways of the caller's account and of every member account, all
 * (account, region) pairs in parallel with a bound, and selects the egress. A source that
 * cannot be read is reported in `unreadable`, never thrown: the plan must know exactly
 * what is missing to remove nothing (docs/safety.md, rule 10). Calls: one GetCallerIdentity (the
 * caller's account id, alongside the reads), one AssumeRole per member account, one
 * DescribeRegions per account with --all-regions, one DescribeNatGateways per page per
 * (account, region).
 */
export async function discoverNatEgress(selection: NatSelection): Promise<NatDiscovery> {
  const [sdk, stsSdk] = await Promise.all([import('@aws-sdk/client-ec2'), import('@aws-sdk/client-sts')])
  // Region as the AWS CLI resolves it (AWS_DEFAULT_REGION too), the SDK's warnings to DEBUG.
  const common = {...awsClientOptions(undefined, selection.profile), maxAttempts: MAX_ATTEMPTS, requestHandler: awsRequestBounds(selection.requestTimeoutMs)}
  // Its region is the caller's home: the one the own account reads without a list of its
  // own (the AWS default region, never a member account's), and where STS is asked.
  const first = new sdk.EC2Client({...awsClientOptions(selection.regions[0], selection.profile), maxAttempts: MAX_ATTEMPTS, requestHandler: awsRequestBounds(selection.requestTimeoutMs)})
  // Every client shares the first one's HTTP handler (its connection pool): a handler per
  // (account, region) client was dozens of pools, each opening its own connections.
  const shared = {...common, requestHandler: first.config.requestHandler}
  try {
    return await readAll(sdk, stsSdk, first, shared, selection)
  } finally {
    first.destroy()
  }
}

async function readAll(
  sdk: typeof import('@aws-sdk/client-ec2'),
  stsSdk: typeof import('@aws-sdk/client-sts'),
  first: EC2Client,
  common: {profile?: string; maxAttempts: number; requestHandler: EC2Client['config']['requestHandler']},
  selection: NatSelection,
): Promise<NatDiscovery> {
  const limit = limiter(CONCURRENCY)
  let home: string
  try {
    home = await first.config.region()
  } catch (error) {
    throw awsError(error, undefined, selection.profile)
  }
  // The caller's credentials are resolved once and shared by every client: each client
  // would otherwise run the whole default chain (environment, files, SSO, IMDS) itself.
  const callerCredentials = first.config.credentials
  // Without the caller's own credentials nothing at all can be read: a setup problem, not
  // a partial read. Resolved once here (memoised), before any call.
  try {
    await callerCredentials()
  } catch (error) {
    throw awsError(error, undefined, selection.profile)
  }

  const sts = new stsSdk.STSClient({...common, region: home, credentials: callerCredentials})
  const own: AccountRef = {}
  const callerId = sts
    .send(new stsSdk.GetCallerIdentityCommand({}))
    .then((answer) => void (own.id = answer.Account))
    .catch((error: unknown) => `The caller's own account id is unknown (sts:GetCallerIdentity: ${(error as Error).message}).`)

  const defaults = {regions: selection.regions, natGatewayIds: selection.natGatewayIds, natTags: selection.natTags, vpcIds: selection.vpcIds}
  const sources: AccountSource[] = [
    {ref: own, credentials: Promise.resolve(callerCredentials), regions: selection.regions, allRegions: selection.allRegions, selection: defaults},
    ...selection.accounts.map((account) => ({
      ref: {id: account.accountId, roleName: account.roleName},
      credentials: limit(() => assumeRole(sts, stsSdk, account)),
      regions: account.regions ?? selection.regions,
      // Regions named for the account are its own choice; otherwise the top-level rule.
      allRegions: account.regions ? false : selection.allRegions,
      selection: {
        regions: account.regions ?? selection.regions,
        natGatewayIds: account.natGatewayIds ?? selection.natGatewayIds,
        natTags: account.natTags ?? selection.natTags,
        vpcIds: account.vpcIds ?? selection.vpcIds,
      },
    })),
  ]
  for (const source of sources) source.credentials.catch(() => undefined)

  const unreadable: UnreadableSource[] = []
  const fail = (ref: AccountRef, region: string | undefined, error: unknown) => {
    const known = error instanceof VpcscError ? error : awsError(error, region)
    unreadable.push({account: ref, region, code: known.code, message: known.message, hint: known.hint})
  }

  const accounts = await Promise.all(
    sources.map(async (source) => {
      const read = {gateways: [] as NatGatewayInfo[], regions: [] as string[], tags: new Map<string, Record<string, string>>()}
      let credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider
      try {
        credentials = await source.credentials
      } catch (error) {
        fail(source.ref, undefined, error)
        return read
      }
      const readRegion = (region: string) =>
        limit(async () => {
          const client = new sdk.EC2Client({...common, region, credentials})
          try {
            const gateways: NatGatewayInfo[] = []
            for await (const page of sdk.paginateDescribeNatGateways({client}, {Filter: filtersOf(source.selection)})) {
              for (const gateway of page.NatGateways ?? []) {
                gateways.push(toInfo(gateway, source.ref, region))
                read.tags.set(gateway.NatGatewayId ?? '?', Object.fromEntries((gateway.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])))
              }
            }
            return gateways
          } catch (error) {
            fail(source.ref, region, error)
            return undefined
          }
        })
      const reads = new Map<string, ReturnType<typeof readRegion>>()
      let regions = source.regions.length > 0 ? source.regions : [home]
      if (source.allRegions) {
        // The home region is enabled (DescribeRegions is asked there): read it meanwhile
        // rather than after, one round trip less on the way.
        reads.set(home, readRegion(home))
        try {
          const enabled = await limit(() => listRegions(sdk, {...common, region: home, credentials}))
          regions = enabled.includes(home) ? enabled : [home, ...enabled]
        } catch (error) {
          fail(source.ref, undefined, error)
          regions = [home]
        }
      }
      for (const region of regions) if (!reads.has(region)) reads.set(region, readRegion(region))
      for (const region of regions) {
        const gateways = await reads.get(region)
        if (!gateways) continue
        read.gateways.push(...gateways)
        read.regions.push(region)
      }
      return read
    }),
  )
  const callerWarning = await callerId
  // Not an error: a list of every account's reader role may well hold the caller's own.
  const ownAsMember = selection.accounts
    .filter((account) => account.accountId === own.id)
    .map((account) => `${account.roleArn} is in the caller's own account ${own.id}, which is always read: a NAT gateway read both ways is listed once, under the first selection that takes it (the own account's first).`)

  const parts = accounts.map((read, i) => egressOf(read.gateways, sources[i]!.selection, (id) => read.tags.get(id) ?? {}))
  const askedIds = sources.flatMap((s) => s.selection.natGatewayIds)
  const merged = completeness(parts, accounts.flatMap((a) => a.gateways), askedIds, unreadable.length === 0, accounts.some((a) => a.regions.length > 0))
  return {
    ...merged,
    warnings: [...(callerWarning ? [callerWarning] : []), ...ownAsMember, ...merged.warnings],
    regions: [...new Set(accounts.flatMap((a) => a.regions))],
    accounts: accounts.map((a, i) => ({account: sources[i]!.ref, regions: a.regions})),
    unreadable,
  }
}

function filtersOf(selection: GatewaySelection) {
  const filters = [
    ...(selection.natGatewayIds.length > 0 ? [{Name: 'nat-gateway-id', Values: selection.natGatewayIds}] : []),
    ...(selection.vpcIds.length > 0 ? [{Name: 'vpc-id', Values: selection.vpcIds}] : []),
    ...selection.natTags.map(({key, value}) => ({Name: `tag:${key}`, Values: [value]})),
  ]
  return filters.length > 0 ? filters : undefined
}

/** One sts:AssumeRole for the account (session name vpcsc, the external id when given). */
async function assumeRole(
  sts: import('@aws-sdk/client-sts').STSClient,
  stsSdk: typeof import('@aws-sdk/client-sts'),
  account: MemberAccount,
): Promise<AwsCredentialIdentity> {
  try {
    const answer = await sts.send(
      new stsSdk.AssumeRoleCommand({RoleArn: account.roleArn, RoleSessionName: 'vpcsc', ExternalId: account.externalId, DurationSeconds: SESSION_SECONDS}),
    )
    const c = answer.Credentials
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('AssumeRole answered without credentials')
    return {accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration}
  } catch (error) {
    throw assumeRoleError(error, account)
  }
}

/** Regions a caller can use: enabled in the account (not opt-in regions left off). */
const ENABLED = ['opt-in-not-required', 'opted-in']

async function listRegions(sdk: typeof import('@aws-sdk/client-ec2'), config: ConstructorParameters<typeof EC2Client>[0] & {region: string}): Promise<string[]> {
  // No destroy(): the client's HTTP handler is the shared one.
  const answer = await new sdk.EC2Client(config).send(new sdk.DescribeRegionsCommand({Filters: [{Name: 'opt-in-status', Values: ENABLED}]}))
  return enabledRegions(answer.Regions ?? [], config.region)
}

/**
 * The account's enabled regions in the home region's partition, sorted. AWS answers only
 * those; the check is repeated because an emulator (moto) also lists regions not opted in
 * and those of other partitions, which these credentials could never read.
 */
export function enabledRegions(regions: {RegionName?: string; OptInStatus?: string}[], home: string): string[] {
  const partition = partitionOf(home)
  return regions
    .filter((r) => (r.OptInStatus === undefined || ENABLED.includes(r.OptInStatus)) && r.RegionName && partitionOf(r.RegionName) === partition)
    .map((r) => r.RegionName as string)
    .sort()
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn'
  if (region.startsWith('us-gov-')) return 'aws-us-gov'
  // The isolated partitions (us-iso-*, us-isob-*, ...): their prefix names them.
  if (region.startsWith('us-iso')) return region.split('-').slice(0, 2).join('-')
  return 'aws'
}

/** An sts:AssumeRole failure, naming the account and role. */
export function assumeRoleError(error: unknown, account: MemberAccount): VpcscError {
  const e = (error ?? {}) as {name?: string; message?: string}
  const message = e.message ?? String(error)
  const who = describeAccount({id: account.accountId, roleName: account.roleName})
  if (['AccessDenied', 'AccessDeniedException'].includes(e.name ?? '')) {
    return new RuntimeError({
      code: 'AWS_ASSUME_ROLE_DENIED',
      message: `AWS denied sts:AssumeRole on ${account.roleArn} (${who}): ${message}`,
      hint: "The caller needs sts:AssumeRole on the role, and the role's trust policy must allow the caller (and the external id, if one is set).",
    })
  }
  const known = awsError(error, undefined, undefined, STS)
  return new VpcscError({message: `sts:AssumeRole on ${account.roleArn} failed: ${known.message}`, exitCode: known.exitCode, code: known.code, hint: known.hint, cause: error})
}

/** AWS SDK errors (EC2's, or STS's for the member accounts) as errors a user can act on. */
export function awsError(error: unknown, region: string | undefined, profile?: string, service: AwsService = EC2): VpcscError {
  const known = serviceError(service, error, region, profile)
  return known instanceof VpcscError ? known : new RuntimeError({code: 'AWS', message: known.message, cause: error})
}
