// The coordinator's Prometheus metrics, on a registry passed in (no globals).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectProcessMetrics } from '../lib/metrics.js';

export interface CoordinatorMetrics {
  registry: Registry;
  agentsConnected: Gauge<'cluster'>;
  runs: Counter<'drill' | 'status'>;
  runDuration: Histogram<'drill'>;
  timeToDetect: Histogram<'drill'>;
  timeToRecover: Histogram<'drill'>;
  probeLatency: Histogram<'probe'>;
  probeFailures: Counter<'probe'>;
  faultsPlaced: Counter<'signal' | 'result'>;
}

const SECONDS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600];

export function createCoordinatorMetrics(registry: Registry = new Registry(), agentsByCluster?: () => Map<string, number>): CoordinatorMetrics {
  collectProcessMetrics(registry, 'eris_coordinator_');
  const registers = [registry];
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
    runDuration: new Histogram({ name: 'eris_run_duration_seconds', help: 'Drill run duration.', labelNames: ['drill'] as const, buckets: SECONDS, registers }),
    timeToDetect: new Histogram({
      name: 'eris_time_to_detect_seconds',
      help: 'From a fault injected on a target to its probe seeing the failure.',
      labelNames: ['drill'] as const,
      buckets: SECONDS,
      registers,
    }),
    timeToRecover: new Histogram({
      name: 'eris_time_to_recover_seconds',
      help: 'From the last fault injected on a target to its probe passing again.',
      labelNames: ['drill'] as const,
      buckets: SECONDS,
      registers,
    }),
    probeLatency: new Histogram({
      name: 'eris_probe_duration_seconds',
      help: 'Probe request latency.',
      labelNames: ['probe'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers,
    }),
    probeFailures: new Counter({ name: 'eris_probe_failures_total', help: 'Probe evaluations that failed, by probe.', labelNames: ['probe'] as const, registers }),
    faultsPlaced: new Counter({ name: 'eris_coordinator_faults_total', help: 'Faults placed through agents, by signal and result.', labelNames: ['signal', 'result'] as const, registers }),
  };
}
