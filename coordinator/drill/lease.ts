// A requested lease, bounded by the agents' default --lease-max: shared by drill steps and immediate faults so a lease
// no agent grants is refused before anything is sent, naming the user's `lease`, not the agent's `leaseSeconds`.
import { DEFAULT_LEASE_MAX_SECONDS } from '../../daemon/faults/lease-bounds.js';
import { formatDuration, positiveDuration } from '../probes/duration.js';

export const boundedLease = positiveDuration.refine((ms) => ms <= DEFAULT_LEASE_MAX_SECONDS * 1000, {
  message: `must be at most ${formatDuration(DEFAULT_LEASE_MAX_SECONDS * 1000)} (the agents' longest lease, --lease-max ${DEFAULT_LEASE_MAX_SECONDS})`,
});
