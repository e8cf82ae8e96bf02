// The zero-series rule: what a drill creates at 0, for which clusters, and that a later zeroing never resets a count.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { clustersOfGroup, createCoordinatorMetrics, signalsByGroup, zeroDrillSeries } from './metrics.js';
import { drillSchema } from './drill/schema.js';

const drill = drillSchema.parse({
  apiVersion: 'eris.dev/v1alpha1',
  kind: 'Drill',
  metadata: { name: 'd' },
  spec: {
    targets: { a: { clusters: ['prod', '/^stag/'], processes: { cmdline: 'x' } }, b: { processes: { cmdline: 'y' } } },
    probes: { p: { url: 'http://127.0.0.1:1/', timeout: '1s' } },
    steps: [{ signal: 'SIGSTOP', target: 'a' }, { parallel: [{ steps: [{ signal: 'SIGKILL', target: 'a' }] }, { steps: [{ signal: 'SIGTERM', target: 'b' }] }] }],
  },
});

describe('coordinator metrics from zero', () => {
  it('signals by group, walking parallel branches', () => {
    assert.deepEqual(Object.fromEntries([...signalsByGroup(drill)].map(([g, s]) => [g, [...s].sort()])), { a: ['SIGKILL', 'SIGSTOP'], b: ['SIGTERM'] });
  });

  it('clusters of a group: exact names always, regexes against the known, every known when none is named', () => {
    assert.deepEqual([...clustersOfGroup(drill, 'a', ['staging', 'dev'])].sort(), ['prod', 'staging']);
    assert.deepEqual([...clustersOfGroup(drill, 'b', ['staging', 'dev'])].sort(), ['dev', 'staging']);
  });

  it('zeroes every series once; zeroing again keeps what was counted', async () => {
    const m = createCoordinatorMetrics(new Registry());
    zeroDrillSeries(m, drill, ['dev']);
    const labels = { drill: 'd', cluster: 'prod', group: 'a', signal: 'SIGKILL' };
    m.timeToRecover.observe(labels, 0.4);
    m.runs.inc({ drill: 'd', status: 'passed' });
    zeroDrillSeries(m, drill, ['dev', 'prod']);
    const text = await m.registry.metrics();
    assert.match(text, /eris_time_to_recover_seconds_count\{drill="d",cluster="prod",group="a",signal="SIGKILL"\} 1/);
    assert.match(text, /eris_runs_total\{drill="d",status="passed"\} 1/);
    assert.match(text, /eris_runs_total\{drill="d",status="aborted"\} 0/);
    assert.match(text, /eris_time_to_detect_seconds_count\{drill="d",cluster="dev",group="b",signal="SIGTERM"\} 0/);
    assert.match(text, /eris_coordinator_faults_total\{drill="d",cluster="prod",signal="SIGSTOP",result="failed"\} 0/);
    assert.match(text, /eris_probe_failures_total\{drill="d",probe="p"\} 0/);
    assert.doesNotMatch(text, /cluster="dev",group="a"/, 'group a names its clusters');
  });
});
