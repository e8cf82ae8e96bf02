// Regexes that make a backtracking engine run for seconds or forever, sent to the real `eris agent` and
// `eris coordinator` binaries: every answer comes promptly, and a lease expires on time while they are evaluated.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentProcess, startCoordinatorProcess, type ErisProcess } from './harness/agent-process.js';
import { isRunning, killTree, procState, spawnTree, waitFor } from './harness/processes.js';
import { container, dialCoordinator, hello, type LinkPeer } from './harness/link-peer.js';
import { assertBuilt, runCli } from './cli-harness.js';

const TOKEN = 'hostile-regex-token';
// `(a+)+$` against 28 a's and a "!" took 16 s in V8's backtracking engine; `(.*a){20}$` against 5,000 never ended.
const SHORT = `${'a'.repeat(28)}!`;
const LONG = `${'a'.repeat(5000)}!`;
/** As long as a Kubernetes name may be. */
const NAME = `${'a'.repeat(252)}!`;
const PATHOLOGICAL = ['(a+)+$', '(.*a){20}$'];
/** Only the test's own processes carry it: a fault the agent really places can only ever hit them. */
const TAG = `eris-regex-${process.pid}-`;
/** "Promptly": far below what the backtracking engine took, with room for a busy 2-core machine. */
const PROMPT_MS = 1500;

