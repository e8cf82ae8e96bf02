// Where probes may send requests: http(s) only, and never to loopback, link-local or cloud-metadata addresses unless
// an operator allows them (--probe-allow). Checked on the URL at validation and again on every address a name
// resolves to at request time (the http agent's `lookup`), so DNS rebinding cannot slip past the first check.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ConfigError, ErisError } from '../../lib/errors.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** A probe destination the policy refuses; the message names the address, why, and how to allow it. */
export class ProbePolicyError extends ErisError {
  override readonly code = 'ERIS_ERR_PROBE_POLICY';
  override readonly status = 422;
}

/** Categories refused unless allowed. */
export const REFUSED_KINDS = ['metadata', 'loopback', 'link-local', 'unspecified'] as const;
export type RefusedKind = (typeof REFUSED_KINDS)[number];

/**
 * Cloud instance-metadata endpoints (AWS, GCP, Azure, OpenStack, DigitalOcean: 169.254.169.254; AWS IPv6
 * fd00:ec2::254; Alibaba 100.100.100.200; Oracle 192.0.0.192) and the names that lead there. Refused even when a
 * CIDR or keyword allows their range: only an allow entry naming the address or host itself opens one.
 */
const METADATA_ADDRESSES = ['169.254.169.254', 'fd00:ec2::254', '100.100.100.200', '192.0.0.192'].map((a) => ipaddr.parse(a));
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

/** Keywords an allow list may use for whole categories. */
const KEYWORDS: Record<string, Array<[Address, number]>> = {
  loopback: [ipaddr.parseCIDR('127.0.0.0/8'), ipaddr.parseCIDR('::1/128')],
  'link-local': [ipaddr.parseCIDR('169.254.0.0/16'), ipaddr.parseCIDR('fe80::/10')],
};

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

export interface ProbePolicyOptions {
  /** CIDRs (`10.0.0.0/8`), addresses, host names, or the keywords `loopback` and `link-local`. */
  allow?: readonly string[];
}

/**
 * The IPv4 address an IPv6 one carries (IPv4-mapped ::ffff:a.b.c.d, IPv4-translated ::ffff:0:a.b.c.d, NAT64
 * 64:ff9b::a.b.c.d, 6to4 2002:AABB:CCDD::, IPv4-compatible ::a.b.c.d): judged as that IPv4 address.
 */
function embeddedIpv4(a: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = a.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const range = a.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') return v4(p[6]!, p[7]!);
  if (range === '6to4') return v4(p[1]!, p[2]!);
  if (p.slice(0, 6).every((x) => x === 0) && (p[6] !== 0 || p[7]! > 1)) return v4(p[6]!, p[7]!);
  return null;
}

export class ProbePolicy {
  private readonly ranges: Array<[Address, number]> = [];
  private readonly exactAddresses: Address[] = [];
  private readonly names = new Set<string>();

  /** Validates the allow list once (a ConfigError names the entry: `probeAllow[1]: …`). */
  constructor(options: ProbePolicyOptions = {}) {
    (options.allow ?? []).forEach((raw, i) => {
      const entry = raw.trim().toLowerCase();
      const field = `probeAllow[${i}]`;
      if (entry in KEYWORDS) this.ranges.push(...KEYWORDS[entry]!);
      else if (ipaddr.isValidCIDR(entry)) {
        const [address, bits] = ipaddr.parseCIDR(entry);
        this.ranges.push([address, bits]);
        if (bits === (address.kind() === 'ipv4' ? 32 : 128)) this.exactAddresses.push(address);
      } else if (isIP(entry) !== 0) {
        const address = ipaddr.parse(entry);
        this.exactAddresses.push(address);
        this.ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
      } else if (HOST_NAME.test(entry)) this.names.add(entry.replace(/\.$/, ''));
      else throw new ConfigError(`${field}: ${JSON.stringify(raw)} is not a CIDR, an address, a host name, or one of ${Object.keys(KEYWORDS).join(', ')}`, { path: field });
    });
  }

