// Benchmark: probe evaluations per second through the coordinator's own JqPool + ProbeRunner against a local HTTP
// server (with the HTTP-only and jq-only ceilings as references), and proof that a burst of probes does not delay a
// signal: the coordinator-API → state T latency of one container while the coordinator runs 500 probes at once (a
// drill run with 500 parallel wait steps) vs. the same with no burst, interleaved in blocks.
//
// Part 1 runs in this process (JqPool({size: 1}) + ProbeRunner, as coordinator/server.ts builds them). Part 2 runs the
// real `node bin/eris.js agent` on a containerd test bed with one busybox container, connected to a coordinator in its
// own process; the burst is the coordinator's own (POST /v1/runs), so its JqPool, ProbeRunner, drill engine and store do
// the work. Part 2 runs for three coordinators: the binary (default SQLite store), and startCoordinator from
// coordinator-probes-host.ts with the same SQLite store and with the in-memory store (to see what the store costs).
//
// Run (root, containerd + runc): node --import tsx bench/coordinator-probes.bench.ts [--no-write] [--concurrency 500]
//   [--evals 5000] [--blocks 4] [--per-block 50] [--variants binary,host-sqlite,host-memory] [--no-build]
// Prints markdown tables and replaces <!-- coordinator-probes:start --> … <!-- coordinator-probes:end --> in docs/benchmarks.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { JqPool } from '../coordinator/probes/jq.js';
import { ProbeRunner, type ProbeResult } from '../coordinator/probes/runner.js';
import { ProbePolicy } from '../coordinator/probes/policy.js';
import { parseProbeSpec, renderProbe, type RenderedProbe } from '../coordinator/probes/spec.js';
import type { ContainerdTestbed } from '../test/harness/containerd.js';
import {
  arg, cpuTicks, ensureBuilt, flag, machineNote, median, ms, nowNs, onInterrupt, percentile, ratio, requireTestbed, resumePids, sinceMs, spawnEris,
  startBenchNode, StatePoller, stopTimes, table, writeDocSection, type ErisChild, type NodeContainer,
} from './coordinator-common.js';

const CONCURRENCY = arg('--concurrency', 500);
const EVALS = arg('--evals', 5000);
const BLOCKS = arg('--blocks', 4);
const PER_BLOCK = arg('--per-block', 50);
const write = !flag('--no-write');
const TOKEN = 'bench-coord-probes-token';
const SERVER_NICE = 10;

requireTestbed();

// The probed system: a small HTTP server in its own process (it stands for a remote cluster), etcd-shaped answers.
const SERVER_SOURCE = `
const http = require('node:http');
let count = 0;
const health = JSON.stringify({ health: 'true', reason: '' });
const members = JSON.stringify({ header: { cluster_id: 1, member_id: 2, raft_term: 3 }, members: [0, 1, 2].map((i) => ({ ID: 1000 + i, name: 'etcd-' + i, isLeader: i === 0, peerURLs: ['http://10.0.0.' + i + ':2380'], clientURLs: ['http://10.0.0.' + i + ':2379'], dbSize: 1048576 * (i + 1) })) });
const server = http.createServer((req, res) => {
  if (req.url === '/count') { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ count })); return; }
  count++;
  const body = req.url === '/members' ? members : health;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', 2048, () => console.log(String(server.address().port)));
`;

let server: ChildProcess | undefined;
let coordinator: ErisChild | undefined;
let agent: ErisChild | undefined;
let bed: ContainerdTestbed | undefined;
let poller: StatePoller | undefined;
let pool: JqPool | undefined;
let dir: string | undefined;
const ourPids = new Set<number>();

