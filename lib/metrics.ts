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

/**
 * The registry's exposition, rendered at most once per `maxAgeMs` however many ask (one render shared by concurrent
 * scrapes): 200 connections looping on /metrics cost one render a second, not 200 renders at a time.
 */
export function cachedExposition(registry: Registry, maxAgeMs = 1000, now: () => number = Date.now): () => Promise<string> {
  let cached: { text: string; at: number } | null = null;
  let rendering: Promise<string> | null = null;
  return function metricsText() {
    if (cached !== null && now() - cached.at < maxAgeMs) return Promise.resolve(cached.text);
    rendering ??= registry.metrics().then(
      (text) => {
        cached = { text, at: now() };
        rendering = null;
        return text;
      },
      (err: unknown) => {
        rendering = null;
        throw err;
      },
    );
    return rendering;
  };
}
