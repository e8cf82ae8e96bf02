// HTTP plumbing shared by the agent and the coordinator: one error shape, JSON body parsing that names the problem.
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from './logger.js';
import { ErisError, ValidationError } from './errors.js';

export interface ErrorBody {
  error: { code: string; message: string; path?: string; details?: Record<string, unknown> };
}

export function errorHandler(logger: Logger): ErrorHandler {
  return function onError(err, c) {
    if (err instanceof ErisError) {
      if (err.status >= 500) logger.error({ err, path: c.req.path }, 'request failed');
      return c.json({ error: err.toJSON() } satisfies ErrorBody, err.status as 400);
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
