// A real Prometheus scrapes the agent; the fault counter is queryable; promtool finds the exposition clean.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig } from '../daemon/config.js';
import { startAgent, type Agent } from '../daemon/agent.js';
import { silentLogger } from '../lib/logger.js';
import { spawnTree, waitFor, killTree } from './harness/processes.js';
import { startPrometheus, type PrometheusInstance } from './harness/prometheus.js';
import { testbedSkipReason } from './harness/requirements.js';

const TOKEN = 'prom-test-token';

describe('agent metrics, scraped by a real Prometheus', { skip: testbedSkipReason({ tools: ['prometheus', 'promtool'], root: false }) }, () => {
  let agent: Agent;
  let prometheus: PrometheusInstance | undefined;
  let dir: string;
  let workload: number | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-agent-prom-'));
    agent = await startAgent(loadAgentConfig({ listen: '127.0.0.1:0', token: TOKEN, stateDir: dir, noCri: true, hostProcesses: true }, {}), {
      logger: silentLogger(),
    });
  });
  after(async () => {
    await prometheus?.stop();
    await agent?.close();
    if (workload !== undefined) killTree(workload);
    rmSync(dir, { recursive: true, force: true });
  });

  it('exposition passes promtool check metrics', async () => {
    const text = await (await fetch(`${agent.url}/metrics`)).text();
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(lint.status, 0, `${lint.stdout}${lint.stderr}`);
  });

  it('a query returns the fault counter after a fault', async () => {
    const tree = await spawnTree(1);
    workload = tree.pid;
    for (const signal of ['SIGSTOP', 'SIGCONT']) {
      const res = await fetch(`${agent.url}/v1/faults`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ signal, target: { pids: [tree.pid] }, ...(signal === 'SIGSTOP' ? { leaseSeconds: 5 } : {}) }),
      });
      assert.equal(res.status, 201);
    }
    prometheus = await startPrometheus([{ job: 'eris-agent', address: new URL(agent.url).host }]);
    let result: Awaited<ReturnType<PrometheusInstance['query']>> = [];
    await waitFor(async () => {
      result = await prometheus!.query('eris_faults_total{job="eris-agent",signal="SIGSTOP",result="ok"}');
      return result.length === 1;
    }, 30000, 'prometheus to scrape the fault counter');
    assert.equal(result[0]!.value[1], '1');
    const up = await prometheus.query('up{job="eris-agent"}');
    assert.equal(up[0]!.value[1], '1');
  });
});
