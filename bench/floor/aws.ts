// The AWS half of the floor: the NAT gateways' public IPs, one DescribeNatGateways with the
// SDK's default credential chain and region (as `aws ec2 describe-nat-gateways` does).
import {DescribeNatGatewaysCommand, EC2Client} from '@aws-sdk/client-ec2'

export async function natEgressIps(): Promise<string[]> {
  const answer = await new EC2Client({}).send(new DescribeNatGatewaysCommand({}))
  return (answer.NatGateways ?? []).flatMap((g) => (g.NatGatewayAddresses ?? []).map((a) => a.PublicIp).filter((ip): ip is string => ip !== undefined))
}
