// The coordinator's record of a fault that ended while its agent was away. An agent's hello lists the faults it holds
// now; one the coordinator last knew as active and the hello leaves out ended in between (the agent was killed and
// restarted on its journal, its watchdog resumed): the coordinator records it as resumed instead of calling it
// `active` forever. The real `eris coordinator` binary, a hand-driven agent (test/harness/link-peer.ts).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCoordinatorProcess, type ErisProcess } from './harness/agent-process.js';
import { dialCoordinator, hello, type LinkPeer } from './harness/link-peer.js';
import { waitFor } from './harness/processes.js';
import { assertBuilt } from './cli-harness.js';

const TOKEN = 'agent-away-token-0123456789';

/** Answers the coordinator's commands as an agent holding one host process would; the faults it places go to `placed`. */
function serveAsAgent(link: LinkPeer, placed: Array<Record<string, unknown>>): void {
  link.socket.on('message', (data) => {
    const m = JSON.parse(String(data)) as { type: string; id: string; op: string; request?: { signal: string; leaseSeconds?: number; labels?: Record<string, string>; owner?: string } };
    if (m.type !== 'command') return;
    if (m.op === 'processes.list') {
      link.send({ type: 'reply', id: m.id, ok: true, result: [{ pid: 4242, ppid: 1, state: 'S', cmdline: 'victim --serve', startTime: '77' }] });
    } else if (m.op === 'fault.create') {
      const now = Date.now();
      const fault = {
        id: `fault-${placed.length + 1}`,
        signal: m.request!.signal,
        scope: 'all',
        state: 'active',
        result: 'ok',
        createdAt: now,
        durationMs: 1,
        leaseSeconds: 60,
        leaseExpiresAt: now + 60_000,
        requestedBy: 'coordinator',
        ...(m.request!.owner !== undefined ? { owner: m.request!.owner } : {}),
        labels: m.request!.labels ?? {},
        targets: [{ kind: 'process', process: { pid: 4242, cmdline: 'victim --serve' }, processes: [{ pid: 4242, startTime: '77', ok: true, verified: true, method: 'pidfd' }] }],
      };
      placed.push(fault);
      // As a real agent does: the fault's change first (its onChange), then the reply.
      link.send({ type: 'fault', fault });
      link.send({ type: 'reply', id: m.id, ok: true, result: fault });
    } else {
      link.send({ type: 'reply', id: m.id, ok: false, error: { code: 'ERIS_ERR_TEST', message: `not scripted: ${m.op}` } });
    }
  });
}

describe('coordinator: faults that ended while their agent was away', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eris-agent-away-'));
  let coordinator: ErisProcess;
  const links: LinkPeer[] = [];

  before(async () => {
    assertBuilt();
    coordinator = await startCoordinatorProcess(['--listen', '127.0.0.1:0', '--data-dir', dir, '--command-timeout', '5'], TOKEN);
  });
  after(async () => {
    for (const l of links) l.socket.terminate();
    await coordinator?.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  const connect = async (activeFaults: unknown[]): Promise<LinkPeer> => {
    const link = await dialCoordinator(coordinator.url.replace(/^http:/, 'ws:'), TOKEN);
    links.push(link);
    link.send(hello('lab', 'n1', [], { hostProcesses: true, activeFaults }));
    assert.equal((await link.next()).type, 'welcome');
    return link;
  };

  it('are recorded as resumed when the next hello leaves them out; those it still lists stay active', async () => {
    const placed: Array<Record<string, unknown>> = [];
    const first = await connect([]);
    serveAsAgent(first, placed);
    const created = await coordinator.api('POST', '/v1/faults', { target: { processes: { cmdline: '^victim' } }, signal: 'SIGSTOP', lease: '60s' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const again = await coordinator.api('POST', '/v1/faults', { target: { processes: { cmdline: '^victim' } }, signal: 'SIGSTOP', lease: '60s' });
    assert.equal(again.status, 201, JSON.stringify(again.body));
    const stateOf = async (id: string) => (await coordinator.api('GET', `/v1/faults/${id}`)).body.parts[0].fault as { state: string; resumeReason?: string };
    assert.equal((await stateOf(created.body.id)).state, 'active');

    // The agent goes (killed, no goodbye) and comes back holding only the second fault.
    first.socket.terminate();
    await waitFor(async () => (await coordinator.api('GET', '/v1/agents')).body.agents.length === 0, 5000, 'the coordinator to see the agent gone');
    await connect([placed[1]]);

    const ended = await stateOf(created.body.id);
    assert.deepEqual([ended.state, ended.resumeReason], ['resumed', 'recovered']);
    assert.equal((await stateOf(again.body.id)).state, 'active', 'a fault the hello lists is still active');
    // The coordinator's log reaches us through its stdout pipe, a moment after the API answered.
    await waitFor(() => coordinator.logs.some((l) => l.includes('a fault ended while the agent was away')), 2000, 'the log line');
  });
});
