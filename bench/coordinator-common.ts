// Shared pieces of the coordinator benchmarks (coordinator-signal, coordinator-fleet, coordinator-probes): a /proc
// poller that records WHEN each pid reached a state (for skew), test-bed nodes with unique pod names, the real
// `eris` binary as a child process, the dist/ build check and the open-files limit. Not a benchmark itself.
// Statistics, the machine note and the docs writer come from agent-common.ts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { startContainerd, type ContainerdTestbed } from '../test/harness/containerd.js';
import { cgroupProcs } from './agent-common.js';

export {
  cgroupProcs, cpuTicks, ensureBuilt, machineNote, median, memoryKiB, ms, nowNs, onInterrupt, percentile, ratio, requireTestbed, resumePids, sinceMs, table,
  writeDocSection,
} from './agent-common.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ERIS_BIN = join(ROOT, 'bin/eris.js');

export function arg(flag: string, fallback: number): number {
  const args = process.argv.slice(2);
  const i = args.indexOf(flag);
  return i >= 0 && Number(args[i + 1]) > 0 ? Number(args[i + 1]) : fallback;
}
export const flag = (name: string): boolean => process.argv.slice(2).includes(name);

// ---------------------------------------------------------------------------------------------------------------
// A /proc poller on its own thread that records, per pid, the first read that saw the wanted state.
// Each pid's /proc/PID/stat stays open for the whole request and is re-read with pread (≈5 µs a read here, about
// half of open+read+close), and a pid that reached the state is not read again, so a pass gets cheaper as the
// processes stop. For every pid it keeps the time of that read (`seen`) and of the read before it (`before`,
// which still showed the old state): the transition happened in (before, seen].

const MAX_PIDS = 2048;
const C_GO = 0;
const C_ACK = 1;
const C_DONE = 2;
const C_COUNT = 3;
const C_WANT = 4; // 1 = stopped (T/t), 2 = running (not T/t, or gone)
const C_OK = 5;
const C_TIMEOUT_MS = 6;
const C_SPIN_MS = 7;
const C_PASSES = 8;
const C_PAUSE_US = 9;

