// Evidence that the metrics can be trusted: a real Prometheus (scrape every 1 s) scrapes a real coordinator and a
// host-mode agent through several drills on processes this test started; increase() over the window equals what the
// run reports count, histogram_quantile(0.5) of detect/recover lies in the bucket of the reports' median, and
// promtool finds both expositions clean.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { DRILL_SECONDS } from '../coordinator/metrics.js';
import type { RunReport } from '../coordinator/engine/report.js';
import { testbedSkipReason } from './harness/requirements.js';
import { waitFor } from './harness/processes.js';
import { parse as parseYaml } from 'yaml';
import { sampleDrillYaml, startSampleCluster, type SampleCluster } from './cli-harness.js';
import { startPrometheus, type PrometheusInstance } from './harness/prometheus.js';

const DRILL = 'metrics-node-failure';
const RUNS = 3;

/** The upper bound of the bucket a value falls in (le semantics: value ≤ bound). */
const bucketOf = (seconds: number) => DRILL_SECONDS.find((b) => seconds <= b) ?? Infinity;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

describe('metrics a Prometheus user can trust', { skip: testbedSkipReason({ tools: ['prometheus', 'promtool'], root: false }) }, () => {
  let cluster: SampleCluster;
  let prometheus: PrometheusInstance | undefined;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${cluster.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${cluster.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { status?: string } };
  };

  /** One number from an instant query (the sum of what it returns), at `time` when given. */
  const scalar = async (expr: string, time?: number) => {
    const r = await prometheus!.query(expr, time);
    assert.ok(r.length > 0, `no result for ${expr}`);
    return r.reduce((n, s) => n + Number(s.value[1]), 0);
  };

  before(async () => {
    cluster = await startSampleCluster('metrics-prom');
    prometheus = await startPrometheus([
      { job: 'eris-coordinator', address: new URL(cluster.url).host },
      { job: 'eris-agent', address: new URL(cluster.agent.url).host },
    ]);
  });

  after(async () => {
    await prometheus?.stop();
    await cluster?.close();
  });

  const lintBoth = async () => {
    for (const url of [cluster.url, cluster.agent.url]) {
      const text = await (await fetch(`${url}/metrics`)).text();
      assert.doesNotMatch(text, /\b(NaN|Nan)\b|9223372036/, url);
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      assert.equal(lint.status, 0, `${url}: ${lint.stdout}${lint.stderr}`);
    }
  };

  it('exposes no NaN, no int64 max and nothing promtool objects to, before any drill', lintBoth);

  it('increase() over the window equals the reports: runs, faults, probe failures, detect/recover counts and medians', async (t) => {
    // The sample cluster's node-failure drill (cli-harness), under this test's name.
    const drill = parseYaml(sampleDrillYaml(cluster, { name: DRILL }));
    const stored = await api('POST', '/v1/drills', drill);
    assert.equal(stored.status, 201, JSON.stringify(stored.body));
    // Storing the drill created its series at 0; Prometheus has scraped them before the first run.
    const zeros = [
      `eris_runs_total{drill="${DRILL}",status="passed"}`,
      `eris_coordinator_faults_total{drill="${DRILL}",cluster="lab",signal="SIGKILL",result="ok"}`,
      `eris_probe_failures_total{drill="${DRILL}",probe="health"}`,
      `eris_time_to_detect_seconds_count{drill="${DRILL}",cluster="lab",group="member",signal="SIGSTOP"}`,
      `eris_time_to_recover_seconds_count{drill="${DRILL}",cluster="lab",group="member",signal="SIGKILL"}`,
      `eris_faults_total{job="eris-agent",node="node-1",cluster="lab",signal="SIGKILL",result="ok"}`,
    ];
    await waitFor(async () => (await Promise.all(zeros.map(async (q) => (await prometheus!.query(q)).length === 1))).every(Boolean), 30000, 'the zeroed series scraped');
    for (const q of zeros) assert.equal(await scalar(q), 0, q);

    const reports: RunReport[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = await api('POST', '/v1/runs', { drill: DRILL });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const id = started.body.id as string;
      await waitFor(async () => (await api('GET', `/v1/runs/${id}`)).body.status !== 'running', 90000, 'run end');
      const report = (await api('GET', `/v1/runs/${id}/report`)).body as unknown as RunReport;
      assert.equal(report.status, 'passed', JSON.stringify(report.error ?? report.steps));
      reports.push(report);
    }
    const faults = reports.reduce((n, r) => n + r.timeline.reduce((m, t) => m + t.injected.length, 0), 0);
    const probeFailures = reports.reduce((n, r) => n + (r.probes.health?.failures ?? 0), 0);
    const detects = reports.flatMap((r) => r.timeline.flatMap((t) => (t.timeToDetectMs === undefined ? [] : [t.timeToDetectMs / 1000])));
    const recovers = reports.flatMap((r) => r.timeline.flatMap((t) => (t.timeToRecoverMs === undefined ? [] : [t.timeToRecoverMs / 1000])));
    assert.equal(faults, 2 * RUNS);
    assert.equal(detects.length, RUNS);
    assert.equal(recovers.length, RUNS);

    // Wait for the scrape that has every run's end, on both targets.
    await waitFor(async () => (await scalar(`sum(eris_runs_total{drill="${DRILL}"})`)) === RUNS, 15000, 'the last run scraped');
    await waitFor(async () => (await scalar('sum(eris_faults_total{job="eris-agent",result="ok"})')) === faults, 15000, 'the agent faults scraped');
    // Evaluated at each target's last scrape: no extrapolation past the last sample, and none before the 0.
    const at = async (job: string) => scalar(`max(timestamp(up{job="${job}"}))`);
    const tc = await at('eris-coordinator');
    const ta = await at('eris-agent');
    const inc = (m: string, t: number) => scalar(`sum(increase(${m}[10m]))`, t);

    const measured = {
      runs: await inc(`eris_runs_total{drill="${DRILL}",status="passed"}`, tc),
      coordinatorFaults: await inc(`eris_coordinator_faults_total{drill="${DRILL}",cluster="lab",result="ok"}`, tc),
      probeFailures: await inc(`eris_probe_failures_total{drill="${DRILL}",probe="health"}`, tc),
      detects: await inc(`eris_time_to_detect_seconds_count{drill="${DRILL}",cluster="lab",group="member"}`, tc),
      recovers: await inc(`eris_time_to_recover_seconds_count{drill="${DRILL}",cluster="lab",group="member"}`, tc),
      outages: await inc(`eris_outage_seconds_count{drill="${DRILL}",cluster="lab",group="member"}`, tc),
      agentFaults: await inc('eris_faults_total{job="eris-agent",node="node-1",cluster="lab",result="ok"}', ta),
    };
    const tolerance = 1e-6;
    const expected = { runs: RUNS, coordinatorFaults: faults, probeFailures, detects: RUNS, recovers: RUNS, outages: RUNS, agentFaults: faults };
    for (const [k, v] of Object.entries(measured)) assert.ok(Math.abs(v - expected[k as keyof typeof expected]) < tolerance, `${k}: increase() ${v}, reports ${expected[k as keyof typeof expected]}`);
    assert.ok(probeFailures > 0, 'the drill saw its probe fail');
    t.diagnostic(`increase() at the last scrape: ${JSON.stringify(measured)}`);

    for (const [name, values] of [['eris_time_to_detect_seconds', detects], ['eris_time_to_recover_seconds', recovers]] as const) {
      const q = await scalar(`histogram_quantile(0.5, sum by (le) (increase(${name}_bucket{drill="${DRILL}"}[10m])))`, tc);
      const truth = median(values);
      t.diagnostic(`${name}: histogram_quantile(0.5) ${q.toFixed(3)} s, reports' median ${truth.toFixed(3)} s (bucket le=${bucketOf(truth)})`);
      assert.equal(bucketOf(q), bucketOf(truth), `${name}: histogram_quantile(0.5) = ${q}, the reports' median ${truth} (values ${values.join(', ')})`);
    }
    // Nothing in progress once every run ended.
    assert.equal(await scalar(`eris_runs_in_progress{drill="${DRILL}"}`, tc), 0);
    await lintBoth();
  });
});
