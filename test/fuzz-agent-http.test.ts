// Property-based fuzzing (fast-check) of every operation of a real host-mode agent (bin/eris.js agent
// --host-processes), driven by its OpenAPI document (schemas/openapi/agent.json): random path parameters, queries
// and bodies, fault requests with one node replaced, with the token, a wrong one and none. Never a 500 (nor a 5xx the
// document does not list for that operation), the process never exits, every 4xx body has `error.code` and a
// validation error names its field, and /healthz answers within 1 s throughout.
//
// The faults are real: the agent runs in a PID namespace of its own (unshare --pid --mount-proc), where the only
// processes are the namespace's init (PID 1, never a target), the agent and its watchdog (eris processes, never
// targets), and `sleep 100000`s the test keeps topping up (nsenter) for the fuzzer's faults to stop, kill and resume.
// A fuzzed PID or command-line regex cannot reach anything else.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { startErisProcess, type ErisProcess } from './harness/agent-process.js';
import { pathsOf, replaceAt } from './harness/json-paths.js';
import { hostileText, operationsOf, pollHealth, sendAndJudge, statusSummary, type Operation } from './harness/openapi-fuzz.js';
import { testbedSkipReason } from './harness/requirements.js';
import { childrenOf, procState, waitFor } from './harness/processes.js';
import { assertBuilt } from './cli-harness.js';

const TOKEN = 'fuzz-agent-http-token-0123456789';
const SEED = Number(process.env.ERIS_FUZZ_SEED ?? Date.now() % 2 ** 31);
const RUNS = Number(process.env.ERIS_FUZZ_AGENT_RUNS ?? 5000);
const doc = JSON.parse(readFileSync(new URL('../schemas/openapi/agent.json', import.meta.url), 'utf8'));
const operations = operationsOf(doc);

/** Stands for the PID (in the namespace) of a live sleep, filled in when the case runs. */
const LIVE_PID = 4_242_424;

/** Fault requests that land on the namespace's sleeps, one node of which the fuzzer replaces. */
const FAULTS: unknown[] = [
  { signal: 'SIGSTOP', target: { pids: [LIVE_PID, LIVE_PID] }, leaseSeconds: 0.5 },
  { signal: 'SIGSTOP', target: { cmdline: '^sleep 100000$' }, leaseSeconds: 1, scope: 'init', labels: { run: 'r1' } },
  { signal: 'SIGSTOP', target: { pids: [LIVE_PID], startTimes: ['1'] }, method: 'signal', override: ['protected-process'] },
  { signal: 'SIGCONT', target: { cmdline: 'sleep' } },
  { signal: 'SIGKILL', target: { containerIds: ['abc'] } },
  { signal: 'SIGSTOP', target: { selector: { namespace: 'x', pod: '^p$', containers: ['c'], labels: { app: 'x' } } }, method: 'freezer', leaseSeconds: 2 },
];
const mutate = (base: unknown) => fc.tuple(fc.constantFrom(...pathsOf(base)), fc.jsonValue({ maxDepth: 3 })).map(([p, v]) => replaceAt(base, p, v));
const pid = fc.oneof({ weight: 6, arbitrary: fc.constant(LIVE_PID) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 12 }) }, fc.integer(), fc.double());

/** Fault requests that are valid, or nearly: they reach the signal paths (stop, kill, lease, resume), not only validation. */
const validish = fc
  .record(
    {
      signal: fc.constantFrom('SIGSTOP', 'SIGSTOP', 'SIGSTOP', 'stop', 'SIGCONT', 'SIGKILL', 'SIGTERM'),
      target: fc.oneof(fc.record({ pids: fc.array(pid, { minLength: 1, maxLength: 4 }) }), fc.record({ cmdline: fc.constantFrom('^sleep 100000$', '^sleep 100000$', 'sleep', '^sh ', '.', 'eris', 'a{1000}', '(a+)+$') })),
      leaseSeconds: fc.constantFrom(0.2, 0.5, 0.5, 1, 1, 3600, 1e9, 0, -1),
      scope: fc.constantFrom('all', 'init'),
      override: fc.subarray(['protected-process', 'denied-namespace']),
    },
    { requiredKeys: ['signal', 'target'] },
  )
  // Mostly a lease on a stop only, as a valid request has; now and then on another signal.
  .chain((r) => fc.nat(9).map((n) => (n === 0 || /stop/i.test(r.signal) ? r : { ...r, leaseSeconds: undefined })));

