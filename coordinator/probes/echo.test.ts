import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { echoBounded, MAX_REASON_LENGTH } from './runner.js';

describe('what a probe result echoes', () => {
  const base = { ok: false, at: 1, latencyMs: 2, status: 200 };
  it('clips a long reason, keeps the outputs', () => {
    const r = echoBounded({ ...base, reason: `jq output ${'"x'.repeat(500)}`, output: ['secret'] }, false);
    assert.equal(r.reason!.length, MAX_REASON_LENGTH + 1);
    assert.deepEqual(r.output, ['secret']);
  });
  it('with redact, says only the kind of failure and drops the outputs', () => {
    assert.deepEqual(echoBounded({ ...base, reason: 'jq output "AKIA…SECRET"', output: ['AKIA…SECRET'] }, true), { ...base, reason: 'jq output not true (redacted)' });
    assert.equal(echoBounded({ ...base, reason: 'body is not JSON (Unexpected token < in "<html>password=hunter2")' }, true).reason, 'body is not JSON (redacted)');
    assert.equal(echoBounded({ ...base, reason: 'jq error: cannot index string with "token123"' }, true).reason, 'jq error (redacted)');
    assert.equal(echoBounded({ ...base, reason: 'status 503 not in [200]' }, true).reason, 'status 503 not in [200]');
    assert.deepEqual(echoBounded({ ...base, ok: true, output: [true] }, true), { ...base, ok: true });
  });
});
