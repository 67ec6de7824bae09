import * as Flags from '@oclif/core/flags'

import {ENV} from '../lib/core/config.ts'

/**
 * Flags shared by commands. None has a default here: a default would hide the config
 * file's value, so defaults are applied in src/lib/core/config.ts after flag > env > file.
 */

export const configFlag = {
  config: Flags.string({description: 'Config file (default ./vpcsc.config.json).', env: ENV.config, helpGroup: 'CONFIG'}),
  'request-timeout': Flags.string({description: `Bound on one HTTP attempt to Google or AWS, e.g. 5s (default 30s). Env: ${ENV.requestTimeout}.`, helpGroup: 'CONFIG'}),
}

/** Every command's (its help's GLOBAL FLAGS, with --json). */
export const colorFlag = {
  // Read by chalk and oclif themselves from argv; declared so that the parser accepts it.
  color: Flags.boolean({description: 'Colour in the output (default: when the stream is a terminal; NO_COLOR=1 also turns it off).', allowNo: true, default: true, helpGroup: 'GLOBAL'}),
}

export const googleFlags = {
  policy: Flags.string({description: `Access policy: number or accessPolicies/NUMBER. Env: ${ENV.policy}.`, helpGroup: 'GOOGLE'}),
  level: Flags.string({description: `Access level: id or full resource name. Env: ${ENV.level}.`, helpGroup: 'GOOGLE'}),
  perimeter: Flags.string({description: `Service perimeter: id or full resource name. Env: ${ENV.perimeter}.`, helpGroup: 'GOOGLE'}),
  'project-number': Flags.string({description: `Project number protected by the perimeter. Env: ${ENV.projectNumber}.`, helpGroup: 'GOOGLE'}),
  'impersonate-service-account': Flags.string({description: `Call Google APIs as this service account. Env: ${ENV.impersonateServiceAccount}.`, helpGroup: 'GOOGLE'}),
}

export const levelConditionFlag = {
  // A string, checked with the variable's and the file's value by the settings' schema (one
  // wording for all three), not by oclif's integer parser.
  condition: Flags.string({description: `Index of the level condition holding the IP list, when more than one does (0 is the first). Env: ${ENV.condition}.`, helpValue: 'N', helpGroup: 'GOOGLE'}),
}

export const awsFlags = {
  region: Flags.string({description: `AWS region to search (repeatable). Env: ${ENV.regions} (comma-separated); default: the AWS default region.`, multiple: true, helpGroup: 'AWS'}),
  // allowNo: --no-all-regions turns off an allRegions of the environment or the config file from the command line.
  'all-regions': Flags.boolean({description: `Search every region each account has enabled; --no-all-regions overrides ${ENV.allRegions} and the config file. Env: ${ENV.allRegions}.`, allowNo: true, helpGroup: 'AWS'}),
  profile: Flags.string({description: `AWS profile. Env: ${ENV.profile}.`, helpGroup: 'AWS'}),
  'nat-gateway': Flags.string({description: `NAT gateway id to include (repeatable). Env: ${ENV.natGateways}.`, multiple: true, helpGroup: 'AWS'}),
  'nat-tag': Flags.string({description: `Only NAT gateways with this tag, KEY=VALUE (repeatable, all must match). Env: ${ENV.natTags}.`, multiple: true, helpGroup: 'AWS'}),
  vpc: Flags.string({description: `Only NAT gateways in this VPC (repeatable). Env: ${ENV.vpcs}.`, multiple: true, helpGroup: 'AWS'}),
  'assume-role': Flags.string({description: `Also read the NAT gateways of the account of this IAM role ARN, through sts:AssumeRole (repeatable). Env: ${ENV.assumeRoles} (comma-separated).`, multiple: true, helpGroup: 'AWS'}),
}

export const keepFlag = {
  keep: Flags.string({description: `CIDR always kept in the level, besides the NAT IPs (repeatable). Env: ${ENV.keep}.`, multiple: true}),
}

/** How many audit-log entries are read at most (violations, promote's gate). */
export const logFlags = {
  limit: Flags.integer({description: 'Read at most this many log entries per kind (dry-run, enforced).', default: 5000, min: 1, max: 100_000}),
}

/** The Terraform variables file kept in step with the level (ip sync, status). */
export const tfvarsFlags = {
  tfvars: Flags.string({description: `Terraform JSON variables file (*.auto.tfvars.json) holding the level's IP list. Env: ${ENV.tfvars}.`, helpGroup: 'TERRAFORM'}),
  'tfvars-var': Flags.string({description: `The variable in that file (default allowed_cidrs). Env: ${ENV.tfvarsVar}.`, helpGroup: 'TERRAFORM'}),
}
