// Busy targets: a process tree whose children come and go (a shell loop starting short sleeps, like any worker
// pool). A process that is gone before it is signalled, or exits right after, is not a failure: the verdict says
// what happened to the processes that exist.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig } from '../daemon/config.js';
import { startAgent, type Agent } from '../daemon/agent.js';
import { silentLogger } from '../lib/logger.js';
import { childrenOf, isRunning, killTree, procState, waitFor } from './harness/processes.js';
import type { Fault } from '../daemon/faults/manager.js';

const FREEZES = 20;

/** A shell that forever starts short-lived sleeps, two at a time. */
async function busyTree(): Promise<number> {
  const child = spawn('sh', ['-c', 'while :; do sleep 0.00$$ & sleep 0.001 & wait; done # eris-busy-workload'], { stdio: 'ignore', detached: true });
  const pid = child.pid!;
  await waitFor(() => childrenOf(pid).length > 0, 5000, 'the loop to fork');
  return pid;
}

describe('eris-agent on a busy process tree (children come and go)', () => {
  let agent: Agent;
  let dir: string;
  const trees: number[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-busy-'));
    agent = await startAgent(loadAgentConfig({ listen: '127.0.0.1:0', token: 'agent-busy-token', stateDir: dir, noCri: true, hostProcesses: true }, {}), { logger: silentLogger() });
  });
  after(async () => {
    await agent?.close();
    for (const pid of trees) killTree(pid);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${FREEZES} freezes of a busy tree: none partial, every process that exists is stopped`, async () => {
    const root = await busyTree();
    trees.push(root);
    const verdicts: string[] = [];
    const failures: unknown[] = [];
    for (let i = 0; i < FREEZES; i++) {
      const fault = await agent.faults.create({ signal: 'SIGSTOP', target: { pids: [root] }, scope: 'all', method: 'signal', leaseSeconds: 30, override: [] }, 'test');
      verdicts.push(fault.result);
      if (fault.result !== 'ok') failures.push(fault.targets[0]!.processes.filter((p) => !(p.ok && p.verified)));
      assert.equal(procState(root), 'T', 'the loop itself is stopped');
      for (const p of fault.targets[0]!.processes) {
        const state = procState(p.pid);
        if (p.alreadyGone) continue;
        // Stopped, or gone since (a stopped sleep cannot exit, but its PID can be read after a reap): never running.
        assert.ok(state === 'T' || state === null || state === 'Z', `pid ${p.pid} reported stopped is ${state}`);
      }
      agent.faults.resume(fault.id);
      await waitFor(() => isRunning(root), 2000, 'resumed');
    }
    assert.deepEqual(verdicts.filter((v) => v !== 'ok'), [], JSON.stringify(failures));
  });

  it('a SIGCONT whose processes exit right after it is not a failure', async () => {
    const root = await busyTree();
    trees.push(root);
    const verdicts: Fault['result'][] = [];
    for (let i = 0; i < 10; i++) {
      const stop = await agent.faults.create({ signal: 'SIGSTOP', target: { pids: [root] }, scope: 'all', method: 'signal', leaseSeconds: 30, override: [] }, 'test');
      assert.equal(stop.state, 'active');
      // Let the stopped sleeps' time run out: continued, they exit at once.
      await new Promise((r) => setTimeout(r, 20));
      const cont = await agent.faults.create({ signal: 'SIGCONT', target: { pids: [root] }, scope: 'all', method: 'signal', override: [] }, 'test');
      verdicts.push(cont.result);
      assert.ok(isRunning(root));
      agent.faults.resume(stop.id);
    }
    assert.deepEqual(verdicts.filter((v) => v !== 'ok'), []);
  });
});
