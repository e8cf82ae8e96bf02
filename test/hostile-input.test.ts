// Oversized and malformed HTTP input to a real agent and coordinator: bodies are bounded (413 naming the limit),
// lists are bounded per endpoint, errors do not echo input in bulk, and what they write to disk is owner-only.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { loadAgentConfig } from '../daemon/config.js';
import { startAgent, type Agent } from '../daemon/agent.js';
import { loadCoordinatorConfig } from '../coordinator/config.js';
import { startCoordinator, type Coordinator } from '../coordinator/server.js';
import { silentLogger } from '../lib/logger.js';
import { AGENT_BODY_LIMIT } from '../daemon/api/app.js';
import { BODY_LIMITS } from '../coordinator/api/app.js';
import { isRunning, killTree, spawnTree, waitFor } from './harness/processes.js';
import { conformanceOf } from './harness/openapi-conformance.js';

const TOKEN = 'hostile-input-token';

type Oversized = { declared: number } | { chunked: number };
/** A body that declares `bytes` in Content-Length; only its first kilobyte is sent, as a server that refuses by the header needs. */
const declared = (bytes: number): Oversized => ({ declared: bytes });
/** A body sent without Content-Length (chunked), as a client that streams would: `bytes` of it, then it waits for the answer. */
const chunked = (bytes: number): Oversized => ({ chunked: bytes });

/**
 * node:http rather than fetch, and an oversized body is never sent whole: a server answers 413 as soon as it knows,
 * and a client still writing when the server closes may lose that answer to a TCP reset.
 */
/** Sends, and checks the answer against the OpenAPI document of the server that gave it. */
async function send(url: string, token: string, method: string, body?: string | Oversized) {
  const answer = await sendRaw(url, token, method, body);
  (await conformanceOf(url)).check({ method, path: new URL(url).pathname, status: answer.status, contentType: answer.contentType, body: answer.text });
  return answer;
}

