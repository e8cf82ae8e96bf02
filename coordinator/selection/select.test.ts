import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { NoTargetsError, ValidationError } from '../../lib/errors.js';
import { seededRandom } from './prng.js';
import { parseTargetGroup, type TargetGroup } from './schema.js';
import { select, topologyDomain, wantedCount } from './select.js';
import type { TargetRecord } from './types.js';

function target(o: Partial<TargetRecord> & { pod: string }): TargetRecord {
  return {
    cluster: 'c1',
    node: `node-${o.pod}`,
    zone: null,
    namespace: 'db',
    podUid: `uid-${o.pod}`,
    container: 'etcd',
    containerId: `cid-${o.cluster ?? 'c1'}-${o.pod}-${o.container ?? 'etcd'}`,
    labels: { app: 'etcd' },
    state: 'running',
    kind: 'container',
    ...o,
  };
}

const ids = (ts: readonly TargetRecord[]) => ts.map((t) => t.containerId);
const sortedIds = (ts: readonly TargetRecord[]) => ids(ts).sort();

// 3 etcd members in 3 zones, a sidecar each, and a redis.
const etcd = [
  target({ pod: 'etcd-0', zone: 'a' }),
  target({ pod: 'etcd-1', zone: 'b' }),
  target({ pod: 'etcd-2', zone: 'c' }),
  target({ pod: 'etcd-0', zone: 'a', container: 'metrics-sidecar' }),
  target({ pod: 'etcd-1', zone: 'b', container: 'metrics-sidecar' }),
  target({ pod: 'etcd-2', zone: 'c', container: 'metrics-sidecar' }),
  target({ pod: 'redis-0', zone: 'a', container: 'redis', labels: { app: 'redis' } }),
];

// Two zones, two members each, each on its own node.
const twoZones = [
  target({ pod: 'm-0', zone: 'dc1' }),
  target({ pod: 'm-1', zone: 'dc1' }),
  target({ pod: 'm-2', zone: 'dc2' }),
  target({ pod: 'm-3', zone: 'dc2' }),
];

