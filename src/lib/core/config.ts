import {readFile} from 'node:fs/promises'
import path from 'node:path'
import ms from 'ms'
import * as z from 'zod/mini'
import {en} from 'zod/locales'

import {memberAccount, parseRoleArn, ROLE_ARN_EXAMPLE, uniqueAccounts, type MemberAccount} from '../aws/accounts.ts'
import type {NatSelection} from '../aws/nat.ts'
import {CidrError, parseCidr, type Cidr} from '../level/cidr.ts'
import {UsageError} from './errors.ts'
import {defaultStateDir, stateDirProblem} from '../deny-test/journal.ts'
import {DEFAULT_DENY_CIDR, DENY_CIDR_HINT, denyCidrProblem} from '../deny-test/deny-cidr.ts'
import {regionProblem} from '../aws/regions.ts'
import {awsEndpointVariables, profileExists} from '../aws/sdk-options.ts'
import {EC2, SSM, STS} from '../aws/errors.ts'

/**
 * Settings come from four places, in this order of precedence:
 * flag > environment variable (VPCSC_*) > config file > default.
 * Everything is resolved here, in one place, so the rule holds for every setting.
 */

export const CONFIG_FILE_NAME = 'vpcsc.config.json'

/** An access level or perimeter id: a letter, then letters, digits and _ (at most 50). */
const RESOURCE_ID = '[A-Za-z][A-Za-z0-9_]{0,49}'
const POLICY = /^([0-9]+|accessPolicies\/[0-9]+)$/
const resourceName = (collection: string, example: string) =>
  z.optional(matching(new RegExp(`^(${RESOURCE_ID}|accessPolicies/[0-9]+/${collection}/${RESOURCE_ID})$`), `expected an id such as ${example} (a letter, then letters, digits and _; at most 50) or accessPolicies/NUMBER/${collection}/ID`))
/** A Terraform identifier: a letter or underscore, then letters, digits, underscores and dashes. */
const TF_VARIABLE = /^[A-Za-z_][A-Za-z0-9_-]*$/
/** The reference module's variable for the level's IP list. */
export const DEFAULT_TFVARS_VARIABLE = 'allowed_cidrs'

// zod/mini carries no messages of its own: "expected string, received number" comes from here.
z.config(en())

/** A string that `problem` finds nothing wrong with (its answer is the message). */
function checkedString(problem: (value: string) => string | undefined) {
  return z.string().check(
    z.superRefine((value, ctx) => {
      const text = problem(value)
      if (text) ctx.addIssue({code: 'custom', message: text})
    }),
  )
}
const matching = (pattern: RegExp, message: string) => z.string().check(z.regex(pattern, message))

// A value of white space alone names nothing (a path, a profile, a probe command run as
// `sh -c "  "`), as an empty one does; a variable's is unset already (envString).
const nonEmptyString = () => z.optional(checkedString((value) => (value === '' ? 'must not be empty' : value.trim() === '' ? 'must not be blank (white space only)' : undefined)))

const cidrString = checkedString((value) => {
  try {
    parseCidr(value)
    return undefined
  } catch (error) {
    return error instanceof CidrError ? error.message : String(error)
  }
})

const tagString = matching(/^[^=]+=.*$/, 'expected KEY=VALUE')
const regionList = z.array(checkedString(regionProblem))
const natGatewayList = z.array(matching(/^nat-[0-9a-f]+$/, 'expected a NAT gateway id such as nat-0abc123'))
const vpcList = z.array(matching(/^vpc-[0-9a-f]+$/, 'expected a VPC id such as vpc-0abc123'))

/** A member account: the role vpcsc assumes there, and the selection keys that replace the top-level ones. */
const accountEntry = z.strictObject({
  roleArn: z.string().check(z.refine((text) => parseRoleArn(text) !== undefined, `expected an IAM role ARN such as ${ROLE_ARN_EXAMPLE}`)),
  // sts:AssumeRole's own limits (docs/api-facts.md, AWS STS), so that a bad one is named
  // here, with its field, rather than by STS at the first call.
  externalId: z.optional(z.string().check(z.minLength(2), z.maxLength(1224), z.regex(/^[\w+=,.@:/-]*$/, 'expected letters, digits and _+=,.@:/- only (no spaces)'))),
  regions: z.optional(regionList),
  natTags: z.optional(z.array(tagString)),
  vpcs: z.optional(vpcList),
  natGateways: z.optional(natGatewayList),
})

/**
 * A probe through SSM runs under AWS-RunShellScript's executionTimeout, at most 172,800 s
 * (48 h; docs/api-facts.md); a local one under a Node.js timer, which waits longer. One
 * limit for both.
 */
export const MAX_PROBE_TIMEOUT_MS = 172_800_000

/** Node.js timers wait at most 2^31-1 ms (~24.8 days) and fire at once past it: a longer wait cannot be kept. */
const LONGEST_WAIT = {max: 24 * 86_400_000, why: 'the limit of Node.js timers'}

function durationString(what: string, limits: {min?: number; max?: number; why?: string} = {}) {
  return z.optional(checkedString((value) => durationProblem(value, what, limits)))
}

const CONDITION_INDEX = 'expected a condition index, 0 to 39'

/**
 * The config file's schema: every key is optional and unknown keys are errors (typos).
 * zod/mini, not zod's classic API: the same checks and messages, and every command (which
 * builds this schema first) starts ~5 ms sooner (bench/RESULTS.md, 2026-12-03).
 */
