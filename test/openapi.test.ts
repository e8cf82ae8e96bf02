// The coordinator's and the agent's OpenAPI documents: valid OpenAPI 3.1 by an independent validator, every route
// typed, and every operation's real answers (a real coordinator, a real host-mode agent, a real process) matching
// the schemas the document gives for that operation and status — errors and the SSE stream included.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { loadAgentConfig } from '../daemon/config.js';
import { startAgent, type Agent } from '../daemon/agent.js';
import { loadCoordinatorConfig } from '../coordinator/config.js';
import { startCoordinator, type Coordinator } from '../coordinator/server.js';
import { silentLogger } from '../lib/logger.js';
import { OpenApiConformance } from './harness/openapi-conformance.js';
import { openApiTexts } from '../coordinator/api/published.js';
import { procState, waitFor } from './harness/processes.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const T = { operator: 'openapi-operator-0123456789', viewer: 'openapi-viewer-0123456789', agentLink: 'openapi-agent-link-0123456789', agentApi: 'openapi-agent-api-0123456789' } as const;

/**
 * Documented answers no test here can bring about on purpose; each says why. Everything else the documents list is
 * answered for real below.
 */
const NOT_PROVOKED: Record<string, string> = {
  'previewSelection 503': 'an agent leaving between the fleet listing it and its answer',
  'previewSelection 504': 'an agent that stays connected but does not answer',
  'listTargets 503': 'with cmdline=, as previewSelection 503',
  'listTargets 504': 'with cmdline=, as previewSelection 504',
  'createFault 503': 'as previewSelection 503',
  'createFault 504': 'as previewSelection 504',
  'resumeFault 503': 'an agent gone while its part is still active (an agent resumes everything when it leaves)',
  'resumeFault 504': 'as previewSelection 504',
  'startRun 503': 'the jq worker crashing, or as previewSelection 503',
  'startRun 504': 'as previewSelection 504',
  'saveDrill 503': 'the jq worker crashing',
  'validateDrill 503': 'the jq worker crashing',
  'createNodeFault 409': 'a container whose init PID changes between inventory and signal (needs a CRI runtime)',
  'createNodeFault 502': 'a CRI runtime that fails (host mode has none)',
  'listNodeTargets 502': 'as createNodeFault 502',
};

/**
 * A body that declares `bytes` in Content-Length of which only 1 KiB is sent: the server answers 413 from the header
 * (a client that sends it all may lose the answer to the reset when the server closes; see hostile-input.test.ts).
 */
function oversized(url: string, token: string, bytes: number): Promise<{ status: number; contentType: string | null; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': bytes }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode!, contentType: res.headers['content-type'] ?? null, body });
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.write('x'.repeat(1024));
  });
}

/** Each operation of a document, its path parameters filled in. */
function operationsOf(doc: any): Array<{ method: string; path: string; open: boolean; responses: Record<string, unknown> }> {
  return Object.entries<any>(doc.paths).flatMap(([path, item]) =>
    Object.entries<any>(item).map(([method, op]) => ({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, 'x'), open: op.security.length === 0, responses: op.responses })),
  );
}

async function validOpenApi(doc: unknown): Promise<void> {
  const result = await new Validator().validate(doc as never);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2)?.slice(0, 3000));
}

/** What every operation of a document must say: an id, a tag, its security, a typed 2xx, typed errors. */
function assertTyped(doc: any): number {
  let count = 0;
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      count += 1;
      const what = `${method.toUpperCase()} ${path}`;
      assert.match(op.operationId, /^[a-z][A-Za-z]+$/, what);
      assert.ok(op.tags.length > 0, what);
      assert.ok(Array.isArray(op.security), `${what}: security`);
      for (const [status, answer] of Object.entries<any>(op.responses)) {
        assert.ok(answer.content, `${what} ${status}: no content`);
        for (const [type, media] of Object.entries<any>(answer.content)) assert.ok(media.schema && Object.keys(media.schema).length > 0, `${what} ${status} ${type}: no schema`);
        if (Number(status) >= 400) assert.deepEqual(answer.content['application/json'].schema, { $ref: '#/components/schemas/Error' }, `${what} ${status}`);
      }
      for (const p of op.parameters ?? []) assert.ok(p.schema && Object.keys(p.schema).length > 0, `${what} ${p.name}`);
      if (op.requestBody) for (const media of Object.values<any>(op.requestBody.content)) assert.match(media.schema.$ref, /^#\/components\/schemas\//, what);
    }
  }
  return count;
}

