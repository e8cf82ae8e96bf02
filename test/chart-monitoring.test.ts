// The chart's monitoring (charts/eris: dashboards/eris.json, the PrometheusRule, the PodMonitors): helm renders them
// only when enabled; promtool checks the rule groups and unit-tests the safety alerts; and a real Prometheus,
// scraping a real coordinator and host-mode agent during a held fault after a passed and a failed drill, evaluates
// every dashboard and alert expression: each parses, names only metrics eris exposes, and returns series;
// ErisDrillFailed fires after the failed run and ErisAgentDisconnected once the coordinator is gone.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { parse as parseYaml, parseAllDocuments, stringify } from 'yaml';
import { createAgentMetrics, zeroCriSeries } from '../daemon/metrics.js';
import { registerAgentStateGauges } from '../daemon/metrics-state.js';
import { createCoordinatorMetrics } from '../coordinator/metrics.js';
import { run } from './harness/containerd.js';
import { k8sBinDir, k8sSkipReason } from './harness/k8s.js';
import { testbedSkipReason } from './harness/requirements.js';
import { waitFor } from './harness/processes.js';
import { startPrometheus, type PrometheusInstance } from './harness/prometheus.js';
import { sampleDrillYaml, startSampleCluster, type SampleCluster } from './cli-harness.js';

const CHART = fileURLToPath(new URL('../charts/eris/', import.meta.url));
const HELM = join(k8sBinDir(), 'helm');
const helm = (args: string[]) => run(HELM, args, { timeoutMs: 60_000 });
const ON = ['--set', 'auth.token=chart-test-token', '--set', 'monitoring.dashboard.enabled=true', '--set', 'monitoring.prometheusRule.enabled=true', '--set', 'monitoring.podMonitor.enabled=true'];

interface Manifest { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> }
interface Rule { alert: string; expr: string; for?: string; labels: Record<string, string>; annotations: Record<string, string> }
interface Dashboard { templating: { list: Array<{ name: string; type: string; query: string | { query: string } }> }; panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }> }

const manifests = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Manifest).filter(Boolean);
const dashboard = JSON.parse(readFileSync(join(CHART, 'dashboards/eris.json'), 'utf8')) as Dashboard;

