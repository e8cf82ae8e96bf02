import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry, Counter } from 'prom-client';
import { TokenBuckets } from './token-buckets.js';
import { cachedExposition } from './metrics.js';

describe('token buckets', () => {
  it('lets a burst through, then the sustained rate, per key', () => {
    let now = 0;
    const b = new TokenBuckets({ perSecond: 10, burst: 3, now: () => now });
    assert.deepEqual([b.take('a'), b.take('a'), b.take('a')], [0, 0, 0]);
    assert.equal(b.take('a'), 100, 'the fourth waits 100 ms');
    assert.equal(b.take('b'), 0, 'another key has its own bucket');
    now = 100;
    assert.equal(b.take('a'), 0);
    assert.ok(b.take('a') > 0);
  });

  it('keeps a bounded number of keys under a flood of distinct ones', () => {
    const b = new TokenBuckets({ perSecond: 1, maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) b.take(`k${i}`);
    assert.ok(b.size <= 100, `${b.size} keys`);
  });
});

describe('cached metrics exposition', () => {
  it('renders once for concurrent and repeated scrapes within the age, again after it', async () => {
    const registry = new Registry();
    let renders = 0;
    new Counter({ name: 'x_total', help: 'x', registers: [registry], collect() { renders++; } });
    let now = 0;
    const text = cachedExposition(registry, 1000, () => now);
    const all = await Promise.all(Array.from({ length: 50 }, () => text()));
    assert.equal(renders, 1);
    assert.ok(all.every((t) => t.includes('x_total 0')));
    now = 999;
    await text();
    assert.equal(renders, 1);
    now = 1000;
    await text();
    assert.equal(renders, 2);
  });
});
