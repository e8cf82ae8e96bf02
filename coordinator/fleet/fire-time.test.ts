// The fire time's lead: sized by the agents' last heartbeat round trips, with a ping only for an agent that has none.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FIRE_MAX_LEAD_MS, FIRE_MIN_LEAD_MS, fireLead, fireSkew, fireTimeFor } from './fire-time.js';
import type { Fleet } from './fleet.js';

/** The three Fleet methods fireTimeFor uses; every ping is recorded. */
function fleetOf(agents: Record<string, { fireAt: boolean; rtt?: number }>, pinged: string[]): Fleet {
  return {
    supports: (agent: string) => agents[agent]?.fireAt ?? false,
    lastRtt: (agent: string) => agents[agent]?.rtt,
    command: async (agent: string) => {
      pinged.push(agent);
      return { at: Date.now() };
    },
  } as unknown as Fleet;
}

describe('fire time', () => {
  it('leads by 3 × the slowest round trip on top of the floor, at most the bound', () => {
    assert.equal(fireLead([]), FIRE_MIN_LEAD_MS);
    assert.equal(fireLead([1, 4, 2]), FIRE_MIN_LEAD_MS + 12);
    assert.equal(fireLead([5000]), FIRE_MAX_LEAD_MS);
  });

  it('uses the heartbeat round trips it knows and pings only an agent without one', async () => {
    const pinged: string[] = [];
    const before = Date.now();
    const at = await fireTimeFor(fleetOf({ a: { fireAt: true, rtt: 2 }, b: { fireAt: true, rtt: 10 } }, pinged), ['a', 'b']);
    assert.deepEqual(pinged, []);
    assert.ok(at !== undefined && at >= before + FIRE_MIN_LEAD_MS + 30 && at <= Date.now() + FIRE_MIN_LEAD_MS + 31, `fire time ${at}`);
    await fireTimeFor(fleetOf({ a: { fireAt: true, rtt: 2 }, b: { fireAt: true } }, pinged), ['a', 'b']);
    assert.deepEqual(pinged, ['b']);
  });

  it('is none for one agent, or when any agent cannot act at a fire time', async () => {
    const pinged: string[] = [];
    assert.equal(await fireTimeFor(fleetOf({ a: { fireAt: true, rtt: 1 } }, pinged), ['a']), undefined);
    assert.equal(await fireTimeFor(fleetOf({ a: { fireAt: true, rtt: 1 }, b: { fireAt: false, rtt: 1 } }, pinged), ['a', 'b']), undefined);
    assert.deepEqual(pinged, []);
  });

  it('measures skew as first-to-last over the agents that fired', () => {
    assert.equal(fireSkew([10, undefined, 13.5, 11]), 3.5);
    assert.equal(fireSkew([10]), undefined);
  });
});