  /** A policy that refuses nothing but non-http(s) schemes (for tests of other parts; never the coordinator's default). */
  static allowingEverything(): ProbePolicy {
    return new ProbePolicy({ allow: ['0.0.0.0/0', '::/0', ...METADATA_ADDRESSES.map((a) => a.toString()), ...METADATA_NAMES] });
  }

  private nameAllowed(host: string): boolean {
    return this.names.has(host.toLowerCase().replace(/\.$/, ''));
  }

  /** Why this address is refused (naming what would allow it), or null. */
  addressProblem(text: string): string | null {
    let address: Address;
    try {
      address = ipaddr.parse(text.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
    } catch {
      return `${text} is not an IP address`;
    }
    const judged = address.kind() === 'ipv6' ? (embeddedIpv4(address as ipaddr.IPv6) ?? address) : address;
    const kind = this.kindOf(judged);
    if (kind === null) return null;
    if (kind === 'metadata') {
      if (this.exactAddresses.some((a) => a.kind() === judged.kind() && a.toNormalizedString() === judged.toNormalizedString())) return null;
      return `${text} is a cloud metadata address (allow it only by naming it: --probe-allow ${judged.toString()})`;
    }
    if (this.ranges.some(([net, bits]) => net.kind() === judged.kind() && judged.match(net, bits))) return null;
    return `${text} is a ${kind} address (allow it with --probe-allow ${kind === 'unspecified' ? judged.toString() : kind})`;
  }

  private kindOf(a: Address): RefusedKind | null {
    if (METADATA_ADDRESSES.some((m) => m.kind() === a.kind() && m.toNormalizedString() === a.toNormalizedString())) return 'metadata';
    const range = a.range();
    if (range === 'loopback') return 'loopback';
    if (range === 'linkLocal') return 'link-local';
    if (range === 'unspecified') return 'unspecified';
    return null;
  }

  /**
   * Why a URL is refused before any DNS (scheme, a literal address, a metadata name), or null. The WHATWG URL
   * parser has already turned every IPv4 spelling (decimal 2852039166, octal 0251.0376.0251.0376, hex 0xa9fea9fe,
   * short 169.254.43518) into dotted quads, and IPv6 into its canonical form.
   */
  urlProblem(url: URL): string | null {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http:// or https:// URL, got ${url.protocol}//`;
    const host = url.hostname;
    if (host.startsWith('[') || isIP(host) !== 0) return this.addressProblem(host);
    if (this.nameAllowed(host)) return null;
    if (METADATA_NAMES.has(host.toLowerCase().replace(/\.$/, ''))) return `${host} is a cloud metadata host (allow it only by naming it: --probe-allow ${host})`;
    return null;
  }

  /** Whether a host name is allowed whatever it resolves to (named in the allow list). */
  allowsName(host: string): boolean {
    return this.nameAllowed(host);
  }

  /**
   * A `lookup` for http.request: resolves like dns.lookup, then refuses the connection if ANY address the name
   * resolves to is refused (one good and one bad record must not pass by luck of the order).
   */
  lookupFor(host: string): typeof dnsLookup {
    const policy = this;
    const open = this.nameAllowed(host);
    function policyLookup(hostname: string, options: LookupOneOptions | LookupAllOptions | number, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void {
      const o = typeof options === 'number' ? { family: options } : options;
      dnsLookup(hostname, { ...o, all: true }, (err, addresses) => {
        if (err) return callback(err, []);
        const refused = open ? undefined : addresses.map((a) => policy.addressProblem(a.address)).find((p) => p !== null);
        if (refused) return callback(new ProbePolicyError(`refused by the probe policy: ${hostname} resolves to ${refused}`) as NodeJS.ErrnoException, []);
        if ((o as LookupAllOptions).all) return callback(null, addresses);
        const first = addresses[0]!;
        callback(null, first.address, first.family);
      });
    }
    return policyLookup as typeof dnsLookup;
  }
}