/** Fault ids the agent handed out; a path's `{id}` is one of them half the time (resolved when the case runs). */
const faultIds: string[] = [];
const KNOWN_ID = '\u0000known-fault';

const request = (op: Operation) =>
  fc.record({
    params: fc.record(
      Object.fromEntries(op.params.map((p) => [p.name, p.in === 'path' ? fc.oneof(fc.constant(KNOWN_ID), hostileText) : fc.option(fc.oneof(hostileText, fc.constantFrom('sleep', '^sleep 100000$', 'true', 'false', 'active', 'resumed')), { nil: undefined })])),
    ),
    extra: fc.option(fc.tuple(hostileText, hostileText), { nil: undefined }),
    body: op.body
      ? fc.oneof(
          { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
          { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
          { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...op.keys, 'x'), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }).map((v) => JSON.stringify(v)) },
          { weight: 4, arbitrary: fc.constantFrom(...FAULTS).chain(mutate).map((v) => JSON.stringify(v)) },
          { weight: 3, arbitrary: validish.map((v) => JSON.stringify(v)) },
        )
      : fc.constant(undefined),
    token: fc.constantFrom(TOKEN, TOKEN, TOKEN, TOKEN, '', 'wrong-token-0123456789'),
  });
const op = (method: string, path: string) => operations.find((o) => o.method === method && o.path === path)!;
/** Queries of /v1/targets that mostly pass validation, so the listing and matching code runs, not only the schema. */
const targetsQuery = fc.record(
  {
    cmdline: fc.constantFrom('sleep', '^sleep 100000$', '.', '(a+)+$', '(.*a){20}$', 'a'.repeat(5000), '['),
    pod: fc.constantFrom('^p$', '.', '(a+)+$'),
    container: fc.constantFrom('c', '.*'),
    namespace: fc.constantFrom('default', 'x'),
    labels: fc.constantFrom('app=x', 'a=b,c=d', 'x'),
    processes: fc.constantFrom('true', 'false', 'yes'),
    refresh: fc.constantFrom('true', 'false'),
  },
  { requiredKeys: [] },
);
const anyRequest = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...operations).chain((o) => request(o).map((r) => ({ op: o, ...r }))) },
  { weight: 2, arbitrary: validish.map((v) => ({ op: op('POST', '/v1/faults'), params: {}, extra: undefined, body: JSON.stringify(v), token: TOKEN })) },
  { weight: 1, arbitrary: targetsQuery.map((q) => ({ op: op('GET', '/v1/targets'), params: q as Record<string, string>, extra: undefined, body: undefined, token: TOKEN })) },
);

