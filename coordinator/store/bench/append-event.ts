// Benchmark of the store's hot path, appendEvent (one commit per event), against the obvious alternative: an
// NDJSON file with one write + fdatasync per line. Run: node --import tsx coordinator/store/bench/append-event.ts [seconds]
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../memory.js';
import { SqliteStore } from '../sqlite.js';
import type { Store } from '../types.js';

const seconds = Number(process.argv[2] ?? '2');
const dir = mkdtempSync(join(tmpdir(), 'eris-bench-'));
// A typical probe event: ~200 bytes of JSON.
const data = { probe: 'etcd-health', target: 'etcd-1', ok: false, status: 200, ms: 3.2, value: { health: 'false', reason: 'RAFT NO LEADER' } };

function timed(label: string, op: (i: number) => void): void {
  const deadline = performance.now() + seconds * 1000;
  const lat: number[] = [];
  let i = 0;
  while (performance.now() < deadline) {
    const t0 = performance.now();
    op(i++);
    lat.push(performance.now() - t0);
  }
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(3);
  const perSecond = Math.round(i / seconds);
  console.log(`| ${label} | ${perSecond.toLocaleString('en')} | ${q(0.5)} | ${q(0.99)} |`);
}

function appendBench(label: string, store: Store): void {
  store.createRun({ id: 'bench', drillName: null, spec: {}, status: 'running', createdAt: Date.now() });
  timed(label, (i) => store.appendEvent('bench', { at: Date.now(), type: 'probe', data: { ...data, i } }));
  const t0 = performance.now();
  const events = store.listEvents('bench');
  const ms = performance.now() - t0;
  console.log(`|   listEvents of those ${events.length.toLocaleString('en')} | ${Math.round(events.length / (ms / 1000)).toLocaleString('en')} rows/s | ${ms.toFixed(1)} ms total | |`);
  store.close();
}

console.log(`node ${process.version}, ${seconds} s per line, ${tmpdir()}\n`);
console.log('| appendEvent | per second | p50 ms | p99 ms |\n|---|---|---|---|');
appendBench('SqliteStore file, WAL, synchronous=FULL (default)', new SqliteStore({ path: join(dir, 'full.db') }));
appendBench('SqliteStore file, WAL, synchronous=NORMAL', new SqliteStore({ path: join(dir, 'normal.db'), synchronous: 'normal' }));
appendBench('SqliteStore :memory:', new SqliteStore({ path: ':memory:' }));
appendBench('MemoryStore', new MemoryStore());

const fd = openSync(join(dir, 'events.ndjson'), 'a');
timed('baseline: NDJSON write + fdatasync per event', (i) => {
  writeSync(fd, `${JSON.stringify({ runId: 'bench', seq: i + 1, at: Date.now(), type: 'probe', data: { ...data, i } })}\n`);
  fdatasyncSync(fd);
});
timed('baseline: NDJSON write, no sync', (i) => {
  writeSync(fd, `${JSON.stringify({ runId: 'bench', seq: i + 1, at: Date.now(), type: 'probe', data: { ...data, i } })}\n`);
});
closeSync(fd);
rmSync(dir, { recursive: true, force: true });
