// Benchmark: what an idle eris-agent costs a node. Runs the real binary (`node bin/eris.js agent …`) against a
// containerd test bed with 20 containers, lets it settle, then samples its RSS (/proc/PID/status) and CPU time
// (utime+stime, /proc/PID/stat) for a minute, next to an idle `node -e "setInterval(()=>{},1000)"` sampled at the
// same instants.
//
// Run (root, containerd + runc installed): node --import tsx bench/agent-idle.bench.ts [--no-write] [--settle 10] [--seconds 60] [--no-build]
// Rebuilds dist/ (`npm run build`) first when a source file is newer than dist/cli/main.js.
// Prints a markdown table and replaces the section <!-- agent-idle:start --> … <!-- agent-idle:end --> in docs/benchmarks.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerdTestbed } from '../test/harness/containerd.js';
import { arg, cpuTicks, ensureBuilt, flag, machineNote, memoryKiB, onInterrupt, ratio, requireTestbed, startBusyBed, table, writeDocSection } from './agent-common.js';

const SETTLE_S = arg('--settle', 10);
const SAMPLE_S = arg('--seconds', 60);
const write = !flag('--no-write');
const TOKEN = 'bench-idle-token';
const PODS = 10;
const PER_POD = 2;
const TICKS_PER_S = 100;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ERIS_BIN = join(ROOT, 'bin/eris.js');

requireTestbed();

/** What a look into a missed RSS target found; dated, kept with the section (re-check when re-running). */
const INVESTIGATION = `
Where the memory goes (re-checked 2026-12-03 on Node 26.12.1 with throw-away scripts; figures from that day):
- **The dependency set is most of it.** Imported one after another into one process (RSS after each, after gc, with
  \`--max-semi-space-size=1\`): bare Node (ES module entry) 45.2 MiB; + commander, the first CommonJS package (Node's
  CommonJS loader comes with it) +7.0; + pino +2.0; + the first use of the web \`Response\` (Node loads undici for it;
  hono answers with \`Response\` objects) +10.1; + hono and @hono/node-server +1.5; + zod +9.6; + prom-client +1.4;
  + @grpc/grpc-js and proto-loader +4.3; + eris's own agent modules +3.0 — 84.4 MiB before the agent does anything.
- **The young generation.** With V8's default semi-spaces an idle agent in host mode (\`--no-cri --host-processes\`,
  6 s after start) held 103 MiB (heap committed 39 MB, used 19 MB); \`bin/eris.js\` now re-executes \`eris agent\`
  with \`--max-semi-space-size=1\` (execve, same PID): 87.5 MiB (semi-space 2: 89.6, 4: 94.7). On this bed (20 containers,
  30 s, \`NODE_OPTIONS=--max-semi-space-size=16\`, which is the default here): 116.1 MiB at the end, vs 98.4 MiB with 1. A flag set at run time
  (\`v8.setFlagsFromString\`) changes nothing: V8 reads it at start-up.
- **Not loaded any more on an unlinked agent:** the coordinator link and \`ws\` (imported only with \`--coordinator\`),
  the OpenAPI generator (the document is built on the first \`GET /openapi.json\`); the CLI's other commands and the
  coordinator were already out (\`cli/main.ts\`). Each is < 1 MiB RSS; \`test/agent-module-graph.test.ts\` keeps them out.
- **A trap for whoever replaces hono:** \`import … from 'node:http'\` in an ES module reads every export of the builtin,
  and http's lazy \`WebSocket\`/\`CloseEvent\`/\`MessageEvent\` getters load undici (+15 MiB over \`require('node:http')\`).
  @hono/node-server's ES build does that; its CommonJS build does not.
- **What is left to reach 48 MiB** (bare Node is ~42): undici via hono's \`Response\` (~10 MiB), zod classic (~10 MiB;
  request and config validation on the agent's path), gRPC (~4 MiB plus refresh garbage; being replaced by a node:http2
  client in daemon/cri/). pino and prom-client cost ~2 MiB each.
- **Earlier findings (2026-11-25, Node 20), not re-checked:** no leak (live heap after each mark-compact flat at
  18.7–20 MB over 600 refreshes); one refresh of 20 containers allocates ~1.4 MiB (ContainerStatus(verbose) carries
  ~4.5 KB of JSON per container), which sets how far V8 lets old space grow between mark-compacts;
  \`--max-old-space-size=32\` made it thrash in GC.
`;