export const configFileSchema = z.strictObject({
  $schema: z.optional(z.string()),
  policy: z.optional(matching(POLICY, 'expected a policy number or accessPolicies/NUMBER')),
  level: resourceName('accessLevels', 'my_allow_level'),
  perimeter: resourceName('servicePerimeters', 'my_perimeter'),
  projectNumber: z.optional(matching(/^[0-9]+$/, 'expected a project number (digits only)')),
  regions: z.optional(regionList),
  allRegions: z.optional(z.boolean()),
  profile: nonEmptyString(),
  natGateways: z.optional(natGatewayList),
  natTags: z.optional(z.array(tagString)),
  vpcs: z.optional(vpcList),
  accounts: z.optional(z.array(accountEntry)),
  keep: z.optional(z.array(cidrString)),
  condition: z.optional(z.number().check(z.int(CONDITION_INDEX), z.gte(0, CONDITION_INDEX), z.lte(39, `${CONDITION_INDEX} (a level holds at most 40)`))),
  impersonateServiceAccount: z.optional(z.string().check(z.email('expected a service account email'))),
  stateDir: nonEmptyString(),
  instanceId: z.optional(matching(/^(i|mi)-[0-9a-f]+$/, 'expected an EC2 instance id such as i-0abc123')),
  probe: z.optional(z.enum(['ssm', 'local'], {error: 'expected ssm or local'})),
  probeCommand: nonEmptyString(),
  probeTimeout: durationString('probe timeout', {min: 1000, max: MAX_PROBE_TIMEOUT_MS, why: "SSM's longest run of a command"}),
  probeInterval: durationString('probe interval', LONGEST_WAIT),
  location: z.optional(matching(/^[a-z]+(-[a-z0-9]+)+$|^global$/, 'expected a Vertex AI location such as us-central1')),
  project: nonEmptyString(),
  credentialFile: nonEmptyString(),
  denyCidr: z.optional(checkedString(denyCidrProblem)),
  timeout: durationString('timeout', LONGEST_WAIT),
  requestTimeout: durationString('request timeout', LONGEST_WAIT),
  tfvars: nonEmptyString(),
  tfvarsVar: z.optional(matching(TF_VARIABLE, 'is not a valid identifier: expected a Terraform variable name such as allowed_cidrs')),
  notifyUrl: z.optional(checkedString(notifyUrlProblem)),
})
export type ConfigFile = z.infer<typeof configFileSchema>

/** A setting, named by its config file key: what a command declares it uses. */
export type SettingKey = Exclude<keyof ConfigFile, '$schema'>

export const DEFAULT_ACM_ENDPOINT = 'https://accesscontextmanager.googleapis.com'
export const DEFAULT_LOGGING_ENDPOINT = 'https://logging.googleapis.com'

/**
 * The endpoints: settings given by environment variable only (a proxy, Private Service
 * Connect, the local cloud), checked like the others by the commands that use them.
 */
const ENDPOINTS = {
  acmEndpoint: {env: 'VPCSC_ACM_ENDPOINT', example: DEFAULT_ACM_ENDPOINT},
  vertexEndpoint: {env: 'VPCSC_VERTEX_ENDPOINT', example: 'https://us-central1-aiplatform.googleapis.com'},
  loggingEndpoint: {env: 'VPCSC_LOGGING_ENDPOINT', example: DEFAULT_LOGGING_ENDPOINT},
  iamCredentialsEndpoint: {env: 'VPCSC_IAMCREDENTIALS_ENDPOINT', example: 'https://iamcredentials.googleapis.com'},
} as const
export type EndpointKey = keyof typeof ENDPOINTS

/** What a command declares it uses: a setting of the config file, or an endpoint. */
export type UsedSetting = SettingKey | EndpointKey

const isFileSetting = (key: UsedSetting): key is SettingKey => key in configFileSchema.shape

/** Every setting: what is checked for a caller that does not say which settings it uses. */
export const EVERY_SETTING = [...Object.keys(configFileSchema.shape).filter((key) => key !== '$schema'), ...Object.keys(ENDPOINTS)] as UsedSetting[]

export interface LoadedConfig {
  /** Absolute path, or undefined when no file was found (that is fine). */
  file?: string
  /** The fields that passed their checks. */
  values: ConfigFile
  /**
   * What is wrong with the other fields (`field "x": ...`), each with its setting; without
   * one, the file's own problem (an unknown field). resolveSettings reports them with every
   * other problem, those of a setting only when the file is the place that decides it.
   */
  problems?: FileProblem[]
}

export interface FileProblem {
  key?: keyof ConfigFile
  text: string
}

/**
 * Reads `--config FILE` (must exist) or ./vpcsc.config.json (optional). Errors name the
 * file, the field, what is wrong and what is expected.
 */