const STATE_POLLER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const ctrl = new Int32Array(workerData.ctrl);
const pids = new Int32Array(workerData.pids);
const seen = new BigInt64Array(workerData.seen);
const before = new BigInt64Array(workerData.before);
const when = new BigInt64Array(workerData.when);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const buf = Buffer.allocUnsafe(512);
const hr = process.hrtime.bigint;
function read(fd) {
  if (fd < 0) return 'gone';
  try {
    const n = readSync(fd, buf, 0, buf.length, 0);
    const s = buf.toString('latin1', 0, n);
    return s[s.lastIndexOf(')') + 2];
  } catch { return 'gone'; }
}
let seq = 0;
for (;;) {
  Atomics.wait(ctrl, ${C_GO}, seq);
  seq = Atomics.load(ctrl, ${C_GO});
  if (seq < 0) break;
  const n = ctrl[${C_COUNT}], want = ctrl[${C_WANT}], timeoutMs = ctrl[${C_TIMEOUT_MS}], spinMs = ctrl[${C_SPIN_MS}], pauseMs = ctrl[${C_PAUSE_US}] / 1000;
  const fds = new Array(n);
  for (let i = 0; i < n; i++) {
    try { fds[i] = openSync('/proc/' + pids[i] + '/stat', 'r'); } catch { fds[i] = -1; }
    seen[i] = 0n; before[i] = 0n;
  }
  let pending = [];
  for (let i = 0; i < n; i++) pending.push(i);
  const start = hr();
  for (let i = 0; i < n; i++) before[i] = start;
  when[0] = start;
  Atomics.store(ctrl, ${C_ACK}, seq);
  let ok = 0, passes = 0;
  for (;;) {
    const next = [];
    for (const i of pending) {
      const st = read(fds[i]);
      const t = hr();
      const stopped = st === 'T' || st === 't';
      const reached = want === 1 ? stopped : (!stopped || st === 'gone');
      if (reached) seen[i] = t; else { before[i] = t; next.push(i); }
    }
    passes++;
    pending = next;
    const t = hr();
    if (pending.length === 0) { ok = 1; when[1] = t; break; }
    const elapsedMs = Number(t - start) / 1e6;
    if (elapsedMs > timeoutMs) { when[1] = t; break; }
    // Spin for the first spinMs (a pass every few µs per pending pid), then yield the core pauseMs between passes.
    if (elapsedMs > spinMs) Atomics.wait(sleeper, 0, 0, pauseMs);
  }
  for (const fd of fds) if (fd >= 0) closeSync(fd);
  ctrl[${C_OK}] = ok;
  ctrl[${C_PASSES}] = passes;
  Atomics.store(ctrl, ${C_DONE}, seq);
  Atomics.notify(ctrl, ${C_DONE});
}
`;

export interface PidTimes {
  ok: boolean;
  /** hrtime (ns) when the poller started reading (just before start() returned). */
  startNs: bigint;
  /** hrtime (ns) of the pass that found the last pid in the wanted state (or gave up). */
  endNs: bigint;
  /** Per pid (same order as given): hrtime of the first read that saw the wanted state; 0n if never. */
  seenNs: bigint[];
  /** Per pid: hrtime of the last read that still saw the old state (the transition is in (before, seen]). */
  beforeNs: bigint[];
  passes: number;
}

export class StatePoller {
  readonly #ctrl = new Int32Array(new SharedArrayBuffer(4 * 16));
  readonly #pids = new Int32Array(new SharedArrayBuffer(4 * MAX_PIDS));
  readonly #seen = new BigInt64Array(new SharedArrayBuffer(8 * MAX_PIDS));
  readonly #before = new BigInt64Array(new SharedArrayBuffer(8 * MAX_PIDS));
  readonly #when = new BigInt64Array(new SharedArrayBuffer(16));
  readonly #worker: Worker;
  #seq = 0;

  constructor() {
    this.#worker = new Worker(STATE_POLLER_SOURCE, {
      eval: true,
      workerData: { ctrl: this.#ctrl.buffer, pids: this.#pids.buffer, seen: this.#seen.buffer, before: this.#before.buffer, when: this.#when.buffer },
    });
    this.#worker.unref();
  }

  /**
   * Opens /proc/PID/stat of every pid, then polls until all are stopped (T) / all run again; returns once the
   * worker is polling, so a clock started after this call never counts the worker's wake-up or the opens.
   */
  start(pids: readonly number[], want: 'stopped' | 'running', options: { timeoutMs?: number; spinMs?: number; pauseMs?: number } = {}): { done: Promise<PidTimes> } {
    if (pids.length > MAX_PIDS) throw new RangeError(`at most ${MAX_PIDS} pids`);
    const seq = ++this.#seq;
    const n = pids.length;
    this.#ctrl[C_COUNT] = n;
    this.#ctrl[C_WANT] = want === 'stopped' ? 1 : 2;
    this.#ctrl[C_TIMEOUT_MS] = options.timeoutMs ?? 10_000;
    this.#ctrl[C_SPIN_MS] = options.spinMs ?? 5;
    this.#ctrl[C_PAUSE_US] = Math.round((options.pauseMs ?? 0.1) * 1000);
    pids.forEach((pid, i) => (this.#pids[i] = pid));
    const previousDone = Atomics.load(this.#ctrl, C_DONE);
    Atomics.store(this.#ctrl, C_GO, seq);
    Atomics.notify(this.#ctrl, C_GO);
    const spinUntil = Date.now() + 2_000;
    while (Atomics.load(this.#ctrl, C_ACK) !== seq) {
      if (Date.now() > spinUntil) throw new Error('StatePoller: the worker did not start polling within 2 s');
    }
    const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { value: Promise<string> | string } }).waitAsync;
    const waited = waitAsync(this.#ctrl, C_DONE, previousDone);
    const done = Promise.resolve(waited.value).then(async () => {
      while (Atomics.load(this.#ctrl, C_DONE) !== seq) await new Promise((r) => setImmediate(r));
      return {
        ok: this.#ctrl[C_OK] === 1,
        startNs: this.#when[0]!,
        endNs: this.#when[1]!,
        seenNs: Array.from({ length: n }, (_, i) => this.#seen[i]!),
        beforeNs: Array.from({ length: n }, (_, i) => this.#before[i]!),
        passes: this.#ctrl[C_PASSES]!,
      };
    });
    return { done };
  }

  async close(): Promise<void> {
    Atomics.store(this.#ctrl, C_GO, -1);
    Atomics.notify(this.#ctrl, C_GO);
    await this.#worker.terminate();
  }
}

export interface StopTimes {
  /** Call → the last pid seen stopped, ms. */
  toAll: number;
  /** Call → the first pid seen stopped. */
  toFirst: number;
  /** Last − first. */
  skew: number;
  /** Largest (seen − before) over the pids: how precisely the moments are known. */
  resolution: number;
  /** With groups (e.g. the node of each pid): the largest skew inside one group … */
  withinGroup: number;
  /** … and the spread of the groups' first stops (last group to start − first group to start). */
  groupSpread: number;
}

/** From a poll: call→last pid (ms), call→first pid, skew, poll resolution and, by `groups` (one key per pid), skews. */
export function stopTimes(t0: bigint, r: PidTimes, groups?: readonly string[]): StopTimes {
  const seen = r.seenNs;
  let first = seen[0]!;
  let last = seen[0]!;
  let resolution = 0;
  const byGroup = new Map<string, { first: bigint; last: bigint }>();
  seen.forEach((s, i) => {
    if (s < first) first = s;
    if (s > last) last = s;
    resolution = Math.max(resolution, Number(s - r.beforeNs[i]!) / 1e6);
    const key = groups?.[i] ?? '';
    const g = byGroup.get(key);
    if (!g) byGroup.set(key, { first: s, last: s });
    else {
      if (s < g.first) g.first = s;
      if (s > g.last) g.last = s;
    }
  });
  const gs = [...byGroup.values()];
  const withinGroup = Math.max(...gs.map((g) => Number(g.last - g.first) / 1e6));
  const firsts = gs.map((g) => g.first);
  const groupSpread = Number(firsts.reduce((a, b) => (b > a ? b : a)) - firsts.reduce((a, b) => (b < a ? b : a))) / 1e6;
  return { toAll: Number(last - t0) / 1e6, toFirst: Number(first - t0) / 1e6, skew: Number(last - first) / 1e6, resolution, withinGroup, groupSpread };
}

// ---------------------------------------------------------------------------------------------------------------
// Test-bed nodes: a containerd per node, host-network pods with names unique across nodes (`n03-p1`), so one
// container can be selected by pod name without a node field in the target group.

export interface NodeContainer {
  node: string;
  pod: string;
  name: string;
  id: string;
  pids: number[];
}

export interface BenchNode {
  name: string;
  bed: ContainerdTestbed;
  containers: NodeContainer[];
  runtimeVersion: string;
}

export async function startBenchNode(name: string, pods: number, perPod: number, namespace: string, onBed: (bed: ContainerdTestbed) => void): Promise<BenchNode> {
  const bed = await startContainerd({ name });
  onBed(bed);
  const version = await bed.ctr(['version']);
  const runtimeVersion = /Server:[\s\S]*?Version:\s+(\S+)/.exec(version.stdout)?.[1] ?? 'unknown';
  const podNames = Array.from({ length: pods }, (_, i) => `${name}-p${i}`);
  for (let i = 0; i < podNames.length; i += 5) {
    await Promise.all(
      podNames.slice(i, i + 5).map((pod) =>
        bed.cri.runPod({
          name: pod,
          namespace,
          labels: { app: 'bench', node: name },
          containers: Array.from({ length: perPod }, (_, c) => ({ name: `c${c}`, command: ['sleep', '100000'] })),
        }),
      ),
    );
  }
  const tasks = await bed.ctr(['tasks', 'ls']);
  const pidOf = new Map<string, number>();
  for (const line of tasks.stdout.split('\n').slice(1)) {
    const [id, pid, status] = line.trim().split(/\s+/);
    if (id && pid && status === 'RUNNING') pidOf.set(id, Number(pid));
  }
  const containers: NodeContainer[] = [];
  for (const pod of podNames) {
    for (let c = 0; c < perPod; c++) {
      const id = bed.cri.containerIdOf(pod, `c${c}`);
      const init = pidOf.get(id);
      if (init === undefined) throw new Error(`container ${pod}/c${c} (${id.slice(0, 12)}) is not RUNNING in ctr tasks ls`);
      containers.push({ node: name, pod, name: `c${c}`, id, pids: cgroupProcs(init) });
    }
  }
  return { name, bed, containers, runtimeVersion };
}

// ---------------------------------------------------------------------------------------------------------------
// The real binary as a child process

export interface ErisChild {
  child: ChildProcess;
  pid: number;
  url: string;
  /** With `--inspect=127.0.0.1:0` among nodeArgs: the inspector's WebSocket URL. */
  inspectorUrl?: string;
  /** Lines of stdout/stderr seen (counted, not kept, except the last few). */
  lines(): number;
  tail(): string[];
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `node bin/eris.js ARGS…` (or another script); resolves once it logged `ready` with its url. stdout/stderr are drained. */
export async function spawnEris(
  args: string[],
  ready: string,
  options: { env?: NodeJS.ProcessEnv; nodeArgs?: string[]; timeoutMs?: number; /** instead of bin/eris.js */ script?: string } = {},
): Promise<ErisChild> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script ?? ERIS_BIN, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ERIS_LOG_LEVEL: '', ...options.env },
  });
  let count = 0;
  const last: string[] = [];
  const keep = (line: string): void => {
    count++;
    last.push(line);
    if (last.length > 20) last.shift();
  };
  let inspectorUrl: string | undefined;
  createInterface({ input: child.stderr! }).on('line', (line) => {
    inspectorUrl ??= /Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1];
    keep(line);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start within ${options.timeoutMs ?? 30_000} ms:\n${last.join('\n')}`)), options.timeoutMs ?? 30_000);
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}:\n${last.join('\n')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      keep(line);
      if (!line.includes(ready)) return;
      try {
        const record = JSON.parse(line) as { msg?: string; url?: string };
        if (record.msg === ready && record.url) {
          clearTimeout(timer);
          resolve(record.url);
        }
      } catch {
        // not JSON
      }
    });
  });
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    child,
    pid: child.pid!,
    url,
    ...(inspectorUrl !== undefined ? { inspectorUrl } : {}),
    lines: () => count,
    tail: () => [...last],
    async stop(signal = 'SIGTERM') {
      if (!alive()) return;
      child.kill(signal); // by the child's own PID
      const timer = setTimeout(() => alive() && child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The soft/hard open-files limit of this process; raises the soft limit (children inherit it) to `want` if below. */
export function ensureNoFile(want: number): { before: number; after: number; hard: number } {
  const read = (): { soft: number; hard: number } => {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!;
    const [soft, hard] = line.replace('Max open files', '').trim().split(/\s+/);
    const n = (s: string | undefined): number => (s === 'unlimited' ? Number.POSITIVE_INFINITY : Number(s));
    return { soft: n(soft), hard: n(hard) };
  };
  const before = read();
  if (before.soft < want) {
    // prlimit (util-linux) on our own pid: children spawned afterwards inherit the new limit.
    const target = Math.min(want, before.hard);
    spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${target}:${before.hard}`]);
  }
  const after = read();
  return { before: before.soft, after: after.soft, hard: after.hard };
}

/** Percent of one core used by a process between two cpuTicks readings over `seconds`. */
export const cpuPercent = (ticks0: number, ticks1: number, seconds: number): number => ((ticks1 - ticks0) / 100 / seconds) * 100;

/** A minimal Chrome DevTools Protocol client for a child started with --inspect (force a GC, read heap usage). */
export async function connectInspector(url: string): Promise<{ call(method: string, params?: object): Promise<any>; close(): void }> {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (m.id === undefined) return;
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error) p?.reject(new Error(m.error.message));
    else p?.resolve(m.result);
  });
  return {
    call(method, params = {}) {
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      });
    },
    close: () => ws.close(),
  };
}
