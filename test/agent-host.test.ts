// The agent's HTTP API on real host processes: freeze, verify, resume, leases, kills, safety, bad input.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig } from '../daemon/config.js';
import { startAgent, type Agent } from '../daemon/agent.js';
import { silentLogger } from '../lib/logger.js';
import { isRunning, procState, spawnTree, waitFor, killTree } from './harness/processes.js';

const TOKEN = 'test-token-123';

describe('eris-agent in host mode, real processes', () => {
  let agent: Agent;
  let dir: string;
  const trees: number[] = [];

  const api = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
    const res = await fetch(`${agent.url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
  };

  const workload = async (n = 2) => {
    const tree = await spawnTree(n);
    trees.push(tree.pid);
    return tree;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-agent-'));
    const config = loadAgentConfig({ listen: '127.0.0.1:0', token: `tester:${TOKEN}`, stateDir: dir, noCri: true, hostProcesses: true }, {});
    agent = await startAgent(config, { logger: silentLogger() });
  });

  after(async () => {
    await agent?.close();
    for (const pid of trees) killTree(pid);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /healthz without a token and everything else only with one', async () => {
    assert.equal((await api('GET', '/healthz', undefined, null)).status, 200);
    const denied = await api('GET', '/v1/faults', undefined, null);
    assert.equal(denied.status, 401);
    assert.equal(denied.body.error.code, 'ERIS_ERR_UNAUTHORIZED');
    assert.equal((await api('GET', '/v1/faults', undefined, 'wrong')).status, 401);
    assert.equal((await api('GET', '/v1/faults')).status, 200);
  });

  it('freezes every process of a tree, verifies state T, and resumes them', async () => {
    const tree = await workload(2);
    const pids = tree.pids();
    assert.equal(pids.length, 3);
    const placed = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [tree.pid] }, leaseSeconds: 30 });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    assert.equal(placed.body.state, 'active');
    assert.equal(placed.body.result, 'ok');
    assert.deepEqual(placed.body.targets[0].processes.map((p: { pid: number }) => p.pid).sort(), [...pids].sort());
    for (const pid of pids) assert.equal(procState(pid), 'T', `pid ${pid} stopped`);

    const listed = await api('GET', '/v1/faults?state=active');
    assert.ok(listed.body.faults.some((f: { id: string }) => f.id === placed.body.id));

    const resumed = await api('DELETE', `/v1/faults/${placed.body.id}`);
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.state, 'resumed');
    assert.equal(resumed.body.resumeReason, 'api');
    await waitFor(() => pids.every((pid) => isRunning(pid)), 2000, 'all running again');
    // Idempotent: resuming again returns the same record.
    assert.equal((await api('DELETE', `/v1/faults/${placed.body.id}`)).body.state, 'resumed');
  });

  it('scope init stops only the named process', async () => {
    const tree = await workload(2);
    const placed = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [tree.pid] }, scope: 'init', leaseSeconds: 30 });
    assert.equal(placed.status, 201);
    assert.equal(procState(tree.pid), 'T');
    for (const pid of tree.pids().slice(1)) assert.ok(isRunning(pid));
    await api('DELETE', `/v1/faults/${placed.body.id}`);
  });

  it('resumes by itself when the lease runs out', async () => {
    const tree = await workload(1);
    const placed = await api('POST', '/v1/faults', { signal: 'stop', target: { pids: [tree.pid] }, leaseSeconds: 0.3 });
    assert.equal(placed.status, 201);
    assert.equal(procState(tree.pid), 'T');
    await waitFor(() => isRunning(tree.pid), 3000, 'lease expiry');
    const fault = await api('GET', `/v1/faults/${placed.body.id}`);
    assert.equal(fault.body.resumeReason, 'lease');
  });

  it('kills a process tree and verifies it is gone', async () => {
    const tree = await workload(2);
    const pids = tree.pids();
    const placed = await api('POST', '/v1/faults', { signal: 'SIGKILL', target: { pids: [tree.pid] } });
    assert.equal(placed.status, 201);
    assert.equal(placed.body.state, 'done');
    assert.equal(placed.body.result, 'ok');
    for (const pid of pids) assert.ok(procState(pid) === null || procState(pid) === 'Z');
  });

  it('does not resume a process another active fault still holds', async () => {
    const tree = await workload(1);
    const a = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [tree.pid] }, scope: 'init', leaseSeconds: 30 });
    const b = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [tree.pid] }, scope: 'init', leaseSeconds: 30 });
    await api('DELETE', `/v1/faults/${a.body.id}`);
    assert.equal(procState(tree.pid), 'T', 'still held by the second fault');
    await api('DELETE', `/v1/faults/${b.body.id}`);
    await waitFor(() => isRunning(tree.pid), 2000, 'resumed');
  });

  it('a SIGCONT fault ends the SIGSTOP faults it undoes: records and processes agree', async () => {
    const tree = await workload(2);
    const pids = tree.pids();
    const a = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [tree.pid] }, leaseSeconds: 30 });
    const b = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [tree.pid] }, scope: 'init', leaseSeconds: 30 });
    assert.equal(a.body.state, 'active');

    // Continuing only the root: A still holds the two children (stopped), B held only the root and ends.
    const c1 = await api('POST', '/v1/faults', { signal: 'SIGCONT', target: { pids: [tree.pid] }, scope: 'init' });
    assert.equal(c1.status, 201, JSON.stringify(c1.body));
    assert.deepEqual([...c1.body.undid].sort(), [a.body.id, b.body.id].sort());
    assert.ok(isRunning(tree.pid));
    const bAfter = (await api('GET', `/v1/faults/${b.body.id}`)).body;
    assert.equal(bAfter.state, 'resumed');
    assert.equal(bAfter.resumeReason, 'sigcont');
    assert.equal(bAfter.resumedBy, c1.body.id);
    const aMid = (await api('GET', `/v1/faults/${a.body.id}`)).body;
    assert.equal(aMid.state, 'active', 'A still holds the children');
    const root = aMid.targets[0].processes.find((p: { pid: number }) => p.pid === tree.pid);
    assert.deepEqual(root.resume, { ok: true, byFault: c1.body.id });
    for (const pid of pids.slice(1)) assert.equal(procState(pid), 'T', `child ${pid} still stopped by A`);

    // Continuing the whole tree ends A too: nothing reads active while its processes run.
    const c2 = await api('POST', '/v1/faults', { signal: 'SIGCONT', target: { pids: [tree.pid] } });
    assert.equal(c2.body.result, 'ok');
    assert.deepEqual(c2.body.undid, [a.body.id]);
    const aAfter = (await api('GET', `/v1/faults/${a.body.id}`)).body;
    assert.equal(aAfter.state, 'resumed');
    assert.equal(aAfter.resumeReason, 'sigcont');
    assert.equal(aAfter.resumedBy, c2.body.id);
    for (const pid of pids) assert.ok(isRunning(pid), `pid ${pid} running`);
    const active = (await api('GET', '/v1/faults?state=active')).body.faults.map((f: { id: string }) => f.id);
    assert.ok(!active.includes(a.body.id) && !active.includes(b.body.id));
    // Its lease no longer fires, and resuming it again is a no-op that keeps the record.
    assert.equal((await api('DELETE', `/v1/faults/${a.body.id}`)).body.resumeReason, 'sigcont');
  });

  it('a named pid gone by the time the fault arrives is no failure when others live; all gone is a 404', async () => {
    const tree = await workload(1);
    const short = spawn('true', [], { stdio: 'ignore' });
    await new Promise((r) => short.once('exit', r));
    const placed = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [tree.pid, short.pid] }, leaseSeconds: 30 });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    assert.equal(placed.body.result, 'ok');
    assert.deepEqual(placed.body.targets[1], { kind: 'process', process: { pid: short.pid, cmdline: '' }, alreadyGone: true, processes: [] });
    for (const pid of tree.pids()) assert.equal(procState(pid), 'T');
    await api('DELETE', `/v1/faults/${placed.body.id}`);
    const none = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [short.pid] } });
    assert.equal(none.status, 404);
    assert.equal(none.body.error.path, 'target.pids[0]');
  });

  it('matches host processes by command-line regex', async () => {
    const tag = `eris-cmdline-${process.pid}-${Date.now()}`;
    const tree = await spawnTree(1, tag);
    trees.push(tree.pid);
    const targets = await api('GET', `/v1/targets?cmdline=${encodeURIComponent(tag)}`);
    assert.deepEqual(targets.body.processes.map((p: { pid: number }) => p.pid), [tree.pid]);
    const placed = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { cmdline: tag }, leaseSeconds: 10 });
    assert.equal(placed.status, 201);
    for (const pid of tree.pids()) assert.equal(procState(pid), 'T');
    await api('DELETE', `/v1/faults/${placed.body.id}`);
  });

  it('refuses host PID 1, itself and its ancestors, and signals nothing', async () => {
    for (const pid of [1, process.pid, process.ppid]) {
      const res = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [pid] }, scope: 'init', override: ['protected-process'] });
      assert.equal(res.status, 403, `pid ${pid}`);
      assert.equal(res.body.error.code, 'ERIS_ERR_FORBIDDEN_TARGET');
    }
    // A request naming a good pid and a forbidden one does nothing at all.
    const tree = await workload(1);
    const res = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [tree.pid, 1] }, scope: 'init' });
    assert.equal(res.status, 403);
    assert.ok(isRunning(tree.pid));
  });

  it('answers bad input with a 4xx naming the field, never a 500', async () => {
    const cases: Array<[unknown, number, string]> = [
      ['{not json', 400, 'body'],
      [{ signal: 'SIGFOO', target: { pids: [1] } }, 400, 'signal'],
      [{ signal: 'SIGSTOP', target: { cmdline: '(' } }, 400, 'target'],
      [{ signal: 'SIGSTOP', target: { pids: [999999999] } }, 404, 'target.pids[0]'],
      [{ signal: 'SIGSTOP', target: { pids: [1] }, leaseSeconds: 100000 }, 400, 'leaseSeconds'],
      [{ signal: 'SIGSTOP', target: { pids: [1] }, leaseSeconds: -1 }, 400, 'leaseSeconds'],
      [{ signal: 'SIGKILL', target: { pids: [1] }, leaseSeconds: 5 }, 400, 'leaseSeconds'],
      [{ signal: 'SIGSTOP', target: {} }, 400, 'target'],
      [{ signal: 'SIGSTOP', target: { containerIds: ['abc'] } }, 400, 'target.containerIds'],
      [{ signal: 'SIGSTOP', target: { pids: [1] }, bogus: true }, 400, '(root)'],
    ];
    for (const [body, status, path] of cases) {
      const res = await api('POST', '/v1/faults', body);
      assert.equal(res.status, status, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
      assert.match(res.body.error.code, /^ERIS_ERR_/);
      assert.ok(String(res.body.error.path).startsWith(path), `${JSON.stringify(body)}: path ${res.body.error.path}`);
    }
    assert.equal((await api('GET', '/v1/faults/nope')).status, 404);
    assert.equal((await api('GET', '/v1/targets?pod=(')).status, 400);
  });

  it('exposes eris_ metrics in Prometheus format', async () => {
    const res = await api('GET', '/metrics', undefined, null);
    assert.equal(res.status, 200);
    assert.match(res.body, /eris_faults_total\{signal="SIGSTOP",result="ok",node="[^"]+"\} \d+/);
    assert.match(res.body, /eris_signal_duration_seconds_bucket/);
    assert.match(res.body, /eris_lease_expiries_total\{node="[^"]+"\} 1/);
    assert.match(res.body, /eris_refusals_total\{reason="untouchable",node="[^"]+"\} [1-9]/);
  });
});