export async function loadConfigFile(explicit: string | undefined, cwd = process.cwd()): Promise<LoadedConfig> {
  const file = path.resolve(cwd, explicit ?? CONFIG_FILE_NAME)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && explicit === undefined) return {values: {}}
    throw new UsageError({message: `Cannot read config file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`, hint: 'Check the --config path (or VPCSC_CONFIG).'})
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new UsageError({message: `${file}: not valid JSON (${(error as Error).message}).`, hint: 'Fix the syntax; see the README for an example config file.'})
  }
  const parsed = configFileSchema.safeParse(json)
  if (parsed.success) return {file, values: parsed.data}
  const problems = parsed.error.issues.map((issue): FileProblem => {
    const field = issue.path.length > 0 ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : undefined
    const what =
      issue.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}; expected one of: ${Object.keys(issue.path.length > 0 ? accountEntry.shape : configFileSchema.shape).filter((k) => k !== '$schema').join(', ')}`
        : issue.message.replace(/^Invalid input: /, '')
    const key = issue.path[0]
    return {key: typeof key === 'string' && key in configFileSchema.shape ? (key as keyof ConfigFile) : undefined, text: `${field ? `field "${field}": ` : ''}${what}`}
  })
  // Not an object at all: there are no fields to go on with.
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw fileError(file, problems.map((p) => p.text))
  const wrong = new Set(problems.map((p) => p.key))
  const values = Object.fromEntries(Object.entries(json).filter(([key]) => key in configFileSchema.shape && !wrong.has(key as keyof ConfigFile))) as ConfigFile
  return {file, values, problems}
}

/** The config file's problems, every one at once, each naming its field: a file is fixed in one go, not one error per run. */
function fileError(file: string, problems: string[]): UsageError {
  return new UsageError({
    message: problems.length === 1 ? `${file}: ${problems[0]}.` : `${file}: ${problems.length} problems: ${problems.join('; ')}.`,
    hint: 'Fix the config file; see the README for every field.',
    details: {problems},
  })
}

/** What the command's flags gave (undefined = not given). */
export interface FlagValues {
  policy?: string
  level?: string
  perimeter?: string
  'project-number'?: string
  region?: string[]
  'all-regions'?: boolean
  profile?: string
  'nat-gateway'?: string[]
  'nat-tag'?: string[]
  vpc?: string[]
  'assume-role'?: string[]
  keep?: string[]
  condition?: string
  'impersonate-service-account'?: string
  'state-dir'?: string
  'instance-id'?: string
  probe?: string
  'probe-command'?: string
  'probe-timeout'?: string
  'probe-interval'?: string
  location?: string
  project?: string
  'credential-file'?: string
  'deny-cidr'?: string
  timeout?: string
  'request-timeout'?: string
  tfvars?: string
  'tfvars-var'?: string
  notify?: string
}

/**
 * Everything a command may need, resolved; the AWS part is the NAT selection as is. A
 * setting the command does not use (resolveSettings' `uses`) is at its default.
 */
export interface Settings extends NatSelection {
  policy?: string
  level?: string
  perimeter?: string
  projectNumber?: string
  keep: Cidr[]
  /** Where the kept CIDRs come from (--keep, VPCSC_KEEP or the file's "keep"), when any are kept: findings about them name it. */
  keepSource?: SettingSource
  /** Which condition holds the IP list, when the settings say; its source names it in errors found once the level is read. */
  condition?: Sourced<number>
  impersonateServiceAccount?: string
  endpoints: {acm: string; vertex?: string; logging: string; iamCredentials?: string}
  stateDir: string
  probe: ProbeSettings
  /** The deny test's swap address: TEST-NET only (checked with the other settings), default 192.0.2.1/32. */
  denyCidr: Cidr
  /** The deny test's wait bound, for the denial and again for the recovery. */
  timeoutMs?: number
  /** Bound on one HTTP attempt to Google or AWS (default 30 s). */
  requestTimeoutMs: number
  /** The Terraform variables file kept in step with the level (`--tfvars`), if any. */
  tfvars?: TfvarsSetting
  /** The config file read, if any. */
  configFile?: string
  /** Where `ip sync` posts a message after a write, refusal or failure (Slack webhook format). */
  notifyUrl?: string
}

export interface TfvarsSetting {
  /** Absolute path of the `*.auto.tfvars.json` file. */
  file: string
  /** The variable holding the level's IP list. */
  variable: string
}

export interface ProbeSettings {
  instanceId?: string
  kind: 'ssm' | 'local'
  command?: string
  /** Bound on one probe, delivery included. */
  timeoutMs: number
  /** The first pause between probes; it grows by half each time, up to 30 s. */
  intervalMs: number
  location: string
  /** The Vertex AI project (id or number); defaults to the project number. */
  project?: string
  /** The instance's Workload Identity Federation credential file, as a path on the instance. */
  credentialFile: string
}

/** Where the seed's instance keeps its credential configuration (its temp folder). */
export const DEFAULT_CREDENTIAL_FILE = '/tmp/gcp_credential_config.json'
export const DEFAULT_LOCATION = 'us-central1'

/** Environment variable of every setting (documented in the README and in help). */
export const ENV = {
  policy: 'VPCSC_POLICY',
  level: 'VPCSC_LEVEL',
  perimeter: 'VPCSC_PERIMETER',
  projectNumber: 'VPCSC_PROJECT_NUMBER',
  regions: 'VPCSC_REGIONS',
  allRegions: 'VPCSC_ALL_REGIONS',
  profile: 'AWS_PROFILE',
  natGateways: 'VPCSC_NAT_GATEWAYS',
  natTags: 'VPCSC_NAT_TAGS',
  vpcs: 'VPCSC_VPCS',
  assumeRoles: 'VPCSC_ASSUME_ROLES',
  keep: 'VPCSC_KEEP',
  condition: 'VPCSC_CONDITION',
  impersonateServiceAccount: 'VPCSC_IMPERSONATE_SERVICE_ACCOUNT',
  acmEndpoint: ENDPOINTS.acmEndpoint.env,
  vertexEndpoint: ENDPOINTS.vertexEndpoint.env,
  loggingEndpoint: ENDPOINTS.loggingEndpoint.env,
  iamCredentialsEndpoint: ENDPOINTS.iamCredentialsEndpoint.env,
  config: 'VPCSC_CONFIG',
  stateDir: 'VPCSC_STATE_DIR',
  instanceId: 'VPCSC_INSTANCE_ID',
  probe: 'VPCSC_PROBE',
  probeCommand: 'VPCSC_PROBE_COMMAND',
  probeTimeout: 'VPCSC_PROBE_TIMEOUT',
  probeInterval: 'VPCSC_PROBE_INTERVAL',
  location: 'VPCSC_LOCATION',
  project: 'VPCSC_PROJECT',
  credentialFile: 'VPCSC_PROBE_CRED_FILE',
  denyCidr: 'VPCSC_DENY_CIDR',
  timeout: 'VPCSC_TIMEOUT',
  requestTimeout: 'VPCSC_REQUEST_TIMEOUT',
  tfvars: 'VPCSC_TFVARS',
  tfvarsVar: 'VPCSC_TFVARS_VAR',
  notifyUrl: 'VPCSC_NOTIFY_URL',
} as const

/** A comma-separated variable; one that names nothing (",", " , ") is unset, as an empty one is, and decides nothing. */
function envList(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const items = env[name]?.split(',').map((s) => s.trim()).filter(Boolean) ?? []
  return items.length > 0 ? items : undefined
}

function envString(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim()
  return value ? value : undefined
}

function nonEmpty<T>(list: T[] | undefined): T[] | undefined {
  return list && list.length > 0 ? list : undefined
}

/**
 * One validation for every source: the value that wins (flag > env > file) of each setting
 * is checked by the config file's own schema, whichever source it came from, and every
 * problem is reported at once, naming its source (`--region`, `VPCSC_REGIONS`, or the
 * file's field). The hand-written parsing in resolveSettings then only converts.
 */
type SourceKind = 'string' | 'list' | 'integer' | 'boolean'
const SOURCES: {[K in keyof ConfigFile]?: {flag: keyof FlagValues; env: string; kind: SourceKind; secret?: true}} = {
  policy: {flag: 'policy', env: ENV.policy, kind: 'string'},
  level: {flag: 'level', env: ENV.level, kind: 'string'},
  perimeter: {flag: 'perimeter', env: ENV.perimeter, kind: 'string'},
  projectNumber: {flag: 'project-number', env: ENV.projectNumber, kind: 'string'},
  regions: {flag: 'region', env: ENV.regions, kind: 'list'},
  allRegions: {flag: 'all-regions', env: ENV.allRegions, kind: 'boolean'},
  profile: {flag: 'profile', env: ENV.profile, kind: 'string'},
  natGateways: {flag: 'nat-gateway', env: ENV.natGateways, kind: 'list'},
  natTags: {flag: 'nat-tag', env: ENV.natTags, kind: 'list'},
  vpcs: {flag: 'vpc', env: ENV.vpcs, kind: 'list'},
  keep: {flag: 'keep', env: ENV.keep, kind: 'list'},
  condition: {flag: 'condition', env: ENV.condition, kind: 'integer'},
  impersonateServiceAccount: {flag: 'impersonate-service-account', env: ENV.impersonateServiceAccount, kind: 'string'},
  stateDir: {flag: 'state-dir', env: ENV.stateDir, kind: 'string'},
  instanceId: {flag: 'instance-id', env: ENV.instanceId, kind: 'string'},
  probe: {flag: 'probe', env: ENV.probe, kind: 'string'},
  probeCommand: {flag: 'probe-command', env: ENV.probeCommand, kind: 'string'},
  probeTimeout: {flag: 'probe-timeout', env: ENV.probeTimeout, kind: 'string'},
  probeInterval: {flag: 'probe-interval', env: ENV.probeInterval, kind: 'string'},
  location: {flag: 'location', env: ENV.location, kind: 'string'},
  project: {flag: 'project', env: ENV.project, kind: 'string'},
  credentialFile: {flag: 'credential-file', env: ENV.credentialFile, kind: 'string'},
  denyCidr: {flag: 'deny-cidr', env: ENV.denyCidr, kind: 'string'},
  timeout: {flag: 'timeout', env: ENV.timeout, kind: 'string'},
  requestTimeout: {flag: 'request-timeout', env: ENV.requestTimeout, kind: 'string'},
  tfvars: {flag: 'tfvars', env: ENV.tfvars, kind: 'string'},
  tfvarsVar: {flag: 'tfvars-var', env: ENV.tfvarsVar, kind: 'string'},
  // A webhook's URL carries its secret in the path: a problem with it never repeats it.
  notifyUrl: {flag: 'notify', env: ENV.notifyUrl, kind: 'string', secret: true},
}

/** A setting's value that counts (flag > variable > file), already checked by the file's schema; undefined for a setting the command does not use. */
type SettingValue = <K extends SettingKey>(key: K) => ConfigFile[K] | undefined

/** Where a setting's value came from: errors found with the value name that place. */
export type SettingSource = {kind: 'flag'; name: string} | {kind: 'env'; name: string} | {kind: 'file'; name: string; file: string}

/** A setting's value and its source, for checks that can only be made after a read (the level's conditions, for `condition`). */
export interface Sourced<T> {
  value: T
  source: SettingSource
}

/** The setting as its source spells it: `--condition`, `VPCSC_CONDITION`, or `"condition"` (the file's field). */
export function sourceName(source: SettingSource): string {
  return source.kind === 'flag' ? `--${source.name}` : source.kind === 'env' ? source.name : `"${source.name}"`
}

/** The source as settings errors name it: `--condition`, `VPCSC_CONDITION`, or `/path/vpcsc.config.json: field "condition"`. */
export function sourceLabel(source: SettingSource): string {
  return source.kind === 'file' ? `${source.file}: field ${sourceName(source)}` : sourceName(source)
}

/** The source in a sentence: `--keep`, `VPCSC_KEEP`, or `"keep" in /path/vpcsc.config.json`. */
export function sourceWords(source: SettingSource): string {
  return source.kind === 'file' ? `${sourceName(source)} in ${source.file}` : sourceName(source)
}

/** How to give the setting `value` in the same place: `--condition 0`, `VPCSC_CONDITION=0`, or `"condition": 0 in FILE`. */
export function sourceAssignment(source: SettingSource, value: string | number): string {
  return source.kind === 'flag' ? `--${source.name} ${value}` : source.kind === 'env' ? `${source.name}=${value}` : `"${source.name}": ${JSON.stringify(value)} in ${source.file}`
}

/** The sources in order of precedence. */
const TIERS = ['flag', 'env', 'file'] as const
type Tier = (typeof TIERS)[number]

const BOOLEAN_WORDS: Record<string, boolean> = {1: true, true: true, yes: true, 0: false, false: false, no: false}

/** A text (a variable's, an integer flag's) as the file's schema takes the setting; `invalid` when it cannot be one. */
function fromText(raw: string, kind: SourceKind): {value: unknown} | {invalid: string} {
  const value =
    kind === 'integer' ? (/^[0-9]+$/.test(raw) ? Number(raw) : undefined)
    : kind === 'boolean' ? BOOLEAN_WORDS[raw.toLowerCase()]
    : raw
  return value === undefined ? {invalid: raw} : {value}
}

/**
 * What one source gives a setting, as the file's schema takes it (a variable's text made a
 * list, an integer or a boolean); `invalid` holds a variable's text that cannot be made
 * one. Undefined when the source gives nothing (an empty flag list or variable neither).
 */
function givenBy(tier: Tier, key: keyof ConfigFile, flags: FlagValues, env: NodeJS.ProcessEnv, config: LoadedConfig): {source: SettingSource; value?: unknown; invalid?: string; fileProblems?: string[]} | undefined {
  const spec = SOURCES[key]!
  if (tier === 'flag') {
    const flag = flags[spec.flag]
    const value = Array.isArray(flag) ? nonEmpty(flag) : flag
    if (value === undefined) return undefined
    const source: SettingSource = {kind: 'flag', name: spec.flag}
    return typeof value === 'string' && spec.kind === 'integer' ? {source, ...fromText(value, spec.kind)} : {source, value}
  }
  if (tier === 'env') {
    const raw = envString(env, spec.env)
    const list = spec.kind === 'list' ? envList(env, spec.env) : undefined
    if (raw === undefined || (spec.kind === 'list' && list === undefined)) return undefined
    return {source: {kind: 'env', name: spec.env}, ...(spec.kind === 'list' ? {value: list} : fromText(raw, spec.kind))}
  }
  const source: SettingSource = {kind: 'file', name: key, file: config.file ?? CONFIG_FILE_NAME}
  const problems = config.problems?.filter((p) => p.key === key).map((p) => p.text)
  if (problems?.length) return {source, fileProblems: problems}
  const value = config.values[key]
  return value === undefined ? undefined : {source, value}
}

/**
 * The regions read are one setting given by two keys: a list (`regions`) or every enabled
 * region (`allRegions`). The first source, flag > variable > file, that gives either key
 * decides the whole selection, so that `--region` overrides a file's `"allRegions": true`
 * (and VPCSC_ALL_REGIONS=1), and `--no-all-regions` alone means the AWS default region,
 * whatever the file lists. Keys of a lower source are neither used nor checked.
 */
const REGION_SELECTION: readonly (keyof ConfigFile)[] = ['regions', 'allRegions']

/** The value that counts for a setting, with its source: the first source that gives one (for the region selection, the source that decides it). */
function decided(key: keyof ConfigFile, flags: FlagValues, env: NodeJS.ProcessEnv, config: LoadedConfig) {
  const together = REGION_SELECTION.includes(key) ? REGION_SELECTION : [key]
  const tier = TIERS.find((t) => together.some((k) => givenBy(t, k, flags, env, config) !== undefined))
  return tier === undefined ? undefined : givenBy(tier, key, flags, env, config)
}

/** What to do about one setting, when it is the only problem. */
const SETTING_HINTS: {[K in keyof ConfigFile]?: string} = {
  keep: 'Give public CIDRs with zero host bits, e.g. --keep 198.51.100.0/24.',
  regions: 'Give regions as AWS names them, e.g. --region eu-west-1 (aws ec2 describe-regions lists yours).',
  instanceId: 'Give --instance-id i-0123456789abcdef0 (or VPCSC_INSTANCE_ID).',
  probe: 'Use --probe ssm (through SSM on the instance) or --probe local (from this machine).',
  natTags: 'Use --nat-tag KEY=VALUE, e.g. --nat-tag vpcsc=egress.',
  tfvarsVar: 'Give --tfvars-var NAME (letters, digits, _ and -, starting with a letter or _), e.g. allowed_cidrs.',
  policy: 'Find it with: gcloud access-context-manager policies list --organization ORG_ID',
  level: 'List them with: gcloud access-context-manager levels list --policy POLICY',
  perimeter: 'List them with: gcloud access-context-manager perimeters list --policy POLICY',
  denyCidr: DENY_CIDR_HINT,
  condition: 'Give the index of the condition that holds the IP list, 0 for the first (vpcsc status shows the level\'s conditions).',
  notifyUrl: 'Give an http(s) URL without user:password@, e.g. a Slack incoming webhook.',
}

/** `--region "mars-1": expected ...`: a value's problem, named with where the value came from. */
function valueProblem(label: string, value: unknown, message: string): string {
  const quoted = JSON.stringify(value)
  // CIDR problems name the value already; "is ..." and "has ..." read on from it.
  if (typeof value === 'string' && message.includes(quoted)) return `${label} ${message}`
  return /^(is|has) /.test(message) ? `${label} ${quoted} ${message}` : `${label} ${quoted}: ${message}`
}

/** One thing wrong with the settings, in words that name its source; the hint when it is the only one. */
interface SettingProblem {
  text: string
  hint?: string
  /** The setting whose value is wrong, when it is one setting's. */
  key?: keyof ConfigFile
  /** A problem of the config file, worded as in fileError (`field "x": ...`). */
  inFile?: true
}

function sourceProblems(flags: FlagValues, env: NodeJS.ProcessEnv, config: LoadedConfig, used: ReadonlySet<SettingKey>): SettingProblem[] {
  const problems: SettingProblem[] = []
  // The file's own problems (an unknown field), and those of fields that no flag or variable
  // can override: `accounts` (unless --assume-role or its variable gives the roles, or the
  // command reads no member account) and $schema.
  const accountsGiven = nonEmpty(flags['assume-role']) ?? envList(env, ENV.assumeRoles)
  for (const p of config.problems ?? []) {
    if (p.key === undefined || p.key === '$schema' || (p.key === 'accounts' && used.has('accounts') && !accountsGiven)) problems.push({text: p.text, key: p.key, inFile: true})
  }
  for (const key of Object.keys(SOURCES) as SettingKey[]) {
    if (!used.has(key)) continue
    const given = decided(key, flags, env, config)
    if (!given) continue
    if (given.fileProblems) {
      problems.push(...given.fileProblems.map((text): SettingProblem => ({text, key, inFile: true})))
      continue
    }
    const label = sourceLabel(given.source)
    if (given.invalid !== undefined) {
      problems.push({key, text: valueProblem(label, given.invalid, SOURCES[key]!.kind === 'integer' ? CONDITION_INDEX : 'expected a boolean (true or false, yes or no, 1 or 0)')})
      continue
    }
    const value = given.value
    const parsed = configFileSchema.shape[key].safeParse(value)
    if (parsed.success) continue
    for (const issue of parsed.error.issues) {
      const item = typeof issue.path[0] === 'number' && Array.isArray(value) ? value[issue.path[0]] : value
      const message = issue.message.replace(/^Invalid input: /, '')
      problems.push({key, text: SOURCES[key]!.secret ? `${label}: ${message}` : valueProblem(label, item, message)})
    }
  }
  return problems.map((p) => ({...p, hint: p.key && SETTING_HINTS[p.key]}))
}

/**
 * Every problem of the settings in one usage error (exit 2): values that fail their checks,
 * names that cannot be resolved, and the settings the command needs that are missing, so
 * that one run names them all (`vpcsc status` with nothing set names the policy and the
 * level at once).
 */
function settingsError(problems: SettingProblem[], missing: RequiredSetting[], file: string | undefined): UsageError {
  if (file !== undefined && missing.length === 0 && problems.length > 0 && problems.every((p) => p.inFile)) return fileError(file, problems.map((p) => p.text))
  problems = problems.map((p) => (p.inFile ? {...p, text: `${file ?? CONFIG_FILE_NAME}: ${p.text}`} : p))
  // The file that was read (--config, VPCSC_CONFIG or ./vpcsc.config.json), else the one that would be.
  const where = missing.map((key) => `--${REQUIRED[key].flag} (or ${REQUIRED[key].env}, or "${REQUIRED[key].key}" in ${file ?? CONFIG_FILE_NAME})`)
  const flags = missing.map((key) => `--${REQUIRED[key].flag}`).join(' and ')
  const texts = [...problems.map((p) => p.text), ...(missing.length === 0 ? [] : [problems.length > 0 ? `missing ${flags}` : `Missing ${flags}`])]
  const hint =
    problems.length === 0 ? `Set ${where.join('; ')}.`
    : problems.length === 1 && missing.length === 0 && problems[0]!.hint ? problems[0]!.hint
    : `Fix the values named${missing.length > 0 ? `, and set ${where.join('; ')}` : ''}; \`--help\` and the README's settings table say what each setting takes.`
  return new UsageError({
    message: texts.length === 1 ? `${texts[0]}.` : problems.length > 0 && missing.length === 0 ? `${problems.length} settings are invalid: ${texts.join('; ')}.` : `${texts.length} problems with the settings: ${texts.join('; ')}.`,
    hint,
    details: {problems: texts},
  })
}

