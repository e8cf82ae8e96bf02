// Benchmark: slow clients against the real `eris coordinator` and `eris agent` (child processes, the built dist/),
// with lease expiry and an operator's resume timed during each, against a quiet reference in the same run:
// - slowloris: 1,000 connections on each server, each sending a request's headers one byte every 500 ms;
// - 1,000 SSE watchers following one running run's events (GET /v1/runs/{id}/events).
// Lease expiry: a SIGSTOP with a 500 ms lease placed through the coordinator; the latency is from its
// leaseExpiresAt to the process seen running again in /proc (polled every 2 ms). Resume: DELETE /v1/faults/{id}.
// Run: npm run build && node --import tsx bench/hostile-slow.bench.ts [--no-write] [--seconds 8]
// Writes <!-- hostile-slow:start --> … <!-- hostile-slow:end --> in docs/benchmarks.md. Only 127.0.0.1 is used.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg, flag, machineNote, percentile, procState, table, writeDocSection } from './agent-common.js';
import { type ErisChild } from './coordinator-common.js';
import { request, resumeLoop, startPair, TOKENS as T, writeTokens } from './hostile-common.js';
import { childrenOf, killTree } from '../test/harness/processes.js';

const SECONDS = arg('--seconds', 12);
const SLOW = 1000;
const WATCHERS = 1000;

/** `count` sockets on `url`'s port, each sending a GET's headers one byte every 500 ms, never finishing. */
async function slowloris(url: string, count: number) {
  const { port } = new URL(url);
  const sockets: net.Socket[] = [];
  let closedByServer = 0;
  for (let i = 0; i < count; i++) {
    const s = net.connect(Number(port), '127.0.0.1');
    s.on('error', () => undefined);
    s.on('close', () => closedByServer++);
    s.write('GET /v1/agents HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    sockets.push(s);
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 10));
  }
  const drip = setInterval(() => {
    for (const s of sockets) if (!s.destroyed) s.write('x');
  }, 500);
  return {
    stop() {
      clearInterval(drip);
      const open = sockets.filter((s) => !s.destroyed).length;
      for (const s of sockets) s.destroy();
      return `${open} of ${count} still open at the end (${closedByServer} closed by the server)`;
    },
  };
}

/** `count` SSE clients following a run's events. */
async function watchers(url: string, runId: string, count: number) {
  const requests: http.ClientRequest[] = [];
  let streaming = 0;
  let refused = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: count + 10 });
  for (let i = 0; i < count; i++) {
    const req = http.request(`${url}/v1/runs/${runId}/events`, { agent, headers: { authorization: `Bearer ${T.operator}`, accept: 'text/event-stream' } });
    req.on('response', (res) => {
      if (res.statusCode === 200) streaming++;
      else refused++;
      res.resume();
    });
    req.on('error', () => undefined);
    req.end();
    requests.push(req);
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 1000));
  return {
    stop() {
      for (const r of requests) r.destroy();
      agent.destroy();
      return `${streaming} streaming, ${refused} refused`;
    },
  };
}

interface Sample { lease: number[]; resume: number[]; health: number[]; healthFailures: number }

async function measure(pair: { coordinator: ErisChild; agent: ErisChild }, tag: string, victimPid: number): Promise<Sample> {
  const s: Sample = { lease: [], resume: [], health: [], healthFailures: 0 };
  const target = { processes: { cmdline: tag }, count: 1 };
  await resumeLoop(pair, SECONDS, target, {
    resumes: s.resume,
    onHealth(c, a) {
      if (c.status !== 200 || a.status !== 200) s.healthFailures++;
      s.health.push(Math.max(c.ms, a.ms));
    },
    // Before each resume, a lease that runs out: from leaseExpiresAt to the process running again.
    async step() {
      const leased = await request(pair.coordinator.url, 'POST', '/v1/faults', { token: T.operator, body: { target, signal: 'SIGSTOP', lease: '500ms' }, timeoutMs: 60_000 });
      if (leased.status !== 201) return;
      const expires = (JSON.parse(leased.body) as { parts: Array<{ fault: { leaseExpiresAt?: number } }> }).parts?.[0]?.fault?.leaseExpiresAt;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && procState(victimPid) !== 'T') await new Promise((r) => setTimeout(r, 2));
      while (Date.now() < deadline && procState(victimPid) === 'T') await new Promise((r) => setTimeout(r, 2));
      if (expires !== undefined) s.lease.push(Date.now() - expires);
    },
  });
  return s;
}

