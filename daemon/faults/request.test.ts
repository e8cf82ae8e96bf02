// The fault request schema: the fields issue 8 added (method, startTimes) and the errors that name them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { faultRequestSchema } from './request.js';

describe('fault request', () => {
  it('method defaults to signal and takes freezer; anything else is refused naming the field', () => {
    const base = { signal: 'SIGSTOP', target: { pids: [1] } };
    assert.equal(faultRequestSchema.parse(base).method, 'signal');
    assert.equal(faultRequestSchema.parse({ ...base, method: 'freezer' }).method, 'freezer');
    const bad = faultRequestSchema.safeParse({ ...base, method: 'cgroup' });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error!.issues[0]!.path, ['method']);
  });

  it('pids may carry their start times, one per pid, decimal', () => {
    const ok = faultRequestSchema.parse({ signal: 'SIGKILL', target: { pids: [10, 11], startTimes: ['123', '456'] } });
    assert.deepEqual(ok.target, { pids: [10, 11], startTimes: ['123', '456'] });
    const short = faultRequestSchema.safeParse({ signal: 'SIGKILL', target: { pids: [10, 11], startTimes: ['123'] } });
    assert.equal(short.success, false);
    assert.match(JSON.stringify(short.error!.issues), /one start time per pid/);
    const notDecimal = faultRequestSchema.safeParse({ signal: 'SIGKILL', target: { pids: [10], startTimes: ['12a'] } });
    assert.equal(notDecimal.success, false);
  });
});
