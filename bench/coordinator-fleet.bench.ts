// Benchmark: one coordinator (the real binary, `node bin/eris.js coordinator`) with 1,000, 5,000 and 10,000
// simulated agents (plain `ws` clients split over several child processes speaking lib/link/protocol.ts, see
// coordinator-fleet-sim.ts; 10 containers each by default): resident memory per agent connection, how long
// `POST /v1/faults` takes when it fans a command out to every agent and waits for every ack, the selection alone
// (`POST /v1/selections` over every target), and the API's latency under a steady stream of calls while SSE
// watchers follow a run — plus references in the same run: the same call for one container, the resume fan-out,
// and a bare `ws` server doing the same broadcast to the same simulated agents (the transport floor).
// Each fleet size gets a fresh coordinator.
//
// Run: node --import tsx bench/coordinator-fleet.bench.ts [--no-write] [--sizes 1000,5000,10000] [--containers 10]
//   [--sims 2] [--rounds 10] [--settle 3] [--watchers 100] [--load 10] [--no-build] [--cpu-prof DIR]
// Prints markdown tables and replaces <!-- coordinator-fleet:start --> … <!-- coordinator-fleet:end --> in docs/benchmarks.md.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { LINK_PATH, LINK_PROTOCOL, type AgentMessage, type CoordinatorMessage } from '../lib/link/protocol.js';
import {
  connectInspector, cpuTicks, ensureBuilt, ensureNoFile, flag, machineNote, median, memoryKiB, ms, nowNs, onInterrupt, percentile, ratio, sinceMs,
  spawnEris, table, writeDocSection, type ErisChild,
} from './coordinator-common.js';
import type { SimControl, SimReport } from './coordinator-fleet-sim.js';

const argValue = (name: string, fallback: string): string => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : fallback);
const SIZES = argValue('--sizes', process.argv.includes('--agents') ? argValue('--agents', '1000') : '1000,5000,10000').split(',').map(Number);
const CONTAINERS = Number(argValue('--containers', '10'));
const SIMS = Number(argValue('--sims', '2'));
const ROUNDS = Number(argValue('--rounds', '10'));
const WARMUP = 2;
const SETTLE_S = Number(argValue('--settle', '3'));
const WATCHERS = Number(argValue('--watchers', '100'));
const LOAD_S = Number(argValue('--load', '10'));
const CPU_PROF = process.argv.includes('--cpu-prof') ? argValue('--cpu-prof', '') : undefined;
const write = !flag('--no-write');
const TOKEN = 'bench-coord-fleet-token';
const NAMESPACE = 'sim';
const SIM = fileURLToPath(new URL('./coordinator-fleet-sim.ts', import.meta.url));

let coordinator: ErisChild | undefined;
let sims: ChildProcess[] = [];
let floor: WebSocketServer | undefined;
let dataDir: string | undefined;
let inspector: Awaited<ReturnType<typeof connectInspector>> | undefined;
let watchers: ClientRequest[] = [];

/** Stops what the current fleet size started (also on Ctrl-C). */
async function teardown(): Promise<void> {
  for (const w of watchers.splice(0)) w.destroy();
  await Promise.all(
    sims.splice(0).map(async (sim) => {
      if (sim.exitCode !== null) return;
      sim.send({ op: 'exit' } satisfies SimControl);
      await Promise.race([new Promise((r) => sim.once('exit', r)), sleep(3_000)]);
      if (sim.exitCode === null && sim.signalCode === null) sim.kill('SIGKILL');
    }),
  );
  inspector?.close();
  inspector = undefined;
  await coordinator?.stop('SIGTERM');
  coordinator = undefined;
  floor?.close();
  floor = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
}
const cleanup = onInterrupt(() => undefined, teardown);

