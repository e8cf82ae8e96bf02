// Process metrics for any eris server, lint-clean for `promtool check metrics`.
import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * prom-client's default set plus a prefix. Three of its gauges end in `_total` (active handles, requests,
 * resources), which promtool rejects for non-counters; they are dropped.
 */
export function collectProcessMetrics(registry: Registry, prefix: string): void {
  // 100 ms instead of the default 10 ms: the event-loop-lag monitor otherwise wakes an idle agent 100 times a second.
  collectDefaultMetrics({ register: registry, prefix, eventLoopMonitoringPrecision: 100 });
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(`${prefix}${name}`);
  }
}
