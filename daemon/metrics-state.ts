// Gauges read from the agent's state at scrape time: the soonest lease of the faults it holds, the processes they hold, and its link to the
// coordinator. They feed the chart's alerts (charts/eris/templates/prometheusrule.yaml): a process frozen past its
// lease, an agent cut from its coordinator.
import type { Metric, Registry } from 'prom-client';

export interface AgentStateSources {
  /** The lease end (epoch ms) of each active SIGSTOP fault. */
  leaseEnds: () => Iterable<number>;
  /** Processes the active SIGSTOP faults hold stopped. */
  heldProcesses: () => number;
  /** Whether the coordinator link is up; null when the agent has no coordinator. */
  linkConnected: () => boolean | null;
  now?: () => number;
}

export function registerAgentStateGauges(registry: Registry, sources: AgentStateSources): void {
  const now = sources.now ?? Date.now;
  optionalGauge(
    registry,
    'eris_fault_lease_remaining_seconds',
    'Seconds until the soonest lease of an active SIGSTOP fault runs out; negative once past it (the agent did not resume). Absent with no active fault.',
    () => {
      let soonest = Infinity;
      for (const end of sources.leaseEnds()) soonest = Math.min(soonest, end);
      return soonest === Infinity ? undefined : (soonest - now()) / 1000;
    },
  );
  optionalGauge(registry, 'eris_processes_held', 'Processes the active SIGSTOP faults hold stopped (or frozen) right now.', sources.heldProcesses);
  optionalGauge(registry, 'eris_link_connected', '1 when the agent is connected to (welcomed by) its coordinator, 0 when not. Absent without a coordinator.', () => {
    const up = sources.linkConnected();
    return up === null ? undefined : up ? 1 : 0;
  });
}

/** A gauge with no series while read() is undefined (prom-client's own unlabelled gauge always exposes one, at 0). */
function optionalGauge(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  const metric = {
    name,
    help,
    type: 'gauge',
    aggregator: 'omit',
    get() {
      const value = read();
      return Promise.resolve({ name, help, type: 'gauge', aggregator: 'omit', values: value === undefined ? [] : [{ value, labels: {} }] });
    },
    reset() {},
  };
  registry.registerMetric(metric as unknown as Metric);
}