let bed: ContainerdTestbed | undefined;
let agentChild: ChildProcess | undefined;
let refChild: ChildProcess | undefined;
let stateDir: string | undefined;

const alive = (c: ChildProcess | undefined): c is ChildProcess => c !== undefined && c.exitCode === null && c.signalCode === null;
async function stopChild(c: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!alive(c)) return;
  const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
  c.kill(signal); // by the child's own PID
  const timer = setTimeout(() => alive(c) && c.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

const cleanup = onInterrupt(
  () => undefined,
  async () => {
    // SIGTERM: the agent resumes its faults (it has none here) and exits.
    await stopChild(agentChild, 'SIGTERM');
    await stopChild(refChild, 'SIGKILL');
    await bed?.stop().catch((err: unknown) => console.error('test bed stop:', err));
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  },
);


interface Series {
  rssKiB: number[];
  anonKiB: number[];
  fileKiB: number[];
  hwmKiB: number;
  ticks0: number;
  ticks1: number;
}

async function main(): Promise<void> {
  const buildNote = ensureBuilt();
  console.error(`starting containerd and ${PODS * PER_POD} containers…`);
  const busy = await startBusyBed('bench-idle', PODS, PER_POD, (b) => (bed = b));
  const b = busy.bed;
  stateDir = mkdtempSync(join(tmpdir(), 'eris-bench-idle-'));

  const command = [ERIS_BIN, 'agent', '--cri-socket', b.socket, '--state-dir', stateDir, '--token', TOKEN, '--listen', '127.0.0.1:0'];
  const agent = spawn(process.execPath, command, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ERIS_LOG_LEVEL: '' } });
  agentChild = agent;
  const ref = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
  refChild = ref;
  const stderr: string[] = [];
  agent.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  let logLines = 0;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent did not start within 20 s: ${stderr.join('')}`)), 20_000);
    agent.once('exit', (code) => reject(new Error(`agent exited with ${code}: ${stderr.join('')}`)));
    createInterface({ input: agent.stdout! }).on('line', (line) => {
      logLines++;
      try {
        const record = JSON.parse(line) as { msg?: string; url?: string };
        if (record.msg === 'eris-agent listening' && record.url) {
          clearTimeout(timer);
          resolve(record.url);
        }
      } catch {
        // not JSON
      }
    });
  });
  const targets = await fetch(`${url}/v1/targets`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const seen = ((await targets.json()) as { containers: unknown[] }).containers.length;
  if (seen !== busy.containers.length) throw new Error(`the agent lists ${seen} containers, expected ${busy.containers.length}`);
  console.error(`agent pid ${agent.pid} at ${url} sees ${seen} containers; reference pid ${ref.pid}; settling ${SETTLE_S} s…`);

  await sleep(SETTLE_S * 1000);
  const logLinesBefore = logLines;
  const pids = { agent: agent.pid!, ref: ref.pid!, containerd: b.pid };
  const series = Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => [k, { rssKiB: [], anonKiB: [], fileKiB: [], hwmKiB: 0, ticks0: cpuTicks(pid) ?? Number.NaN, ticks1: Number.NaN } as Series]),
  ) as Record<keyof typeof pids, Series>;
  const t0 = performance.now();
  const sample = (): void => {
    for (const [k, pid] of Object.entries(pids) as Array<[keyof typeof pids, number]>) {
      const m = memoryKiB(pid);
      if (!m) throw new Error(`${k} (pid ${pid}) is gone`);
      const s = series[k];
      s.rssKiB.push(m.rss);
      s.anonKiB.push(m.anon);
      s.fileKiB.push(m.file);
      s.hwmKiB = m.hwm;
    }
  };
  sample();
  for (let i = 1; i <= SAMPLE_S; i++) {
    // Sample on a fixed 1 s grid measured from t0 (no drift).
    await sleep(Math.max(0, t0 + i * 1000 - performance.now()));
    sample();
    if (i % 15 === 0) console.error(`${i}/${SAMPLE_S} s: agent RSS ${(series.agent.rssKiB.at(-1)! / 1024).toFixed(1)} MiB`);
  }
  const elapsedS = (performance.now() - t0) / 1000;
  for (const [k, pid] of Object.entries(pids) as Array<[keyof typeof pids, number]>) series[k].ticks1 = cpuTicks(pid) ?? Number.NaN;
  const idleLogLines = logLines - logLinesBefore;

  const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;
  const cpuPct = (s: Series): number => ((s.ticks1 - s.ticks0) / TICKS_PER_S / elapsedS) * 100;
  const row = (label: string, s: Series, isRef = false): string[] => [
    label,
    mib(Math.max(...s.rssKiB)),
    mib(s.rssKiB.at(-1)!),
    mib(s.rssKiB[0]!),
    `${mib(s.anonKiB.at(-1)!)} / ${mib(s.fileKiB.at(-1)!)}`,
    mib(s.hwmKiB),
    `${cpuPct(s).toFixed(2)}% (${s.ticks1 - s.ticks0} ticks)`,
    isRef ? '1×' : `${ratio(s.rssKiB.at(-1)!, series.ref.rssKiB.at(-1)!)} RSS`,
  ];
  const tbl = table(
    ['process', 'RSS max', 'RSS end', 'RSS start', 'end: anon / file-backed', 'peak RSS since start (VmHWM)', `CPU over ${Math.round(elapsedS)} s`, 'vs idle node'],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    [row('eris-agent (`node bin/eris.js agent`, 20 containers)', series.agent), row('idle `node -e "setInterval(()=>{},1000)"`', series.ref, true)],
  );
  const agentMax = Math.max(...series.agent.rssKiB) / 1024;
  const agentCpu = cpuPct(series.agent);
  const agentEnd = series.agent.rssKiB.at(-1)! / 1024;
  const agentPeak = series.agent.hwmKiB / 1024;
  const rssMet = agentEnd <= 48;
  const peakMet = agentPeak <= 64;
  const cpuMet = agentCpu < 1;
  const section = `
