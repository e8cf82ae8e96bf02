// The one test suite every Store implementation must pass (run by sqlite.test.ts and memory.test.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.js';
import type { StoreConfig } from './index.js';
import type { NewAuditRecord, NewRun, RunStatus, Store, StoredEvent } from './types.js';

export interface StoreFixture {
  /** The store; after close(), open() again must see everything written before (same file, same backing state). */
  open(): Store;
  /** How another process opens the same store (the crash test); absent for a store that lives in one process. */
  config?: StoreConfig;
  /** Removes whatever the fixture created. */
  cleanup(): void;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CRASH_WRITER = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));

const run = (id: string, o: Partial<NewRun> = {}): NewRun => ({ id, drillName: 'etcd', spec: { steps: [id] }, status: 'pending', createdAt: 1000, ...o });

function withStore(factory: () => StoreFixture, body: (store: Store, fixture: StoreFixture) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const fixture = factory();
    const store = fixture.open();
    try {
      await body(store, fixture);
    } finally {
      try {
        store.close();
      } catch {
        // already closed by the test
      }
      fixture.cleanup();
    }
  };
}

/** Spawns the crash writer, SIGKILLs it after `killAfter` acknowledged events, returns every seq it acknowledged. */
async function crashWriter(config: StoreConfig, runId: string, killAfter: number): Promise<{ acked: number[]; signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CRASH_WRITER, JSON.stringify(config), runId], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked: number[] = [];
  let stderr = '';
  let buffered = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!; // a partial line was not acknowledged yet
    for (const line of lines) {
      if (line.startsWith('run ')) continue;
      acked.push(Number(line));
      if (acked.length === killAfter) child.kill('SIGKILL');
    }
  });
  const [code, signal] = (await new Promise((resolve) => child.on('close', (c, s) => resolve([c, s])))) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, 'SIGKILL', `crash writer ended by itself (code ${code}): ${stderr}`);
  return { acked, signal };
}