/**
 * Merges flags, environment and config file into validated settings, and checks that the
 * settings in `needs` are there. Every problem is reported at once, before any I/O.
 *
 * Only the settings in `uses` (and `needs`, and those given by a flag) are read and checked:
 * the environment and the config file are shared by every command, and a bad value of a
 * setting the command never uses (VPCSC_TIMEOUT, the deny test's wait, for status) must not
 * stop it. Any other setting is left at its default, whatever its sources say.
 */
export function resolveSettings(
  flags: FlagValues,
  env: NodeJS.ProcessEnv,
  config: LoadedConfig,
  needs: readonly RequiredSetting[] = [],
  {callsAws = false, uses = EVERY_SETTING, writesStateDir = false}: {callsAws?: boolean; uses?: readonly UsedSetting[]; writesStateDir?: boolean} = {},
): Settings {
  const file = config.values
  // A flag is typed for this run: its value is checked even when the command does not use
  // the setting (ip sync --project-number abc is a mistake to point out, not to pass over).
  const typed = (Object.keys(SOURCES) as SettingKey[]).filter((key) => flags[SOURCES[key]!.flag] !== undefined)
  const used = new Set<SettingKey>([...uses.filter(isFileSetting), ...needs, ...typed])
  const given = (key: SettingKey) => (used.has(key) ? decided(key, flags, env, config) : undefined)
  let problems = sourceProblems(flags, env, config, used)
  const value: SettingValue = (key) => given(key)?.value as never
  const endpoints = uses.filter((key): key is EndpointKey => key in ENDPOINTS)
  problems.push(...endpoints.flatMap((key) => endpointProblems(ENDPOINTS[key].env, envString(env, ENDPOINTS[key].env), ENDPOINTS[key].example)))
  const endpoint = (key: EndpointKey) => (endpoints.includes(key) ? envString(env, ENDPOINTS[key].env)?.replace(/\/+$/, '') : undefined)
  // The AWS environment (AWS_PROFILE, AWS_REGION, the endpoint variables) is checked for the commands that use it.
  if (callsAws) {
    // A value already found wrong (an empty --profile) is one problem, not two.
    if (!problems.some((p) => p.key === 'profile')) problems.push(...profileProblems(given('profile'), env))
    // The SDK's endpoint variables, as it reads them, for the services called: EC2 and STS
    // for the NAT gateways, SSM for a command that probes on the instance. A bad one would
    // fail the first call as "Invalid URL", or be taken for a network failure.
    const services = used.has('instanceId') ? [EC2, STS, SSM] : [EC2, STS]
    for (const {variable, service} of awsEndpointVariables(services.map((s) => s.name), env)) {
      problems.push(...endpointProblems(variable, env[variable], `https://${service.toLowerCase()}.us-east-1.amazonaws.com`))
    }
  }
  const regions = value('regions') ?? []
  // Without a region of vpcsc's own, the SDK's default (AWS_REGION, then AWS_DEFAULT_REGION,
  // as the AWS CLI reads them) is the region read (and the one asked for every region, with
  // allRegions): checked by the same rule, up front.
  if (callsAws && regions.length === 0) {
    // The variable sdkRegion (aws/sdk-options.ts) takes: the first one set.
    const variable = ['AWS_REGION', 'AWS_DEFAULT_REGION'].find((name) => env[name])
    const problem = variable && regionProblem(env[variable]!)
    if (problem) problems.push({text: valueProblem(variable, env[variable], problem), hint: 'Set AWS_REGION to a region such as eu-west-1, or give --region.'})
  }
  const levelText = value('level')
  const perimeterText = value('perimeter')
  // A full level or perimeter name carries its policy, which then serves the other's short
  // id, and the policy setting itself for a command that does not use that name too
  // (restore, given a full VPCSC_PERIMETER). Precedence holds for the policy too: a full
  // name given as a flag beats a policy from the environment or the file, and so on down.
  const tiers = [
    [flags.policy, flags.level, flags.perimeter],
    [envString(env, ENV.policy), envString(env, ENV.level), envString(env, ENV.perimeter)],
    [file.policy, file.level, file.perimeter],
  ] as const
  const policyOfTier = ([policy, level, perimeter]: (typeof tiers)[number]) => policy ?? policyOf(level) ?? policyOf(perimeter)
  const policyText = tiers.map(policyOfTier).find((policy) => policy !== undefined)
  // The policy value checked above is the first one given (flag, variable, file); a full
  // level or perimeter name in an earlier place overrides it, and then it is not used.
  const usedTier = tiers.findIndex((tier) => policyOfTier(tier) !== undefined)
  const policyGiven = given('policy')
  const checkedTier = policyGiven ? TIERS.indexOf(policyGiven.source.kind) : -1
  if (usedTier !== -1 && usedTier < checkedTier) problems = problems.filter((p) => p.key !== 'policy')
  const attempt = <T>(resolve: () => T): T | undefined => {
    try {
      return resolve()
    } catch (error) {
      if (!(error instanceof UsageError)) throw error
      problems.push({text: error.message.replace(/\.$/, ''), hint: error.hint})
      return undefined
    }
  }
  // The schema checked each value's form; what is left are the checks across settings, made
  // only for values that passed theirs (a bad policy is one problem, not three).
  const invalid = new Set(problems.map((p) => p.key))
  if (used.has('stateDir') && !invalid.has('stateDir')) problems.push(...stateDirProblems(given('stateDir'), env, writesStateDir, config.file))
  const policy = invalid.has('policy') ? undefined : normalisePolicy(policyText)
  // A short id without a policy: when the command needs the policy anyway, "missing
  // --policy" below says it once; otherwise the name itself is the problem.
  const child = (what: 'level' | 'perimeter', collection: string, text: string | undefined) =>
    invalid.has(what) || invalid.has('policy') || (policyText === undefined && needs.includes('policy')) ? undefined : attempt(() => normaliseChild(what, collection, policy, text, config.file))
  const level = child('level', 'accessLevels', levelText)
  const perimeter = child('perimeter', 'servicePerimeters', perimeterText)
  // A setting given with a wrong value is not missing too: its problem is already there.
  const missing = needs.filter((key) => ({policy: policyText, level: levelText, perimeter: perimeterText})[key] === undefined && !invalid.has(key))
  if (problems.length > 0 || missing.length > 0) throw settingsError(problems, missing, config.file)
  const condition = given('condition')

  return {
    policy,
    level,
    perimeter,
    projectNumber: value('projectNumber'),
    regions,
    allRegions: value('allRegions') ?? false,
    profile: value('profile'),
    natGatewayIds: value('natGateways') ?? [],
    natTags: (value('natTags') ?? []).map(parseTag),
    vpcIds: value('vpcs') ?? [],
    accounts: used.has('accounts') ? resolveAccounts(flags, env, file) : [],
    keep: (value('keep') ?? []).map((text) => parseKeep(text)),
    keepSource: given('keep')?.source,
    condition: condition && {value: condition.value as number, source: condition.source},
    impersonateServiceAccount: value('impersonateServiceAccount'),
    endpoints: {
      acm: endpoint('acmEndpoint') ?? DEFAULT_ACM_ENDPOINT,
      vertex: endpoint('vertexEndpoint'),
      logging: endpoint('loggingEndpoint') ?? DEFAULT_LOGGING_ENDPOINT,
      iamCredentials: endpoint('iamCredentialsEndpoint'),
    },
    stateDir: stateDirOf(value('stateDir'), env),
    probe: resolveProbe(value, flags),
    denyCidr: parseCidr(value('denyCidr') ?? DEFAULT_DENY_CIDR),
    timeoutMs: ((text) => (text === undefined ? undefined : parseDuration(text, 'timeout')))(value('timeout')),
    requestTimeoutMs: parseDuration(value('requestTimeout') ?? '30s', 'request timeout'),
    tfvars: resolveTfvars(value),
    configFile: config.file,
    notifyUrl: value('notifyUrl'),
  }
}

