// `eris agents` LAST SEEN of an idle agent follows its link's pings, not only its messages: the real binary against
// a coordinator + host-mode agent whose link pings every 200 ms and sends nothing else.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig } from '../daemon/config.js';
import { startAgent, type Agent } from '../daemon/agent.js';
import { loadCoordinatorConfig } from '../coordinator/config.js';
import { startCoordinator, type Coordinator } from '../coordinator/server.js';
import { silentLogger } from '../lib/logger.js';
import { waitFor } from './harness/processes.js';
import { assertBuilt, runCli } from './cli-harness.js';

describe('eris agents: LAST SEEN', () => {
  const token = 'last-seen-token';
  let dir: string;
  let coordinator: Coordinator;
  let agent: Agent;

  before(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'eris-last-seen-'));
    coordinator = await startCoordinator(loadCoordinatorConfig({ listen: '127.0.0.1:0', token, dataDir: join(dir, 'coord') }, {}), { logger: silentLogger() });
    // The inventory refresh is an hour away: only the link's pings can move LAST SEEN during the test.
    agent = await startAgent(
      loadAgentConfig(
        { listen: '127.0.0.1:0', token, stateDir: join(dir, 'agent'), noCri: true, hostProcesses: true, coordinator: coordinator.linkUrl, cluster: 'lab', nodeName: 'idle', coordinatorHeartbeatSeconds: 0.2, inventoryIntervalSeconds: 3600 },
        {},
      ),
      { logger: silentLogger() },
    );
    await waitFor(() => coordinator.fleet.agents().length === 1, 10_000, 'the agent to register');
  });
  after(async () => {
    await agent?.close();
    await coordinator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('an idle agent whose link pings reads as seen just now', async () => {
    const connectedAt = coordinator.fleet.agents()[0]!.connectedAt;
    await new Promise((r) => setTimeout(r, 2000));
    const auth = ['--coordinator', coordinator.url, '--token', token];
    const j = await runCli(['agents', '--json', ...auth]);
    assert.equal(j.code, 0, j.stderr);
    const [a] = JSON.parse(j.stdout) as { lastSeenAt: number; connectedAt: number }[];
    assert.equal(a!.connectedAt, connectedAt);
    // Pings every 200 ms: seen well after it connected, and within a second of asking (a loaded machine included).
    assert.ok(a!.lastSeenAt - connectedAt >= 1500, `last seen ${a!.lastSeenAt - connectedAt} ms after connecting`);
    assert.ok(Date.now() - a!.lastSeenAt < 1500, `last seen ${Date.now() - a!.lastSeenAt} ms ago`);
    const t = await runCli(['agents', ...auth]);
    assert.match(t.stdout, /^lab\/idle\s.*\s(\d+ ms|1\.\d+ s) ago$/m);
  });
});