function sendRaw(url: string, token: string, method: string, body?: string | Oversized) {
  return new Promise<{ status: number; length: number; body: any; text: string; contentType: string | null }>((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    if (typeof body === 'string') headers['content-length'] = Buffer.byteLength(body);
    else if (body !== undefined && 'declared' in body) headers['content-length'] = body.declared;
    const req = request(url, { method, headers, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode!, length: text.length, body: text.startsWith('{') ? JSON.parse(text) : text, text, contentType: res.headers['content-type'] ?? null });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    if (typeof body === 'string') req.end(body);
    else if (body === undefined) req.end();
    else if ('declared' in body) req.write('x'.repeat(1024));
    else req.write('x'.repeat(body.chunked));
  });
}

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('bounded input and owner-only files, real agent and coordinator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eris-input-'));
  let agent: Agent;
  let agentToken: string;
  let coordinator: Coordinator;
  const trees: number[] = [];

  before(async () => {
    // No token configured: the agent generates one (agent.token) in its state directory.
    agent = await startAgent(loadAgentConfig({ listen: '127.0.0.1:0', stateDir: join(dir, 'agent'), noCri: true, hostProcesses: true }, {}), { logger: silentLogger() });
    agentToken = readFileSync(agent.generatedTokenPath!, 'utf8').trim();
    coordinator = await startCoordinator(loadCoordinatorConfig({ listen: '127.0.0.1:0', token: TOKEN, dataDir: join(dir, 'coordinator') }, {}), { logger: silentLogger() });
  });

  after(async () => {
    await agent?.close();
    await coordinator?.close();
    for (const pid of trees) killTree(pid);
    rmSync(dir, { recursive: true, force: true });
  });

  it('agent: a body over its limit is a 413 naming the limit, with or without Content-Length', async () => {
    for (const body of [declared(20 * 1024 * 1024), chunked(AGENT_BODY_LIMIT + 1)]) {
      const res = await send(`${agent.url}/v1/faults`, agentToken, 'POST', body);
      assert.equal(res.status, 413, JSON.stringify(res.body).slice(0, 300));
      assert.equal(res.body.error.code, 'ERIS_ERR_PAYLOAD_TOO_LARGE');
      assert.equal(res.body.error.path, 'body');
      assert.match(res.body.error.message, new RegExp(`larger than the ${AGENT_BODY_LIMIT}-byte limit of POST /v1/faults`));
    }
    assert.equal((await send(`${agent.url}/healthz`, agentToken, 'GET')).status, 200);
  });

  it('coordinator: 64 KiB for most bodies, 1 MiB for drills, each named in the 413', async () => {
    const small = await send(`${coordinator.url}/v1/selections`, TOKEN, 'POST', declared(BODY_LIMITS.other + 1));
    assert.equal(small.status, 413);
    assert.match(small.body.error.message, new RegExp(`${BODY_LIMITS.other}-byte limit of POST /v1/selections`));
    const drill = await send(`${coordinator.url}/v1/drills`, TOKEN, 'POST', chunked(BODY_LIMITS.drill + 1));
    assert.equal(drill.status, 413);
    assert.match(drill.body.error.message, new RegExp(`${BODY_LIMITS.drill}-byte limit of POST /v1/drills`));
    // Under the drill limit, a large body is read and judged on its content.
    const judged = await send(`${coordinator.url}/v1/runs`, TOKEN, 'POST', JSON.stringify({ spec: { padding: 'x'.repeat(200_000) }, dryRun: true }));
    assert.equal(judged.status, 400);
    assert.equal(judged.body.error.code, 'ERIS_ERR_VALIDATION');
  });

  it('bounds lists per endpoint with a 400 naming the field', async () => {
    const pids = await send(`${agent.url}/v1/faults`, agentToken, 'POST', JSON.stringify({ signal: 'SIGSTOP', target: { pids: Array.from({ length: 1001 }, (_, i) => i + 2) } }));
    assert.equal(pids.status, 400);
    assert.equal(pids.body.error.path, 'target');
    assert.match(JSON.stringify(pids.body.error), /pids/);
    const namespaces = await send(`${coordinator.url}/v1/selections`, TOKEN, 'POST', JSON.stringify({ namespaces: Array.from({ length: 101 }, (_, i) => `ns-${i}`) }));
    assert.equal(namespaces.status, 400);
    assert.equal(namespaces.body.error.path, 'target.namespaces');
    assert.match(namespaces.body.error.message, /at most 100 entries/);
  });

  it('errors do not echo large input back', async () => {
    const label = await send(`${coordinator.url}/v1/selections`, TOKEN, 'POST', JSON.stringify({ labels: { app: 'x'.repeat(60_000) } }));
    assert.equal(label.status, 400);
    assert.equal(label.body.error.path, 'target.labels.app');
    assert.ok(label.length < 4096, `error body of ${label.length} bytes`);
    // 900 bad entries: a few are named, the rest counted.
    const many = await send(`${agent.url}/v1/faults`, agentToken, 'POST', JSON.stringify({ signal: 'SIGSTOP', target: { containerIds: Array.from({ length: 900 }, () => 7) } }));
    assert.equal(many.status, 400);
    assert.ok(many.length < 4096, `error body of ${many.length} bytes`);
  });

  it('agent: GET /v1/faults?state= takes only a fault state', async () => {
    const bad = await send(`${agent.url}/v1/faults?state=anything`, agentToken, 'GET');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.path, 'query.state');
    assert.match(bad.body.error.message, /active, resumed, done, failed/);
    assert.equal((await send(`${agent.url}/v1/faults?state=active`, agentToken, 'GET')).status, 200);
    assert.equal((await send(`${agent.url}/v1/faults?stat=active`, agentToken, 'GET')).status, 400);
  });

  it('writes eris.db (and its WAL), coordinator-id, the agent token and journal owner-only (0600)', async () => {
    const tree = await spawnTree(1, `eris-input-${process.pid}`);
    trees.push(tree.pid);
    const placed = await send(`${agent.url}/v1/faults`, agentToken, 'POST', JSON.stringify({ signal: 'SIGSTOP', target: { pids: [tree.pid] }, leaseSeconds: 0.3 }));
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    await waitFor(() => isRunning(tree.pid), 3000, 'lease expiry');
    const files = [
      join(dir, 'coordinator', 'eris.db'),
      join(dir, 'coordinator', 'eris.db-wal'),
      join(dir, 'coordinator', 'coordinator-id'),
      agent.generatedTokenPath!,
      join(dir, 'agent', 'journal.jsonl'),
    ];
    for (const file of files) assert.equal(mode(file), '600', file);
  });
});
