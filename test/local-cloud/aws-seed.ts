// The AWS half of the seed's setup (docs/api-facts.md, "The seed's setup"), created
// through the EC2 API of the moto server exactly as a user's Terraform would create it.
//
// moto 5.2 behaviour this module (and the CLI's tests) must live with, checked by hand:
// - AllocateAddress invents a random 127.x.x.x address unless `Address` is given; with
//   `Address` it returns exactly that one. It never refuses a duplicate: the same address
//   can be allocated twice (two allocation ids) and in several regions.
// - Regions are separate worlds (a NAT in us-east-1 is not listed in eu-west-1). A fresh
//   region already holds a default VPC 172.31.0.0/16, so never pick "the only VPC".
// - DescribeNatGateways ignores tag filters (`tag:KEY`, `tag-key`): every gateway comes
//   back. Its `state`, `vpc-id` and `subnet-id` filters are honoured, and so are tag
//   filters on other resources (DescribeVpcs) and DescribeRouteTables'
//   `route.nat-gateway-id` and `association.subnet-id`. So NAT tags are matched here.
// - DeleteNatGateway answers at once and the gateway turns `deleted` immediately (no
//   `deleting`), but it stays listed by DescribeNatGateways, still carrying its
//   NatGatewayAddresses. Its EIP stays "associated" (real AWS disassociates it), so the
//   address cannot be reused for another gateway (Resource.AlreadyAssociated) until
//   DisassociateAddress is called; that call works.
// - A route to a deleted NAT gateway stays `active` (real AWS: `blackhole`).
// - CreateNatGateway returns `available` at once (no `pending`) and silently drops
//   SecondaryAllocationIds: a gateway has exactly one address.
// - RunInstances accepts any AMI id (no validation) and the instance is `pending` in the
//   response, `running` on the next describe.
// - POST /moto-api/reset empties every region in ~50 ms (default VPCs come back).
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteNatGatewayCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DisassociateAddressCommand,
  EC2Client,
  ReplaceRouteCommand,
  RunInstancesCommand,
  type NatGateway,
  type ResourceType,
  type Tag,
} from '@aws-sdk/client-ec2'

import {motoQuery} from './aws-gate.ts'

export const DEFAULT_REGION = 'us-east-1'
export const DEFAULT_EIP = '203.0.113.10'
export const REPLACEMENT_EIP = '203.0.113.77'
export const VPC_NAME = 'vpcsc-demo-vpc'
export const NAT_TAGS: Record<string, string> = {Name: 'vpcsc-demo-nat', vpcsc: 'egress'}
export const INSTANCE_NAME = 'vpcsc-demo-instance'
// moto does not validate AMI ids; this stands for Amazon Linux 2023.
const AMI = 'ami-0a1b2c3d4e5f60718'

export interface AwsSeedIds {
  region: string
  vpcId: string
  publicSubnetId: string
  privateSubnetId: string
  internetGatewayId: string
  publicRouteTableId: string
  privateRouteTableId: string
  allocationId: string
  publicIp: string
  natGatewayId: string
  instanceId: string
}

export interface NatReplacement {
  oldNatGatewayId: string
  newNatGatewayId: string
  oldIp: string
  newIp: string
}

/** The credentials of the caller's own (moto's default) account. */
export const CALLER_CREDENTIALS: AccountCredentials = {accessKeyId: 'test', secretAccessKey: 'test'}

export interface AccountCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

export function ec2Client(endpoint: string, region = DEFAULT_REGION, credentials: AccountCredentials = CALLER_CREDENTIALS): EC2Client {
  // Static test credentials: the developer's own profiles must never be read here.
  return new EC2Client({region, endpoint, credentials})
}

/** The role a member account trusts the caller with; status shows its name. */
export const MEMBER_ROLE = 'vpcsc-reader'
export const memberRoleArn = (accountId: string, roleName = MEMBER_ROLE) => `arn:aws:iam::${accountId}:role/${roleName}`

/**
 * Credentials inside another moto account. moto keeps resources per account and picks the
 * account of an assumed role's session from the role ARN; it assumes any role, existing or
 * not, so the seed uses a throwaway name (straight to moto, not through the gate).
 */
