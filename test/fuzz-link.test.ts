// Property-based fuzzing (fast-check) of the live agent link: a real `eris coordinator` process, and per case one
// WebSocket that says a fuzzed hello (valid, with one node replaced, or anything) and then a fuzzed stream of
// updates (inventories, fault updates, replies; valid, mutated, arbitrary JSON, text that is not JSON, binary
// frames). After the stream, a WebSocket ping: the pong means the coordinator took every message (it handles them
// synchronously, in order), a close must be the one the link schemas predict — 4400 for a bad hello, 4403 for a hello
// outside the token's binding, 4402 for a bad update — with the reason naming the field (`closeReason` of what
// `parseLinkMessage` says). Never 1011 (a failure inside the coordinator), never a crash; /healthz answers within 1 s
// throughout; and a real agent on its own link stays connected (never replaced), answers the commands a selection
// sends it, and freezes and resumes a process at the end.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import WebSocket from 'ws';
import { startAgentProcess, startCoordinatorProcess, type ErisProcess } from './harness/agent-process.js';
import { pathsOf, replaceAt } from './harness/json-paths.js';
import { container, hello } from './harness/link-peer.js';
import { pollHealth } from './harness/openapi-fuzz.js';
import { isRunning, killTree, procState, spawnTree, waitFor } from './harness/processes.js';
import { assertBuilt } from './cli-harness.js';
import { agentHelloSchema, agentUpdateSchema, CLOSE, closeReason, LINK_PATH, parseLinkMessage } from '../lib/link/protocol.js';

const SEED = Number(process.env.ERIS_FUZZ_SEED ?? Date.now() % 2 ** 31);
const RUNS = Number(process.env.ERIS_FUZZ_LINK_RUNS ?? 2000);
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const T = {
  /** Legacy token (operator and agent of every cluster), for the user API. */
  operator: 'fuzz-link-operator-token-0123456789',
  /** The fuzzer's links: an agent token of cluster `fuzz`, any node. */
  fuzz: 'fuzz-link-agent-token-fuzz-0123456',
  /** The real agent's link: bound to lab/real. */
  real: 'fuzz-link-agent-token-real-0123456',
} as const;

const FAULT = {
  id: 'f-1',
  signal: 'SIGSTOP',
  scope: 'all',
  method: 'signal',
  state: 'active',
  result: 'ok',
  createdAt: 1_700_000_000_000,
  durationMs: 3,
  leaseSeconds: 30,
  leaseExpiresAt: 1_700_000_030_000,
  requestedBy: 'coordinator:x',
  owner: 'someone',
  labels: { run: 'r-1', step: '0' },
  targets: [
    {
      kind: 'process',
      process: { pid: 42, cmdline: 'etcd --name m1 --password=x' },
      processes: [{ pid: 42, startTime: '123', ok: true, verified: true, method: 'pidfd', resume: { ok: true } }],
    },
    { kind: 'container', container: { id: 'c1', name: 'etcd', namespace: 'db', pod: 'etcd-0', podUid: 'u1' }, processes: [] },
  ],
};
const HELLO = hello('fuzz', 'n0', [container('etcd-0', 'etcd', 'db'), container('web-1', 'nginx')], { activeFaults: [FAULT], hostProcesses: false });
const UPDATES: unknown[] = [
  { type: 'inventory', containers: [container('etcd-0', 'etcd', 'db'), container('web-2', 'nginx')] },
  { type: 'fault', fault: FAULT },
  { type: 'fault', fault: { ...FAULT, state: 'resumed', resumedAt: 1_700_000_010_000, resumeReason: 'api' } },
  { type: 'reply', id: 'c-1', ok: true, result: { at: 1 } },
  { type: 'reply', id: 'c-2', ok: false, error: { code: 'ERIS_ERR_VALIDATION', message: 'no', path: 'target' } },
];

