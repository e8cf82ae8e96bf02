import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from './journal.js';

const proc = (pid: number) => ({ pid, startTime: '100', cgroup: '/x' });

describe('journal', () => {
  it('returns the stops that were never resumed, and survives a torn last line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eris-journal-unit-'));
    try {
      const j = new Journal(dir);
      j.append({ op: 'stop', faultId: 'a', at: 1, leaseExpiresAt: 2, processes: [proc(10)] });
      j.append({ op: 'stop', faultId: 'b', at: 1, leaseExpiresAt: 2, processes: [proc(11)], owner: 'coord' });
      j.append({ op: 'resumed', faultId: 'a', at: 3, reason: 'api' });
      j.close();
      appendFileSync(j.path, '{"op":"stop","faultId":"c"'); // the agent died mid-write
      const pending = new Journal(dir).pending();
      assert.deepEqual(pending.map((p) => [p.faultId, p.owner]), [['b', 'coord']]);
      j.compact();
      assert.equal(readFileSync(j.path, 'utf8'), '');
      assert.deepEqual(new Journal(dir).pending(), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
