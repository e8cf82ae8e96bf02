// Simultaneous faults over several agents: one fire time (this coordinator's clock) for all of them, far enough
// ahead that every agent has the command and has resolved its targets by then, so their stops land together instead
// of one link latency (and one agent's work) apart. Each agent says when it acted (`firedAt`); the spread of those
// is the skew a report shows.
import { preciseNow } from '../../lib/timers.js';
import { LINK_FEATURES } from '../../lib/link/protocol.js';
import type { Fleet } from './fleet.js';

/** The fire time is at least this far ahead: an agent resolves its targets (a few ms) before it waits. */
export const FIRE_MIN_LEAD_MS = 50;
/** …and at most this far: a fault is never held back for long (agents refuse more than 5 s, daemon/link/fire-at.ts). */
export const FIRE_MAX_LEAD_MS = 1000;
/** How long the round-trip probe may take before the fan-out goes ahead without a fire time. */
const PROBE_TIMEOUT_MS = 1000;

/** The lead before a fire time, from the agents' round trips just measured: 3 × the slowest + the floor, bounded. */
export function fireLead(rttsMs: readonly number[]): number {
  const worst = rttsMs.length === 0 ? 0 : Math.max(...rttsMs);
  return Math.min(FIRE_MAX_LEAD_MS, FIRE_MIN_LEAD_MS + 3 * worst);
}

/**
 * A fire time for a fault over these agents, or undefined when they should act on arrival: one agent (nothing to
 * line up), or any agent that does not announce `fire-at` (an older agent would act at once and the others a lead
 * later: worse than today). Each agent's round trip is its last heartbeat's; only an agent without one yet (just
 * connected) is pinged now, so a fan-out over a settled fleet sends nothing before its commands.
 */
export async function fireTimeFor(fleet: Fleet, agents: readonly string[]): Promise<number | undefined> {
  if (agents.length < 2 || !agents.every((a) => fleet.supports(a, LINK_FEATURES.fireAt))) return undefined;
  const rtts = await Promise.all(
    agents.map(async (agent) => {
      const known = fleet.lastRtt(agent);
      if (known !== undefined) return known;
      const t0 = preciseNow();
      await fleet.command(agent, { op: 'ping' }, PROBE_TIMEOUT_MS);
      return preciseNow() - t0;
    }),
  ).catch(() => null);
  // An agent that does not answer a ping in time will not meet a fire time either: everyone acts on arrival.
  if (rtts === null) return undefined;
  return preciseNow() + fireLead(rtts);
}

/** First-to-last spread of the agents' fire times, ms (undefined with fewer than two). */
export function fireSkew(firedAt: ReadonlyArray<number | undefined>): number | undefined {
  const times = firedAt.filter((t): t is number => t !== undefined);
  if (times.length < 2) return undefined;
  return Math.max(...times) - Math.min(...times);
}
