import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {enabledRegions, selectEgress, type NatAddress, type NatGatewayInfo, type NatSelection} from '../../src/lib/aws/nat.ts'
import {awsError as serviceError, EC2} from '../../src/lib/aws/errors.ts'
import {ExitCode, VpcscError} from '../../src/lib/core/errors.ts'

type Selection = Pick<NatSelection, 'natGatewayIds' | 'natTags' | 'vpcIds'>

const OWN = {id: '123456789012'}
const ALL: Selection = {natGatewayIds: [], natTags: [], vpcIds: []}
const noTags = () => ({})

function address(publicIp: string | undefined, opts: Partial<NatAddress> = {}): NatAddress {
  return {publicIp, privateIp: '10.0.1.10', allocationId: `eipalloc-${publicIp ?? 'none'}`, isPrimary: true, status: 'succeeded', ...opts}
}

function gateway(id: string, addresses: NatAddress[], opts: Partial<NatGatewayInfo> = {}): NatGatewayInfo {
  return {id, account: OWN, region: 'eu-west-1', vpcId: 'vpc-0aaa', subnetId: 'subnet-0aaa', state: 'available', connectivityType: 'public', addresses, ...opts}
}

const ips = (result: ReturnType<typeof selectEgress>) => result.egressIps.map((e) => e.ip)

describe('selectEgress: addresses', () => {
  it('counts the primary and every secondary address of an available public gateway', () => {
    const result = selectEgress(
      [gateway('nat-0a', [address('203.0.113.10'), address('203.0.113.11', {isPrimary: false}), address('2600:1f18::ab', {isPrimary: false})])],
      ALL,
      noTags,
    )
    assert.deepEqual(result.egressIps, [
      {ip: '203.0.113.10', natGatewayId: 'nat-0a', account: OWN, region: 'eu-west-1', primary: true},
      {ip: '203.0.113.11', natGatewayId: 'nat-0a', account: OWN, region: 'eu-west-1', primary: false},
      {ip: '2600:1f18::ab', natGatewayId: 'nat-0a', account: OWN, region: 'eu-west-1', primary: false},
    ])
    assert.deepEqual(result.warnings, [])
    assert.deepEqual(result.missingGatewayIds, [])
    assert.deepEqual(result.gateways.map((g) => g.id), ['nat-0a'])
  })

  it('counts gateways across regions, each with its region', () => {
    const result = selectEgress([gateway('nat-0a', [address('203.0.113.10')]), gateway('nat-0b', [address('198.51.100.20')], {region: 'us-east-1'})], ALL, noTags)
    assert.deepEqual(
      result.egressIps.map((e) => [e.ip, e.region]),
      [
        ['203.0.113.10', 'eu-west-1'],
        ['198.51.100.20', 'us-east-1'],
      ],
    )
  })

  it('an address without a status counts as succeeded', () => {
    const result = selectEgress([gateway('nat-0a', [address('203.0.113.10', {status: undefined})])], ALL, noTags)
    assert.deepEqual(ips(result), ['203.0.113.10'])
    assert.deepEqual(result.warnings, [])
  })

  it('skips an address without a public IP, silently', () => {
    const result = selectEgress([gateway('nat-0a', [address(undefined), address('203.0.113.10')])], ALL, noTags)
    assert.deepEqual(ips(result), ['203.0.113.10'])
    assert.deepEqual(result.warnings, [])
  })

  for (const status of ['disassociating', 'failed', 'unassigning']) {
    it(`does not count an address that is ${status}, with a warning naming it`, () => {
      const result = selectEgress([gateway('nat-0a', [address('203.0.113.10'), address('203.0.113.11', {isPrimary: false, status})])], ALL, noTags)
      assert.deepEqual(ips(result), ['203.0.113.10'])
      assert.equal(result.warnings.length, 1)
      assert.match(result.warnings[0]!, new RegExp(`nat-0a \\(eu-west-1\\) address 203\\.0\\.113\\.11 is ${status}: not counted`))
    })
  }

  for (const status of ['associating', 'assigning']) {
    it(`counts an address that is ${status}, with a warning`, () => {
      const result = selectEgress([gateway('nat-0a', [address('203.0.113.11', {status})])], ALL, noTags)
      assert.deepEqual(ips(result), ['203.0.113.11'])
      assert.equal(result.warnings.length, 1)
      assert.match(result.warnings[0]!, new RegExp(`203\\.0\\.113\\.11 is still ${status}: counted`))
    })
  }

  it('dedupes an IP seen on two gateways, keeping the first', () => {
    const result = selectEgress([gateway('nat-0a', [address('203.0.113.10')]), gateway('nat-0b', [address('203.0.113.10'), address('198.51.100.20')])], ALL, noTags)
    assert.deepEqual(ips(result), ['203.0.113.10', '198.51.100.20'])
    assert.equal(result.egressIps[0]!.natGatewayId, 'nat-0a')
  })
})

