// Host mode never hits eris itself (a real coordinator under `npm run`, its shell and npm wrappers), nor what the
// operator protects (--protect), with or without an override; processes found by the sweep mid-stop obey the same rules.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { loadAgentConfig } from '../daemon/config.js';
import { startAgent, type Agent } from '../daemon/agent.js';
import { silentLogger } from '../lib/logger.js';
import { ProcFs } from '../daemon/proc/procfs.js';
import { CgroupResolver } from '../daemon/proc/cgroup.js';
import { Signaller } from '../daemon/proc/signal.js';
import { loadPidfd } from '../native/pidfd.js';
import { Journal } from '../daemon/faults/journal.js';
import { SafetyPolicy } from '../daemon/faults/safety.js';
import { TargetResolver, type ResolvedTarget } from '../daemon/faults/resolve.js';
import { FaultManager } from '../daemon/faults/manager.js';
import { createAgentMetrics } from '../daemon/metrics.js';
import { ERIS_BIN } from './harness/agent-process.js';
import { freePort } from './harness/ports.js';
import { isRunning, killTree, procState, spawnTree, treeOf, waitFor } from './harness/processes.js';

const TOKEN = 'protect-token';

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** `sleep`, but under another executable name (argv[0]), so a protected name can match it alone. */
function spawnNamed(dir: string, name: string): ChildProcess {
  const path = join(dir, name);
  symlinkSync('/bin/sleep', path);
  return spawn(path, ['1000'], { stdio: 'ignore', detached: true });
}

