import {CidrError, isDocumentationRange, parseCidr} from '../level/cidr.ts'

/**
 * The deny test's swap address. Only RFC 5737 TEST-NET ranges: they match no real caller,
 * so a level holding one admits nobody. The rule is one of the settings' checks
 * (core/config.ts), so a bad value is named with its source, with every other problem,
 * before any call.
 */

export const DEFAULT_DENY_CIDR = '192.0.2.1/32'

export const DENY_CIDR_HINT = `Use ${DEFAULT_DENY_CIDR}, or another address in 192.0.2.0/24, 198.51.100.0/24 or 203.0.113.0/24 (RFC 5737 TEST-NET).`

/** Why the text cannot be the swap address, or undefined when it can. */
export function denyCidrProblem(text: string): string | undefined {
  try {
    const cidr = parseCidr(text)
    if (cidr.version === 4 && isDocumentationRange(cidr)) return undefined
  } catch (error) {
    if (error instanceof CidrError) return error.message
    throw error
  }
  return `"${text}" is not in a TEST-NET range (RFC 5737): it could admit a real caller`
}
