import ipaddr from 'ipaddr.js'

/**
 * CIDR handling for access-level IP subnetworks. All IP math is ipaddr.js's; this module
 * only decides what vpcsc accepts and how a CIDR is written canonically, so that two
 * spellings of one range ("2001:DB8::/32", "2001:db8:0::/32") compare equal.
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6

export interface Cidr {
  /** Canonical text: lower-case, compressed IPv6, explicit prefix. */
  readonly text: string
  readonly address: Address
  readonly prefix: number
  readonly version: 4 | 6
}

/** The largest list Access Context Manager accepts in one attribute. */
export const MAX_SUBNETWORKS = 200

/**
 * Ranges an access level must not hold: they are not public egress addresses, and the
 * API rejects private ranges (they belong in vpcNetworkSources). A CIDR that merely
 * overlaps one (128.0.0.0/1 covers 172.16.0.0/12) is refused too.
 */
const REFUSED_RANGES: Record<4 | 6, readonly string[]> = {
  4: ['unspecified', 'private', 'carrierGradeNat', 'loopback', 'linkLocal', 'multicast', 'broadcast'],
  6: ['unspecified', 'linkLocal', 'multicast', 'loopback', 'uniqueLocal', 'ipv4Mapped'],
}

const RANGE_WORDS: Record<string, string> = {
  unspecified: 'the unspecified address',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT (RFC 6598)',
  private: 'private (RFC 1918)',
  uniqueLocal: 'unique local (private IPv6)',
  ipv4Mapped: 'IPv4-mapped IPv6',
}

/** RFC 5737 / RFC 3849 documentation ranges: they match no real caller. */
const DOCUMENTATION_RANGES = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32'].map((c) =>
  ipaddr.parseCIDR(c),
)

export class CidrError extends Error {
  readonly input: string
  constructor(input: string, reason: string) {
    super(`"${input}" ${reason}`)
    this.name = 'CidrError'
    this.input = input
  }
}

/**
 * ipaddr.js reads an IPv6 address that ends in dotted IPv4 as IPv4-mapped, whatever its
 * first 96 bits: `::1.2.3.4` (IPv4-compatible, ::102:304) comes out as ::ffff:1.2.3.4. One
 * address would then get two verdicts depending on how it is typed (and another than
 * Terraform's cidrhost gives it). The dotted tail is written as its two hex groups before
 * parsing, so the address is the one the text says.
 */
function hexTail(text: string): string {
  const match = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})(\/\d+)?$/.exec(text)
  if (!match || !ipaddr.IPv4.isValidFourPartDecimal(match[2]!)) return text
  const [a, b, c, d] = match[2]!.split('.').map(Number) as [number, number, number, number]
  return `${match[1]}${(a * 256 + b).toString(16)}:${(c * 256 + d).toString(16)}${match[3] ?? ''}`
}

/** An IP address as ipaddr.js processes it (IPv4-mapped IPv6 as IPv4), its dotted tail read right (hexTail). */
export function parseIp(text: string): Address {
  return ipaddr.process(hexTail(text))
}

/**
 * Parses and validates one CIDR (a bare address means /32 or /128). Throws CidrError
 * with the reason and, for host bits, the range the user probably meant.
 */
export function parseCidr(input: string): Cidr {
  const raw = hexTail(input.trim())
  let address: Address
  let prefix: number
  const addressPart = raw.split('/')[0] ?? ''
  // ipaddr.js also reads old IPv4 shorthands ("203.0.113" is 203.0.0.113, "010" is octal)
  // and IPv6 zone ids: each would put an address nobody typed into an allowlist.
  if (addressPart.includes('%') || (!addressPart.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(addressPart))) {
    throw new CidrError(input, 'is not an IPv4 or IPv6 address or CIDR range (expected e.g. 203.0.113.10/32)')
  }
  try {
    if (raw.includes('/')) {
      ;[address, prefix] = ipaddr.parseCIDR(raw)
    } else {
      address = ipaddr.parse(raw)
      prefix = address.kind() === 'ipv4' ? 32 : 128
    }
  } catch {
    throw new CidrError(input, 'is not an IPv4 or IPv6 address or CIDR range (expected e.g. 203.0.113.10/32)')
  }
  const version = address.kind() === 'ipv4' ? 4 : 6
  const network = networkOf(address, prefix)
  if (network.toString() !== address.toString()) {
    throw new CidrError(input, hostBitsReason(address, network, prefix))
  }
  const refused = refusedRangeReason(address, prefix)
  if (refused) throw new CidrError(input, refused)
  return {text: `${address.toString()}/${prefix}`, address, prefix, version}
}