describe('selectEgress: gateways', () => {
  it('ignores a private NAT gateway with a warning', () => {
    const result = selectEgress([gateway('nat-0p', [address(undefined)], {connectivityType: 'private'}), gateway('nat-0a', [address('203.0.113.10')])], ALL, noTags)
    assert.deepEqual(ips(result), ['203.0.113.10'])
    assert.equal(result.warnings.length, 1)
    assert.match(result.warnings[0]!, /nat-0p \(eu-west-1\) is a private NAT gateway/)
  })

  it('does not count a deleted gateway, and does not warn: AWS lists deleted gateways for an hour', () => {
    const result = selectEgress([gateway('nat-0old', [address('192.0.2.50')], {state: 'deleted'}), gateway('nat-0a', [address('203.0.113.10')])], ALL, noTags)
    assert.deepEqual(ips(result), ['203.0.113.10'])
    assert.deepEqual(result.warnings, [])
    assert.deepEqual(result.gateways.map((g) => g.id), ['nat-0old', 'nat-0a'])
  })

  for (const state of ['pending', 'deleting', 'failed']) {
    it(`does not count a ${state} gateway, with a warning naming its IP`, () => {
      const result = selectEgress([gateway('nat-0old', [address('192.0.2.50'), address('192.0.2.51', {isPrimary: false})], {state}), gateway('nat-0a', [address('203.0.113.10')])], ALL, noTags)
      assert.deepEqual(ips(result), ['203.0.113.10'])
      assert.equal(result.warnings.length, 1)
      assert.match(result.warnings[0]!, new RegExp(`nat-0old \\(eu-west-1\\) is ${state}, not available: 192\\.0\\.2\\.50, 192\\.0\\.2\\.51 not counted`))
    })
  }

  it('a not-available gateway without addresses still gets a warning', () => {
    const result = selectEgress([gateway('nat-0p', [], {state: 'pending'})], ALL, noTags)
    assert.deepEqual(ips(result), [])
    assert.ok(result.warnings.some((w) => /nat-0p \(eu-west-1\) is pending, not available\./.test(w)), result.warnings.join(' | '))
  })

  it('returns the matched gateways, usable or not', () => {
    const result = selectEgress([gateway('nat-0d', [address('192.0.2.50')], {state: 'deleted'}), gateway('nat-0a', [address('203.0.113.10')])], ALL, noTags)
    assert.deepEqual(result.gateways.map((g) => g.id), ['nat-0d', 'nat-0a'])
  })

  it('"No NAT gateway matched" when there are none', () => {
    const result = selectEgress([], ALL, noTags)
    assert.deepEqual(result.egressIps, [])
    assert.deepEqual(result.gateways, [])
    assert.deepEqual(result.warnings, ['No NAT gateway matched the selection.'])
  })

  it('no "No NAT gateway matched" warning when one matched but has no usable address', () => {
    const result = selectEgress([gateway('nat-0d', [address('192.0.2.50')], {state: 'deleted'})], ALL, noTags)
    assert.ok(!result.warnings.some((w) => /No NAT gateway matched/.test(w)))
  })
})

