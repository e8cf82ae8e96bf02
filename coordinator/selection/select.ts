// Turns a target group and the fleet's inventory into the targets a step hits: filter, count, pick (seeded).
import { randomBytes } from 'node:crypto';
import { NoTargetsError } from '../../lib/errors.js';
import { compileUserRegex, type UserRegex } from '../../lib/user-regex.js';
import { equalityRequirements, matchesLabels, tryParseLabelSelector, type LabelRequirement } from './label-selector.js';
import { seededRandom, type Random } from './prng.js';
import { parseTargetGroup, type TargetGroup, type TopologyKey } from './schema.js';
import { RUNNING_STATE, type TargetRecord } from './types.js';

export interface SelectOptions {
  /**
   * Seed used when the group has none of its own (e.g. the run's seed, or the seed a previous run recorded).
   * With neither, a random seed is drawn and returned, so any pick can be replayed.
   */
  seed?: string | number;
  /** Where the group sits in the drill, for error messages; default `targets`. */
  path?: string;
  /**
   * The process inventory is what agents answered for this group's cmdline regex: they matched the real command
   * lines, while the coordinator holds them with secrets masked, so the regex is not tested again here.
   */
  cmdlineMatchedByAgents?: boolean;
}

export interface Selection {
  /** Every running target that passes the filters, in stable order (see `compareTargets`). */
  matched: TargetRecord[];
  /** The targets to hit, in pick order (for `spread`, round-robin across domains). Always ⊆ matched, no duplicates. */
  picked: TargetRecord[];
  /** How many were wanted: see `wantedCount`. Equals `picked.length`. */
  wanted: number;
  /** The seed the pick used (the group's, the caller's, or a drawn one), as a string. */
  seed: string;
}

/** A validated group with its matchers compiled. */
export interface CompiledGroup {
  group: TargetGroup;
  /** True when the target passes every filter (its state is not looked at). */
  matches(target: TargetRecord): boolean;
}

export type NameMatcher = (name: string) => boolean;

// `/…/` is a regex, anything else an exact name (schema.ts namePatternSchema).
export function nameMatcher(patterns: readonly string[], path: string): NameMatcher {
  const exact = new Set<string>();
  const regexes: UserRegex[] = [];
  patterns.forEach((p, i) => {
    if (p.length >= 3 && p.startsWith('/') && p.endsWith('/')) regexes.push(compileUserRegex(p.slice(1, -1), `${path}[${i}]`));
    else exact.add(p);
  });
  return (name) => exact.has(name) || regexes.some((re) => re.test(name));
}

function labelRequirements(labels: TargetGroup['labels']): LabelRequirement[] {
  if (labels === undefined) return [];
  if (typeof labels !== 'string') return equalityRequirements(labels);
  const parsed = tryParseLabelSelector(labels);
  // The schema already rejected a bad selector, so this cannot fail after parseTargetGroup.
  if (!parsed.ok) throw new Error(`unreachable: label selector passed validation but does not parse: ${parsed.error.message}`);
  return parsed.requirements;
}

/** Validates `input` (ValidationError named under `path`) and compiles its regexes and label selector. */
export function compileTargetGroup(input: unknown, path = 'targets', o: { cmdlineMatchedByAgents?: boolean } = {}): CompiledGroup {
  const group = parseTargetGroup(input, path);
  const kind = group.processes !== undefined ? 'process' : 'container';
  const clusters = group.clusters && nameMatcher(group.clusters, `${path}.clusters`);
  const namespaces = group.namespaces && nameMatcher(group.namespaces, `${path}.namespaces`);
  const labels = labelRequirements(group.labels);
  const pod = group.pod !== undefined ? compileUserRegex(group.pod, `${path}.pod`) : undefined;
  const containers = group.containers?.map((source, i) => compileUserRegex(source, `${path}.containers[${i}]`));
  const cmdline = group.processes && !o.cmdlineMatchedByAgents ? compileUserRegex(group.processes.cmdline, `${path}.processes.cmdline`) : undefined;
  return {
    group,
    matches: function matchesTargetGroup(t: TargetRecord): boolean {
      if (t.kind !== kind) return false;
      if (clusters && !clusters(t.cluster)) return false;
      if (namespaces && !namespaces(t.namespace)) return false;
      if (labels.length > 0 && !matchesLabels(labels, t.labels)) return false;
      if (pod && !pod.test(t.pod)) return false;
      if (containers && !containers.some((re) => re.test(t.container))) return false;
      if (cmdline && !cmdline.test(t.cmdline ?? '')) return false;
      return true;
    },
  };
}

