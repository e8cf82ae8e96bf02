// The coordinator's Prometheus metrics, on a registry passed in (no globals). Every labelled series is created at 0
// as soon as its labels are known (zeroDrillSeries), so that increase() and rate() count the first event: a series
// born at 1 has no earlier sample to subtract. The metrics are documented in docs/metrics.md.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectProcessMetrics } from '../lib/metrics.js';
import { compileUserRegex, userRegexProblem, type UserRegex } from '../lib/user-regex.js';
import type { Drill } from './drill/schema.js';
import { eachStep } from './drill/each-step.js';

/** Labels of the per-target drill timings: bounded by the drills' own target groups and signals and the fleet's clusters. */
export type TimingLabels = 'drill' | 'cluster' | 'group' | 'signal';

export interface CoordinatorMetrics {
  registry: Registry;
  agentsConnected: Gauge<'cluster'>;
  runs: Counter<'drill' | 'status'>;
  runsInProgress: Gauge<'drill'>;
  runDuration: Histogram<'drill'>;
  timeToDetect: Histogram<TimingLabels>;
  timeToRecover: Histogram<TimingLabels>;
  outage: Histogram<TimingLabels>;
  probeLatency: Histogram<'drill' | 'probe'>;
  probeFailures: Counter<'drill' | 'probe'>;
  faultsPlaced: Counter<'drill' | 'cluster' | 'signal' | 'result'>;
}

/** How a run can end (the engine's statuses; `interrupted` is set by a restart and never counted). */
export const ENDED_STATUSES = ['passed', 'failed', 'aborted', 'error'] as const;
/** What an agent answers for a fault. */
export const FAULT_RESULTS = ['ok', 'partial', 'failed'] as const;

/**
 * Detect, recover and outage times. A drill measures a probe's interval (typically 100 ms–1 s) plus what the
 * system under test takes: a SIGSTOP detected within one interval (tens to hundreds of ms), a restart recovering in
 * seconds to a minute, an election or a rejoin in minutes. Roughly three buckets per decade from 10 ms to 10 min, with
 * the steps where probes land (0.1, 0.2, 0.5, 1, 1.5, 2, 3 s) kept apart: adjacent bounds differ by at most 1.67× from
 * 25 ms to 15 s, 2× above. 23 buckets. Native histograms are not used: prom-client
 * cannot expose them (they need the protobuf exposition) and the Prometheus of the test bed (2.42) has them only
 * behind a feature flag.
 */
export const DRILL_SECONDS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 30, 60, 120, 300, 600];
/** Whole runs: a second to an hour. */
export const RUN_SECONDS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600];

export function createCoordinatorMetrics(registry: Registry = new Registry(), agentsByCluster?: () => Map<string, number>): CoordinatorMetrics {
  collectProcessMetrics(registry, 'eris_coordinator_');
  const registers = [registry];
  const timingLabels = ['drill', 'cluster', 'group', 'signal'] as const;
  return {
    registry,
    agentsConnected: new Gauge({
      name: 'eris_agents_connected',
      help: 'Agents connected to this coordinator, by cluster.',
      labelNames: ['cluster'] as const,
      registers,
      collect() {
        if (!agentsByCluster) return;
        this.reset();
        for (const [cluster, n] of agentsByCluster()) this.set({ cluster }, n);
      },
    }),
    runs: new Counter({ name: 'eris_runs_total', help: 'Drill runs that ended, by drill and status.', labelNames: ['drill', 'status'] as const, registers }),
    runsInProgress: new Gauge({ name: 'eris_runs_in_progress', help: 'Drill runs running now, by drill.', labelNames: ['drill'] as const, registers }),
    runDuration: new Histogram({ name: 'eris_run_duration_seconds', help: 'Drill run duration, by drill.', labelNames: ['drill'] as const, buckets: RUN_SECONDS, registers }),
    timeToDetect: new Histogram({
      name: 'eris_time_to_detect_seconds',
      help: 'From the first fault injected on a target to its probe seeing the failure; signal is that first fault.',
      labelNames: timingLabels,
      buckets: DRILL_SECONDS,
      registers,
    }),
    timeToRecover: new Histogram({
      name: 'eris_time_to_recover_seconds',
      help: 'From the last fault injected on a target to its probe passing again; signal is that last fault.',
      labelNames: timingLabels,
      buckets: DRILL_SECONDS,
      registers,
    }),
    outage: new Histogram({
      name: 'eris_outage_seconds',
      help: 'From the first fault injected on a target to its probe passing again; signal is that first fault.',
      labelNames: timingLabels,
      buckets: DRILL_SECONDS,
      registers,
    }),
    probeLatency: new Histogram({
      name: 'eris_probe_duration_seconds',
      help: 'Probe request latency, by drill and probe.',
      labelNames: ['drill', 'probe'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers,
    }),
    probeFailures: new Counter({ name: 'eris_probe_failures_total', help: 'Probe evaluations that failed, by drill and probe.', labelNames: ['drill', 'probe'] as const, registers }),
    faultsPlaced: new Counter({
      name: 'eris_coordinator_faults_total',
      help: 'Faults drill runs placed through agents, by drill, cluster, signal and result.',
      labelNames: ['drill', 'cluster', 'signal', 'result'] as const,
      registers,
    }),
  };
}

/** The signals each target group of a drill is sent, walking parallel branches and guarded steps. */
export function signalsByGroup(drill: Drill): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const group of Object.keys(drill.spec.targets)) out.set(group, new Set());
  eachStep(drill.spec.steps, 'spec.steps', (step) => {
    if ('signal' in step) out.get(step.target)?.add(step.signal);
  });
  return out;
}