async function stopHard(p: ErisProcess | undefined): Promise<void> {
  if (!p) return;
  // A hung process never runs its SIGTERM handler: give it a moment, then SIGKILL.
  await Promise.race([p.stop('SIGTERM'), new Promise((r) => setTimeout(r, 3000))]);
  await p.stop('SIGKILL');
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

describe('hostile regexes against the real agent and coordinator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eris-regex-'));
  let coordinator: ErisProcess;
  let agent: ErisProcess;
  let fakeAgent: LinkPeer;
  const trees: number[] = [];
  let shortTree: number;

  // Bounded, or the test would wait as long as the hung server.
  const call = (p: ErisProcess, method: string, path: string, body?: unknown) => p.api(method, path, body, 5000);

  before(async () => {
    assertBuilt();
    // Host processes whose command lines end in the strings above (sh -c '… # aaaa…!').
    const a = await spawnTree(1, TAG + SHORT);
    const b = await spawnTree(1, TAG + LONG);
    trees.push(a.pid, b.pid);
    shortTree = a.pid;
    coordinator = await startCoordinatorProcess(['--listen', '127.0.0.1:0', '--data-dir', join(dir, 'coordinator'), '--command-timeout', '5'], TOKEN);
    agent = await startAgentProcess(
      ['--state-dir', join(dir, 'agent'), '--no-cri', '--host-processes', '--coordinator', coordinator.url.replace(/^http/, 'ws'), '--cluster', 'lab', '--node-name', 'n1'],
      TOKEN,
    );
    // A second "agent" reporting containers whose pod, container and namespace names end in the same strings.
    fakeAgent = await dialCoordinator(coordinator.url.replace(/^http/, 'ws'), TOKEN);
    fakeAgent.send(hello('lab', 'n2', [container(SHORT, SHORT, SHORT), container(NAME, NAME, NAME)]));
    assert.equal((await fakeAgent.next()).type, 'welcome');
    await waitFor(async () => (await call(coordinator, 'GET', '/v1/agents')).body.agents?.length === 2, 10_000, 'both agents registered');
  });

  after(async () => {
    fakeAgent?.socket.terminate();
    await stopHard(agent);
    await stopHard(coordinator);
    for (const pid of trees) killTree(pid);
    rmSync(dir, { recursive: true, force: true });
  });

  it('agent: pathological cmdline regexes answer promptly while a 1 s lease expires on time', async (t) => {
    const victim = await spawnTree(1, `eris-regex-victim-${process.pid}`);
    trees.push(victim.pid);
    const placed = await call(agent, 'POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [victim.pid] }, leaseSeconds: 1 });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const stoppedAt = performance.now();
    assert.equal(procState(victim.pid), 'T');

    const answers = await Promise.all(
      PATHOLOGICAL.flatMap((re) => [
        // Read-only: any process of the machine may be listed.
        timed(() => call(agent, 'GET', `/v1/targets?cmdline=${encodeURIComponent(re)}`)),
        // A real fault request, so anchored on the test's tag: its own processes end in "!", so it matches nothing.
        timed(() => call(agent, 'POST', '/v1/faults', { signal: 'SIGSTOP', target: { cmdline: TAG + re }, leaseSeconds: 1 })),
      ]),
    );
    t.diagnostic(`slowest answer ${Math.round(Math.max(...answers.map((a) => a.ms)))} ms`);
    for (const { ms, value } of answers) {
      assert.ok(ms < PROMPT_MS, `answered in ${Math.round(ms)} ms`);
      if (value.status === 200) assert.ok(Array.isArray(value.body.processes));
      else assert.equal(value.body.error.code, 'ERIS_ERR_NO_TARGETS', JSON.stringify(value.body));
    }

    await waitFor(() => isRunning(victim.pid), 5000, 'the lease to expire');
    const late = performance.now() - stoppedAt - 1000;
    t.diagnostic(`lease enforced ${Math.round(late)} ms after it ran out (10 ms polling)`);
    assert.ok(late < 700, `lease enforced ${Math.round(late)} ms late`);
    assert.equal((await call(agent, 'GET', `/v1/faults/${placed.body.id}`)).body.resumeReason, 'lease');

    // The same engine still finds what does match.
    const found = await call(agent, 'GET', `/v1/targets?cmdline=${encodeURIComponent(`# ${TAG}a{28}!$`)}`);
    assert.deepEqual(found.body.processes.map((p: { pid: number }) => p.pid), [shortTree]);
  });

  it('coordinator: pathological pod, container, namespace, cluster and cmdline regexes answer promptly', async (t) => {
    const requests: Array<() => Promise<{ status: number; body: any }>> = [];
    for (const re of PATHOLOGICAL) {
      requests.push(() => call(coordinator, 'GET', `/v1/targets?pod=${encodeURIComponent(re)}`));
      requests.push(() => call(coordinator, 'GET', `/v1/targets?container=${encodeURIComponent(re)}`));
      for (const group of [{ pod: re }, { containers: [re] }, { namespaces: [`/${re}/`] }, { clusters: [`/${re}/`] }, { processes: { cmdline: re } }]) {
        requests.push(() => call(coordinator, 'POST', '/v1/selections', group));
      }
    }
    const answers = await Promise.all(requests.map((r) => timed(r)));
    t.diagnostic(`${answers.length} requests, slowest answer ${Math.round(Math.max(...answers.map((a) => a.ms)))} ms`);
    for (const { ms, value } of answers) {
      assert.ok(ms < PROMPT_MS, `answered in ${Math.round(ms)} ms`);
      // No container name ends in "a"; a host process of the machine might.
      if (value.status === 200) assert.ok(Array.isArray(value.body.targets ?? value.body.matched));
      else assert.equal(value.body.error.code, 'ERIS_ERR_NO_TARGETS', JSON.stringify(value.body));
    }
    const health = await timed(() => fetch(`${coordinator.url}/healthz`, { signal: AbortSignal.timeout(5000) }));
    assert.equal(health.value.status, 200);

    const found = await call(coordinator, 'POST', '/v1/selections', { pod: '^a{28}!$', namespaces: [`/^a+!$/`] });
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.deepEqual(found.body.matched.map((t: { node: string; pod: string }) => `${t.node}/${t.pod}`), [`n2/${SHORT}`]);
  });

  it('refuses what RE2 does not accept (lookaround, backreferences, oversized patterns) with a 400 naming the field', async () => {
    const cases: Array<[ErisProcess, string, string, unknown, string]> = [
      [agent, 'GET', `/v1/targets?cmdline=${encodeURIComponent('etcd(?=x)')}`, undefined, 'query.cmdline'],
      [agent, 'GET', `/v1/targets?pod=${encodeURIComponent('(a)\\1')}`, undefined, 'query.pod'],
      [agent, 'POST', '/v1/faults', { signal: 'SIGSTOP', target: { cmdline: '(?<!x)y' } }, 'target.cmdline'],
      [agent, 'POST', '/v1/faults', { signal: 'SIGSTOP', target: { selector: { containers: ['ok', 'x'.repeat(600)] } } }, 'target.selector.containers[1]'],
      [coordinator, 'GET', `/v1/targets?container=${encodeURIComponent('(?!x)')}`, undefined, 'query.container'],
      [coordinator, 'POST', '/v1/selections', { pod: '(a)\\1' }, 'target.pod'],
      [coordinator, 'POST', '/v1/selections', { namespaces: ['prod', '/(?=p)/'] }, 'target.namespaces[1]'],
      [coordinator, 'POST', '/v1/selections', { processes: { cmdline: '[a-z]{900}[0-9]{900}' } }, 'target.processes.cmdline'],
    ];
    for (const [p, method, path, body, field] of cases) {
      const res = await call(p, method, path, body);
      assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'ERIS_ERR_VALIDATION');
      assert.equal(res.body.error.path, field);
      assert.match(res.body.error.message, new RegExp(`^${field.replace(/[[\].]/g, '\\$&')}: (not a valid RE2 regular expression|must be at most|too complex)`));
    }
  });

  it('`eris validate` and a dry run name the path of a regex RE2 does not accept', async () => {
    const drill = {
      apiVersion: 'eris.dev/v1alpha1',
      kind: 'Drill',
      metadata: { name: 'bad-regex' },
      spec: { targets: { member: { pod: '^etcd-(?!2)\\d+$', count: 1 } }, steps: [{ signal: 'SIGSTOP', target: 'member', lease: '5s' }] },
    };
    const file = join(dir, 'bad-regex.yaml');
    writeFileSync(file, JSON.stringify(drill));
    const r = await runCli(['validate', file]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /spec\.targets\.member\.pod: not a valid RE2 regular expression: invalid or unsupported Perl syntax: `\(\?!`/);
    const run = await call(coordinator, 'POST', '/v1/runs', { spec: drill, dryRun: true });
    assert.equal(run.status, 400);
    assert.equal(run.body.error.path, 'spec.targets.member.pod');
  });
});
