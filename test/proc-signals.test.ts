// Signalling real processes: freeze/resume/kill a multi-process group found through its cgroup, refuse
// stale identities, and a real PID reuse. Only processes these tests spawn are ever signalled.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ProcFs } from '../daemon/proc/procfs.js';
import { CgroupResolver } from '../daemon/proc/cgroup.js';
import { checkIdentity, identify, type ProcessIdentity } from '../daemon/proc/identity.js';
import { Signaller, waitForState, parseSignal, SIGNALS, IDENTITY_MISMATCH_CODE, type SignalMethod } from '../daemon/proc/signal.js';
import { IdentityMismatchError, NotFoundError, ValidationError } from '../lib/errors.js';
import { constants } from 'node:os';
import { loadPidfd, probePidfd } from '../native/pidfd.js';
import { procState, treeOf, waitFor } from './harness/processes.js';
import { findExecutable } from './harness/requirements.js';

const procfs = new ProcFs();
const pidfd = loadPidfd();
const PIDS_V1 = '/sys/fs/cgroup/pids';
const canCgroup = process.getuid?.() === 0 && existsSync(`${PIDS_V1}/cgroup.procs`) && !existsSync(`${PIDS_V1}/cgroup.controllers`);

interface Group {
  shPid: number;
  /** Every live PID of the group (sh first). */
  pids(): number[];
  cleanup(): Promise<void>;
}

/**
 * `sh -c 'sleep 1000 & sleep 1000 & wait'`. With a v1 pids hierarchy the shell is moved into a
 * throwaway cgroup before it forks (it waits on stdin for that), so the resolver finds the group
 * the way the agent finds a container; without one, the group is the process tree (ppid walk).
 */
