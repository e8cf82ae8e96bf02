// The cgroup freezer on this host's real hierarchies. This machine is cgroup v1 (hybrid), so v2's cgroup.freeze is
// exercised on the hybrid unified tree (/sys/fs/cgroup/unified), in a cgroup the test creates and moves its own
// child into: the same kernel interface as a pure v2 host, only mounted elsewhere. The pure-v2 layout (the unified
// tree at the cgroup root) cannot be mounted here: it is checked against a fixture of its file layout.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CgroupFreezer } from './freezer.js';
import { ProcFs } from './procfs.js';

const UNIFIED = '/sys/fs/cgroup/unified';
const V1_FREEZER = '/sys/fs/cgroup/freezer';
const canWrite = existsSync(`${UNIFIED}/cgroup.procs`) && existsSync(`${V1_FREEZER}/cgroup.procs`) && process.getuid?.() === 0;

function state(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

async function until(predicate: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('cgroup freezer on this host', { skip: canWrite ? undefined : 'needs root and the v1 freezer + hybrid unified hierarchies' }, () => {
  const freezer = new CgroupFreezer({ procfs: new ProcFs() });
  const made: string[] = [];
  const children: ChildProcess[] = [];

  /** A `sleep` of our own, moved into a fresh cgroup of `mount`. */
  const sleeperIn = (mount: string, name: string): { pid: number; dir: string; child: ChildProcess } => {
    const dir = `${mount}/eris-test-${name}-${process.pid}`;
    mkdirSync(dir);
    made.push(dir);
    const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
    children.push(child);
    writeFileSync(`${dir}/cgroup.procs`, String(child.pid));
    return { pid: child.pid!, dir, child };
  };

  after(async () => {
    for (const dir of made) {
      // Thawed first, so our sleepers can take their SIGKILL.
      try {
        writeFileSync(`${dir}/${dir.startsWith(V1_FREEZER) ? 'freezer.state' : 'cgroup.freeze'}`, dir.startsWith(V1_FREEZER) ? 'THAWED' : '0');
      } catch {
        // gone already
      }
    }
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    for (const dir of made) {
      try {
        rmdirSync(dir);
      } catch {
        // still populated a moment: the kernel removes an empty cgroup only
      }
    }
  });

  it('v2 (hybrid unified tree): locates, freezes (frozen 1, tasks in S, not T), thaws; a frozen task takes SIGKILL', async () => {
    const { pid, dir, child } = sleeperIn(UNIFIED, 'v2');
    const cg = freezer.locate(pid);
    assert.deepEqual(cg, { version: 2, dir });
    freezer.freeze(cg!);
    assert.equal(await freezer.waitFrozen(cg!, 2000), 'frozen');
    assert.match(readFileSync(`${dir}/cgroup.events`, 'utf8'), /^frozen 1$/m);
    // v2 parks tasks in the signal-delivery path: they show S (sleeping), so a /proc reader cannot tell them from idle.
    assert.equal(state(pid), 'S');
    assert.equal(freezer.thaw(cg!), true);
    assert.equal(freezer.state(cg!), 'thawed');
    freezer.freeze(cg!);
    assert.equal(await freezer.waitFrozen(cg!, 2000), 'frozen');
    const exit = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exit;
    assert.equal(freezer.state(cg!), 'frozen', 'the kill went through without a thaw');
    freezer.thaw(cg!);
  });

  it('v1: a task of a FROZEN cgroup shows D; SIGKILL waits for the thaw', async () => {
    const { pid, dir, child } = sleeperIn(V1_FREEZER, 'v1');
    const cg = freezer.locate(pid);
    assert.deepEqual(cg, { version: 1, dir });
    freezer.freeze(cg!);
    assert.equal(await freezer.waitFrozen(cg!, 2000), 'frozen');
    assert.equal(state(pid), 'D');
    child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(state(pid), 'D', 'still there while frozen');
    const exit = new Promise((r) => child.once('exit', r));
    freezer.thaw(cg!);
    await exit;
    await until(() => state(pid) === null);
  });

  it('never writes outside its hierarchies, nor to a root, nor through ..', () => {
    assert.equal(freezer.owns({ version: 1, dir: `${V1_FREEZER}` }), false);
    assert.equal(freezer.owns({ version: 1, dir: `${V1_FREEZER}/../memory/x` }), false);
    assert.equal(freezer.owns({ version: 2, dir: '/etc' }), false);
    assert.equal(freezer.owns({ version: 1, dir: `${V1_FREEZER}/kubepods/x` }), true);
    assert.throws(() => freezer.freeze({ version: 2, dir: '/etc' }), /not a freezer cgroup/);
    assert.equal(freezer.locate(process.pid), null, 'a process in the root cgroups has nothing to freeze');
  });
});

describe('cgroup freezer: pure v2 layout (fixture: this host cannot mount cgroup v2 at its root)', () => {
  let root: string;
  let proc: string;
  before(() => {
    // The files a pure-v2 host shows: cgroup.controllers at the root, cgroup.freeze and cgroup.events in a pod's cgroup.
    root = mkdtempSync(join(tmpdir(), 'eris-v2-'));
    proc = join(root, 'proc');
    mkdirSync(join(proc, '4242'), { recursive: true });
    writeFileSync(join(proc, '4242', 'cgroup'), '0::/kubepods/pod1/abc\n');
    mkdirSync(join(root, 'cg', 'kubepods', 'pod1', 'abc'), { recursive: true });
    writeFileSync(join(root, 'cg', 'cgroup.controllers'), 'cpu memory pids\n');
    writeFileSync(join(root, 'cg', 'kubepods', 'pod1', 'abc', 'cgroup.freeze'), '0\n');
    writeFileSync(join(root, 'cg', 'kubepods', 'pod1', 'abc', 'cgroup.events'), 'populated 1\nfrozen 0\n');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('finds cgroup.freeze under the root, writes 1 / 0, and reads frozen from cgroup.events', () => {
    const freezer = new CgroupFreezer({ procfs: new ProcFs(proc), cgroupRoot: join(root, 'cg') });
    const dir = join(root, 'cg', 'kubepods', 'pod1', 'abc');
    const cg = freezer.locate(4242);
    assert.deepEqual(cg, { version: 2, dir });
    freezer.freeze(cg!);
    assert.equal(readFileSync(join(dir, 'cgroup.freeze'), 'utf8'), '1');
    assert.equal(freezer.state(cg!), 'freezing', 'asked, but the kernel (here: the fixture) has not said frozen');
    writeFileSync(join(dir, 'cgroup.events'), 'populated 1\nfrozen 1\n');
    assert.equal(freezer.state(cg!), 'frozen');
    freezer.thaw(cg!);
    assert.equal(readFileSync(join(dir, 'cgroup.freeze'), 'utf8'), '0');
    rmSync(dir, { recursive: true });
    assert.equal(freezer.thaw(cg!), false, 'a removed cgroup: nothing left frozen');
  });
});