export async function accountCredentials(motoUrl: string, accountId: string): Promise<AccountCredentials> {
  const answer = await motoQuery(motoUrl, 'sts', 'test', {Action: 'AssumeRole', RoleArn: `arn:aws:iam::${accountId}:role/moto-seed`, RoleSessionName: 'seed', Version: '2011-06-15'})
  const field = (name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(answer.text)?.[1]
  const accessKeyId = field('AccessKeyId')
  const secretAccessKey = field('SecretAccessKey')
  if (answer.status !== 200 || !accessKeyId || !secretAccessKey) throw new Error(`moto AssumeRole into ${accountId}: HTTP ${answer.status} ${answer.text}`)
  return {accessKeyId, secretAccessKey, sessionToken: field('SessionToken')}
}

/**
 * The member account's role for vpcsc: trusts the caller's account (moto's default,
 * 123456789012), and with `externalId` only a caller presenting it (the member-account
 * module's trust policy; the gate enforces it).
 */
export async function createMemberRole(motoUrl: string, credentials: AccountCredentials, roleName = MEMBER_ROLE, options: {externalId?: string} = {}): Promise<void> {
  const condition = options.externalId === undefined ? {} : {Condition: {StringEquals: {'sts:ExternalId': options.externalId}}}
  const trust = {Version: '2012-10-17', Statement: [{Effect: 'Allow', Principal: {AWS: 'arn:aws:iam::123456789012:root'}, Action: 'sts:AssumeRole', ...condition}]}
  const answer = await motoQuery(motoUrl, 'iam', credentials.accessKeyId, {Action: 'CreateRole', RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(trust), Version: '2010-05-08'})
  if (answer.status !== 200) throw new Error(`moto CreateRole ${roleName}: HTTP ${answer.status} ${answer.text}`)
}

export async function deleteMemberRole(motoUrl: string, credentials: AccountCredentials, roleName = MEMBER_ROLE): Promise<void> {
  const answer = await motoQuery(motoUrl, 'iam', credentials.accessKeyId, {Action: 'DeleteRole', RoleName: roleName, Version: '2010-05-08'})
  if (answer.status !== 200) throw new Error(`moto DeleteRole ${roleName}: HTTP ${answer.status} ${answer.text}`)
}

function tags(resourceType: ResourceType, kv: Record<string, string>) {
  return [{ResourceType: resourceType, Tags: Object.entries(kv).map(([Key, Value]) => ({Key, Value}))}]
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`moto returned no ${what}`)
  return value
}

async function natGateway(ec2: EC2Client, subnetId: string, eip: string) {
  const address = await ec2.send(new AllocateAddressCommand({Domain: 'vpc', Address: eip}))
  const nat = await ec2.send(
    new CreateNatGatewayCommand({
      SubnetId: subnetId,
      AllocationId: address.AllocationId,
      ConnectivityType: 'public',
      TagSpecifications: tags('natgateway', NAT_TAGS),
    }),
  )
  return {
    allocationId: need(address.AllocationId, 'AllocationId'),
    publicIp: need(address.PublicIp, 'PublicIp'),
    natGatewayId: need(nat.NatGateway?.NatGatewayId, 'NatGatewayId'),
  }
}

/** Seeds one region: VPC, subnets, internet gateway, EIP + NAT gateway, routes, instance. */
export async function seedAws(ec2: EC2Client, opts: {eip?: string} = {}): Promise<AwsSeedIds> {
  const region = await ec2.config.region()
  const vpc = await ec2.send(
    new CreateVpcCommand({CidrBlock: '10.0.0.0/16', TagSpecifications: tags('vpc', {Name: VPC_NAME})}),
  )
  const vpcId = need(vpc.Vpc?.VpcId, 'VpcId')
  const subnet = async (cidr: string, name: string) =>
    need(
      (
        await ec2.send(
          new CreateSubnetCommand({VpcId: vpcId, CidrBlock: cidr, TagSpecifications: tags('subnet', {Name: name})}),
        )
      ).Subnet?.SubnetId,
      'SubnetId',
    )
  const publicSubnetId = await subnet('10.0.1.0/24', 'vpcsc-demo-public')
  const privateSubnetId = await subnet('10.0.2.0/24', 'vpcsc-demo-private')

  const igw = await ec2.send(new CreateInternetGatewayCommand({}))
  const internetGatewayId = need(igw.InternetGateway?.InternetGatewayId, 'InternetGatewayId')
  await ec2.send(new AttachInternetGatewayCommand({InternetGatewayId: internetGatewayId, VpcId: vpcId}))

  const routeTable = async (subnetId: string, route: {GatewayId?: string; NatGatewayId?: string}) => {
    const rt = await ec2.send(new CreateRouteTableCommand({VpcId: vpcId}))
    const id = need(rt.RouteTable?.RouteTableId, 'RouteTableId')
    await ec2.send(new CreateRouteCommand({RouteTableId: id, DestinationCidrBlock: '0.0.0.0/0', ...route}))
    await ec2.send(new AssociateRouteTableCommand({RouteTableId: id, SubnetId: subnetId}))
    return id
  }
  const publicRouteTableId = await routeTable(publicSubnetId, {GatewayId: internetGatewayId})
  const nat = await natGateway(ec2, publicSubnetId, opts.eip ?? DEFAULT_EIP)
  const privateRouteTableId = await routeTable(privateSubnetId, {NatGatewayId: nat.natGatewayId})

  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: AMI,
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: privateSubnetId,
      TagSpecifications: tags('instance', {Name: INSTANCE_NAME}),
    }),
  )
  const instanceId = need(run.Instances?.[0]?.InstanceId, 'InstanceId')
  return {region, vpcId, publicSubnetId, privateSubnetId, internetGatewayId, publicRouteTableId, privateRouteTableId, ...nat, instanceId}
}