describe('OpenAPI documents, checked against real answers', () => {
  let dir: string;
  let coordinator: Coordinator;
  let limited: Coordinator;
  let agent: Agent;
  let sample: ChildProcess;
  let coordinatorDoc: any;
  let agentDoc: any;
  let c: OpenApiConformance;
  let a: OpenApiConformance;
  const tag = `eris-openapi-${process.pid}`;

  /** One call to a server, its answer checked against the document before the test looks at it. */
  const caller = (conformance: () => OpenApiConformance, base: () => string) => async (token: string | null, method: string, path: string, body?: unknown, contentType = 'application/json') => {
    const res = await conformance().fetch()(`${base()}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': contentType },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', text, body: text.startsWith('{') ? JSON.parse(text) : text } as { status: number; type: string; text: string; body: any };
  };
  const api = caller(() => c, () => coordinator.url);
  const agentApi = caller(() => a, () => agent.url);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-openapi-'));
    writeFileSync(
      join(dir, 'tokens.yaml'),
      ['tokens:', `  - { id: ops, role: operator, sha256: ${sha(T.operator)} }`, `  - { id: watcher, role: viewer, sha256: ${sha(T.viewer)} }`, `  - { id: agents, role: agent, sha256: ${sha(T.agentLink)}, cluster: lab }`].join('\n'),
    );
    coordinator = await startCoordinator(loadCoordinatorConfig({ listen: '127.0.0.1:0', tokensFile: join(dir, 'tokens.yaml'), dataDir: join(dir, 'c'), storePath: ':memory:' }, {}), { logger: silentLogger() });
    // A second coordinator with a rate of 1 a second: its 429 is the one every route shares.
    limited = await startCoordinator(loadCoordinatorConfig({ listen: '127.0.0.1:0', token: T.operator, dataDir: join(dir, 'l'), storePath: ':memory:', rateLimit: 1 }, {}), { logger: silentLogger() });
    agent = await startAgent(
      loadAgentConfig({ listen: '127.0.0.1:0', token: T.agentApi, coordinatorToken: T.agentLink, stateDir: join(dir, 'a'), noCri: true, hostProcesses: true, coordinator: coordinator.linkUrl, cluster: 'lab', nodeName: 'node-1' }, {}),
      { logger: silentLogger() },
    );
    sample = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', tag], { stdio: 'ignore' });
    coordinatorDoc = await (await fetch(`${coordinator.url}/openapi.json`)).json();
    agentDoc = await (await fetch(`${agent.url}/openapi.json`)).json();
    c = new OpenApiConformance(coordinatorDoc);
    a = new OpenApiConformance(agentDoc);
    await waitFor(async () => (await api(T.operator, 'GET', '/v1/agents')).body.agents?.length === 1, 10_000, 'the agent to register');
  });

  after(async () => {
    if (sample?.pid !== undefined && sample.exitCode === null) process.kill(sample.pid, 'SIGKILL');
    await agent?.close();
    await coordinator?.close();
    await limited?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('both documents are valid OpenAPI 3.1 (an independent validator), every operation typed', async () => {
    await validOpenApi(coordinatorDoc);
    await validOpenApi(agentDoc);
    assert.equal(assertTyped(coordinatorDoc), 26);
    assert.equal(assertTyped(agentDoc), 8);
    assert.deepEqual(coordinatorDoc.paths['/healthz'].get.security, []);
    assert.deepEqual(coordinatorDoc.paths['/v1/runs'].get.security, [{ bearer: [] }]);
    assert.ok(coordinatorDoc.components.schemas.Drill_step.anyOf.length === 6, 'the drill schema, steps included');
    assert.deepEqual(coordinatorDoc.paths['/v1/runs/{id}/events'].get.responses['200'].content['text/event-stream']['x-eris-event'], { $ref: '#/components/schemas/RunEvent' });
  });

  it('the committed schemas/openapi/*.json are what the servers serve (npm run schema writes them)', () => {
    const committed = openApiTexts();
    const root = new URL('..', import.meta.url);
    for (const [path, text] of Object.entries(committed)) assert.equal(readFileSync(new URL(path, root), 'utf8'), text, `${path} is out of date: npm run schema`);
    assert.deepEqual(JSON.parse(committed['schemas/openapi/coordinator.json']!), coordinatorDoc);
    assert.deepEqual(JSON.parse(committed['schemas/openapi/agent.json']!), agentDoc);
  });

  it('the checker refuses answers the document does not describe', () => {
    const json = 'application/json';
    assert.throws(() => c.check({ method: 'GET', path: '/v1/version', status: 200, contentType: json, body: '{"version":"1"}' }), /coordinatorId/);
    assert.throws(() => c.check({ method: 'GET', path: '/v1/version', status: 200, contentType: json, body: '{"version":"1","coordinatorId":"c","extra":1}' }), /additional/);
    assert.throws(() => c.check({ method: 'GET', path: '/v1/version', status: 418, contentType: json, body: '{}' }), /status 418 is not documented/);
    assert.throws(() => c.check({ method: 'GET', path: '/v1/runs/r1', status: 404, contentType: json, body: '{"error":{"code":"E"}}' }), /message/);
    assert.throws(() => c.check({ method: 'GET', path: '/v1/runs/r1/events', status: 200, contentType: 'text/event-stream', body: 'event: step\nid: 1\ndata: {"at":1}\n\n' }), /event step/);
    assert.throws(() => a.check({ method: 'PUT', path: '/v1/faults', status: 200, contentType: json, body: '{}' }), /no such operation/);
  });

  it('the system, fleet and selection routes answer as documented', async () => {
    assert.equal((await api(null, 'GET', '/healthz')).status, 200);
    assert.equal((await api(null, 'GET', '/metrics')).status, 200);
    assert.equal((await api(null, 'GET', '/v1/schemas/drill.json')).status, 200);
    assert.equal((await api(T.viewer, 'GET', '/v1/version')).status, 200);
    assert.equal((await api(null, 'GET', '/v1/version')).status, 401);
    assert.equal((await api('wrong-token-0123456789', 'GET', '/v1/agents')).status, 401);
    assert.equal((await api(T.viewer, 'GET', '/v1/agents')).status, 200);
    assert.equal((await api(T.viewer, 'GET', '/v1/targets?cluster=lab')).status, 200);
    assert.equal((await api(T.viewer, 'GET', '/v1/targets?pod=(')).status, 400);
    const processes = await api(T.viewer, 'GET', `/v1/targets?cmdline=${encodeURIComponent(tag)}`);
    assert.equal(processes.status, 200, processes.text);
    assert.deepEqual(processes.body.targets.map((t: { pid: number }) => t.pid), [sample.pid]);
    // A viewer sees the program, not its arguments or the labels read from them (as in a selection preview).
    assert.deepEqual(processes.body.targets[0].labels, {});
    assert.match(processes.body.targets[0].cmdline, /^\S+ …$/);
    assert.doesNotMatch(processes.body.targets[0].cmdline, new RegExp(tag));
    assert.equal((await api(T.viewer, 'GET', '/v1/targets?cmdline=(')).status, 400);
    const preview = await api(T.viewer, 'POST', '/v1/selections', { processes: { cmdline: tag }, count: 1 });
    assert.equal(preview.status, 200, preview.text);
    assert.equal(preview.body.picked[0].pid, sample.pid);
    assert.equal((await api(T.viewer, 'POST', '/v1/selections', { processes: { cmdline: 'no-such-process-xyz-openapi' } })).status, 422);
    assert.equal((await api(T.viewer, 'POST', '/v1/selections', { percent: 500 })).status, 400);
    for (const path of ['/v1/selections', '/v1/faults', '/v1/runs', '/v1/drills', '/v1/drills/validate']) {
      const res = await oversized(`${coordinator.url}${path}`, T.operator, 2 * 1024 * 1024);
      assert.equal(res.status, 413, path);
      c.check({ method: 'POST', path, ...res });
    }
    // No token: 401 on every route that needs one.
    for (const op of operationsOf(coordinatorDoc).filter((o) => !o.open)) assert.equal((await api(null, op.method, op.path, op.method === 'POST' ? {} : undefined)).status, 401, `${op.method} ${op.path}`);
    // Rate limits: per token on every route, per address on /metrics.
    const onLimited = caller(() => c, () => limited.url);
    for (const op of operationsOf(coordinatorDoc).filter((o) => o.responses['429'] !== undefined && o.path !== '/metrics')) {
      let status = 0;
      for (let i = 0; i < 10 && status !== 429; i++) status = (await onLimited(T.operator, op.method, op.path, op.method === 'POST' ? {} : undefined)).status;
      assert.equal(status, 429, `${op.method} ${op.path}`);
    }
    const scrapes = await Promise.all(Array.from({ length: 30 }, () => api(null, 'GET', '/metrics')));
    assert.ok(scrapes.some((r) => r.status === 429));
  });

  it('immediate faults answer as documented', async () => {
    const fault = await api(T.operator, 'POST', '/v1/faults', { target: { processes: { cmdline: tag } }, signal: 'SIGSTOP', lease: '30s' });
    assert.equal(fault.status, 201, fault.text);
    assert.equal(procState(sample.pid!), 'T');
    assert.equal((await api(T.viewer, 'POST', '/v1/faults', { target: { processes: { cmdline: tag } }, signal: 'SIGSTOP' })).status, 403);
    assert.equal((await api(T.operator, 'POST', '/v1/faults', { target: { processes: { cmdline: tag } }, signal: 'SIGNOPE' })).status, 400);
    assert.equal((await api(T.operator, 'POST', '/v1/faults', { target: { processes: { cmdline: 'no-such-process-xyz-openapi' } }, signal: 'SIGSTOP' })).status, 422);
    assert.equal((await api(T.viewer, 'GET', '/v1/faults')).status, 200);
    assert.equal((await api(T.viewer, 'GET', `/v1/faults/${fault.body.id}`)).status, 200);
    assert.equal((await api(T.viewer, 'GET', '/v1/faults/no-such-fault')).status, 404);
    assert.equal((await api(T.viewer, 'DELETE', `/v1/faults/${fault.body.id}`)).status, 403);
    const resumed = await api(T.operator, 'DELETE', `/v1/faults/${fault.body.id}`);
    assert.equal(resumed.status, 200, resumed.text);
    assert.equal(resumed.body.resume.confirmed, true);
    assert.equal((await api(T.operator, 'DELETE', '/v1/faults/no-such-fault')).status, 404);
    // The emergency stop: one call resumes what is still frozen.
    const again = await api(T.operator, 'POST', '/v1/faults', { target: { processes: { cmdline: tag } }, signal: 'SIGSTOP', lease: '30s' });
    assert.equal(again.status, 201, again.text);
    assert.equal((await api(T.viewer, 'POST', '/v1/resume-all')).status, 403);
    assert.deepEqual((await api(T.viewer, 'GET', '/v1/whoami')).body, { id: 'watcher', role: 'viewer', scope: {} });
    assert.equal((await api(T.operator, 'GET', '/v1/whoami')).body.role, 'operator');
    const all = await api(T.operator, 'POST', '/v1/resume-all');
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(all.body.faults.map((f: { id: string; result: string }) => [f.id, f.result]), [[again.body.id, 'resumed']]);
    assert.notEqual(procState(sample.pid!), 'T');
  });

  it('drills answer as documented (JSON and YAML bodies)', async () => {
    const drill = { apiVersion: 'eris.dev/v1alpha1', kind: 'Drill', metadata: { name: 'openapi-drill' }, spec: { targets: { s: { processes: { cmdline: tag } } }, steps: [{ sleep: '10ms' }] } };
    assert.equal((await api(T.operator, 'POST', '/v1/drills', drill)).status, 201);
    const yaml = 'apiVersion: eris.dev/v1alpha1\nkind: Drill\nmetadata: {name: openapi-yaml}\nspec:\n  targets: {s: {processes: {cmdline: x}}}\n  steps: [{sleep: 10ms}]\n';
    assert.equal((await api(T.operator, 'POST', '/v1/drills', yaml, 'application/yaml')).status, 201);
    assert.equal((await api(T.operator, 'POST', '/v1/drills', '{not json')).status, 400);
    assert.equal((await api(T.viewer, 'POST', '/v1/drills', drill)).status, 403);
    const metadataProbe = { ...drill, metadata: { name: 'refused' }, spec: { ...drill.spec, probes: { p: { url: 'http://169.254.169.254/latest', jq: '.' } }, steps: [{ probe: 'p' }] } };
    assert.equal((await api(T.operator, 'POST', '/v1/drills', metadataProbe)).status, 422);
    // The console's editor: problems at line:column, as `eris validate` prints them (a viewer may check).
    const checked = await api(T.viewer, 'POST', '/v1/drills/validate', 'kind: Drill\nmetadata: {name: x}\n', 'application/yaml');
    assert.equal(checked.status, 200, checked.text);
    assert.equal(checked.body.ok, false);
    assert.ok(checked.body.problems.some((p: { path: string; line: number }) => p.path === 'apiVersion' && p.line === 1), checked.text);
    const valid = await api(T.viewer, 'POST', '/v1/drills/validate', yaml, 'application/yaml');
    assert.deepEqual([valid.status, valid.body.ok, valid.body.name], [200, true, 'openapi-yaml'], valid.text);
    assert.equal((await api(T.viewer, 'POST', '/v1/drills/validate', '  ', 'application/yaml')).status, 400);
    // Found by fuzz-http: an alias to no anchor was a 500.
    const alias = await api(T.viewer, 'POST', '/v1/drills/validate', '*!');
    assert.deepEqual([alias.status, alias.body.ok, alias.body.problems[0]?.path], [200, false, '(yaml)'], alias.text);
    const templates = await api(T.viewer, 'GET', '/v1/drill-templates');
    assert.deepEqual(templates.body.templates.map((t: { name: string }) => t.name), ['etcd', 'freeze-guard', 'host']);
    assert.equal((await api(T.viewer, 'GET', '/v1/drills')).status, 200);
    assert.equal((await api(T.viewer, 'GET', '/v1/drills/openapi-yaml')).status, 200);
    assert.equal((await api(T.viewer, 'GET', '/v1/drills/nope')).status, 404);
    assert.equal((await api(T.viewer, 'DELETE', '/v1/drills/openapi-yaml')).status, 403);
    assert.equal((await api(T.operator, 'DELETE', '/v1/drills/openapi-yaml')).status, 200);
    assert.equal((await api(T.operator, 'DELETE', '/v1/drills/openapi-yaml')).status, 404);
  });

  it('runs, their events, reports and aborts answer as documented', async () => {
    const quick = { apiVersion: 'eris.dev/v1alpha1', kind: 'Drill', metadata: { name: 'openapi-quick' }, spec: { targets: { s: { processes: { cmdline: tag } } }, steps: [{ signal: 'SIGSTOP', target: 's', lease: '30s' }, { sleep: '50ms' }, { signal: 'SIGCONT', target: 's' }, { signal: 'SIGSTOP', target: 's', lease: '30s' }] } };
    const dry = await api(T.viewer, 'POST', '/v1/runs', { drill: 'openapi-drill', dryRun: true, seed: 3 });
    assert.equal(dry.status, 200, dry.text);
    assert.equal((await api(T.viewer, 'POST', '/v1/runs', { spec: quick })).status, 403);
    assert.equal((await api(T.operator, 'POST', '/v1/runs', {})).status, 400);
    assert.equal((await api(T.operator, 'POST', '/v1/runs', { drill: 'no-such-drill' })).status, 404);
    const refused = { ...quick, spec: { ...quick.spec, probes: { p: { url: 'http://169.254.169.254/', jq: '.' } }, steps: [{ probe: 'p' }] } };
    assert.equal((await api(T.operator, 'POST', '/v1/runs', { spec: refused })).status, 422);
    const started = await api(T.operator, 'POST', '/v1/runs', { spec: quick, seed: 'openapi' });
    assert.equal(started.status, 201, started.text);
    const id = started.body.id as string;
    // The live stream until the run ends: every event is checked against RunEvent.
    const events = await api(T.viewer, 'GET', `/v1/runs/${id}/events`);
    assert.equal(events.status, 200);
    for (const type of ['run', 'selection', 'fault', 'step', 'timeline', 'resumed']) assert.match(events.text, new RegExp(`event: ${type}\\n`));
    // The first SIGSTOP ended by the SIGCONT step (endedBy), the second by the run's end (the resumed event).
    assert.match(events.text, /"endedBy":"sigcont"/);
    assert.equal((await api(T.viewer, 'GET', `/v1/runs/${id}/events?follow=false&after=2`)).status, 200);
    assert.equal((await api(T.viewer, 'GET', `/v1/runs/${id}/events?after=soon`)).status, 400);
    assert.equal((await api(T.viewer, 'GET', '/v1/runs/nope/events')).status, 404);
    const run = await api(T.viewer, 'GET', `/v1/runs/${id}`);
    assert.equal(run.body.status, 'passed', run.text);
    assert.equal((await api(T.viewer, 'GET', '/v1/runs/nope')).status, 404);
    assert.equal((await api(T.viewer, 'GET', '/v1/runs?limit=5&status=passed')).status, 200);
    assert.equal((await api(T.viewer, 'GET', '/v1/runs?limit=0')).status, 400);
    assert.equal((await api(T.viewer, 'GET', `/v1/runs/${id}/report`)).status, 200);
    const junit = await api(T.viewer, 'GET', `/v1/runs/${id}/report?format=junit`);
    assert.equal(junit.status, 200);
    assert.match(junit.type, /^application\/xml/);
    assert.equal((await api(T.viewer, 'GET', `/v1/runs/${id}/report?format=pdf`)).status, 400);
    assert.equal((await api(T.viewer, 'GET', '/v1/runs/nope/report')).status, 404);
    assert.equal((await api(T.operator, 'POST', `/v1/runs/${id}/abort`)).status, 409);
    assert.equal((await api(T.operator, 'POST', '/v1/runs/nope/abort')).status, 404);

    const long = await api(T.operator, 'POST', '/v1/runs', { spec: { ...quick, metadata: { name: 'openapi-long' }, spec: { ...quick.spec, steps: [{ sleep: '30s' }] } } });
    assert.equal(long.status, 201);
    assert.equal((await api(T.viewer, 'GET', `/v1/runs/${long.body.id}/report`)).status, 409);
    assert.equal((await api(T.viewer, 'POST', `/v1/runs/${long.body.id}/abort`)).status, 403);
    assert.equal((await api(T.operator, 'POST', `/v1/runs/${long.body.id}/abort`)).status, 202);
    await waitFor(async () => (await api(T.viewer, 'GET', `/v1/runs/${long.body.id}`)).body.status === 'aborted', 5000, 'aborted');
  });

  it('the audit trail answers as documented', async () => {
    const page = await api(T.viewer, 'GET', '/v1/audit?limit=5');
    assert.equal(page.status, 200);
    assert.equal(page.body.records.length, 5);
    assert.equal((await api(T.viewer, 'GET', `/v1/audit?cursor=${page.body.nextCursor}&action=fault.create`)).status, 200);
    assert.equal((await api(T.viewer, 'GET', '/v1/audit?since=yesterday')).status, 400);
  });

  it("the agent's local API answers as documented", async () => {
    assert.equal((await agentApi(null, 'GET', '/healthz')).status, 200);
    assert.equal((await agentApi(null, 'GET', '/metrics')).status, 200);
    for (const op of operationsOf(agentDoc).filter((o) => !o.open)) assert.equal((await agentApi(null, op.method, op.path, op.method === 'POST' ? {} : undefined)).status, 401, `${op.method} ${op.path}`);
    assert.equal((await agentApi(T.agentApi, 'GET', '/v1/info')).status, 200);
    const targets = await agentApi(T.agentApi, 'GET', `/v1/targets?cmdline=${encodeURIComponent(tag)}`);
    assert.equal(targets.status, 200, targets.text);
    assert.equal(targets.body.processes[0].pid, sample.pid);
    assert.equal((await agentApi(T.agentApi, 'GET', '/v1/targets?refresh=maybe')).status, 400);
    const fault = await agentApi(T.agentApi, 'POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [sample.pid] }, leaseSeconds: 30 });
    assert.equal(fault.status, 201, fault.text);
    assert.equal((await agentApi(T.agentApi, 'POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [1] } })).status, 403);
    assert.equal((await agentApi(T.agentApi, 'POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [2 ** 30] } })).status, 404);
    assert.equal((await agentApi(T.agentApi, 'POST', '/v1/faults', { signal: 'SIGSTOP', target: { cmdline: 'no-such-process-xyz-openapi' } })).status, 422);
    assert.equal((await agentApi(T.agentApi, 'POST', '/v1/faults', { signal: 'SIGSTOP' })).status, 400);
    const big = await oversized(`${agent.url}/v1/faults`, T.agentApi, 1024 * 1024);
    assert.equal(big.status, 413);
    a.check({ method: 'POST', path: '/v1/faults', ...big });
    assert.equal((await agentApi(T.agentApi, 'GET', '/v1/faults?state=active')).status, 200);
    assert.equal((await agentApi(T.agentApi, 'GET', '/v1/faults?state=sleeping')).status, 400);
    assert.equal((await agentApi(T.agentApi, 'GET', `/v1/faults/${fault.body.id}`)).status, 200);
    assert.equal((await agentApi(T.agentApi, 'GET', '/v1/faults/nope')).status, 404);
    assert.equal((await agentApi(T.agentApi, 'DELETE', `/v1/faults/${fault.body.id}`)).status, 200);
    assert.equal((await agentApi(T.agentApi, 'DELETE', '/v1/faults/nope')).status, 404);
    const scrapes = await Promise.all(Array.from({ length: 30 }, () => agentApi(null, 'GET', '/metrics')));
    assert.ok(scrapes.some((r) => r.status === 429));
    await waitFor(() => procState(sample.pid!) !== 'T', 2000, 'resumed');
  });

  it('every documented operation and status was answered for real (or is listed with the reason it cannot be)', async (t) => {
    await c.settle();
    await a.settle();
    for (const [conformance, name] of [[c, 'coordinator'], [a, 'agent']] as const) {
      const missing = conformance.documented().filter((s) => !conformance.covered.has(s) && NOT_PROVOKED[s] === undefined);
      assert.deepEqual(missing, [], `${name}: documented but never answered`);
      const stale = Object.keys(NOT_PROVOKED).filter((s) => conformance.covered.has(s));
      assert.deepEqual(stale, [], `${name}: answered after all, take it off NOT_PROVOKED`);
    }
    t.diagnostic(`answers checked: coordinator ${c.checked}, agent ${a.checked}; operation+status pairs answered: ${c.covered.size + a.covered.size} of ${c.documented().length + a.documented().length} documented`);
    const operations = new Set([...c.covered, ...a.covered].map((s) => s.split(' ')[0]));
    assert.deepEqual([...c.operationIds(), ...a.operationIds()].filter((id) => !operations.has(id)), []);
  });
});