const f = (v: number) => (Number.isNaN(v) ? '-' : v < 10 ? v.toFixed(1) : v.toFixed(0));
const row = (what: string, s: Sample, extra = ''): string[] => [
  what,
  `${s.lease.length}`,
  `${f(percentile(s.lease, 50))} / ${f(Math.max(...s.lease))} ms`,
  `${s.resume.length}`,
  `${f(percentile(s.resume, 50))} / ${f(Math.max(...s.resume))} ms`,
  `${f(percentile(s.health, 50))} / ${f(Math.max(...s.health))} ms`,
  `${s.healthFailures} of ${s.health.length}`,
  extra,
];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'eris-slow-'));
  const tag = `eris-slow-victim-${process.pid}`;
  const victim = spawn('sh', ['-c', 'sleep 1000 & wait', tag], { stdio: 'ignore' });
  const started: ErisChild[] = [];
  try {
    await new Promise((r) => setTimeout(r, 200));
    const victimPid = childrenOf(victim.pid!)[0] ?? victim.pid!;
    writeTokens(dir, ['operator', 'agent']);
    const pair = await startPair(dir, '', '0', T.operator, started);
    const { coordinator, agent } = pair;
    const rows: string[][] = [];
    rows.push(row('quiet', await measure(pair, tag, victimPid)));
    const c = await slowloris(coordinator.url, SLOW);
    const a = await slowloris(agent.url, SLOW);
    const m1 = await measure(pair, tag, victimPid);
    rows.push(row(`slowloris: ${SLOW} connections on each server, a header byte every 500 ms`, m1, `coordinator: ${c.stop()}; agent: ${a.stop()}`));
    // A run that stays running (a long sleep step), its events followed by WATCHERS clients.
    const drill = { apiVersion: 'eris.dev/v1alpha1', kind: 'Drill', metadata: { name: 'watched' }, spec: { targets: { v: { processes: { cmdline: tag } } }, steps: [{ sleep: '10m' }] } };
    const run = await request(coordinator.url, 'POST', '/v1/runs', { token: T.operator, body: { spec: drill } });
    const runId = (JSON.parse(run.body) as { id: string }).id;
    const w = await watchers(coordinator.url, runId, WATCHERS);
    const m2 = await measure(pair, tag, victimPid);
    rows.push(row(`${WATCHERS} SSE watchers on one run's events`, m2, w.stop()));
    await request(coordinator.url, 'POST', `/v1/runs/${runId}/abort`, { token: T.operator });
    const out = [
      `\`bench/hostile-slow.bench.ts\`, ${machineNote()}`,
      '',
      `Each row: ${SECONDS} s of an operator alternating a SIGSTOP with a 500 ms lease (lease expiry latency: from the fault's leaseExpiresAt to the process seen running in /proc) and a SIGSTOP resumed by DELETE /v1/faults/{id} (timed), on one host process through the coordinator, while health checks hit both /healthz every 100 ms (fresh connection, 1 s timeout; the slower of the two counted). The slow clients share the machine's 2 cores.`,
      '',
      table(['load', 'leases', 'lease expiry p50 / max', 'resumes', 'resume p50 / max', '/healthz p50 / max', 'health failures', 'the slow clients'], ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'l'], rows),
    ].join('\n');
    console.log(out);
    if (!flag('--no-write')) writeDocSection('hostile-slow', `## Slow clients vs. leases and resumes (hostile-slow)\n\n${out}`);
  } finally {
    for (const ch of started.reverse()) await ch.stop();
    killTree(victim.pid!); // the shell and its sleep, by PID
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
