// Hostile jq filters in drills sent to a real coordinator: compile-checked in a worker bounded in time and memory,
// so the coordinator keeps answering while they are checked, and a filter too costly to compile is the user's error
// (422 naming the field), not a 503.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadCoordinatorConfig } from '../coordinator/config.js';
import { startCoordinator, type Coordinator } from '../coordinator/server.js';
import { silentLogger } from '../lib/logger.js';

const TOKEN = 'hostile-jq-token-0123456789';

describe('hostile jq filters against a real coordinator', () => {
  let dir: string;
  let coordinator: Coordinator;
  const drill = (jq: Record<string, string>) => ({
    apiVersion: 'eris.dev/v1alpha1',
    kind: 'Drill',
    metadata: { name: 'jq-bomb' },
    spec: {
      targets: { t: { processes: { cmdline: 'eris-nothing-matches-this' } } },
      probes: Object.fromEntries(Object.entries(jq).map(([name, filter]) => [name, { url: 'http://10.255.255.1:1/health', jq: filter }])),
      steps: [{ sleep: '1s' }],
    },
  });
  const post = async (body: unknown) => {
    const res = await fetch(`${coordinator.url}/v1/drills`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-hostile-jq-'));
    coordinator = await startCoordinator(loadCoordinatorConfig({ listen: '127.0.0.1:0', token: TOKEN, dataDir: join(dir, 'c'), storePath: ':memory:' }, {}), { logger: silentLogger() });
  });

  after(async () => {
    await coordinator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a filter that builds a 1 GB value when compiled is a 422 naming the field', async () => {
    const r = await post(drill({ big: '"x" * 1e9' }));
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'ERIS_ERR_JQ_TOO_COSTLY');
    assert.equal(r.body.error.path, 'spec.probes.big.jq');
    const syntax = await post(drill({ broken: '.a |' }));
    assert.equal(syntax.status, 400);
    assert.equal(syntax.body.error.path, 'spec.probes.broken.jq');
  });

  it('keeps the event loop free while 100 costly filters are checked, and gives the memory back', async () => {
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const rssBefore = process.memoryUsage().rss;
    // 100 probes with distinct filters, each folding a 100-200 MB string at compile time.
    const filters = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`p${i}`, `"x" * ${1e8 + i} | length > 0`]));
    const pending = post(drill(filters));
    const healthLatencies: number[] = [];
    let settled = false;
    void pending.finally(() => (settled = true));
    while (!settled) {
      const t = performance.now();
      assert.equal((await fetch(`${coordinator.url}/healthz`)).status, 200);
      healthLatencies.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await pending;
    delay.disable();
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'ERIS_ERR_JQ_TOO_COSTLY');
    // Refused by the drill's 3 s budget, or (on a busy machine) by one filter's 500 ms bound first.
    assert.match(r.body.error.message, /^spec\.probes\.p\d+\.jq: (the drill's jq filters took longer than 3000 ms to compile|compiling the filter took longer than 500 ms)/);
    const worstHealth = Math.max(...healthLatencies);
    const worstLoop = delay.max / 1e6;
    process.stdout.write(`# 100 costly filters: health worst ${worstHealth.toFixed(1)} ms over ${healthLatencies.length} calls, event loop delay max ${worstLoop.toFixed(1)} ms\n`);
    assert.ok(worstHealth < 250, `health answered within ${worstHealth} ms`);
    assert.ok(worstLoop < 250, `event loop delay max ${worstLoop} ms`);
    await new Promise((r) => setTimeout(r, 300));
    const grownMb = (process.memoryUsage().rss - rssBefore) / 1048576;
    process.stdout.write(`# RSS after: +${grownMb.toFixed(0)} MB\n`);
    assert.ok(grownMb < 150, `RSS grew ${grownMb.toFixed(0)} MB and stayed`);
  });
});
