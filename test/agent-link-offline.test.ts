// A fault that ends while the agent has no coordinator (link cut, coordinator restarting) must still reach the
// coordinator once the link is back: the hello carries only active faults, so without the later update the
// coordinator's record would say `active` forever about a process that runs again. The real `eris agent` binary,
// a hand-driven coordinator (test/harness/link-peer.ts).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentProcess, type ErisProcess } from './harness/agent-process.js';
import { isRunning, killTree, spawnTree } from './harness/processes.js';
import { fakeCoordinator, type FakeCoordinator, type LinkPeer } from './harness/link-peer.js';
import { assertBuilt } from './cli-harness.js';

const TOKEN = 'link-offline-token';

describe('agent link: fault changes made while no coordinator listens', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eris-link-offline-'));
  let fake: FakeCoordinator;
  let agent: ErisProcess | undefined;
  const trees: number[] = [];

  before(async () => {
    assertBuilt();
    fake = await fakeCoordinator();
    agent = await startAgentProcess(['--state-dir', dir, '--no-cri', '--host-processes', '--coordinator', fake.url, '--cluster', 'lab', '--node-name', 'n1'], TOKEN);
  });

  after(async () => {
    await agent?.stop('SIGTERM');
    await fake?.close();
    for (const pid of trees) killTree(pid);
    rmSync(dir, { recursive: true, force: true });
  });

  it('are sent after the next welcome, each fault in its latest state', async () => {
    const first = await fake.nextAgent();
    assert.equal((await first.next()).type, 'hello');
    first.send({ type: 'welcome', coordinatorId: 'fake-coordinator', protocol: 1 });

    const tree = await spawnTree(1, `eris-link-offline-victim-${process.pid}`);
    trees.push(tree.pid);
    const placed = await agent!.api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [tree.pid] }, leaseSeconds: 0.6 });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));

    // The link goes; every new one is dropped before its welcome until the lease has ended the fault.
    first.socket.terminate();
    let link: LinkPeer;
    let helloFaults: Array<{ id: string }> = [];
    for (;;) {
      link = await fake.nextAgent();
      const hello = await link.next();
      assert.equal(hello.type, 'hello');
      if (isRunning(tree.pid)) {
        helloFaults = hello.activeFaults;
        break;
      }
      link.socket.terminate();
    }
    assert.deepEqual(helloFaults.map((f) => f.id), [], 'the ended fault is not in the hello');

    link.send({ type: 'welcome', coordinatorId: 'fake-coordinator', protocol: 1 });
    let update: { type: string; fault?: { id: string; state: string; endedBy?: string } };
    do update = await link.next(3000);
    while (update.type !== 'fault' || update.fault?.id !== placed.body.id);
    assert.notEqual(update.fault!.state, 'active');
    assert.equal(update.fault!.state, 'resumed');
  });
});