/**
 * How many targets to pick out of `matched`:
 * - `count` → `min(count, matched)`;
 * - `percent` → `ceil(percent × matched / 100)`, at least 1, at most `matched` (a 1e-9 tolerance keeps
 *   float noise from rounding an exact product up: 10% of 30 is 3, not 4). 34% of 3 → ceil(1.02) = 2;
 *   33% of 3 → ceil(0.99) = 1; 1% of 3 → 1; 50% of 5 → 3; 100% of n → n;
 * - neither → all of `matched`;
 * - `matched = 0` → 0 (select() throws NoTargetsError before that matters).
 */
export function wantedCount(group: Pick<TargetGroup, 'count' | 'percent'>, matched: number): number {
  if (matched <= 0) return 0;
  if (group.count !== undefined) return Math.min(group.count, matched);
  if (group.percent !== undefined) return Math.min(matched, Math.max(1, Math.ceil((group.percent * matched) / 100 - 1e-9)));
  return matched;
}

// Built once per record: the fleet hands out the same records until an agent's inventory changes, and a selection
// over 100,000 targets otherwise spent most of its time joining these strings again.
const sortKeys = new WeakMap<TargetRecord, string>();

// Fields joined by NUL (below every other character), so comparing the strings compares the tuples.
function targetSortKey(t: TargetRecord): string {
  let key = sortKeys.get(t);
  if (key === undefined) {
    key = [t.cluster, t.node, t.namespace, t.pod, t.podUid, t.container, t.containerId, t.kind, String(t.pid ?? '').padStart(10, '0')].join('\0');
    sortKeys.set(t, key);
  }
  return key;
}