async function renderMonitoring(extra: string[] = []): Promise<Manifest[]> {
  const r = await helm(['template', 'eris', CHART, ...ON, ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return manifests(r.stdout);
}
const rulesOf = (docs: Manifest[]): Rule[] => docs.find((d) => d.kind === 'PrometheusRule')!.spec.groups.flatMap((g: { rules: Rule[] }) => g.rules);

/** A Grafana expression as Prometheus will see it: the dashboard's variables replaced by what "All" and a range give. */
const substitute = (expr: string) => expr.replaceAll('$__rate_interval', '30s').replaceAll('$__range', '10m').replaceAll('$cluster', '.*').replaceAll('$node', '.*');

/** The eris metric names an expression reads (quoted label values left out). */
const metricNames = (expr: string) => [...expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').matchAll(/\beris_[a-z0-9_]+\b/g)].map((m) => m[0]);

/** Every sample name eris can expose, from its own registries (CRI series included, which a host-mode agent lacks). */
async function exposableNames(): Promise<Set<string>> {
  const agent = createAgentMetrics(new Registry());
  zeroCriSeries(agent);
  registerAgentStateGauges(agent.registry, { leaseEnds: () => [0], heldProcesses: () => 0, linkConnected: () => true });
  const coordinator = createCoordinatorMetrics(new Registry(), () => new Map([['c', 1]]));
  const names = new Set<string>();
  for (const registry of [agent.registry, coordinator.registry]) {
    for (const m of await registry.getMetricsAsJSON()) {
      names.add(m.name);
      if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    }
  }
  return names;
}

/** The dashboard's expressions: every panel target and every query variable (label_values(X, l) reads X). */
function dashboardExpressions(d: Dashboard): Array<{ where: string; expr: string }> {
  const out: Array<{ where: string; expr: string }> = [];
  for (const p of d.panels) for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}"`, expr: t.expr });
  for (const v of d.templating.list) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : v.query.query;
    out.push({ where: `variable ${v.name}`, expr: q.replace(/^label_values\((.*),\s*\w+\)$/, '$1') });
  }
  return out;
}

describe('chart monitoring, rendered by helm', { skip: k8sSkipReason(['helm']) ?? testbedSkipReason({ tools: ['promtool'], root: false }) }, () => {
  it('renders nothing for monitoring by default', async () => {
    const r = await helm(['template', 'eris', CHART, '--set', 'auth.token=chart-test-token']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(manifests(r.stdout).filter((d) => ['ConfigMap', 'PrometheusRule', 'PodMonitor'].includes(d.kind)), []);
  });

  it('enabled: the dashboard ConfigMap for the Grafana sidecar, the PrometheusRule, a PodMonitor per component', async () => {
    const lint = await helm(['lint', '--strict', CHART, ...ON]);
    assert.equal(lint.code, 0, lint.stdout + lint.stderr);
    const docs = await renderMonitoring(['--set', 'monitoring.prometheusRule.labels.release=kps']);
    const cm = docs.find((d) => d.kind === 'ConfigMap')!;
    assert.equal(cm.metadata.labels!.grafana_dashboard, '1');
    assert.deepEqual(JSON.parse(cm.data!['eris.json']!), dashboard, 'the ConfigMap carries dashboards/eris.json as it is');
    assert.deepEqual(dashboard.templating.list.map((v) => v.name), ['datasource', 'cluster', 'node']);
    const rule = docs.find((d) => d.kind === 'PrometheusRule')!;
    assert.equal((rule as unknown as { apiVersion: string }).apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(rule.metadata.labels!.release, 'kps');
    for (const r of rulesOf(docs)) {
      assert.match(r.labels.severity ?? '', /^(info|warning|critical)$/, r.alert);
      assert.ok(r.annotations.summary && r.annotations.description && r.annotations.description.length > 80, `${r.alert}: summary and a description that says what to do`);
    }
    // Each PodMonitor selects the pods of its component, on the port they name http.
    const pods = { agent: docs.find((d) => d.kind === 'DaemonSet')!, coordinator: docs.find((d) => d.kind === 'Deployment')! };
    const monitors = docs.filter((d) => d.kind === 'PodMonitor');
    assert.equal(monitors.length, 2);
    for (const [component, workload] of Object.entries(pods)) {
      const m = monitors.find((d) => d.metadata.name.endsWith(`-${component}`))!;
      const labels = workload.spec.template.metadata.labels as Record<string, string>;
      for (const [k, v] of Object.entries(m.spec.selector.matchLabels as Record<string, string>)) assert.equal(labels[k], v, `${component}: ${k}`);
      assert.ok(workload.spec.template.spec.containers[0].ports.some((p: { name: string }) => p.name === m.spec.podMetricsEndpoints[0].port));
      assert.equal(m.spec.podMetricsEndpoints[0].honorLabels, true);
    }
  });

  it('rejects a lease grace that is not a whole number and a window that is not a duration, naming the field', async () => {
    for (const [args, field] of [
      [['--set', 'monitoring.prometheusRule.agentDisconnectedFor=5 minutes'], /agentDisconnectedFor/],
      [['--set', 'monitoring.prometheusRule.leaseGraceSeconds=-1'], /leaseGraceSeconds/],
      [['--set', 'monitoring.dashboard.enable=true'], /enable/],
    ] as const) {
      const r = await helm(['template', 'eris', CHART, ...ON, ...args]);
      assert.notEqual(r.code, 0, args[1]);
      assert.match(r.stderr, field);
    }
  });

  it('promtool: the rule groups check clean, and the safety alerts fire on the series they watch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eris-rules-'));
    try {
      const docs = await renderMonitoring();
      writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: docs.find((d) => d.kind === 'PrometheusRule')!.spec.groups }));
      const check = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.yaml')], { encoding: 'utf8' });
      assert.equal(check.status, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /SUCCESS: 10 rules found/);
      // Synthetic series, one sample a minute: a lease 20 s, 50 s, 80 s overdue (grace 30 s); a link down 6 minutes
      // (for 5m); a resume that failed.
      const tests = {
        rule_files: ['rules.yaml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [
              { series: 'eris_fault_lease_remaining_seconds{cluster="lab",node="n1"}', values: '10 -20 -50 -80' },
              { series: 'eris_link_connected{cluster="lab",node="n2"}', values: '1 0 0 0 0 0 0 0' },
              { series: 'eris_resume_failures_total{cluster="lab",node="n3"}', values: '0 0 1 1' },
            ],
            alert_rule_test: [
              { eval_time: '1m', alertname: 'ErisProcessFrozenPastLease', exp_alerts: [] },
              {
                eval_time: '2m',
                alertname: 'ErisProcessFrozenPastLease',
                exp_alerts: [{ exp_labels: { severity: 'critical', cluster: 'lab', node: 'n1' }, exp_annotations: annotationsOf(rulesOf(docs), 'ErisProcessFrozenPastLease', { cluster: 'lab', node: 'n1' }, '50s') }],
              },
              { eval_time: '5m', alertname: 'ErisAgentDisconnected', exp_alerts: [] },
              { eval_time: '7m', alertname: 'ErisAgentDisconnected', exp_alerts: [{ exp_labels: { severity: 'warning', cluster: 'lab', node: 'n2' }, exp_annotations: annotationsOf(rulesOf(docs), 'ErisAgentDisconnected', { cluster: 'lab', node: 'n2' }, '0') }] },
              { eval_time: '1m', alertname: 'ErisFaultNotResumed', exp_alerts: [] },
              { eval_time: '3m', alertname: 'ErisFaultNotResumed', exp_alerts: [{ exp_labels: { severity: 'critical', cluster: 'lab', node: 'n3' }, exp_annotations: annotationsOf(rulesOf(docs), 'ErisFaultNotResumed', { cluster: 'lab', node: 'n3' }, '1') }] },
            ],
          },
        ],
      };
      writeFileSync(join(dir, 'rules.test.yaml'), stringify(tests));
      const unit = spawnSync('promtool', ['test', 'rules', join(dir, 'rules.test.yaml')], { encoding: 'utf8', cwd: dir });
      assert.equal(unit.status, 0, unit.stdout + unit.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A rule's annotations as Prometheus renders them for these labels and $value (as its template function prints it). */
function annotationsOf(rules: Rule[], alert: string, labels: Record<string, string>, value: string): Record<string, string> {
  const annotations = Object.entries(rules.find((r) => r.alert === alert)!.annotations);
  return Object.fromEntries(annotations.map(([k, v]) => [k, v.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, l: string) => labels[l] ?? '').replace(/\{\{ \$value(?: \| \w+)? \}\}/g, value)]));
}

