// Hostile messages on the agent link, over real WebSockets, to the real `eris coordinator` and `eris agent`
// binaries: each closes only the offending link (with a close code and a reason naming the field); the process
// stays up, answers health, and a real agent keeps freezing and resuming through it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentProcess, startCoordinatorProcess, type ErisProcess } from './harness/agent-process.js';
import { isRunning, killTree, procState, spawnTree, waitFor } from './harness/processes.js';
import { container, dialCoordinator, fakeCoordinator, hello, type FakeCoordinator, type LinkPeer } from './harness/link-peer.js';
import { assertBuilt } from './cli-harness.js';
import { CLOSE } from '../lib/link/protocol.js';

const TOKEN = 'hostile-link-token';

async function stopHard(p: ErisProcess | undefined): Promise<void> {
  if (!p) return;
  await Promise.race([p.stop('SIGTERM'), new Promise((r) => setTimeout(r, 3000))]);
  await p.stop('SIGKILL');
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

describe('hostile agent → real coordinator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eris-link-'));
  let coordinator: ErisProcess;
  let agent: ErisProcess;
  const trees: number[] = [];
  const tag = `eris-link-victim-${process.pid}`;
  const linkUrl = () => coordinator.url.replace(/^http/, 'ws');

  const call = (method: string, path: string, body?: unknown) => coordinator.api(method, path, body, 5000);

  /** The coordinator is alive, answers health, and the real agent still freezes and resumes through it. */
  const stillServing = async () => {
    assert.equal(coordinator.child.exitCode, null, `coordinator exited: ${coordinator.logs.join('').slice(-2000)}`);
    assert.equal((await fetch(`${coordinator.url}/healthz`, { signal: AbortSignal.timeout(2000) })).status, 200);
    for (const path of ['/v1/targets', '/v1/agents']) assert.equal((await call('GET', path)).status, 200, path);
    const selection = await call('POST', '/v1/selections', { pod: '.' });
    assert.ok(selection.status === 200 || selection.status === 422, JSON.stringify(selection.body));
  };

  before(async () => {
    assertBuilt();
    coordinator = await startCoordinatorProcess(['--listen', '127.0.0.1:0', '--data-dir', join(dir, 'coordinator'), '--command-timeout', '5'], TOKEN);
    agent = await startAgentProcess(
      ['--state-dir', join(dir, 'agent'), '--no-cri', '--host-processes', '--coordinator', linkUrl(), '--cluster', 'lab', '--node-name', 'real'],
      TOKEN,
    );
    await waitFor(async () => (await call('GET', '/v1/agents')).body.agents?.length === 1, 10_000, 'the real agent to register');
  });

  after(async () => {
    await stopHard(agent);
    await stopHard(coordinator);
    for (const pid of trees) killTree(pid);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a bad hello closes that link with 4400 and a reason naming the field; the coordinator stays up', async () => {
    const valid = hello('lab', 'evil', [container('p', 'c')]);
    const without = (key: string) => Object.fromEntries(Object.entries(valid).filter(([k]) => k !== key));
    const cases: Array<[unknown, RegExp]> = [
      ['null', /^hello: .*expected object/],
      ['{not json', /^malformed JSON$/],
      [[], /^hello: .*expected object/i],
      [without('activeFaults'), /^hello\.activeFaults: /],
      [without('containers'), /^hello\.containers: /],
      [{ ...valid, activeFaults: [null] }, /^hello\.activeFaults\[0\]: /],
      [{ ...valid, containers: {} }, /^hello\.containers: .*expected array/],
      [{ ...valid, containers: 'abc' }, /^hello\.containers: .*expected array/],
      [{ ...valid, containers: [null] }, /^hello\.containers\[0\]: /],
      [{ ...valid, containers: [{ ...container('p', 'c'), pod: { name: 'p' } }] }, /^hello\.containers\[0\]\.pod\.id: /],
      [{ ...valid, protocol: 2 }, /^hello\.protocol: /],
      [{ ...valid, cluster: 'x'.repeat(5000) }, /^hello\.cluster: /],
      [{ type: 'fault' }, /^hello\.type: /],
    ];
    for (const [message, reason] of cases) {
      const peer = await dialCoordinator(linkUrl(), TOKEN);
      peer.send(typeof message === 'string' ? message : JSON.stringify(message));
      const closed = await withTimeout(peer.closed, 5000, `close after ${JSON.stringify(message).slice(0, 60)}`);
      assert.equal(closed.code, CLOSE.badHello, `${JSON.stringify(message).slice(0, 80)} → ${closed.code} ${closed.reason}`);
      assert.match(closed.reason, reason);
      assert.ok(Buffer.byteLength(closed.reason) <= 123);
    }
    await stillServing();
    assert.ok(coordinator.logs.some((l) => l.includes('agent broke the link protocol') && l.includes('hello.activeFaults[0]')), 'logged, with the field');
    assert.deepEqual((await call('GET', '/v1/agents')).body.agents.map((a: { id: string }) => a.id), ['lab/real']);
  });

  it('a bad message after a valid hello closes that link with 4402 and the reason; targets never answer 500', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ type: 'fault' }, /^fault: /],
      [{ type: 'fault', fault: null }, /^fault: /],
      [{ type: 'inventory', containers: {} }, /^containers: /],
      [{ type: 'inventory', containers: 'abc' }, /^containers: /],
      [{ type: 'inventory', containers: [null] }, /^containers\[0\]: /],
      [{ type: 'reply', id: 'x', ok: false }, /^error: /],
      [{ type: 'nonsense' }, /^type: /],
      [null, /^\(root\): /],
      ['[1,2', /^malformed JSON$/],
    ];
    for (const [message, reason] of cases) {
      const peer = await dialCoordinator(linkUrl(), TOKEN);
      peer.send(hello('lab', 'evil', [container('p', 'c')]));
      assert.equal((await peer.next()).type, 'welcome');
      peer.send(typeof message === 'string' ? message : JSON.stringify(message));
      const closed = await withTimeout(peer.closed, 5000, `close after ${JSON.stringify(message)}`);
      assert.equal(closed.code, CLOSE.badMessage, `${JSON.stringify(message)} → ${closed.code} ${closed.reason}`);
      assert.match(closed.reason, reason);
      await stillServing();
    }
  });

  it('an agent reply of the wrong shape fails that request with a 502 and closes the link', async () => {
    const peer = await dialCoordinator(linkUrl(), TOKEN);
    peer.send(hello('other', 'liar', [], { hostProcesses: true }));
    assert.equal((await peer.next()).type, 'welcome');
    const selection = call('POST', '/v1/selections', { clusters: ['other'], processes: { cmdline: 'x' } });
    const command = await peer.next();
    assert.equal(command.op, 'processes.list');
    peer.send({ type: 'reply', id: command.id, ok: true, result: [{ pid: 'one', cmdline: 7 }] });
    const res = await selection;
    assert.equal(res.status, 502, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'ERIS_ERR_AGENT_PROTOCOL');
    assert.match(res.body.error.message, /result\[0\]\.pid/);
    const closed = await withTimeout(peer.closed, 5000, 'close after a bad reply');
    assert.equal(closed.code, CLOSE.badMessage);
    await stillServing();
  });

  it('a mute host-mode agent of another cluster does not hold up or fail a selection of this one (found by fuzz-link)', async () => {
    const peer = await dialCoordinator(linkUrl(), TOKEN);
    peer.send(hello('elsewhere', 'mute', [], { hostProcesses: true }));
    assert.equal((await peer.next()).type, 'welcome');
    const started = performance.now();
    const selection = await call('POST', '/v1/selections', { clusters: ['lab'], processes: { cmdline: '^no-such-process-anywhere$' } });
    // Before: the coordinator asked every host-mode agent, waited the 5 s command timeout for this one, and failed.
    assert.equal(selection.status, 422, JSON.stringify(selection.body));
    assert.equal(selection.body.error.code, 'ERIS_ERR_NO_TARGETS');
    assert.ok(performance.now() - started < 2000, `took ${Math.round(performance.now() - started)} ms`);
    peer.socket.close();
    await peer.closed;
  });

  it('the real agent keeps freezing and resuming through the coordinator after all that', async () => {
    const tree = await spawnTree(1, tag);
    trees.push(tree.pid);
    const placed = await call('POST', '/v1/faults', { target: { clusters: ['lab'], processes: { cmdline: `# ${tag}$` } }, signal: 'SIGSTOP', lease: '30s' });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    await waitFor(() => procState(tree.pid) === 'T', 2000, 'stopped');
    const resumed = await call('DELETE', `/v1/faults/${placed.body.id}`);
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
    await waitFor(() => isRunning(tree.pid), 2000, 'resumed');
  });
});

