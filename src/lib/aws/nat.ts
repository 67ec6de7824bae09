import type {EC2Client, NatGateway} from '@aws-sdk/client-ec2'

import {awsClientOptions} from './sdk-options.ts'
import {awsError, EC2} from './errors.ts'

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
  natTags: {key: string; value: string}[]
  vpcIds: string[]
}

export interface NatAddress {
  publicIp?: string
  privateIp?: string
  allocationId?: string
  isPrimary: boolean
  status?: string
}

export interface NatGatewayInfo {
  id: string
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
  region: string
  primary: boolean
}

export interface NatDiscovery {
  regions: string[]
  /** Every gateway the selection matched, usable or not. */
  gateways: NatGatewayInfo[]
  egressIps: EgressIp[]
  warnings: string[]
  /** Gateway ids asked for by --nat-gateway that no region holds. */
  missingGatewayIds: string[]
}

/** Address states in which the address carries, or is about to carry, traffic. */
const LIVE_ADDRESS_STATUSES = new Set(['succeeded', 'associating', 'assigning'])

/**
 * Pure selection: which gateways and addresses count as egress, with a warning for every
 * one left out. Tag filters are re-checked here because not every EC2 endpoint applies
 * them (moto ignores them), and a wrong gateway's IP in an allowlist is a hole.
 */
export function selectEgress(gateways: NatGatewayInfo[], selection: Pick<NatSelection, 'natGatewayIds' | 'natTags' | 'vpcIds'>, tagsOf: (id: string) => Record<string, string>): {
  gateways: NatGatewayInfo[]
  egressIps: EgressIp[]
  warnings: string[]
  missingGatewayIds: string[]
} {
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
      egressIps.push({ip: address.publicIp, natGatewayId: gateway.id, region: gateway.region, primary: address.isPrimary})
    }
  }
  const found = new Set(gateways.map((g) => g.id))
  const missingGatewayIds = selection.natGatewayIds.filter((id) => !found.has(id))
  for (const id of missingGatewayIds) warnings.push(`NAT gateway ${id} was not found in the searched regions.`)
  if (matched.length === 0) warnings.push('No NAT gateway matched the selection.')
  return {gateways: matched, egressIps: dedupe(egressIps), warnings, missingGatewayIds}
}

function dedupe(ips: EgressIp[]): EgressIp[] {
  const seen = new Set<string>()
  return ips.filter((e) => (seen.has(e.ip) ? false : (seen.add(e.ip), true)))
}

function toInfo(gateway: NatGateway, region: string): NatGatewayInfo {
  return {
    id: gateway.NatGatewayId ?? '?',
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

/** Reads the NAT gateways of every selected region in parallel and selects the egress. */
export async function discoverNatEgress(selection: NatSelection): Promise<NatDiscovery> {
  const sdk = await import('@aws-sdk/client-ec2')
  const clientFor = (region: string | undefined): EC2Client =>
    new sdk.EC2Client({...awsClientOptions(region, selection.profile), requestHandler: awsRequestBounds(selection.requestTimeoutMs)})

  const regions = selection.allRegions ? await listRegions(clientFor, sdk, selection.regions[0], selection.profile) : selection.regions
  const targets: (string | undefined)[] = regions.length > 0 ? regions : [undefined]

  const filters = [
    ...(selection.natGatewayIds.length > 0 ? [{Name: 'nat-gateway-id', Values: selection.natGatewayIds}] : []),
    ...(selection.vpcIds.length > 0 ? [{Name: 'vpc-id', Values: selection.vpcIds}] : []),
    ...selection.natTags.map(({key, value}) => ({Name: `tag:${key}`, Values: [value]})),
  ]

  const tags = new Map<string, Record<string, string>>()
  const perRegion = await Promise.all(
    targets.map(async (requested) => {
      const client = clientFor(requested)
      try {
        const region = requested ?? (await client.config.region())
        const gateways: NatGatewayInfo[] = []
        for await (const page of sdk.paginateDescribeNatGateways({client}, {Filter: filters.length > 0 ? filters : undefined})) {
          for (const gateway of page.NatGateways ?? []) {
            gateways.push(toInfo(gateway, region))
            tags.set(gateway.NatGatewayId ?? '?', Object.fromEntries((gateway.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])))
          }
        }
        return {region, gateways}
      } catch (error) {
        throw awsError(EC2, error, requested, selection.profile)
      } finally {
        client.destroy()
      }
    }),
  )
  const all = perRegion.flatMap((r) => r.gateways)
  const selected = selectEgress(all, selection, (id) => tags.get(id) ?? {})
  return {regions: perRegion.map((r) => r.region), ...selected}
}

async function listRegions(
  clientFor: (region: string | undefined) => EC2Client,
  sdk: typeof import('@aws-sdk/client-ec2'),
  region: string | undefined,
  profile: string | undefined,
): Promise<string[]> {
  const client = clientFor(region)
  try {
    const answer = await client.send(new sdk.DescribeRegionsCommand({}))
    return (answer.Regions ?? []).map((r) => r.RegionName).filter((r): r is string => Boolean(r)).sort()
  } catch (error) {
    throw awsError(EC2, error, region, profile)
  } finally {
    client.destroy()
  }
}

/**
 * The AWS account that owns a VPC (DescribeVpcs' OwnerId): NAT gateways carry no account
 * of their own. Only `explain` asks, for the one gateway it names; undefined when the
 * caller may not read it (the account is then simply not shown).
 */
export async function vpcOwner(selection: Pick<NatSelection, 'profile' | 'requestTimeoutMs'>, region: string, vpcId: string): Promise<string | undefined> {
  const sdk = await import('@aws-sdk/client-ec2')
  const client = new sdk.EC2Client({...awsClientOptions(region, selection.profile), maxAttempts: 2, requestHandler: awsRequestBounds(selection.requestTimeoutMs)})
  try {
    const answer = await client.send(new sdk.DescribeVpcsCommand({VpcIds: [vpcId]}))
    return answer.Vpcs?.[0]?.OwnerId
  } catch {
    return undefined
  } finally {
    client.destroy()
  }
}