const cleanup = onInterrupt(
  () => resumePids(ourPids),
  async () => {
    resumePids(ourPids);
    await pool?.close().catch(() => undefined);
    await agent?.stop('SIGTERM');
    await coordinator?.stop('SIGTERM');
    resumePids(ourPids);
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    await poller?.close().catch(() => undefined);
    await bed?.stop().catch((err: unknown) => console.error('test bed stop:', err));
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
);

const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

async function startServer(): Promise<{ port: number; count(): Promise<number> }> {
  const child = spawn(process.execPath, ['-e', SERVER_SOURCE], { stdio: ['ignore', 'pipe', 'inherit'] });
  server = child;
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`HTTP server exited ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(Number(line)));
  });
  setPriority(child.pid!, SERVER_NICE);
  return {
    port,
    async count() {
      const res = await fetch(`http://127.0.0.1:${port}/count`);
      return ((await res.json()) as { count: number }).count;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Part 1: throughput

interface ThroughputRow {
  what: string;
  concurrency: number;
  n: number;
  evalsPerSecond: number;
  p50: number;
  p99: number;
  loopP99: number;
  loopMax: number;
  failures: number;
}

/** `n` calls of `one`, `concurrency` loops each calling it back to back; latency per call, event-loop delay. */
async function drive(what: string, concurrency: number, n: number, one: () => Promise<{ ok: boolean }>): Promise<ThroughputRow> {
  for (let i = 0; i < Math.min(200, n); i++) await one(); // warm up
  const latencies: number[] = [];
  let failures = 0;
  let issued = 0;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < n) {
        issued++;
        const t = performance.now();
        const r = await one();
        latencies.push(performance.now() - t);
        if (!r.ok) failures++;
      }
    }),
  );
  const elapsed = performance.now() - started;
  delay.disable();
  return {
    what,
    concurrency,
    n,
    evalsPerSecond: (n / elapsed) * 1000,
    p50: median(latencies),
    p99: percentile(latencies, 99),
    loopP99: delay.percentile(99) / 1e6,
    loopMax: delay.max / 1e6,
    failures,
  };
}

