import ipaddr from 'ipaddr.js'

import {canonicalCidrText, cidrContains, type Cidr} from './cidr.ts'
import type {TerraformDrift} from './tfvars.ts'

/**
 * Drift between the access level and the NAT gateways: what `status` reports and
 * `status --check` turns into exit code 3. Pure.
 */

export interface Drift {
  /** NAT egress IPs that no CIDR of the level admits: those callers are denied. */
  missing: string[]
  /** CIDRs of the level that match no NAT egress IP and are not kept on purpose. */
  stale: string[]
  /**
   * Stale CIDRs that are the deny CIDR of a known deny test (its journal's, or the configured
   * one): the mark of an interrupted test. Any other TEST-NET range is only stale: a NAT
   * address of a lab or a seed (203.0.113.10) is one too, and was never a deny CIDR.
   */
  testNet: string[]
  /** CIDRs kept on purpose (--keep) that the level does not hold: ip sync adds them. */
  unkept: string[]
  /** With --tfvars: whether terraform apply would put another list into the level. */
  terraform?: TerraformDrift
  inSync: boolean
}

/** A CIDR as the level holds it, parsed without vpcsc's own refusals (undefined: unparsable). */
export function tryCidr(text: string): Cidr | undefined {
  try {
    const [address, prefix] = ipaddr.parseCIDR(canonicalCidrText(text))
    return {text, address, prefix, version: address.kind() === 'ipv4' ? 4 : 6}
  } catch {
    return undefined
  }
}

export function computeDrift(levelCidrs: string[], egressIps: string[], keep: Cidr[], denyCidrs: string[] = []): Drift {
  const parsed = levelCidrs.map((text) => ({text, cidr: tryCidr(text)}))
  const missing = egressIps.filter((ip) => !parsed.some(({cidr}) => cidr && cidrContains(cidr, ip)))
  const same = (a: Cidr, b: Cidr) => a.address.kind() === b.address.kind() && a.prefix === b.prefix && a.address.toString() === b.address.toString()
  const isKept = (cidr: Cidr) => keep.some((k) => same(k, cidr))
  const matchesNoNat = (cidr: Cidr | undefined) => !cidr || !egressIps.some((ip) => cidrContains(cidr, ip))
  const stale = parsed.filter(({cidr}) => matchesNoNat(cidr) && !(cidr && isKept(cidr))).map((p) => p.text)
  const deny = new Set(denyCidrs.map((text) => tryCidr(text)).filter((c) => c !== undefined).map((c) => `${c.address.toString()}/${c.prefix}`))
  const testNet = parsed.filter(({cidr}) => cidr && matchesNoNat(cidr) && !isKept(cidr) && deny.has(`${cidr.address.toString()}/${cidr.prefix}`)).map((p) => p.text)
  const unkept = keep.filter((k) => !parsed.some(({cidr}) => cidr && same(cidr, k))).map((k) => k.text)
  return {missing, stale, testNet, unkept, inSync: missing.length === 0 && stale.length === 0 && unkept.length === 0}
}
