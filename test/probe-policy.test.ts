// The probe policy through a real coordinator: a drill aimed at metadata or loopback is refused when stored (422
// naming the field), a name is judged on what it resolves to, and an operator's --probe-allow opens loopback. Only 127.0.0.1 is ever contacted.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCoordinatorConfig } from '../coordinator/config.js';
import { startCoordinator, type Coordinator } from '../coordinator/server.js';
import { silentLogger } from '../lib/logger.js';
import { waitFor } from './harness/processes.js';

const TOKEN = 'probe-policy-token-0123456789';

describe('probe policy on a real coordinator', () => {
  let dir: string;
  let server: Server;
  let port: number;
  let connections = 0;
  const coordinators: Coordinator[] = [];

  const start = async (probeAllow?: string) => {
    const c = await startCoordinator(
      loadCoordinatorConfig({ listen: '127.0.0.1:0', token: TOKEN, dataDir: join(dir, `c${coordinators.length}`), storePath: ':memory:', ...(probeAllow ? { probeAllow } : {}) }, {}),
      { logger: silentLogger() },
    );
    coordinators.push(c);
    return c;
  };
  const call = async (c: Coordinator, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${c.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const drill = (url: string, name = 'ssrf') => ({
    apiVersion: 'eris.dev/v1alpha1',
    kind: 'Drill',
    metadata: { name },
    spec: { targets: { unused: { processes: { cmdline: 'eris-nothing-matches-this' } } }, probes: { p: { url, timeout: '1s' } }, steps: [{ probe: 'p' }] },
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-probe-policy-'));
    server = createServer((_req, res) => res.end('{}'));
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    for (const c of coordinators) await c.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to store or run a drill whose probe aims at metadata or loopback, naming the field', async () => {
    const c = await start();
    for (const url of ['http://169.254.169.254/latest/meta-data/iam/', 'http://[::ffff:a9fe:a9fe]/', 'http://metadata.google.internal/', `http://127.0.0.1:${port}/`, 'http://2130706433/']) {
      const stored = await call(c, 'POST', '/v1/drills', drill(url));
      assert.equal(stored.status, 422, `${url}: ${JSON.stringify(stored.body)}`);
      assert.equal(stored.body.error.code, 'ERIS_ERR_PROBE_POLICY');
      assert.equal(stored.body.error.path, 'spec.probes.p.url');
      assert.equal((await call(c, 'POST', '/v1/runs', { spec: drill(url), dryRun: true })).status, 422);
    }
    assert.equal(connections, 0);
  });

  it('judges a name on what it resolves to (again at request time: coordinator/probes/policy.test.ts); --probe-allow loopback opens it', async () => {
    const c = await start();
    const refused = await call(c, 'POST', '/v1/runs', { spec: drill(`http://localhost:${port}/`) });
    assert.equal(refused.status, 422);
    assert.match(refused.body.error.message, /^spec\.probes\.p\.url: refused by the probe policy: localhost resolves to \S+ is a loopback address \(allow it with --probe-allow loopback\)$/);
    assert.equal(connections, 0, 'nothing connected');

    const open = await start('loopback');
    const allowed = await call(open, 'POST', '/v1/runs', { spec: drill(`http://localhost:${port}/`, 'allowed') });
    assert.equal(allowed.status, 201, JSON.stringify(allowed.body));
    await waitFor(async () => (await call(open, 'GET', `/v1/runs/${allowed.body.id}`)).body.status !== 'running', 10_000, 'the run to end');
    assert.equal((await call(open, 'GET', `/v1/runs/${allowed.body.id}`)).body.status, 'passed');
    assert.ok(connections >= 1);
  });

  it('refuses a bad --probe-allow entry at start, naming it', () => {
    assert.throws(() => loadCoordinatorConfig({ probeAllow: 'loopback,10.0.0.0/99' }, {}), { code: 'ERIS_ERR_CONFIG', path: 'probeAllow[1]' });
  });
});
