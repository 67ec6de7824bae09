// The Terraform module (deploy/terraform) as the tests read it. The whole module cannot be
// planned here (its providers come from the registry, out of reach offline), so it is parsed
// (HCL to JSON, @cdktf/hcl2json), and the one expression whose value the function depends
// on, the config file it ships, is evaluated here (after checking it is the expression this
// evaluates). variables.tf alone needs no provider: planVariables runs the real terraform
// on a copy of it, which evaluates its validation blocks.
import {execFile} from 'node:child_process'
import {copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {parse} from '@cdktf/hcl2json'

export const MODULE = join(fileURLToPath(new URL('../../', import.meta.url)), 'deploy', 'terraform')
export const MEMBER = join(MODULE, 'member-account')

export type Hcl = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- parsed HCL is untyped JSON

export async function parseModule(dir: string): Promise<{json: Hcl; text: string}> {
  const json: Hcl = {}
  let text = ''
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.tf')).sort()) {
    const source = readFileSync(join(dir, file), 'utf8')
    text += source
    const parsed = (await parse(file, source)) as Hcl
    for (const [kind, value] of Object.entries(parsed)) {
      if (Array.isArray(value)) json[kind] = [...(json[kind] ?? []), ...value]
      else json[kind] = mergeDeep(json[kind] ?? {}, value as Hcl)
    }
  }
  return {json, text}
}

function mergeDeep(a: Hcl, b: Hcl): Hcl {
  const out = {...a}
  for (const [k, v] of Object.entries(b)) out[k] = k in out && !Array.isArray(v) && typeof v === 'object' ? mergeDeep(out[k], v) : v
  return out
}

export const locals = (json: Hcl): Hcl => Object.assign({}, ...(json.locals as Hcl[]))

/** One entry of the main module's member_accounts variable, as Terraform names its attributes (null: unset, as in Terraform). */
export type MemberAccountInput = {
  role_arn: string | null
  external_id?: string | null
  regions?: (string | null)[] | null
  nat_tags?: string[] | null
  vpcs?: string[] | null
  nat_gateways?: string[] | null
}

/** The expression of local.member_accounts that shippedConfig evaluates. */
export const MEMBER_ACCOUNTS_EXPRESSION =
  '${concat([for account in var.member_accounts : { for attribute, key in local.account_keys : key => account[attribute] if account[attribute] != null }], [for arn in var.member_role_arns : { roleArn = arn }],)}'

const squash = (text: string) => text.replace(/\s+/g, '')

/**
 * The config file the main module ships in the package (local.vpcsc_config) for these
 * variables: each member_accounts entry's attributes that are set, under their config keys
 * (local.account_keys), then a {roleArn} per member_role_arns entry.
 */
export function shippedConfig(main: Hcl, variables: {member_accounts?: MemberAccountInput[]; member_role_arns?: (string | null)[]}): {accounts: Record<string, unknown>[]} {
  const l = locals(main)
  if (squash(String(l.member_accounts)) !== squash(MEMBER_ACCOUNTS_EXPRESSION)) throw new Error(`local.member_accounts is not the expression shippedConfig evaluates: ${l.member_accounts}`)
  if (JSON.stringify(l.vpcsc_config) !== JSON.stringify({accounts: '${local.member_accounts}'})) throw new Error(`local.vpcsc_config is not {accounts = local.member_accounts}: ${JSON.stringify(l.vpcsc_config)}`)
  const keys = l.account_keys as Record<keyof MemberAccountInput, string>
  // `if account[attribute] != null`: an attribute left out or set to null is not written.
  const set = (account: MemberAccountInput) => (Object.keys(keys) as (keyof MemberAccountInput)[]).filter((attribute) => account[attribute] != null)
  return {
    accounts: [
      ...(variables.member_accounts ?? []).map((account) => Object.fromEntries(set(account).map((attribute) => [keys[attribute], account[attribute]]))),
      ...(variables.member_role_arns ?? []).map((arn) => ({roleArn: arn})),
    ],
  }
}

/** The main module's top-level selection variables, and the VPCSC_* variable each becomes (local.environment). */
export const SELECTION_ENV = {regions: 'VPCSC_REGIONS', nat_tags: 'VPCSC_NAT_TAGS', vpcs: 'VPCSC_VPCS', nat_gateways: 'VPCSC_NAT_GATEWAYS', keep: 'VPCSC_KEEP'} as const
export type SelectionInput = {[K in keyof typeof SELECTION_ENV]?: (string | null)[] | null}

