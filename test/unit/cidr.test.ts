import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {canonicalCidrText, CidrError, cidrContains, hostCidr, isDocumentationRange, MAX_SUBNETWORKS, parseCidr} from '../../src/lib/level/cidr.ts'

/** Asserts that parseCidr refuses the input with a CidrError whose message matches. */
function refuses(input: string, reason: RegExp): void {
  assert.throws(
    () => parseCidr(input),
    (error: unknown) => {
      assert.ok(error instanceof CidrError, `expected a CidrError for ${JSON.stringify(input)}, got ${String(error)}`)
      assert.equal(error.input, input)
      assert.ok(error.message.includes(`"${input}"`), `message names the input: ${error.message}`)
      assert.match(error.message, reason)
      return true
    },
    `parseCidr(${JSON.stringify(input)}) should throw`,
  )
}

describe('parseCidr canonicalisation', () => {
  it('turns a bare IPv4 address into a /32', () => {
    const cidr = parseCidr('203.0.113.10')
    assert.equal(cidr.text, '203.0.113.10/32')
    assert.equal(cidr.prefix, 32)
    assert.equal(cidr.version, 4)
    assert.equal(cidr.address.toString(), '203.0.113.10')
  })

  it('turns a bare IPv6 address into a /128', () => {
    const cidr = parseCidr('2001:db8::1')
    assert.equal(cidr.text, '2001:db8::1/128')
    assert.equal(cidr.prefix, 128)
    assert.equal(cidr.version, 6)
  })

  it('writes upper-case and uncompressed IPv6 compressed and lower-case', () => {
    assert.equal(parseCidr('2001:DB8::/32').text, '2001:db8::/32')
    assert.equal(parseCidr('2001:0DB8:0000:0000:0000:0000:0000:0000/32').text, '2001:db8::/32')
    assert.equal(parseCidr('2600:1F18:0:0:0:0:0:AB/128').text, '2600:1f18::ab/128')
    assert.equal(parseCidr('2001:DB8:0::1').text, '2001:db8::1/128')
  })

  it('trims surrounding whitespace', () => {
    assert.equal(parseCidr('  8.8.8.8/32 ').text, '8.8.8.8/32')
    assert.equal(parseCidr('\t198.51.100.0/24\n').text, '198.51.100.0/24')
    assert.equal(parseCidr(' 2001:db8::/32 ').text, '2001:db8::/32')
  })

  it('keeps an explicit prefix', () => {
    const cidr = parseCidr('198.51.100.0/24')
    assert.equal(cidr.text, '198.51.100.0/24')
    assert.equal(cidr.prefix, 24)
  })
})

