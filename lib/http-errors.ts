// The error answer shape and the slow-client bounds both servers share, without hono: the agent's own router
// (daemon/api/router.ts) uses them and must not load hono (issue 14).
import { z } from 'zod';
import type { ErisError } from './errors.js';
import { clip } from './text.js';

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

/**
 * Bounds on slow clients, for both servers' node:http options: a request's headers must arrive within 10 s and the
 * whole request within 30 s, checked every second. Node's defaults (60 s and 300 s, checked every 30 s) let a
 * slowloris client (headers sent a byte at a time) hold each of its sockets, and a file descriptor, for a minute or
 * more. Responses are not bounded (an SSE stream or a WebSocket lives on).
 */
export const SLOW_CLIENT_LIMITS = { headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 } as const;
