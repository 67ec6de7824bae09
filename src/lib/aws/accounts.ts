import {UsageError} from '../core/errors.ts'

/**
 * Member accounts: the AWS accounts besides the caller's own whose NAT gateways count,
 * each read through a role that vpcsc assumes (sts:AssumeRole). Pure: parsing and the
 * per-account NAT selection; the calls are in nat.ts.
 */

export interface NatTag {
  key: string
  value: string
}

export interface MemberAccount {
  roleArn: string
  accountId: string
  /** The role's name, without its path: what status shows. */
  roleName: string
  externalId?: string
  /** Per-account selection: each key given replaces the top-level one for this account. */
  regions?: string[]
  natGatewayIds?: string[]
  natTags?: NatTag[]
  vpcIds?: string[]
}

/** Which account a gateway (or an unreadable source) belongs to, as results carry it. */
export interface AccountRef {
  /** 12 digits; undefined only when the caller's own id could not be looked up. */
  id?: string
  /** The assumed role's name; absent for the caller's own account. */
  roleName?: string
}

// Role names and path segments: IAM's own character set (letters, digits, +=,.@_-).
const ROLE_ARN = /^arn:(aws|aws-us-gov|aws-cn):iam::([0-9]{12}):role\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]{1,64})$/

export const ROLE_ARN_EXAMPLE = 'arn:aws:iam::123456789012:role/vpcsc-reader'

/** The parts of an IAM role ARN, or undefined when the text is not one (partitions aws, aws-us-gov, aws-cn). */
export function parseRoleArn(text: string): {partition: string; accountId: string; roleName: string} | undefined {
  const match = ROLE_ARN.exec(text.trim())
  return match ? {partition: match[1]!, accountId: match[2]!, roleName: match[4]!} : undefined
}

/**
 * A member account from a role ARN; `source` names where the ARN came from (a flag, an
 * environment variable, a config field) so the error points there.
 */
export function memberAccount(roleArn: string, source: string, rest: Omit<MemberAccount, 'roleArn' | 'accountId' | 'roleName'> = {}): MemberAccount {
  const parsed = parseRoleArn(roleArn)
  if (!parsed) {
    throw new UsageError({message: `${source}: "${roleArn}" is not an IAM role ARN.`, hint: `Give arn:PARTITION:iam::ACCOUNT_ID:role/NAME (partition aws, aws-us-gov or aws-cn), e.g. ${ROLE_ARN_EXAMPLE}.`})
  }
  return {roleArn: roleArn.trim(), accountId: parsed.accountId, roleName: parsed.roleName, ...rest}
}

/** The same role listed twice is read once (the first entry wins). */
export function uniqueAccounts(accounts: MemberAccount[]): MemberAccount[] {
  const seen = new Set<string>()
  return accounts.filter((a) => (seen.has(a.roleArn) ? false : (seen.add(a.roleArn), true)))
}

/** "111111111111 (vpcsc-reader)", or "own account 123456789012" for the caller's. */
export function describeAccount(account: AccountRef): string {
  if (account.roleName) return `account ${account.id ?? '?'} (role ${account.roleName})`
  return `own account${account.id ? ` ${account.id}` : ''}`
}

/** A NAT source, account and region: "account 111111111111 (role vpcsc-reader) in eu-west-1". */
export function describeSource(source: {account: AccountRef; region?: string}): string {
  return `${describeAccount(source.account)}${source.region ? ` in ${source.region}` : ''}`
}

/** Compact: "123456789012", or "111111111111 vpcsc-reader" for an assumed role's account. */
export function accountLabel(account: AccountRef): string {
  return [account.id ?? 'own', account.roleName].filter(Boolean).join(' ')
}
