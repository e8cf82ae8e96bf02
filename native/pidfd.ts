// pidfd_open / pidfd_send_signal through koffi: signals pinned to one process, so a recycled PID is never hit.
//
// ref: man 2 pidfd_open (Linux 5.3), man 2 pidfd_send_signal (Linux 5.1). Both numbers come from the
// unified syscall table (include/uapi/asm-generic/unistd.h) and are the same on x86_64 and arm64.
// Nothing is loaded at import time: koffi and libc are opened on the first loadPidfd()/probePidfd() call.
import { createRequire } from 'node:module';
import { getSystemErrorMap } from 'node:util';
import type * as KoffiModule from 'koffi';

export const SYS_PIDFD_SEND_SIGNAL = 424;
export const SYS_PIDFD_OPEN = 434;

export interface PidfdApi {
  /** pidfd_open(pid, 0): a descriptor that refers to exactly this process, even after its PID is reused. Throws SyscallError. */
  pidfdOpen(pid: number): number;
  /** pidfd_send_signal(fd, signo, NULL, 0). Throws SyscallError (ESRCH once the process has exited). */
  pidfdSendSignal(fd: number, signo: number): void;
  /** close(fd). Throws SyscallError. */
  closeFd(fd: number): void;
}

/** A failed system call, shaped like Node's own errno exceptions (`code` is the errno name, e.g. ESRCH). */
export class SyscallError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;

  constructor(syscall: string, errno: number) {
    const [code, description] = errnoInfo(errno);
    super(`${syscall}: ${code} (${description})`);
    this.name = 'SyscallError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}

export type PidfdProbe = { api: PidfdApi; reason?: undefined } | { api: null; reason: string };

let cached: PidfdProbe | undefined;

/** The pidfd API, or null where the kernel/platform has none (callers fall back to kill(2)). Memoized. */
export function loadPidfd(): PidfdApi | null {
  return probePidfd().api;
}

/** Like loadPidfd, but says why pidfds are unavailable (for a log line at start). Memoized. */
export function probePidfd(): PidfdProbe {
  cached ??= probe();
  return cached;
}

function probe(): PidfdProbe {
  if (process.platform !== 'linux') return { api: null, reason: `platform ${process.platform} has no pidfd` };
  let api: PidfdApi;
  try {
    api = bind();
  } catch (err) {
    return { api: null, reason: `koffi/libc could not be loaded: ${(err as Error).message}` };
  }
  // Try both calls on ourselves: ENOSYS on kernels < 5.3, EPERM/ENOSYS under seccomp profiles that predate them.
  let fd: number;
  try {
    fd = api.pidfdOpen(process.pid);
  } catch (err) {
    return { api: null, reason: `pidfd_open unusable: ${(err as Error).message}` };
  }
  try {
    api.pidfdSendSignal(fd, 0);
  } catch (err) {
    return { api: null, reason: `pidfd_send_signal unusable: ${(err as Error).message}` };
  } finally {
    try { api.closeFd(fd); } catch { /* the probe's own fd; nothing to do */ }
  }
  return { api };
}

function bind(): PidfdApi {
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as typeof KoffiModule;
  const libc = openLibc(koffi);
  // syscall(2) is variadic in C: declare it so, which keeps the call ABI-correct on every architecture.
  const syscall = libc.func('long syscall(long number, ...)');
  const close = libc.func('int close(int fd)');

  // koffi.errno() must be read right after the call, before anything else can touch errno.
  return {
    pidfdOpen(pid: number): number {
      const fd = syscall(SYS_PIDFD_OPEN, 'int', pid, 'unsigned int', 0) as number;
      if (fd < 0) throw new SyscallError('pidfd_open', koffi.errno());
      return fd;
    },
    pidfdSendSignal(fd: number, signo: number): void {
      const rc = syscall(SYS_PIDFD_SEND_SIGNAL, 'int', fd, 'int', signo, 'void *', null, 'unsigned int', 0) as number;
      if (rc < 0) throw new SyscallError('pidfd_send_signal', koffi.errno());
    },
    closeFd(fd: number): void {
      if ((close(fd) as number) < 0) throw new SyscallError('close', koffi.errno());
    },
  };
}

function openLibc(koffi: typeof KoffiModule): KoffiModule.LibraryHandle {
  // glibc first; null = the symbols already linked into node (musl builds, odd sonames).
  try {
    return koffi.load('libc.so.6');
  } catch (err) {
    try {
      return koffi.load(null);
    } catch {
      throw err;
    }
  }
}

function errnoInfo(errno: number): [string, string] {
  // libuv keys its map by negative errno.
  const entry = getSystemErrorMap().get(-errno);
  return entry ?? [`E${errno}`, `errno ${errno}`];
}
