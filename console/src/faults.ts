// Immediate faults as GET /v1/faults lists them, reduced to what the Faults view shows: who placed it, what it hits,
// whether it still holds anything and how long its lease has left.
export interface FaultPart {
  agent: string;
  fault: { state: string; leaseExpiresAt?: number };
}
export interface ImmediateFault {
  id: string;
  createdAt: number;
  signal: string;
  targets: string[];
  parts: FaultPart[];
  createdBy?: string;
}

export const isActive = (f: ImmediateFault) => f.parts.some((p) => p.fault.state === 'active');

/** Seconds until the soonest lease of an active part ends; null when no active part has a lease. */
export function leaseLeft(f: ImmediateFault, now: number): number | null {
  const ends = f.parts.filter((p) => p.fault.state === 'active' && p.fault.leaseExpiresAt !== undefined).map((p) => p.fault.leaseExpiresAt!);
  return ends.length === 0 ? null : Math.max(0, Math.round((Math.min(...ends) - now) / 1000));
}

export const leaseText = (s: number | null) => (s === null ? 'none' : s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`);
