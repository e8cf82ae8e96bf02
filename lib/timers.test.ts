import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TIMER_MS, setTimerAt } from './timers.js';

describe('setTimerAt', () => {
  it('does not fire at once for a time beyond the setTimeout limit (30 days away)', async () => {
    let fired = false;
    const cancel = setTimerAt(Date.now() + 30 * 86_400_000, () => (fired = true));
    await new Promise((r) => setTimeout(r, 50));
    cancel();
    assert.equal(fired, false);
  });

  it('waits a long delay out in steps and fires when the time has come', async (t) => {
    // A clock that jumps past the first step: the timer re-arms until `now` reaches the target, then fires once.
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const start = Date.now();
    let fired = 0;
    setTimerAt(start + MAX_TIMER_MS + 5_000, () => fired++);
    t.mock.timers.tick(MAX_TIMER_MS);
    assert.equal(fired, 0, 'not yet: 5 s left');
    t.mock.timers.tick(5_000);
    assert.equal(fired, 1);
  });

  it('can be cancelled', async () => {
    let fired = false;
    const cancel = setTimerAt(Date.now() + 10, () => (fired = true));
    cancel();
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(fired, false);
  });
});
