// What the executor asks moto about an instance: does it exist (and run), and which NAT
// gateway's EIP its traffic leaves through:
//   instance -> SubnetId -> route table associated with that subnet (else the VPC's main
//   table) -> the 0.0.0.0/0 route's NatGatewayId -> that gateway, `available` -> PublicIp.
import {
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  type EC2Client,
  type Instance,
  type RouteTable,
} from '@aws-sdk/client-ec2'

/** Where an instance's internet traffic goes: through a NAT's EIP, or nowhere (and why). */
export type Egress = {ip: string; natGatewayId: string} | {ip: undefined; reason: string}

/** The instance when moto knows it, else undefined (unknown id, or an id moto rejects). */
export async function findInstance(ec2: EC2Client, instanceId: string): Promise<Instance | undefined> {
  try {
    const r = await ec2.send(new DescribeInstancesCommand({InstanceIds: [instanceId]}))
    return r.Reservations?.flatMap((res) => res.Instances ?? []).find((i) => i.InstanceId === instanceId)
  } catch (error) {
    const name = (error as {name?: string}).name ?? ''
    if (/^InvalidInstanceID\./.test(name)) return undefined
    throw error
  }
}

async function routeTableOf(ec2: EC2Client, subnetId: string, vpcId: string | undefined): Promise<RouteTable | undefined> {
  const bySubnet = await ec2.send(new DescribeRouteTablesCommand({Filters: [{Name: 'association.subnet-id', Values: [subnetId]}]}))
  const associated = (bySubnet.RouteTables ?? []).find((rt) => (rt.Associations ?? []).some((a) => a.SubnetId === subnetId))
  if (associated) return associated
  if (!vpcId) return undefined
  const main = await ec2.send(
    new DescribeRouteTablesCommand({
      Filters: [
        {Name: 'vpc-id', Values: [vpcId]},
        {Name: 'association.main', Values: ['true']},
      ],
    }),
  )
  return (main.RouteTables ?? []).find((rt) => rt.VpcId === vpcId && (rt.Associations ?? []).some((a) => a.Main))
}

export async function resolveEgress(ec2: EC2Client, instanceId: string): Promise<Egress> {
  const instance = await findInstance(ec2, instanceId)
  if (!instance) return {ip: undefined, reason: `instance ${instanceId} not found`}
  if (!instance.SubnetId) return {ip: undefined, reason: `instance ${instanceId} has no subnet`}
  const table = await routeTableOf(ec2, instance.SubnetId, instance.VpcId)
  if (!table) return {ip: undefined, reason: `no route table for subnet ${instance.SubnetId}`}
  const route = (table.Routes ?? []).find((r) => r.DestinationCidrBlock === '0.0.0.0/0')
  const natGatewayId = route?.NatGatewayId
  if (!natGatewayId) {
    return {ip: undefined, reason: `route table ${table.RouteTableId} has no 0.0.0.0/0 route to a NAT gateway`}
  }
  const nats = await ec2.send(new DescribeNatGatewaysCommand({NatGatewayIds: [natGatewayId]}))
  const nat = (nats.NatGateways ?? []).find((n) => n.NatGatewayId === natGatewayId)
  if (!nat) return {ip: undefined, reason: `NAT gateway ${natGatewayId} not found`}
  if (nat.State !== 'available') return {ip: undefined, reason: `NAT gateway ${natGatewayId} is ${nat.State}`}
  const ip = nat.NatGatewayAddresses?.find((a) => a.PublicIp)?.PublicIp
  if (!ip) return {ip: undefined, reason: `NAT gateway ${natGatewayId} has no public IP`}
  return {ip, natGatewayId}
}
