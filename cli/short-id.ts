// Short ids: the CLI prints the first 8 characters of a run's or a fault's id; every command that takes an id
// accepts any prefix that names exactly one. Resolved here from the coordinator's lists (the 1000 newest runs,
// every immediate fault), so the API stays as it is; a whole id is passed through untouched.
import type { ErisClient } from '../sdk/client.js';
import { UsageError } from './exit.js';

/** A whole id (a UUID) needs no lookup. */
const WHOLE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The one id in `ids` that starts with `prefix`; a usage error naming the candidates when there are none or several. */
export function matchPrefix(kind: 'run' | 'fault', prefix: string, ids: readonly string[]): string {
  const p = prefix.toLowerCase();
  const hits = ids.filter((id) => id.toLowerCase().startsWith(p));
  if (hits.length === 1) return hits[0]!;
  if (hits.length === 0) throw new UsageError(`ERIS_ERR_NOT_FOUND: no ${kind} ${prefix} (no ${kind} id starts with it; eris ${kind}s ls)`);
  const shown = hits.slice(0, 5).join(', ');
  throw new UsageError(`ERIS_ERR_AMBIGUOUS_ID: ${kind} id ${prefix} is ambiguous: ${hits.length} ${kind}s start with it (${shown}${hits.length > 5 ? ', …' : ''}); give more characters`);
}

export async function resolveRunId(client: ErisClient, prefix: string): Promise<string> {
  if (WHOLE.test(prefix)) return prefix;
  if (prefix === '') throw new UsageError('run id: empty');
  return matchPrefix('run', prefix, (await client.runs.list({ limit: 1000 })).map((r) => r.id));
}

export async function resolveFaultId(client: ErisClient, prefix: string): Promise<string> {
  if (WHOLE.test(prefix)) return prefix;
  if (prefix === '') throw new UsageError('fault id: empty');
  return matchPrefix('fault', prefix, (await client.faults.list()).map((f) => f.id));
}
