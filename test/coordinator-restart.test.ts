// The coordinator dies mid-run: the agent's dead man's switch resumes the run's faults after the grace period,
// and the restarted coordinator shows the run as interrupted with everything it recorded. A coordinator that comes
// back within the grace period resumes the faults of runs it no longer runs (reconciliation on re-register).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig } from '../daemon/config.js';
import { startAgent, type Agent } from '../daemon/agent.js';
import { silentLogger } from '../lib/logger.js';
import { startCoordinatorProcess, type ErisProcess } from './harness/agent-process.js';
import { freePort } from './harness/ports.js';
import { isRunning, killTree, procState, spawnTree, waitFor } from './harness/processes.js';

const TOKEN = 'restart-token';

describe('coordinator killed mid-run', () => {
  let dir: string;
  let port: number;
  let agent: Agent;
  let coordinator: ErisProcess | undefined;
  const trees: number[] = [];
  const tag = `eris-restart-${process.pid}`;

  const startCoordinator = () => startCoordinatorProcess(['--listen', `127.0.0.1:${port}`, '--data-dir', join(dir, 'coordinator')], TOKEN);
  const drill = (name: string) => ({
    apiVersion: 'eris.dev/v1alpha1',
    kind: 'Drill',
    metadata: { name },
    spec: { targets: { victim: { processes: { cmdline: `${name} .*${tag}|${tag} .*${name}` } } }, steps: [{ signal: 'SIGSTOP', target: 'victim', lease: '300s' }, { sleep: '300s' }] },
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-restart-'));
    port = await freePort();
    coordinator = await startCoordinator();
    agent = await startAgent(
      loadAgentConfig(
        { listen: '127.0.0.1:0', token: TOKEN, stateDir: join(dir, 'agent'), noCri: true, hostProcesses: true, coordinator: `ws://127.0.0.1:${port}`, cluster: 'lab', nodeName: 'n1', coordinatorGraceSeconds: 2, coordinatorHeartbeatSeconds: 0.25 },
        {},
      ),
      { logger: silentLogger() },
    );
    await waitFor(async () => (await coordinator!.api('GET', '/v1/agents')).body.agents?.length === 1, 10000, 'agent registered');
  });

  after(async () => {
    await agent?.close();
    await coordinator?.stop();
    for (const pid of trees) killTree(pid);
    rmSync(dir, { recursive: true, force: true });
  });

  it('past the grace period the agent resumes; the restarted coordinator shows the run interrupted', async () => {
    const tree = await spawnTree(1, `${tag} dms`);
    trees.push(tree.pid);
    const started = await coordinator!.api('POST', '/v1/runs', { spec: drill('dms') });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    await waitFor(() => procState(tree.pid) === 'T', 5000, 'frozen by the run');
    // The agent stops first and answers after: wait until the coordinator has recorded the fault.
    const recorded = async () => {
      const res = await fetch(`${coordinator!.url}/v1/runs/${started.body.id}/events?follow=false`, { headers: { authorization: `Bearer ${TOKEN}` } });
      return (await res.text()).includes('event: fault');
    };
    await waitFor(recorded, 5000, 'the fault event to be stored');
    await coordinator!.stop('SIGKILL');
    const killedAt = Date.now();
    // Within the grace period the fault holds (a coordinator blip must not end a drill).
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(procState(tree.pid), 'T');
    await waitFor(() => isRunning(tree.pid), 5000, 'the dead man’s switch to resume');
    const resumedAfter = Date.now() - killedAt;
    assert.ok(resumedAfter >= 1900, `resumed after ${resumedAfter} ms, grace is 2 s`);

    coordinator = await startCoordinator();
    const run = (await coordinator.api('GET', `/v1/runs/${started.body.id}`)).body;
    assert.equal(run.status, 'interrupted');
    const events = await fetch(`${coordinator.url}/v1/runs/${started.body.id}/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await events.text();
    assert.match(text, /event: fault/, 'what the run recorded before the kill is still there');
    assert.match(text, /event: step/);
    await waitFor(async () => (await coordinator!.api('GET', '/v1/agents')).body.agents?.length === 1, 15000, 'agent reconnected');
  });

  it('a coordinator back within the grace period resumes the faults of runs it lost', async () => {
    const tree = await spawnTree(1, `${tag} reconcile`);
    trees.push(tree.pid);
    const started = await coordinator!.api('POST', '/v1/runs', { spec: drill('reconcile') });
    assert.equal(started.status, 201);
    await waitFor(() => procState(tree.pid) === 'T', 5000, 'frozen by the run');
    await coordinator!.stop('SIGKILL');
    coordinator = await startCoordinator();
    // The agent reconnects (backoff ≤ ~1 s here), reports the active fault; no run owns it any more → resumed,
    // well before the 2 s grace would have.
    await waitFor(() => isRunning(tree.pid), 5000, 'reconciliation to resume');
    assert.equal((await coordinator.api('GET', `/v1/runs/${started.body.id}`)).body.status, 'interrupted');
  });

  it('a coordinator that hangs (SIGSTOP, no FIN) is detected by missed pings, and the grace period still applies', async () => {
    const tree = await spawnTree(1, `${tag} hang`);
    trees.push(tree.pid);
    // The previous test restarted the coordinator; on a loaded machine its grace period may have resumed the fault
    // before the agent's backoff brought it back: a run started before it is back finds nothing to freeze.
    await waitFor(async () => (await coordinator!.api('GET', '/v1/agents')).body.agents?.length === 1, 15000, 'agent reconnected');
    const started = await coordinator!.api('POST', '/v1/runs', { spec: drill('hang') });
    assert.equal(started.status, 201);
    await waitFor(() => procState(tree.pid) === 'T', 5000, 'frozen by the run');
    const coordinatorPid = coordinator!.child.pid!;
    process.kill(coordinatorPid, 'SIGSTOP');
    const hungAt = Date.now();
    try {
      // 3 missed pings (0.75 s) drop the link, then the 2 s grace runs out.
      await waitFor(() => isRunning(tree.pid), 8000, 'the agent to notice the silent coordinator and resume');
      const after = Date.now() - hungAt;
      assert.ok(after >= 2000 && after < 6000, `resumed ${after} ms after the coordinator hung`);
    } finally {
      process.kill(coordinatorPid, 'SIGCONT');
    }
  });
});
