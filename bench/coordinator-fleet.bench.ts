// Benchmark: one coordinator (the real binary, `node bin/eris.js coordinator`) with 1,000 simulated agents
// connected (plain `ws` clients in a child process speaking lib/link/protocol.ts, see coordinator-fleet-sim.ts):
// resident memory per agent connection, and how long `POST /v1/faults` takes when it fans a command out to all
// 1,000 agents and waits for every ack — plus references in the same run: the same call for one agent, the
// selection alone (`POST /v1/selections`), the resume fan-out, and a bare `ws` server doing the same broadcast
// to the same simulated agents (the transport floor).
//
// Run: node --import tsx bench/coordinator-fleet.bench.ts [--no-write] [--agents 1000] [--rounds 20] [--settle 5] [--no-build]
//   [--cpu-prof DIR]
// Prints markdown tables and replaces <!-- coordinator-fleet:start --> … <!-- coordinator-fleet:end --> in docs/benchmarks.md.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { LINK_PATH, LINK_PROTOCOL, type AgentMessage, type CoordinatorMessage } from '../lib/link/protocol.js';
import {
  arg, connectInspector, cpuTicks, ensureBuilt, ensureNoFile, flag, machineNote, median, memoryKiB, ms, nowNs, onInterrupt, percentile, ratio, sinceMs,
  spawnEris, table, writeDocSection, type ErisChild,
} from './coordinator-common.js';
import type { SimControl, SimReport } from './coordinator-fleet-sim.js';

const N = arg('--agents', 1000);
const ROUNDS = arg('--rounds', 20);
const WARMUP = 3;
const SETTLE_S = arg('--settle', 5);
const write = !flag('--no-write');
const TOKEN = 'bench-coord-fleet-token';
const NAMESPACE = 'sim';
const SIM = fileURLToPath(new URL('./coordinator-fleet-sim.ts', import.meta.url));

let coordinator: ErisChild | undefined;
let sim: ChildProcess | undefined;
let floor: WebSocketServer | undefined;
let dataDir: string | undefined;
let inspector: Awaited<ReturnType<typeof connectInspector>> | undefined;

const cleanup = onInterrupt(
  () => undefined,
  async () => {
    if (sim && sim.exitCode === null) {
      sim.send({ op: 'exit' } satisfies SimControl);
      await Promise.race([new Promise((r) => sim!.once('exit', r)), sleep(3_000)]);
      if (sim.exitCode === null && sim.signalCode === null) sim.kill('SIGKILL');
    }
    inspector?.close();
    await coordinator?.stop('SIGTERM');
    floor?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  },
);

