// Property-based fuzzing (fast-check) of every operation of a real coordinator process (bin/eris.js coordinator),
// driven by its committed OpenAPI document: random path parameters, queries and bodies per operation. Never a 500
// (nor a 5xx the document does not list for that operation), the process never exits, every 4xx body has
// `error.code` and a validation error names its `path`, and /healthz answers within 1 s throughout. Probe URLs the
// fuzzer writes are loopback ones, which the coordinator's default probe policy refuses without contact.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { startCoordinatorProcess, type ErisProcess } from './harness/agent-process.js';
import { freePort } from './harness/ports.js';
import { pathsOf, replaceAt } from './harness/json-paths.js';

const TOKEN = 'fuzz-http-operator-token-0123456789';
const SEED = Number(process.env.ERIS_FUZZ_SEED ?? Date.now() % 2 ** 31);
const RUNS = Number(process.env.ERIS_FUZZ_HTTP_RUNS ?? 8000);
const doc = JSON.parse(readFileSync(new URL('../schemas/openapi/coordinator.json', import.meta.url), 'utf8'));

interface Operation { method: string; path: string; params: { in: string; name: string }[]; body: boolean; statuses: Set<string>; keys: string[] }
function resolve(schema: any): any {
  while (schema?.$ref) schema = schema.$ref.split('/').slice(1).reduce((o: any, k: string) => o[k], doc);
  return schema;
}
function propertyNames(schema: any, depth = 0): string[] {
  schema = resolve(schema);
  if (!schema || depth > 3) return [];
  const out = Object.keys(schema.properties ?? {});
  for (const k of ['anyOf', 'oneOf', 'allOf']) for (const s of schema[k] ?? []) out.push(...propertyNames(s, depth + 1));
  return [...new Set(out)];
}
const operations: Operation[] = [];
for (const [path, ops] of Object.entries<any>(doc.paths)) {
  for (const [method, op] of Object.entries<any>(ops)) {
    if (!op?.responses) continue;
    const json = op.requestBody?.content?.['application/json']?.schema;
    operations.push({ method: method.toUpperCase(), path, params: op.parameters ?? [], body: op.requestBody !== undefined, statuses: new Set(Object.keys(op.responses)), keys: json ? propertyNames(json) : [] });
  }
}

/** The example drill with its probe URLs on loopback (refused by the default probe policy, never contacted). */
const DRILL = parseYaml(readFileSync(new URL('../examples/freeze-30s-guarded.yaml', import.meta.url), 'utf8')) as any;
DRILL.spec.probes['cluster-health'].url = 'http://127.0.0.1:9/health';
DRILL.spec.probes['member-health'].url = 'http://127.0.0.1:9/{{target.pod}}/health';
const FAULT = { cluster: 'c', signal: 'SIGSTOP', lease: '2s', targets: { namespaces: ['x'], pod: '^p$' } };

const mutate = (base: unknown) => fc.tuple(fc.constantFrom(...pathsOf(base)), fc.jsonValue({ maxDepth: 3 })).map(([p, v]) => replaceAt(base, p, v));

/** Strings a server may meet in a path or a query: random text, regex bombs, numbers, traversal, long ones. */
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ maxLength: 40, unit: 'binary' }),
  fc.constantFrom('', '0', '-1', '1e309', 'NaN', 'true', '..', '../../etc/passwd', '(a+)+$', '(.*a){20}$', '[', '%', '%00', 'a'.repeat(5000), 'app=x,tier', '=', 'active', 'json', 'html', '__proto__', 'constructor'),
);