describe('targetGroupSchema', () => {
  const invalid: Array<[unknown, string, RegExp]> = [
    [{ pod: '(' }, 'targets.member.pod', /not a valid RE2 regular expression: missing closing \)/],
    [{ pod: '(a)\\1' }, 'targets.member.pod', /not a valid RE2 regular expression: invalid escape sequence/],
    [{ pod: 'etcd(?=-0)' }, 'targets.member.pod', /unsupported Perl syntax.*lookaround/],
    [{ pod: 'x'.repeat(513) }, 'targets.member.pod', /at most 512 characters/],
    [{ pod: '[a-z]{600}[0-9]{600}' }, 'targets.member.pod', /too complex: compiles to \d+ instructions, at most 500/],
    [{ containers: ['^etcd$', '[a-'] }, 'targets.member.containers[1]', /not a valid RE2 regular expression/],
    [{ containers: [] }, 'targets.member.containers', /at least one/],
    [{ processes: { cmdline: '*x' } }, 'targets.member.processes.cmdline', /not a valid RE2 regular expression/],
    [{ clusters: ['/(/'] }, 'targets.member.clusters[0]', /not a valid RE2 regular expression/],
    [{ namespaces: ['/(?<!a)b/'] }, 'targets.member.namespaces[0]', /not a valid RE2 regular expression/],
    [{ clusters: ['prod', '/x/i'] }, 'targets.member.clusters[1]', /written \/…\//],
    [{ namespaces: ['//'] }, 'targets.member.namespaces[0]', /written \/…\//],
    [{ labels: 'app in (a' }, 'targets.member.labels', /column 10: /],
    [{ labels: { 'a/b/c': 'x' } }, 'targets.member.labels.a/b/c', /more than one/],
    [{ labels: 7 }, 'targets.member.labels', /map or a label selector string/],
    [{ count: 1, percent: 50 }, 'targets.member.percent', /cannot be combined with count/],
    [{ spread: 'zone', pack: 'zone' }, 'targets.member.pack', /cannot be combined with spread/],
    [{ pod: 'x', processes: { cmdline: 'x' } }, 'targets.member.processes', /cannot be combined with pod/],
    [{ containers: ['x'], processes: { cmdline: 'x' } }, 'targets.member.processes', /cannot be combined with containers/],
    [{ count: 0 }, 'targets.member.count', /at least 1/],
    [{ count: 2.5 }, 'targets.member.count', /integer/],
    [{ percent: 0.5 }, 'targets.member.percent', /must be 1\.\.100/],
    [{ percent: 101 }, 'targets.member.percent', /must be 1\.\.100/],
    [{ spread: 'rack' }, 'targets.member.spread', /node, zone/],
    [{ seed: 1.5 }, 'targets.member.seed', /integer or a non-empty string/],
    [{ podd: 'x' }, 'targets.member', /Unrecognized key/],
  ];
  for (const [input, path, message] of invalid) {
    test(`rejects ${JSON.stringify(input)} at ${path}`, () => {
      assert.throws(
        () => parseTargetGroup(input, 'targets.member'),
        (e: unknown) => {
          assert.ok(e instanceof ValidationError);
          assert.equal(e.path, path);
          assert.ok(e.message.startsWith(`${path}: `), e.message);
          assert.match(e.message, message);
          return true;
        },
      );
    });
  }

  test('accepts the etcd drill group', () => {
    const g = { clusters: ['prod', '/^staging-/'], namespaces: ['db'], labels: 'app=etcd', pod: '^etcd-\\d+$', containers: ['^etcd$'], percent: 34, spread: 'zone', seed: 7 };
    assert.deepEqual(parseTargetGroup(g), g);
  });
});

describe('wantedCount: count and percent rounding (ceil, at least 1, at most matched)', () => {
  const table: Array<[Pick<TargetGroup, 'count' | 'percent'>, number, number]> = [
    [{ percent: 34 }, 3, 2], // ceil(1.02) = 2
    [{ percent: 33 }, 3, 1], // ceil(0.99) = 1
    [{ percent: 1 }, 3, 1], // ceil(0.03) = 1: never 0 when something matched
    [{ percent: 50 }, 3, 2], // ceil(1.5)
    [{ percent: 50 }, 4, 2],
    [{ percent: 50 }, 5, 3],
    [{ percent: 66.7 }, 3, 3], // ceil(2.001)
    [{ percent: 66.6 }, 3, 2], // ceil(1.998)
    [{ percent: 100 }, 7, 7],
    [{ percent: 10 }, 30, 3], // exact product: no float round-up to 4
    [{ percent: 7 }, 100, 7],
    [{ percent: 1 }, 1, 1],
    [{ percent: 100 }, 0, 0],
    [{ count: 1 }, 3, 1],
    [{ count: 2 }, 3, 2],
    [{ count: 5 }, 3, 3], // capped at matched
    [{ count: 1 }, 0, 0],
    [{}, 4, 4], // neither: all
  ];
  for (const [group, matched, want] of table) {
    test(`${JSON.stringify(group)} of ${matched} → ${want}`, () => assert.equal(wantedCount(group, matched), want));
  }

  test('float noise never rounds an exact integer product up', () => {
    for (let p = 1; p <= 100; p++) for (let n = 1; n <= 200; n++) {
      assert.equal(wantedCount({ percent: p }, n), Math.max(1, Math.ceil((p * n) / 100)), `${p}% of ${n}`);
      if ((p * n) % 100 === 0) assert.equal(wantedCount({ percent: p }, n), (p * n) / 100);
    }
  });
});

describe('select: filters', () => {
  test('the etcd drill: pod and container regexes, count 1', () => {
    const s = select({ pod: '^etcd-\\d+$', containers: ['^etcd$'], count: 1, seed: 1 }, etcd);
    assert.deepEqual(sortedIds(s.matched), ['cid-c1-etcd-0-etcd', 'cid-c1-etcd-1-etcd', 'cid-c1-etcd-2-etcd']);
    assert.equal(s.wanted, 1);
    assert.equal(s.picked.length, 1);
    assert.equal(s.picked[0]!.container, 'etcd');
  });

  test('percent 34 of 3 members picks 2', () => {
    const s = select({ pod: '^etcd-\\d+$', containers: ['^etcd$'], percent: 34, seed: 1 }, etcd);
    assert.equal(s.wanted, 2);
    assert.equal(s.picked.length, 2);
  });

  test('containers: a target matches when any regex matches (unanchored unless written ^…$)', () => {
    assert.equal(select({ containers: ['^etcd$', 'sidecar'] }, etcd).matched.length, 6);
    assert.equal(select({ containers: ['^etcd$'] }, etcd).matched.length, 3);
    assert.equal(select({ containers: ['etc'] }, [...etcd, target({ pod: 'x', container: 'etcdctl' })]).matched.length, 4);
    assert.equal(select({ containers: ['^etcd$'] }, [target({ pod: 'x', container: 'etcdctl' }), ...etcd]).matched.length, 3);
    assert.equal(select({ containers: ['side', 'redis'] }, etcd).matched.length, 4);
  });

  test('labels: map and selector string', () => {
    assert.equal(select({ labels: { app: 'redis' } }, etcd).matched.length, 1);
    assert.equal(select({ labels: 'app in (etcd,redis),!legacy' }, etcd).matched.length, 7);
    assert.equal(select({ labels: 'app!=etcd' }, etcd).matched.length, 1);
  });

  test('clusters and namespaces: exact names or /regex/', () => {
    const inv = [
      target({ pod: 'a', cluster: 'prod' }),
      target({ pod: 'b', cluster: 'prod-2' }),
      target({ pod: 'c', cluster: 'staging-eu', namespace: 'kv' }),
    ];
    assert.deepEqual(select({ clusters: ['prod'] }, inv).matched.map((t) => t.pod), ['a']); // exact: not prod-2
    assert.deepEqual(select({ clusters: ['/^prod/'] }, inv).matched.map((t) => t.pod), ['a', 'b']);
    assert.deepEqual(select({ clusters: ['prod-2', '/^staging-/'] }, inv).matched.map((t) => t.pod), ['b', 'c']);
    assert.deepEqual(select({ namespaces: ['kv'] }, inv).matched.map((t) => t.pod), ['c']);
    assert.deepEqual(select({ namespaces: ['/^d/'] }, inv).matched.map((t) => t.pod), ['a', 'b']);
  });

  test('processes: only host-process targets, by command line', () => {
    const proc = (pid: number, cmdline: string): TargetRecord => ({
      ...target({ pod: '', node: 'vm-1', container: '', containerId: '', podUid: '', namespace: '', labels: {} }),
      kind: 'process',
      pid,
      cmdline,
    });
    const inv = [...etcd, proc(100, '/usr/bin/etcd --name m0'), proc(200, '/usr/bin/etcdctl get x'), proc(300, 'sshd')];
    const s = select({ processes: { cmdline: '^/usr/bin/etcd ' } }, inv);
    assert.deepEqual(s.matched.map((t) => t.pid), [100]);
    // Without `processes`, host processes are never matched.
    assert.ok(select({}, inv).matched.every((t) => t.kind === 'container'));
  });

  test('only running targets are matched and picked', () => {
    const inv = [target({ pod: 'etcd-0' }), target({ pod: 'etcd-1', state: 'exited' }), target({ pod: 'etcd-2', state: 'created' })];
    const s = select({}, inv);
    assert.deepEqual(s.matched.map((t) => t.pod), ['etcd-0']);
    assert.deepEqual(s.picked.map((t) => t.pod), ['etcd-0']);
  });

  test('the same target reported twice is one target', () => {
    const s = select({}, [...twoZones, ...twoZones.map((t) => ({ ...t }))], { seed: 1 });
    assert.equal(s.matched.length, 4);
    assert.equal(s.picked.length, 4);
  });

  test('empty match → NoTargetsError naming the group path', () => {
    assert.throws(
      () => select({ pod: '^zookeeper-' }, etcd, { path: 'targets.member' }),
      (e: unknown) => e instanceof NoTargetsError && e.path === 'targets.member' && /^targets\.member: no target matches \(looked at 7/.test(e.message),
    );
    assert.throws(() => select({}, []), (e: unknown) => e instanceof NoTargetsError && e.path === 'targets');
    assert.throws(
      () => select({}, [target({ pod: 'a', state: 'exited' })], { path: 'targets.x' }),
      (e: unknown) => e instanceof NoTargetsError && /1 target\(s\) match but none is running/.test(e.message) && e.details?.['matchedNotRunning'] === 1,
    );
  });

  test('an invalid group is a ValidationError under the path', () => {
    assert.throws(() => select({ pod: '(' }, etcd, { path: 'targets.member' }), (e: unknown) => e instanceof ValidationError && e.path === 'targets.member.pod');
  });
});

describe('select: seeded pick', () => {
  const many = Array.from({ length: 30 }, (_, i) => target({ pod: `p-${String(i).padStart(2, '0')}`, zone: `z${i % 3}` }));

  test('same seed + same inventory ⇒ same pick, whatever the input order', () => {
    const group = { count: 5, seed: 'drill-42' };
    const first = select(group, many);
    const rng = seededRandom('shuffle');
    for (let i = 0; i < 20; i++) {
      const again = select(group, rng.shuffle(many));
      assert.deepEqual(ids(again.picked), ids(first.picked));
      assert.deepEqual(ids(again.matched), ids(first.matched));
    }
  });

  test('different seeds give different picks', () => {
    const picks = new Set<string>();
    for (let seed = 0; seed < 20; seed++) picks.add(sortedIds(select({ count: 5, seed }, many).picked).join());
    assert.ok(picks.size >= 19, `only ${picks.size} distinct picks out of 20 seeds`);
    assert.notDeepEqual(sortedIds(select({ count: 5, seed: 'a' }, many).picked), sortedIds(select({ count: 5, seed: 'b' }, many).picked));
  });

  test('42 and "42" are the same seed; the group seed wins over the caller seed', () => {
    assert.deepEqual(ids(select({ count: 3, seed: 42 }, many).picked), ids(select({ count: 3, seed: '42' }, many).picked));
    assert.deepEqual(ids(select({ count: 3, seed: 42 }, many, { seed: 'other' }).picked), ids(select({ count: 3 }, many, { seed: 42 }).picked));
    assert.equal(select({ count: 3, seed: 42 }, many, { seed: 'other' }).seed, '42');
  });

  test('without a seed one is drawn and returned, and replaying it gives the same pick', () => {
    const s = select({ count: 4 }, many);
    assert.match(s.seed, /^[0-9a-f]{16}$/);
    assert.deepEqual(ids(select({ count: 4 }, many, { seed: s.seed }).picked), ids(s.picked));
  });

  test('spread: zone, count 2 over two zones → one in each', () => {
    for (let seed = 0; seed < 200; seed++) {
      const s = select({ count: 2, spread: 'zone', seed }, twoZones);
      assert.deepEqual(s.picked.map((t) => t.zone).sort(), ['dc1', 'dc2'], `seed ${seed}`);
    }
  });

  test('pack: zone, count 2 over two zones → both in one zone, either zone depending on the seed', () => {
    const zones = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const s = select({ count: 2, pack: 'zone', seed }, twoZones);
      assert.equal(s.picked.length, 2);
      assert.equal(s.picked[0]!.zone, s.picked[1]!.zone, `seed ${seed}`);
      zones.add(s.picked[0]!.zone!);
    }
    assert.deepEqual([...zones].sort(), ['dc1', 'dc2']);
  });

  test('spread: count above the number of domains stays balanced (5 over 3 zones → 2+2+1)', () => {
    for (let seed = 0; seed < 50; seed++) {
      const s = select({ count: 5, spread: 'zone', seed }, many);
      const per = new Map<string, number>();
      for (const t of s.picked) per.set(t.zone!, (per.get(t.zone!) ?? 0) + 1);
      assert.deepEqual([...per.values()].sort(), [1, 2, 2]);
    }
  });

  test('pack: when no domain holds them all, fill the largest first (4 over zones of 3, 2, 1 → 3+1)', () => {
    const inv = [
      ...['a0', 'a1', 'a2'].map((pod) => target({ pod, zone: 'za' })),
      ...['b0', 'b1'].map((pod) => target({ pod, zone: 'zb' })),
      target({ pod: 'c0', zone: 'zc' }),
    ];
    for (let seed = 0; seed < 50; seed++) {
      const s = select({ count: 4, pack: 'zone', seed }, inv);
      assert.equal(s.picked.filter((t) => t.zone === 'za').length, 3);
      assert.equal(new Set(s.picked.map((t) => t.zone)).size, 2);
    }
  });

  test('spread: node treats nodes of different clusters as different domains', () => {
    const inv = [target({ pod: 'a', node: 'n1', cluster: 'c1' }), target({ pod: 'b', node: 'n1', cluster: 'c2' })];
    assert.notEqual(topologyDomain(inv[0]!, 'node'), topologyDomain(inv[1]!, 'node'));
    assert.equal(select({ count: 2, pack: 'node', seed: 1 }, inv).picked.length, 2);
  });
});

describe('select: property test over random inventories', () => {
  test('picked ⊆ matched, |picked| = wanted, no duplicates, spread/pack optimal, order-independent (4000 cases)', () => {
    const rng = seededRandom('property-test');
    const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
    const states = ['running', 'running', 'running', 'exited', 'created'];
    for (let c = 0; c < 4000; c++) {
      const size = 1 + rng.int(40);
      const inventory: TargetRecord[] = [];
      for (let i = 0; i < size; i++) {
        const node = `n${rng.int(8)}`;
        inventory.push(
          target({
            pod: `${pick(['etcd', 'redis', 'kafka'])}-${i}`,
            cluster: pick(['c1', 'c2']),
            node,
            zone: rng.int(6) === 0 ? null : `z${Number(node.slice(1)) % 3}`,
            container: pick(['main', 'sidecar']),
            state: pick(states),
            labels: { tier: pick(['a', 'b']) },
          }),
        );
      }
      // Sometimes the same target twice.
      if (rng.int(5) === 0) inventory.push({ ...inventory[rng.int(inventory.length)]! });
      const group: TargetGroup = { seed: c };
      if (rng.int(2) === 0) group.containers = [pick(['^main$', 'side', 'ai'])];
      if (rng.int(3) === 0) group.labels = pick(['tier=a', 'tier in (a,b)', 'tier!=b']);
      const amount = rng.int(3);
      if (amount === 0) group.count = 1 + rng.int(12);
      else if (amount === 1) group.percent = 1 + rng.int(100);
      const layout = rng.int(3);
      if (layout === 0) group.spread = pick(['node', 'zone'] as const);
      else if (layout === 1) group.pack = pick(['node', 'zone'] as const);

      let s;
      try {
        s = select(group, inventory);
      } catch (e) {
        assert.ok(e instanceof NoTargetsError, String(e));
        continue;
      }
      const where = `case ${c}: ${JSON.stringify(group)}`;
      const key = (t: TargetRecord) => JSON.stringify(t);
      const matchedKeys = new Set(s.matched.map(key));
      assert.equal(matchedKeys.size, s.matched.length, `matched has duplicates: ${where}`);
      assert.ok(s.matched.every((t) => t.state === 'running'), where);
      assert.equal(s.wanted, wantedCount(group, s.matched.length), where);
      assert.ok(s.wanted >= 1 && s.wanted <= s.matched.length, where);
      assert.equal(s.picked.length, s.wanted, where);
      assert.equal(new Set(s.picked.map(key)).size, s.picked.length, `picked has duplicates: ${where}`);
      assert.ok(s.picked.every((t) => matchedKeys.has(key(t))), `picked ⊄ matched: ${where}`);

      const topo = group.spread ?? group.pack;
      if (topo !== undefined) {
        const sizes = new Map<string, number>();
        for (const t of s.matched) sizes.set(topologyDomain(t, topo), (sizes.get(topologyDomain(t, topo)) ?? 0) + 1);
        const used = new Set(s.picked.map((t) => topologyDomain(t, topo))).size;
        if (group.spread) assert.equal(used, Math.min(s.wanted, sizes.size), `spread not maximal: ${where}`);
        else {
          let fewest = 0;
          for (let left = s.wanted, desc = [...sizes.values()].sort((a, b) => b - a); left > 0; fewest++) left -= desc[fewest]!;
          assert.equal(used, fewest, `pack not minimal: ${where}`);
        }
      }
      const again = select(group, rng.shuffle(inventory));
      assert.deepEqual(again.picked.map(key), s.picked.map(key), `order-dependent: ${where}`);
    }
  });
});
