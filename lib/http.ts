// HTTP plumbing shared by the agent and the coordinator: one error shape, JSON body parsing that names the problem.
import type { Context, ErrorHandler, Hono, MiddlewareHandler, NotFoundHandler } from 'hono';
import type { Registry } from 'prom-client';
import { HTTPException } from 'hono/http-exception';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from './logger.js';
import { ErisError, PayloadTooLargeError, ValidationError } from './errors.js';
import { cachedExposition } from './metrics.js';
import { rateLimit, remoteAddress } from './rate-limit.js';
import { TokenBuckets } from './token-buckets.js';
import { boundedError, type ErrorBody } from './http-errors.js';


export function errorHandler(logger: Logger): ErrorHandler {
  return function onError(err, c) {
    if (err instanceof ErisError) {
      if (err.status >= 500) logger.error({ err, path: c.req.path }, 'request failed');
      return c.json({ error: boundedError(err) } satisfies ErrorBody, err.status as 400);
    }
    if (err instanceof HTTPException) {
      return c.json({ error: { code: 'ERIS_ERR_HTTP', message: err.message } } satisfies ErrorBody, err.status);
    }
    logger.error({ err, path: c.req.path }, 'unexpected error');
    return c.json({ error: { code: 'ERIS_ERR_INTERNAL', message: 'internal error' } } satisfies ErrorBody, 500);
  };
}

export const notFoundHandler: NotFoundHandler = function notFound(c) {
  return c.json({ error: { code: 'ERIS_ERR_NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` } } satisfies ErrorBody, 404);
};

/**
 * Refuses a request body over `limitFor(c)` bytes with a 413 naming the limit, before it is buffered whole:
 * by Content-Length when there is one, else while the body streams in.
 */
export function limitBody(limitFor: (c: Context) => number): MiddlewareHandler {
  return async function bodySizeLimit(c, next) {
    const maxSize = limitFor(c);
    const limit = bodyLimit({
      maxSize,
      onError: () => {
        throw new PayloadTooLargeError(`body: larger than the ${maxSize}-byte limit of ${c.req.method} ${c.req.path}`, {
          path: 'body',
          details: { limitBytes: maxSize },
        });
      },
    });
    return limit(c, next);
  };
}

/** Reads a JSON object body; malformed JSON is a 400 that says so. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') throw new ValidationError('body: a JSON object is required', { path: 'body' });
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ValidationError(`body: malformed JSON: ${(cause as Error).message}`, { path: 'body', cause });
  }
}

/** Scrapes one address may make a second: Prometheus makes one every few seconds. */
const METRICS_PER_SECOND = 10;

/**
 * GET /metrics, which has no token: bounded per address, and rendered at most once a second however many ask
 * (cachedExposition), so a flood on it cannot take the event loop from leases and resumes.
 */
export function serveMetrics(app: Hono<any>, registry: Registry): void {
  const metricsText = cachedExposition(registry);
  app.use('/metrics', rateLimit(new TokenBuckets({ perSecond: METRICS_PER_SECOND }), { key: remoteAddress, what: 'GET /metrics from this address' }));
  app.get('/metrics', async (c) => c.text(await metricsText(), 200, { 'content-type': registry.contentType }));
}