/**
 * The AWS profile named (--profile, AWS_PROFILE, or the file's "profile") must be in the AWS
 * config or credentials file, as the AWS CLI requires ("The config profile (x) could not be
 * found"): the SDK would otherwise fall back to other credentials, or fail later as a
 * missing region. "default" too, when named: the AWS CLI (v2.9, tried) refuses
 * AWS_PROFILE=default without it, even with keys in the environment, and so does the SDK,
 * which skips the environment's keys once a profile is named. Named by nothing, no profile
 * is needed.
 */
function profileProblems(given: ReturnType<typeof decided>, env: NodeJS.ProcessEnv): SettingProblem[] {
  const profile = given?.value
  if (!given || typeof profile !== 'string' || profileExists(profile, env)) return []
  return [{
    text: valueProblem(sourceLabel(given.source), profile, 'is not a profile in the AWS config or credentials file'),
    hint: `aws configure list-profiles lists the profiles there; aws configure --profile ${profile} creates it.`,
    key: 'profile',
  }]
}

function stateDirOf(given: string | undefined, env: NodeJS.ProcessEnv): string {
  return path.resolve(given ?? defaultStateDir(env))
}

/**
 * The state dir holds the deny-test journals that status, ip sync, explain, deny-test and
 * restore read: one they cannot use is a setting to fix (exit 2), named with its source,
 * rather than a file system error in the middle of a run.
 */
