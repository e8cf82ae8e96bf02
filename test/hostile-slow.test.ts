// Slowloris against the real `eris coordinator` and `eris agent` binaries: sockets that send a request's headers a
// byte at a time are closed by the server once the 10 s header bound passes (lib/http.ts SLOW_CLIENT_LIMITS), instead
// of being held for Node's default minute and more; health answers throughout.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentProcess, startCoordinatorProcess, type ErisProcess } from './harness/agent-process.js';
import { assertBuilt } from './cli-harness.js';
import { SLOW_CLIENT_LIMITS } from '../lib/http-errors.js';

const TOKEN = 'hostile-slow-token-0123456789';

/** `count` sockets dripping a header byte every 500 ms; resolves with when each was closed by the server (ms after start). */
function slowloris(url: string, count: number, giveUpMs: number): Promise<Array<number | null>> {
  const { port } = new URL(url);
  const started = performance.now();
  return Promise.all(
    Array.from({ length: count }, () => new Promise<number | null>((resolve) => {
      const s = net.connect(Number(port), '127.0.0.1');
      s.on('error', () => undefined);
      s.write('GET /v1/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      const drip = setInterval(() => s.write('x'), 500);
      const giveUp = setTimeout(() => s.destroy(), giveUpMs);
      s.on('close', () => {
        clearInterval(drip);
        clearTimeout(giveUp);
        const at = performance.now() - started;
        resolve(at < giveUpMs - 50 ? at : null);
      });
    })),
  );
}

describe('slowloris: slow headers are cut off at the bound', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'eris-slow-'));
  let coordinator: ErisProcess;
  let agent: ErisProcess;

  before(async () => {
    assertBuilt();
    coordinator = await startCoordinatorProcess(['--listen', '127.0.0.1:0', '--data-dir', join(dir, 'c')], TOKEN);
    agent = await startAgentProcess(['--state-dir', join(dir, 'a'), '--no-cri', '--host-processes'], TOKEN);
  });
  after(async () => {
    await agent?.stop();
    await coordinator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes every dripping socket within the header bound (+ the 1 s check), on both servers, and stays healthy', async () => {
    const bound = SLOW_CLIENT_LIMITS.headersTimeout;
    const giveUp = bound + 5000;
    const closing = [slowloris(coordinator.url, 50, giveUp), slowloris(agent.url, 50, giveUp)];
    // Meanwhile health answers promptly.
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      for (const p of [coordinator, agent]) assert.equal((await fetch(`${p.url}/healthz`, { signal: AbortSignal.timeout(1000) })).status, 200);
    }
    for (const [i, closed] of (await Promise.all(closing)).entries()) {
      const what = i === 0 ? 'coordinator' : 'agent';
      // Before: Node's defaults kept each socket open past the give-up time (60 s headers timeout, checked every 30 s).
      assert.ok(closed.every((at) => at !== null && at >= bound - 500 && at <= bound + SLOW_CLIENT_LIMITS.connectionsCheckingInterval + 2000), `${what}: closed at ${JSON.stringify(closed.map((t) => (t === null ? null : Math.round(t))).slice(0, 10))}`);
    }
  });
});
