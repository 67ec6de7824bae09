// The Terraform module (deploy/terraform) as the tests read it: there is no terraform binary
// here, so it is parsed (HCL to JSON, @cdktf/hcl2json), and the one expression whose value
// the function depends on, the config file it ships, is evaluated here (after checking it is
// the expression this evaluates).
import {readdirSync, readFileSync} from 'node:fs'
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

/** One entry of the main module's member_accounts variable, as Terraform names its attributes. */
export type MemberAccountInput = {role_arn: string; external_id?: string; regions?: string[]; nat_tags?: string[]; vpcs?: string[]; nat_gateways?: string[]}

/** The expression of local.member_accounts that shippedConfig evaluates. */
export const MEMBER_ACCOUNTS_EXPRESSION =
  '${concat([for account in var.member_accounts : { for attribute, key in local.account_keys : key => account[attribute] if account[attribute] != null }], [for arn in var.member_role_arns : { roleArn = arn }],)}'

const squash = (text: string) => text.replace(/\s+/g, '')

/**
 * The config file the main module ships in the package (local.vpcsc_config) for these
 * variables: each member_accounts entry's attributes that are set, under their config keys
 * (local.account_keys), then a {roleArn} per member_role_arns entry.
 */
export function shippedConfig(main: Hcl, variables: {member_accounts?: MemberAccountInput[]; member_role_arns?: string[]}): {accounts: Record<string, unknown>[]} {
  const l = locals(main)
  if (squash(String(l.member_accounts)) !== squash(MEMBER_ACCOUNTS_EXPRESSION)) throw new Error(`local.member_accounts is not the expression shippedConfig evaluates: ${l.member_accounts}`)
  if (JSON.stringify(l.vpcsc_config) !== JSON.stringify({accounts: '${local.member_accounts}'})) throw new Error(`local.vpcsc_config is not {accounts = local.member_accounts}: ${JSON.stringify(l.vpcsc_config)}`)
  const keys = l.account_keys as Record<keyof MemberAccountInput, string>
  const set = (account: MemberAccountInput) => (Object.keys(keys) as (keyof MemberAccountInput)[]).filter((attribute) => account[attribute] !== undefined)
  return {
    accounts: [
      ...(variables.member_accounts ?? []).map((account) => Object.fromEntries(set(account).map((attribute) => [keys[attribute], account[attribute]]))),
      ...(variables.member_role_arns ?? []).map((arn) => ({roleArn: arn})),
    ],
  }
}
