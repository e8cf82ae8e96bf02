// GET /v1/audit: the audit trail, newest first, filtered and paged.
import type { Hono } from 'hono';
import { z } from 'zod';
import { parseOrThrow } from '../../lib/validation.js';
import type { Store } from '../store/types.js';
import type { CoordinatorVariables } from '../auth/middleware.js';
import { isScoped } from '../auth/roles.js';
import type { auditPageSchema } from './schemas.js';

/** A time as Unix ms or an ISO 8601 date (`2026-12-03T12:00:00Z`). */
const time = z.string().transform((s, ctx) => {
  const ms = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isSafeInteger(ms) || ms < 0) {
    ctx.addIssue({ code: 'custom', message: 'must be Unix ms or an ISO 8601 time' });
    return z.NEVER;
  }
  return ms;
});

export const auditQuerySchema = z.strictObject({
  since: time.optional().meta({ description: 'Unix ms or ISO 8601; records at or after it' }),
  until: time.optional().meta({ description: 'Unix ms or ISO 8601; records before it' }),
  actor: z.string().min(1).max(64).optional().meta({ description: 'Token id' }),
  action: z.string().min(1).max(64).optional().meta({ description: 'run.start, run.abort, fault.create, fault.resume, resume.all, drill.save, drill.delete, override.use, auth.refused, agent.refused' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** The `nextCursor` of the previous page. */
  cursor: z.coerce.number().int().min(1).optional().meta({ description: 'nextCursor of the previous page' }),
});

export function registerAuditRoutes(app: Hono<{ Variables: CoordinatorVariables }>, store: Store): void {
  app.get('/v1/audit', (c) => {
    const q = parseOrThrow(auditQuerySchema, c.req.query(), 'query');
    const p = c.get('principal');
    // A scoped token sees its own records only: the others name clusters and targets outside its scope.
    const actor = isScoped(p) ? p.id : q.actor;
    if (isScoped(p) && q.actor !== undefined && q.actor !== p.id) return c.json({ records: [], nextCursor: null });
    const records = store.listAudit({
      ...(q.since !== undefined ? { since: q.since } : {}),
      ...(q.until !== undefined ? { until: q.until } : {}),
      ...(actor !== undefined ? { actor } : {}),
      ...(q.action !== undefined ? { action: q.action } : {}),
      ...(q.cursor !== undefined ? { beforeSeq: q.cursor } : {}),
      limit: q.limit,
    });
    return c.json({ records, nextCursor: records.length === q.limit ? records.at(-1)!.seq : null } satisfies z.output<typeof auditPageSchema>);
  });
}
