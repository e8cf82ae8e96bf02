// What the lease watchdog costs: its memory (idle, and holding 1,000 pinned processes), the time it adds to a stop
// (the agent's `hold` call: one line written to the watchdog's pipe), and how late after a deadline it resumes.
// Runs the compiled watchdog (dist/), as an installed agent does. Writes docs/benchmarks.md (watchdog).
import { spawn, type ChildProcess } from 'node:child_process';
import { ensureBuilt, machineNote, median, memoryKiB, percentile, procState, table, writeDocSection, arg } from './agent-common.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Client from '../daemon/watchdog/client.js';
import { ProcFs } from '../daemon/proc/procfs.js';
import { silentLogger } from '../lib/logger.js';

const buildNote = ensureBuilt();
const { WatchdogProcess } = (await import(new URL('../dist/daemon/watchdog/client.js', import.meta.url).href)) as typeof Client;
const ROUNDS = arg('--rounds', 2000);
const SLEEPERS = 100;

const dir = mkdtempSync(join(tmpdir(), 'eris-bench-watchdog-'));
const procfs = new ProcFs();
const children: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const wd = new WatchdogProcess({ stateDir: dir, graceMs: 0, cgroupRoot: '/sys/fs/cgroup', procfs, logger: silentLogger() });
const rows: string[][] = [];
try {
  await sleep(1000);
  const idle = memoryKiB(wd.pid!)!;
  rows.push(['RSS, idle (after start)', `${(idle.rss / 1024).toFixed(1)} MiB`]);

  const sleepers = Array.from({ length: SLEEPERS }, () => {
    const c = spawn('sleep', ['1000'], { stdio: 'ignore' });
    children.push(c);
    return { pid: c.pid!, startTime: '' };
  });
  await sleep(200);
  for (const s of sleepers) s.startTime = procfs.stat(s.pid)!.startTime;

  // The agent's side of a stop: one `hold` call (then `release`, as a resume does), for 1 and for 50 processes.
  for (const n of [1, 50]) {
    const samples: number[] = [];
    const processes = sleepers.slice(0, n);
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      wd.hold(`lat-${n}-${i}`, Date.now() + 3_600_000, processes);
      samples.push((performance.now() - t0) * 1000);
      wd.release(`lat-${n}-${i}`);
      if (i % 200 === 0) await sleep(1);
    }
    rows.push([`agent: \`hold\` call for a fault of ${n} process${n > 1 ? 'es' : ''} (added to each stop)`, `median ${median(samples).toFixed(1)} µs, p99 ${percentile(samples, 99).toFixed(1)} µs`]);
  }

  // 10 faults × 100 processes: 1,000 pinned entries (one pidfd each).
  for (let f = 0; f < 10; f++) wd.hold(`mem-${f}`, Date.now() + 3_600_000, sleepers);
  await sleep(1500);
  const held = memoryKiB(wd.pid!)!;
  rows.push(['RSS, holding 1,000 processes (10 faults × 100)', `${(held.rss / 1024).toFixed(1)} MiB`]);
  for (let f = 0; f < 10; f++) wd.release(`mem-${f}`);

  // Lateness: a stopped sleeper with a deadline 300 ms ahead; the time from the deadline until /proc shows it running.
  const late: number[] = [];
  for (let i = 0; i < 20; i++) {
    const s = sleepers[i]!;
    process.kill(s.pid, 'SIGSTOP');
    while (procState(s.pid) !== 'T') await sleep(1);
    const deadline = Date.now() + 300;
    wd.hold(`late-${i}`, deadline, [s]);
    while (procState(s.pid) === 'T') await sleep(1);
    late.push(Date.now() - deadline);
  }
  rows.push(['deadline → process seen running (20 rounds, 1 ms poll)', `median ${median(late).toFixed(0)} ms, max ${Math.max(...late).toFixed(0)} ms`]);
} finally {
  wd.close();
  for (const c of children) {
    try {
      process.kill(c.pid!, 'SIGCONT');
    } catch {
      // gone
    }
    c.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
}

const text = [
  '## Lease watchdog (watchdog)',
  '',
  'A SIGKILLed agent that never comes back still leaves nothing stopped: each agent starts one detached watchdog process',
  '(`daemon/watchdog/main.ts`, its own session) and tells it every hold over a pipe before it signals; the watchdog pins',
  'each process with a pidfd (start time checked after opening) and resumes it (or thaws its cgroup) at lease +',
  '`--watchdog-grace` unless the agent released it first. What it costs, measured on the compiled watchdog',
  `(${buildNote}); \`bench/watchdog.bench.ts\`, ${machineNote()}`,
  '',
  table(['what', 'cost'], ['l', 'r'], rows),
  '',
  'Most of the memory is Node itself (an empty Node 20 process is ~40 MiB here) plus koffi for the pidfds; the holds',
  'add little. The agent-side cost is one JSON line written to a pipe, not awaited.',
].join('\n');
console.log(rows.map((r) => r.join(': ')).join('\n'));
console.log(`wrote ${writeDocSection('watchdog', text)}`);
