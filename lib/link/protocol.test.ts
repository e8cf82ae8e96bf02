import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { agentHelloSchema, agentUpdateSchema, closeReason, commandResultSchemas, coordinatorMessageSchema, parseLinkMessage, LINK_PROTOCOL } from './protocol.js';

const container = {
  id: 'c'.repeat(64),
  name: '',
  image: 'sha256:abc',
  state: 'running',
  restartCount: 0,
  initPid: 42,
  createdAt: 1,
  pod: { id: 's'.repeat(64), name: '', namespace: '', uid: '', labels: { app: 'etcd' } },
};
const fault = {
  id: 'f1',
  signal: 'SIGSTOP',
  scope: 'all',
  state: 'active',
  result: 'ok',
  createdAt: 1,
  durationMs: 0.4,
  leaseSeconds: 30,
  leaseExpiresAt: 2,
  requestedBy: 'coordinator:x',
  owner: 'x',
  labels: { runId: 'r' },
  targets: [{ kind: 'process', process: { pid: 7, cmdline: 'sleep 1' }, processes: [{ pid: 7, startTime: '123', ok: true, verified: true, method: 'pidfd' }] }],
};

describe('link protocol schemas', () => {
  it('accept what a real agent and coordinator send, including a container without kubelet labels', () => {
    const hello = { type: 'hello', protocol: LINK_PROTOCOL, cluster: 'lab', node: 'n1', zone: null, version: '0.1.0', runtime: null, hostProcesses: true, containers: [container], activeFaults: [fault] };
    assert.ok(parseLinkMessage(agentHelloSchema, JSON.stringify(hello)).ok);
    for (const m of [
      { type: 'inventory', containers: [container] },
      { type: 'fault', fault },
      { type: 'reply', id: 'c1', ok: true, result: fault },
      { type: 'reply', id: 'c1', ok: false, error: { code: 'ERIS_ERR_NOT_FOUND', message: 'no fault x', path: 'faultId' } },
    ]) assert.ok(parseLinkMessage(agentUpdateSchema, JSON.stringify(m)).ok, JSON.stringify(m));
    for (const m of [
      { type: 'welcome', coordinatorId: 'x', protocol: 1 },
      { type: 'command', id: 'c1', op: 'fault.create', request: { anything: true } },
      { type: 'command', id: 'c2', op: 'fault.resume', faultId: 'f1' },
      { type: 'command', id: 'c3', op: 'processes.list', cmdline: 'etcd' },
      { type: 'command', id: 'c4', op: 'ping' },
      { type: 'command', id: 'c5', op: 'processes.state', processes: [{ pid: 7, startTime: '123' }] },
    ]) assert.ok(parseLinkMessage(coordinatorMessageSchema, JSON.stringify(m)).ok, JSON.stringify(m));
    assert.ok(commandResultSchemas['processes.list'].safeParse([{ pid: 7, ppid: 1, state: 'S', cmdline: 'sleep 1' }]).success);
    // What the coordinator confirms a resume from: a state letter per process, null for one that is gone.
    assert.ok(commandResultSchemas['processes.state'].safeParse([{ pid: 7, startTime: '123', state: 'S' }, { pid: 8, startTime: '9', state: null }]).success);
    for (const bad of [[{ pid: 7, startTime: '123', state: '' }], [{ pid: 0, startTime: '1', state: 'R' }], [{ pid: 7, state: 'R' }]]) {
      assert.ok(!commandResultSchemas['processes.state'].safeParse(bad).success, JSON.stringify(bad));
    }
    assert.ok(!parseLinkMessage(coordinatorMessageSchema, JSON.stringify({ type: 'command', id: 'c6', op: 'processes.state', processes: [{ pid: -1, startTime: 'x' }] })).ok);
  });

  it('name the first offending field', () => {
    const cases: Array<[string, string]> = [
      ['null', '(root): Invalid input: expected object, received null'],
      ['{"type":"fault"}', 'fault: Invalid input: expected object, received undefined'],
      ['{"type":"inventory","containers":[{"id":"x"}]}', 'containers[0].name: Invalid input: expected string, received undefined'],
      ['nope', 'malformed JSON'],
    ];
    for (const [text, problem] of cases) {
      const r = parseLinkMessage(agentUpdateSchema, text);
      assert.equal(r.ok ? null : r.problem, problem);
    }
  });

  it('keeps a close reason within the 123 bytes a WebSocket close frame holds, multi-byte characters included', () => {
    assert.equal(closeReason('short'), 'short');
    for (const long of ['x'.repeat(500), 'é'.repeat(200), `${'x'.repeat(119)}€€€`]) {
      const r = closeReason(long);
      assert.ok(Buffer.byteLength(r) <= 123, `${Buffer.byteLength(r)} bytes`);
      assert.ok(r.endsWith('…'));
    }
  });
});