describe('selectEgress: filters', () => {
  const gateways = [
    gateway('nat-0a', [address('203.0.113.10')], {vpcId: 'vpc-0aaa'}),
    gateway('nat-0b', [address('198.51.100.20')], {vpcId: 'vpc-0bbb'}),
    gateway('nat-0c', [address('8.8.8.8')], {vpcId: undefined}),
  ]
  const tags: Record<string, Record<string, string>> = {
    'nat-0a': {vpcsc: 'egress', env: 'prod'},
    'nat-0b': {vpcsc: 'egress', env: 'dev'},
    'nat-0c': {},
  }
  const tagsOf = (id: string) => tags[id] ?? {}

  it('re-checks tag filters locally (the endpoint may ignore them, as moto does)', () => {
    const result = selectEgress(gateways, {...ALL, natTags: [{key: 'vpcsc', value: 'egress'}]}, tagsOf)
    assert.deepEqual(ips(result), ['203.0.113.10', '198.51.100.20'])
    assert.deepEqual(result.gateways.map((g) => g.id), ['nat-0a', 'nat-0b'])
  })

  it('every tag filter must match', () => {
    const result = selectEgress(gateways, {...ALL, natTags: [{key: 'vpcsc', value: 'egress'}, {key: 'env', value: 'prod'}]}, tagsOf)
    assert.deepEqual(ips(result), ['203.0.113.10'])
  })

  it('a tag value must match exactly, and an empty value only an empty tag', () => {
    assert.deepEqual(ips(selectEgress(gateways, {...ALL, natTags: [{key: 'env', value: 'Prod'}]}, tagsOf)), [])
    assert.deepEqual(ips(selectEgress(gateways, {...ALL, natTags: [{key: 'env', value: ''}]}, tagsOf)), [])
  })

  it('no gateway has the tag: nothing counted and "No NAT gateway matched"', () => {
    const result = selectEgress(gateways, {...ALL, natTags: [{key: 'team', value: 'x'}]}, tagsOf)
    assert.deepEqual(result.egressIps, [])
    assert.ok(result.warnings.includes('No NAT gateway matched the selection.'))
  })

  it('filters by VPC; a gateway without a VPC id never matches a VPC filter', () => {
    assert.deepEqual(ips(selectEgress(gateways, {...ALL, vpcIds: ['vpc-0bbb']}, tagsOf)), ['198.51.100.20'])
    assert.deepEqual(ips(selectEgress(gateways, {...ALL, vpcIds: ['vpc-0aaa', 'vpc-0bbb']}, tagsOf)), ['203.0.113.10', '198.51.100.20'])
  })

  it('keeps only the explicit gateway ids', () => {
    const result = selectEgress(gateways, {...ALL, natGatewayIds: ['nat-0c', 'nat-0a']}, tagsOf)
    assert.deepEqual(ips(result), ['203.0.113.10', '8.8.8.8'])
    assert.deepEqual(result.missingGatewayIds, [])
  })

  it('reports explicit ids that no region holds', () => {
    const result = selectEgress(gateways, {...ALL, natGatewayIds: ['nat-0a', 'nat-0zzz']}, tagsOf)
    assert.deepEqual(ips(result), ['203.0.113.10'])
    assert.deepEqual(result.missingGatewayIds, ['nat-0zzz'])
    assert.ok(result.warnings.includes('NAT gateway nat-0zzz was not found in the searched regions.'), result.warnings.join(' | '))
  })

  it('an explicit id that exists but fails another filter is not "missing"', () => {
    const result = selectEgress(gateways, {...ALL, natGatewayIds: ['nat-0b'], vpcIds: ['vpc-0aaa']}, tagsOf)
    assert.deepEqual(result.missingGatewayIds, [])
    assert.deepEqual(result.egressIps, [])
    assert.ok(result.warnings.includes('No NAT gateway matched the selection.'))
  })

  it('combines id, VPC and tag filters', () => {
    const result = selectEgress(gateways, {natGatewayIds: ['nat-0a', 'nat-0b'], vpcIds: ['vpc-0aaa', 'vpc-0bbb'], natTags: [{key: 'env', value: 'dev'}]}, tagsOf)
    assert.deepEqual(ips(result), ['198.51.100.20'])
  })
})

/** The NAT reader's errors are EC2's. */
const awsError = (error: unknown, region: string | undefined) => serviceError(EC2, error, region)