const mutate = (base: unknown) => fc.tuple(fc.constantFrom(...pathsOf(base)), fc.jsonValue({ maxDepth: 3 })).map(([p, v]) => replaceAt(base, p, v));
/** One frame: text (JSON or not) or binary. */
type Frame = { text: string } | { binary: Uint8Array };
const json = (v: unknown): Frame => ({ text: JSON.stringify(v) ?? 'null' });
const anyFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map(json),
  fc.string({ maxLength: 60 }).map((text) => ({ text })),
  fc.uint8Array({ maxLength: 60 }).map((binary) => ({ binary })),
  fc.record({ type: fc.constantFrom('hello', 'inventory', 'fault', 'reply', 'command', 'welcome', 'x'), id: fc.jsonValue(), ok: fc.jsonValue(), fault: fc.jsonValue(), containers: fc.jsonValue(), result: fc.jsonValue(), error: fc.jsonValue() }, { requiredKeys: ['type'] }).map(json),
);
/** A hello: valid (as one of a few nodes of `fuzz`, or of another cluster), with one node replaced, or anything. */
const helloFrame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ node: fc.constantFrom('n0', 'n1', 'n2', 'real'), cluster: fc.constantFrom('fuzz', 'fuzz', 'fuzz', 'lab'), hostProcesses: fc.boolean() }).map((o) => json({ ...HELLO, ...o })) },
  { weight: 4, arbitrary: mutate(HELLO).map(json) },
  { weight: 1, arbitrary: anyFrame },
);
const updateFrame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...UPDATES).map(json) },
  { weight: 4, arbitrary: fc.constantFrom(...UPDATES).chain(mutate).map(json) },
  { weight: 2, arbitrary: anyFrame },
);
const linkCase = fc.record({ hello: helloFrame, updates: fc.array(updateFrame, { maxLength: 6 }) });

/** What the coordinator must do with this stream: take it all (`open`), or close with this code and reason. */
function expected(c: { hello: Frame; updates: Frame[] }): { open: true } | { open: false; code: number; reason: string } {
  const text = (f: Frame) => ('text' in f ? f.text : Buffer.from(f.binary).toString());
  const h = parseLinkMessage(agentHelloSchema, text(c.hello), 'hello');
  if (!h.ok) return { open: false, code: CLOSE.badHello, reason: closeReason(h.problem) };
  if (h.message.cluster !== 'fuzz') return { open: false, code: CLOSE.forbidden, reason: closeReason(`token fuzz is bound to cluster fuzz, not ${h.message.cluster}`) };
  for (const u of c.updates) {
    const r = parseLinkMessage(agentUpdateSchema, text(u));
    if (!r.ok) return { open: false, code: CLOSE.badMessage, reason: closeReason(r.problem) };
  }
  return { open: true };
}