describe('every dashboard and alert expression, on a real Prometheus scraping eris during a fault', {
  skip: k8sSkipReason(['helm']) ?? testbedSkipReason({ tools: ['prometheus', 'promtool'], root: false }),
}, () => {
  let cluster: SampleCluster;
  let prometheus: PrometheusInstance | undefined;
  let dir: string;
  let rules: Rule[];
  let known: Set<string>;

  const api = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(url, { method, headers: { authorization: `Bearer ${cluster.token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  /** An instant query, with Prometheus's own error when it does not parse. */
  const evaluate = async (expr: string) => {
    const res = await fetch(`${prometheus!.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await res.json()) as { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  };
  const scraped = async () => new Set(((await (await fetch(`${prometheus!.url}/api/v1/label/__name__/values`)).json()) as { data: string[] }).data);

  /** Why an expression is wrong (it does not parse, names a metric eris does not expose, or returns nothing), or null. */
  const problem = async (expr: string, o: { mayBeEmpty?: boolean } = {}) => {
    const names = metricNames(expr);
    if (names.length === 0) return 'reads no eris metric';
    const exposed = await scraped();
    for (const n of names) if (!exposed.has(n) && !known.has(n)) return `names ${n}, which eris does not expose`;
    const r = await evaluate(expr);
    if (r.status !== 'success') return `does not evaluate: ${r.error}`;
    if (r.data!.result.length === 0 && o.mayBeEmpty !== true) return 'returns no series';
    return null;
  };
  // The agent here runs host processes without a container runtime: it has no CRI or container-inventory series.
  const needsCri = (expr: string) => /eris_cri_call_duration_seconds|eris_targets_known/.test(expr);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-monitoring-'));
    // A short for: so that ErisAgentDisconnected can fire within the test.
    const docs = await renderMonitoring(['--set', 'monitoring.prometheusRule.agentDisconnectedFor=2s']);
    rules = rulesOf(docs);
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: docs.find((d) => d.kind === 'PrometheusRule')!.spec.groups }));
    known = await exposableNames();
    cluster = await startSampleCluster('monitoring');
    prometheus = await startPrometheus(
      [
        { job: 'eris-coordinator', address: new URL(cluster.url).host },
        { job: 'eris-agent', address: new URL(cluster.agent.url).host },
      ],
      { ruleFiles: [join(dir, 'rules.yaml')] },
    );
  });

  after(async () => {
    await prometheus?.stop();
    await cluster?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('after a passed and a failed drill, with a process held: every expression evaluates to series; ErisDrillFailed fires', async (t) => {
    const started = Date.now();
    const failing = `    - name: it fails again (it will not)
      wait: health
      target: member
      until: fail
      timeout: 1s
`;
    for (const [name, extraSteps] of [['mon-pass', ''], ['mon-fail', failing]] as const) {
      const stored = await api('POST', `${cluster.url}/v1/drills`, parseYaml(sampleDrillYaml(cluster, { name, extraSteps })));
      assert.equal(stored.status, 201, JSON.stringify(stored.body));
    }
    // The drills' series at 0 are scraped before their runs, so increase() counts the first run.
    await waitFor(async () => ((await evaluate('eris_runs_total{drill="mon-fail",status="failed"}')).data?.result.length ?? 0) === 1, 30_000, 'the zeroed run series scraped');
    for (const [name, expected] of [['mon-pass', 'passed'], ['mon-fail', 'failed']] as const) {
      const r = await api('POST', `${cluster.url}/v1/runs`, { drill: name });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      let status = 'running';
      await waitFor(async () => (status = (await api('GET', `${cluster.url}/v1/runs/${r.body.id}`)).body.status) !== 'running', 90_000, `run of ${name}`);
      assert.equal(status, expected, name);
    }
    await cluster.healthy();
    // A fault held now, with a long lease: the lease and held-process series exist while the expressions run.
    const [pid] = cluster.pids();
    const fault = await api('POST', `${cluster.agent.url}/v1/faults`, { signal: 'SIGSTOP', target: { pids: [pid] }, leaseSeconds: 120 });
    assert.equal(fault.status, 201, JSON.stringify(fault.body));
    try {
      await waitFor(async () => Number((await evaluate('eris_processes_held')).data?.result[0]?.value[1] ?? 0) === 1, 30_000, 'the held process scraped');
    } catch (err) {
      const exposition = (await (await fetch(`${cluster.agent.url}/metrics`)).text()).split('\n').filter((l) => /^eris_(processes_held|faults_active)/.test(l));
      throw new Error(`${(err as Error).message}: ${JSON.stringify(await evaluate('eris_processes_held'))} ${JSON.stringify(await evaluate('up'))} ${exposition.join('; ')} ${JSON.stringify(fault.body).slice(0, 600)}`);
    }
    await waitFor(async () => ((await evaluate('ALERTS{alertname="ErisDrillFailed",alertstate="firing",drill="mon-fail"}')).data?.result.length ?? 0) === 1, 15_000, 'ErisDrillFailed firing');

    const failures: string[] = [];
    const dashboardExprs = dashboardExpressions(dashboard);
    for (const { where, expr } of dashboardExprs) {
      const why = await problem(substitute(expr), { mayBeEmpty: needsCri(expr) });
      if (why !== null) failures.push(`${where}: ${expr} ${why}`);
    }
    // An alert is evaluated as written (empty unless it fires) and, for a threshold, its left side must return series.
    const firing = new Set(['ErisDrillFailed']);
    for (const r of rules) {
      const why = await problem(r.expr, { mayBeEmpty: !firing.has(r.alert) });
      if (why !== null) failures.push(`alert ${r.alert}: ${r.expr} ${why}`);
      const r2 = await evaluate(r.expr);
      if (!firing.has(r.alert) && (r2.data?.result.length ?? 0) > 0) failures.push(`alert ${r.alert} fires on a healthy fleet: ${JSON.stringify(r2.data!.result)}`);
      const side = /^(.*\))\s*(?:<|>|==)\s*-?[\d.]+$/.exec(r.expr)?.[1];
      if (side !== undefined && !needsCri(side)) {
        const why2 = await problem(side);
        if (why2 !== null) failures.push(`alert ${r.alert}: left side ${side} ${why2}`);
      }
    }
    // The rule engine evaluated every rule without error.
    const groups = ((await (await fetch(`${prometheus!.url}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> } }).data.groups;
    for (const r of groups.flatMap((g) => g.rules)) if (r.health !== 'ok') failures.push(`rule ${r.name}: ${r.health} ${r.lastError ?? ''}`);
    assert.equal(groups.flatMap((g) => g.rules).length, rules.length);
    assert.deepEqual(failures, []);

    // The values the safety panels show for this fault.
    const lease = Number((await evaluate('min(eris_fault_lease_remaining_seconds{cluster="lab",node="node-1"})')).data!.result[0]!.value[1]);
    assert.ok(lease > 60 && lease <= 120, `lease remaining ${lease}`);
    assert.equal((await evaluate('eris_faults_active{cluster="lab",node="node-1"}')).data!.result[0]!.value[1], '1');
    assert.equal((await evaluate('eris_link_connected{cluster="lab",node="node-1"}')).data!.result[0]!.value[1], '1');
    t.diagnostic(`${dashboardExprs.length} dashboard and ${rules.length} alert expressions evaluated; ${Date.now() - started} ms`);
    assert.equal((await api('DELETE', `${cluster.agent.url}/v1/faults/${fault.body.id}`)).status, 200);
  });

  it('ErisAgentDisconnected fires once the coordinator is gone', async () => {
    await cluster.coordinator.close();
    const firing = 'ALERTS{alertname="ErisAgentDisconnected",alertstate="firing",cluster="lab",node="node-1",severity="warning"}';
    await waitFor(async () => ((await evaluate(firing)).data?.result.length ?? 0) === 1, 30_000, 'ErisAgentDisconnected firing');
  });

  it('a misspelt metric name in a panel is caught', async () => {
    const expr = dashboardExpressions(dashboard).find((e) => e.expr.includes('eris_faults_active{'))!.expr;
    assert.equal(await problem(substitute(expr)), null);
    assert.match((await problem(substitute(expr.replace('eris_faults_active', 'eris_fault_active'))))!, /names eris_fault_active, which eris does not expose/);
    assert.match((await problem(substitute(expr.replace('sum by', 'sum byy'))))!, /does not evaluate/);
  });
});