function refusedRangeReason(address: Address, prefix: number): string | undefined {
  for (const rangeName of REFUSED_RANGES[address.kind() === 'ipv4' ? 4 : 6]) {
    if (overlapsSpecialRange(address, prefix, rangeName)) {
      return `is ${prefix === 0 ? 'every address' : `in or overlaps the ${RANGE_WORDS[rangeName]} range`}: only public egress addresses belong in an access level`
    }
  }
  return undefined
}

/**
 * Host bits set: suggest only what would itself be accepted. The range the prefix names
 * (8.0.0.0/4 -> 0.0.0.0/4) may overlap a refused range while the one address does not,
 * or the reverse; a hint that is refused in turn only sends the user round in circles.
 */
function hostBitsReason(address: Address, network: Address, prefix: number): string {
  const range = `${network.toString()}/${prefix}`
  const single = `${address.toString()}/${address.kind() === 'ipv4' ? 32 : 128}`
  const rangeRefused = refusedRangeReason(network, prefix)
  const singleRefused = refusedRangeReason(address, address.kind() === 'ipv4' ? 32 : 128)
  // A range that passes holds only addresses that pass, the given one included.
  if (!rangeRefused) return `has host bits set; the range is ${range}, or the one address ${single}`
  if (!singleRefused) return `has host bits set, and its range ${range} is refused too; the one address is ${single}`
  return `has host bits set, and neither its range ${range} nor the address ${single} may be admitted: the address ${singleRefused}`
}

function networkOf(address: Address, prefix: number): Address {
  return address.kind() === 'ipv4'
    ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${prefix}`)
    : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${prefix}`)
}

function overlapsSpecialRange(address: Address, prefix: number, rangeName: string): boolean {
  // ipaddr.js keeps its range table on the prototype; its typings do not declare it.
  const table = ((address.kind() === 'ipv4' ? ipaddr.IPv4 : ipaddr.IPv6).prototype as unknown as {SpecialRanges: unknown}).SpecialRanges as Record<
    string,
    [Address, number] | [Address, number][]
  >
  const entry = table[rangeName]
  if (!entry) return false
  const ranges = (Array.isArray(entry[0]) ? entry : [entry]) as [Address, number][]
  return ranges.some(([rangeAddress, rangePrefix]) => overlaps([address, prefix], [rangeAddress, rangePrefix]))
}

/** Two CIDRs of one family overlap exactly when one contains the other's network. */
function overlaps(a: [Address, number], b: [Address, number]): boolean {
  if (a[0].kind() !== b[0].kind()) return false
  return contains(a, b[0]) || contains(b, a[0])
}

function contains([network, prefix]: [Address, number], address: Address): boolean {
  if (network.kind() !== address.kind()) return false
  return (address as ipaddr.IPv4).match(network as ipaddr.IPv4, prefix)
}

/** Whether the CIDR admits the address (an IP string; families never match). */
export function cidrContains(cidr: Cidr, ip: string): boolean {
  return contains([cidr.address, cidr.prefix], parseIp(ip))
}

/** A single address as the one-host CIDR the access level holds (/32 or /128). */
export function hostCidr(ip: string): Cidr {
  return parseCidr(parseIp(ip).toString())
}

/** Whether the whole CIDR lies inside a documentation range (a wider one holds real addresses too). */
export function isDocumentationRange(cidr: Cidr): boolean {
  return DOCUMENTATION_RANGES.some(([address, prefix]) => cidr.prefix >= prefix && contains([address, prefix], cidr.address))
}

/**
 * Canonical text for comparing what the API holds: never throws, so that a level
 * holding something vpcsc would refuse can still be shown and diffed.
 */
export function canonicalCidrText(input: string): string {
  try {
    const text = hexTail(input.trim())
    if (!text.includes('/')) {
      const address = ipaddr.parse(text)
      return `${address.toString()}/${address.kind() === 'ipv4' ? 32 : 128}`
    }
    const [address, prefix] = ipaddr.parseCIDR(text)
    return `${address.toString()}/${prefix}`
  } catch {
    return input.trim()
  }
}