describe('parseCidr accepts public ranges', () => {
  for (const [input, text] of [
    ['203.0.113.10', '203.0.113.10/32'],
    ['198.51.100.0/24', '198.51.100.0/24'],
    ['8.8.8.8/32', '8.8.8.8/32'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['2600:1f18::/32', '2600:1f18::/32'],
    ['192.0.2.1/32', '192.0.2.1/32'],
  ] as const) {
    it(`accepts ${input}`, () => {
      assert.equal(parseCidr(input).text, text)
    })
  }
})

describe('parseCidr refuses host bits', () => {
  it('names the network the user probably meant (192.0.2.1/24 -> 192.0.2.0/24)', () => {
    refuses('192.0.2.1/24', /host bits/)
    assert.throws(() => parseCidr('192.0.2.1/24'), /192\.0\.2\.0\/24/)
  })

  it('does the same for IPv6 (2001:db8::1/32 -> 2001:db8::/32)', () => {
    refuses('2001:db8::1/32', /host bits/)
    assert.throws(() => parseCidr('2001:db8::1/32'), /2001:db8::\/32/)
  })

  it('accepts the same range with zero host bits', () => {
    assert.equal(parseCidr('192.0.2.0/24').text, '192.0.2.0/24')
  })
})

describe('parseCidr refuses ranges that are not public egress', () => {
  const cases: [string, RegExp][] = [
    ['10.0.0.0/8', /private \(RFC 1918\)/],
    ['172.16.5.0/24', /private \(RFC 1918\)/],
    ['192.168.1.1', /private \(RFC 1918\)/],
    ['127.0.0.1', /loopback/],
    ['169.254.1.1', /link-local/],
    ['224.0.0.1', /multicast/],
    ['0.0.0.0/0', /every address/],
    ['::/0', /every address/],
    ['100.64.0.1', /carrier-grade NAT/],
    // A wide range that merely overlaps refused ones (it covers 172.16.0.0/12, 192.168.0.0/16
    // and the broadcast address); the message names the first it finds.
    ['128.0.0.0/1', /in or overlaps the (private \(RFC 1918\)|broadcast|multicast|carrier-grade NAT \(RFC 6598\)) range/],
    ['172.0.0.0/8', /in or overlaps the private \(RFC 1918\) range/],
    ['fd12:3456:789a::1', /unique local/],
    ['fc00::/7', /unique local/],
    ['fe80::1', /link-local/],
    ['::1', /loopback/],
    ['::ffff:1.2.3.4', /IPv4-mapped/],
    ['255.255.255.255', /broadcast/],
  ]
  for (const [input, reason] of cases) {
    it(`refuses ${input}`, () => {
      refuses(input, reason)
      assert.throws(() => parseCidr(input), /only public egress addresses belong in an access level/)
    })
  }
})

describe('parseCidr refuses garbage', () => {
  for (const input of ['', '   ', 'abc', '1.2.3.4/33', '1.2.3.4/-1', '1.2.3.4/', '/24', '1.2.3.4/32/1', '2001:db8::/129', '1.2.3.4.5', 'not a cidr/24']) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      refuses(input, /is not an IPv4 or IPv6 address or CIDR range/)
    })
  }

  it('refuses IPv4 shorthand that ipaddr.js would read as another address', () => {
    // ipaddr.js's IPv4.parse accepts legacy inet_aton forms: "203.0.113" is 203.0.0.113,
    // "198.51.100.010" is 198.51.100.8 (octal), "3405803786" is 203.0.113.10. A typo in
    // --keep must not silently put a different address into the allowlist.
    for (const input of ['203.0.113', '203.113', '198.51.100.010', '198.51.100.010/32', '3405803786', '0xcb.0.113.10']) {
      assert.throws(() => parseCidr(input), CidrError, `${input} should be refused, got ${(() => {
        try {
          return parseCidr(input).text
        } catch {
          return 'an error'
        }
      })()}`)
    }
  })

  it('refuses an IPv6 zone id without claiming host bits are set', () => {
    // "2600:1f18::ab%eth0" is refused today as "has host bits set; the range is
    // 2600:1f18::ab/128", which names the input's own address as the fix.
    for (const input of ['2600:1f18::ab%eth0', '2600:1f18::ab%1/128', 'fe80::1%eth0']) {
      assert.throws(
        () => parseCidr(input),
        (error: unknown) => error instanceof CidrError && !/host bits/.test(error.message),
        `${input}: a zone id is not a host-bits problem`,
      )
    }
  })

  it('throws CidrError, not a raw ipaddr.js error', () => {
    assert.throws(() => parseCidr('300.1.1.1'), CidrError)
  })
})