describe('hostile coordinator → real agent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eris-link-agent-'));
  let fake: FakeCoordinator;
  let agent: ErisProcess;
  const trees: number[] = [];

  before(async () => {
    assertBuilt();
    fake = await fakeCoordinator();
    agent = await startAgentProcess(
      ['--state-dir', dir, '--no-cri', '--host-processes', '--coordinator', fake.url, '--cluster', 'lab', '--node-name', 'n1'],
      TOKEN,
    );
  });

  after(async () => {
    await stopHard(agent);
    await fake?.close();
    for (const pid of trees) killTree(pid);
    rmSync(dir, { recursive: true, force: true });
  });

  /** The next connection of the agent, its hello read and (unless told otherwise) welcomed. */
  const nextLink = async (welcome = true): Promise<LinkPeer> => {
    const link = await fake.nextAgent();
    const first = await link.next();
    assert.equal(first.type, 'hello');
    if (welcome) link.send({ type: 'welcome', coordinatorId: 'fake-coordinator', protocol: 1 });
    return link;
  };

  it('a bad coordinator message closes the link with 4402 naming the field; the agent dials again and keeps enforcing leases', async () => {
    const cases: Array<[unknown, RegExp, boolean]> = [
      [null, /^\(root\): /, false],
      ['{"type":', /^malformed JSON$/, false],
      [{ type: 'welcome' }, /^coordinatorId: /, false],
      [{ type: 'command' }, /^op: /, true],
      [{ type: 'command', id: 'c1', op: 'fault.resume' }, /^faultId: /, true],
      [{ type: 'command', id: 'c1', op: 'processes.list', cmdline: 42 }, /^cmdline: /, true],
      [{ type: 'command', id: 'c1', op: 'reboot' }, /^op: /, true],
      [{ type: 'command', id: { deep: true }, op: 'ping' }, /^id: /, true],
      [{ type: 'surprise' }, /^type: /, true],
    ];
    for (const [message, reason, welcome] of cases) {
      const link = await nextLink(welcome);
      link.send(typeof message === 'string' ? message : JSON.stringify(message));
      const closed = await withTimeout(link.closed, 5000, `close after ${JSON.stringify(message)}`);
      assert.equal(closed.code, CLOSE.badMessage, `${JSON.stringify(message)} → ${closed.code} ${closed.reason}`);
      assert.match(closed.reason, reason);
      assert.equal(agent.child.exitCode, null, `agent exited: ${agent.logs.join('').slice(-2000)}`);
      assert.equal((await fetch(`${agent.url}/healthz`, { signal: AbortSignal.timeout(2000) })).status, 200);
    }
    assert.ok(agent.logs.some((l) => l.includes('coordinator broke the link protocol') && l.includes('faultId')), 'logged, with the field');

    // The agent still enforces a lease, and a well-formed coordinator is still served on the next link.
    const tree = await spawnTree(1, `eris-link-agent-victim-${process.pid}`);
    trees.push(tree.pid);
    const placed = await agent.api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [tree.pid] }, leaseSeconds: 0.5 });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const link = await nextLink();
    // The 0.5 s lease may run out while the agent dials again: its fault update can come first on the new link.
    const nextReply = async () => {
      for (;;) {
        const m = await link.next();
        if (m.type !== 'fault') return m;
      }
    };
    link.send({ type: 'command', id: 'p1', op: 'ping' });
    const reply = await nextReply();
    assert.deepEqual([reply.type, reply.id, reply.ok], ['reply', 'p1', true]);
    link.send({ type: 'command', id: 'bad-request', op: 'fault.create', request: { signal: 'SIGSTOP', target: null } });
    const refused = await nextReply();
    assert.equal(refused.ok, false, 'a bad fault request is answered, the link stays');
    assert.equal(refused.error.code, 'ERIS_ERR_VALIDATION');
    await waitFor(() => isRunning(tree.pid), 3000, 'the lease to expire');
  });
});