function stateDirProblems(given: ReturnType<typeof decided>, env: NodeJS.ProcessEnv, write: boolean, configFile = CONFIG_FILE_NAME): SettingProblem[] {
  const dir = stateDirOf(given?.value as string | undefined, env)
  const problem = stateDirProblem(dir, {write})
  if (!problem) return []
  return [{
    key: 'stateDir',
    text: given ? valueProblem(sourceLabel(given.source), given.value, problem) : valueProblem('The default state dir', dir, problem),
    hint: `Give --state-dir (or ${ENV.stateDir}, or "stateDir" in ${configFile}) a directory vpcsc can read and write; a missing one is created.`,
  }]
}

function resolveTfvars(value: SettingValue): TfvarsSetting | undefined {
  const where = value('tfvars')
  return where === undefined ? undefined : {file: path.resolve(where), variable: value('tfvarsVar') ?? DEFAULT_TFVARS_VARIABLE}
}

/** Why a URL is unusable, or undefined: only http(s), with a host and no credentials in it. */
function httpUrlProblem(text: string, example: string): string | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return `expected an http(s) URL such as ${example}`
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `expected an http(s) URL, not ${url.protocol}`
  // user:password@ would end up in error messages and logs; a webhook carries its secret in the path.
  if (url.username || url.password) return 'expected a URL without user:password@'
  return undefined
}

