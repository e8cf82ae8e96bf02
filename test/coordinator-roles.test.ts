// Roles on tokens, against a real coordinator and a real host-mode agent: agent tokens only register (as their bound
// cluster/node, never evicting a node connected with another token), viewers read and preview, operators act,
// scoped tokens see only their clusters; a resume is confirmed from the processes' state, not from the agent's ack.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig } from '../daemon/config.js';
import { startAgent, type Agent } from '../daemon/agent.js';
import { loadCoordinatorConfig } from '../coordinator/config.js';
import { startCoordinator, type Coordinator } from '../coordinator/server.js';
import { silentLogger } from '../lib/logger.js';
import { CLOSE, LINK_PATH } from '../lib/link/protocol.js';
import { callJson } from './harness/agent-process.js';
import { dialCoordinator, hello } from './harness/link-peer.js';
import { killTree, procState, spawnTree, waitFor } from './harness/processes.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const T = {
  operator: 'operator-secret-0123456789',
  viewer: 'viewer-secret-0123456789',
  otherViewer: 'other-viewer-secret-0123456789',
  agentLab: 'agent-lab-secret-0123456789',
  agentLab2: 'agent-lab-second-secret-01234',
  agentNode9: 'agent-lab-node9-secret-012345',
  prodOperator: 'prod-operator-secret-0123456789',
  labOperator: 'lab-operator-secret-0123456789',
} as const;

