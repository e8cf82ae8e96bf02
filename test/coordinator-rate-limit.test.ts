// Per-token rate limits on a real coordinator: a token past its rate gets 429 with Retry-After, other tokens do not,
// resumes and aborts are never limited, and /metrics is bounded per address.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCoordinatorConfig } from '../coordinator/config.js';
import { startCoordinator, type Coordinator } from '../coordinator/server.js';
import { silentLogger } from '../lib/logger.js';

describe('rate limits', () => {
  let dir: string;
  let coordinator: Coordinator;
  const call = async (token: string, method: string, path: string) => {
    const res = await fetch(`${coordinator.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-rate-'));
    coordinator = await startCoordinator(
      loadCoordinatorConfig({ listen: '127.0.0.1:0', token: 'flooder:flooder-token-0123456789,other:other-token-0123456789', dataDir: join(dir, 'c'), storePath: ':memory:', rateLimit: 5 }, {}),
      { logger: silentLogger() },
    );
  });

  after(async () => {
    await coordinator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 429 with Retry-After past a token\'s burst; another token and resumes go on', async () => {
    const started = performance.now();
    const statuses = await Promise.all(Array.from({ length: 30 }, async () => (await call('flooder-token-0123456789', 'GET', '/v1/agents')).status));
    const elapsedS = (performance.now() - started) / 1000;
    const ok = statuses.filter((s) => s === 200).length;
    assert.ok(ok >= 10 && ok <= 10 + Math.ceil(elapsedS * 5), `a burst of twice the rate, plus what refilled in ${elapsedS.toFixed(2)} s: ${JSON.stringify(statuses)}`);
    assert.equal(statuses.filter((s) => s === 429).length, 30 - ok);
    const limited = await call('flooder-token-0123456789', 'GET', '/v1/agents');
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'ERIS_ERR_RATE_LIMITED');
    assert.ok(Number(limited.retryAfter) >= 1);
    assert.equal((await call('other-token-0123456789', 'GET', '/v1/agents')).status, 200);
    // Still limited, the flooder can resume and abort: the answer is the route's own (404, no such fault or run).
    assert.equal((await call('flooder-token-0123456789', 'DELETE', '/v1/faults/no-such-fault')).status, 404);
    assert.equal((await call('flooder-token-0123456789', 'POST', '/v1/runs/no-such-run/abort')).status, 404);
    assert.equal((await call('flooder-token-0123456789', 'POST', '/v1/resume-all')).status, 200, 'the emergency resume-all too');
  });

  it('bounds /metrics per address', async () => {
    const started = performance.now();
    const statuses = await Promise.all(Array.from({ length: 40 }, async () => (await fetch(`${coordinator.url}/metrics`)).status));
    const elapsedS = (performance.now() - started) / 1000;
    // A burst of 20 (twice the 10 a second), plus what refilled while the 40 were answered on a busy machine.
    const ok = statuses.filter((s) => s === 200).length;
    assert.ok(ok >= 20 && ok <= 20 + Math.ceil(elapsedS * 10), `${ok} answered in ${elapsedS.toFixed(2)} s`);
    assert.equal(statuses.filter((s) => s === 429).length, 40 - ok);
    assert.equal((await fetch(`${coordinator.url}/healthz`)).status, 200);
  });
});
