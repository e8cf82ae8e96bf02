// Shared pieces of the hostile-client benchmarks (hostile-flood, hostile-slow): a timed HTTP request, a real
// `eris coordinator` + host-mode `eris agent` pair, and the measuring loop (health checks on both /healthz every
// 100 ms while an operator places a SIGSTOP on one host process and resumes it). Not a benchmark itself.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnEris, type ErisChild } from './coordinator-common.js';

export const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
export const TOKENS = { operator: 'bench-operator-0123456789ab', viewer: 'bench-viewer-0123456789abcd', agent: 'bench-agent-0123456789abcde' };

const quick = new http.Agent({ keepAlive: false });

export interface Timed { status: number; ms: number; body: string }

/** One request, timed; a failure or timeout answers status 0. A fresh connection unless `agent` is given. */
export function request(base: string, method: string, path: string, o: { token?: string; body?: unknown; agent?: http.Agent; timeoutMs?: number } = {}): Promise<Timed> {
  const started = performance.now();
  return new Promise((resolve) => {
    const body = o.body === undefined ? undefined : JSON.stringify(o.body);
    const req = http.request(`${base}${path}`, {
      method,
      agent: o.agent ?? quick,
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

/** Writes `dir`/tokens.json with the given roles of TOKENS (the agent's in cluster `bench`). */
export function writeTokens(dir: string, roles: ReadonlyArray<'operator' | 'viewer' | 'agent'>): void {
  const ids = { operator: 'ops', viewer: 'dashboard', agent: 'agents' } as const;
  const tokens = roles.map((role) => ({ id: ids[role], role, sha256: sha(TOKENS[role]), ...(role === 'agent' ? { cluster: 'bench' } : {}) }));
  writeFileSync(join(dir, 'tokens.json'), JSON.stringify({ tokens }));
}

/**
 * A coordinator (tokens from `dir`/tokens.json, data in `dir`/c`suffix`, the given --rate-limit) and a host-mode
 * agent (node n1, state in `dir`/a`suffix`) linked to it; each is pushed on `started` as soon as it runs.
 * Resolves once `readToken` sees n1 in /v1/agents (or after 10 s).
 */
export async function startPair(dir: string, suffix: string, rateLimit: string, readToken: string, started: ErisChild[]): Promise<{ coordinator: ErisChild; agent: ErisChild }> {
  const coordinator = await spawnEris(['coordinator', '--listen', '127.0.0.1:0', '--tokens-file', join(dir, 'tokens.json'), '--data-dir', join(dir, `c${suffix}`), '--rate-limit', rateLimit], 'eris-coordinator listening');
  started.push(coordinator);
  const agent = await spawnEris(
    ['agent', '--listen', '127.0.0.1:0', '--no-cri', '--host-processes', '--state-dir', join(dir, `a${suffix}`), '--coordinator', coordinator.url.replace(/^http/, 'ws'), '--cluster', 'bench', '--node-name', 'n1'],
    'eris-agent listening',
    { env: { ERIS_AGENT_TOKEN: 'bench-agent-local-api-token', ERIS_COORDINATOR_TOKEN: TOKENS.agent } },
  );
  started.push(agent);
  for (let i = 0; i < 100; i++) {
    if ((await request(coordinator.url, 'GET', '/v1/agents', { token: readToken })).body.includes('"n1"')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { coordinator, agent };
}

/**
 * For `seconds`: health checks as kubelet makes them (both /healthz, a fresh connection, a 1 s timeout, every 100 ms;
 * each pair of answers handed to `onHealth`), while an operator loops: `step` (if any), then a SIGSTOP with a 30 s
 * lease on `target` resumed by DELETE /v1/faults/{id}, the resume's time pushed on `resumes`.
 */
export async function resumeLoop(
  pair: { coordinator: ErisChild; agent: ErisChild },
  seconds: number,
  target: unknown,
  o: { resumes: number[]; onHealth(c: Timed, a: Timed): void; step?: () => Promise<void> },
): Promise<void> {
  const { coordinator, agent } = pair;
  const until = performance.now() + seconds * 1000;
  const health = (async () => {
    while (performance.now() < until) {
      const [c, a] = await Promise.all([request(coordinator.url, 'GET', '/healthz', { timeoutMs: 1000 }), request(agent.url, 'GET', '/healthz', { timeoutMs: 1000 })]);
      o.onHealth(c, a);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  while (performance.now() < until) {
    await o.step?.();
    const placed = await request(coordinator.url, 'POST', '/v1/faults', { token: TOKENS.operator, body: { target, signal: 'SIGSTOP', lease: '30s' }, timeoutMs: 60_000 });
    if (placed.status !== 201) {
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    const id = (JSON.parse(placed.body) as { id: string }).id;
    const resumed = await request(coordinator.url, 'DELETE', `/v1/faults/${id}`, { token: TOKENS.operator, timeoutMs: 60_000 });
    if (resumed.status === 200) o.resumes.push(resumed.ms);
  }
  await health;
}
