// Process metrics for any eris server, lint-clean for `promtool check metrics`.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { collectDefaultMetrics, type Metric, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';

/** prom-client's event-loop gauges: replaced below, because before any sample they read NaN and 9223372036.85. */
const RESOLUTION_MS = 100;
const EVENT_LOOP_GAUGES = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const;

/**
 * prom-client's default set plus a prefix. Three of its gauges end in `_total` (active handles, requests,
 * resources), which promtool rejects for non-counters; they are dropped. The event-loop-delay gauges are our own:
 * a gauge with no sample since the last scrape is left out of the exposition (no NaN, no int64 max as "min").
 */
export function collectProcessMetrics(registry: Registry, prefix: string): void {
  // prom-client's own event-loop monitor cannot be turned off; its gauges are removed, so it may sleep a minute.
  collectDefaultMetrics({ register: registry, prefix, eventLoopMonitoringPrecision: 60_000 });
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total', 'nodejs_eventloop_lag_seconds']) {
    registry.removeSingleMetric(`${prefix}${name}`);
  }
  for (const g of EVENT_LOOP_GAUGES) registry.removeSingleMetric(`${prefix}nodejs_eventloop_lag_${g}_seconds`);
  registerEventLoopGauges(registry, prefix);
}

/**
 * Event-loop delay since the previous scrape, from Node's own monitor (100 ms resolution instead of prom-client's
 * 10 ms: the monitor otherwise wakes an idle agent 100 times a second). The first gauge read in a scrape takes the
 * snapshot and resets the monitor; a snapshot with no sample exposes nothing.
 */
function registerEventLoopGauges(registry: Registry, prefix: string): void {
  const monitor = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  monitor.enable();
  let snapshot: Record<(typeof EVENT_LOOP_GAUGES)[number], number> | null = null;
  const take = () => {
    snapshot =
      monitor.count > 0
        ? { min: monitor.min, max: monitor.max, mean: monitor.mean, stddev: monitor.stddev, p50: monitor.percentile(50), p90: monitor.percentile(90), p99: monitor.percentile(99) }
        : null;
    monitor.reset();
  };
  const helps: Record<(typeof EVENT_LOOP_GAUGES)[number], string> = {
    min: 'The minimum event loop delay since the previous scrape.',
    max: 'The maximum event loop delay since the previous scrape.',
    mean: 'The mean event loop delay since the previous scrape.',
    stddev: 'The standard deviation of the event loop delays since the previous scrape.',
    p50: 'The 50th percentile of the event loop delays since the previous scrape.',
    p90: 'The 90th percentile of the event loop delays since the previous scrape.',
    p99: 'The 99th percentile of the event loop delays since the previous scrape.',
  };
  EVENT_LOOP_GAUGES.forEach((g, i) => {
    const name = `${prefix}nodejs_eventloop_lag_${g}_seconds`;
    const metric = {
      name,
      help: helps[g],
      type: 'gauge',
      aggregator: 'average',
      get() {
        if (i === 0) take();
        const value = snapshot?.[g];
        // Node counts the monitor's own interval in each delay (an idle loop reads 100 ms): it is taken off.
        const values = value === undefined || !Number.isFinite(value) ? [] : [{ value: g === 'stddev' ? value / 1e9 : Math.max(0, value / 1e9 - RESOLUTION_MS / 1000), labels: {} }];
        return Promise.resolve({ name, help: helps[g], type: 'gauge', aggregator: 'average', values } as unknown as MetricObjectWithValues<MetricValue<string>>);
      },
      reset() {},
    };
    registry.registerMetric(metric as unknown as Metric);
  });
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
