import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClockOffset } from './clock.js';
import { preciseNow } from '../../lib/timers.js';
import { FIRE_LATE_TOLERANCE_MS, FireScheduler, MAX_SYNC_RTT_MS } from './fire-at.js';

/** A clock whose coordinator runs `offset` ms ahead of this host, from one quick exchange. */
function synced(offset: number, rtt = 1): ClockOffset {
  const c = new ClockOffset();
  const t0 = preciseNow();
  c.add(t0, t0 + rtt / 2 + offset, t0 + rtt);
  return c;
}

describe('FireScheduler', () => {
  it('resolves at the fire time on the coordinator clock, with the time it fired', async () => {
    const clock = synced(10_000);
    const fires = new FireScheduler(clock);
    const fireAt = preciseNow() + 10_000 + 30;
    const firedAt = await fires.wait('c1', fireAt);
    // Loose bound: a shared 2-core host may hold the timer past the spin window; never early.
    assert.ok(firedAt >= fireAt && firedAt - fireAt < 20, `fired ${firedAt - fireAt} ms after its time`);
    assert.equal(fires.size, 0);
  });

  it('refuses a time past by more than the tolerance (ERIS_ERR_FIRE_LATE); acts at once on a slightly late one', async () => {
    const fires = new FireScheduler(synced(0));
    await assert.rejects(fires.wait('late', preciseNow() - FIRE_LATE_TOLERANCE_MS - 50), { code: 'ERIS_ERR_FIRE_LATE', path: 'fireAt' });
    const fireAt = preciseNow() - 3;
    assert.ok((await fires.wait('a-bit-late', fireAt)) > fireAt, 'acted, and says how late');
  });

  it('refuses while the clock is unknown, or known only from slow round trips', async () => {
    await assert.rejects(new FireScheduler(new ClockOffset()).wait('x', preciseNow() + 50), { code: 'ERIS_ERR_CLOCK_UNSYNCED' });
    await assert.rejects(new FireScheduler(synced(0, MAX_SYNC_RTT_MS + 5)).wait('x', preciseNow() + 50), { code: 'ERIS_ERR_CLOCK_UNSYNCED' });
  });

  it('refuses a time too far ahead (a fault is never held back for long)', async () => {
    await assert.rejects(new FireScheduler(synced(0)).wait('x', preciseNow() + 60_000), { code: 'ERIS_ERR_VALIDATION' });
  });

  it('a cancel (a resume, a dropped link) rejects the waiting fire and it never resolves', async () => {
    const fires = new FireScheduler(synced(0));
    const one = fires.wait('one', preciseNow() + 200);
    const two = fires.wait('two', preciseNow() + 200);
    assert.equal(fires.cancel('one', 'resumed'), true);
    assert.equal(fires.cancel('one', 'again'), false);
    await assert.rejects(one, { code: 'ERIS_ERR_FIRE_CANCELLED' });
    assert.equal(fires.cancelAll('link lost'), 1);
    await assert.rejects(two, { code: 'ERIS_ERR_FIRE_CANCELLED' });
    assert.equal(fires.size, 0);
  });
});
