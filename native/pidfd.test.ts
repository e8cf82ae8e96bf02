import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { loadPidfd, probePidfd, SyscallError } from './pidfd.js';
import { procState, waitFor } from '../test/harness/processes.js';

const api = loadPidfd();

describe('pidfd', { skip: api === null ? `no pidfd here: ${probePidfd().reason}` : undefined }, () => {
  test('is memoized', () => {
    assert.equal(loadPidfd(), api);
  });

  test('stops, resumes and kills a real child through its pidfd; ESRCH once it is reaped', async () => {
    const pidfd = api!;
    const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
    const pid = child.pid!;
    const exited = once(child, 'exit');
    let fd = -1;
    try {
      fd = pidfd.pidfdOpen(pid);
      assert.ok(fd >= 0);
      pidfd.pidfdSendSignal(fd, 19); // SIGSTOP
      await waitFor(() => procState(pid) === 'T', 2000, 'state T');
      pidfd.pidfdSendSignal(fd, 18); // SIGCONT
      await waitFor(() => procState(pid) !== 'T', 2000, 'resumed');
      pidfd.pidfdSendSignal(fd, 9); // SIGKILL
      const [code, signal] = await exited;
      assert.equal(code, null);
      assert.equal(signal, 'SIGKILL');
      // Reaped: the fd still refers to that (dead) process, never to a new holder of the PID.
      assert.throws(() => pidfd.pidfdSendSignal(fd, 0), (err: unknown) => {
        assert.ok(err instanceof SyscallError);
        assert.equal(err.code, 'ESRCH');
        assert.equal(err.errno, 3);
        assert.equal(err.syscall, 'pidfd_send_signal');
        return true;
      });
    } finally {
      if (fd >= 0) pidfd.closeFd(fd);
      // ChildProcess.kill is a no-op once Node has reaped the child, so a recycled PID is never hit.
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  });

  test('errno is read right after the call and named', () => {
    const pidfd = api!;
    // Above the largest possible pid_max (2^22): no such process.
    assert.throws(() => pidfd.pidfdOpen(4_194_305), { name: 'SyscallError', code: 'ESRCH', syscall: 'pidfd_open' });
    assert.throws(() => pidfd.pidfdOpen(-1), { code: 'EINVAL' });
    assert.throws(() => pidfd.pidfdSendSignal(-1, 0), { code: 'EBADF' });
    const fd = pidfd.pidfdOpen(process.pid);
    pidfd.closeFd(fd);
    assert.throws(() => pidfd.closeFd(fd), { code: 'EBADF', syscall: 'close' });
  });

  test('a pidfd on ourselves accepts signal 0', () => {
    const pidfd = api!;
    const fd = pidfd.pidfdOpen(process.pid);
    try {
      pidfd.pidfdSendSignal(fd, 0);
    } finally {
      pidfd.closeFd(fd);
    }
  });
});

test('importing the module does no FFI work (koffi is loaded on first use)', () => {
  const url = new URL('./pidfd.ts', import.meta.url).href;
  const script = `
    import { createRequire } from 'node:module';
    const mod = await import(${JSON.stringify(url)});
    const cache = createRequire(${JSON.stringify(url)}).cache;
    const before = Object.keys(cache).some((k) => k.includes('/koffi/'));
    mod.loadPidfd();
    const after = Object.keys(cache).some((k) => k.includes('/koffi/'));
    console.log(JSON.stringify({ before, after }));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const { before, after } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { before: boolean; after: boolean };
  assert.equal(before, false);
  assert.equal(after, process.platform === 'linux');
});