/** Stable order independent of how the inventory arrived: cluster, node, namespace, pod, pod uid, container, id, kind, pid. */
export function compareTargets(a: TargetRecord, b: TargetRecord): number {
  const ka = targetSortKey(a);
  const kb = targetSortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

// Each record's place among the distinct keys of the last full sort (equal keys share one). The fleet hands out the
// same records until an inventory changes, so a later selection whose records all have a place is put in order by
// slot, not by comparing 100,000 long keys again; any record without one (new inventory, host processes) sorts afresh.
let ranks = new WeakMap<TargetRecord, number>();
let rankCount = 0;

// Sorted by compareTargets, exact duplicates (the same target reported twice, e.g. an agent re-registering) dropped:
// of equal keys the first in `targets` is kept, as a stable sort would.
function sortedUnique(targets: readonly TargetRecord[]): TargetRecord[] {
  if (targets.length > 0 && targets.every((t) => ranks.has(t))) {
    const slots = new Array<TargetRecord | undefined>(rankCount);
    for (const t of targets) {
      const r = ranks.get(t)!;
      if (slots[r] === undefined) slots[r] = t;
    }
    const out: TargetRecord[] = [];
    for (const t of slots) if (t !== undefined) out.push(t);
    return out;
  }
  const keyed = targets.map((t) => ({ key: targetSortKey(t), t })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const out: TargetRecord[] = [];
  const next = new WeakMap<TargetRecord, number>();
  let rank = -1;
  let previous: string | undefined;
  for (const k of keyed) {
    if (k.key !== previous) {
      rank++;
      previous = k.key;
      out.push(k.t);
    }
    next.set(k.t, rank);
  }
  ranks = next;
  rankCount = rank + 1;
  return out;
}

/**
 * The failure domain of a target. `node` is qualified by the cluster (node names repeat across clusters);
 * `zone` is not (the same zone name in two clusters is the same data-center); targets whose node has no
 * zone share one domain per cluster.
 */
export function topologyDomain(t: TargetRecord, key: TopologyKey): string {
  if (key === 'node') return `node:${t.cluster}/${t.node}`;
  return t.zone !== null ? `zone:${t.zone}` : `nozone:${t.cluster}`;
}

// Per record, as the sort keys: a spread over 100,000 targets otherwise built 100,000 domain strings per call.
const domainsOf: Record<TopologyKey, WeakMap<TargetRecord, string>> = { node: new WeakMap(), zone: new WeakMap() };

function byDomain(pool: readonly TargetRecord[], key: TopologyKey): Map<string, TargetRecord[]> {
  const domains = new Map<string, TargetRecord[]>();
  const cache = domainsOf[key];
  for (const t of pool) {
    let d = cache.get(t);
    if (d === undefined) {
      d = topologyDomain(t, key);
      cache.set(t, d);
    }
    const list = domains.get(d);
    if (list) list.push(t);
    else domains.set(d, [t]);
  }
  // Sorted keys, so the random draws below depend only on the inventory, not on Map insertion order.
  return new Map([...domains.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Round-robin over the domains (in a seeded order), so the pick covers min(wanted, domains) distinct domains. */
function pickSpread(pool: readonly TargetRecord[], wanted: number, key: TopologyKey, rng: Random): TargetRecord[] {
  const domains = byDomain(pool, key);
  const queues = rng.shuffle([...domains.keys()]).map((d) => rng.shuffle(domains.get(d)!));
  const picked: TargetRecord[] = [];
  for (let round = 0; picked.length < wanted; round++) {
    for (const q of queues) {
      if (picked.length === wanted) break;
      const t = q[round];
      if (t !== undefined) picked.push(t);
    }
  }
  return picked;
}

/**
 * As few domains as possible: one domain chosen at random among those that hold `wanted`; when none does,
 * whole domains largest first (ties in seeded order), the last one partly.
 */
function pickPack(pool: readonly TargetRecord[], wanted: number, key: TopologyKey, rng: Random): TargetRecord[] {
  const domains = [...byDomain(pool, key).values()];
  const fitting = domains.filter((d) => d.length >= wanted);
  if (fitting.length > 0) return rng.shuffle(fitting[rng.int(fitting.length)]!).slice(0, wanted);
  const ordered = rng.shuffle(domains).sort((a, b) => b.length - a.length);
  const picked: TargetRecord[] = [];
  for (const d of ordered) {
    if (picked.length === wanted) break;
    picked.push(...rng.shuffle(d).slice(0, wanted - picked.length));
  }
  return picked;
}

/**
 * Picks the targets of one group. Only `running` targets are matched. Same group + same seed + same
 * inventory (in any order) ⇒ same pick. Throws NoTargetsError (named by `options.path`) when nothing
 * running matches, ValidationError when the group is invalid.
 */
export function select(group: TargetGroup, targets: readonly TargetRecord[], options: SelectOptions = {}): Selection {
  const path = options.path ?? 'targets';
  const compiled = compileTargetGroup(group, path, { cmdlineMatchedByAgents: options.cmdlineMatchedByAgents === true });
  const g = compiled.group;
  const passing = targets.filter((t) => compiled.matches(t));
  const matched = sortedUnique(passing.filter((t) => t.state === RUNNING_STATE));
  if (matched.length === 0) {
    const notRunning = passing.length;
    const message =
      notRunning > 0
        ? `${path}: ${notRunning} target(s) match but none is running`
        : `${path}: no target matches (looked at ${targets.length} in the inventory)`;
    throw new NoTargetsError(message, { path, details: { inventory: targets.length, matchedNotRunning: notRunning } });
  }
  const seed = String(g.seed ?? options.seed ?? randomBytes(8).toString('hex'));
  const rng = seededRandom(seed);
  const wanted = wantedCount(g, matched.length);
  let picked: TargetRecord[];
  if (g.spread !== undefined) picked = pickSpread(matched, wanted, g.spread, rng);
  else if (g.pack !== undefined) picked = pickPack(matched, wanted, g.pack, rng);
  else picked = rng.shuffle(matched).slice(0, wanted);
  return { matched, picked, wanted, seed };
}
