// Shared pieces of all benchmarks: statistics, an off-thread /proc poller, a test bed full of busybox containers,
// command-line flags, the machine note and the docs/benchmarks.md writer.
// Not a benchmark itself.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism, cpus, loadavg, release } from 'node:os';
import { Worker } from 'node:worker_threads';
import { startContainerd, type ContainerdTestbed } from '../test/harness/containerd.js';
import { testbedSkipReason } from '../test/harness/requirements.js';

// ---------------------------------------------------------------------------------------------------------------
// Statistics

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function ms(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return '–';
  if (value >= 100) return `${value.toFixed(0)} ms`;
  if (value >= 10) return `${value.toFixed(1)} ms`;
  return `${value.toFixed(digits)} ms`;
}

export function ratio(value: number, reference: number): string {
  if (!Number.isFinite(value) || !Number.isFinite(reference) || reference === 0) return '–';
  const r = value / reference;
  return r >= 10 ? `${r.toFixed(0)}×` : r >= 1 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

export const nowNs = (): bigint => process.hrtime.bigint();
export const sinceMs = (t0: bigint, t1: bigint = nowNs()): number => Number(t1 - t0) / 1e6;

// ---------------------------------------------------------------------------------------------------------------
// /proc readers

export function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    return stat.slice(close + 2, close + 3);
  } catch {
    return null;
  }
}

/** utime + stime of a process, in clock ticks (USER_HZ = 100/s); null when it is gone. */
export function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the comm: field 3 (state) is index 0, so field N is index N - 3; utime = 14, stime = 15.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** VmRSS, VmHWM (peak RSS), RssAnon and RssFile from /proc/PID/status, in KiB; null when it is gone. */
export function memoryKiB(pid: number): { rss: number; hwm: number; anon: number; file: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rss: field('VmRSS'), hwm: field('VmHWM'), anon: field('RssAnon'), file: field('RssFile') };
  } catch {
    return null;
  }
}

/** Every process in the same v1 pids cgroup as `pid` (an oracle independent of the agent's cgroup code). */
export function cgroupProcs(pid: number): number[] {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.find((l) => /^\d+:pids:/.test(l));
  const path = v1 ? v1.split(':')[2]! : lines.find((l) => l.startsWith('0::'))!.slice(3);
  const file = v1 ? `/sys/fs/cgroup/pids${path}/cgroup.procs` : `/sys/fs/cgroup${path}/cgroup.procs`;
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map(Number);
}

// ---------------------------------------------------------------------------------------------------------------
// Command-line flags: `--iter1 200` (a positive number, else the fallback) and `--no-write`

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
// ctrl slots
const C_GO = 0; // sequence number of the current request (main → worker); -1 ends the worker
const C_ACK = 1; // the worker is polling for request C_GO (worker → main)
const C_DONE = 2; // the worker finished request C_GO (worker → main)
const C_COUNT = 3;
const C_WANT = 4; // 1 = stopped (T/t), 2 = running (not T/t, or gone)
const C_OK = 5; // 1 = every pid reached the wanted state before the timeout
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

// ---------------------------------------------------------------------------------------------------------------
// A test bed with N busybox containers

export interface BusyContainer {
  pod: string;
  name: string;
  id: string;
  /** Every process of the container (read from its cgroup, not from the agent). */
  pids: number[];
}

export interface BusyBed {
  bed: ContainerdTestbed;
  containers: BusyContainer[];
  runtimeVersion: string;
}

/** Exits with a message when the test bed cannot run here (not root, no containerd). */
export function requireTestbed(tools: string[] = ['containerd', 'ctr', 'runc']): void {
  let reason: string | undefined;
  try {
    reason = testbedSkipReason(tools);
  } catch (err) {
    reason = (err as Error).message;
  }
  if (reason !== undefined) {
    console.error(`cannot run: ${reason}`);
    process.exit(2);
  }
}