async function spawnGroup(): Promise<Group> {
  const dir = canCgroup ? `${PIDS_V1}/eris-test-${randomBytes(4).toString('hex')}` : null;
  if (dir) mkdirSync(dir);
  // After `wait` the shell blocks on stdin again, so it outlives its sleeps until it is killed.
  const child = spawn('sh', ['-c', 'read go; sleep 1000 & sleep 1000 & wait; read never'], { stdio: ['pipe', 'ignore', 'ignore'] });
  const exited = once(child, 'exit');
  const shPid = child.pid!;
  const members = (): number[] =>
    dir ? readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number) : treeOf(shPid);
  const cleanup = async (): Promise<void> => {
    // Children first, while the shell is alive to reap them (this VM's PID 1 reaps no orphans).
    if (child.exitCode === null && child.signalCode === null) {
      for (const pid of members()) {
        if (pid === shPid) continue;
        try { process.kill(pid, 'SIGCONT'); process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
      await waitFor(() => members().every((p) => p === shPid), 5000, 'the sleeps to be reaped').catch(() => {});
    }
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
    if (dir) {
      await waitFor(() => members().length === 0, 5000, 'the cgroup to empty').catch(() => {});
      rmdirSync(dir);
    }
  };
  try {
    if (dir) writeFileSync(`${dir}/cgroup.procs`, String(shPid));
    child.stdin!.write('go\n');
    await waitFor(() => members().length === 3, 5000, 'the shell to fork two sleeps');
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { shPid, pids: () => [shPid, ...members().filter((p) => p !== shPid)], cleanup };
}

describe('signal names and identity checks', () => {
  test('parseSignal: with or without SIG, any case; numbers match the platform', () => {
    assert.equal(parseSignal('SIGSTOP'), 19);
    assert.equal(parseSignal('stop'), 19);
    assert.equal(parseSignal(' sigKill '), 9);
    assert.equal(parseSignal(18), 18);
    for (const [name, num] of Object.entries(SIGNALS)) assert.equal(constants.signals[name as keyof typeof constants.signals], num, name);
    assert.throws(() => parseSignal('SIGWHAT'), (err: unknown) => err instanceof ValidationError && err.path === 'signal' && /signal: unknown signal/.test(err.message));
    assert.throws(() => parseSignal(0), ValidationError);
  });

  test('checkIdentity throws IdentityMismatchError with pid, expected and actual; identify throws NotFoundError when gone', () => {
    const me = identify(procfs, process.pid, 'ctr-1');
    assert.equal(me.containerId, 'ctr-1');
    checkIdentity(procfs, me);
    assert.throws(() => checkIdentity(procfs, { ...me, startTime: '1' }), (err: unknown) => {
      assert.ok(err instanceof IdentityMismatchError);
      assert.equal(err.code, 'ERIS_ERR_IDENTITY_MISMATCH');
      assert.deepEqual(err.details?.expected, { startTime: '1', cgroup: me.cgroup });
      assert.equal((err.details?.actual as { startTime: string }).startTime, me.startTime);
      assert.equal(err.details?.pid, process.pid);
      assert.equal(err.details?.reason, 'start-time');
      return true;
    });
    assert.throws(() => checkIdentity(procfs, { ...me, cgroup: '/elsewhere' }), { name: 'IdentityMismatchError', details: { reason: 'cgroup', pid: process.pid, expected: { startTime: me.startTime, cgroup: '/elsewhere' }, actual: { startTime: me.startTime, cgroup: me.cgroup, state: 'R' } } });
    assert.throws(() => checkIdentity(procfs, { pid: 4_194_305, startTime: '1', cgroup: null }), { details: { reason: 'gone', pid: 4_194_305, expected: { startTime: '1', cgroup: null }, actual: { startTime: null, cgroup: null, state: null } } });
    assert.throws(() => identify(procfs, 4_194_305), NotFoundError);
  });

  test('the signaller never signals pid <= 0 (process groups / everyone for kill(2))', () => {
    for (const p of [pidfd, null]) {
      const outcome = new Signaller({ procfs, pidfd: p }).send({ pid: -1, startTime: '0', cgroup: null }, 'SIGSTOP');
      assert.equal(outcome.ok, false);
      assert.equal(outcome.error?.code, 'EINVAL');
    }
  });
});

const methods: { method: SignalMethod; skip?: string }[] = [
  { method: 'pidfd', ...(pidfd ? {} : { skip: `no pidfd: ${probePidfd().reason}` }) },
  { method: 'kill' },
];

for (const { method, skip } of methods) {
  describe(`Signaller (${method}) on a real process group`, { skip }, () => {
    const signaller = new Signaller({ procfs, pidfd: method === 'pidfd' ? pidfd : null });
    let group: Group;
    let ids: ProcessIdentity[];

    before(async () => {
      group = await spawnGroup();
      const pids = canCgroup ? new CgroupResolver().pidsOf(group.shPid) : treeOf(group.shPid);
      assert.equal(pids.length, 3);
      ids = pids.map((pid) => identify(procfs, pid));
    });
    after(async () => {
      await group?.cleanup();
    });

    test('SIGSTOP freezes every process (state T)', async () => {
      for (const id of ids) assert.deepEqual(signaller.send(id, 'SIGSTOP'), { pid: id.pid, ok: true, method });
      const reached = await Promise.all(ids.map((id) => waitForState(procfs, id, 'stopped', 2000)));
      assert.deepEqual(reached, [true, true, true]);
      for (const id of ids) assert.equal(procState(id.pid), 'T');
    });

    test('SIGCONT resumes every process', async () => {
      for (const id of ids) assert.equal(signaller.send(id, 'cont').ok, true);
      const reached = await Promise.all(ids.map((id) => waitForState(procfs, id, 'running', 2000)));
      assert.deepEqual(reached, [true, true, true]);
      for (const id of ids) assert.notEqual(procState(id.pid), 'T');
    });

    test('an identity with another start time or cgroup is refused and the process is not signalled', async () => {
      const target = ids[1]!;
      const staleStart = { ...target, startTime: String(BigInt(target.startTime) - 1n) };
      const staleCgroup = { ...target, cgroup: '/kubepods/another-container' };
      for (const stale of [staleStart, staleCgroup]) {
        const outcome = signaller.send(stale, 'SIGSTOP');
        assert.equal(outcome.ok, false);
        assert.equal(outcome.method, method);
        assert.equal(outcome.error?.code, IDENTITY_MISMATCH_CODE);
      }
      assert.equal(await waitForState(procfs, target, 'stopped', 50), false);
      assert.notEqual(procState(target.pid), 'T');
    });

    test('SIGKILL → gone; then ESRCH for the gone process', async () => {
      // Sleeps before the shell, so the shell is still there to reap them.
      const [sh, ...sleeps] = ids;
      for (const id of sleeps) assert.equal(signaller.send(id, 'SIGKILL').ok, true);
      assert.deepEqual(await Promise.all(sleeps.map((id) => waitForState(procfs, id, 'gone', 2000))), [true, true]);
      await waitFor(() => sleeps.every((id) => procfs.stat(id.pid) === null), 2000, 'the shell to reap the sleeps');
      assert.equal(signaller.send(sh!, 'SIGKILL').ok, true);
      assert.equal(await waitForState(procfs, sh!, 'gone', 2000), true);
      const outcome = signaller.send(sleeps[0]!, 'SIGCONT');
      assert.equal(outcome.ok, false);
      // ESRCH unless the PID was already handed to someone else, which is refused as a mismatch.
      assert.ok(['ESRCH', IDENTITY_MISMATCH_CODE].includes(outcome.error!.code), outcome.error!.code);
    });
  });
}

// PID reuse for real. Done inside a fresh PID namespace (unshare --pid --fork --mount-proc) where the
// fixture is PID 1 and nothing else forks, so writing /proc/sys/kernel/ns_last_pid = pid-1 makes the
// next child get the dead child's PID deterministically. In the host namespace every other process
// on the machine races for PIDs; there it needs luck and retries. Signals and /proc are used from
// inside that namespace, so pidfd_open, kill and the ProcFs all agree on PID numbers.
// Start time has 10 ms resolution (USER_HZ = 100): the fixture waits 30 ms before reusing the PID,
// otherwise both processes could carry the same start time and be indistinguishable.
const REUSE_FIXTURE = `
  import { spawn } from 'node:child_process';
  import { once } from 'node:events';
  import { writeFileSync } from 'node:fs';
  const { ProcFs } = await import(${JSON.stringify(new URL('../daemon/proc/procfs.ts', import.meta.url).href)});
  const { identify } = await import(${JSON.stringify(new URL('../daemon/proc/identity.ts', import.meta.url).href)});
  const { Signaller } = await import(${JSON.stringify(new URL('../daemon/proc/signal.ts', import.meta.url).href)});
  const { loadPidfd } = await import(${JSON.stringify(new URL('../native/pidfd.ts', import.meta.url).href)});
  const procfs = new ProcFs('/proc');
  const pidfd = loadPidfd();
  const out = { myPid: process.pid, pidfd: pidfd !== null };
  const children = [];
  const start = () => { const c = spawn('sleep', ['1000'], { stdio: 'ignore' }); children.push(c); return c; };
  try {
    const old = start();
    const oldId = identify(procfs, old.pid);
    const oldFd = pidfd ? pidfd.pidfdOpen(old.pid) : -1;
    old.kill('SIGKILL');
    await once(old, 'exit');
    await new Promise((r) => setTimeout(r, 30));
    let fresh;
    for (let attempt = 1; attempt <= 20; attempt++) {
      writeFileSync('/proc/sys/kernel/ns_last_pid', String(oldId.pid - 1));
      fresh = start();
      out.attempts = attempt;
      if (fresh.pid === oldId.pid) break;
      fresh.kill('SIGKILL');
      await once(fresh, 'exit');
    }
    const freshId = identify(procfs, fresh.pid);
    Object.assign(out, { oldId, freshId });
    out.viaPidfd = pidfd ? new Signaller({ procfs, pidfd }).send(oldId, 'SIGSTOP') : null;
    out.viaKill = new Signaller({ procfs, pidfd: null }).send(oldId, 'SIGSTOP');
    if (pidfd) {
      // A pidfd taken before the reuse still names the dead process: the kernel answers ESRCH.
      try { pidfd.pidfdSendSignal(oldFd, 19); out.oldFd = 'delivered'; } catch (err) { out.oldFd = err.code; }
      pidfd.closeFd(oldFd);
    }
    await new Promise((r) => setTimeout(r, 50));
    out.freshState = procfs.stat(fresh.pid)?.state ?? null;
  } finally {
    for (const c of children) { c.kill('SIGCONT'); c.kill('SIGKILL'); }
  }
  console.log(JSON.stringify(out));
`;

const unshareSkip = process.getuid?.() !== 0 ? 'needs root' : findExecutable('unshare') ? undefined : 'needs unshare (util-linux)';

test('PID reuse in a fresh PID namespace: the old identity is refused, the new process is untouched', { skip: unshareSkip }, () => {
  const r = spawnSync(
    findExecutable('unshare')!,
    ['--pid', '--fork', '--mount-proc', '--kill-child', process.execPath, '--import', 'tsx', '--input-type=module', '-e', REUSE_FIXTURE],
    { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(out.myPid, 1, 'the fixture is the init of its PID namespace');
  // The PID really was reused, by a process with another start time.
  assert.equal(out.freshId.pid, out.oldId.pid);
  assert.notEqual(out.freshId.startTime, out.oldId.startTime);
  assert.equal(out.viaKill.ok, false);
  assert.equal(out.viaKill.error.code, IDENTITY_MISMATCH_CODE);
  if (out.pidfd) {
    assert.equal(out.viaPidfd.ok, false);
    assert.equal(out.viaPidfd.error.code, IDENTITY_MISMATCH_CODE);
    assert.equal(out.oldFd, 'ESRCH');
  }
  assert.ok(['S', 'R'].includes(out.freshState), `fresh process state ${out.freshState}`);
});

// The hot path: Signaller.send(SIGSTOP) until /proc says T, 200 times on one process.
test('latency: send(SIGSTOP) → state T', { skip: pidfd ? undefined : 'pidfd only' }, async (t) => {
  const signallers = { pidfd: new Signaller({ procfs, pidfd }), kill: new Signaller({ procfs, pidfd: null }) };
  const child: ChildProcess = spawn('sleep', ['1000'], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  try {
    const id = identify(procfs, child.pid!);
    for (const [name, signaller] of Object.entries(signallers)) {
      const samples: number[] = [];
      for (let i = 0; i < 200; i++) {
        const t0 = performance.now();
        const outcome = signaller.send(id, 'SIGSTOP');
        const stopped = await waitForState(procfs, id, 'stopped', 1000);
        samples.push(performance.now() - t0);
        assert.ok(outcome.ok && stopped);
        signaller.send(id, 'SIGCONT');
        assert.ok(await waitForState(procfs, id, 'running', 1000));
      }
      samples.sort((a, b) => a - b);
      const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!.toFixed(3);
      t.diagnostic(`${name}: median ${q(0.5)} ms, p90 ${q(0.9)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms (n=200)`);
      assert.ok(Number(q(0.5)) < 10, `median ${q(0.5)} ms`);
    }
  } finally {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }
});
