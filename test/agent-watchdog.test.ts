// A lease that needs no live agent: the real `eris agent` binary, SIGKILLed (by its PID: a process this test
// started) while it holds processes stopped, is never restarted, and its detached watchdog resumes them at
// lease + grace; restarted instead, the new agent resumes them from its journal and the old watchdog stands down, so
// it cannot resume later what the new run stops again. Then the watchdog process alone: it never signals a process
// whose start time is not the one it was given, and it thaws a cgroup it was told a freezer fault froze.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentProcess } from './harness/agent-process.js';
import { isRunning, procState, spawnTree, waitFor, killTree } from './harness/processes.js';
import { WatchdogProcess } from '../daemon/watchdog/client.js';
import { ProcFs } from '../daemon/proc/procfs.js';
import { silentLogger } from '../lib/logger.js';

const TOKEN = 'watchdog-test-token';
const LEASE_S = 2;
const GRACE_S = 1;

/** Polls until every pid runs again; returns when that was seen (Date.now()), or throws after `ms`. */
async function resumedAt(pids: number[], ms: number): Promise<number> {
  await waitFor(() => pids.every((pid) => isRunning(pid) || procState(pid) === null), ms, `${pids.join(',')} resumed`);
  return Date.now();
}

function watchdogPid(dir: string): { pid: number; startTime: string } {
  return JSON.parse(readFileSync(join(dir, 'watchdog.pid'), 'utf8')) as { pid: number; startTime: string };
}

function sameProcess(pid: number, startTime: string): boolean {
  return new ProcFs().stat(pid)?.startTime === startTime;
}