describe('cidrContains', () => {
  it('holds addresses inside the range and not outside', () => {
    const range = parseCidr('198.51.100.0/24')
    assert.equal(cidrContains(range, '198.51.100.0'), true)
    assert.equal(cidrContains(range, '198.51.100.255'), true)
    assert.equal(cidrContains(range, '198.51.101.0'), false)
  })

  it('a /32 holds exactly its address', () => {
    const host = parseCidr('203.0.113.10/32')
    assert.equal(cidrContains(host, '203.0.113.10'), true)
    assert.equal(cidrContains(host, '203.0.113.11'), false)
  })

  it('works for IPv6', () => {
    const range = parseCidr('2001:db8::/32')
    assert.equal(cidrContains(range, '2001:db8:ffff::1'), true)
    assert.equal(cidrContains(range, '2001:DB8::1'), true)
    assert.equal(cidrContains(range, '2001:db9::1'), false)
  })

  it('never matches across families', () => {
    assert.equal(cidrContains(parseCidr('2001:db8::/32'), '203.0.113.10'), false)
    assert.equal(cidrContains(parseCidr('203.0.113.0/24'), '2001:db8::1'), false)
    assert.equal(cidrContains(parseCidr('2600:1f18::/32'), '8.8.8.8'), false)
  })

  it('treats an IPv4-mapped IPv6 address as the IPv4 address', () => {
    assert.equal(cidrContains(parseCidr('203.0.113.0/24'), '::ffff:203.0.113.5'), true)
  })

  it('reads an IPv6 address with a dotted tail as the address it says (::1.2.3.4 is ::102:304, not IPv4-mapped)', () => {
    assert.equal(parseCidr('::1.2.3.4/128').text, '::102:304/128')
    assert.equal(parseCidr('::1.2.3.4').text, parseCidr('::102:304').text)
    assert.equal(parseCidr('2001:db8::198.51.100.7').text, '2001:db8::c633:6407/128')
    refuses('::ffff:1.2.3.4/128', /IPv4-mapped/)
    assert.equal(cidrContains(parseCidr('203.0.113.0/24'), '::203.0.113.5'), false)
    assert.equal(hostCidr('::1.2.3.4').text, '::102:304/128')
    assert.equal(canonicalCidrText('::1.2.3.4/128'), '::102:304/128')
  })
})

describe('hostCidr', () => {
  it('makes a /32 of an IPv4 address', () => {
    const cidr = hostCidr('203.0.113.10')
    assert.equal(cidr.text, '203.0.113.10/32')
    assert.equal(cidr.version, 4)
  })

  it('makes a compressed lower-case /128 of an IPv6 address', () => {
    const cidr = hostCidr('2600:1F18:0000::AB')
    assert.equal(cidr.text, '2600:1f18::ab/128')
    assert.equal(cidr.version, 6)
  })

  it('writes an IPv4-mapped IPv6 address as its IPv4 /32', () => {
    assert.equal(hostCidr('::ffff:203.0.113.10').text, '203.0.113.10/32')
  })

  it('refuses private and loopback addresses like parseCidr', () => {
    assert.throws(() => hostCidr('10.0.1.5'), CidrError)
    assert.throws(() => hostCidr('127.0.0.1'), /loopback/)
    assert.throws(() => hostCidr('::1'), /loopback/)
  })

  it('refuses something that is not an address', () => {
    assert.throws(() => hostCidr('nat-0abc'))
  })
})

describe('isDocumentationRange', () => {
  for (const input of ['192.0.2.1/32', '192.0.2.0/24', '198.51.100.7/32', '203.0.113.10/32', '2001:db8::1/128', '2001:db8::/32']) {
    it(`${input} is a documentation range`, () => {
      assert.equal(isDocumentationRange(parseCidr(input)), true)
    })
  }
  for (const input of ['8.8.8.8/32', '192.0.3.1/32', '198.51.101.0/24', '2600:1f18::/32', '2001:db9::/32']) {
    it(`${input} is not a documentation range`, () => {
      assert.equal(isDocumentationRange(parseCidr(input)), false)
    })
  }

  it('a range wider than TEST-NET that covers it does not count: it holds real addresses too', () => {
    assert.equal(isDocumentationRange(parseCidr('192.0.0.0/16')), false)
    assert.equal(isDocumentationRange(parseCidr('203.0.113.128/25')), true)
  })
})