/** `durable: false` for a store that lives and dies with its process (MemoryStore): no crash test applies. */
export function runStoreContract(name: string, factory: () => StoreFixture, options: { durable?: boolean } = {}): void {
  describe(`Store contract: ${name}`, () => {
    describe('audit', () => {
      const rec = (at: number, actor: string | null, action: string, o: Partial<NewAuditRecord> = {}): NewAuditRecord => ({
        at, actor, role: actor === null ? null : 'operator', action, target: `t-${at}`, result: 'ok', ...o,
      });

      test('appends in seq order, lists newest first with filters and a cursor', withStore(factory, (s) => {
        assert.deepEqual(s.listAudit(), []);
        assert.equal(s.appendAudit(rec(100, 'ci', 'run.start', { details: { drill: 'etcd' } })), 1);
        assert.equal(s.appendAudit(rec(200, null, 'auth.refused', { result: 'refused', target: '/v1/faults' })), 2);
        assert.equal(s.appendAudit(rec(300, 'ci', 'fault.create')), 3);
        assert.equal(s.appendAudit(rec(400, 'ann', 'run.start', { result: 'failed' })), 4);
        assert.deepEqual(s.listAudit().map((r) => r.seq), [4, 3, 2, 1]);
        assert.deepEqual(s.listAudit({ limit: 1 })[0], { seq: 4, at: 400, actor: 'ann', role: 'operator', action: 'run.start', target: 't-400', result: 'failed', details: null });
        assert.deepEqual(s.listAudit({ actor: 'ci' }).map((r) => r.seq), [3, 1]);
        assert.deepEqual(s.listAudit({ action: 'run.start' }).map((r) => r.seq), [4, 1]);
        assert.deepEqual(s.listAudit({ since: 200, until: 400 }).map((r) => r.seq), [3, 2], 'since inclusive, until exclusive');
        assert.deepEqual(s.listAudit({ beforeSeq: 3, limit: 1 }).map((r) => r.seq), [2]);
        assert.deepEqual(s.listAudit({ actor: 'ci', action: 'run.start', since: 50 })[0]!.details, { drill: 'etcd' });
        assert.equal(s.listAudit({ beforeSeq: 2 })[0]!.actor, 'ci');
        assert.equal(s.listAudit({ action: 'auth.refused' })[0]!.actor, null);
      }));

      test('rejects a record without an action or with an unknown result, and a bad query', withStore(factory, (s) => {
        assert.throws(() => s.appendAudit(rec(1, 'ci', '')), ValidationError);
        assert.throws(() => s.appendAudit(rec(1, 'ci', 'x', { result: 'maybe' as 'ok' })), ValidationError);
        assert.throws(() => s.listAudit({ limit: 0 }), ValidationError);
        assert.throws(() => s.listAudit({ since: -1 }), ValidationError);
        assert.deepEqual(s.listAudit(), []);
      }));

      test('prunes by age and by count, never reusing a seq', withStore(factory, (s) => {
        for (let i = 1; i <= 10; i++) s.appendAudit(rec(i * 100, 'ci', 'run.start'));
        assert.equal(s.pruneAudit({ before: 300 }), 2, 'at 100 and 200: older than 300');
        assert.deepEqual(s.listAudit().map((r) => r.seq).reverse(), [3, 4, 5, 6, 7, 8, 9, 10]);
        assert.equal(s.pruneAudit({ keep: 5 }), 3);
        assert.deepEqual(s.listAudit().map((r) => r.seq).reverse(), [6, 7, 8, 9, 10]);
        assert.equal(s.pruneAudit({ before: 0, keep: 5 }), 0, 'nothing past either bound');
        assert.equal(s.pruneAudit({ before: 2000 }), 5);
        assert.deepEqual(s.listAudit(), []);
        assert.equal(s.appendAudit(rec(3000, 'ci', 'run.abort')), 11, 'the next seq follows the last one handed out');
      }));

      test('survives a reopen', withStore(factory, (s, fixture) => {
        s.appendAudit(rec(1, 'ci', 'drill.save'));
        s.close();
        const again = fixture.open();
        try {
          assert.equal(again.listAudit()[0]!.action, 'drill.save');
          assert.equal(again.appendAudit(rec(2, 'ci', 'drill.delete')), 2);
        } finally {
          again.close();
        }
      }));
    });

    describe('drills', () => {
      test('save, get, list by name, delete', withStore(factory, (s) => {
        assert.equal(s.getDrill('etcd'), null);
        s.saveDrill({ name: 'zk', spec: { n: 1 }, updatedAt: 5 });
        s.saveDrill({ name: 'etcd', spec: { targets: { member: { count: 1 } } }, yaml: 'targets:\n  member: {count: 1}\n', updatedAt: 7 });
        assert.deepEqual(s.getDrill('etcd'), {
          name: 'etcd',
          spec: { targets: { member: { count: 1 } } },
          yaml: 'targets:\n  member: {count: 1}\n',
          createdAt: 7,
          updatedAt: 7,
        });
        assert.equal(s.getDrill('zk')!.yaml, null);
        assert.deepEqual(s.listDrills().map((d) => d.name), ['etcd', 'zk']);
        assert.equal(s.deleteDrill('zk'), true);
        assert.equal(s.deleteDrill('zk'), false);
        assert.deepEqual(s.listDrills().map((d) => d.name), ['etcd']);
      }));

      test('saving again replaces spec and yaml, keeps createdAt', withStore(factory, (s) => {
        s.saveDrill({ name: 'etcd', spec: { v: 1 }, yaml: 'v: 1', updatedAt: 10 });
        s.saveDrill({ name: 'etcd', spec: { v: 2 }, updatedAt: 20 });
        assert.deepEqual(s.getDrill('etcd'), { name: 'etcd', spec: { v: 2 }, yaml: null, createdAt: 10, updatedAt: 20 });
        assert.equal(s.listDrills().length, 1);
      }));

      test('values are copies, stored as JSON', withStore(factory, (s) => {
        const spec = { steps: [{ signal: 'SIGSTOP', at: new Date(0) }], skip: undefined, text: 'ζ "quoted" \u0000' };
        s.saveDrill({ name: 'd', spec, updatedAt: 1 });
        spec.steps[0]!.signal = 'changed';
        const got = s.getDrill('d')!;
        assert.deepEqual(got.spec, { steps: [{ signal: 'SIGSTOP', at: '1970-01-01T00:00:00.000Z' }], text: 'ζ "quoted" \u0000' });
        (got.spec as { text: string }).text = 'mutated';
        assert.equal((s.getDrill('d')!.spec as { text: string }).text, 'ζ "quoted" \u0000');
      }));
    });

    describe('runs', () => {
      test('create and get; defaults', withStore(factory, (s) => {
        s.createRun(run('r1', { drillName: null, status: 'running', startedAt: 1001 }));
        s.createRun(run('r2', { dryRun: true }));
        assert.deepEqual(s.getRun('r1'), {
          id: 'r1', drillName: null, spec: { steps: ['r1'] }, status: 'running', dryRun: false,
          createdAt: 1000, startedAt: 1001, endedAt: null, result: null, error: null,
        });
        assert.equal(s.getRun('r2')!.dryRun, true);
        assert.equal(s.getRun('r2')!.startedAt, null);
        assert.equal(s.getRun('nope'), null);
      }));

      test('an existing id is a ConflictError', withStore(factory, (s) => {
        s.createRun(run('r1'));
        assert.throws(() => s.createRun(run('r1')), ConflictError);
      }));

      test('a status that is not a RunStatus is a ValidationError', withStore(factory, (s) => {
        assert.throws(() => s.createRun(run('r1', { status: 'done' as RunStatus })), ValidationError);
        assert.equal(s.getRun('r1'), null);
        s.createRun(run('r2'));
        assert.throws(() => s.updateRun('r2', { status: 'ok' as RunStatus }), ValidationError);
        assert.equal(s.getRun('r2')!.status, 'pending');
      }));

      test('updateRun changes only the fields given', withStore(factory, (s) => {
        s.createRun(run('r1'));
        s.updateRun('r1', { status: 'running', startedAt: 1100 });
        s.updateRun('r1', { result: { passed: 3, failed: 0 } });
        s.updateRun('r1', { status: 'failed', endedAt: 1500, error: new NotFoundError('probe gone', { path: 'probes.health' }), result: undefined });
        assert.deepEqual(s.getRun('r1'), {
          id: 'r1', drillName: 'etcd', spec: { steps: ['r1'] }, status: 'failed', dryRun: false, createdAt: 1000,
          startedAt: 1100, endedAt: 1500, result: { passed: 3, failed: 0 },
          error: { code: 'ERIS_ERR_NOT_FOUND', message: 'probe gone', path: 'probes.health' },
        });
        s.updateRun('r1', { result: null, error: new Error('plain') });
        assert.equal(s.getRun('r1')!.result, null);
        assert.deepEqual(s.getRun('r1')!.error, { name: 'Error', message: 'plain' });
      }));

      test('updateRun of an unknown run is a NotFoundError', withStore(factory, (s) => {
        assert.throws(() => s.updateRun('nope', { status: 'passed' }), NotFoundError);
      }));

      test('listRuns: newest first, ties in reverse creation order, filters, limit', withStore(factory, (s) => {
        s.createRun(run('a', { createdAt: 300, status: 'passed' }));
        s.createRun(run('b', { createdAt: 100, status: 'failed', drillName: 'zk' }));
        s.createRun(run('c', { createdAt: 200, status: 'running' }));
        s.createRun(run('d', { createdAt: 200, status: 'passed', drillName: null }));
        s.createRun(run('e', { createdAt: 400, status: 'pending', drillName: 'zk' }));
        const ids = (q?: Parameters<Store['listRuns']>[0]) => s.listRuns(q).map((r) => r.id);
        assert.deepEqual(ids(), ['e', 'a', 'd', 'c', 'b']);
        assert.deepEqual(ids({}), ['e', 'a', 'd', 'c', 'b']);
        assert.deepEqual(ids({ drillName: 'zk' }), ['e', 'b']);
        assert.deepEqual(ids({ status: 'passed' }), ['a', 'd']);
        assert.deepEqual(ids({ status: ['pending', 'running'] }), ['e', 'c']);
        assert.deepEqual(ids({ status: [] }), []);
        assert.deepEqual(ids({ status: 'passed', drillName: 'etcd' }), ['a']);
        assert.deepEqual(ids({ limit: 2 }), ['e', 'a']);
        assert.throws(() => s.listRuns({ limit: 0 }), ValidationError);
        assert.throws(() => s.listRuns({ limit: 1.5 }), ValidationError);
        assert.throws(() => s.listRuns({ status: 'nope' as RunStatus }), ValidationError);
      }));

      test('listRuns: `before` pages through the same order', withStore(factory, (s) => {
        for (let i = 0; i < 25; i++) s.createRun(run(`r${i}`, { createdAt: 1000 + Math.floor(i / 3) })); // ties in threes
        const all = s.listRuns().map((r) => r.id);
        const pages: string[] = [];
        let before: string | undefined;
        for (;;) {
          const page = s.listRuns({ limit: 4, ...(before !== undefined ? { before } : {}) }).map((r) => r.id);
          if (page.length === 0) break;
          pages.push(...page);
          before = page.at(-1);
        }
        assert.deepEqual(pages, all);
        assert.equal(all[0], 'r24');
        assert.deepEqual(s.listRuns({ before: 'r3', limit: 3 }).map((r) => r.id), ['r2', 'r1', 'r0']);
        assert.throws(() => s.listRuns({ before: 'nope' }), NotFoundError);
      }));
    });

    describe('events', () => {
      test('sequence numbers start at 1 and increase by one per run, independently', withStore(factory, (s) => {
        s.createRun(run('r1'));
        s.createRun(run('r2'));
        const seen: Record<string, number[]> = { r1: [], r2: [] };
        for (let i = 0; i < 50; i++) {
          const id = i % 3 === 0 ? 'r2' : 'r1';
          seen[id]!.push(s.appendEvent(id, { at: 2000 + i, type: 'probe', data: { i } }));
        }
        for (const id of ['r1', 'r2']) {
          assert.deepEqual(seen[id], seen[id]!.map((_, k) => k + 1));
          const events = s.listEvents(id);
          assert.deepEqual(events.map((e) => e.seq), seen[id]);
          for (let k = 1; k < events.length; k++) assert.ok(events[k]!.at > events[k - 1]!.at);
        }
      }));

      test('listEvents returns what was appended, in order; afterSeq and limit follow a live run', withStore(factory, (s) => {
        s.createRun(run('r1', { status: 'running' }));
        s.appendEvent('r1', { at: 1, type: 'step', data: { step: 'freeze', phase: 'start' } });
        s.appendEvent('r1', { at: 2, type: 'probe', data: { probe: 'health', ok: false, value: [1, 'two', null, { three: 3.5 }] } });
        s.appendEvent('r1', { at: 3, type: 'timeline', data: 'member etcd-1 frozen' });
        s.appendEvent('r1', { at: 4, type: 'probe', data: null });
        const all: StoredEvent[] = [
          { runId: 'r1', seq: 1, at: 1, type: 'step', data: { step: 'freeze', phase: 'start' } },
          { runId: 'r1', seq: 2, at: 2, type: 'probe', data: { probe: 'health', ok: false, value: [1, 'two', null, { three: 3.5 }] } },
          { runId: 'r1', seq: 3, at: 3, type: 'timeline', data: 'member etcd-1 frozen' },
          { runId: 'r1', seq: 4, at: 4, type: 'probe', data: null },
        ];
        assert.deepEqual(s.listEvents('r1'), all);
        assert.deepEqual(s.listEvents('r1', { afterSeq: 2 }), all.slice(2));
        assert.deepEqual(s.listEvents('r1', { afterSeq: 4 }), []);
        assert.deepEqual(s.listEvents('r1', { afterSeq: 1, limit: 2 }), all.slice(1, 3));
        assert.deepEqual(s.listEvents('nope'), []);
        assert.throws(() => s.listEvents('r1', { afterSeq: -1 }), ValidationError);
      }));

      test('appending to an unknown run is a NotFoundError; a bad event a ValidationError', withStore(factory, (s) => {
        assert.throws(() => s.appendEvent('nope', { at: 1, type: 'probe', data: {} }), NotFoundError);
        s.createRun(run('r1'));
        assert.throws(() => s.appendEvent('r1', { at: 1, type: '', data: {} }), ValidationError);
        assert.throws(() => s.appendEvent('r1', { at: Number.NaN, type: 'x', data: {} }), ValidationError);
        const circular: Record<string, unknown> = {};
        circular['self'] = circular;
        assert.throws(() => s.appendEvent('r1', { at: 1, type: 'x', data: circular }), ValidationError);
        // Nothing failed half-way: the next event is still seq 1.
        assert.equal(s.appendEvent('r1', { at: 1, type: 'x', data: {} }), 1);
      }));
    });

    test('markInterrupted ends every pending and running run, returns their ids in creation order', withStore(factory, (s) => {
      const statuses: RunStatus[] = ['pending', 'running', 'passed', 'failed', 'aborted', 'error', 'running', 'interrupted'];
      statuses.forEach((status, i) => s.createRun(run(`r${i}`, { status, createdAt: 1000 - i })));
      s.updateRun('r6', { endedAt: 1234 });
      assert.deepEqual(s.markInterrupted(5000), ['r0', 'r1', 'r6']);
      assert.deepEqual(s.listRuns({ status: 'interrupted' }).map((r) => r.id).sort(), ['r0', 'r1', 'r6', 'r7']);
      assert.equal(s.getRun('r0')!.endedAt, 5000);
      assert.equal(s.getRun('r6')!.endedAt, 1234); // already set: kept
      assert.equal(s.getRun('r2')!.status, 'passed');
      assert.equal(s.getRun('r2')!.endedAt, null);
      assert.deepEqual(s.markInterrupted(6000), []);
    }));

    test('a reopened store keeps drills, runs and events in order, and continues the sequence', withStore(factory, (first, fixture) => {
      first.saveDrill({ name: 'etcd', spec: { v: 1 }, yaml: 'v: 1', updatedAt: 10 });
      first.createRun(run('r1', { status: 'running', startedAt: 1001 }));
      first.createRun(run('r2', { createdAt: 2000, dryRun: true }));
      for (let i = 0; i < 100; i++) first.appendEvent(i % 2 ? 'r1' : 'r2', { at: i, type: 'probe', data: { i } });
      first.updateRun('r2', { status: 'passed', endedAt: 2500, result: { ok: true } });
      const before = { drills: first.listDrills(), runs: first.listRuns(), r1: first.listEvents('r1'), r2: first.listEvents('r2') };
      first.close();

      const again = fixture.open();
      try {
        assert.deepEqual({ drills: again.listDrills(), runs: again.listRuns(), r1: again.listEvents('r1'), r2: again.listEvents('r2') }, before);
        assert.deepEqual(again.listEvents('r1').map((e) => (e.data as { i: number }).i), Array.from({ length: 50 }, (_, k) => 2 * k + 1));
        assert.equal(again.appendEvent('r1', { at: 100, type: 'step', data: {} }), 51);
        assert.deepEqual(again.markInterrupted(3000), ['r1']);
      } finally {
        again.close();
      }
    }));

    test('calls after close() throw', withStore(factory, (s) => {
      s.close();
      assert.throws(() => s.getRun('r1'));
      assert.throws(() => s.createRun(run('r1')));
    }));

    if (options.durable !== false) describe('crash: the process is SIGKILLed while appending', () => {
      for (const killAfter of [1, 200, 1500]) {
        test(`every event acknowledged before the kill is there after reopening (kill after ${killAfter} acks)`, async (t) => {
          const fixture = factory();
          assert.ok(fixture.config !== undefined, `${name}: a durable store's fixture must say how another process opens it`);
          try {
            const { acked } = await crashWriter(fixture.config, 'crashed', killAfter);
            assert.ok(acked.length >= killAfter, `only ${acked.length} acks`);
            assert.deepEqual(acked, acked.map((_, k) => k + 1), 'the writer acknowledged 1, 2, 3, …');
            const store = fixture.open();
            try {
              const events = store.listEvents('crashed');
              const last = acked.at(-1)!;
              // Every acknowledged event is there, intact; at most one more (committed, killed before it printed).
              assert.ok(events.length >= last && events.length <= last + 1, `${events.length} events stored, ${last} acknowledged`);
              events.forEach((e, k) => {
                assert.equal(e.seq, k + 1);
                assert.equal((e.data as { i: number }).i, k);
                assert.equal((e.data as { pad: string }).pad.length, k % 7 === 0 ? 20_000 : 40);
              });
              assert.equal(store.getRun('crashed')!.status, 'running');
              assert.deepEqual(store.markInterrupted(Date.now()), ['crashed']);
              assert.equal(store.appendEvent('crashed', { at: Date.now(), type: 'log', data: 'after restart' }), events.length + 1);
            } finally {
              store.close();
            }
          } finally {
            fixture.cleanup();
          }
        });
      }
    });
  });
}