describe('lease watchdog', () => {
  const dirs: string[] = [];
  const trees: number[] = [];
  const children: ChildProcess[] = [];
  const newDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'eris-watchdog-'));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const pid of trees) killTree(pid);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const argsFor = (dir: string) => ['--state-dir', dir, '--no-cri', '--host-processes', '--watchdog-grace', String(GRACE_S)];

  it('agent SIGKILLed and never restarted: its watchdog resumes the victims at lease + grace, then exits', async () => {
    const dir = newDir();
    const tree = await spawnTree(2);
    trees.push(tree.pid);
    const agent = await startAgentProcess(argsFor(dir), TOKEN);
    const wd = watchdogPid(dir);
    const placed = await agent.api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [tree.pid] }, leaseSeconds: LEASE_S });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const pids = tree.pids();
    for (const pid of pids) assert.equal(procState(pid), 'T');
    await agent.stop('SIGKILL');

    // Nothing but the watchdog is left to resume them: stopped until the lease's end + grace, running right after.
    const deadline = placed.body.leaseExpiresAt + GRACE_S * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now() - 300)));
    for (const pid of pids) assert.equal(procState(pid), 'T', `pid ${pid} still stopped before lease + grace`);
    const at = await resumedAt(pids, 3000);
    assert.ok(at - deadline < 1000, `resumed ${at - deadline} ms after lease + grace`);
    await waitFor(() => !sameProcess(wd.pid, wd.startTime), 3000, 'the watchdog to exit once nothing is held');
    assert.match(readFileSync(join(dir, 'watchdog.log'), 'utf8'), /lease \+ grace passed: resumed what the fault held/);
  });

  it('agent SIGKILLed and restarted: the new run resumes from its journal, the old watchdog stands down and leaves the next fault alone', async () => {
    const dir = newDir();
    const tree = await spawnTree(1);
    trees.push(tree.pid);
    const first = await startAgentProcess(argsFor(dir), TOKEN);
    const oldWatchdog = watchdogPid(dir);
    const placed = await first.api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [tree.pid] }, leaseSeconds: LEASE_S });
    assert.equal(placed.status, 201);
    await first.stop('SIGKILL');

    const second = await startAgentProcess(argsFor(dir), TOKEN);
    try {
      for (const pid of tree.pids()) assert.ok(isRunning(pid), `pid ${pid} resumed from the journal at start`);
      await waitFor(() => !sameProcess(oldWatchdog.pid, oldWatchdog.startTime), 3000, 'the old watchdog to stand down');
      assert.notEqual(watchdogPid(dir).pid, oldWatchdog.pid);
      // The same process stopped again by the new run, for longer: the old deadline passes and it stays stopped.
      const again = await second.api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [tree.pid] }, leaseSeconds: 60 });
      assert.equal(again.status, 201);
      const oldDeadline = placed.body.leaseExpiresAt + GRACE_S * 1000;
      await new Promise((r) => setTimeout(r, Math.max(0, oldDeadline - Date.now() + 500)));
      for (const pid of tree.pids()) assert.equal(procState(pid), 'T', `pid ${pid} still held by the new run's fault`);
      const resumed = await second.api('DELETE', `/v1/faults/${again.body.id}`);
      assert.equal(resumed.body.state, 'resumed');
      await resumedAt(tree.pids(), 2000);
    } finally {
      await second.stop();
    }
    // A clean shutdown ends the watchdog at once (`bye`).
    const last = watchdogPid(dir);
    await waitFor(() => !sameProcess(last.pid, last.startTime), 3000, 'the watchdog to exit with the agent');
  });

  it('a watchdog that dies is replaced and told again what is held: the agent SIGKILLed after that still leaves nothing stopped', async () => {
    const dir = newDir();
    const tree = await spawnTree(1);
    trees.push(tree.pid);
    const agent = await startAgentProcess(argsFor(dir), TOKEN);
    const placed = await agent.api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [tree.pid] }, leaseSeconds: LEASE_S + 1 });
    assert.equal(placed.status, 201);
    const first = watchdogPid(dir);
    // The agent's child (so ours too), checked by start time before the signal.
    assert.ok(sameProcess(first.pid, first.startTime));
    process.kill(first.pid, 'SIGKILL');
    await waitFor(() => watchdogPid(dir).pid !== first.pid, 3000, 'a new watchdog');
    await new Promise((r) => setTimeout(r, 200));
    await agent.stop('SIGKILL');
    const deadline = placed.body.leaseExpiresAt + GRACE_S * 1000;
    const pids = tree.pids();
    for (const pid of pids) assert.equal(procState(pid), 'T');
    const at = await resumedAt(pids, deadline - Date.now() + 3000);
    assert.ok(at >= deadline - 100 && at - deadline < 1000, `resumed ${at - deadline} ms after lease + grace`);
  });

  it('the watchdog alone: never signals a pid whose start time is not the one it was given; resumes the one that is', async () => {
    const dir = newDir();
    const victim = spawn('sleep', ['1000'], { stdio: 'ignore' });
    const stranger = spawn('sleep', ['1000'], { stdio: 'ignore' });
    children.push(victim, stranger);
    const procfs = new ProcFs();
    const real = procfs.stat(victim.pid!)!.startTime;
    victim.kill('SIGSTOP');
    stranger.kill('SIGSTOP');
    await waitFor(() => procState(victim.pid!) === 'T' && procState(stranger.pid!) === 'T', 2000, 'both stopped');
    const wd = new WatchdogProcess({ stateDir: dir, graceMs: 0, cgroupRoot: '/sys/fs/cgroup', procfs, logger: silentLogger() });
    const deadline = Date.now() + 500;
    wd.hold('f-real', deadline, [{ pid: victim.pid!, startTime: real }]);
    // The stranger's pid with another start time: what a reused pid looks like.
    wd.hold('f-reused', deadline, [{ pid: stranger.pid!, startTime: String(Number(procfs.stat(stranger.pid!)!.startTime) + 1) }]);
    // The agent dies: its end of the pipe closes without `bye`.
    (wd as unknown as { child: ChildProcess }).child.stdin!.end();
    await resumedAt([victim.pid!], 3000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(procState(stranger.pid!), 'T', 'the pid with another start time was never signalled');
    stranger.kill('SIGCONT');
  });

  it('the watchdog alone: thaws a cgroup a freezer fault froze (v2 cgroup.freeze on the hybrid unified tree)', { skip: existsSync('/sys/fs/cgroup/unified/cgroup.procs') ? undefined : 'no unified hierarchy' }, async () => {
    const dir = newDir();
    const cgroup = `/sys/fs/cgroup/unified/eris-test-watchdog-${process.pid}`;
    mkdirSync(cgroup);
    const victim = spawn('sleep', ['1000'], { stdio: 'ignore' });
    children.push(victim);
    try {
      writeFileSync(`${cgroup}/cgroup.procs`, String(victim.pid));
      writeFileSync(`${cgroup}/cgroup.freeze`, '1');
      await waitFor(() => /^frozen 1$/m.test(readFileSync(`${cgroup}/cgroup.events`, 'utf8')), 2000, 'frozen');
      const wd = new WatchdogProcess({ stateDir: dir, graceMs: 0, cgroupRoot: '/sys/fs/cgroup', procfs: new ProcFs(), logger: silentLogger() });
      wd.hold('f-frozen', Date.now() + 300, [], [{ version: 2, dir: cgroup }]);
      (wd as unknown as { child: ChildProcess }).child.stdin!.end();
      await waitFor(() => /^frozen 0$/m.test(readFileSync(`${cgroup}/cgroup.events`, 'utf8')), 3000, 'thawed by the watchdog');
    } finally {
      writeFileSync(`${cgroup}/cgroup.freeze`, '0');
      victim.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 100));
      rmdirSync(cgroup);
    }
  });
});