describe('fuzz: agent HTTP API (fast-check, real host-mode agent in a PID namespace)', { timeout: 180_000, skip: testbedSkipReason(['unshare']) }, () => {
  let dir: string;
  let agent: ErisProcess;
  /** The namespace's init, as the host sees it. */
  let nsInit: number;
  let nsPidLink: string;

  /** The namespace's `sleep 100000`s that are not stopped: [host pid, pid in the namespace]. */
  const liveSleeps = (): Array<[number, number]> => {
    const out: Array<[number, number]> = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        if (readlinkSync(`/proc/${name}/ns/pid`) !== nsPidLink || readFileSync(`/proc/${name}/cmdline`, 'utf8') !== 'sleep\u0000100000\u0000') continue;
        if (procState(Number(name)) !== 'S') continue;
        const ids = readFileSync(`/proc/${name}/status`, 'utf8').split('\n').find((l) => l.startsWith('NSpid:'))!.split(/\s+/).slice(1);
        out.push([Number(name), Number(ids[ids.length - 1])]);
      } catch {
        // exited meanwhile
      }
    }
    return out;
  };
  /**
   * Starts sleeps in the namespace (children of its init once their shell exits) until 6 are live; returns the PIDs
   * (in the namespace) of those live now (a new one counts once it has exec'd).
   */
  const topUp = (): number[] => {
    const live = liveSleeps();
    const missing = 6 - live.length;
    if (missing > 0) {
      const script = Array.from({ length: missing }, () => 'sleep 100000 >/dev/null 2>&1 &').join(' ');
      spawnSync('nsenter', ['-t', String(nsInit), '-p', '-m', 'sh', '-c', script], { stdio: 'ignore' });
    }
    return live.map(([, ns]) => ns);
  };

  before(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'eris-fuzz-agent-'));
    // The namespace's init is a shell waiting for the agent; --kill-child ends the namespace, all of it, when unshare goes.
    agent = await startErisProcess(['agent', '--listen', '127.0.0.1:0', '--state-dir', dir, '--no-cri', '--host-processes'], {
      token: TOKEN,
      env: { ERIS_AGENT_TOKEN: TOKEN },
      ready: 'eris-agent listening',
      prefix: ['unshare', '--pid', '--fork', '--kill-child', '--mount-proc', 'sh', '-c', '"$@"; :', 'ns-init'],
    });
    nsInit = childrenOf(agent.child.pid!)[0]!;
    assert.ok(nsInit > 0, 'the namespace init');
    nsPidLink = readlinkSync(`/proc/${nsInit}/ns/pid`);
    topUp();
    await waitFor(() => liveSleeps().length >= 6, 5000, 'sleeps in the namespace');
  });
  after(async () => {
    // unshare's --kill-child takes the namespace's init, and with it every process in the namespace.
    await agent?.stop('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers every fuzzed request without a 5xx, with error codes and named fields, and stays healthy', async () => {
    let cases = 0;
    let live: number[] = [];
    const byStatus = new Map<number, number>();
    const byOperation = new Map<string, number>();
    const health = pollHealth(agent.url);
    const started = performance.now();
    let seen = { checks: 0, worstMs: 0 };
    try {
      await fc.assert(
        fc.asyncProperty(anyRequest, async (r) => {
          cases++;
          if (cases % 100 === 1) live = topUp();
          const params = Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, v === KNOWN_ID ? (faultIds[cases % Math.max(1, faultIds.length)] ?? 'none') : v]));
          let n = 0;
          const body = r.body?.replaceAll(String(LIVE_PID), () => String(live[(cases + n++) % Math.max(1, live.length)] ?? 99999));
          const status = await sendAndJudge(agent.url, { ...r, params, body }, [], (body) => {
            if (r.op.method === 'POST' && r.op.path === '/v1/faults' && typeof body?.id === 'string') faultIds.push(body.id);
          });
          byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
          const key = `${r.op.method} ${r.op.path} ${status}`;
          byOperation.set(key, (byOperation.get(key) ?? 0) + 1);
        }),
        { numRuns: RUNS, seed: SEED },
      );
    } finally {
      seen = await health.stop();
    }
    const ms = Math.round(performance.now() - started);
    console.log(`agent HTTP: ${cases} cases in ${ms} ms, ${statusSummary(byStatus)}; ${faultIds.length} faults placed; /healthz ${seen.checks} checks, worst ${Math.round(seen.worstMs)} ms (seed ${SEED})`);
    console.log(`agent HTTP by operation: ${JSON.stringify(Object.fromEntries([...byOperation].sort()))}`);
    assert.ok(seen.worstMs < 1000);
    // Faults really landed (the fuzzing reached the signal paths, not only validation).
    assert.ok(faultIds.length > 0, 'no fault was placed');
    // Still the same process, still answering, and every fault it holds is one it can report.
    assert.equal(agent.child.exitCode, null);
    assert.equal((await fetch(`${agent.url}/healthz`)).status, 200);
    const list = await agent.api('GET', '/v1/faults');
    assert.equal(list.status, 200);
  });
});