/**
 * The clusters a target group can pick from: its `clusters` entries that are exact names, plus the known clusters
 * any entry matches (every known cluster when it names none). Bounded by the drill and the fleet.
 */
export function clustersOfGroup(drill: Drill, group: string, known: Iterable<string>): Set<string> {
  const entries = drill.spec.targets[group]?.clusters;
  const out = new Set<string>();
  for (const c of known) {
    if (entries === undefined || entries.some((e) => (e.startsWith('/') ? safeRegex(e.slice(1, -1))?.test(c) === true : e === c))) out.add(c);
  }
  for (const e of entries ?? []) if (!e.startsWith('/')) out.add(e);
  return out;
}

/** The drill's patterns are user RE2 regexes (already validated): matched with RE2, never JavaScript's backtracking engine. */
function safeRegex(source: string): UserRegex | null {
  return userRegexProblem(source) === null ? compileUserRegex(source, 'clusters') : null;
}

/**
 * Creates at 0 every series a drill will write for the given clusters: runs by status, runs in progress, run
 * duration, its probes' latency and failures, and per target group × cluster × signal its faults and timings.
 * Idempotent (adding 0 to an existing series changes nothing).
 */
export function zeroDrillSeries(m: CoordinatorMetrics, drill: Drill, clusters: Iterable<string>): void {
  const name = drill.metadata.name;
  for (const status of ENDED_STATUSES) m.runs.inc({ drill: name, status }, 0);
  m.runsInProgress.inc({ drill: name }, 0);
  zeroHistogram(m.runDuration, { drill: name });
  for (const probe of Object.keys(drill.spec.probes)) {
    m.probeFailures.inc({ drill: name, probe }, 0);
    zeroHistogram(m.probeLatency, { drill: name, probe });
  }
  const known = [...clusters];
  for (const [group, signals] of signalsByGroup(drill)) {
    for (const cluster of clustersOfGroup(drill, group, known)) {
      for (const signal of signals) {
        for (const result of FAULT_RESULTS) m.faultsPlaced.inc({ drill: name, cluster, signal, result }, 0);
        for (const h of [m.timeToDetect, m.timeToRecover, m.outage]) zeroHistogram(h, { drill: name, cluster, group, signal });
      }
    }
  }
}

/** Series already created, per histogram: prom-client's zero() would reset one that has observations. */
const zeroed = new WeakMap<Histogram<string>, Set<string>>();

function zeroHistogram<T extends string>(h: Histogram<T>, labels: Record<T, string>): void {
  let seen = zeroed.get(h as Histogram<string>);
  if (seen === undefined) zeroed.set(h as Histogram<string>, (seen = new Set()));
  const key = JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k as T]]));
  if (seen.has(key)) return;
  seen.add(key);
  h.zero(labels as never);
}
