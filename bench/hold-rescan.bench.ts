// What the hold re-scan costs: one look at a held target for processes that joined it (resolver.rescan: read the
// cgroup's cgroup.procs, identify each member), for containers of 1, 10 and 100 processes and for a host process
// tree (which walks /proc). Containers are modelled by a v1 pids cgroup this bench creates with its own sleepers in
// it: the same files the agent reads for a runc container. Needs root. Writes docs/benchmarks.md (hold-rescan).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { ProcFs } from '../daemon/proc/procfs.js';
import { CgroupResolver } from '../daemon/proc/cgroup.js';
import { TargetResolver, type ResolvedTarget } from '../daemon/faults/resolve.js';
import { identify } from '../daemon/proc/identity.js';
import { arg, machineNote, median, percentile, table, writeDocSection } from './agent-common.js';

const ROUNDS = arg('--rounds', 2000);
const INTERVAL_MS = 50;
const PIDS_ROOT = '/sys/fs/cgroup/pids';

if (!existsSync(`${PIDS_ROOT}/cgroup.procs`) || process.getuid?.() !== 0) {
  console.error('hold-rescan: needs root and the v1 pids hierarchy');
  process.exit(1);
}

const procfs = new ProcFs();
const resolver = new TargetResolver({ containers: null, procfs, cgroups: new CgroupResolver({ procfs }), hostProcesses: true, isExcludedFromSelection: () => false });
const children: ChildProcess[] = [];
const dirs: string[] = [];

function sleepers(n: number): number[] {
  return Array.from({ length: n }, () => {
    const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
    children.push(child);
    return child.pid!;
  });
}

function timeTicks(target: ResolvedTarget): number[] {
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    resolver.rescan(target, 'all');
    samples.push((performance.now() - t0) * 1000);
  }
  return samples;
}

const rows: string[][] = [];
function report(what: string, processes: number, samples: number[]): void {
  const med = median(samples);
  rows.push([what, String(processes), `${med.toFixed(0)} µs`, `${percentile(samples, 99).toFixed(0)} µs`, `${((med / 1000 / INTERVAL_MS) * 100).toFixed(2)} %`]);
  console.log(what, processes, `median ${med.toFixed(1)} µs`);
}

try {
  for (const n of [1, 10, 100]) {
    const dir = `${PIDS_ROOT}/eris-bench-rescan-${n}-${process.pid}`;
    mkdirSync(dir);
    dirs.push(dir);
    const pids = sleepers(n);
    for (const pid of pids) writeFileSync(`${dir}/cgroup.procs`, String(pid));
    const target: ResolvedTarget = { kind: 'container', processes: pids.map((pid) => identify(procfs, pid)) };
    report('container (cgroup.procs)', n, timeTicks(target));
  }
  const root = spawn('sh', ['-c', 'for i in 1 2 3 4 5 6 7 8 9; do sleep 1000 & done; wait'], { stdio: 'ignore' });
  children.push(root);
  await new Promise((r) => setTimeout(r, 300));
  const tree: ResolvedTarget = { kind: 'process', processes: [identify(procfs, root.pid!)] };
  const hostProcesses = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
  report(`host process tree (walks all ${hostProcesses} processes in /proc)`, resolver.processTree(root.pid!).length, timeTicks(tree));
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
  for (const dir of dirs) {
    try {
      rmdirSync(dir);
    } catch {
      // a sleeper not reaped yet: the kernel removes the empty cgroup with the next bench run's cleanup
    }
  }
}

const text = [
  '## Hold re-scan: the cost of "freeze means frozen" (hold-rescan)',
  '',
  `While a SIGSTOP fault (method \`signal\`, scope \`all\`) holds a target, the agent looks at it every ${INTERVAL_MS} ms`,
  '(`--hold-rescan`) for processes that joined it — an exec into the container, a fork that raced the stop — and stops',
  'them. One look is `resolver.rescan`: read the cgroup\'s `cgroup.procs`, then identify every member (stat + cgroup). The',
  'timer runs only while something is held. Measured in-process on a v1 pids cgroup the bench fills with its own',
  `sleepers (what the agent reads for a runc container), ${ROUNDS} looks each. \`bench/hold-rescan.bench.ts\`, ${machineNote()}`,
  '',
  table(['target', 'processes', 'median per look', 'p99', `one core at one look per ${INTERVAL_MS} ms`], ['l', 'r', 'r', 'r', 'r'], rows),
  '',
  'A container costs a few reads per member; a host process tree walks every process in /proc (the parent links live',
  'nowhere else), so host-mode holds cost more on a crowded host. Stopping a newcomer is one more pidfd signal and a',
  'journal line. The freezer method needs no re-scan: the kernel freezes whatever joins a frozen cgroup.',
].join('\n');
console.log(`wrote ${writeDocSection('hold-rescan', text)}`);
