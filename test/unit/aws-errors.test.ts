import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {awsError, EC2, SSM} from '../../src/lib/aws/errors.ts'
import {assumeRoleError} from '../../src/lib/aws/nat.ts'
import {VpcscError} from '../../src/lib/core/errors.ts'

function sdkError(name: string, message: string, extra: object = {}): Error {
  return Object.assign(new Error(message), {name, ...extra})
}

describe('awsError names the AWS service that failed', () => {
  it('an SSM failure says SSM, never EC2', () => {
    const error = awsError(SSM, sdkError('ValidationException', 'Value at timeoutSeconds failed to satisfy constraint'), 'us-east-1')
    assert.match(error.message, /^AWS SSM call failed in us-east-1: ValidationException: /)
    assert.doesNotMatch(error.message, /EC2/)
  })

  it("a member account's role that cannot be assumed says STS and its endpoint variable, never EC2", () => {
    const account = {accountId: '111111111111', roleName: 'vpcsc-reader', roleArn: 'arn:aws:iam::111111111111:role/vpcsc-reader'}
    const error = assumeRoleError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {code: 'ECONNREFUSED'}), account)
    assert.match(error.message, /^sts:AssumeRole on arn:aws:iam::111111111111:role\/vpcsc-reader failed: Cannot reach AWS STS: connect ECONNREFUSED/)
    assert.match(error.hint ?? '', /AWS_ENDPOINT_URL_STS/)
    assert.doesNotMatch(`${error.message} ${error.hint}`, /EC2/)
    assert.equal(error.code, 'AWS_NETWORK')
  })

  it('an EC2 failure says EC2', () => {
    assert.match(awsError(EC2, sdkError('InternalError', 'boom'), 'eu-west-1').message, /^AWS EC2 call failed in eu-west-1: InternalError: boom/)
  })

  it('a permission error names what that service needs', () => {
    const ssm = awsError(SSM, sdkError('AccessDeniedException', 'not authorized to perform ssm:SendCommand'), 'us-east-1') as VpcscError
    assert.match(ssm.message, /AWS SSM denied the call in us-east-1/)
    assert.match(ssm.hint ?? '', /ssm:SendCommand/)
    const ec2 = awsError(EC2, sdkError('UnauthorizedOperation', 'no'), undefined) as VpcscError
    assert.match(ec2.hint ?? '', /ec2:DescribeNatGateways/)
  })

  it('an unreachable endpoint names the service and its endpoint variable', () => {
    const error = awsError(SSM, Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {code: 'ECONNREFUSED'}), undefined) as VpcscError
    assert.match(error.message, /^Cannot reach AWS SSM: connect ECONNREFUSED/)
    assert.match(error.hint ?? '', /AWS_ENDPOINT_URL_SSM/)
    assert.match((awsError(EC2, new Error('getaddrinfo ENOTFOUND ec2.xx.amazonaws.com'), 'xx-fake-9') as VpcscError).hint ?? '', /AWS_ENDPOINT_URL_EC2/)
  })

  it('an answer the SDK cannot read is named as such, not as a parser error', () => {
    const parse = sdkError('Error', '@aws-sdk XML parse error: mismatched tags <html> and </title>.\n  Deserialization error: to see the raw response, inspect {error}.$response', {$metadata: {httpStatusCode: 404}})
    const error = awsError(EC2, parse, 'us-fake-9')
    assert.match(error.message, /AWS EC2 in us-fake-9 did not answer as AWS does \(HTTP 404\): is us-fake-9 a region EC2 serves\?/)
    assert.doesNotMatch(error.message, /XML|mismatched|\n/)
  })

  it('credentials and region problems keep their own words and exit codes', () => {
    assert.equal((awsError(SSM, new Error('Region is missing'), undefined) as VpcscError).exitCode, 2)
    assert.match(awsError(SSM, sdkError('CredentialsProviderError', 'Could not load credentials from any providers'), undefined).message, /No AWS credentials found/)
    assert.match(awsError(SSM, sdkError('UnrecognizedClientException', 'The security token included in the request is invalid'), 'us-east-1').message, /AWS SSM rejected the credentials/)
  })

  it('a request timeout names the service and the bound, not the SDK handler', () => {
    const timeout = sdkError('TimeoutError', '@smithy/node-http-handler - [ERROR] a request has exceeded the configured 1000 ms requestTimeout.', {code: 'ETIMEDOUT'})
    const error = awsError(SSM, timeout, 'us-east-1') as VpcscError
    assert.equal(error.message, 'No answer from AWS SSM in us-east-1 within 1s.')
    assert.match(error.hint ?? '', /AWS_ENDPOINT_URL_SSM.*VPCSC_REQUEST_TIMEOUT/)
  })
})
