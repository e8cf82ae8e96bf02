// What every Store implementation shares: JSON encoding of values and the argument checks, so they fail alike.
import { ValidationError } from '../../lib/errors.js';
import { AUDIT_RESULTS, isRunStatus, type ListAuditQuery, type ListEventsQuery, type ListRunsQuery, type NewAuditRecord, type NewEvent, type RunStatus } from './types.js';

// A plain Error has no enumerable fields (JSON.stringify gives {}); keep what identifies it. ErisErrors have toJSON().
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code !== undefined ? { code } : {}) };
  }
  return value;
}

/** JSON text of a stored value; undefined is stored as null. */
export function encodeJson(value: unknown, path: string): string {
  try {
    return JSON.stringify(value, replacer) ?? 'null';
  } catch (cause) {
    throw new ValidationError(`${path}: not JSON-serialisable: ${(cause as Error).message}`, { path, cause });
  }
}

export function decodeJson(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

export function checkStatus(status: unknown, path: string): RunStatus {
  if (!isRunStatus(status)) throw new ValidationError(`${path}: not a run status: ${JSON.stringify(status)}`, { path });
  return status;
}

export function checkStatuses(status: ListRunsQuery['status']): RunStatus[] | undefined {
  if (status === undefined) return undefined;
  const list = typeof status === 'string' ? [status] : [...status];
  list.forEach((s, i) => checkStatus(s, typeof status === 'string' ? 'status' : `status[${i}]`));
  return list;
}

export function checkLimit(limit: number | undefined): number | undefined {
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
    throw new ValidationError(`limit: must be a positive integer, got ${limit}`, { path: 'limit' });
  }
  return limit;
}

export function checkEventsQuery(query: ListEventsQuery): { afterSeq: number; limit: number | undefined } {
  const afterSeq = query.afterSeq ?? 0;
  if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) {
    throw new ValidationError(`afterSeq: must be an integer ≥ 0, got ${afterSeq}`, { path: 'afterSeq' });
  }
  return { afterSeq, limit: checkLimit(query.limit) };
}

export function checkEvent(event: NewEvent): void {
  if (typeof event.type !== 'string' || event.type === '') throw new ValidationError('type: must be a non-empty string', { path: 'type' });
  if (!Number.isFinite(event.at)) throw new ValidationError(`at: must be a time in Unix ms, got ${event.at}`, { path: 'at' });
}

export function checkAuditRecord(record: NewAuditRecord): void {
  if (typeof record.action !== 'string' || record.action === '') throw new ValidationError('action: must be a non-empty string', { path: 'action' });
  if (!Number.isFinite(record.at)) throw new ValidationError(`at: must be a time in Unix ms, got ${record.at}`, { path: 'at' });
  if (!(AUDIT_RESULTS as readonly string[]).includes(record.result)) throw new ValidationError(`result: must be one of ${AUDIT_RESULTS.join(', ')}`, { path: 'result' });
}

export function checkAuditQuery(query: ListAuditQuery): ListAuditQuery {
  for (const key of ['since', 'until', 'beforeSeq'] as const) {
    const v = query[key];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw new ValidationError(`${key}: must be an integer ≥ 0, got ${v}`, { path: key });
  }
  checkLimit(query.limit);
  return query;
}
