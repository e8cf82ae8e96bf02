import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClockOffset } from './clock.js';

describe('ClockOffset', () => {
  it('is unknown before the first exchange', () => {
    const c = new ClockOffset();
    assert.equal(c.offsetMs(), null);
    assert.equal(c.coordinatorNow(1000), null);
  });

  it('takes the midpoint of a symmetric round trip: offset = at − (t0 + t1) / 2', () => {
    const c = new ClockOffset();
    // The coordinator is 500 ms ahead; 2 ms each way.
    c.add(1000, 1502, 1004);
    assert.equal(c.offsetMs(), 500);
    assert.equal(c.coordinatorNow(2000), 2500);
  });

  it('believes the smallest round trip of the window, not a delayed one', () => {
    const c = new ClockOffset();
    c.add(1000, 1502, 1004); // 4 ms round trip: offset 500
    c.add(2000, 2510, 2040); // 40 ms, the answer held up on the way back: offset 490, wrong by 10
    assert.equal(c.offsetMs(), 500);
    assert.equal(c.best()?.rttMs, 4);
  });

  it('forgets samples older than its window (a clock step is followed)', () => {
    const c = new ClockOffset(2);
    c.add(0, 1, 2); // 2 ms: offset 0
    c.add(10, 120, 20); // 10 ms: offset 105
    c.add(30, 140, 40); // 10 ms: offset 105; the 2 ms sample leaves the window
    assert.equal(c.offsetMs(), 105);
  });

  it('ignores a sample with a negative or non-finite round trip', () => {
    const c = new ClockOffset();
    c.add(10, 5, 5);
    c.add(Number.NaN, 5, 10);
    assert.equal(c.offsetMs(), null);
  });
});