describe('awsError', () => {
  const asVpcsc = (error: Error) => {
    assert.ok(error instanceof VpcscError, `expected a VpcscError, got ${String(error)}`)
    return error
  }

  it("'Region is missing' is a usage error (exit 2) telling how to set a region", () => {
    const error = asVpcsc(awsError(Object.assign(new Error('Region is missing'), {name: 'Error'}), undefined))
    assert.equal(error.exitCode, ExitCode.usage)
    assert.equal(error.exitCode, 2)
    assert.match(error.hint ?? '', /--region/)
    assert.match(error.hint ?? '', /AWS_REGION/)
  })

  it('CredentialsProviderError: AWS_CREDENTIALS, runtime exit code', () => {
    const error = asVpcsc(awsError(Object.assign(new Error('Could not load credentials from any providers'), {name: 'CredentialsProviderError'}), 'eu-west-1'))
    assert.equal(error.code, 'AWS_CREDENTIALS')
    assert.equal(error.exitCode, ExitCode.runtime)
    assert.match(error.message, /Could not load credentials/)
    assert.match(error.hint ?? '', /--profile|AWS_PROFILE/)
  })

  it('"Could not load credentials" in the message alone is AWS_CREDENTIALS too', () => {
    assert.equal(asVpcsc(awsError(new Error('Could not load credentials from any providers'), undefined)).code, 'AWS_CREDENTIALS')
  })

  for (const name of ['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException']) {
    it(`${name}: AWS_PERMISSION naming the region and the permission needed`, () => {
      const error = asVpcsc(
        awsError(Object.assign(new Error('You are not authorized to perform this operation.'), {name, $metadata: {httpStatusCode: 403}}), 'eu-west-1'),
      )
      assert.equal(error.code, 'AWS_PERMISSION')
      assert.equal(error.exitCode, ExitCode.runtime)
      assert.match(error.message, /in eu-west-1/)
      assert.match(error.hint ?? '', /ec2:DescribeNatGateways/)
    })
  }

  for (const name of ['AuthFailure', 'ExpiredToken', 'InvalidClientTokenId']) {
    it(`${name}: AWS_AUTH`, () => {
      assert.equal(asVpcsc(awsError(Object.assign(new Error('AWS was not able to validate the provided access credentials'), {name}), 'eu-west-1')).code, 'AWS_AUTH')
    })
  }

  it('ECONNREFUSED (as code or in the message): AWS_NETWORK', () => {
    const byCode = asVpcsc(awsError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5000'), {code: 'ECONNREFUSED'}), 'eu-west-1'))
    assert.equal(byCode.code, 'AWS_NETWORK')
    assert.equal(byCode.exitCode, ExitCode.runtime)
    assert.match(byCode.message, /Cannot reach AWS EC2 in eu-west-1/)
    assert.match(byCode.hint ?? '', /AWS_ENDPOINT_URL/)
    assert.equal(asVpcsc(awsError(new Error('connect ECONNREFUSED 127.0.0.1:5000'), undefined)).code, 'AWS_NETWORK')
    assert.equal(asVpcsc(awsError(Object.assign(new Error('getaddrinfo ENOTFOUND ec2.xx.amazonaws.com'), {code: 'ENOTFOUND'}), undefined)).code, 'AWS_NETWORK')
  })

  it('anything else: AWS, with the error name and message', () => {
    const error = asVpcsc(awsError(Object.assign(new Error('Rate exceeded'), {name: 'RequestLimitExceeded'}), 'us-east-1'))
    assert.equal(error.code, 'AWS')
    assert.equal(error.exitCode, ExitCode.runtime)
    assert.match(error.message, /AWS EC2 call failed in us-east-1: RequestLimitExceeded: Rate exceeded/)
  })

  it('a thrown non-Error is still mapped', () => {
    const error = asVpcsc(awsError('boom', undefined))
    assert.equal(error.code, 'AWS')
    assert.match(error.message, /boom/)
  })
})

describe('enabledRegions', () => {
  const listed = [
    {RegionName: 'us-east-1', OptInStatus: 'opt-in-not-required'},
    {RegionName: 'af-south-1', OptInStatus: 'opted-in'},
    {RegionName: 'ap-east-1', OptInStatus: 'not-opted-in'},
    {RegionName: 'eu-west-1'},
    {RegionName: 'us-gov-west-1', OptInStatus: 'opt-in-not-required'},
    {RegionName: 'cn-north-1', OptInStatus: 'opt-in-not-required'},
    {OptInStatus: 'opted-in'},
  ]

  it('keeps the enabled regions of the home partition, sorted', () => {
    assert.deepEqual(enabledRegions(listed, 'eu-west-1'), ['af-south-1', 'eu-west-1', 'us-east-1'])
  })

  it('in another partition, that partition only', () => {
    assert.deepEqual(enabledRegions(listed, 'cn-northwest-1'), ['cn-north-1'])
    assert.deepEqual(enabledRegions(listed, 'us-gov-east-1'), ['us-gov-west-1'])
  })
})
