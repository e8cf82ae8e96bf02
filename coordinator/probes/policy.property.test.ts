// Property test: every way of writing an IPv4 address in a URL (and in the IPv6 forms that carry one) gets the verdict
// of the address it means, judged against an oracle written apart from the policy (plain integer ranges).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom, type Random } from '../selection/prng.js';
import { ProbePolicy } from './policy.js';

const CASES = 5000;
const SEED = process.env.ERIS_PROPERTY_SEED ?? 'probe-policy';

type Verdict = 'metadata' | 'loopback' | 'link-local' | 'unspecified' | 'allowed';

/** The oracle: what the address (a 32-bit integer) is, from the RFC ranges, without ipaddr.js or URL parsing. */
function oracle(n: number): Verdict {
  if (n === 0xa9fea9fe || n === 0x646464c8 || n === 0xc00000c0) return 'metadata'; // 169.254.169.254, 100.100.100.200, 192.0.0.192
  if (n >>> 24 === 127) return 'loopback';
  if (n >>> 16 === 0xa9fe) return 'link-local';
  if (n >>> 24 === 0) return 'unspecified'; // 0.0.0.0/8, "this network"
  return 'allowed';
}

function verdictOf(problem: string | null): Verdict {
  if (problem === null) return 'allowed';
  if (/cloud metadata/.test(problem)) return 'metadata';
  const kind = /is a (loopback|link-local|unspecified) address/.exec(problem)?.[1];
  if (kind === undefined) throw new Error(`unexpected problem: ${problem}`);
  return kind as Verdict;
}

function address(r: Random): number {
  switch (r.int(6)) {
    case 0: return ((127 << 24) | r.int(1 << 24)) >>> 0;
    case 1: return ((0xa9fe << 16) | r.int(1 << 16)) >>> 0;
    case 2: return [0xa9fea9fe, 0x646464c8, 0xc00000c0][r.int(3)]!;
    case 3: return r.int(1 << 24);
    default: return Math.floor(r.next() * 2 ** 32) >>> 0;
  }
}

const radix = (r: Random, v: number): string => {
  switch (r.int(3)) {
    case 0: return String(v);
    case 1: return `0x${v.toString(16)}`;
    default: return v === 0 ? '0' : `0${v.toString(8)}`;
  }
};
const hex16 = (v: number) => v.toString(16);

/** One spelling of n in a URL host, and what kind of spelling it is (for the failure message). */
function spell(r: Random, n: number): [string, string] {
  const [a, b, c, d] = [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  const hi = n >>> 16;
  const lo = n & 0xffff;
  switch (r.int(9)) {
    case 0: return [`${a}.${b}.${c}.${d}`, 'dotted'];
    case 1: return [radix(r, n), 'one number'];
    case 2: return [[a, b, c, d].map((p) => radix(r, p)).join('.'), 'mixed radix parts'];
    case 3: return [`${radix(r, a)}.${radix(r, b)}.${radix(r, (c << 8) | d)}`, 'a.b.c16'];
    case 4: return [`${radix(r, a)}.${radix(r, n & 0xffffff)}`, 'a.b24'];
    case 5: return [`[::ffff:${a}.${b}.${c}.${d}]`, 'IPv4-mapped, dotted'];
    case 6: return [`[::ffff:${hex16(hi)}:${hex16(lo)}]`, 'IPv4-mapped, hex'];
    case 7: return [`[64:ff9b::${hex16(hi)}:${hex16(lo)}]`, 'NAT64'];
    default: return [`[2002:${hex16(hi)}:${hex16(lo)}::1]`, '6to4'];
  }
}

describe('probe policy: every spelling of an address gets that address\'s verdict', () => {
  it(`${CASES} random addresses and spellings agree with the oracle (seed ${SEED})`, () => {
    const r = seededRandom(SEED);
    const policy = new ProbePolicy();
    const seen = new Map<Verdict, number>();
    for (let i = 0; i < CASES; i++) {
      const n = address(r);
      const [host, how] = spell(r, n);
      const url = new URL(`http://${host}:8080/health`);
      const got = verdictOf(policy.urlProblem(url));
      const want = oracle(n);
      assert.equal(got, want, `case ${i}: ${host} (${how}) means ${[n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.')} → URL host ${url.hostname}`);
      seen.set(want, (seen.get(want) ?? 0) + 1);
    }
    // Every verdict was exercised, so agreement is not vacuous.
    for (const v of ['metadata', 'loopback', 'link-local', 'unspecified', 'allowed'] as const) assert.ok((seen.get(v) ?? 0) > 100, `${v}: ${seen.get(v)} cases`);
  });
});
