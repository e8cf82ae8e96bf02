// The audit trail against a real coordinator (SQLite store) and a real host-mode agent: every action, its actor and
// role, its result; refused requests too; GET /v1/audit filters and pages; the SDK and `eris audit` read it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig } from '../daemon/config.js';
import { startAgent, type Agent } from '../daemon/agent.js';
import { loadCoordinatorConfig } from '../coordinator/config.js';
import { startCoordinator, type Coordinator } from '../coordinator/server.js';
import { silentLogger } from '../lib/logger.js';
import { ErisClient } from '../sdk/client.js';
import type { AuditRecord } from '../sdk/types.js';
import { callJson } from './harness/agent-process.js';
import { killTree, spawnTree, waitFor } from './harness/processes.js';
import { assertBuilt, runCli } from './cli-harness.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const OPERATOR = 'audit-operator-secret-0123';
const VIEWER = 'audit-viewer-secret-012345';
const AGENT = 'audit-agent-secret-0123456';

describe('audit trail', () => {
  let dir: string;
  let coordinator: Coordinator;
  let agent: Agent;
  let tree: Awaited<ReturnType<typeof spawnTree>> | undefined;
  const tag = `eris-audit-${process.pid}`;
  const started = Date.now();

  const api = (token: string, method: string, path: string, body?: unknown) => callJson(coordinator.url, token, method, path, body, 10_000);
  const drill = (name: string) => ({
    apiVersion: 'eris.dev/v1alpha1',
    kind: 'Drill',
    metadata: { name },
    spec: { targets: { t: { processes: { cmdline: tag } } }, steps: [{ sleep: '30s' }] },
  });

  before(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'eris-audit-'));
    writeFileSync(
      join(dir, 'tokens.json'),
      JSON.stringify({
        tokens: [
          { id: 'ops', role: 'operator', sha256: sha(OPERATOR) },
          { id: 'watcher', role: 'viewer', sha256: sha(VIEWER) },
          { id: 'agents', role: 'agent', sha256: sha(AGENT), cluster: 'lab' },
        ],
      }),
    );
    coordinator = await startCoordinator(loadCoordinatorConfig({ listen: '127.0.0.1:0', tokensFile: join(dir, 'tokens.json'), dataDir: join(dir, 'c') }, {}), { logger: silentLogger() });
    agent = await startAgent(
      loadAgentConfig({ listen: '127.0.0.1:0', token: 'audit-local-agent-token', coordinatorToken: AGENT, stateDir: join(dir, 'a'), noCri: true, hostProcesses: true, coordinator: coordinator.linkUrl, cluster: 'lab', nodeName: 'n1' }, {}),
      { logger: silentLogger() },
    );
    await waitFor(() => coordinator.fleet.agentCount() === 1, 10_000, 'the agent to register');
    tree = await spawnTree(1, tag);
  });

  after(async () => {
    if (tree) killTree(tree.pid);
    await agent?.close();
    await coordinator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records each action with who, what, when and the result', async () => {
    assert.equal((await api('wrong-token', 'GET', '/v1/agents')).status, 401);
    assert.equal((await api(VIEWER, 'POST', '/v1/faults', { target: { processes: { cmdline: tag } }, signal: 'SIGSTOP' })).status, 403);
    const fault = await api(OPERATOR, 'POST', '/v1/faults', { target: { processes: { cmdline: tag } }, signal: 'SIGSTOP', lease: '30s', override: ['denied-namespace'] });
    assert.equal(fault.status, 201, JSON.stringify(fault.body));
    assert.equal((await api(OPERATOR, 'DELETE', `/v1/faults/${fault.body.id}`)).body.resume.confirmed, true);
    assert.equal((await api(OPERATOR, 'POST', '/v1/drills', drill('audited'))).status, 201);
    const run = await api(OPERATOR, 'POST', '/v1/runs', { drill: 'audited' });
    assert.equal(run.status, 201, JSON.stringify(run.body));
    assert.equal((await api(OPERATOR, 'POST', `/v1/runs/${run.body.id}/abort`)).status, 202);
    await waitFor(() => !coordinator.engine.isActive(run.body.id), 10_000, 'the run to end');
    assert.equal((await api(OPERATOR, 'DELETE', '/v1/drills/audited')).status, 200);
    assert.equal((await api(OPERATOR, 'DELETE', '/v1/drills/audited')).status, 404);

    const page = await api(VIEWER, 'GET', '/v1/audit?limit=100');
    assert.equal(page.status, 200, JSON.stringify(page.body));
    const records = [...page.body.records].reverse() as AuditRecord[];
    const seen = records.map((r) => [r.actor, r.role, r.action, r.result]);
    assert.deepEqual(seen, [
      [null, null, 'auth.refused', 'refused'],
      ['watcher', 'viewer', 'auth.refused', 'refused'],
      ['ops', 'operator', 'override.use', 'ok'],
      ['ops', 'operator', 'fault.create', 'ok'],
      ['ops', 'operator', 'fault.resume', 'ok'],
      ['ops', 'operator', 'drill.save', 'ok'],
      ['ops', 'operator', 'run.start', 'ok'],
      ['ops', 'operator', 'run.abort', 'ok'],
      ['ops', 'operator', 'drill.delete', 'ok'],
      ['ops', 'operator', 'drill.delete', 'failed'],
    ]);
    assert.equal(records[0]!.target, 'GET /v1/agents');
    assert.deepEqual(records[1]!.details, { code: 'ERIS_ERR_FORBIDDEN_ROLE' });
    assert.equal(records[3]!.target, fault.body.id);
    assert.deepEqual(records[3]!.details, { signal: 'SIGSTOP', targets: 1, errors: 0 });
    assert.deepEqual((records[4]!.details as { seen: object }).seen, { running: tree!.pids().length, stopped: 0, held: 0, gone: 0, unknown: 0 }, 'the shell and its sleep');
    assert.equal(records[6]!.target, run.body.id);
    assert.equal((records[9]!.details as { code: string }).code, 'ERIS_ERR_NOT_FOUND');
    for (const r of records) assert.ok(r.at >= started && r.at <= Date.now(), 'when');
  });

  it('filters by actor, action and time, and pages with a cursor', async () => {
    const only = async (query: string) => ((await api(VIEWER, 'GET', `/v1/audit?${query}`)).body.records as AuditRecord[]).map((r) => r.action);
    assert.deepEqual(await only('actor=watcher'), ['auth.refused']);
    assert.deepEqual(await only('action=drill.delete'), ['drill.delete', 'drill.delete']);
    assert.deepEqual(await only(`until=${started}`), []);
    assert.equal((await only(`since=${new Date(started).toISOString()}`)).length, 10);
    const first = (await api(VIEWER, 'GET', '/v1/audit?limit=4')).body;
    assert.equal(first.records.length, 4);
    const second = (await api(VIEWER, 'GET', `/v1/audit?limit=4&cursor=${first.nextCursor}`)).body;
    assert.equal(second.records[0].seq, first.records[3].seq - 1);
    const bad = await api(VIEWER, 'GET', '/v1/audit?since=yesterday');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.path, 'query.since');
    assert.equal((await api(AGENT, 'GET', '/v1/audit')).status, 403, 'an agent token reads no audit');
  });

  it('the SDK and `eris audit` read it', async () => {
    const client = new ErisClient({ baseUrl: coordinator.url, token: VIEWER });
    const page = await client.audit({ actor: 'ops', action: 'run.start', since: new Date(started) });
    assert.equal(page.records.length, 1);
    assert.equal(page.nextCursor, null);
    const auth = ['--coordinator', coordinator.url, '--token', VIEWER];
    const table = await runCli(['audit', '--since', '1h', '--action', 'fault.create', ...auth]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^TIME\s+ACTOR\s+ROLE\s+ACTION\s+TARGET\s+RESULT\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+ops\s+operator\s+fault\.create\s+\S+\s+ok\n$/);
    const json = JSON.parse((await runCli(['audit', '--json', '--limit', '2', ...auth])).stdout);
    assert.equal(json.records.length, 2);
    assert.equal(typeof json.nextCursor, 'number');
    const usage = await runCli(['audit', '--since', 'soon', ...auth]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--since: give a duration ago/);
  });
});
