import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Journal } from './journal.js';
import type { Logger } from '../../lib/logger.js';

const proc = (pid: number) => ({ pid, startTime: '100', cgroup: '/x' });
const stop = (faultId: string, pids: number[]) => JSON.stringify({ op: 'stop', faultId, at: 1, leaseExpiresAt: 2, processes: pids.map(proc) });

/** A logger whose warnings the test can read. */
function recordingLogger(): { logger: Logger; warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line)) });
  return { logger, warnings };
}

describe('journal', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eris-journal-unit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('returns the stops that were never resumed, and survives a torn last line', () => {
    const j = new Journal(dir);
    j.append({ op: 'stop', faultId: 'a', at: 1, leaseExpiresAt: 2, processes: [proc(10)] });
    j.append({ op: 'stop', faultId: 'b', at: 1, leaseExpiresAt: 2, processes: [proc(11)], owner: 'coord' });
    j.append({ op: 'resumed', faultId: 'a', at: 3, reason: 'api' });
    j.close();
    appendFileSync(j.path, '{"op":"stop","faultId":"c"'); // the agent died mid-write
    const pending = new Journal(dir).pending();
    assert.deepEqual(pending.map((p) => [p.faultId, p.owner]), [['b', 'coord']]);
    j.compact([]);
    assert.equal(readFileSync(j.path, 'utf8'), '');
    assert.deepEqual(new Journal(dir).pending(), []);
  });

  it('skips and logs damaged records, keeping every record around them', () => {
    const { logger, warnings } = recordingLogger();
    writeFileSync(
      join(dir, 'journal.jsonl'),
      [
        stop('before', [1]),
        'null',
        '{"op":"stop","faultId":"no-processes","at":1,"leaseExpiresAt":2}',
        '{"op":"stop","faultId":"not-array","at":1,"leaseExpiresAt":2,"processes":{"pid":3}}',
        '{"op":"stop","faultId":"null-entry","at":1,"leaseExpiresAt":2,"processes":[null]}',
        '{"op":"stop","faultId":"half","at":1,"leaseExpiresAt":2,"processes":[null,{"pid":7,"startTime":"100","cgroup":null},{"pid":-1}]}',
        '{"op":"resumed"}',
        '[1,2]',
        '"text"',
        '\u0000\u0000\u0000',
        stop('after', [2]),
        '',
      ].join('\n'),
    );
    const pending = new Journal(dir, { logger }).pending();
    assert.deepEqual(
      pending.map((p) => [p.faultId, p.processes.map((x) => x.pid)]),
      [['before', [1]], ['half', [7]], ['after', [2]]],
    );
    const damaged = warnings.filter((w) => w.msg === 'journal: damaged line skipped');
    assert.deepEqual(damaged.map((w) => w.line), [2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.match(JSON.stringify(damaged[0]!.damage), /not a record \(null\)/);
    assert.match(JSON.stringify(damaged[2]!.damage), /processes/);
  });

  it('recovers a stop record glued to garbage without a newline, and never glues one itself', () => {
    const { logger, warnings } = recordingLogger();
    const path = join(dir, 'journal.jsonl');
    // A torn fragment, then a complete record written by the next run on the same line.
    writeFileSync(path, `{"op":"stop","faultId":"torn","processes":[{"pid":${stop('glued', [5])}\n${stop('x', [9])}garbage}{\n`);
    const pending = new Journal(dir, { logger }).pending();
    assert.deepEqual(pending.map((p) => p.faultId).sort(), ['glued', 'x']);
    assert.ok(warnings.some((w) => JSON.stringify(w.damage).includes('recovered')));

    // A run that finds a torn last line starts on a fresh one.
    writeFileSync(path, '{"op":"stop","faultId":"to');
    const j = new Journal(dir);
    j.append({ op: 'stop', faultId: 'next', at: 1, leaseExpiresAt: 2, processes: [proc(12)] });
    j.close();
    assert.deepEqual(new Journal(dir).pending().map((p) => p.faultId), ['next']);
    assert.equal(readFileSync(path, 'utf8').split('\n')[1], stop('next', [12]));
  });

  it('gives up on a line of endless unclosed fragments in bounded time, keeping the lines around it', () => {
    const path = join(dir, 'journal.jsonl');
    writeFileSync(path, `${stop('a', [1])}\n${'{"op":"stop","faultId":"x","processes":['.repeat(100_000)}\n${stop('b', [2])}\n`);
    const started = performance.now();
    assert.deepEqual(new Journal(dir).pending().map((p) => p.faultId), ['a', 'b']);
    assert.ok(performance.now() - started < 5000, `${performance.now() - started} ms`);
  });

  it('adds up the processes of several stop records of one fault (the sweep appends its finds)', () => {
    const j = new Journal(dir);
    j.append({ op: 'stop', faultId: 'a', at: 1, leaseExpiresAt: 2, processes: [proc(10)] });
    j.append({ op: 'stop', faultId: 'a', at: 1, leaseExpiresAt: 2, processes: [proc(11), proc(12)] });
    j.close();
    assert.deepEqual(new Journal(dir).pending()[0]!.processes.map((p) => p.pid), [10, 11, 12]);
  });

  it('compacts while running, keeping the stops still open, so its size stays bounded', () => {
    const j = new Journal(dir, { compactBytes: 4096 });
    j.append({ op: 'stop', faultId: 'long-lived', at: 1, leaseExpiresAt: 2, processes: [proc(1)] });
    let largest = 0;
    for (let i = 0; i < 2000; i++) {
      j.append({ op: 'stop', faultId: `f${i}`, at: 1, leaseExpiresAt: 2, processes: [proc(100 + i)] });
      j.append({ op: 'resumed', faultId: `f${i}`, at: 3, reason: 'api' });
      largest = Math.max(largest, statSync(j.path).size);
    }
    j.append({ op: 'stop', faultId: 'last', at: 1, leaseExpiresAt: 2, processes: [proc(2)] });
    j.close();
    // 2000 stop/resume pairs are ~400 KB uncompacted.
    assert.ok(largest <= 4096 + 300, `largest ${largest} B`);
    assert.deepEqual(new Journal(dir).pending().map((p) => p.faultId), ['long-lived', 'last']);
  });

  it('reads a journal of any size in chunks and skips an overlong line', () => {
    const { logger, warnings } = recordingLogger();
    const path = join(dir, 'journal.jsonl');
    writeFileSync(path, `${stop('a', [1])}\n`);
    appendFileSync(path, Buffer.alloc(20 << 20, 0x41)); // 20 MiB of garbage on one line
    appendFileSync(path, `\n${stop('b', [2])}\n`);
    assert.deepEqual(new Journal(dir, { logger }).pending().map((p) => p.faultId), ['a', 'b']);
    assert.ok(warnings.some((w) => w.msg === 'journal: overlong line skipped' && w.line === 2));
  });
});
