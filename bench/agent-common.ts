// Shared pieces of the agent benchmarks (agent-signal, agent-idle, inventory): statistics, a test bed full of
// busybox containers, an off-thread /proc poller, the machine note and the docs/benchmarks.md writer.
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
// An off-thread /proc poller: the main thread (which also runs the agent) only starts it and awaits the answer,
// so observing the processes costs the code under test nothing and the answer does not wait for its event loop.

const MAX_PIDS = 1024;
// ctrl slots
const GO = 0; // sequence number of the current request (main → worker)
const ACK = 1; // worker is polling for request GO (worker → main)
const DONE = 2; // worker finished request GO (worker → main)
const COUNT = 3;
const WANT = 4; // 1 = stopped (T/t), 2 = running (not T/t)
const OK = 5; // 1 = every pid reached the wanted state before the timeout
const TIMEOUT_MS = 6;
const PIDS = 8;

const POLLER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const ctrl = new Int32Array(workerData.ctrl);
const when = new BigInt64Array(workerData.when);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const buf = Buffer.allocUnsafe(512);
function state(pid) {
  let fd;
  try { fd = openSync('/proc/' + pid + '/stat', 'r'); } catch { return 'gone'; }
  try {
    const n = readSync(fd, buf, 0, buf.length, 0);
    const s = buf.toString('latin1', 0, n);
    return s[s.lastIndexOf(')') + 2];
  } catch { return 'gone'; } finally { closeSync(fd); }
}
let seq = 0;
for (;;) {
  Atomics.wait(ctrl, ${GO}, seq);
  seq = Atomics.load(ctrl, ${GO});
  if (seq < 0) break;
  const n = ctrl[${COUNT}], want = ctrl[${WANT}], timeoutMs = ctrl[${TIMEOUT_MS}];
  let pending = [];
  for (let i = 0; i < n; i++) pending.push(ctrl[${PIDS} + i]);
  const start = process.hrtime.bigint();
  Atomics.store(ctrl, ${ACK}, seq);
  let ok = 0;
  for (;;) {
    // A process that reached the state is not read again (nothing else resumes or stops it meanwhile).
    pending = pending.filter((pid) => {
      const st = state(pid);
      const stopped = st === 'T' || st === 't';
      return want === 1 ? !stopped : (stopped || st === 'gone');
    });
    const t = process.hrtime.bigint();
    if (pending.length === 0) { when[0] = t; ok = 1; break; }
    const elapsedMs = Number(t - start) / 1e6;
    if (elapsedMs > timeoutMs) { when[0] = t; break; }
    // Spin for the first 3 ms (resolution of a few µs), then yield the core for 0.1 ms between passes.
    if (elapsedMs > 3) Atomics.wait(sleeper, 0, 0, 0.1);
  }
  ctrl[${OK}] = ok;
  Atomics.store(ctrl, ${DONE}, seq);
  Atomics.notify(ctrl, ${DONE});
}
`;

export interface PollResult {
  /** hrtime (ns) of the pass that saw every pid in the wanted state (or gave up). */
  at: bigint;
  ok: boolean;
}

export class ProcPoller {
  readonly #ctrl = new Int32Array(new SharedArrayBuffer(4 * (PIDS + MAX_PIDS)));
  readonly #when = new BigInt64Array(new SharedArrayBuffer(8));
  readonly #worker: Worker;
  #seq = 0;

  constructor() {
    this.#worker = new Worker(POLLER_SOURCE, { eval: true, workerData: { ctrl: this.#ctrl.buffer, when: this.#when.buffer } });
    this.#worker.unref();
  }

  /**
   * Starts polling `pids` until all are stopped (T) or all are running; returns once the worker is polling
   * (so a timer started after this call never counts the worker's wake-up). Await the returned `done`.
   */
  start(pids: readonly number[], want: 'stopped' | 'running', timeoutMs = 10_000): { done: Promise<PollResult> } {
    if (pids.length > MAX_PIDS) throw new RangeError(`at most ${MAX_PIDS} pids`);
    const seq = ++this.#seq;
    this.#ctrl[COUNT] = pids.length;
    this.#ctrl[WANT] = want === 'stopped' ? 1 : 2;
    this.#ctrl[TIMEOUT_MS] = timeoutMs;
    pids.forEach((pid, i) => (this.#ctrl[PIDS + i] = pid));
    const previousDone = Atomics.load(this.#ctrl, DONE);
    Atomics.store(this.#ctrl, GO, seq);
    Atomics.notify(this.#ctrl, GO);
    const spinUntil = Date.now() + 2_000;
    while (Atomics.load(this.#ctrl, ACK) !== seq) {
      // The worker wakes within tens of µs; spin (the main thread must not start the clock before it polls).
      if (Date.now() > spinUntil) throw new Error('ProcPoller: the worker did not start polling within 2 s');
    }
    // Atomics.waitAsync is in Node ≥ 16 but not in the ES2023 lib this project compiles against.
    const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string } }).waitAsync;
    const waited = waitAsync(this.#ctrl, DONE, previousDone);
    const done = Promise.resolve(waited.value).then(async () => {
      // waitAsync may return before DONE reaches this seq only if DONE changed for an older request: not possible
      // here (one request at a time), but check.
      while (Atomics.load(this.#ctrl, DONE) !== seq) await new Promise((r) => setImmediate(r));
      return { at: this.#when[0]!, ok: this.#ctrl[OK] === 1 };
    });
    return { done };
  }

  async close(): Promise<void> {
    Atomics.store(this.#ctrl, GO, -1);
    Atomics.notify(this.#ctrl, GO);
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