/**
 * The function's environment for these top-level variables (local.environment): each list
 * joined with commas, an empty one left out (`if value != null && value != ""`). null is
 * the default, [] (nullable = false).
 */
export function shippedEnvironment(main: Hcl, variables: SelectionInput): Record<string, string> {
  const environment = locals(main).environment as Record<string, string>
  const env: Record<string, string> = {}
  for (const [variable, name] of Object.entries(SELECTION_ENV) as [keyof typeof SELECTION_ENV, string][]) {
    if (environment[name] !== `\${join(",", var.${variable})}`) throw new Error(`local.environment.${name} is not join(",", var.${variable}): ${environment[name]}`)
    const text = (variables[variable] ?? []).join(',')
    if (text !== '') env[name] = text
  }
  return env
}

/** What `terraform plan` said: its exit code and its error diagnostics (detail without Terraform's "This was checked by ..." line). */
export interface PlanResult {
  code: number
  errors: {summary: string; detail: string}[]
}

/**
 * The real terraform on a copy of the module's variables.tf alone, in a folder of its own:
 * no provider, backend or network is needed to evaluate variables and their validation
 * blocks, which `terraform plan` does before anything else. Only variable blocks are in
 * variables.tf (a test checks it), so the copy holds every rule the module has for them.
 * Nothing of the user's Terraform set-up is read: no CLI config file, no TF_* variable.
 */
export class VariablesPlan {
  readonly dir = mkdtempSync(join(tmpdir(), 'vpcsc-tf-variables-'))
  private runs = 0
  private readonly env: NodeJS.ProcessEnv

  constructor() {
    copyFileSync(join(MODULE, 'variables.tf'), join(this.dir, 'variables.tf'))
    writeFileSync(join(this.dir, 'terraformrc'), '')
    const own = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TF_') && name !== 'CHECKPOINT_DISABLE'))
    this.env = {...own, TF_CLI_CONFIG_FILE: join(this.dir, 'terraformrc'), TF_DATA_DIR: join(this.dir, '.terraform'), TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1'}
  }

  /** `terraform version`, or an error saying the tests need terraform on PATH. */
  async version(): Promise<string> {
    const {code, stdout, stderr} = await this.terraform(['version', '-json'])
    if (code !== 0) throw new Error(`terraform version failed (${code}): ${stderr}`)
    return (JSON.parse(stdout) as {terraform_version: string}).terraform_version
  }

  /** `terraform plan` with these variables (the module's required ones are added). */
  async plan(variables: Record<string, unknown>): Promise<PlanResult> {
    const file = join(this.dir, `${++this.runs}.tfvars.json`)
    writeFileSync(file, JSON.stringify({policy: '555000111222', level: 'vpcsc_allow_ec2_ip', google_project_number: '123456789012', workload_identity_pool_id: 'vpcsc-aws-pool', ...variables}))
    const {code, stdout, stderr} = await this.terraform(['plan', '-json', '-input=false', '-lock=false', `-var-file=${file}`])
    const lines = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as {type: string; diagnostic?: {severity: string; summary: string; detail: string}})
    const errors = lines.flatMap((line) => (line.type === 'diagnostic' && line.diagnostic!.severity === 'error' ? [line.diagnostic!] : []))
    if (code !== 0 && errors.length === 0) throw new Error(`terraform plan failed (${code}) without a diagnostic: ${stderr}${stdout}`)
    return {code, errors: errors.map(({summary, detail}) => ({summary, detail: detail.replace(/\n\nThis was checked by the validation rule at [^\n]*$/, '')}))}
  }

  remove(): void {
    rmSync(this.dir, {recursive: true, force: true})
  }

  private terraform(args: string[]): Promise<{code: number; stdout: string; stderr: string}> {
    return new Promise((resolve, reject) => {
      execFile('terraform', args, {cwd: this.dir, env: this.env, timeout: 60_000}, (error, stdout, stderr) => {
        if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
          reject(new Error('These tests run the terraform CLI (1.5 or later; no provider or network needed): put terraform on PATH.'))
          return
        }
        resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr})
      })
    })
  }
}
