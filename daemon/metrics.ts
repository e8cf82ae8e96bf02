// The agent's Prometheus metrics, on a registry passed in by the caller (no globals). Every series of a bounded label
// set (signal × result, refusal reason) is created at 0 at start, so that increase() counts the first fault. The
// metrics are documented in docs/metrics.md.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectProcessMetrics } from '../lib/metrics.js';
import { SIGNAL_NAMES } from './proc/signal.js';

/** What a fault request ends as. */
export const FAULT_RESULTS = ['ok', 'partial', 'failed', 'refused'] as const;
/** What happened to one process a fault signalled (manager.ts, processResult). */
export const PROCESS_RESULTS = ['ok', 'exited', 'unverified', 'gone', 'identity_mismatch', 'error'] as const;
/** Why a safety rule refused a fault (safety.ts). */
export const REFUSAL_REASONS = ['denied-namespace', 'eris-process', 'operator-protected', 'protected-process', 'untouchable'] as const;
/** The CRI calls the agent makes. */
export const CRI_METHODS = ['Version', 'ListPodSandbox', 'ListContainers', 'ContainerStatus'] as const;

export interface AgentMetrics {
  registry: Registry;
  faults: Counter<'signal' | 'result'>;
  processesSignalled: Counter<'signal' | 'result'>;
  faultsActive: Gauge;
  signalDuration: Histogram<'signal'>;
  criCallDuration: Histogram<'method' | 'result'>;
  targetsKnown: Gauge<'kind'>;
  leaseExpiries: Counter;
  journalRecoveries: Counter;
  refusals: Counter<'reason'>;
  resumeFailures: Counter;
}

export interface AgentMetricOptions {
  defaultMetrics?: boolean;
  /** Default labels on every series: the node (bounded by the fleet) and, when linked to a coordinator, the cluster. */
  node?: string;
  cluster?: string;
}

export function createAgentMetrics(registry: Registry = new Registry(), options: AgentMetricOptions = {}): AgentMetrics {
  const labels = { ...(options.node !== undefined ? { node: options.node } : {}), ...(options.cluster !== undefined ? { cluster: options.cluster } : {}) };
  if (Object.keys(labels).length > 0) registry.setDefaultLabels(labels);
  if (options.defaultMetrics !== false) collectProcessMetrics(registry, 'eris_agent_');
  const registers = [registry];
  const metrics: AgentMetrics = {
    registry,
    faults: new Counter({
      name: 'eris_faults_total',
      help: 'Faults requested, by signal and result (ok, partial, failed, refused).',
      labelNames: ['signal', 'result'] as const,
      registers,
    }),
    processesSignalled: new Counter({
      name: 'eris_processes_signalled_total',
      help: 'Processes signalled, by signal and result (ok, gone, identity_mismatch, error).',
      labelNames: ['signal', 'result'] as const,
      registers,
    }),
    faultsActive: new Gauge({ name: 'eris_faults_active', help: 'SIGSTOP faults holding processes stopped right now.', registers }),
    signalDuration: new Histogram({
      name: 'eris_signal_duration_seconds',
      help: 'From a fault request to every target process verified in its new state.',
      labelNames: ['signal'] as const,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    criCallDuration: new Histogram({
      name: 'eris_cri_call_duration_seconds',
      help: 'Latency of CRI calls to the container runtime, by method and result.',
      labelNames: ['method', 'result'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    targetsKnown: new Gauge({
      name: 'eris_targets_known',
      help: 'Targets the agent knows, by kind (container).',
      labelNames: ['kind'] as const,
      registers,
    }),
    leaseExpiries: new Counter({ name: 'eris_lease_expiries_total', help: 'SIGSTOP faults resumed because their lease ran out.', registers }),
    journalRecoveries: new Counter({
      name: 'eris_journal_recoveries_total',
      help: 'Processes resumed at start from a journal left by an earlier run of the agent.',
      registers,
    }),
    refusals: new Counter({
      name: 'eris_refusals_total',
      help: 'Fault requests refused by a safety rule, by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    resumeFailures: new Counter({
      name: 'eris_resume_failures_total',
      help: 'Processes a SIGSTOP fault held that the agent could not continue (SIGCONT failed; not counting processes gone).',
      registers,
    }),
  };
  zeroAgentSeries(metrics);
  return metrics;
}

function zeroAgentSeries(m: AgentMetrics): void {
  for (const signal of SIGNAL_NAMES) {
    for (const result of FAULT_RESULTS) m.faults.inc({ signal, result }, 0);
    for (const result of PROCESS_RESULTS) m.processesSignalled.inc({ signal, result }, 0);
    m.signalDuration.zero({ signal });
  }
  for (const reason of REFUSAL_REASONS) m.refusals.inc({ reason }, 0);
}

/** The CRI call series, at 0: only for an agent that talks to a runtime. */
export function zeroCriSeries(m: AgentMetrics): void {
  for (const method of CRI_METHODS) for (const result of ['ok', 'error']) m.criCallDuration.zero({ method, result });
}
