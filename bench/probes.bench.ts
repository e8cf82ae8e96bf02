// Benchmark: jq evaluations/second and the main thread's event-loop delay, JqPool (worker) vs jq in-thread.
// Run: node --import tsx bench/probes.bench.ts [--burst 5000] [--no-write]
// Prints a markdown table and replaces the section between <!-- probes:start --> / <!-- probes:end --> in docs/benchmarks.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { JqPool, loadInThreadJq } from '../coordinator/probes/jq.js';
import { evaluateFilter } from '../coordinator/probes/jq-core.js';

const args = process.argv.slice(2);
const burst = Number(args[args.indexOf('--burst') + 1] ?? 0) || 5_000;
const write = !args.includes('--no-write');
/** Answers handed to jq per event-loop turn: probe answers arrive from sockets, a few at a time. */
const PER_TURN = 100;

// The drill's probes: etcd /health, etcd member list, an Elasticsearch cluster health.
const WORK = [
  ['.health == "true"', '{"health":"true","reason":""}'],
  [
    '[.members[] | select(.isLeader)] | length == 1',
    JSON.stringify({ members: [0, 1, 2].map((i) => ({ name: `etcd-${i}`, isLeader: i === 0, dbSize: 1024 * (i + 1), peerURLs: [`https://etcd-${i}:2380`] })) }),
  ],
  [
    '.status == "green" and .number_of_nodes >= 3 and .unassigned_shards == 0',
    '{"cluster_name":"es","status":"green","number_of_nodes":3,"active_shards_percent_as_number":100.0,"unassigned_shards":0}',
  ],
] as const;

interface Row {
  mode: string;
  evalsPerSecond: number;
  meanMs: number;
  maxDelayMs: number;
  p99DelayMs: number;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function measure(mode: string, evaluate: (filter: string, body: string) => Promise<unknown> | unknown): Promise<Row> {
  for (let i = 0; i < 200; i++) await evaluate(WORK[i % WORK.length]![0], WORK[i % WORK.length]![1]); // warm up
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const started = performance.now();
  const pending: unknown[] = [];
  for (let i = 0; i < burst; i++) {
    if (i > 0 && i % PER_TURN === 0) await turn();
    const [filter, body] = WORK[i % WORK.length]!;
    pending.push(evaluate(filter, body));
  }
  await Promise.all(pending);
  const elapsed = performance.now() - started;
  await turn();
  delay.disable();
  return {
    mode,
    evalsPerSecond: Math.round((burst / elapsed) * 1_000),
    meanMs: elapsed / burst,
    maxDelayMs: delay.max / 1e6,
    p99DelayMs: delay.percentile(99) / 1e6,
  };
}

/** The noise floor: the loop's delay with nothing to do, for as long as a burst takes. */
async function baseline(ms: number): Promise<Row> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  await new Promise((resolve) => setTimeout(resolve, ms));
  delay.disable();
  return { mode: 'baseline: idle loop, no jq', evalsPerSecond: 0, meanMs: 0, maxDelayMs: delay.max / 1e6, p99DelayMs: delay.percentile(99) / 1e6 };
}

async function main(): Promise<void> {
  const rows: Row[] = [await baseline(3_000)];
  const jq = await loadInThreadJq();
  rows.push(
    await measure('jq-wasm in-thread (main thread)', (filter, body) => {
      const outcome = evaluateFilter(jq, filter, body);
      if (!outcome.ok) throw new Error(outcome.message);
      return outcome;
    }),
  );
  for (const size of [1, 2]) {
    const pool = new JqPool({ size });
    try {
      rows.push(await measure(`JqPool size ${size} (worker thread${size > 1 ? 's' : ''})`, (filter, body) => pool.evaluate(filter, body)));
    } finally {
      await pool.close();
    }
  }

  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  const table = [
    '| mode | evals/s | mean per eval | max event-loop delay | p99 event-loop delay |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.mode} | ${r.evalsPerSecond ? r.evalsPerSecond.toLocaleString('en-US') : '–'} | ${r.meanMs ? `${r.meanMs.toFixed(3)} ms` : '–'} | ${r.maxDelayMs.toFixed(1)} ms | ${r.p99DelayMs.toFixed(1)} ms |`,
    ),
  ].join('\n');
  const section = [
    '<!-- probes:start -->',
    '## Probes',
    '',
    `jq filters judged per second and the main thread's event-loop delay (perf_hooks.monitorEventLoopDelay) during a burst of ${burst.toLocaleString('en-US')} evaluations,`,
    `${PER_TURN} handed over per event-loop turn (as probe answers arrive). Filters and bodies: etcd /health, an etcd member list, an Elasticsearch cluster health.`,
    `\`bench/probes.bench.ts\`, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, jq-wasm 3.0.0-jq-1.8.2 (${jq.version}), ${availableParallelism()} × ${cpu}, load average ${load} (shared machine).`,
    '',
    table,
    '',
    'In-thread, every call blocks the thread that sends signals and renews leases for ~0.6 ms, so a burst stalls the loop for',
    `${PER_TURN} × that per turn. Through JqPool the main thread only posts and receives messages; the pool's worker runs at`,
    'nice +10 so that, on a busy node, the main thread gets the CPU first. On this shared 2-core VM the max delay is mostly',
    'scheduling noise (compare the idle baseline); p99 is the steadier figure. Throughput is bound by jq-wasm itself: it',
    're-initialises jq and compiles the filter on every call, so a second worker adds little on 2 cores.',
    '<!-- probes:end -->',
  ].join('\n');

  console.log(table);
  if (!write) return;
  const doc = new URL('../docs/benchmarks.md', import.meta.url);
  const before = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n';
  const pattern = /<!-- probes:start -->[\s\S]*?<!-- probes:end -->/;
  const after = pattern.test(before) ? before.replace(pattern, () => section) : `${before.replace(/\n*$/, '\n\n')}${section}\n`;
  writeFileSync(doc, after);
  console.log(`\nwrote the Probes section of ${doc.pathname}`);
}

await main();