describe('fuzz: the agent link (fast-check, real coordinator, real WebSockets)', { timeout: 180_000 }, () => {
  let dir: string;
  let coordinator: ErisProcess;
  let agent: ErisProcess;
  let tree: Awaited<ReturnType<typeof spawnTree>> | undefined;
  const tag = `eris-fuzz-link-${process.pid}`;
  const call = (method: string, path: string, body?: unknown) => coordinator.api(method, path, body, 5000);

  before(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'eris-fuzz-link-'));
    writeFileSync(
      join(dir, 'tokens.yaml'),
      ['tokens:', `  - { id: fuzz, role: agent, sha256: ${sha(T.fuzz)}, cluster: fuzz }`, `  - { id: real, role: agent, sha256: ${sha(T.real)}, cluster: lab, node: real }`].join('\n'),
    );
    coordinator = await startCoordinatorProcess(['--listen', '127.0.0.1:0', '--data-dir', join(dir, 'coordinator'), '--tokens-file', join(dir, 'tokens.yaml'), '--rate-limit', '0', '--command-timeout', '5'], T.operator);
    agent = await startAgentProcess(
      ['--state-dir', join(dir, 'agent'), '--no-cri', '--host-processes', '--coordinator', coordinator.url.replace(/^http/, 'ws'), '--coordinator-token', T.real, '--cluster', 'lab', '--node-name', 'real'],
      'fuzz-link-local-agent-token-0123',
    );
    await waitFor(async () => (await call('GET', '/v1/agents')).body.agents?.some((a: { id: string }) => a.id === 'lab/real'), 10_000, 'the real agent to register');
    tree = await spawnTree(1, tag);
  });

  after(async () => {
    if (tree) killTree(tree.pid);
    await agent?.stop();
    await coordinator?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('takes or closes every fuzzed stream as the schemas say, never dies, and the real agent keeps working', async () => {
    const linkUrl = `${coordinator.url.replace(/^http/, 'ws')}${LINK_PATH}`;
    const realSince = (await call('GET', '/v1/agents')).body.agents.find((a: { id: string }) => a.id === 'lab/real').connectedAt;
    let cases = 0;
    const outcomes = new Map<string, number>();
    let frames = 0;
    const health = pollHealth(coordinator.url);
    // Meanwhile the real agent answers the command a selection sends it (processes.list), within the command timeout.
    let watching = true;
    let selections = 0;
    let selectionWorst = 0;
    let watchError: unknown;
    const watch = (async () => {
      while (watching) {
        const started = performance.now();
        const res = await call('POST', '/v1/selections', { clusters: ['lab'], processes: { cmdline: `# ${tag}$` } });
        assert.equal(res.status, 200, `a selection on the real agent during the fuzzing: ${JSON.stringify(res.body).slice(0, 500)}`);
        assert.equal(res.body.picked?.length, 1, JSON.stringify(res.body).slice(0, 500));
        selectionWorst = Math.max(selectionWorst, performance.now() - started);
        selections++;
        await new Promise((r) => setTimeout(r, 250));
      }
    })().catch((err: unknown) => {
      watchError = err;
    });
    const started = performance.now();
    let seen = { checks: 0, worstMs: 0 };
    try {
      await fc.assert(
        fc.asyncProperty(linkCase, async (c) => {
          cases++;
          const want = expected(c);
          const socket = new WebSocket(linkUrl, { headers: { authorization: `Bearer ${T.fuzz}` } });
          const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
          socket.on('error', () => undefined);
          await new Promise<void>((resolve, reject) => {
            socket.once('open', () => resolve());
            socket.once('unexpected-response', (_req, res) => reject(new Error(`link refused: HTTP ${res.statusCode}`)));
          });
          for (const f of [c.hello, ...c.updates]) {
            if ('text' in f) socket.send(f.text);
            else socket.send(f.binary, { binary: true });
            frames++;
          }
          const pong = new Promise<'pong'>((resolve) => socket.once('pong', () => resolve('pong')));
          socket.ping();
          const outcome = await Promise.race([pong, closed, new Promise<'nothing'>((r) => setTimeout(() => r('nothing'), 5000))]);
          const what = `${JSON.stringify(c).slice(0, 400)} → ${JSON.stringify(outcome)}`;
          assert.notEqual(outcome, 'nothing', `neither a pong nor a close within 5 s: ${what}`);
          if (want.open) {
            assert.equal(outcome, 'pong', `a valid stream was closed: ${what}`);
            socket.close(1000);
            await closed;
          } else {
            const got = outcome === 'pong' ? await Promise.race([closed, new Promise<null>((r) => setTimeout(() => r(null), 2000))]) : outcome;
            assert.ok(got !== null && typeof got === 'object', `an offending stream was not closed: ${what}`);
            assert.deepEqual(got, { code: want.code, reason: want.reason }, what);
          }
          const key = want.open ? 'taken' : String(want.code);
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
          assert.equal(coordinator.child.exitCode, null, `the coordinator exited: ${coordinator.logs.join('').slice(-2000)}`);
          if (watchError !== undefined) throw watchError;
        }),
        { numRuns: RUNS, seed: SEED },
      );
    } finally {
      seen = await health.stop();
      watching = false;
      await watch;
    }
    if (watchError !== undefined) throw watchError;
    const ms = Math.round(performance.now() - started);
    console.log(
      `agent link: ${cases} streams (${frames} frames) in ${ms} ms, outcomes ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}; ` +
        `/healthz ${seen.checks} checks, worst ${Math.round(seen.worstMs)} ms; real agent ${selections} selections, worst ${Math.round(selectionWorst)} ms (seed ${SEED})`,
    );
    assert.ok(seen.worstMs < 1000);
    assert.ok(!coordinator.logs.some((l) => l.includes('failed on a message from an agent')), 'no message failed inside the coordinator');

    // The real agent was never replaced or dropped, and still freezes and resumes through the coordinator.
    const real = (await call('GET', '/v1/agents')).body.agents.find((a: { id: string }) => a.id === 'lab/real');
    assert.equal(real?.connectedAt, realSince, 'the real agent kept its link');
    const placed = await call('POST', '/v1/faults', { target: { clusters: ['lab'], processes: { cmdline: `# ${tag}$` } }, signal: 'SIGSTOP', lease: '30s' });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    await waitFor(() => procState(tree!.pid) === 'T', 2000, 'stopped');
    const resumed = await call('DELETE', `/v1/faults/${placed.body.id}`);
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
    await waitFor(() => isRunning(tree!.pid), 2000, 'resumed');
  });
});
