// The agent's estimate of the coordinator's clock, from round trips on the link (NTP-style): for one exchange sent
// at t0 and answered at t1 (agent clock) with the coordinator's time `at`, offset = at − (t0 + t1) / 2. The error of
// one sample is at most half its round trip, so the estimate is the sample with the smallest round trip among the
// last few: a round trip delayed by a busy event loop on either end is simply not chosen.

import { preciseNow } from '../../lib/timers.js';

export interface ClockSample {
  /** Round trip of this exchange, ms. */
  rttMs: number;
  /** Coordinator clock − agent clock, ms. */
  offsetMs: number;
}

export class ClockOffset {
  private readonly samples: ClockSample[] = [];

  /** Keeps the last `window` samples: old ones age out, so a clock step on either host is followed within a window. */
  constructor(private readonly window = 8) {}

  /** One exchange: sent at t0, answered at t1 (this host), stamped `at` by the coordinator. Nonsense is ignored. */
  add(t0: number, at: number, t1: number): void {
    const rttMs = t1 - t0;
    if (!Number.isFinite(rttMs) || !Number.isFinite(at) || rttMs < 0) return;
    this.samples.push({ rttMs, offsetMs: at - (t0 + t1) / 2 });
    if (this.samples.length > this.window) this.samples.shift();
  }

  /** The best sample (smallest round trip) of the window, or null before the first exchange. */
  best(): ClockSample | null {
    let best: ClockSample | null = null;
    for (const s of this.samples) if (best === null || s.rttMs < best.rttMs) best = s;
    return best;
  }

  /** Coordinator clock − this host's clock, ms; null while unknown. */
  offsetMs(): number | null {
    return this.best()?.offsetMs ?? null;
  }

  /** The time on the coordinator's clock now, when the offset is known. */
  coordinatorNow(now = preciseNow()): number | null {
    const offset = this.offsetMs();
    return offset === null ? null : now + offset;
  }

  clear(): void {
    this.samples.length = 0;
  }
}
