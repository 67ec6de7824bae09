import {RuntimeError, UsageError} from '../core/errors.ts'
import {profileExists} from './sdk-options.ts'

/**
 * AWS SDK errors as errors a user can act on, for every AWS service vpcsc calls (EC2 for
 * the NAT gateways, STS for the member accounts' roles, SSM for the deny test's probe): the
 * message names the service that failed, and the hint the permission that service needs.
 */

export interface AwsService {
  /** As users know it: "EC2", "SSM". */
  name: string
  /** The endpoint variable the SDK honours for it, besides AWS_ENDPOINT_URL. */
  endpointVariable: string
  /** What the caller needs, for a permission error. */
  permissions: string
}

export const EC2: AwsService = {
  name: 'EC2',
  endpointVariable: 'AWS_ENDPOINT_URL_EC2',
  permissions: 'ec2:DescribeNatGateways (and ec2:DescribeRegions for --all-regions)',
}

export const STS: AwsService = {
  name: 'STS',
  endpointVariable: 'AWS_ENDPOINT_URL_STS',
  permissions: "sts:AssumeRole on the member account's role",
}

export const SSM: AwsService = {
  name: 'SSM',
  endpointVariable: 'AWS_ENDPOINT_URL_SSM',
  permissions: 'ssm:SendCommand on the instance and the AWS-RunShellScript document, and ssm:GetCommandInvocation',
}

interface SdkError {
  name?: string
  message?: string
  code?: string
  $metadata?: {httpStatusCode?: number}
  $response?: {statusCode?: number}
}

export function awsError(service: AwsService, error: unknown, region: string | undefined, profile?: string): Error {
  const e = (error ?? {}) as SdkError
  const where = region ? ` in ${region}` : ''
  const message = (e.message ?? String(error)).split('\n')[0]!.trim()
  if (/Region is missing/i.test(message)) {
    return new UsageError({message: 'No AWS region is set.', hint: 'Give --region REGION (repeatable), set AWS_REGION (or AWS_DEFAULT_REGION), or set a region in your AWS profile.'})
  }
  const named = profile ?? process.env.AWS_PROFILE
  if (named && (e.name === 'CredentialsProviderError' || /Could not load credentials|profile/i.test(message)) && !profileExists(named)) {
    return new UsageError({message: `AWS profile "${named}" does not exist in the AWS config or credentials file.`, hint: `Check --profile / AWS_PROFILE (aws configure list-profiles lists them), or create it: aws configure --profile ${named}.`})
  }
  if (e.name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new RuntimeError({code: 'AWS_CREDENTIALS', message: `No AWS credentials found: ${message}`, hint: 'Use --profile NAME, set AWS_PROFILE, or run `aws configure` / `aws sso login`.'})
  }
  if (['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException'].includes(e.name ?? '')) {
    return new RuntimeError({code: 'AWS_PERMISSION', message: `AWS ${service.name} denied the call${where}: ${message}`, hint: `The caller needs ${service.permissions}.`})
  }
  if (['AuthFailure', 'InvalidClientTokenId', 'UnrecognizedClientException', 'ExpiredToken', 'ExpiredTokenException', 'SignatureDoesNotMatch'].includes(e.name ?? '')) {
    return new RuntimeError({code: 'AWS_AUTH', message: `AWS ${service.name} rejected the credentials${where}: ${message}`, hint: 'Refresh them (aws sso login, or new keys) and run again.'})
  }
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || /ECONNREFUSED|ENOTFOUND|getaddrinfo/.test(message)) {
    return new RuntimeError({code: 'AWS_NETWORK', message: `Cannot reach AWS ${service.name}${where}: ${message}`, hint: `Check the network and the region, or AWS_ENDPOINT_URL / ${service.endpointVariable} if you set one.`})
  }
  if (e.name === 'TimeoutError' || e.code === 'ETIMEDOUT' || /exceeded the configured \d+ ms requestTimeout/.test(message)) {
    const ms = Number(message.match(/configured (\d+) ms/)?.[1])
    return new RuntimeError({
      code: 'AWS_TIMEOUT',
      message: `No answer from AWS ${service.name}${where} within ${Number.isFinite(ms) ? `${Math.round(ms / 100) / 10}s` : 'the request timeout'}.`,
      hint: `Check the network, or AWS_ENDPOINT_URL / ${service.endpointVariable} if you set one; VPCSC_REQUEST_TIMEOUT (or --request-timeout) sets the bound on one attempt.`,
      cause: error,
    })
  }
  // An answer the SDK cannot read (an HTML page, a proxy's error) is not AWS speaking:
  // most often a region the endpoint does not serve. The parser's own words say nothing.
  if (/Deserialization error|XML parse error|Unexpected token|is not valid JSON/i.test(message)) {
    const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode
    return new RuntimeError({
      code: 'AWS_UNREADABLE',
      message: `AWS ${service.name}${where} did not answer as AWS does${status ? ` (HTTP ${status})` : ''}: is ${region ?? 'the region'} a region ${service.name} serves?`,
      hint: `Check the region (aws ec2 describe-regions lists them), and AWS_ENDPOINT_URL / ${service.endpointVariable} if you set one.`,
      cause: error,
    })
  }
  return new RuntimeError({code: 'AWS', message: `AWS ${service.name} call failed${where}: ${e.name ? `${e.name}: ` : ''}${message}`, hint: 'Run again with DEBUG=vpcsc* for details.', cause: error})
}
