// Benchmark: slow clients against the real `eris coordinator` and `eris agent` (child processes, the built dist/),
// with lease expiry and an operator's resume timed during each, against a quiet reference in the same run:
// - slowloris: 1,000 connections on each server, each sending a request's headers one byte every 500 ms;
// - 1,000 SSE watchers following one running run's events (GET /v1/runs/{id}/events).
// Lease expiry: a SIGSTOP with a 500 ms lease placed through the coordinator; the latency is from its
// leaseExpiresAt to the process seen running again in /proc (polled every 2 ms). Resume: DELETE /v1/faults/{id}.
// Run: npm run build && node --import tsx bench/hostile-slow.bench.ts [--no-write] [--seconds 8]
// Writes <!-- hostile-slow:start --> … <!-- hostile-slow:end --> in docs/benchmarks.md. Only 127.0.0.1 is used.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { arg, flag, machineNote, percentile, procState, table, writeDocSection } from './agent-common.js';
import { spawnEris, type ErisChild } from './coordinator-common.js';
import { childrenOf, killTree } from '../test/harness/processes.js';

const SECONDS = arg('--seconds', 12);
const SLOW = 1000;
const WATCHERS = 1000;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const T = { operator: 'bench-operator-0123456789ab', agent: 'bench-agent-0123456789abcde' };
const quick = new http.Agent({ keepAlive: false });

function request(base: string, method: string, path: string, o: { token?: string; body?: unknown; timeoutMs?: number } = {}): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const body = o.body === undefined ? undefined : JSON.stringify(o.body);
    const req = http.request(`${base}${path}`, {
      method,
      agent: quick,
      headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}) },
      timeout: o.timeoutMs ?? 30_000,
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, body: Buffer.concat(chunks).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started, body: '' }));
    req.end(body);
  });
}

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

async function measure(coordinator: ErisChild, agent: ErisChild, tag: string, victimPid: number): Promise<Sample> {
  const s: Sample = { lease: [], resume: [], health: [], healthFailures: 0 };
  const until = performance.now() + SECONDS * 1000;
  const health = (async () => {
    while (performance.now() < until) {
      const [c, a] = await Promise.all([request(coordinator.url, 'GET', '/healthz', { timeoutMs: 1000 }), request(agent.url, 'GET', '/healthz', { timeoutMs: 1000 })]);
      if (c.status !== 200 || a.status !== 200) s.healthFailures++;
      s.health.push(Math.max(c.ms, a.ms));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const target = { processes: { cmdline: tag }, count: 1 };
  while (performance.now() < until) {
    // A lease that runs out: from leaseExpiresAt to the process running again.
    const leased = await request(coordinator.url, 'POST', '/v1/faults', { token: T.operator, body: { target, signal: 'SIGSTOP', lease: '500ms' }, timeoutMs: 60_000 });
    if (leased.status === 201) {
      const expires = (JSON.parse(leased.body) as { parts: Array<{ fault: { leaseExpiresAt?: number } }> }).parts?.[0]?.fault?.leaseExpiresAt;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && procState(victimPid) !== 'T') await new Promise((r) => setTimeout(r, 2));
      while (Date.now() < deadline && procState(victimPid) === 'T') await new Promise((r) => setTimeout(r, 2));
      if (expires !== undefined) s.lease.push(Date.now() - expires);
    }
    const placed = await request(coordinator.url, 'POST', '/v1/faults', { token: T.operator, body: { target, signal: 'SIGSTOP', lease: '30s' }, timeoutMs: 60_000 });
    if (placed.status !== 201) {
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    const id = (JSON.parse(placed.body) as { id: string }).id;
    const resumed = await request(coordinator.url, 'DELETE', `/v1/faults/${id}`, { token: T.operator, timeoutMs: 60_000 });
    if (resumed.status === 200) s.resume.push(resumed.ms);
  }
  await health;
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
    writeFileSync(join(dir, 'tokens.json'), JSON.stringify({ tokens: [{ id: 'ops', role: 'operator', sha256: sha(T.operator) }, { id: 'agents', role: 'agent', sha256: sha(T.agent), cluster: 'bench' }] }));
    const coordinator = await spawnEris(['coordinator', '--listen', '127.0.0.1:0', '--tokens-file', join(dir, 'tokens.json'), '--data-dir', join(dir, 'c'), '--rate-limit', '0'], 'eris-coordinator listening');
    started.push(coordinator);
    const agent = await spawnEris(
      ['agent', '--listen', '127.0.0.1:0', '--no-cri', '--host-processes', '--state-dir', join(dir, 'a'), '--coordinator', coordinator.url.replace(/^http/, 'ws'), '--cluster', 'bench', '--node-name', 'n1'],
      'eris-agent listening',
      { env: { ERIS_AGENT_TOKEN: 'bench-agent-local-api-token', ERIS_COORDINATOR_TOKEN: T.agent } },
    );
    started.push(agent);
    for (let i = 0; i < 100; i++) {
      if ((await request(coordinator.url, 'GET', '/v1/agents', { token: T.operator })).body.includes('"n1"')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const rows: string[][] = [];
    rows.push(row('quiet', await measure(coordinator, agent, tag, victimPid)));
    const c = await slowloris(coordinator.url, SLOW);
    const a = await slowloris(agent.url, SLOW);
    const m1 = await measure(coordinator, agent, tag, victimPid);
    rows.push(row(`slowloris: ${SLOW} connections on each server, a header byte every 500 ms`, m1, `coordinator: ${c.stop()}; agent: ${a.stop()}`));
    // A run that stays running (a long sleep step), its events followed by WATCHERS clients.
    const drill = { apiVersion: 'eris.dev/v1alpha1', kind: 'Drill', metadata: { name: 'watched' }, spec: { targets: { v: { processes: { cmdline: tag } } }, steps: [{ sleep: '10m' }] } };
    const run = await request(coordinator.url, 'POST', '/v1/runs', { token: T.operator, body: { spec: drill } });
    const runId = (JSON.parse(run.body) as { id: string }).id;
    const w = await watchers(coordinator.url, runId, WATCHERS);
    const m2 = await measure(coordinator, agent, tag, victimPid);
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