const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; bytes: number }> {
  const res = await fetch(`${coordinator!.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text, bytes: Buffer.byteLength(text) };
}

/** One request/answer with one simulator over IPC. */
function simAsk<T extends SimReport['type']>(sim: ChildProcess, control: SimControl, want: T, timeoutMs = 300_000): Promise<Extract<SimReport, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator: no ${want} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: SimReport): void => {
      if (m.type === 'error') {
        clearTimeout(timer);
        sim.off('message', onMessage);
        reject(new Error(`simulator: ${m.message}`));
      } else if (m.type === want) {
        clearTimeout(timer);
        sim.off('message', onMessage);
        resolve(m as Extract<SimReport, { type: T }>);
      }
    };
    sim.on('message', onMessage);
    sim.send(control);
  });
}

/** The simulators' command counters, merged: the earliest first and the latest last command over all of them. */
async function simStats(op: 'mark' | 'stats'): Promise<{ commands: number; firstNs: bigint; lastNs: bigint }> {
  const all = await Promise.all(sims.map((s) => simAsk(s, { op }, 'stats')));
  const seen = all.filter((s) => s.commands > 0);
  return {
    commands: all.reduce((a, s) => a + s.commands, 0),
    firstNs: seen.length ? seen.map((s) => BigInt(s.firstNs)).reduce((a, b) => (a < b ? a : b)) : 0n,
    lastNs: seen.length ? seen.map((s) => BigInt(s.lastNs)).reduce((a, b) => (a > b ? a : b)) : 0n,
  };
}

/** Connects agents with indices [from, to) to `url`, split round-robin over the simulators. */
async function simConnect(url: string, from: number, to: number): Promise<{ count: number; ms: number }> {
  const t0 = nowNs();
  const got = await Promise.all(
    sims.map((sim, k) => {
      const indices: number[] = [];
      for (let i = from + k; i < to; i += sims.length) indices.push(i);
      return simAsk(sim, { op: 'connect', url, token: TOKEN, indices, batch: 50, cluster: 'sim', namespace: NAMESPACE, containers: CONTAINERS }, 'connected');
    }),
  );
  return { count: got.reduce((a, g) => a + g.count, 0), ms: sinceMs(t0) };
}

interface MemPoint {
  agents: number;
  rss: number;
  anon: number;
  /** V8 heap used after a forced full GC, KiB. */
  heap: number;
}

/** Forces full GCs in the coordinator (inspector), then reads its V8 heap use and its median RSS over 3 s. */
async function memPoint(pid: number, label: string, agents: number): Promise<MemPoint> {
  for (let i = 0; i < 3; i++) await inspector!.call('HeapProfiler.collectGarbage');
  const heap = (await inspector!.call('Runtime.getHeapUsage')) as { usedSize: number };
  await sleep(500);
  const { rss, anon } = await rssMedian(pid, 2);
  console.error(`${label}: RSS ${(rss / 1024).toFixed(1)} MiB, heap used ${(heap.usedSize / 2 ** 20).toFixed(1)} MiB`);
  return { agents, rss, anon, heap: heap.usedSize / 1024 };
}

/** Least-squares slope of y over x. */
function slope(points: Array<{ x: number; y: number }>): number {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxy / sxx;
}

/** Median VmRSS (KiB) over `seconds`, sampled every 250 ms. */
async function rssMedian(pid: number, seconds: number): Promise<{ rss: number; anon: number }> {
  const rss: number[] = [];
  const anon: number[] = [];
  for (let i = 0; i < seconds * 4; i++) {
    const m = memoryKiB(pid);
    if (!m) throw new Error(`pid ${pid} is gone`);
    rss.push(m.rss);
    anon.push(m.anon);
    await sleep(250);
  }
  return { rss: median(rss), anon: median(anon) };
}

async function waitAgents(want: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const h = await api('GET', '/healthz');
    if (h.body.agents === want) return;
    if (Date.now() > deadline) throw new Error(`the coordinator reports ${h.body.agents} agents, expected ${want}`);
    await sleep(200);
  }
}

interface FanSample {
  ms: number;
  /** Request sent → the simulators processed the first / the last command (same monotonic clock, other process). */
  firstCmd?: number;
  lastCmd?: number;
  bytes?: number;
}

const pq = (s: FanSample[], f: (x: FanSample) => number | undefined = (x) => x.ms): [number, number] => {
  const v = s.map(f).filter((x): x is number => x !== undefined);
  return [median(v), percentile(v, 99)];
};

/** SSE watchers of one run's events (`GET /v1/runs/{id}/events`), kept open while the API is under load. */
async function openWatchers(runId: string, n: number): Promise<number> {
  const url = new URL(`${coordinator!.url}/v1/runs/${runId}/events`);
  let open = 0;
  await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<void>((resolve, reject) => {
        const req = httpRequest(url, { headers: { authorization: `Bearer ${TOKEN}`, accept: 'text/event-stream' } }, (res) => {
          if (res.statusCode !== 200) return reject(new Error(`SSE watcher: ${res.statusCode}`));
          open++;
          res.resume();
          resolve();
        });
        req.on('error', (e) => (open < n ? reject(e) : undefined));
        req.end();
        watchers.push(req);
      }),
    ),
  );
  return open;
}

interface ApiLoad {
  name: string;
  samples: number[];
  bytes: number;
}

/** A steady stream of API calls (one at a time, 20 ms apart, the calls in turn) for `seconds`: latency per call. */
async function apiLoad(n: number, seconds: number): Promise<ApiLoad[]> {
  const calls: Array<{ name: string; run: (i: number) => Promise<{ status: number; bytes: number }> }> = [
    { name: '`GET /v1/targets?pod=^sim-K-0$` (filtered, 1 of all targets)', run: (i) => api('GET', `/v1/targets?pod=${encodeURIComponent(`^sim-${(i * 7919) % n}-0$`)}`) },
    { name: '`GET /v1/faults` (the kept immediate-fault history)', run: () => api('GET', '/v1/faults') },
    { name: '`POST /v1/selections` `{"namespaces":["sim"],"count":10}`', run: () => api('POST', '/v1/selections', { namespaces: [NAMESPACE], count: 10 }) },
    { name: '`GET /v1/agents`', run: () => api('GET', '/v1/agents') },
  ];
  const out: ApiLoad[] = calls.map((c) => ({ name: c.name, samples: [], bytes: 0 }));
  const end = Date.now() + seconds * 1000;
  for (let i = 0; Date.now() < end; i++) {
    const k = i % calls.length;
    const t0 = nowNs();
    const r = await calls[k]!.run(i);
    const took = sinceMs(t0);
    if (r.status !== 200) throw new Error(`${calls[k]!.name}: ${r.status}`);
    out[k]!.samples.push(took);
    out[k]!.bytes = r.bytes;
    await sleep(20);
  }
  return out;
}

interface SizeResult {
  n: number;
  targets: number;
  points: MemPoint[];
  perConn: { rss: number; anon: number; heap: number };
  connectedMs: number;
  all: FanSample[];
  resume: FanSample[];
  single: FanSample[];
  selection: FanSample[];
  floor: FanSample[];
  after: MemPoint;
  faultCalls: number;
  retained: { records: number; bytes: number };
  watchersOpen: number;
  load: ApiLoad[];
  cpuMsPerRound: number;
}

async function runSize(N: number): Promise<SizeResult> {
  const targets = N * CONTAINERS;
  dataDir = mkdtempSync(join(tmpdir(), 'eris-bench-coord-fleet-'));
  // --inspect (loopback, ephemeral port) only to force full GCs before each memory reading, so garbage left by
  // earlier requests does not blur the per-connection figure. --rate-limit 0: the load phase is one client.
  coordinator = await spawnEris(['coordinator', '--listen', '127.0.0.1:0', '--token', TOKEN, '--data-dir', dataDir, '--rate-limit', '0'], 'eris-coordinator listening', {
    // --cpu-prof DIR: a V8 CPU profile of the coordinator, written when it exits (for finding where its time goes).
    nodeArgs: ['--inspect=127.0.0.1:0', ...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : [])],
  });
  const pid = coordinator.pid;
  if (coordinator.inspectorUrl === undefined) throw new Error('the coordinator did not print its inspector URL');
  inspector = await connectInspector(coordinator.inspectorUrl);
  console.error(`[${N}] coordinator pid ${pid} at ${coordinator.url}`);

  // Load the code paths the measurements use before the 0-agent baseline, so the delta is the connections.
  for (let i = 0; i < 5; i++) {
    await api('GET', '/healthz');
    await api('GET', '/v1/agents');
    await api('POST', '/v1/selections', { namespaces: [NAMESPACE] });
    await api('POST', '/v1/faults', { target: { namespaces: [NAMESPACE] }, signal: 'SIGSTOP', lease: '60s' });
  }
  await sleep(SETTLE_S * 1000);
  const points: MemPoint[] = [await memPoint(pid, `[${N}] 0 agents`, 0)];

  sims = Array.from({ length: SIMS }, () => fork(SIM, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const wsUrl = coordinator.url.replace(/^http/, 'ws');
  let connectedMs = 0;
  for (let step = 1; step <= 4; step++) {
    const want = Math.round((N * step) / 4);
    const have = points.at(-1)!.agents;
    const c = await simConnect(wsUrl, have, want);
    if (c.count !== want) throw new Error(`only ${c.count} of ${want} simulated agents connected`);
    connectedMs += c.ms;
    await waitAgents(want);
    await sleep(SETTLE_S * 1000);
    points.push(await memPoint(pid, `[${N}] ${want} agents`, want));
  }
  const perConn = {
    rss: slope(points.map((p) => ({ x: p.agents, y: p.rss }))),
    anon: slope(points.map((p) => ({ x: p.agents, y: p.anon }))),
    heap: slope(points.map((p) => ({ x: p.agents, y: p.heap }))),
  };
  console.error(`[${N}] per connection: RSS ${perConn.rss.toFixed(1)} KiB, heap ${perConn.heap.toFixed(1)} KiB`);

  // ------------------------------------------------------------------------------------------------------------
  const all: FanSample[] = [];
  const resume: FanSample[] = [];
  const selection: FanSample[] = [];
  const single: FanSample[] = [];
  const ticks0 = cpuTicks(pid)!;
  let faultCalls = 0;
  const fanOut = async (group: Record<string, unknown>, expectAgents: number, into: FanSample[] | null, resumeInto: FanSample[] | null): Promise<void> => {
    await simStats('mark');
    const t0 = nowNs();
    const res = await api('POST', '/v1/faults', { target: group, signal: 'SIGSTOP', lease: '60s' });
    const took = sinceMs(t0);
    if (res.status !== 201 || res.body.parts?.length !== expectAgents || res.body.errors?.length !== 0) {
      if (res.body.parts) {
        const seen = new Set(res.body.parts.map((p: { agent: string }) => p.agent));
        const agents = (await api('GET', '/v1/agents')).body.agents as Array<{ id: string }>;
        const tg = (await api('POST', '/v1/selections', group)).body;
        console.error('missing', agents.filter((a) => !seen.has(a.id)).map((a) => JSON.stringify(a)), 'selection', tg.picked?.length, 'targets', res.body.targets?.length);
      }
      throw new Error(`POST /v1/faults: ${res.status} parts ${res.body.parts?.length} errors ${JSON.stringify(res.body.errors ?? res.body).slice(0, 400)}`);
    }
    const st = await simStats('stats');
    if (st.commands !== expectAgents) throw new Error(`the simulators saw ${st.commands} commands, expected ${expectAgents}`);
    faultCalls++;
    into?.push({ ms: took, firstCmd: Number(st.firstNs - t0) / 1e6, lastCmd: Number(st.lastNs - t0) / 1e6, bytes: res.bytes });
    await simStats('mark');
    const t1 = nowNs();
    const del = await api('DELETE', `/v1/faults/${res.body.id}`);
    const tookDel = sinceMs(t1);
    if (del.status !== 200 || del.body.parts.some((p: { fault: { state: string } }) => p.fault.state !== 'resumed')) throw new Error(`DELETE: ${del.status}`);
    const st2 = await simStats('stats');
    resumeInto?.push({ ms: tookDel, firstCmd: Number(st2.firstNs - t1) / 1e6, lastCmd: Number(st2.lastNs - t1) / 1e6, bytes: del.bytes });
  };
  const selectAll = async (into: FanSample[] | null): Promise<void> => {
    const t0 = nowNs();
    const res = await api('POST', '/v1/selections', { namespaces: [NAMESPACE] });
    const took = sinceMs(t0);
    if (res.status !== 200 || res.body.picked.length !== targets) throw new Error(`POST /v1/selections: ${res.status} picked ${res.body.picked?.length}`);
    into?.push({ ms: took, bytes: res.bytes });
  };

  const t = Date.now();
  for (let i = -WARMUP; i < ROUNDS; i++) {
    const keep = i >= 0;
    await selectAll(keep ? selection : null);
    await sleep(50);
    await fanOut({ namespaces: [NAMESPACE], pod: `^sim-${((i + WARMUP) * 37) % N}-0$` }, 1, keep ? single : null, null);
    await sleep(50);
    await fanOut({ namespaces: [NAMESPACE] }, N, keep ? all : null, keep ? resume : null);
    await sleep(200);
    console.error(`[${N}] round ${i + 1}/${ROUNDS}: all ${ms(all.at(-1)?.ms ?? NaN)}, selection ${ms(selection.at(-1)?.ms ?? NaN)} (${((Date.now() - t) / 1000).toFixed(0)} s)`);
  }
  const cpuMsPerRound = ((cpuTicks(pid)! - ticks0) * 10) / (ROUNDS + WARMUP);
  await sleep(SETTLE_S * 1000);
  const after = await memPoint(pid, `[${N}] after ${faultCalls} fault calls`, N);
  const listed = await api('GET', '/v1/faults');
  const retained = { records: (listed.body.faults as unknown[]).length, bytes: listed.bytes };
  console.error(`[${N}] GET /v1/faults lists ${retained.records} records, ${(retained.bytes / 1e6).toFixed(1)} MB`);

  // The API under a steady stream of calls while WATCHERS SSE clients follow a running drill's events.
  const run = await api('POST', '/v1/runs', {
    spec: {
      apiVersion: 'eris.dev/v1alpha1',
      kind: 'Drill',
      metadata: { name: 'fleet-bench-watch' },
      spec: { targets: { one: { namespaces: [NAMESPACE], count: 1 } }, steps: [{ sleep: '10m' }] },
    },
  });
  if (run.status !== 201) throw new Error(`POST /v1/runs: ${run.status} ${JSON.stringify(run.body).slice(0, 400)}`);
  const watchersOpen = await openWatchers(run.body.id, WATCHERS);
  const load = await apiLoad(N, LOAD_S);
  for (const w of watchers.splice(0)) w.destroy();
  await api('POST', `/v1/runs/${run.body.id}/abort`);
  console.error(`[${N}] API under load: ${load.map((l) => `${l.name.slice(0, 24)} p99 ${ms(percentile(l.samples, 99))}`).join('; ')}`);

  for (const sim of sims) await simAsk(sim, { op: 'disconnect' }, 'disconnected');
  await waitAgents(0);

  // ------------------------------------------------------------------------------------------------------------
  // The floor: a bare ws server (this process) that sends the same fault.create command to every simulated agent
  // and waits for every reply — no HTTP, no selection, no bookkeeping.
  floor = new WebSocketServer({ host: '127.0.0.1', port: 0, path: LINK_PATH, maxPayload: 16 * 1024 * 1024 });
  const sockets: Array<{ ws: WebSocket; containerIds: string[] }> = [];
  const pending = new Map<string, () => void>();
  floor.on('connection', (ws) => {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as AgentMessage;
      if (m.type === 'hello') {
        sockets.push({ ws, containerIds: m.containers.map((c) => c.id) });
        ws.send(JSON.stringify({ type: 'welcome', coordinatorId: 'floor', protocol: LINK_PROTOCOL } satisfies CoordinatorMessage));
      } else if (m.type === 'reply') {
        const done = pending.get(m.id);
        pending.delete(m.id);
        done?.();
      }
    });
  });
  await new Promise((r) => floor!.once('listening', r));
  const floorUrl = `ws://127.0.0.1:${(floor.address() as AddressInfo).port}`;
  const again = await simConnect(floorUrl, 0, N);
  if (again.count !== N) throw new Error(`floor: ${again.count} connected`);
  const floorSamples: FanSample[] = [];
  for (let i = -WARMUP; i < ROUNDS; i++) {
    const t0 = nowNs();
    await Promise.all(
      sockets.map(
        ({ ws, containerIds }) =>
          new Promise<void>((resolve) => {
            const id = randomUUID();
            pending.set(id, resolve);
            const request = { signal: 'SIGSTOP', target: { containerIds }, scope: 'all' as const, leaseSeconds: 60, labels: { immediate: 'floor' } };
            ws.send(JSON.stringify({ type: 'command', id, op: 'fault.create', request } satisfies CoordinatorMessage));
          }),
      ),
    );
    if (i >= 0) floorSamples.push({ ms: sinceMs(t0) });
    await sleep(200);
  }
  await teardown();
  return { n: N, targets, points, perConn, connectedMs, all, resume, single, selection, floor: floorSamples, after, faultCalls, retained, watchersOpen, load, cpuMsPerRound };
}

// ------------------------------------------------------------------------------------------------------------
const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;
const kib = (k: number): string => (Math.abs(k) >= 10 * 1024 ? mib(k) : `${k.toFixed(0)} KiB`);
const kB = (b: number): string => (b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${(b / 1e3).toFixed(1)} kB`);
/** How a figure grows from the smallest fleet to this one, against how the fleet grew. */
const growth = (v: number, v0: number): string => `${(v / v0).toFixed(1)}×`;

function summary(results: SizeResult[]): string {
  const r0 = results[0]!;
  const rows = results.map((r) => {
    const allP = pq(r.all);
    const selP = pq(r.selection);
    const floorP = pq(r.floor);
    const loadP99 = Math.max(...r.load.map((l) => percentile(l.samples, 99)));
    return [
      `**${r.n}** (${r.targets} targets)`,
      `${r.perConn.rss.toFixed(1)} KiB (heap ${r.perConn.heap.toFixed(1)} KiB)`,
      `**${ms(allP[1])}** (median ${ms(allP[0])})`,
      `${ms(floorP[1])} (median ${ms(floorP[0])})`,
      ratio(allP[0], floorP[0]),
      `**${ms(selP[1])}** (median ${ms(selP[0])})`,
      `**${ms(loadP99)}**`,
      `${growth(r.n, r0.n)} / ${growth(allP[0], pq(r0.all)[0])} / ${growth(selP[0], pq(r0.selection)[0])} / ${growth(loadP99, Math.max(...r0.load.map((l) => percentile(l.samples, 99))))}`,
    ];
  });
  return table(
    ['agents', 'memory per connection (RSS slope)', 'fan-out to all, ack p99', 'floor: bare `ws`, same fan-out, p99', 'fan-out ÷ floor (medians)', 'selection over all targets, p99', 'API p99 under load (worst call)', 'growth vs smallest: fleet / fan-out / selection / API'],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows,
  );
}

function detail(r: SizeResult): string {
  const N = r.n;
  const allP = pq(r.all);
  const floorP = pq(r.floor);
  const row = (name: string, s: FanSample[], cmds: boolean): string[] => [
    name, String(s.length), ms(pq(s)[0]), ms(pq(s)[1]), ratio(pq(s)[0], allP[0]),
    cmds ? `${ms(pq(s, (x) => x.firstCmd)[0])} / ${ms(pq(s, (x) => x.lastCmd)[0])}` : '–',
    s[0]?.bytes !== undefined ? kB(median(s.map((x) => x.bytes!))) : '–',
  ];
  const calls = table(
    ['call', 'n', 'request → response, median', 'p99', '÷ fan-out median', 'request → first / last command handled by the agents, median', 'response size'],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
    [
      row(`\`POST /v1/faults\` over all ${N} agents (select ${r.targets}, ${N} \`fault.create\` commands, wait for every ack)`, r.all, true),
      row(`\`DELETE /v1/faults/{id}\` of that fault (${N} \`fault.resume\` commands)`, r.resume, true),
      row('`POST /v1/faults` picking 1 container (1 command), same fleet', r.single, true),
      row(`\`POST /v1/selections\` of all ${r.targets} targets (selection only, no command)`, r.selection, false),
      [`floor: bare \`ws\` server sends the same \`fault.create\` to the same ${N} simulated agents and awaits every reply`, String(r.floor.length), ms(floorP[0]), ms(floorP[1]), ratio(floorP[0], allP[0]), '–', '–'],
    ],
  );
  const p0 = r.points[0]!;
  const idle = r.points.at(-1)!;
  const mem = table(
    ['coordinator state', 'RSS (median over 2 s)', 'of it anonymous', 'V8 heap used', 'Δ'],
    ['l', 'r', 'r', 'r', 'r'],
    [
      ...r.points.map((p, i) => [
        p.agents === 0 ? '0 agents (after warm-up requests)' : `${p.agents} agents connected, idle`,
        mib(p.rss), mib(p.anon), mib(p.heap),
        i === 0 ? '–' : `+${kib(p.rss - p0.rss)} RSS, +${kib(p.heap - p0.heap)} heap`,
      ]),
      [`**per connection** (least-squares slope over the ${r.points.length} points)`, `**${r.perConn.rss.toFixed(1)} KiB**`, `${r.perConn.anon.toFixed(1)} KiB`, `${r.perConn.heap.toFixed(1)} KiB`, ''],
      [`${N} agents, after ${r.faultCalls} \`POST /v1/faults\` + \`DELETE\``, mib(r.after.rss), mib(r.after.anon), mib(r.after.heap),
        `+${kib(r.after.rss - idle.rss)} RSS, +${kib(r.after.heap - idle.heap)} heap vs idle; \`GET /v1/faults\` lists ${r.retained.records} (${kB(r.retained.bytes)})`],
    ],
  );
  const load = table(
    ['call (one at a time, 20 ms apart, in turn)', 'n', 'median', 'p99', 'response size'],
    ['l', 'r', 'r', 'r', 'r'],
    r.load.map((l) => [l.name, String(l.samples.length), ms(median(l.samples)), ms(percentile(l.samples, 99)), kB(l.bytes)]),
  );
  return `### ${N} agents, ${r.targets} targets

${N} agents connected in ${(r.connectedMs / 1000).toFixed(1)} s in all (50 at a time per simulator). Coordinator CPU: ${r.cpuMsPerRound.toFixed(0)} ms per round
(selection + single + fan-out + resume). API load with ${r.watchersOpen} SSE watchers connected.

${mem}

${calls}

${load}
`;
}

