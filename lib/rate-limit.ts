// The Hono middleware that answers 429 when a key's token bucket (lib/token-buckets.ts) is empty:
// a flood from one caller is refused cheaply instead of taking the event loop from resumes and lease timers.
import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';

import { rateLimited, type TokenBuckets } from './token-buckets.js';

/** The peer's address (Node server), or 'unknown' (app.request() in unit tests has no socket). */
export function remoteAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function rateLimit(buckets: TokenBuckets, o: { key: (c: Context) => string | null; what: string }): MiddlewareHandler {
  return async function rateLimitMiddleware(c, next) {
    const key = o.key(c);
    if (key === null) return next();
    const waitMs = buckets.take(key);
    if (waitMs === 0) return next();
    const { body, retryAfter } = rateLimited(buckets, o.what, waitMs);
    return c.json(body, 429, { 'retry-after': String(retryAfter) });
  };
}