async function throughput(port: number): Promise<ThroughputRow[]> {
  pool = new JqPool({ size: 1 });
  const runner = new ProbeRunner({ jq: pool, policy: new ProbePolicy({ allow: ['loopback'] }) });
  const probe = (path: string, jq?: string): RenderedProbe =>
    renderProbe(parseProbeSpec({ url: `http://127.0.0.1:${port}${path}`, ...(jq ? { jq } : {}), timeout: '10s' }), null);
  const health = probe('/health', '.health == "true"');
  const leader = probe('/members', '[.members[] | select(.isLeader)] | length == 1');
  const statusOnly = probe('/health');
  const run = (p: RenderedProbe) => (): Promise<ProbeResult> => runner.run(p);
  const body = '{"health":"true","reason":""}';
  const rows: ThroughputRow[] = [];
  console.error('part 1: throughput');
  rows.push(await drive('ProbeRunner.run: HTTP GET /health + jq `.health == "true"`', 1, Math.min(1000, EVALS), run(health)));
  rows.push(await drive('ProbeRunner.run: HTTP GET /health + jq `.health == "true"`', CONCURRENCY, EVALS, run(health)));
  rows.push(await drive('ProbeRunner.run: HTTP GET /members + jq `[.members[] | select(.isLeader)] | length == 1`', CONCURRENCY, EVALS, run(leader)));
  rows.push(await drive('reference: ProbeRunner.run, status only (HTTP, no jq)', CONCURRENCY, EVALS, run(statusOnly)));
  rows.push(
    await drive('reference: JqPool.evaluate alone (jq, no HTTP)', CONCURRENCY, EVALS, async () => {
      const { outputs } = await pool!.evaluate('.health == "true"', body);
      return { ok: outputs.length === 1 && outputs[0] === true };
    }),
  );
  await pool.close();
  pool = undefined;
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// Part 2: signal latency with and without a burst

interface SignalSample {
  toT: number;
  toReply: number;
}

function burstDrill(port: number): unknown {
  return {
    apiVersion: 'eris.dev/v1alpha1',
    kind: 'Drill',
    metadata: { name: 'probe-burst' },
    spec: {
      targets: { unused: { namespaces: ['nothing-here'] } },
      probes: { health: { url: `http://127.0.0.1:${port}/health`, jq: '.health == "true"', interval: '1ms', timeout: '10s' } },
      // 500 branches, each polling the probe back to back until it fails (it never does) — until the run is aborted.
      steps: [{ name: 'probe burst', parallel: Array.from({ length: CONCURRENCY }, (_, i) => ({ name: `b${i}`, steps: [{ wait: 'health', until: 'fail', timeout: '30m' }] })) }],
      timeout: '1h',
    },
  };
}

interface Variant {
  name: string;
  label: string;
  start(dataDir: string): Promise<ErisChild>;
}

const HOST = fileURLToPath(new URL('./coordinator-probes-host.ts', import.meta.url));
const VARIANTS: Variant[] = [
  {
    name: 'binary',
    label: '`eris coordinator` binary — SQLite store (WAL, synchronous=NORMAL: the coordinator default)',
    start: (d) => spawnEris(['coordinator', '--listen', '127.0.0.1:0', '--token', TOKEN, '--data-dir', d], 'eris-coordinator listening'),
  },
  {
    name: 'host-sqlite',
    label: '`startCoordinator` in its own process (tsx) — the same SQLite store',
    start: (d) => spawnEris(['127.0.0.1:0', TOKEN, d], 'eris-coordinator listening', { script: HOST, nodeArgs: ['--import', 'tsx'] }),
  },
  {
    name: 'host-memory',
    label: '`startCoordinator` in its own process (tsx) — in-memory store (`storePath: \':memory:\'`)',
    start: (d) => spawnEris(['127.0.0.1:0', TOKEN, d, ':memory:'], 'eris-coordinator listening', { script: HOST, nodeArgs: ['--import', 'tsx'] }),
  },
];

interface VariantResult {
  variant: Variant;
  base: SignalSample[];
  burst: SignalSample[];
  probeRate: number[];
  coordCpu: { base: number; burst: number };
  evaluationsReported: number;
}

async function signalUnderBurst(variant: Variant, node: { socket: string; target: NodeContainer }, port: number, count: () => Promise<number>): Promise<VariantResult> {
  const vdir = join(dir!, variant.name);
  console.error(`part 2 / ${variant.name}: starting the coordinator and an agent…`);
  coordinator = await variant.start(join(vdir, 'coordinator'));
  agent = await spawnEris(
    ['agent', '--listen', '127.0.0.1:0', '--token', TOKEN, '--state-dir', join(vdir, 'agent'), '--cri-socket', node.socket, '--coordinator', coordinator.url.replace(/^http/, 'ws'), '--cluster', 'bench', '--node-name', 'p00'],
    'eris-agent listening',
  );
  const target = node.target;
  const url = coordinator.url;
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
  };
  for (let i = 0; ; i++) {
    if ((await api('GET', '/v1/targets?namespace=bench')).body.targets?.length === 1) break;
    if (i > 300) throw new Error('the coordinator never listed the container');
    await sleep(100);
  }
  const group = { namespaces: ['bench'], pod: `^${target.pod}$`, containers: [`^${target.name}$`] };
  const once = async (): Promise<SignalSample> => {
    const poll = poller!.start(target.pids, 'stopped', { spinMs: 20, pauseMs: 0.1 });
    const t0 = nowNs();
    const res = await api('POST', '/v1/faults', { target: group, signal: 'SIGSTOP', lease: '60s' });
    const toReply = sinceMs(t0);
    const seen = await poll.done;
    if (res.status !== 201 || res.body.errors.length > 0 || !seen.ok) throw new Error(`POST /v1/faults: ${res.status} ${JSON.stringify(res.body).slice(0, 400)}`);
    const del = await api('DELETE', `/v1/faults/${res.body.id}`);
    if (del.status !== 200) throw new Error(`DELETE: ${del.status}`);
    const r = await poller!.start(target.pids, 'running', { timeoutMs: 5_000, spinMs: 1 }).done;
    if (!r.ok) throw new Error('not resumed');
    return { toT: stopTimes(t0, seen).toAll, toReply };
  };
  for (let i = 0; i < 10; i++) await once(); // warm up

  const base: SignalSample[] = [];
  const burst: SignalSample[] = [];
  const probeRate: number[] = [];
  const cpu = { base: { ticks: 0, s: 0 }, burst: { ticks: 0, s: 0 } };
  let evaluationsReported = 0;
  const block = async (into: SignalSample[], kind: 'base' | 'burst'): Promise<void> => {
    const ticks = cpuTicks(coordinator!.pid)!;
    const t = performance.now();
    for (let i = 0; i < PER_BLOCK; i++) {
      into.push(await once());
      await sleep(20);
    }
    cpu[kind].ticks += cpuTicks(coordinator!.pid)! - ticks;
    cpu[kind].s += (performance.now() - t) / 1000;
  };
  for (let b = 0; b < BLOCKS; b++) {
    // Alternate which condition comes first in a block pair.
    const order: Array<'base' | 'burst'> = b % 2 === 0 ? ['base', 'burst'] : ['burst', 'base'];
    for (const kind of order) {
      if (kind === 'base') {
        await block(base, 'base');
        continue;
      }
      const started = await api('POST', '/v1/runs', { spec: burstDrill(port) });
      if (started.status !== 201) throw new Error(`POST /v1/runs: ${started.status} ${JSON.stringify(started.body).slice(0, 400)}`);
      const runId = started.body.id as string;
      // Let the burst reach its steady state: every branch started, the jq queue full.
      const c0 = await count();
      while ((await count()) - c0 < 2 * CONCURRENCY) await sleep(50);
      await sleep(500);
      const c1 = await count();
      const t1 = performance.now();
      await block(burst, 'burst');
      probeRate.push(((await count()) - c1) / ((performance.now() - t1) / 1000));
      const aborted = await api('POST', `/v1/runs/${runId}/abort`);
      if (aborted.status !== 202) throw new Error(`abort: ${aborted.status} ${JSON.stringify(aborted.body).slice(0, 300)}`);
      for (let i = 0; ; i++) {
        const run = await api('GET', `/v1/runs/${runId}`);
        if (run.body.status !== 'running') {
          evaluationsReported += run.body.result?.probes?.health?.evaluations ?? 0;
          break;
        }
        if (i > 600) throw new Error('the burst run did not end within 60 s of the abort');
        await sleep(100);
      }
      await sleep(500);
    }
    console.error(`${variant.name} block ${b + 1}/${BLOCKS}: base ${ms(median(base.map((s) => s.toT)))}, burst ${ms(median(burst.map((s) => s.toT)))}, ${probeRate.at(-1)!.toFixed(0)} probes/s`);
  }
  await agent.stop('SIGTERM');
  agent = undefined;
  await coordinator.stop('SIGTERM');
  coordinator = undefined;
  return {
    variant,
    base,
    burst,
    probeRate,
    coordCpu: { base: (cpu.base.ticks / 100 / cpu.base.s) * 100, burst: (cpu.burst.ticks / 100 / cpu.burst.s) * 100 },
    evaluationsReported,
  };
}

