import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CgroupResolver, primaryCgroup } from './cgroup.js';
import { ProcFs, parseCgroupFile, parseStat } from './procfs.js';
import { waitFor } from '../../test/harness/processes.js';

const testdata = fileURLToPath(new URL('../../testdata/', import.meta.url));
const V2 = `${testdata}cgroup-v2`;
const V1 = `${testdata}cgroup-v1`;
const v2 = () => new CgroupResolver({ procRoot: `${V2}/proc`, cgroupRoot: `${V2}/sys/fs/cgroup` });
const v1 = (cgroupRoot = `${V1}/sys/fs/cgroup`) => new CgroupResolver({ procRoot: `${V1}/proc`, cgroupRoot });

const POD_A = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f5c3e2a_7b1d_4c8e_9a6f_2d4b8c1e3f5a.slice';
const CTR_A = `${POD_A}/cri-containerd-3b9f2c7d1e4a5b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c.scope`;
const CTR_1 = '/kubepods/burstable/pod5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9/d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2';

describe('ProcFs', () => {
  const procfs = new ProcFs(`${V2}/proc`);

  test('stat takes comm up to the last ")" (comm may contain spaces and ")")', () => {
    assert.deepEqual(procfs.stat(4260), { pid: 4260, comm: 'weird) (name', state: 'S', ppid: 4242, startTime: '120060' });
    assert.deepEqual(procfs.stat(4261), { pid: 4261, comm: 'worker 2', state: 'T', ppid: 4260, startTime: '120061' });
    assert.equal(procfs.stat(99999), null);
  });

  test('stat of a real process', () => {
    const st = new ProcFs().stat(process.pid)!;
    assert.equal(st.pid, process.pid);
    assert.equal(st.ppid, process.ppid);
    assert.equal(st.state, 'R');
    assert.match(st.startTime, /^\d+$/);
    const raw = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    assert.equal(st.startTime, raw.slice(raw.lastIndexOf(')') + 2).split(' ')[19]);
  });

  test('parseStat handles a comm of ") )" and a final field without newline', () => {
    const fields = Array.from({ length: 49 }, (_, i) => String(i + 4));
    fields[0] = '77'; // field 4: ppid
    fields[18] = '987654321'; // field 22: starttime
    assert.deepEqual(parseStat(`12 () )) Z ${fields.join(' ')}`), { pid: 12, comm: ') )', state: 'Z', ppid: 77, startTime: '987654321' });
    assert.equal(parseStat('garbage'), null);
  });

  test('cmdline, cgroups, listPids', () => {
    assert.deepEqual(procfs.cmdline(4242), ['etcd', '--name', 'etcd-0']);
    assert.deepEqual(procfs.cmdline(5003), []);
    assert.equal(procfs.cmdline(99999), null);
    assert.deepEqual(procfs.cgroups(4242), [{ hierarchyId: 0, controllers: [], path: CTR_A }]);
    assert.deepEqual(new ProcFs(`${V1}/proc`).cgroups(3100)!.slice(2, 3), [{ hierarchyId: 10, controllers: ['cpu', 'cpuacct'], path: CTR_1 }]);
    assert.ok(procfs.listPids().includes(4242));
    assert.ok(!procfs.listPids().includes(0));
    assert.deepEqual(parseCgroupFile('1:name=systemd:/a:b\n0::/\n'), [
      { hierarchyId: 1, controllers: ['name=systemd'], path: '/a:b' },
      { hierarchyId: 0, controllers: [], path: '/' },
    ]);
  });

  test('exe of a real process; null when gone', () => {
    assert.equal(new ProcFs().exe(process.pid), process.execPath);
    assert.equal(new ProcFs().exe(4_194_305), null);
  });
});

describe('primaryCgroup', () => {
  test('pids, then memory, then name=systemd, then the v2 line', () => {
    const e = parseCgroupFile('12:pids:/p\n11:memory:/m\n1:name=systemd:/s\n0::/u\n');
    assert.equal(primaryCgroup(e)?.path, '/p');
    assert.equal(primaryCgroup(e.slice(1))?.path, '/m');
    assert.equal(primaryCgroup(e.slice(2))?.path, '/s');
    assert.equal(primaryCgroup(e.slice(3))?.path, '/u');
    assert.equal(primaryCgroup([]), null);
  });
});

describe('CgroupResolver on a cgroup v2 snapshot', () => {
  test('a container: its cgroup plus nested child cgroups, not the neighbours', () => {
    const r = v2();
    assert.deepEqual(r.pidsOf(4242), [4242, 4250, 4260, 4261]);
    assert.deepEqual(r.locate(4242), { version: 2, hierarchyId: 0, controller: null, path: CTR_A, dir: `${V2}/sys/fs/cgroup${CTR_A}` });
    assert.equal(r.cgroupPathOf(4250), CTR_A);
    // From a process in a child cgroup, only that subtree.
    assert.deepEqual(r.pidsOf(4260), [4260, 4261]);
  });

  test('cgroup directory missing → /proc scan (same path or below; zombies and look-alike names left out)', () => {
    const r = v2();
    assert.equal(r.locate(5000)!.dir?.endsWith('cri-containerd-c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00.scope'), true);
    assert.deepEqual(r.pidsOf(5000), [5000, 5001, 5002]);
  });

  test('private cgroup namespace (`/../..` paths) → never joined to the mount, /proc scan instead', () => {
    const r = v2();
    assert.equal(r.locate(6000)!.dir, null);
    assert.deepEqual(r.pidsOf(6000), [6000, 6001]);
  });

  test('root cgroup is never expanded to the whole host: the process and its descendants', () => {
    assert.deepEqual(v2().pidsOf(7000), [7000, 7001, 7002]);
  });

  test('gone → [] / null', () => {
    assert.deepEqual(v2().pidsOf(99999), []);
    assert.equal(v2().cgroupPathOf(99999), null);
  });
});

