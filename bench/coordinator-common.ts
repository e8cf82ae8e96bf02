// Shared pieces of the coordinator benchmarks (coordinator-signal, coordinator-fleet, coordinator-probes): stop
// times and skew from a StatePoller's answer, test-bed nodes with unique pod names, the real `eris` binary as a
// child process and the open-files limit. Not a benchmark itself. Statistics, the /proc poller, flags, the
// machine note and the docs writer come from agent-common.ts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startContainerd, type ContainerdTestbed } from '../test/harness/containerd.js';
import { cgroupProcs } from './agent-common.js';

import type { PidTimes } from './agent-common.js';

export {
  arg, cgroupProcs, cpuTicks, ensureBuilt, flag, machineNote, median, memoryKiB, ms, nowNs, onInterrupt, percentile, ratio, requireTestbed, resumePids,
  sinceMs, StatePoller, table, writeDocSection, type PidTimes,
} from './agent-common.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ERIS_BIN = join(ROOT, 'bin/eris.js');

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
