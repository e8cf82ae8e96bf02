// Benchmark: the agent's inventory refresh (CRI ListPodSandbox + ListContainers + ContainerStatus(verbose) per
// running container) on a real containerd with 50 busybox containers, against a single ListContainers call and the
// `ctr -n k8s.io containers ls` CLI, interleaved in one run; plus the refresh's phases and its CPU cost.
//
// Run (root, containerd + runc installed): node --import tsx bench/inventory.bench.ts [--no-write] [--iter 200] [--ctr-every 4]
// Prints a markdown table and replaces the section <!-- inventory:start --> … <!-- inventory:end --> in docs/benchmarks.md.
import { setTimeout as sleep } from 'node:timers/promises';
import { createCriClient, createCriConnection, type CriConnection, type CriContainer } from '../daemon/cri/client.js';
import { Inventory } from '../daemon/cri/inventory.js';
import { silentLogger } from '../lib/logger.js';
import type { ContainerdTestbed } from '../test/harness/containerd.js';
import {
  arg, cpuTicks, flag, machineNote, median, ms, nowNs, onInterrupt, percentile, ratio, requireTestbed, sinceMs, startBusyBed, table, writeDocSection,
} from './agent-common.js';

const ITER = arg('--iter', 200);
const CTR_EVERY = arg('--ctr-every', 4);
const WARMUP = 10;
const write = !flag('--no-write');
const PODS = 25;
const PER_POD = 2;
/** The client's default ContainerStatus concurrency (daemon/cri/client.ts). */
const STATUS_CONCURRENCY = 16;

requireTestbed();

