// HTTPS API and a wss:// agent link with the coordinator's own certificate.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { loadAgentConfig } from '../daemon/config.js';
import { startAgent, type Agent } from '../daemon/agent.js';
import { loadCoordinatorConfig } from '../coordinator/config.js';
import { startCoordinator, type Coordinator } from '../coordinator/server.js';
import { silentLogger } from '../lib/logger.js';
import { testbedSkipReason } from './harness/requirements.js';
import { waitFor } from './harness/processes.js';

const TOKEN = 'tls-token';

function getJson(url: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('coordinator over TLS', { skip: testbedSkipReason({ tools: ['openssl'], root: false }) }, () => {
  let dir: string;
  let coordinator: Coordinator;
  let agent: Agent;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    coordinator = await startCoordinator(
      loadCoordinatorConfig({ listen: '127.0.0.1:0', token: TOKEN, dataDir: join(dir, 'c'), tlsCert: join(dir, 'cert.pem'), tlsKey: join(dir, 'key.pem'), storePath: ':memory:' }, {}),
      { logger: silentLogger() },
    );
  });
  after(async () => {
    await agent?.close();
    await coordinator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves https and takes agents over wss', async () => {
    assert.match(coordinator.url, /^https:/);
    assert.match(coordinator.linkUrl, /^wss:/);
    agent = await startAgent(
      loadAgentConfig({ listen: '127.0.0.1:0', token: TOKEN, stateDir: join(dir, 'a'), noCri: true, hostProcesses: true, coordinator: coordinator.linkUrl, cluster: 'secure', coordinatorInsecure: true }, {}),
      { logger: silentLogger() },
    );
    await waitFor(async () => (await getJson(`${coordinator.url}/v1/agents`)).body.agents.length === 1, 10000, 'agent over wss');
    assert.equal((await getJson(`${coordinator.url}/v1/agents`)).body.agents[0].cluster, 'secure');
  });

  it('refuses an agent whose token is wrong', async () => {
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(`${coordinator.linkUrl}/v1/agents/connect`, { rejectUnauthorized: false, headers: { authorization: 'Bearer nope' } });
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    assert.equal(status, 401);
  });
});