## Agent: idle cost (agent-idle)

What: resident memory and CPU time of an idle eris-agent — the real binary, \`node bin/eris.js agent --cri-socket SOCK
--state-dir TMP --token X --listen 127.0.0.1:0\` (default 5 s inventory refresh, info logs to a pipe the benchmark
drains) — on a containerd with ${busy.containers.length} running containers, and of an idle \`node -e "setInterval(()=>{},1000)"\` started at the
same time and sampled at the same instants as the reference.

How: \`bench/agent-idle.bench.ts\`. A containerd ${busy.runtimeVersion} test bed with ${PODS} host-network pods × ${PER_POD} busybox containers
(\`sleep 100000\`); the agent's \`/v1/targets\` lists all ${busy.containers.length}. After ${SETTLE_S} s of settling, VmRSS (and RssAnon/RssFile) from
\`/proc/PID/status\` every second for ${SAMPLE_S} s; CPU = Δ(utime+stime) from \`/proc/PID/stat\` over the minute at 100 ticks/s.
No API calls during the minute. ${buildNote}. The agent wrote ${idleLogLines} log line(s) during the minute.

${tbl}

containerd itself used ${cpuPct(series.containerd).toFixed(2)}% CPU over the same minute (serving the agent's refreshes plus its own housekeeping),
RSS ${mib(series.containerd.rssKiB.at(-1)!)}.

Targets (issue 14): idle RSS ≤ 48 MiB — **${rssMet ? 'met' : 'missed'}** (end ${agentEnd.toFixed(1)} MiB, max over the minute ${agentMax.toFixed(1)} MiB); never above 64 MiB, start-up
included (VmHWM) — **${peakMet ? 'met' : 'missed'}** (${agentPeak.toFixed(1)} MiB); CPU < 1% — **${cpuMet ? 'met' : 'missed'}** (${agentCpu.toFixed(2)}%).
${INVESTIGATION}
Machine: ${machineNote()}
`;
  console.log(tbl);
  console.log(
    `\nagent RSS end ${agentEnd.toFixed(1)} MiB (≤ 48: ${rssMet ? 'met' : 'MISSED'}), peak ${agentPeak.toFixed(1)} MiB (≤ 64: ${peakMet ? 'met' : 'MISSED'}), CPU ${agentCpu.toFixed(2)}% (< 1%: ${cpuMet ? 'met' : 'MISSED'}); ` +
      `reference node RSS ${mib(series.ref.rssKiB.at(-1)!)}, CPU ${cpuPct(series.ref).toFixed(2)}%; containerd CPU ${cpuPct(series.containerd).toFixed(2)}%`,
  );
  if (write) console.error(`wrote ${writeDocSection('agent-idle', section)}`);
  else console.log(section);
}

try {
  await main();
} finally {
  await cleanup();
}