/** A second (or third) region for multi-region tests: the same setup with its own EIP. */
export async function seedRegion(endpoint: string, region: string, opts: {eip: string}): Promise<AwsSeedIds> {
  return seedAws(ec2Client(endpoint, region), opts)
}

function hasNatTags(nat: NatGateway): boolean {
  const have = new Map((nat.Tags ?? []).map((t: Tag) => [t.Key, t.Value]))
  return Object.entries(NAT_TAGS).every(([k, v]) => have.get(k) === v)
}

/**
 * What "pausing the environment" does to the egress: the NAT gateway is deleted and a new
 * one, with a new EIP, takes its place and its route. Found through the API (not from
 * remembered ids) so it also works against a world started by another process.
 */
export async function replaceNatGateway(ec2: EC2Client, opts: {eip?: string} = {}): Promise<NatReplacement> {
  // The state filter is honoured by moto; the tag filter is not, hence hasNatTags.
  const listed = await ec2.send(new DescribeNatGatewaysCommand({Filter: [{Name: 'state', Values: ['available']}]}))
  const candidates = (listed.NatGateways ?? []).filter(hasNatTags)
  if (candidates.length !== 1) {
    throw new Error(`expected one available NAT gateway tagged vpcsc=egress, found ${candidates.length}`)
  }
  const old = candidates[0] as NatGateway
  const oldNatGatewayId = need(old.NatGatewayId, 'NatGatewayId')
  const oldAddress = need(old.NatGatewayAddresses?.[0], 'NatGatewayAddresses')

  const routes = await ec2.send(
    new DescribeRouteTablesCommand({Filters: [{Name: 'route.nat-gateway-id', Values: [oldNatGatewayId]}]}),
  )
  // moto honours this filter; checked again here because the destination matters too.
  const routeTables = (routes.RouteTables ?? []).filter((rt) =>
    (rt.Routes ?? []).some((r) => r.NatGatewayId === oldNatGatewayId && r.DestinationCidrBlock === '0.0.0.0/0'),
  )

  await ec2.send(new DeleteNatGatewayCommand({NatGatewayId: oldNatGatewayId}))
  // Real AWS frees the EIP's association when the gateway is deleted (the EIP itself stays
  // allocated, as Terraform would leave it); moto keeps it, so free it to match AWS.
  if (oldAddress.AssociationId) {
    await ec2.send(new DisassociateAddressCommand({AssociationId: oldAddress.AssociationId}))
  }

  const nat = await natGateway(ec2, need(old.SubnetId, 'SubnetId'), opts.eip ?? REPLACEMENT_EIP)
  for (const rt of routeTables) {
    await ec2.send(
      new ReplaceRouteCommand({
        RouteTableId: rt.RouteTableId,
        DestinationCidrBlock: '0.0.0.0/0',
        NatGatewayId: nat.natGatewayId,
      }),
    )
  }
  return {oldNatGatewayId, newNatGatewayId: nat.natGatewayId, oldIp: need(oldAddress.PublicIp, 'PublicIp'), newIp: nat.publicIp}
}