let bed: ContainerdTestbed | undefined;
let conn: CriConnection | undefined;
let closeClient: (() => void) | undefined;
const cleanup = onInterrupt(
  () => undefined,
  async () => {
    closeClient?.();
    conn?.close();
    await bed?.stop().catch((err: unknown) => console.error('test bed stop:', err));
  },
);

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function main(): Promise<void> {
  console.error(`starting containerd and ${PODS * PER_POD} containers…`);
  const busy = await startBusyBed('bench-inventory', PODS, PER_POD, (b) => (bed = b));
  const b = busy.bed;
  const client = createCriClient({ socketPath: b.socket, timeoutMs: 5000, logger: silentLogger() });
  closeClient = () => client.close();
  const inventory = new Inventory(client, { logger: silentLogger() });
  // A second connection for the single calls, so they never queue behind the inventory's.
  conn = createCriConnection({ socketPath: b.socket, timeoutMs: 5000 });
  const c = conn;
  const ids = (await c.runtime<{ containers: CriContainer[] }>('ListContainers', {})).containers.map((x) => x.id);
  const first = await inventory.refresh();
  const running = first.filter((x) => x.state === 'running' && x.initPid > 0).length;
  if (running !== busy.containers.length) throw new Error(`inventory sees ${running} running containers with a PID, expected ${busy.containers.length}`);

  let refreshCpuUs = 0;
  let refreshContainerdTicks = 0;
  const ways: Array<{ name: string; label: string; every: number; run: () => Promise<void>; samples: number[] }> = [
    {
      name: 'refresh',
      label: '`Inventory.refresh()` — what the agent does every 5 s (ListPodSandbox ‖ ListContainers, then ContainerStatus(verbose) × 50, 16 in flight)',
      every: 1,
      run: async () => {
        const cpu0 = process.cpuUsage();
        const t0 = cpuTicks(b.pid) ?? 0;
        const list = await inventory.refresh();
        const cpu = process.cpuUsage(cpu0);
        refreshCpuUs += cpu.user + cpu.system;
        refreshContainerdTicks += (cpuTicks(b.pid) ?? 0) - t0;
        if (list.length !== busy.containers.length) throw new Error(`refresh returned ${list.length} containers`);
      },
      samples: [],
    },
    {
      name: 'list',
      label: 'ListContainers alone (one CRI call)',
      every: 1,
      run: async () => {
        const r = await c.runtime<{ containers: CriContainer[] }>('ListContainers', {});
        if (r.containers.length !== busy.containers.length) throw new Error('ListContainers: wrong count');
      },
      samples: [],
    },
    {
      name: 'sandboxes',
      label: 'phase: ListPodSandbox alone',
      every: 1,
      run: async () => {
        await c.runtime('ListPodSandbox', {});
      },
      samples: [],
    },
    {
      name: 'status1',
      label: 'phase: one ContainerStatus(verbose)',
      every: 1,
      run: async () => {
        await c.runtime('ContainerStatus', { containerId: ids[0]!, verbose: true });
      },
      samples: [],
    },
    {
      name: 'status50',
      label: `phase: ContainerStatus(verbose) × ${ids.length}, ${STATUS_CONCURRENCY} in flight`,
      every: 1,
      run: () => mapLimit(ids, STATUS_CONCURRENCY, (id) => c.runtime('ContainerStatus', { containerId: id, verbose: true })),
      samples: [],
    },
    {
      name: 'ctr',
      label: '`ctr -n k8s.io containers ls` (CLI: exec, connect, list, print; no status, no PIDs)',
      every: CTR_EVERY,
      run: async () => {
        const r = await b.ctr(['containers', 'ls']);
        if (r.code !== 0) throw new Error(`ctr containers ls: ${r.stderr}`);
      },
      samples: [],
    },
  ];

  for (const w of ways) for (let i = 0; i < (w.every === 1 ? WARMUP : 2); i++) await w.run();
  refreshCpuUs = 0;
  refreshContainerdTicks = 0;
  const started = Date.now();
  for (let i = 0; i < ITER; i++) {
    const due = ways.filter((w) => i % w.every === 0);
    for (let k = 0; k < due.length; k++) {
      const w = due[(k + i) % due.length]!;
      const t0 = nowNs();
      await w.run();
      w.samples.push(sinceMs(t0));
      await sleep(2);
    }
    if ((i + 1) % 50 === 0) console.error(`${i + 1}/${ITER} rounds (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }

  const by = (name: string) => ways.find((w) => w.name === name)!;
  const refreshMedian = median(by('refresh').samples);
  const rows = ways.map((w) => [
    w.label,
    String(w.samples.length),
    `**${ms(median(w.samples))}**`,
    ms(percentile(w.samples, 99)),
    w.name === 'refresh' ? '1×' : ratio(median(w.samples), refreshMedian),
  ]);
  const tbl = table(['call', 'n', 'median', 'p99', '÷ refresh median'], ['l', 'r', 'r', 'r', 'r'], rows);
  const n = by('refresh').samples.length;
  const cpuPerRefreshMs = refreshCpuUs / n / 1000;
  const containerdPerRefreshMs = (refreshContainerdTicks * 10) / n;
  const met = refreshMedian <= 20;
  const section = `
## Agent: inventory refresh (inventory)

What: one refresh of the agent's container inventory — \`Inventory.refresh()\` over \`createCriClient\` (\`daemon/cri\`):
ListPodSandbox and ListContainers in parallel, then ContainerStatus(verbose) for every running container (the init
PID comes from its \`info\`), mapped to ContainerInfo — with ${busy.containers.length} running containers in ${PODS} pods. References
measured in the same run: a single ListContainers call (the floor for any refresh) and \`ctr -n k8s.io containers ls\`
(\`crictl\` is not installed here), plus the refresh's phases on their own.

How: \`bench/inventory.bench.ts\`. A containerd ${busy.runtimeVersion} test bed (\`test/harness/containerd.ts\`), ${PODS} host-network pods ×
${PER_POD} busybox containers running \`sleep 100000\`. ${ITER} rounds; each round runs every call once (ctr in every ${CTR_EVERY}th round), in
an order rotated every round, 2 ms apart; ${WARMUP} warm-up calls of each discarded. The single calls use their own gRPC
connection. p99 is nearest-rank.

${tbl}

CPU per refresh: ${cpuPerRefreshMs.toFixed(2)} ms in the agent's process (process.cpuUsage, user+system) and
${containerdPerRefreshMs.toFixed(1)} ms in containerd (utime+stime of its PID, summed over the ${n} refreshes; 10 ms ticks). At the
default 5 s interval that is ${((cpuPerRefreshMs / 5000) * 100).toFixed(2)}% of a core for the agent.

Target: median ≤ 20 ms for ${busy.containers.length} containers — **${met ? 'met' : 'missed'}** (${ms(refreshMedian)} median, ${ms(percentile(by('refresh').samples, 99))} p99;
${ratio(refreshMedian, median(by('list').samples))} the time of a lone ListContainers, ${ratio(median(by('ctr').samples), refreshMedian)} faster than \`ctr containers ls\`).
The refresh is one ContainerStatus(verbose) per container: that phase alone is ${ms(median(by('status50').samples))} of it. The agent spends
about ${((cpuPerRefreshMs / busy.containers.length) * 1000).toFixed(0)} µs of CPU per container per refresh.

Machine: ${machineNote()}
`;
  console.log(tbl);
  console.log(`\nrefresh median ${ms(refreshMedian)} (target ≤ 20 ms: ${met ? 'met' : 'MISSED'}); CPU/refresh agent ${cpuPerRefreshMs.toFixed(2)} ms, containerd ${containerdPerRefreshMs.toFixed(1)} ms`);
  if (write) console.error(`wrote ${writeDocSection('inventory', section)}`);
  else console.log(section);
}

try {
  await main();
} finally {
  await cleanup();
}
