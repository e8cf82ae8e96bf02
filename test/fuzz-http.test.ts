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
import { hostileText, operationsOf, pollHealth, sendAndJudge, statusSummary, type Operation } from './harness/openapi-fuzz.js';

const TOKEN = 'fuzz-http-operator-token-0123456789';
const SEED = Number(process.env.ERIS_FUZZ_SEED ?? Date.now() % 2 ** 31);
const RUNS = Number(process.env.ERIS_FUZZ_HTTP_RUNS ?? 8000);
const doc = JSON.parse(readFileSync(new URL('../schemas/openapi/coordinator.json', import.meta.url), 'utf8'));

const operations = operationsOf(doc);

/** The example drill with its probe URLs on loopback (refused by the default probe policy, never contacted). */
const DRILL = parseYaml(readFileSync(new URL('../examples/freeze-30s-guarded.yaml', import.meta.url), 'utf8')) as any;
DRILL.spec.probes['cluster-health'].url = 'http://127.0.0.1:9/health';
DRILL.spec.probes['member-health'].url = 'http://127.0.0.1:9/{{target.pod}}/health';
const FAULT = { cluster: 'c', signal: 'SIGSTOP', lease: '2s', targets: { namespaces: ['x'], pod: '^p$' } };

const mutate = (base: unknown) => fc.tuple(fc.constantFrom(...pathsOf(base)), fc.jsonValue({ maxDepth: 3 })).map(([p, v]) => replaceAt(base, p, v));

const request = (op: Operation) =>
  fc.record({
    params: fc.record(Object.fromEntries(op.params.map((p) => [p.name, fc.option(hostileText, { nil: undefined })]))),
    extra: fc.option(fc.tuple(hostileText, hostileText), { nil: undefined }),
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
    const health = pollHealth(url);
    const started = performance.now();
    let healthSeen = { checks: 0, worstMs: 0 };
    try {
      await fc.assert(
        fc.asyncProperty(anyRequest, async (r) => {
          cases++;
          const status = await sendAndJudge(url, r, ['follow']);
          byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
        }),
        { numRuns: RUNS, seed: SEED },
      );
    } finally {
      healthSeen = await health.stop();
    }
    const ms = Math.round(performance.now() - started);
    console.log(`coordinator HTTP: ${cases} cases in ${ms} ms, ${statusSummary(byStatus)}; /healthz ${healthSeen.checks} checks, worst ${Math.round(healthSeen.worstMs)} ms (seed ${SEED})`);
    assert.ok(healthSeen.worstMs < 1000);
    // Still the same process, still answering.
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
  });
});