describe('CgroupResolver on a cgroup v1 snapshot', () => {
  test('uses the pids hierarchy on a hybrid host; dedupes v1 cgroup.procs', () => {
    const r = v1();
    assert.deepEqual(r.locate(3100), { version: 1, hierarchyId: 12, controller: 'pids', path: CTR_1, dir: `${V1}/sys/fs/cgroup/pids${CTR_1}` });
    assert.deepEqual(r.pidsOf(3100), [3100, 3110, 3120]);
    assert.deepEqual(r.pidsOf(3200), [3200]);
  });

  test('falls back to memory, then name=systemd', () => {
    const r = v1();
    assert.equal(r.locate(3300)!.controller, 'memory');
    assert.deepEqual(r.pidsOf(3300), [3300]);
    assert.deepEqual(r.locate(3301), { version: 1, hierarchyId: 1, controller: 'name=systemd', path: '/system.slice/sysd.service', dir: `${V1}/sys/fs/cgroup/systemd/system.slice/sysd.service` });
    assert.deepEqual(r.pidsOf(3301), [3301]);
  });

  test('pids not mounted here → memory', () => {
    const root = mkdtempSync(`${tmpdir()}/eris-cg-`);
    try {
      cpSync(`${V1}/sys/fs/cgroup/memory`, `${root}/memory`, { recursive: true });
      const r = v1(root);
      assert.equal(r.locate(3100)!.controller, 'memory');
      assert.deepEqual(r.pidsOf(3100), [3100, 3110, 3120]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a directory that does not hold the init is not trusted → /proc scan', () => {
    const root = mkdtempSync(`${tmpdir()}/eris-cg-`);
    try {
      mkdirSync(`${root}/pids${CTR_1}`, { recursive: true });
      writeFileSync(`${root}/pids/cgroup.procs`, '1\n');
      writeFileSync(`${root}/pids${CTR_1}/cgroup.procs`, '424242\n');
      assert.deepEqual(v1(root).pidsOf(3100), [3100, 3110, 3120]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

// A real v1 cgroup on this machine: a shell gated on stdin is moved into it before it forks, so its
// two sleeps are born inside. Only processes this test started ever sit in that cgroup.
const PIDS_V1 = '/sys/fs/cgroup/pids';
const liveSkip = process.getuid?.() !== 0
  ? 'needs root'
  : !existsSync(`${PIDS_V1}/cgroup.procs`) || existsSync(`${PIDS_V1}/cgroup.controllers`)
    ? 'needs a cgroup v1 pids hierarchy at /sys/fs/cgroup/pids'
    : undefined;

test('live cgroup v1: pidsOf finds the shell and both sleeps it forked', { skip: liveSkip }, async () => {
  const dir = `${PIDS_V1}/eris-test-${randomBytes(4).toString('hex')}`;
  mkdirSync(dir);
  const procsOf = () => readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
  const child = spawn('sh', ['-c', 'read go; sleep 1000 & sleep 1000 & wait'], { stdio: ['pipe', 'ignore', 'ignore'] });
  const exited = once(child, 'exit');
  const shPid = child.pid!;
  try {
    writeFileSync(`${dir}/cgroup.procs`, String(shPid));
    child.stdin!.write('go\n');
    const procfs = new ProcFs();
    // Both forks are in the cgroup before they exec sleep: wait for the exec too.
    const execed = () => procsOf().filter((p) => procfs.cmdline(p)?.[0] === 'sleep').length === 2;
    await waitFor(() => procsOf().length === 3 && execed(), 5000, 'the shell to fork two sleeps');
    const pids = new CgroupResolver().pidsOf(shPid);
    assert.equal(pids.length, 3);
    assert.deepEqual(pids, [...procsOf()].sort((a, b) => a - b));
    assert.ok(pids.includes(shPid));
    for (const pid of pids.filter((p) => p !== shPid)) {
      assert.equal(procfs.stat(pid)?.ppid, shPid);
      assert.deepEqual(procfs.cmdline(pid), ['sleep', '1000']);
    }
  } finally {
    // Sleeps first, while the shell lives to reap them (PID 1 of this VM reaps no orphans);
    // every PID in our own fresh cgroup is one of ours.
    for (const pid of procsOf()) {
      if (pid === shPid) continue;
      try { process.kill(pid, 'SIGCONT'); process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await waitFor(() => procsOf().every((p) => p === shPid), 5000, 'the sleeps to exit').catch(() => {});
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
    await waitFor(() => procsOf().length === 0, 5000, 'the cgroup to empty').catch(() => {});
    rmdirSync(dir);
  }
});