const request = (op: Operation) =>
  fc.record({
    params: fc.record(Object.fromEntries(op.params.map((p) => [p.name, fc.option(text, { nil: undefined })]))),
    extra: fc.option(fc.tuple(text, text), { nil: undefined }),
    body: op.body
      ? fc.oneof(
          fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
          fc.string({ maxLength: 100 }),
          fc.dictionary(fc.constantFrom(...op.keys, 'x'), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }).map((v) => JSON.stringify(v)),
          mutate(FAULT).map((v) => JSON.stringify(v)),
          mutate(DRILL).map((v) => JSON.stringify(op.path === '/v1/runs' ? { drill: v } : v)),
          mutate({ drill: 'freeze-30s-guarded', dryRun: true }).map((v) => JSON.stringify(v)),
        )
      : fc.constant(undefined),
    token: fc.constantFrom(TOKEN, TOKEN, TOKEN, TOKEN, '', 'wrong-token'),
  });
const anyRequest = fc.constantFrom(...operations).chain((op) => request(op).map((r) => ({ op, ...r })));

describe('fuzz: coordinator HTTP API (fast-check, real process)', { timeout: 180_000 }, () => {
  let dir: string;
  let coordinator: ErisProcess;
  let url: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-fuzz-http-'));
    const port = await freePort();
    coordinator = await startCoordinatorProcess(['--listen', `127.0.0.1:${port}`, '--data-dir', dir, '--rate-limit', '0'], TOKEN);
    url = coordinator.url;
    // The default probe policy refuses the drill's loopback probes: an upload is a 422 naming the URL, never a contact.
    const stored = await fetch(`${url}/v1/drills`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(DRILL) });
    assert.equal(stored.status, 422, await stored.text());
  });
  after(async () => {
    await coordinator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every fuzzed request without a 5xx, with error codes and named fields, and stays healthy', async () => {
    let cases = 0;
    const byStatus = new Map<number, number>();
    let healthWorst = 0;
    let healthChecks = 0;
    let fuzzing = true;
    const health = (async () => {
      while (fuzzing) {
        const started = performance.now();
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        assert.equal(res.status, 200);
        healthWorst = Math.max(healthWorst, performance.now() - started);
        healthChecks++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const started = performance.now();
    try {
      await fc.assert(
        fc.asyncProperty(anyRequest, async ({ op, params, extra, body, token }) => {
          cases++;
          let path = op.path;
          const query = new URLSearchParams();
          for (const p of op.params) {
            const v = params[p.name];
            if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(v ?? 'x') || 'x');
            else if (v !== undefined && p.name !== 'follow') query.set(p.name, v);
          }
          if (extra) query.set(extra[0], extra[1]);
          const target = `${url}${path}${query.size > 0 ? `?${query}` : ''}`;
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (token !== '') headers.authorization = `Bearer ${token}`;
          const res = await fetch(target, { method: op.method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(10_000) });
          const type = res.headers.get('content-type') ?? '';
          const textBody = type.includes('event-stream') ? '' : await res.text();
          if (type.includes('event-stream')) await res.body?.cancel();
          byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
          const where = `${op.method} ${target.slice(url.length, url.length + 200)} → ${res.status} ${textBody.slice(0, 300)}`;
          assert.ok(res.status !== 500 && (res.status < 500 || op.statuses.has(String(res.status))), `server error: ${where}`);
          if (res.status >= 400) {
            const error = JSON.parse(textBody).error;
            assert.ok(typeof error?.code === 'string' && error.code.length > 0, `no error.code: ${where}`);
            if (error.code === 'ERIS_ERR_VALIDATION') assert.ok(typeof error.path === 'string' || /\w+(\.\w+|\[\d+\])*:/.test(error.message), `validation error names no field: ${where}`);
          }
        }),
        { numRuns: RUNS, seed: SEED },
      );
    } finally {
      fuzzing = false;
      await health;
    }
    const ms = Math.round(performance.now() - started);
    console.log(`coordinator HTTP: ${cases} cases in ${ms} ms, ${[...byStatus].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0)} 5xx (statuses ${JSON.stringify(Object.fromEntries([...byStatus].sort()))}); /healthz ${healthChecks} checks, worst ${Math.round(healthWorst)} ms (seed ${SEED})`);
    assert.ok(healthWorst < 1000);
    // Still the same process, still answering.
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
  });
});