describe('roles on tokens', () => {
  let dir: string;
  let coordinator: Coordinator;
  let agent: Agent;
  let tree: Awaited<ReturnType<typeof spawnTree>> | undefined;
  const tag = `eris-roles-${process.pid}`;

  const api = (token: string, method: string, path: string, body?: unknown) => callJson(coordinator.url, token, method, path, body, 10_000);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-roles-'));
    writeFileSync(join(dir, 'operator.secret'), `${T.operator}\n`, { mode: 0o600 });
    writeFileSync(
      join(dir, 'tokens.yaml'),
      [
        'tokens:',
        '  - { id: ops, role: operator, secretFile: operator.secret }',
        `  - { id: watcher, role: viewer, sha256: ${sha(T.viewer)} }`,
        `  - { id: elsewhere, role: viewer, sha256: ${sha(T.otherViewer)}, clusters: [prod] }`,
        `  - { id: agents-lab, role: agent, sha256: ${sha(T.agentLab)}, cluster: lab }`,
        `  - { id: agents-lab-2, role: agent, sha256: ${sha(T.agentLab2)}, cluster: lab }`,
        `  - { id: agent-node-9, role: agent, sha256: ${sha(T.agentNode9)}, cluster: lab, node: node-9 }`,
        `  - { id: prod-ops, role: operator, sha256: ${sha(T.prodOperator)}, clusters: [prod] }`,
        `  - { id: lab-ops, role: operator, sha256: ${sha(T.labOperator)}, clusters: [lab] }`,
      ].join('\n'),
    );
    coordinator = await startCoordinator(loadCoordinatorConfig({ listen: '127.0.0.1:0', tokensFile: join(dir, 'tokens.yaml'), dataDir: join(dir, 'c'), storePath: ':memory:' }, {}), {
      logger: silentLogger(),
    });
    agent = await startAgent(
      loadAgentConfig(
        { listen: '127.0.0.1:0', token: 'local-agent-api-token-0123', coordinatorToken: T.agentLab, stateDir: join(dir, 'a'), noCri: true, hostProcesses: true, coordinator: coordinator.linkUrl, cluster: 'lab', nodeName: 'node-1' },
        {},
      ),
      { logger: silentLogger() },
    );
    await waitFor(() => coordinator.fleet.agentCount() === 1, 10_000, 'the agent to register');
  });

  after(async () => {
    if (tree) killTree(tree.pid);
    await agent?.close();
    await coordinator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a viewer reads and previews; acting needs an operator (403 naming the role)', async () => {
    assert.equal((await api(T.viewer, 'GET', '/v1/agents')).body.agents.length, 1);
    const preview = await api(T.viewer, 'POST', '/v1/selections', { processes: { cmdline: 'no-such-process-anywhere' } });
    assert.ok(preview.status === 200 || preview.status === 422, JSON.stringify(preview.body));
    for (const [method, path, body] of [
      ['POST', '/v1/faults', { target: { processes: { cmdline: tag } }, signal: 'SIGSTOP' }],
      ['POST', '/v1/drills', { apiVersion: 'eris.dev/v1alpha1' }],
      ['DELETE', '/v1/drills/x', undefined],
      ['DELETE', '/v1/faults/x', undefined],
      ['POST', '/v1/runs/x/abort', undefined],
    ] as const) {
      const r = await api(T.viewer, method, path, body);
      assert.equal(r.status, 403, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'ERIS_ERR_FORBIDDEN_ROLE');
      assert.equal(r.body.error.details.needed, 'operator');
    }
    const run = await api(T.viewer, 'POST', '/v1/runs', { spec: { apiVersion: 'eris.dev/v1alpha1', kind: 'Drill', metadata: { name: 'x' }, spec: { targets: { t: { processes: { cmdline: tag } } }, steps: [{ sleep: '1s' }] } } });
    assert.equal(run.status, 403, JSON.stringify(run.body));
    assert.equal(run.body.error.details.needed, 'operator');
  });

  it('an agent token cannot call the user API, and a user token cannot register an agent', async () => {
    const r = await api(T.agentLab, 'GET', '/v1/agents');
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'ERIS_ERR_FORBIDDEN_ROLE');
    assert.equal(r.body.error.details.needed, 'viewer');
    await assert.rejects(dialCoordinator(coordinator.linkUrl, T.operator), /403/);
    assert.equal((await api(T.operator, 'GET', '/v1/agents')).status, 200);
    await assert.rejects(dialCoordinator(coordinator.linkUrl, 'wrong-token'), /401/);
    assert.equal(LINK_PATH, '/v1/agents/connect');
  });

  it('an agent token registers only as its cluster (and node)', async () => {
    const wrongCluster = await dialCoordinator(coordinator.linkUrl, T.agentLab);
    wrongCluster.send(hello('prod', 'node-1'));
    const closed = await wrongCluster.closed;
    assert.equal(closed.code, CLOSE.forbidden);
    assert.match(closed.reason, /bound to cluster lab, not prod/);
    const wrongNode = await dialCoordinator(coordinator.linkUrl, T.agentNode9);
    wrongNode.send(hello('lab', 'node-2'));
    assert.match((await wrongNode.closed).reason, /bound to node node-9, not node-2/);
  });

  it('another token of the cluster cannot evict a connected node; a token bound to that node can', async () => {
    const impostor = await dialCoordinator(coordinator.linkUrl, T.agentLab2);
    impostor.send(hello('lab', 'node-1'));
    const closed = await impostor.closed;
    assert.equal(closed.code, CLOSE.forbidden);
    assert.match(closed.reason, /connected with another token/);
    assert.equal(coordinator.fleet.agentCount(), 1);
    // A node-bound token takes node-9's place from a cluster-wide one.
    const first = await dialCoordinator(coordinator.linkUrl, T.agentLab2);
    first.send(hello('lab', 'node-9'));
    assert.equal((await first.next()).type, 'welcome');
    const bound = await dialCoordinator(coordinator.linkUrl, T.agentNode9);
    bound.send(hello('lab', 'node-9'));
    assert.equal((await bound.next()).type, 'welcome');
    assert.equal((await first.closed).code, CLOSE.replaced);
    bound.socket.close();
    await bound.closed;
    await waitFor(() => coordinator.fleet.agentCount() === 1, 5000, 'node-9 to leave');
  });

  it('a scoped operator aborts only runs started within its scope', async () => {
    const drill = { apiVersion: 'eris.dev/v1alpha1', kind: 'Drill', metadata: { name: 'long' }, spec: { targets: { t: { processes: { cmdline: '^no-such-process$' } } }, steps: [{ sleep: '30s' }] } };
    // Started by an unscoped operator: it may act on any cluster, so a token scoped to prod (or lab) may not stop it.
    const run = await api(T.operator, 'POST', '/v1/runs', { spec: drill });
    assert.equal(run.status, 201, JSON.stringify(run.body));
    for (const token of [T.prodOperator, T.labOperator]) {
      const refused = await api(token, 'POST', `/v1/runs/${run.body.id}/abort`);
      // Before: 202, and the run (with every fault it held, anywhere) was aborted by a token scoped elsewhere.
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'ERIS_ERR_FORBIDDEN_SCOPE');
    }
    assert.equal((await api(T.operator, 'GET', `/v1/runs/${run.body.id}`)).body.status, 'running');
    // Started by the lab-scoped operator: it may abort its own run, the prod-scoped one may not, an unscoped one may.
    const own = await api(T.labOperator, 'POST', '/v1/runs', { spec: drill });
    assert.equal(own.status, 201, JSON.stringify(own.body));
    assert.equal((await api(T.prodOperator, 'POST', `/v1/runs/${own.body.id}/abort`)).status, 403);
    assert.equal((await api(T.labOperator, 'POST', `/v1/runs/${own.body.id}/abort`)).status, 202);
    assert.equal((await api(T.operator, 'POST', `/v1/runs/${run.body.id}/abort`)).status, 202);
    const audit = await api(T.operator, 'GET', '/v1/audit?action=run.abort');
    assert.ok(audit.body.records.some((r: { actor: string; result: string }) => r.actor === 'prod-ops' && r.result === 'failed'), JSON.stringify(audit.body).slice(0, 500));
  });

  it('a scoped viewer sees only its clusters', async () => {
    assert.deepEqual((await api(T.otherViewer, 'GET', '/v1/agents')).body.agents, []);
    assert.deepEqual((await api(T.otherViewer, 'GET', '/v1/targets')).body.targets, []);
  });

  it('masks secrets in command lines and labels; a viewer sees only the program', async () => {
    const secretTag = `eris-roles-secret-${process.pid}`;
    const child = spawn('sh', ['-c', 'sleep 1000 & wait', secretTag, '--password=TOPSECRET123', '--db-token', 'hunter2', 'API_KEY=abc123'], { stdio: 'ignore' });
    try {
      await waitFor(() => procState(child.pid!) !== null, 3000, 'the process');
      const group = { processes: { cmdline: secretTag }, count: 1 };
      const operator = await api(T.operator, 'POST', '/v1/selections', group);
      assert.equal(operator.status, 200, JSON.stringify(operator.body));
      const picked = operator.body.picked[0];
      assert.equal(picked.cmdline, `sh -c sleep 1000 & wait ${secretTag} --password=*** --db-token *** API_KEY=***`);
      assert.equal(picked.labels.password, '***');
      assert.equal(picked.labels['db-token'], '***');
      // Matched on the real command line (by the agent), even on a value shown masked.
      const bySecret = await api(T.operator, 'POST', '/v1/selections', { processes: { cmdline: `${secretTag} --password=TOPSECRET123` } });
      assert.equal(bySecret.status, 200, JSON.stringify(bySecret.body));
      assert.ok(!JSON.stringify(bySecret.body).includes('TOPSECRET123'));
      const viewer = await api(T.viewer, 'POST', '/v1/selections', group);
      assert.equal(viewer.body.picked[0].cmdline, 'sh …');
      assert.deepEqual(viewer.body.picked[0].labels, {});
      const onAgent = await fetch(`${agent.url}/v1/targets?cmdline=${encodeURIComponent(secretTag)}`, { headers: { authorization: 'Bearer local-agent-api-token-0123' } });
      const agentBody = JSON.stringify(await onAgent.json());
      assert.ok(agentBody.includes('--password=***') && !/TOPSECRET123|hunter2|abc123/.test(agentBody), agentBody);
      const fault = await api(T.operator, 'POST', '/v1/faults', { target: group, signal: 'SIGSTOP', lease: '30s' });
      try {
        assert.equal(fault.status, 201, JSON.stringify(fault.body));
        assert.ok(!/TOPSECRET123|hunter2|abc123/.test(JSON.stringify(fault.body)), 'the fault record shows no secret');
        const seen = await api(T.viewer, 'GET', `/v1/faults/${fault.body.id}`);
        assert.equal(seen.body.parts[0].fault.targets[0].process.cmdline, 'sh …');
      } finally {
        await api(T.operator, 'DELETE', `/v1/faults/${fault.body.id}`);
      }
    } finally {
      killTree(child.pid!);
    }
  });

  it('DELETE /v1/faults/{id} reports the processes it saw running again', async () => {
    tree = await spawnTree(2, tag);
    const placed = await api(T.operator, 'POST', '/v1/faults', { target: { processes: { cmdline: tag } }, signal: 'SIGSTOP', lease: '60s' });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    assert.equal(placed.body.createdBy, 'ops');
    await waitFor(() => procState(tree!.pid) === 'T', 3000, 'the shell to stop');
    const resumed = await api(T.operator, 'DELETE', `/v1/faults/${placed.body.id}`);
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
    assert.equal(resumed.body.resume.confirmed, true, JSON.stringify(resumed.body.resume));
    assert.equal(resumed.body.resume.seen.running, tree.pids().length, JSON.stringify(resumed.body.resume.seen));
    assert.equal(resumed.body.resume.seen.stopped, 0);
    assert.notEqual(procState(tree.pid), 'T');
  });

  it('resume-all: one call ends an immediate fault and a running drill; a scoped operator\'s call leaves another cluster alone', async () => {
    const frozen = await spawnTree(1, `${tag}-all-fault`);
    const inRun = await spawnTree(1, `${tag}-all-run`);
    try {
      const fault = await api(T.operator, 'POST', '/v1/faults', { target: { processes: { cmdline: `${tag}-all-fault` } }, signal: 'SIGSTOP', lease: '60s' });
      assert.equal(fault.status, 201, JSON.stringify(fault.body));
      const spec = { apiVersion: 'eris.dev/v1alpha1', kind: 'Drill', metadata: { name: 'roles-resume-all' }, spec: { targets: { m: { processes: { cmdline: `${tag}-all-run` } } }, steps: [{ signal: 'SIGSTOP', target: 'm', lease: '60s' }, { sleep: '60s' }] } };
      const run = await api(T.operator, 'POST', '/v1/runs', { spec });
      assert.equal(run.status, 201, JSON.stringify(run.body));
      await waitFor(() => procState(frozen.pid) === 'T' && procState(inRun.pid) === 'T', 10_000, 'both processes stopped');
      // A viewer may not; an operator scoped to prod touches nothing in lab.
      assert.equal((await api(T.viewer, 'POST', '/v1/resume-all')).status, 403);
      const prod = await api(T.prodOperator, 'POST', '/v1/resume-all');
      assert.equal(prod.status, 200, JSON.stringify(prod.body));
      assert.deepEqual(prod.body, { runs: [], faults: [], failures: 0 });
      assert.equal(procState(frozen.pid), 'T', 'the lab fault left alone');
      assert.equal(procState(inRun.pid), 'T', 'the run left alone');
      const all = await api(T.operator, 'POST', '/v1/resume-all');
      assert.equal(all.status, 200, JSON.stringify(all.body));
      assert.deepEqual(all.body.runs, [{ id: run.body.id, result: 'aborting' }]);
      assert.deepEqual(all.body.faults.map((f: { id: string; result: string }) => [f.id, f.result]), [[fault.body.id, 'resumed']]);
      assert.equal(all.body.failures, 0);
      assert.notEqual(procState(frozen.pid), 'T');
      await waitFor(() => procState(inRun.pid) !== 'T', 10_000, 'the run\'s process resumed');
      await waitFor(async () => (await api(T.viewer, 'GET', `/v1/runs/${run.body.id}`)).body.status === 'aborted', 10_000, 'the run aborted');
      const audit = (await api(T.viewer, 'GET', '/v1/audit?action=resume.all')).body.records as { actor: string; result: string; details: Record<string, unknown> }[];
      assert.deepEqual(audit.map((r) => [r.actor, r.result, r.details]), [['ops', 'ok', { runs: 1, faults: 1, failures: 0 }], ['prod-ops', 'ok', { runs: 0, faults: 0, failures: 0 }]]);
      const resumes = (await api(T.viewer, 'GET', '/v1/audit?action=fault.resume')).body.records as { target: string }[];
      assert.ok(resumes.some((r) => r.target === fault.body.id), 'fault.resume audited per item');
    } finally {
      frozen.kill();
      inRun.kill();
    }
  });
});