const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; bytes: number }> {
  const res = await fetch(`${coordinator!.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text, bytes: Buffer.byteLength(text) };
}

/** One request/answer with the simulator over IPC. */
function simAsk<T extends SimReport['type']>(control: SimControl, want: T, timeoutMs = 120_000): Promise<Extract<SimReport, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator: no ${want} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: SimReport): void => {
      if (m.type === 'error') {
        clearTimeout(timer);
        sim!.off('message', onMessage);
        reject(new Error(`simulator: ${m.message}`));
      } else if (m.type === want) {
        clearTimeout(timer);
        sim!.off('message', onMessage);
        resolve(m as Extract<SimReport, { type: T }>);
      }
    };
    sim!.on('message', onMessage);
    sim!.send(control);
  });
}

interface MemPoint {
  label: string;
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
  const { rss, anon } = await rssMedian(pid, 3);
  console.error(`${label}: RSS ${(rss / 1024).toFixed(1)} MiB, heap used ${(heap.usedSize / 2 ** 20).toFixed(1)} MiB`);
  return { label, agents, rss, anon, heap: heap.usedSize / 1024 };
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
  const deadline = Date.now() + 60_000;
  for (;;) {
    const h = await api('GET', '/healthz');
    if (h.body.agents === want) return;
    if (Date.now() > deadline) throw new Error(`the coordinator reports ${h.body.agents} agents, expected ${want}`);
    await sleep(100);
  }
}

interface FanSample {
  ms: number;
  /** Request sent → the simulators processed the first / the last command (same monotonic clock, other process). */
  firstCmd?: number;
  lastCmd?: number;
  bytes?: number;
}

async function main(): Promise<void> {
  const buildNote = ensureBuilt();
  const nofile = ensureNoFile(2 * N + 1024);
  if (nofile.after < N + 256) throw new Error(`open-files limit ${nofile.after} is too low for ${N} connections (hard limit ${nofile.hard})`);
  dataDir = mkdtempSync(join(tmpdir(), 'eris-bench-coord-fleet-'));
  // --inspect (loopback, ephemeral port) only to force full GCs before each memory reading, so garbage left by
  // earlier requests does not blur the per-connection figure.
  coordinator = await spawnEris(['coordinator', '--listen', '127.0.0.1:0', '--token', TOKEN, '--data-dir', dataDir], 'eris-coordinator listening', {
    // --cpu-prof DIR: a V8 CPU profile of the coordinator, written when it exits (for finding where its time goes).
    nodeArgs: ['--inspect=127.0.0.1:0', ...(process.argv.includes('--cpu-prof') ? ['--cpu-prof', '--cpu-prof-dir', process.argv[process.argv.indexOf('--cpu-prof') + 1]!] : [])],
  });
  const pid = coordinator.pid;
  if (coordinator.inspectorUrl === undefined) throw new Error('the coordinator did not print its inspector URL');
  inspector = await connectInspector(coordinator.inspectorUrl);
  console.error(`coordinator pid ${pid} at ${coordinator.url}; open-files limit ${nofile.after} (was ${nofile.before}, hard ${nofile.hard})`);

  // Load the code paths the measurements use before the 0-agent baseline, so the delta is the connections.
  for (let i = 0; i < 5; i++) {
    await api('GET', '/healthz');
    await api('GET', '/v1/agents');
    await api('POST', '/v1/selections', { namespaces: [NAMESPACE] });
    await api('POST', '/v1/faults', { target: { namespaces: [NAMESPACE] }, signal: 'SIGSTOP', lease: '60s' });
  }
  await sleep(SETTLE_S * 1000);
  const points: MemPoint[] = [await memPoint(pid, '0 agents', 0)];

  sim = fork(SIM, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const wsUrl = coordinator.url.replace(/^http/, 'ws');
  let connectedMs = 0;
  for (let step = 1; step <= 4; step++) {
    const want = Math.round((N * step) / 4);
    const have = points.at(-1)!.agents;
    const c = await simAsk({ op: 'connect', url: wsUrl, token: TOKEN, count: want - have, batch: 50, cluster: 'sim', namespace: NAMESPACE }, 'connected');
    if (c.count !== want) throw new Error(`only ${c.count} of ${want} simulated agents connected (${c.failed} failed)`);
    connectedMs += c.ms;
    await waitAgents(want);
    await sleep(SETTLE_S * 1000);
    points.push(await memPoint(pid, `${want} agents`, want));
  }
  const rssPerConn = slope(points.map((p) => ({ x: p.agents, y: p.rss })));
  const anonPerConn = slope(points.map((p) => ({ x: p.agents, y: p.anon })));
  const heapPerConn = slope(points.map((p) => ({ x: p.agents, y: p.heap })));
  const perConnKiB = rssPerConn;
  console.error(`per connection: RSS ${rssPerConn.toFixed(1)} KiB, heap ${heapPerConn.toFixed(1)} KiB`);

  // ------------------------------------------------------------------------------------------------------------
  const all: FanSample[] = [];
  const resume: FanSample[] = [];
  const selection: FanSample[] = [];
  const single: FanSample[] = [];
  const ticks0 = cpuTicks(pid)!;
  let faultCalls = 0;
  const fanOut = async (group: Record<string, unknown>, expect: number, into: FanSample[] | null, resumeInto: FanSample[] | null): Promise<void> => {
    await simAsk({ op: 'mark' }, 'stats');
    const t0 = nowNs();
    const res = await api('POST', '/v1/faults', { target: group, signal: 'SIGSTOP', lease: '60s' });
    const took = sinceMs(t0);
    if (res.status !== 201 || res.body.parts?.length !== expect || res.body.errors?.length !== 0) {
      throw new Error(`POST /v1/faults: ${res.status} parts ${res.body.parts?.length} errors ${JSON.stringify(res.body.errors ?? res.body).slice(0, 400)}`);
    }
    const st = await simAsk({ op: 'stats' }, 'stats');
    if (st.commands !== expect) throw new Error(`the simulators saw ${st.commands} commands, expected ${expect}`);
    faultCalls++;
    into?.push({ ms: took, firstCmd: Number(BigInt(st.firstNs) - t0) / 1e6, lastCmd: Number(BigInt(st.lastNs) - t0) / 1e6, bytes: res.bytes });
    await simAsk({ op: 'mark' }, 'stats');
    const t1 = nowNs();
    const del = await api('DELETE', `/v1/faults/${res.body.id}`);
    const tookDel = sinceMs(t1);
    if (del.status !== 200 || del.body.parts.some((p: { fault: { state: string } }) => p.fault.state !== 'resumed')) throw new Error(`DELETE: ${del.status}`);
    const st2 = await simAsk({ op: 'stats' }, 'stats');
    resumeInto?.push({ ms: tookDel, firstCmd: Number(BigInt(st2.firstNs) - t1) / 1e6, lastCmd: Number(BigInt(st2.lastNs) - t1) / 1e6, bytes: del.bytes });
  };
  const selectAll = async (into: FanSample[] | null): Promise<void> => {
    const t0 = nowNs();
    const res = await api('POST', '/v1/selections', { namespaces: [NAMESPACE] });
    const took = sinceMs(t0);
    if (res.status !== 200 || res.body.picked.length !== N) throw new Error(`POST /v1/selections: ${res.status}`);
    into?.push({ ms: took, bytes: res.bytes });
  };

  const t = Date.now();
  for (let i = -WARMUP; i < ROUNDS; i++) {
    const keep = i >= 0;
    await selectAll(keep ? selection : null);
    await sleep(50);
    await fanOut({ namespaces: [NAMESPACE], pod: `^sim-${(i + WARMUP) * 37 % N}$` }, 1, keep ? single : null, null);
    await sleep(50);
    await fanOut({ namespaces: [NAMESPACE] }, N, keep ? all : null, keep ? resume : null);
    await sleep(200);
    if ((i + 1) % 5 === 0) console.error(`round ${i + 1}/${ROUNDS}: all ${ms(all.at(-1)?.ms ?? NaN)} (${((Date.now() - t) / 1000).toFixed(0)} s)`);
  }
  const elapsedS = (Date.now() - t) / 1000;
  const cpuMsPerRound = ((cpuTicks(pid)! - ticks0) * 10) / (ROUNDS + WARMUP);
  await sleep(SETTLE_S * 1000);
  const idle = points.at(-1)!;
  const after = await memPoint(pid, `after ${faultCalls} fault calls`, N);
  const listed = await api('GET', '/v1/faults');
  const retained = { records: (listed.body.faults as unknown[]).length, bytes: listed.bytes };
  console.error(`GET /v1/faults lists ${retained.records} records, ${(retained.bytes / 1e6).toFixed(1)} MB`);

  await simAsk({ op: 'disconnect' }, 'disconnected');
  await waitAgents(0);
  await sleep(SETTLE_S * 1000);
  const gone = await memPoint(pid, 'all disconnected', 0);

  // ------------------------------------------------------------------------------------------------------------
  // The floor: a bare ws server (this process) that sends the same fault.create command to every simulated agent
  // and waits for every reply — no HTTP, no selection, no bookkeeping.
  floor = new WebSocketServer({ host: '127.0.0.1', port: 0, path: LINK_PATH, maxPayload: 16 * 1024 * 1024 });
  const sockets: WebSocket[] = [];
  const pending = new Map<string, () => void>();
  floor.on('connection', (ws) => {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as AgentMessage;
      if (m.type === 'hello') {
        sockets.push(ws);
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
  const again = await simAsk({ op: 'connect', url: floorUrl, token: TOKEN, count: N, batch: 50, cluster: 'sim', namespace: NAMESPACE }, 'connected');
  if (again.count !== N) throw new Error(`floor: ${again.count} connected`);
  const floorSamples: FanSample[] = [];
  for (let i = -WARMUP; i < ROUNDS; i++) {
    const t0 = nowNs();
    await Promise.all(
      sockets.map(
        (ws) =>
          new Promise<void>((resolve) => {
            const id = randomUUID();
            pending.set(id, resolve);
            const request = { signal: 'SIGSTOP', target: { containerIds: ['x'] }, scope: 'all' as const, leaseSeconds: 60, labels: { immediate: 'floor' } };
            ws.send(JSON.stringify({ type: 'command', id, op: 'fault.create', request } satisfies CoordinatorMessage));
          }),
      ),
    );
    if (i >= 0) floorSamples.push({ ms: sinceMs(t0) });
    await sleep(200);
  }
  await simAsk({ op: 'disconnect' }, 'disconnected');

  // ------------------------------------------------------------------------------------------------------------
  const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;
  const p = (s: FanSample[], f: (x: FanSample) => number | undefined = (x) => x.ms): [number, number] => {
    const v = s.map(f).filter((x): x is number => x !== undefined);
    return [median(v), percentile(v, 99)];
  };
  const allP = p(all);
  const floorP = p(floorSamples);
  const rows: string[][] = [
    [`\`POST /v1/faults\` over all ${N} agents (select ${N}, ${N} \`fault.create\` commands, wait for every ack)`, String(all.length), `**${ms(allP[0])}**`, `**${ms(allP[1])}**`, '1×',
      `${ms(p(all, (x) => x.firstCmd)[0])} / ${ms(p(all, (x) => x.lastCmd)[0])}`, `${(median(all.map((x) => x.bytes!)) / 1e3).toFixed(0)} kB`],
    [`\`DELETE /v1/faults/{id}\` of that fault (${N} \`fault.resume\` commands)`, String(resume.length), ms(p(resume)[0]), ms(p(resume)[1]), ratio(p(resume)[0], allP[0]),
      `${ms(p(resume, (x) => x.firstCmd)[0])} / ${ms(p(resume, (x) => x.lastCmd)[0])}`, `${(median(resume.map((x) => x.bytes!)) / 1e3).toFixed(0)} kB`],
    [`\`POST /v1/faults\` picking 1 container (1 command), same fleet`, String(single.length), ms(p(single)[0]), ms(p(single)[1]), ratio(p(single)[0], allP[0]),
      `${ms(p(single, (x) => x.firstCmd)[0])} / ${ms(p(single, (x) => x.lastCmd)[0])}`, `${(median(single.map((x) => x.bytes!)) / 1e3).toFixed(1)} kB`],
    [`\`POST /v1/selections\` of all ${N} (selection only, no command)`, String(selection.length), ms(p(selection)[0]), ms(p(selection)[1]), ratio(p(selection)[0], allP[0]), '–',
      `${(median(selection.map((x) => x.bytes!)) / 1e3).toFixed(0)} kB`],
    [`floor: bare \`ws\` server sends the same \`fault.create\` to the same ${N} simulated agents and awaits every reply (no HTTP, no selection)`, String(floorSamples.length),
      ms(floorP[0]), ms(floorP[1]), ratio(floorP[0], allP[0]), '–', '–'],
  ];
  const tbl = table(
    ['call', 'n', 'request → response, median', 'p99', '÷ fan-out median', 'request → first / last command handled by the agents, median', 'response size'],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows,
  );
  const kib = (k: number): string => (Math.abs(k) >= 10 * 1024 ? mib(k) : `${k.toFixed(0)} KiB`);
  const memRows: string[][] = [
    ...points.map((p, i) => [
      p.agents === 0 ? '0 agents (after warm-up requests)' : `${p.agents} agents connected, idle`,
      mib(p.rss),
      mib(p.anon),
      mib(p.heap),
      i === 0 ? '–' : `+${kib(p.rss - points[0]!.rss)} RSS, +${kib(p.heap - points[0]!.heap)} heap`,
    ]),
    [`**per connection** (least-squares slope over the ${points.length} points)`, `**${rssPerConn.toFixed(1)} KiB**`, `${anonPerConn.toFixed(1)} KiB`, `${heapPerConn.toFixed(1)} KiB`, ''],
    [`${N} agents, after ${faultCalls} \`POST /v1/faults\` + \`DELETE\` (${ROUNDS + WARMUP} of them over all ${N})`, mib(after.rss), mib(after.anon), mib(after.heap),
      `+${kib(after.rss - idle.rss)} RSS, +${kib(after.heap - idle.heap)} heap vs idle (${((after.heap - idle.heap) / faultCalls).toFixed(0)} KiB heap per call)`],
    [`all ${N} agents disconnected again`, mib(gone.rss), mib(gone.anon), mib(gone.heap), `+${kib(gone.rss - points[0]!.rss)} RSS, +${kib(gone.heap - points[0]!.heap)} heap vs 0 agents`],
  ];
  const memTbl = table(['coordinator state', 'RSS (median over 3 s)', 'of it anonymous', 'V8 heap used', 'Δ'], ['l', 'r', 'r', 'r', 'r'], memRows);
  const met = allP[1] <= 200;
  const section = `
## Coordinator: 1,000 agents — memory per connection and a fan-out to all (coordinator-fleet)

What: the real coordinator binary (\`node bin/eris.js coordinator --listen 127.0.0.1:0 --token … --data-dir TMP\`, SQLite
store, info logs to a pipe the benchmark drains) with ${N} simulated agents connected: plain \`ws\` clients in one child
process (\`bench/coordinator-fleet-sim.ts\`) speaking \`lib/link/protocol.ts\` — each sends a \`hello\` (cluster \`sim\`, its own
node name, one of 3 zones, a one-container inventory) and answers every \`command\` the way the real agent does: a \`fault\`
event, then a \`reply\` carrying a minimal Fault (one container, one process, verified; nothing is signalled).
Memory: the coordinator's VmRSS (\`/proc/PID/status\`, median of 12 samples over 3 s) and V8 heap in use, with 0, ${points.slice(1).map((p) => p.agents).join(', ')}
agents connected (added in steps, ${SETTLE_S} s of settling each); before every reading the benchmark forces full garbage
collections through the inspector (the coordinator runs with \`--inspect=127.0.0.1:0\` for that alone), otherwise
garbage from earlier requests outweighs the connections (a first try without it measured −1 KiB per connection).
Per connection = the least-squares slope of RSS over the number of agents. Fan-out: \`POST /v1/faults\`
\`{"target":{"namespaces":["sim"]},"signal":"SIGSTOP","lease":"60s"}\` picks all ${N} containers and sends one
\`fault.create\` per agent; the response comes after every agent answered. Timed by the client from request to response
(${ROUNDS} rounds after ${WARMUP} warm-up rounds; p99 is nearest-rank, i.e. the maximum of ${ROUNDS}); the simulator records on the
same monotonic clock when it handled the first and the last command of each call. References in the same rounds: the
same call for a single container, the selection alone, and the resume fan-out; after the coordinator part, the same
simulated agents connect to a bare \`ws\` server in the benchmark process that broadcasts the same command (the floor).

How: \`bench/coordinator-fleet.bench.ts\`, ${buildNote}. Open files: soft limit ${nofile.after} (hard ${nofile.hard}${nofile.before !== nofile.after ? `, raised from ${nofile.before} with prlimit` : ''}) —
enough for ${N} sockets in each process; the coordinator and the simulator each need ~${N} descriptors, so a shell with
\`ulimit -n 1024\` must raise it first (the script does that with \`prlimit\` on itself when it is too low; children inherit it).
${N} agents connected in ${(connectedMs / 1000).toFixed(1)} s in all (50 at a time). Coordinator CPU: ${cpuMsPerRound.toFixed(0)} ms per round
(selection + single + fan-out + resume), from utime+stime at 100 ticks/s over ${elapsedS.toFixed(0)} s.

${memTbl}

${tbl}

Targets: a command fanned out to all ${N} agents and acked within 200 ms p99 — **${met ? 'met' : 'missed'}** (${ms(allP[0])} median, ${ms(allP[1])} p99;
the bare-ws floor for the same ${N} round trips is ${ms(floorP[0])}). Memory: ${perConnKiB.toFixed(1)} KiB RSS per connected agent
(${heapPerConn.toFixed(1)} KiB of it V8 heap), i.e. ~${((perConnKiB * N) / 1024).toFixed(0)} MiB for ${N} agents on top of ${mib(points[0]!.rss)}.

Retention: after the rounds \`GET /v1/faults\` still lists ${retained.records} immediate-fault records (${(retained.bytes / 1e6).toFixed(1)} MB of JSON), and the heap
after a full GC is ${kib(after.heap - idle.heap)} larger than before the rounds (${((after.heap - idle.heap) / faultCalls).toFixed(0)} KiB per call, ~${((after.heap - idle.heap) / ((ROUNDS + WARMUP) * (N + 1))).toFixed(1)} KiB per agent-side fault);
${kib(gone.heap - points[0]!.heap)} of heap is still held after every agent disconnected: the coordinator keeps every immediate fault,
with every agent's full Fault, for as long as it runs (\`ImmediateFaults.faults\` in coordinator/api/faults.ts is never pruned).

Machine: ${machineNote()}
`;
  console.log(memTbl);
  console.log(`\n${tbl}`);
  console.log(`\nfan-out to ${N}: median ${ms(allP[0])}, p99 ${ms(allP[1])} (≤ 200 ms: ${met ? 'met' : 'MISSED'}); ${perConnKiB.toFixed(1)} KiB per connection`);
  if (write) console.error(`wrote ${writeDocSection('coordinator-fleet', section)}`);
  else console.log(section);
}

try {
  await main();
} finally {
  await cleanup();
}
