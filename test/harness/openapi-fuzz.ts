// What the HTTP fuzz tests share: the operations of an OpenAPI document (what to call, with which parameters, which
// statuses it may answer), hostile strings for paths and queries, one request sent and its answer judged, and a
// /healthz poller that must answer within a second throughout.
import assert from 'node:assert/strict';
import fc from 'fast-check';

export interface Operation {
  method: string;
  path: string;
  params: { in: string; name: string }[];
  body: boolean;
  statuses: Set<string>;
  /** Property names of the JSON body (and its unions), for dictionaries that look like real requests. */
  keys: string[];
}

/** Every operation of an OpenAPI document. */
export function operationsOf(doc: any): Operation[] {
  const resolve = (schema: any): any => {
    while (schema?.$ref) schema = schema.$ref.split('/').slice(1).reduce((o: any, k: string) => o[k], doc);
    return schema;
  };
  const propertyNames = (schema: any, depth = 0): string[] => {
    schema = resolve(schema);
    if (!schema || depth > 3) return [];
    const out = Object.keys(schema.properties ?? {});
    for (const k of ['anyOf', 'oneOf', 'allOf']) for (const s of schema[k] ?? []) out.push(...propertyNames(s, depth + 1));
    for (const s of Object.values<any>(schema.properties ?? {})) out.push(...propertyNames(s, depth + 1));
    return [...new Set(out)];
  };
  const operations: Operation[] = [];
  for (const [path, ops] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(ops)) {
      if (!op?.responses) continue;
      const json = op.requestBody?.content?.['application/json']?.schema;
      operations.push({ method: method.toUpperCase(), path, params: op.parameters ?? [], body: op.requestBody !== undefined, statuses: new Set(Object.keys(op.responses)), keys: json ? propertyNames(json) : [] });
    }
  }
  return operations;
}

/** Strings a server may meet in a path or a query: random text, regex bombs, numbers, traversal, long ones. */
export const hostileText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ maxLength: 40, unit: 'binary' }),
  fc.constantFrom('', '0', '-1', '1e309', 'NaN', 'true', '..', '../../etc/passwd', '(a+)+$', '(.*a){20}$', '[', '%', '%00', 'a'.repeat(5000), 'app=x,tier', '=', 'active', 'json', 'html', '__proto__', 'constructor'),
);

export interface FuzzedRequest {
  op: Operation;
  params: Record<string, string | undefined>;
  extra?: [string, string] | undefined;
  body?: string | undefined;
  token: string;
}

/**
 * Sends one fuzzed request and judges the answer; returns its status. `skipQuery` names parameters never sent (a
 * stream's `follow`); `onAnswer` sees a 2xx JSON body.
 */
export async function sendAndJudge(baseUrl: string, r: FuzzedRequest, skipQuery: readonly string[] = [], onAnswer?: (body: any) => void): Promise<number> {
  const { op, params, extra, body, token } = r;
  let path = op.path;
  const query = new URLSearchParams();
  for (const p of op.params) {
    const v = params[p.name];
    if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(v ?? 'x') || 'x');
    else if (v !== undefined && !skipQuery.includes(p.name)) query.set(p.name, v);
  }
  if (extra) query.set(extra[0], extra[1]);
  const target = `${baseUrl}${path}${query.size > 0 ? `?${query}` : ''}`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== '') headers.authorization = `Bearer ${token}`;
  const res = await fetch(target, { method: op.method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(10_000) });
  const type = res.headers.get('content-type') ?? '';
  const textBody = type.includes('event-stream') ? '' : await res.text();
  if (type.includes('event-stream')) await res.body?.cancel();
  const where = `${op.method} ${target.slice(baseUrl.length, baseUrl.length + 200)} → ${res.status} ${textBody.slice(0, 300)}`;
  assert.ok(res.status !== 500 && (res.status < 500 || op.statuses.has(String(res.status))), `server error: ${where}`);
  if (res.status >= 400) {
    const error = JSON.parse(textBody).error;
    assert.ok(typeof error?.code === 'string' && error.code.length > 0, `no error.code: ${where}`);
    if (error.code === 'ERIS_ERR_VALIDATION') assert.ok(typeof error.path === 'string' || /\w+(\.\w+|\[\d+\])*:/.test(error.message), `validation error names no field: ${where}`);
  } else if (onAnswer && type.includes('json')) onAnswer(JSON.parse(textBody));
  return res.status;
}

/** Polls `${baseUrl}/healthz` every 100 ms until `stop()`, each answer a 200 within a second; `stop()` gives the worst. */
export function pollHealth(baseUrl: string): { stop(): Promise<{ checks: number; worstMs: number }> } {
  let polling = true;
  let checks = 0;
  let worstMs = 0;
  let failed: unknown;
  // A failure ends the polling and is thrown by stop() (never an unhandled rejection while the test goes on).
  const loop = (async () => {
    while (polling) {
      const started = performance.now();
      const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      assert.equal(res.status, 200);
      worstMs = Math.max(worstMs, performance.now() - started);
      checks++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })().catch((err: unknown) => {
    failed = err;
  });
  return {
    async stop() {
      polling = false;
      await loop;
      if (failed !== undefined) throw failed;
      return { checks, worstMs };
    },
  };
}

/** `{"200":n,…}` and the number of 5xx, for the line a fuzz test prints. */
export function statusSummary(byStatus: Map<number, number>): string {
  const fives = [...byStatus].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
  return `${fives} 5xx (statuses ${JSON.stringify(Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0])))})`;
}