describe('canonicalCidrText', () => {
  it('canonicalises what parses', () => {
    assert.equal(canonicalCidrText('2001:DB8::/32'), '2001:db8::/32')
    assert.equal(canonicalCidrText('2001:0db8:0:0::/32'), '2001:db8::/32')
    assert.equal(canonicalCidrText(' 203.0.113.10/32 '), '203.0.113.10/32')
  })

  it('keeps what vpcsc would refuse, so the level can still be shown and diffed', () => {
    assert.equal(canonicalCidrText('10.0.0.0/8'), '10.0.0.0/8')
    assert.equal(canonicalCidrText('192.0.2.1/24'), '192.0.2.1/24')
  })

  it('never throws, and returns garbage trimmed', () => {
    for (const input of ['', 'abc', '1.2.3.4/33', '1.2.3.4/-1', '::::', '  junk  ']) {
      assert.doesNotThrow(() => canonicalCidrText(input))
    }
    assert.equal(canonicalCidrText('  junk  '), 'junk')
    assert.equal(canonicalCidrText(''), '')
  })
})

describe('MAX_SUBNETWORKS', () => {
  it('is the API limit of 200 values per list', () => {
    assert.equal(MAX_SUBNETWORKS, 200)
  })
})

describe('the host-bits hint suggests only ranges that pass', () => {
  /** The ranges the hint names, each checked against parseCidr itself. */
  function suggestions(input: string): {message: string; passing: string[]} {
    try {
      parseCidr(input)
    } catch (error) {
      assert.ok(error instanceof CidrError, String(error))
      assert.match(error.message, /host bits set/)
      const named = [...error.message.slice(`"${input}"`.length).matchAll(/[0-9a-f.:]+\/[0-9]+/g)].map((m) => m[0])
      const passing = named.filter((text) => {
        try {
          parseCidr(text)
          return true
        } catch {
          return false
        }
      })
      return {message: error.message, passing}
    }
    throw new Error(`${input} was accepted`)
  }

  const cases: [input: string, suggested: string[], notSuggested: string[]][] = [
    // the range the prefix names overlaps the unspecified address: only the one address passes
    ['8.0.0.0/4', ['8.0.0.0/32'], []],
    ['2001:db8::1/0', ['2001:db8::1/128'], []],
    // both pass: the range first, the one address as the alternative
    ['192.0.2.1/24', ['192.0.2.0/24', '192.0.2.1/32'], []],
    ['198.51.100.7/16', ['198.51.0.0/16', '198.51.100.7/32'], []],
    ['2001:db8::1/32', ['2001:db8::/32', '2001:db8::1/128'], []],
    ['203.0.113.7/8', ['203.0.0.0/8', '203.0.113.7/32'], []],
    // a private address: nothing around it may be admitted, and nothing is suggested as passing
    ['10.1.2.3/8', [], ['10.0.0.0/8', '10.1.2.3/32']],
    ['fd00::1/8', [], ['fd00::/8', 'fd00::1/128']],
    // a public address whose range covers a private one: the address only
    ['11.0.0.1/6', ['11.0.0.1/32'], []],
  ]
  for (const [input, suggested, notSuggested] of cases) {
    it(`${input}: ${suggested.length > 0 ? `suggests ${suggested.join(' and ')}` : 'suggests nothing'}`, () => {
      const {message, passing} = suggestions(input)
      assert.deepEqual(passing, suggested, message)
      for (const text of notSuggested) assert.ok(message.includes(`neither its range ${text}`) || message.includes(`nor the address ${text}`), message)
      // every range the message offers as a choice passes validation
      for (const offered of [...message.matchAll(/(?:the range is|the one address(?: is)?) ([0-9a-f.:]+\/[0-9]+)/g)].map((m) => m[1]!)) {
        assert.doesNotThrow(() => parseCidr(offered), `${offered} offered by: ${message}`)
      }
    })
  }

  it('names the refused range as refused, not as the answer (8.0.0.0/4)', () => {
    assert.throws(() => parseCidr('8.0.0.0/4'), /its range 0\.0\.0\.0\/4 is refused too; the one address is 8\.0\.0\.0\/32/)
  })
})
