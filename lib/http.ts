// HTTP plumbing shared by the agent and the coordinator: one error shape, JSON body parsing that names the problem.
import type { Context, ErrorHandler, Hono, MiddlewareHandler, NotFoundHandler } from 'hono';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { HTTPException } from 'hono/http-exception';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from './logger.js';
import { ErisError, PayloadTooLargeError, ValidationError } from './errors.js';
import { clip } from './text.js';
import { cachedExposition } from './metrics.js';
import { rateLimit, remoteAddress, TokenBuckets } from './rate-limit.js';

/** Every error answer of the agent and the coordinator; the OpenAPI documents describe errors with this schema. */
export const errorBodySchema = z.strictObject({
  error: z.strictObject({
    /** Stable: `ERIS_ERR_VALIDATION`, `ERIS_ERR_NOT_FOUND`, … (lib/errors.ts). */
    code: z.string().min(1).meta({ description: 'Stable error code (ERIS_ERR_VALIDATION, ERIS_ERR_NOT_FOUND, …)' }),
    message: z.string().meta({ description: 'What went wrong, naming the field (at most 1000 characters)' }),
    path: z.string().optional().meta({ description: 'Where in the input the problem is, e.g. spec.targets.m.percent' }),
    details: z.record(z.string(), z.unknown()).optional().meta({ description: 'More about it (the issues found, the role needed, the limit); left out when large' }),
  }),
});
export type ErrorBody = z.output<typeof errorBodySchema>;

/** Longest message an error answer carries; the rest of a long input is not echoed back. */
const MAX_ERROR_MESSAGE = 1000;
/** Largest `details` an error answer carries (as JSON); beyond it the details are left out. */
const MAX_ERROR_DETAILS = 8 * 1024;

/** An error as it is answered: message and path clipped, details dropped when large, so no input is echoed in bulk. */
export function boundedError(err: ErisError): ErrorBody['error'] {
  const { code, message, path, details } = err.toJSON();
  const keepDetails = details !== undefined && JSON.stringify(details).length <= MAX_ERROR_DETAILS;
  return {
    code,
    message: clip(message, MAX_ERROR_MESSAGE),
    ...(path !== undefined ? { path: clip(path, 200) } : {}),
    ...(keepDetails ? { details } : {}),
  };
}

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

/**
 * Bounds on slow clients, for both servers' node:http options: a request's headers must arrive within 10 s and the
 * whole request within 30 s, checked every second. Node's defaults (60 s and 300 s, checked every 30 s) let a
 * slowloris client (headers sent a byte at a time) hold each of its sockets, and a file descriptor, for a minute or
 * more. Responses are not bounded (an SSE stream or a WebSocket lives on).
 */
export const SLOW_CLIENT_LIMITS = { headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 } as const;

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
