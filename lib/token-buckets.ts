// Token buckets by key (a token id, a remote address): a flood from one caller is refused cheaply. No hono here:
// the agent's own router (daemon/api/router.ts) uses them too.

export interface RateLimitOptions {
  /** Requests a second a key may sustain. */
  perSecond: number;
  /** Requests a key may send at once after being idle. Default 2 × perSecond. */
  burst?: number;
  /** Keys tracked at most; idle full buckets are dropped first (a flood of distinct keys cannot grow memory). */
  maxKeys?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  readonly perSecond: number;
  readonly burst: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(o: RateLimitOptions) {
    if (!(o.perSecond > 0)) throw new RangeError(`perSecond must be > 0, got ${o.perSecond}`);
    this.perSecond = o.perSecond;
    this.burst = o.burst ?? Math.max(1, Math.ceil(2 * o.perSecond));
    this.maxKeys = o.maxKeys ?? 10_000;
    this.now = o.now ?? Date.now;
  }

  /** Takes one token for `key`: 0 when it may go now, else how many ms until it may. */
  take(key: string): number {
    const now = this.now();
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxKeys) this.evict(now);
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) / this.perSecond) * 1000);
  }

  get size(): number {
    return this.buckets.size;
  }

  private evict(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    }
    // Everyone is busy: forget the oldest half rather than grow.
    if (this.buckets.size >= this.maxKeys) for (const key of [...this.buckets.keys()].slice(0, this.maxKeys >> 1)) this.buckets.delete(key);
  }
}

/** The 429 answer's body when `buckets` has no token for a caller, and its Retry-After in seconds. */
export function rateLimited(buckets: TokenBuckets, what: string, waitMs: number) {
  const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
  const body = {
    error: {
      code: 'ERIS_ERR_RATE_LIMITED',
      message: `${what}: more than ${buckets.perSecond} requests a second (burst ${buckets.burst}); retry after ${retryAfter} s`,
      details: { perSecond: buckets.perSecond, burst: buckets.burst, retryAfterMs: waitMs },
    },
  };
  return { body, retryAfter };
}
