/**
 * Which region names AWS can serve, checked before any call: the SDK itself sends any
 * well-formed name to `ec2.NAME.amazonaws.com` and fails there with a DNS error, or, behind
 * an endpoint such as a proxy or an emulator, with an "XML parse error" that says nothing.
 *
 * The patterns are the AWS partitions' `regionRegex` as the SDK ships them
 * (@aws-sdk/core's endpoint partitions; a unit test keeps them equal). A pattern, not the
 * SDK's list of regions: a region launched after this release still passes.
 */
const PARTITION_REGION_PATTERNS: readonly RegExp[] = [
  /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/, // aws
  /^cn-\w+-\d+$/, // aws-cn
  /^eusc-(de)-\w+-\d+$/, // aws-eusc
  /^us-iso-\w+-\d+$/, // aws-iso
  /^us-isob-\w+-\d+$/, // aws-iso-b
  /^eu-isoe-\w+-\d+$/, // aws-iso-e
  /^us-isof-\w+-\d+$/, // aws-iso-f
  /^us-gov-\w+-\d+$/, // aws-us-gov
]

const REGION_FORMAT = /^[a-z]{2,4}(-[a-z]+)+-[0-9]+$/

/** Why the text is not an AWS region, or undefined when it may be one. */
export function regionProblem(text: string): string | undefined {
  if (!REGION_FORMAT.test(text)) return 'expected an AWS region such as eu-west-1'
  if (!PARTITION_REGION_PATTERNS.some((pattern) => pattern.test(text))) {
    return 'is not an AWS region: no AWS partition has regions named like it (us-*, eu-*, ap-*, sa-*, ca-*, me-*, af-*, il-*, mx-*, cn-*, us-gov-*, ...)'
  }
  return undefined
}

/** The patterns, for the test that keeps them equal to the SDK's. */
export const partitionRegionPatterns = PARTITION_REGION_PATTERNS