function notifyUrlProblem(text: string): string | undefined {
  return httpUrlProblem(text, 'https://hooks.slack.com/services/...')
}

/**
 * An endpoint variable's problem, if any: an http(s) URL to which the API's paths are
 * appended, so neither a query nor a fragment. Credentials in it are never repeated.
 */
function endpointProblems(variable: string, text: string | undefined, example: string): SettingProblem[] {
  if (!text) return []
  const problem = httpUrlProblem(text, example) ?? (/[?#]/.test(text) ? `expected a URL without a query or fragment (the API's paths follow it), such as ${example}` : undefined)
  if (!problem) return []
  return [{
    // A value with an @ may hold user:password: it is not repeated.
    text: text.includes('@') ? `${variable}: ${problem}` : valueProblem(variable, text, problem),
    hint: `Give ${variable} as http(s)://HOST[:PORT][/PATH], or unset it.`,
  }]
}

function probeKind(value: SettingValue, flags: FlagValues): ProbeSettings['kind'] {
  // An instance id given on the command line means: probe there, whatever the variable or
  // the file says (the schema checked whichever --probe, VPCSC_PROBE or "probe" counts).
  return (flags['instance-id'] && flags.probe === undefined ? 'ssm' : value('probe')) ?? (value('instanceId') ? 'ssm' : 'local')
}

function resolveProbe(value: SettingValue, flags: FlagValues): ProbeSettings {
  return {
    instanceId: value('instanceId'),
    kind: probeKind(value, flags),
    command: value('probeCommand'),
    timeoutMs: parseDuration(value('probeTimeout') ?? '2m', 'probe timeout'),
    intervalMs: parseDuration(value('probeInterval') ?? '3s', 'probe interval'),
    location: value('location') ?? DEFAULT_LOCATION,
    project: value('project'),
    credentialFile: value('credentialFile') ?? DEFAULT_CREDENTIAL_FILE,
  }
}

/** "90s", "30m", "1.5h", "7d", or a number of seconds, whatever its sign; undefined when it is none of these. */
function signedDurationMs(text: string): number | undefined {
  const trimmed = text.trim()
  const value = trimmed === '' ? undefined : /^[0-9]+(\.[0-9]+)?$/.test(trimmed) ? Number(trimmed) * 1000 : ms(trimmed as ms.StringValue)
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

/** A duration longer than zero, in ms; undefined otherwise. */
function durationMs(text: string): number | undefined {
  const value = signedDurationMs(text)
  return value !== undefined && value > 0 ? value : undefined
}

/** Why the text is not a duration within the limits, or undefined when it is one. */
function durationProblem(text: string, what: string, limits: {min?: number; max?: number; why?: string}): string | undefined {
  const value = signedDurationMs(text)
  if (value === 0) return `is no time at all: the ${what} must be longer than zero`
  if (value === undefined || value < 0) return `is not a duration for the ${what} (use e.g. 90s, 30m, 2h or 7d)`
  // `why` explains the upper limit (a service's); the lower one is vpcsc's own floor.
  if (limits.min !== undefined && value < limits.min) return `is shorter than ${ms(limits.min, {long: true})}, the shortest ${what}`
  if (limits.max !== undefined && value > limits.max) return `is longer than ${ms(limits.max, {long: true})}, the longest ${what}${limits.why ? `, ${limits.why}` : ''}`
  return undefined
}

/** "90s", "30m", "1.5h", "7d", or a number of seconds. */
export function parseDuration(text: string, what: string): number {
  const value = durationMs(text)
  if (value === undefined) {
    throw new UsageError({message: `The ${what} "${text}" is not a duration.`, hint: 'Use e.g. 90s, 30m, 2h or 7d.'})
  }
  return value
}

/**
 * Member accounts: `--assume-role` (repeatable) > VPCSC_ASSUME_ROLES (comma-separated) >
 * the file's `accounts`. Roles from a flag or the environment use the top-level selection.
 */
function resolveAccounts(flags: FlagValues, env: NodeJS.ProcessEnv, file: ConfigFile): MemberAccount[] {
  const fromFlags = nonEmpty(flags['assume-role'])
  if (fromFlags) return uniqueAccounts(fromFlags.map((arn) => memberAccount(arn, '--assume-role')))
  const fromEnv = envList(env, ENV.assumeRoles)
  if (fromEnv) return uniqueAccounts(fromEnv.map((arn) => memberAccount(arn, ENV.assumeRoles)))
  return uniqueAccounts(
    (file.accounts ?? []).map((entry, i) =>
      memberAccount(entry.roleArn, `accounts[${i}].roleArn`, {
        externalId: entry.externalId,
        regions: entry.regions,
        natTags: entry.natTags?.map(parseTag),
        vpcIds: entry.vpcs,
        natGatewayIds: entry.natGateways,
      }),
    ),
  )
}

function parseTag(text: string): {key: string; value: string} {
  const at = text.indexOf('=')
  if (at <= 0) throw new UsageError({message: `NAT tag "${text}" is not KEY=VALUE.`, hint: 'Use --nat-tag KEY=VALUE, e.g. --nat-tag vpcsc=egress.'})
  return {key: text.slice(0, at), value: text.slice(at + 1)}
}

function parseKeep(text: string): Cidr {
  try {
    return parseCidr(text)
  } catch (error) {
    if (error instanceof CidrError) throw new UsageError({message: `Kept CIDR ${error.message}.`, hint: 'Give public CIDRs with zero host bits, e.g. --keep 198.51.100.0/24.'})
    throw error
  }
}

/** accessPolicies/NUMBER from a number or a name (the schema checked which it is). */
function normalisePolicy(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  return /^[0-9]+$/.test(value) ? `accessPolicies/${value}` : value
}

function policyOf(name: string | undefined): string | undefined {
  return name?.match(/^(accessPolicies\/[0-9]+)\//)?.[1]
}

function normaliseChild(what: 'level' | 'perimeter', collection: string, policy: string | undefined, value: string | undefined, configFile = CONFIG_FILE_NAME): string | undefined {
  if (value === undefined) return undefined
  // The schema checked the form: an id, or accessPolicies/NUMBER/<collection>/ID.
  const full = value.match(new RegExp(`^(accessPolicies/[0-9]+)/${collection}/(.+)$`))
  const id = full ? full[2]! : value
  if (full) {
    if (policy && policy !== full[1]) {
      throw new UsageError({message: `The ${what} ${value} is not in the policy ${policy}.`, hint: `Give the ${what} as a short id, or a policy that matches.`})
    }
    return value
  }
  if (!policy) {
    throw new UsageError({message: `The ${what} "${value}" is a short id, so the access policy is needed.`, hint: `Set --policy (or ${ENV.policy}, or "policy" in ${configFile}).`})
  }
  return `${policy}/${collection}/${id}`
}

/** The config file hints name: the one read (--config, VPCSC_CONFIG or ./vpcsc.config.json), else the one that would be. */
export function configFileName(settings: Pick<Settings, 'configFile'>): string {
  return settings.configFile ?? CONFIG_FILE_NAME
}

/** The settings a command may declare it needs before it starts (checked before any I/O). */
export type RequiredSetting = 'policy' | 'level' | 'perimeter'

const REQUIRED: Record<RequiredSetting, {flag: string; env: string; key: string}> = {
  policy: {flag: 'policy', env: ENV.policy, key: 'policy'},
  level: {flag: 'level', env: ENV.level, key: 'level'},
  perimeter: {flag: 'perimeter', env: ENV.perimeter, key: 'perimeter'},
}

/** Throws the usual "missing setting" error naming the flag, env and config key. */
export function requireSetting<T>(value: T | undefined, flag: string, env: string, key: string): T {
  if (value === undefined) {
    throw new UsageError({message: `Missing --${flag}.`, hint: `Set --${flag}, ${env}, or "${key}" in ${CONFIG_FILE_NAME}.`})
  }
  return value
}

/**
 * `--since` (violations, promote, explain): a point in time given as a duration back from
 * now ("24h", "7d") or an RFC 3339 timestamp. Never in the future: promote's gate would
 * count no violation at all over such a window and let the promote through.
 */
export function parseSince(text: string, now = Date.now()): Date {
  const hint = 'Use a duration such as 24h or 7d, or an RFC 3339 timestamp such as 2026-11-01T00:00:00Z.'
  if (/^\d{4}-\d{2}-\d{2}(T|$)/.test(text.trim())) {
    const at = new Date(text.trim())
    if (Number.isNaN(at.getTime())) throw new UsageError({message: `--since "${text}" is not a valid timestamp.`, hint})
    if (at.getTime() > now) throw new UsageError({message: `--since "${text}" is in the future: the window would hold nothing.`, hint})
    return at
  }
  const ms = durationMs(text)
  if (ms === undefined) throw new UsageError({message: `--since "${text}" is neither a duration nor a timestamp.`, hint})
  return new Date(now - ms)
}