describe('a resume answered with a bare ack', () => {
  let dir: string;
  let coordinator: Coordinator;
  const node = 'liar';
  const token = 'agent-liar-secret-0123456789';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-roles-ack-'));
    coordinator = await startCoordinator(loadCoordinatorConfig({ listen: '127.0.0.1:0', token: `ops:${token}`, dataDir: join(dir, 'c'), storePath: ':memory:' }, {}), { logger: silentLogger() });
  });

  after(async () => {
    await coordinator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is not called resumed when the agent reports the process still stopped', async () => {
    const peer = await dialCoordinator(coordinator.linkUrl, token);
    peer.send(hello('lab', node, [], { hostProcesses: true }));
    assert.equal((await peer.next()).type, 'welcome');
    const process = { pid: 4242, ppid: 1, state: 'S', cmdline: 'victim --tag fake' };
    const fault = (state: 'active' | 'resumed') => ({
      id: 'f-1', signal: 'SIGSTOP', scope: 'all', state, result: 'ok', createdAt: 1, durationMs: 1, requestedBy: 'x',
      targets: [{ kind: 'process', process: { pid: 4242, cmdline: process.cmdline }, processes: [{ pid: 4242, startTime: '77', ok: true, verified: true, ...(state === 'resumed' ? { resume: { ok: true } } : {}) }] }],
    });
    // Plays the agent: lists the process, "stops" it, acks the resume, but /proc still says T.
    let finished = false;
    const answering = (async () => {
      while (!finished) {
        const m = await peer.next(200).catch(() => null);
        if (m === null) continue;
        const result = m.op === 'processes.list' ? [process] : m.op === 'fault.create' ? fault('active') : m.op === 'fault.resume' ? fault('resumed') : m.op === 'processes.state' ? m.processes.map((p: object) => ({ ...p, state: 'T' })) : { at: 0 };
        peer.send({ type: 'reply', id: m.id, ok: true, result });
      }
    })();
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const placed = await (await fetch(`${coordinator.url}/v1/faults`, { method: 'POST', headers: auth, body: JSON.stringify({ target: { processes: { cmdline: 'victim' } }, signal: 'SIGSTOP' }) })).json() as any;
    assert.equal(placed.parts.length, 1, JSON.stringify(placed));
    const resumed = await (await fetch(`${coordinator.url}/v1/faults/${placed.id}`, { method: 'DELETE', headers: auth })).json() as any;
    assert.equal(resumed.parts[0].fault.state, 'resumed', 'the agent acked');
    assert.equal(resumed.resume.confirmed, false);
    assert.deepEqual(resumed.resume.seen, { running: 0, stopped: 1, held: 0, gone: 0, unknown: 0 });
    assert.equal(resumed.resume.parts[0].processes[0].state, 'T');
    finished = true;
    peer.socket.close();
    await answering;
  });
});