/** A containerd test bed with `pods` host-network pods of `perPod` busybox containers each running `sleep 100000`. */
export async function startBusyBed(name: string, pods: number, perPod: number, onBed: (bed: ContainerdTestbed) => void): Promise<BusyBed> {
  const bed = await startContainerd({ name });
  onBed(bed);
  const version = await bed.ctr(['version']);
  const runtimeVersion = /Server:[\s\S]*?Version:\s+(\S+)/.exec(version.stdout)?.[1] ?? 'unknown';
  const names = Array.from({ length: pods }, (_, i) => `bench-${String(i).padStart(2, '0')}`);
  // A few pods at a time: containerd and runc are the bottleneck on 2 cores.
  for (let i = 0; i < names.length; i += 5) {
    await Promise.all(
      names.slice(i, i + 5).map((pod) =>
        bed.cri.runPod({
          name: pod,
          namespace: 'bench',
          labels: { app: 'bench' },
          containers: Array.from({ length: perPod }, (_, c) => ({ name: `c${c}`, command: ['sleep', '100000'] })),
        }),
      ),
    );
  }
  const containers: BusyContainer[] = [];
  const tasks = await bed.ctr(['tasks', 'ls']);
  const pidOf = new Map<string, number>();
  for (const line of tasks.stdout.split('\n').slice(1)) {
    const [id, pid, status] = line.trim().split(/\s+/);
    if (id && pid && status === 'RUNNING') pidOf.set(id, Number(pid));
  }
  for (const pod of names) {
    for (let c = 0; c < perPod; c++) {
      const id = bed.cri.containerIdOf(pod, `c${c}`);
      const init = pidOf.get(id);
      if (init === undefined) throw new Error(`container ${pod}/c${c} (${id.slice(0, 12)}) is not RUNNING in ctr tasks ls`);
      containers.push({ pod, name: `c${c}`, id, pids: cgroupProcs(init) });
    }
  }
  return { bed, containers, runtimeVersion };
}

/** SIGCONT to pids this benchmark started (and only those); never throws. */
export function resumePids(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone
    }
  }
}

/**
 * Runs `cleanup` once: at the end of main (finally) or on SIGINT/SIGTERM (then exits 130). `emergency` runs
 * synchronously first on a signal (resume what we stopped, before anything async).
 */
export function onInterrupt(emergency: () => void, cleanup: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  const once = (): Promise<void> => (running ??= cleanup());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: resuming and cleaning up…`);
      emergency();
      void once().finally(() => process.exit(130));
    });
  }
  return once;
}

// ---------------------------------------------------------------------------------------------------------------
// Machine note and docs/benchmarks.md

export function machineNote(extra = ''): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  return `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, Linux ${release()}, ${availableParallelism()} × ${cpu}, load average ${load} at the end (shared machine: other test suites ran at the same time)${extra}.`;
}

/** Replaces (or appends) the section between `<!-- tag:start -->` and `<!-- tag:end -->`; keeps the rest intact. */
export function writeDocSection(tag: string, body: string): string {
  const doc = new URL('../docs/benchmarks.md', import.meta.url);
  const section = `<!-- ${tag}:start -->\n${body.trim()}\n<!-- ${tag}:end -->`;
  const before = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n';
  const pattern = new RegExp(`<!-- ${tag}:start -->[\\s\\S]*?<!-- ${tag}:end -->`);
  const after = pattern.test(before) ? before.replace(pattern, () => section) : `${before.replace(/\n*$/, '\n\n')}${section}\n`;
  writeFileSync(doc, after);
  return doc.pathname;
}

export function table(header: string[], align: Array<'l' | 'r'>, rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

const REPO = fileURLToPath(new URL('..', import.meta.url));

function newestSource(dirs: string[]): number {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const d of dirs) if (existsSync(join(REPO, d))) walk(join(REPO, d));
  return newest;
}

/**
 * Runs `npm run build` when dist/ is older than the sources (always with --build, never with --no-build), for the
 * benchmarks that run the real binary; returns a note for the report.
 */
export function ensureBuilt(argv: readonly string[] = process.argv.slice(2)): string {
  const main = join(REPO, 'dist/cli/main.js');
  const built = existsSync(main) ? statSync(main).mtimeMs : 0;
  if (argv.includes('--no-build')) return existsSync(main) ? 'dist/ as found (--no-build)' : 'dist/ missing';
  if (!argv.includes('--build') && built >= newestSource(['lib', 'daemon', 'coordinator', 'native', 'cli', 'sdk'])) return 'dist/ up to date';
  console.error('dist/ is older than the sources: npm run build…');
  const r = spawnSync('npm', ['run', 'build'], { cwd: REPO, encoding: 'utf8' });
  if (r.status === 0) return 'dist/ rebuilt with `npm run build` just before the run';
  const errors = (r.stdout + r.stderr).split('\n').filter((l) => /error TS/.test(l));
  console.error(`npm run build exited ${r.status}; ${errors.length} type error(s) (tsc still emits):\n${errors.slice(0, 10).join('\n')}`);
  if (!existsSync(main)) throw new Error('no dist/cli/main.js after the build');
  return `dist/ rebuilt just before the run (tsc reported ${errors.length} type error(s); it emitted anyway)`;
}