async function main(): Promise<void> {
  const srv = await startServer();
  const tpRows = await throughput(srv.port);
  const tp = table(
    ['what', 'in flight', 'n', 'evaluations/s', 'per call, median / p99', 'event-loop delay p99 / max', 'failed'],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
    tpRows.map((r, i) => [
      r.what,
      String(r.concurrency),
      String(r.n),
      i === 1 ? `**${Math.round(r.evalsPerSecond).toLocaleString('en-US')}**` : Math.round(r.evalsPerSecond).toLocaleString('en-US'),
      `${ms(r.p50)} / ${ms(r.p99)}`,
      `${ms(r.loopP99, 1)} / ${ms(r.loopMax, 1)}`,
      String(r.failures),
    ]),
  );
  console.log(tp);

  const buildNote = ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'eris-bench-coord-probes-'));
  console.error('part 2: containerd with one container…');
  const node = await startBenchNode('p00', 1, 1, 'bench', (b) => (bed = b));
  for (const pid of node.containers[0]!.pids) ourPids.add(pid);
  poller = new StatePoller();
  const only = process.argv.includes('--variants') ? process.argv[process.argv.indexOf('--variants') + 1]!.split(',') : undefined;
  const results: VariantResult[] = [];
  for (const v of VARIANTS.filter((x) => only === undefined || only.includes(x.name))) {
    results.push(await signalUnderBurst(v, { socket: node.bed.socket, target: node.containers[0]! }, srv.port, srv.count));
  }

  const m = (s: SignalSample[], f: (x: SignalSample) => number): [number, number] => [median(s.map(f)), percentile(s.map(f), 99)];
  const rows: string[][] = [];
  for (const r of results) {
    const baseT = m(r.base, (x) => x.toT);
    const burstT = m(r.burst, (x) => x.toT);
    const baseR = m(r.base, (x) => x.toReply);
    const burstR = m(r.burst, (x) => x.toReply);
    const rate = median(r.probeRate);
    rows.push(
      [r.variant.label, 'no burst', String(r.base.length), `**${ms(baseT[0])}**`, ms(baseT[1]), `${ms(baseR[0])} / ${ms(baseR[1])}`, `${r.coordCpu.base.toFixed(0)}%`, '–'],
      [
        '',
        `${CONCURRENCY} probes at once`,
        String(r.burst.length),
        `**${ms(burstT[0])}**`,
        ms(burstT[1]),
        `${ms(burstR[0])} / ${ms(burstR[1])}`,
        `${r.coordCpu.burst.toFixed(0)}%`,
        `${Math.round(rate).toLocaleString('en-US')} (${r.probeRate.map((x) => Math.round(x)).join(', ')})`,
      ],
      ['', '**burst ÷ no burst**', '', `**${ratio(burstT[0], baseT[0])}**`, `**${ratio(burstT[1], baseT[1])}**`, `${ratio(burstR[0], baseR[0])} / ${ratio(burstR[1], baseR[1])}`, '', ''],
    );
  }
  const st = table(
    ['coordinator', 'condition', 'n', 'API call → container in T, median', 'p99', 'call → response, median / p99', 'coordinator CPU (of one core)', 'probes answered/s, median (per block)'],
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows,
  );
  console.log(`\n${st}`);
  const concurrent = tpRows[1]!;
  const summary = results.map((r) => {
    const baseT = m(r.base, (x) => x.toT);
    const burstT = m(r.burst, (x) => x.toT);
    return `${r.variant.name}: ${ms(burstT[0])} vs ${ms(baseT[0])} median (${ratio(burstT[0], baseT[0])}), p99 ${ms(burstT[1])} vs ${ms(baseT[1])} (${ratio(burstT[1], baseT[1])}) at ${Math.round(median(r.probeRate))} probes/s`;
  });
  const byName = new Map(results.map((r) => [r.variant.name, r]));
  const effect = (r: VariantResult | undefined): [number, number] | undefined =>
    r && [m(r.burst, (x) => x.toT)[0] / m(r.base, (x) => x.toT)[0], m(r.burst, (x) => x.toT)[1] / m(r.base, (x) => x.toT)[1]];
  const sq = effect(byName.get('host-sqlite'));
  const mem = effect(byName.get('host-memory'));
  const storeNote =
    sq && mem
      ? `The burst's effect with the SQLite store is ${sq[0].toFixed(1)}× on the median and ${sq[1].toFixed(1)}× on p99; with the in-memory store, all else equal, ` +
        `${mem[0].toFixed(1)}× and ${mem[1].toFixed(1)}×. ${sq[0] - mem[0] > 0.2 || sq[1] / mem[1] > 1.5 ? 'So a good part of the delay is the store: the drill engine appends one event per probe result (coordinator/engine/engine.ts \`emit\` → \`appendEvent\`), and with the default \`synchronous = FULL\` each is a commit with an fsync of the WAL, synchronous (node:sqlite) on the main thread — the thread that also handles the signal request — about as many fsyncs per second as probes answered. The rest is the main thread handling the probes\' HTTP connections and results (jq itself runs in the worker).' : 'The store makes little difference here; the delay is the main thread handling the probes\' HTTP connections and results (jq itself runs in the worker).'}`
      : '';
  const section = `
## Coordinator: probe throughput, and probes vs. a signal (coordinator-probes)

**Throughput.** Probes evaluated per second through the coordinator's own pieces — \`JqPool({ size: 1 })\` + \`ProbeRunner\`,
built as \`coordinator/server.ts\` builds them, in the benchmark's process — against a local HTTP server in its own process
(\`node:http\`, etcd-shaped JSON answers, nice +${SERVER_NICE}: it stands for the probed cluster). A probe is one fresh HTTP
connection (\`agent: false\`, as \`coordinator/probes/http.ts\` does), the status check and the jq filter in the pool's worker
thread. "in flight" loops call \`ProbeRunner.run\` back to back; per call = request start → judged. Event-loop delay is the
main thread's (\`monitorEventLoopDelay\`) while the loops run. References: the same requests without jq, and jq without HTTP.

${tp}

**A burst of probes vs. a signal step.** A containerd ${node.runtimeVersion} test bed with one busybox container (\`sleep 100000\`), the real
\`node bin/eris.js agent\` on it, connected to a coordinator in its own process. Measured by the client as in
coordinator-signal: \`POST /v1/faults\` for that one container (\`lease: 60s\`) → its process seen in \`T\` by a worker thread
polling \`/proc\`, then \`DELETE\` and wait until it runs. The burst is the coordinator's own: a drill run (\`POST /v1/runs\`)
whose one step is \`parallel\` with ${CONCURRENCY} branches, each a \`wait\` on the same probe (GET /health + jq \`.health == "true"\`,
\`interval: 1ms\`) \`until: fail\` — ${CONCURRENCY} probe loops in the coordinator (its JqPool, ProbeRunner and drill engine), every result
an event appended to its store — aborted after the block. ${BLOCKS} block pairs of ${PER_BLOCK} signals each, no-burst and burst
alternating (which comes first alternates too); a burst is measured only once its probes flow (${2 * CONCURRENCY} answered + 0.5 s);
10 warm-up signals discarded. Three coordinators, one after the other: the binary (SQLite store, the default), and the
same \`startCoordinator\` from a small host script (\`bench/coordinator-probes-host.ts\`) with the same SQLite store and with
the in-memory store — the store is the only difference between the last two. Coordinator CPU = Δ(utime+stime) of its
process (all threads) over the blocks. ${buildNote}. The runs' reports counted
${results.map((r) => `${r.evaluationsReported.toLocaleString('en-US')} (${r.variant.name})`).join(', ')} probe evaluations.

${st}

Result: ${CONCURRENCY} probes at once through JqPool + ProbeRunner judge ${Math.round(concurrent.evalsPerSecond).toLocaleString('en-US')} probes/s here (jq alone
${Math.round(tpRows[4]!.evalsPerSecond).toLocaleString('en-US')}/s, HTTP alone ${Math.round(tpRows[3]!.evalsPerSecond).toLocaleString('en-US')}/s) with the main thread's event-loop delay at
${ms(concurrent.loopP99, 1)} p99. API → T of one container, burst vs. no burst — ${summary.join('; ')}.
${storeNote}

Machine: ${machineNote()}
`;
  if (write) console.error(`wrote ${writeDocSection('coordinator-probes', section)}`);
  else console.log(section);
}

try {
  await main();
} finally {
  await cleanup();
}