async function main(): Promise<void> {
  const buildNote = ensureBuilt();
  const max = Math.max(...SIZES);
  // The coordinator holds one socket per agent and the simulators share the others; the limit is per process.
  const nofile = ensureNoFile(2 * max + WATCHERS + 1024);
  if (nofile.after < max + WATCHERS + 256) throw new Error(`open-files limit ${nofile.after} is too low for ${max} connections (hard limit ${nofile.hard})`);
  const results: SizeResult[] = [];
  // Written after each size, so a larger fleet that does not fit still leaves the smaller ones measured.
  for (const n of SIZES) {
    results.push(await runSize(n));
    const section = render(results, buildNote, nofile);
    if (write) console.error(`wrote ${writeDocSection('coordinator-fleet', section)}`);
    else if (results.length === SIZES.length) console.log(section);
  }
}

function render(results: SizeResult[], buildNote: string, nofile: ReturnType<typeof ensureNoFile>): string {
  const last = results.at(-1)!;
  const lastAll = pq(last.all);
  const lastSel = pq(last.selection);
  return `
## Coordinator: ${results.map((x) => x.n).join(' / ')} agents — memory per connection, fan-out, selection, API under load (coordinator-fleet)

What: the real coordinator binary (\`node bin/eris.js coordinator --listen 127.0.0.1:0 --token … --data-dir TMP --rate-limit 0\`,
SQLite store, info logs to a pipe the benchmark drains), a fresh one for each fleet size, with that many simulated agents
connected: plain \`ws\` clients in ${SIMS} child processes (\`bench/coordinator-fleet-sim.ts\`, the agents split round-robin)
speaking \`lib/link/protocol.ts\` — each sends a \`hello\` (cluster \`sim\`, its own node name, one of 3 zones, an inventory of
${CONTAINERS} containers, each in its own pod) and answers every \`command\` the way the real agent does: a \`fault\` event,
then a \`reply\` carrying a minimal Fault (one process per container asked for, verified; nothing is signalled).
Memory: the coordinator's VmRSS (\`/proc/PID/status\`, median of 8 samples over 2 s) and V8 heap in use, with 0, ¼, ½, ¾
and all agents connected (${SETTLE_S} s of settling each); before every reading the benchmark forces full garbage
collections through the inspector (the coordinator runs with \`--inspect=127.0.0.1:0\` for that alone).
Per connection = the least-squares slope of RSS over the number of agents. Fan-out: \`POST /v1/faults\`
\`{"target":{"namespaces":["sim"]},"signal":"SIGSTOP","lease":"60s"}\` picks every container and sends one
\`fault.create\` per agent; the response comes after every agent answered. Timed by the client from request to response
(${ROUNDS} rounds after ${WARMUP} warm-up rounds; p99 is nearest-rank, i.e. the maximum of ${ROUNDS}); the simulators record on the
same monotonic clock when they handled the first and the last command of each call. References in the same rounds: the
same call for a single container, the selection alone (\`POST /v1/selections\` \`{"namespaces":["sim"]}\`, every target),
and the resume fan-out; after the coordinator part, the same simulated agents connect to a bare \`ws\` server in the
benchmark process that sends each the same command (with its container ids) and awaits every reply (the floor).
API under load: a drill run that only sleeps is started, ${WATCHERS} clients follow its events (\`GET /v1/runs/{id}/events\`, SSE)
and one client calls the API in turn for ${LOAD_S} s, one call at a time, 20 ms apart.

How: \`bench/coordinator-fleet.bench.ts\`, ${buildNote}. Open files: soft limit ${nofile.after} (hard ${nofile.hard}${nofile.before !== nofile.after ? `, raised from ${nofile.before} with prlimit` : ''});
the coordinator needs one descriptor per agent and SSE watcher, so a shell with \`ulimit -n 1024\` must raise it first (the
script does that with \`prlimit\` on itself when it is too low; children inherit it).

${summary(results)}

Targets at ${last.n} agents: fan-out acked within 250 ms p99 — **${lastAll[1] <= 250 ? 'met' : 'missed'}** (${ms(lastAll[1])});
selection over ${last.targets} targets within 50 ms — **${lastSel[1] <= 50 ? 'met' : 'missed'}** (p99 ${ms(lastSel[1])}, median ${ms(lastSel[0])}).
Immediate-fault history: finished faults are kept up to 500 faults and 20,000 agent parts in all (coordinator/api/faults.ts),
so what \`GET /v1/faults\` lists and the heap it holds stop growing after a few fan-outs over a large fleet.

${results.map(detail).join('\n')}
Machine: ${machineNote()}
`;
}

try {
  await main();
} finally {
  await cleanup();
}
