// Acting at a time the coordinator chose (`fireAt`, its clock) instead of when a command happens to arrive: the
// coordinator sends one fault to several agents with the same fireAt, and each acts at that instant, so their
// stops land together rather than one link latency apart. The wait sleeps on a timer until ~2 ms before, then spins
// on performance.now() (a timer alone fires 1–2 ms late, on a busy host more).
import { ErisError, ValidationError } from '../../lib/errors.js';
import type { ClockOffset } from './clock.js';
import { preciseNow } from '../../lib/timers.js';

/**
 * How late a command may be and still act. Up to this, a late command acts at once and its `firedAt` says how late:
 * the step's skew shows it, nothing is hidden, and the fault is not left half-placed (its siblings on other agents
 * already fired) because one agent was slow (resolving 10 containers on a swamped 2-core host took 100–250 ms in
 * bench/coordinator-signal.bench.ts). Later than this the agent or its link is
 * wedged, and acting now would be a fault at a moment nobody chose: refused (ERIS_ERR_FIRE_LATE), reported as that
 * agent's error.
 */
export const FIRE_LATE_TOLERANCE_MS = 1000;
/** The furthest ahead a fire time may be: a fault is never held pending for long (a lease starts only when it fires). */
export const FIRE_MAX_AHEAD_MS = 5000;
/** Sleep until this long before the fire time, then spin. */
const SPIN_MS = 2;
/**
 * A clock estimate is good to half its round trip: when even the best recent exchange took longer than this (the
 * agent just started, the host is swamped), the fire time is refused as unsynced and the coordinator sends the part
 * to act on arrival instead of trusting an offset that may be 100 ms off.
 */
export const MAX_SYNC_RTT_MS = 20;

export class FireLateError extends ErisError {
  override readonly code = 'ERIS_ERR_FIRE_LATE';
  override readonly status = 409;
}
export class FireCancelledError extends ErisError {
  override readonly code = 'ERIS_ERR_FIRE_CANCELLED';
  override readonly status = 409;
}
/** No clock exchange has completed yet on this link: a fire time cannot be placed on this host's clock. */
export class ClockUnsyncedError extends ErisError {
  override readonly code = 'ERIS_ERR_CLOCK_UNSYNCED';
  override readonly status = 503;
}

interface Pending {
  timer: NodeJS.Timeout | null;
  reject: (error: Error) => void;
}

export class FireScheduler {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly clock: ClockOffset) {}

  /** How many fires wait now. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Resolves at `fireAt` (coordinator clock) with the coordinator-clock time it resolved at. Refuses a time already
   * past (beyond the tolerance), one too far ahead, or any while the clock offset is unknown; rejects when cancelled.
   */
  wait(key: string, fireAt: number): Promise<number> {
    const best = this.clock.best();
    const offset = best === null || best.rttMs > MAX_SYNC_RTT_MS ? null : best.offsetMs;
    if (offset === null) return Promise.reject(new ClockUnsyncedError(`no clock exchange with the coordinator within ${MAX_SYNC_RTT_MS} ms round trip yet: cannot act at a fire time`, { path: 'fireAt' }));
    const localAt = fireAt - offset;
    const ahead = localAt - preciseNow();
    if (ahead < -FIRE_LATE_TOLERANCE_MS) {
      return Promise.reject(new FireLateError(`the command came ${(-ahead).toFixed(1)} ms after its fire time (tolerance ${FIRE_LATE_TOLERANCE_MS} ms): not acted on`, { path: 'fireAt', details: { lateMs: -ahead } }));
    }
    if (ahead > FIRE_MAX_AHEAD_MS) return Promise.reject(new ValidationError(`fireAt: at most ${FIRE_MAX_AHEAD_MS} ms ahead`, { path: 'fireAt' }));
    if (this.pending.has(key)) return Promise.reject(new ValidationError(`fireAt: ${key} is already waiting`, { path: 'fireAt' }));
    return new Promise((resolve, reject) => {
      const entry: Pending = { timer: null, reject };
      this.pending.set(key, entry);
      const fire = () => {
        if (this.pending.get(key) !== entry) return;
        // The last milliseconds: spin, nothing else of this agent needs the event loop for that long.
        while (preciseNow() < localAt) {
          /* spin */
        }
        this.pending.delete(key);
        resolve(preciseNow() + offset);
      };
      if (ahead > SPIN_MS) entry.timer = setTimeout(fire, ahead - SPIN_MS);
      else queueMicrotask(fire);
    });
  }

  /** Cancels one waiting fire; true when there was one. */
  cancel(key: string, why: string): boolean {
    const entry = this.pending.get(key);
    if (!entry) return false;
    this.pending.delete(key);
    if (entry.timer) clearTimeout(entry.timer);
    entry.reject(new FireCancelledError(why));
    return true;
  }

  /** Cancels every waiting fire (the link dropped: nobody would hear of a fault placed now). */
  cancelAll(why: string): number {
    const keys = [...this.pending.keys()];
    for (const k of keys) this.cancel(k, why);
    return keys.length;
  }
}
