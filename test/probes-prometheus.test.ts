// The prometheus probe kind through the real `eris` binary against a real Prometheus (Debian's, scraping every 1 s)
// that scrapes the sample members: `up` of a member frozen by SIGSTOP turns 0 and the probe sees it; after SIGCONT it
// turns 1 again. Also: a bad PromQL fails with Prometheus's own error text, and validation names the field.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunReport } from '../coordinator/engine/report.js';
import { EXIT } from '../cli/exit.js';
import { testbedSkipReason } from './harness/requirements.js';
import { waitFor } from './harness/processes.js';
import { startPrometheus, type PrometheusInstance } from './harness/prometheus.js';
import { assertBuilt, runCli, startSampleCluster, stoppedMembers, type SampleCluster } from './cli-harness.js';

describe('prometheus probe', { skip: testbedSkipReason({ tools: ['prometheus'], root: false }) }, () => {
  let cluster: SampleCluster;
  let prometheus: PrometheusInstance | undefined;
  let dir: string;
  let auth: string[];

  const drill = (name: string, probe: Record<string, unknown>, steps: string) => {
    const file = join(dir, `${name}.yaml`);
    const yaml = `apiVersion: eris.dev/v1alpha1
kind: Drill
metadata:
  name: ${name}
spec:
  targets:
    member:
      processes:
        cmdline: --tag ${cluster.tag}
      count: 1
  probes:
    up: ${JSON.stringify(probe)}
  steps:
${steps}`;
    writeFileSync(file, yaml);
    return file;
  };

  before(async () => {
    assertBuilt();
    cluster = await startSampleCluster('probe-prom');
    dir = mkdtempSync(join(tmpdir(), 'eris-probe-prom-'));
    auth = ['--coordinator', cluster.url, '--token', cluster.token];
    prometheus = await startPrometheus([...cluster.members.entries()].map(([name, m]) => ({ job: `member-${name}`, address: `127.0.0.1:${m.port}` })));
    await waitFor(async () => (await prometheus!.query('sum(up{job=~"member-.*"})')).some((s) => s.value[1] === '3'), 20_000, 'all three members scraped');
  });

  after(async () => {
    await prometheus?.stop();
    await cluster?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('waits until up == 0 for the frozen member (placeholders in PromQL), and until it is 1 again after SIGCONT', async () => {
    const probe = {
      prometheus: { url: prometheus!.url, query: 'up{job=~"member-.*", instance="127.0.0.1:{{target.labels.port}}"}' },
      jq: 'length == 1 and .[0].value[1] == "1"',
      timeout: '1s',
      interval: '200ms',
    };
    const steps = [
      '    - probe: up\n      target: member',
      '    - signal: SIGSTOP\n      target: member\n      lease: 60s',
      '    - name: detect\n      wait: up\n      target: member\n      until: fail\n      timeout: 20s',
      '    - signal: SIGCONT\n      target: member',
      '    - name: recover\n      wait: up\n      target: member\n      until: pass\n      consecutive: 2\n      timeout: 20s',
    ].join('\n');
    const r = await runCli(['run', drill('prom-up', probe, `${steps}\n`), '--json', ...auth], { timeoutMs: 90_000 });
    assert.equal(r.code, EXIT.ok, `${r.stdout}\n${r.stderr}`);
    const report = JSON.parse(r.stdout) as RunReport;
    const ms = (name: string) => report.steps.find((s) => s.name === name)?.durationMs;
    // With a 1 s scrape interval (and 1 s scrape timeout) `up` turns 0 one or two scrapes after the freeze.
    console.log(`# prometheus probe: detect ${ms('detect')} ms, recover ${ms('recover')} ms`);
    assert.ok(ms('detect')! < 15_000, `detect ${ms('detect')} ms`);
    assert.deepEqual(stoppedMembers(cluster), []);
  });

  it('bad PromQL fails the probe with Prometheus\'s own error text', async () => {
    const r = await runCli(['run', drill('prom-bad', { prometheus: { url: prometheus!.url, query: 'up{job=' }, jq: 'length > 0' }, '    - probe: up\n'), '--json', ...auth]);
    assert.equal(r.code, EXIT.failed, `${r.stdout}\n${r.stderr}`);
    assert.match(`${r.stdout}\n${r.stderr}`, /prometheus: bad_data: .*parse error/i);
  });

  it('validate names the field: url and prometheus together, neither, an empty query, an unknown key', async () => {
    const check = async (probe: Record<string, unknown>, message: RegExp) => {
      const r = await runCli(['validate', drill('prom-invalid', probe, '    - probe: up\n')]);
      assert.equal(r.code, EXIT.failed, `${r.stdout}\n${r.stderr}`);
      assert.match(`${r.stdout}\n${r.stderr}`, message);
    };
    await check({ url: 'http://127.0.0.1:1/', prometheus: { url: 'http://127.0.0.1:1', query: 'up' } }, /spec\.probes\.up\.prometheus: give one of `url`, `prometheus` and `kubernetes`, not `url` and `prometheus`/);
    await check({ jq: 'true' }, /spec\.probes\.up\.url: required \(or give `prometheus` or `kubernetes`\)/);
    await check({ prometheus: { url: 'http://127.0.0.1:1', query: ' ' } }, /spec\.probes\.up\.prometheus\.query: must not be empty/);
    await check({ prometheus: { url: 'ftp://x', query: 'up' } }, /spec\.probes\.up\.prometheus\.url: must be an http/);
    await check({ prometheus: { url: 'http://127.0.0.1:1', query: 'up', step: '1s' } }, /spec\.probes\.up\.prometheus/);
    await check({ prometheus: { url: 'http://127.0.0.1:1', query: 'up' }, method: 'POST' }, /spec\.probes\.up\.method: a prometheus probe is a GET of its API/);
  });
});