describe('host mode never signals eris or what the operator protects', () => {
  let agent: Agent;
  let dir: string;
  let npm: ChildProcess;
  const started: number[] = [];
  let guarded: ChildProcess;

  const api = async (body: unknown) => {
    const res = await fetch(`${agent.url}/v1/faults`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-protect-'));
    // A coordinator the way people start one: `npm run` → sh -c → node bin/eris.js coordinator.
    const port = await freePort();
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'ops', private: true, scripts: { coordinator: `node ${ERIS_BIN} coordinator --listen 127.0.0.1:${port} --data-dir ${join(dir, 'data')}` } }),
    );
    npm = spawn('npm', ['run', 'coordinator', '--silent'], { cwd: dir, stdio: 'ignore', detached: true, env: { ...process.env, ERIS_COORDINATOR_TOKEN: TOKEN } });
    started.push(npm.pid!);
    await waitFor(async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
      } catch {
        return false;
      }
    }, 30_000, 'the coordinator under npm run');
    guarded = spawnNamed(dir, 'guarded-db');
    started.push(guarded.pid!);
    await waitFor(() => cmdline(guarded.pid!).startsWith(join(dir, 'guarded-db')), 2000, 'guarded-db to exec');
    const config = loadAgentConfig({ listen: '127.0.0.1:0', token: TOKEN, stateDir: join(dir, 'agent'), noCri: true, hostProcesses: true, protect: 'guarded-db' }, {});
    agent = await startAgent(config, { logger: silentLogger() });
  });

  after(async () => {
    await agent?.close();
    for (const pid of started) killTree(pid);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the coordinator, its shell and its npm wrapper, with or without an override, and stops nothing', async () => {
    const tree = treeOf(npm.pid!);
    const coordinator = tree.find((pid) => cmdline(pid).includes(`${ERIS_BIN} coordinator`) && !cmdline(pid).startsWith('sh'))!;
    const shell = tree.find((pid) => cmdline(pid).startsWith('sh '))!;
    assert.ok(coordinator && shell, `npm tree: ${tree.map((p) => `${p} ${cmdline(p)}`).join('; ')}`);
    const requests = [
      { signal: 'SIGSTOP', target: { pids: [npm.pid] }, leaseSeconds: 5 },
      { signal: 'SIGSTOP', target: { pids: [npm.pid] }, scope: 'init', leaseSeconds: 5, override: ['protected-process'] },
      { signal: 'SIGSTOP', target: { pids: [shell] }, scope: 'init', leaseSeconds: 5 },
      { signal: 'SIGKILL', target: { pids: [coordinator] }, override: ['protected-process', 'denied-namespace'] },
    ];
    for (const request of requests) {
      const res = await api(request);
      assert.equal(res.status, 403, `${JSON.stringify(request)} → ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'ERIS_ERR_FORBIDDEN_TARGET');
      assert.equal(res.body.error.details.reason, 'eris-process');
    }
    // A selection by command line never matches eris (nor its wrappers): nothing to refuse, nothing listed.
    const bySelection = await api({ signal: 'SIGSTOP', target: { cmdline: 'eris\\.js coordinator' }, leaseSeconds: 5 });
    assert.equal(bySelection.status, 422, JSON.stringify(bySelection.body));
    assert.equal(bySelection.body.error.code, 'ERIS_ERR_NO_TARGETS');
    for (const pid of treeOf(npm.pid!)) assert.ok(isRunning(pid), `pid ${pid} (${cmdline(pid)}) untouched`);
  });

  it('refuses a process on the operator list, alone or in a tree, even with an override', async () => {
    const single = await api({ signal: 'SIGSTOP', target: { pids: [guarded.pid] }, leaseSeconds: 5, override: ['protected-process'] });
    assert.equal(single.status, 403, JSON.stringify(single.body));
    assert.equal(single.body.error.details.reason, 'operator-protected');
    assert.match(single.body.error.message, /guarded-db/);
    // A shell whose tree holds a protected process: refused as a whole, nothing stopped.
    const parent = spawn('sh', ['-c', `${join(dir, 'guarded-db')} 1000 & wait`], { stdio: 'ignore', detached: true });
    started.push(parent.pid!);
    await waitFor(() => treeOf(parent.pid!).some((pid) => cmdline(pid).startsWith(join(dir, 'guarded-db'))), 2000, 'the shell to fork and exec');
    const tree = await api({ signal: 'SIGSTOP', target: { pids: [parent.pid] }, leaseSeconds: 5 });
    assert.equal(tree.status, 403);
    for (const pid of treeOf(parent.pid!)) assert.ok(isRunning(pid));
    // The shell alone is fine.
    const init = await api({ signal: 'SIGSTOP', target: { pids: [parent.pid] }, scope: 'init', leaseSeconds: 5 });
    assert.equal(init.status, 201);
    agent.faults.resume(init.body.id);
  });
});

describe('the sweep for processes forked mid-stop obeys the request’s overrides', () => {
  it('does not stop a protected process the rescan finds unless the request named the override', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eris-sweep-'));
    const tree = await spawnTree(1);
    // A process named like the runtime (`runc init` appears in a container during an exec): protected.
    const runc = spawnNamed(dir, 'runc');
    await waitFor(() => cmdline(runc.pid!).startsWith(join(dir, 'runc')), 2000, 'runc to exec');
    const procfs = new ProcFs();
    const cgroups = new CgroupResolver({ procfs });
    const real = new TargetResolver({ containers: null, procfs, cgroups, hostProcesses: true, isExcludedFromSelection: () => false });
    // The seam: the rescan "finds" the runc process as if it had been forked into the target mid-stop.
    const resolver = Object.assign(Object.create(real) as TargetResolver, {
      rescan: (t: ResolvedTarget, scope: 'all' | 'init') => [...real.rescan(t, scope), ...real.rescan({ kind: 'process', processes: [{ pid: runc.pid!, startTime: procfs.stat(runc.pid!)!.startTime, cgroup: null }] }, 'init')],
    });
    const manager = (stateDir: string) =>
      new FaultManager({
        resolver,
        signaller: new Signaller({ procfs, pidfd: loadPidfd() }),
        procfs,
        journal: new Journal(stateDir),
        safety: new SafetyPolicy({ procfs, denyNamespaces: [] }),
        metrics: createAgentMetrics(new Registry()),
        logger: silentLogger(),
        leaseDefaultSeconds: 10,
        leaseMaxSeconds: 60,
      });
    try {
      const plain = manager(join(dir, 'a'));
      const fault = await plain.create({ signal: 'SIGSTOP', target: { pids: [tree.pid] }, scope: 'all', method: 'signal', override: [] }, 'test');
      assert.equal(fault.result, 'ok');
      assert.ok(isRunning(runc.pid!), 'the protected process found by the sweep was left alone');
      assert.ok(!fault.targets[0]!.processes.some((p) => p.pid === runc.pid));
      for (const pid of tree.pids()) assert.equal(procState(pid), 'T');
      plain.resume(fault.id);
      plain.close();

      const overridden = manager(join(dir, 'b'));
      const withOverride = await overridden.create({ signal: 'SIGSTOP', target: { pids: [tree.pid] }, scope: 'all', method: 'signal', override: ['protected-process'] }, 'test');
      assert.equal(procState(runc.pid!), 'T', 'named override: the sweep may stop it');
      overridden.resume(withOverride.id);
      overridden.close();
      await waitFor(() => isRunning(runc.pid!), 2000, 'runc resumed');
    } finally {
      killTree(tree.pid);
      killTree(runc.pid!);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
