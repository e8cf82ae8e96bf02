// Benchmark: floods against the real `eris coordinator` and `eris agent` (child processes, the built dist/), with an
// operator's resume (DELETE /v1/faults/{id}) and the health checks timed during each: 200 connections looping on the
// coordinator's /metrics, 200 on the agent's /metrics, and 200 looping a viewer's POST /v1/selections (each one a
// /proc scan on the agent) with the per-token rate limit on and off.
// Run: npm run build && node --import tsx bench/hostile-flood.bench.ts [--no-write] [--seconds 6]
// Writes <!-- hostile-flood:start --> … <!-- hostile-flood:end --> in docs/benchmarks.md. Only 127.0.0.1 is used.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg, flag, machineNote, percentile, table, writeDocSection } from './agent-common.js';
import { type ErisChild } from './coordinator-common.js';
import { request, resumeLoop, startPair, TOKENS as T, writeTokens } from './hostile-common.js';
import { killTree } from '../test/harness/processes.js';

const SECONDS = arg('--seconds', 6);
const CONNECTIONS = 200;

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS + 10 });

/** CONNECTIONS loops sending the same request until stopped; counts answers by status. */
function flood(base: string, method: string, path: string, o: { token?: string; body?: unknown } = {}) {
  let running = true;
  const statuses = new Map<number, number>();
  const loops = Array.from({ length: CONNECTIONS }, async () => {
    while (running) {
      const r = await request(base, method, path, { ...o, agent: keepAlive, timeoutMs: 10_000 });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return statuses;
    },
  };
}

interface Sample { resume: number[]; coordinatorHealth: number[]; agentHealth: number[]; healthFailures: number }

async function measure(pair: { coordinator: ErisChild; agent: ErisChild }, tag: string): Promise<Sample> {
  const s: Sample = { resume: [], coordinatorHealth: [], agentHealth: [], healthFailures: 0 };
  await resumeLoop(pair, SECONDS, { processes: { cmdline: tag }, count: 1 }, {
    resumes: s.resume,
    onHealth(c, a) {
      if (c.status !== 200 || a.status !== 200) s.healthFailures++;
      s.coordinatorHealth.push(c.ms);
      s.agentHealth.push(a.ms);
    },
  });
  return s;
}

const f = (v: number) => (Number.isNaN(v) ? '-' : v < 10 ? v.toFixed(1) : v.toFixed(0));
const row = (what: string, s: Sample, extra = ''): string[] => [
  what,
  `${s.resume.length}`,
  `${f(percentile(s.resume, 50))} / ${f(percentile(s.resume, 99))} ms`,
  `${f(percentile(s.coordinatorHealth, 50))} / ${f(Math.max(...s.coordinatorHealth))} ms`,
  `${f(percentile(s.agentHealth, 50))} / ${f(Math.max(...s.agentHealth))} ms`,
  `${s.healthFailures} of ${s.coordinatorHealth.length}`,
  extra,
];
const counts = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k === 0 ? 'failed' : k}: ${v}`).join(', ');

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'eris-flood-'));
  const tag = `eris-flood-victim-${process.pid}`;
  const victim = spawn('sh', ['-c', 'sleep 1000 & wait', tag], { stdio: 'ignore' });
  const started: ErisChild[] = [];
  try {
    writeTokens(dir, ['operator', 'viewer', 'agent']);
    const rows: string[][] = [];
    for (const limit of ['50', '0']) {
      const pair = await startPair(dir, limit, limit, T.viewer, started);
      const { coordinator, agent } = pair;
      if (limit === '50') {
        rows.push(row('quiet', await measure(pair, tag)));
        let fl = flood(coordinator.url, 'GET', '/metrics');
        const m1 = await measure(pair, tag);
        rows.push(row(`${CONNECTIONS} connections on the coordinator's /metrics`, m1, counts(await fl.stop())));
        fl = flood(agent.url, 'GET', '/metrics');
        const m2 = await measure(pair, tag);
        rows.push(row(`${CONNECTIONS} connections on the agent's /metrics`, m2, counts(await fl.stop())));
      }
      const fl = flood(coordinator.url, 'POST', '/v1/selections', { token: T.viewer, body: { processes: { cmdline: '.' } } });
      const m3 = await measure(pair, tag);
      rows.push(row(`${CONNECTIONS} connections: a viewer's POST /v1/selections (host scan), rate limit ${limit === '0' ? 'off' : `${limit}/s`}`, m3, counts(await fl.stop())));
      await agent.stop();
      await coordinator.stop();
    }
    const out = [
      `\`bench/hostile-flood.bench.ts\`, ${machineNote()}`,
      '',
      `Each row: ${SECONDS} s of an operator placing a SIGSTOP on one host process and resuming it (DELETE /v1/faults/{id}, timed), while health checks hit both /healthz every 100 ms (fresh connection, 1 s timeout); floods are ${CONNECTIONS} keep-alive connections each looping one request; the flood client shares the machine's 2 cores.`,
      '',
      table(['load', 'resumes', 'resume p50 / p99', 'coordinator /healthz p50 / max', 'agent /healthz p50 / max', 'health failures', 'flood answers'], ['l', 'r', 'r', 'r', 'r', 'r', 'l'], rows),
    ].join('\n');
    console.log(out);
    if (!flag('--no-write')) writeDocSection('hostile-flood', `## Floods vs. resumes (hostile-flood)\n\n${out}`);
  } finally {
    for (const c of started.reverse()) await c.stop();
    killTree(victim.pid!); // the shell and its sleep, by PID
    rmSync(dir, { recursive: true, force: true });
    keepAlive.destroy();
  }
}

await main();
