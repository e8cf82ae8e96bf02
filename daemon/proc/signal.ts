// Sends a signal to one identified process without ever hitting a recycled PID, and waits for its effect.
//
// Order (pidfd): pidfd_open(pid) → verify identity → pidfd_send_signal(fd) → close(fd). The fd pins
// whatever process holds the PID at open time; verifying after opening proves that process is the
// one we identified, and from then on the signal cannot reach another one. Verifying first and
// opening second would leave a window where the PID can be recycled in between.
// Without pidfds (kernel < 5.3, seccomp): verify then kill(2); the window is then the time
// between two syscalls, and the identity's start time/cgroup check is all that guards it.
//
// The ProcFs must show the PID namespace the signals are sent in (the agent: hostPID, /proc).
import { ValidationError } from '../../lib/errors.js';
import type { PidfdApi } from '../../native/pidfd.js';
import { verifyIdentity, describeMismatch, type ProcessIdentity } from './identity.js';
import type { ProcFs } from './procfs.js';

/** Linux signal numbers (x86_64/arm64; same as os.constants.signals there). */
export const SIGNALS = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGUSR2: 12,
  SIGTERM: 15,
  SIGCONT: 18,
  SIGSTOP: 19,
} as const;
export type SignalName = keyof typeof SIGNALS;
export type SignalNumber = (typeof SIGNALS)[SignalName];
/** The names in SIGNALS, as a non-empty tuple (for z.enum and help texts). */
export const SIGNAL_NAMES = Object.keys(SIGNALS) as [SignalName, ...SignalName[]];

const BY_NUMBER = new Map<number, SignalName>(
  (Object.entries(SIGNALS) as [SignalName, SignalNumber][]).map(([name, num]) => [num, name]),
);

/** `SIGSTOP`, `stop`, `Sigstop`, or a number from SIGNALS → its number. Throws ValidationError (path `signal`). */
export function parseSignal(name: string | number, path = 'signal'): SignalNumber {
  if (typeof name === 'number') {
    if (BY_NUMBER.has(name)) return name as SignalNumber;
  } else {
    const upper = name.trim().toUpperCase();
    const key = (upper.startsWith('SIG') ? upper : `SIG${upper}`) as SignalName;
    if (Object.hasOwn(SIGNALS, key)) return SIGNALS[key];
  }
  throw new ValidationError(`${path}: unknown signal ${JSON.stringify(name)}; expected one of ${Object.keys(SIGNALS).join(', ')}`, { path });
}

export function signalName(signo: SignalNumber): SignalName {
  return BY_NUMBER.get(signo)!;
}

export const SIGNAL_METHODS = ['pidfd', 'kill'] as const;
export type SignalMethod = (typeof SIGNAL_METHODS)[number];

/** Error codes an outcome carries besides errno names (ESRCH = the process is gone, EPERM, EINVAL …). */
export const IDENTITY_MISMATCH_CODE = 'ERIS_ERR_IDENTITY_MISMATCH';
export const GONE_CODE = 'ESRCH';

export interface SignalOutcome {
  pid: number;
  ok: boolean;
  method: SignalMethod;
  /**
   * Not delivered because the identified process no longer exists as identified: it exited (ESRCH at pidfd_open,
   * at the identity check or at the send), its PID was reused, or it left its cgroup (an exiting task does so
   * before it becomes a zombie). A target's processes come and go; callers decide what gone means for a signal.
   */
  gone?: true;
  error?: { code: string; message: string };
}

export interface SignallerOptions {
  procfs: ProcFs;
  /** From loadPidfd(); null = fall back to process.kill. */
  pidfd: PidfdApi | null;
}

export class Signaller {
  readonly method: SignalMethod;
  private readonly procfs: ProcFs;
  private readonly pidfd: PidfdApi | null;

  constructor(options: SignallerOptions) {
    this.procfs = options.procfs;
    this.pidfd = options.pidfd;
    this.method = options.pidfd ? 'pidfd' : 'kill';
  }

  /**
   * Signals the process if, and only if, it is still the one identified. Never throws for a
   * per-process failure (gone, mismatch, EPERM …): the outcome says what happened. Throws
   * ValidationError only for an unknown signal name.
   */
  send(identity: ProcessIdentity, signal: SignalNumber | SignalName | string): SignalOutcome {
    const signo = typeof signal === 'number' && BY_NUMBER.has(signal) ? signal : parseSignal(signal);
    const pid = identity.pid;
    // pid <= 0 means process groups / "every process" to kill(2): never.
    if (!Number.isInteger(pid) || pid <= 0) {
      return fail(pid, this.method, 'EINVAL', `invalid pid ${pid}`);
    }
    return this.pidfd ? this.viaPidfd(this.pidfd, identity, signo) : this.viaKill(identity, signo);
  }

  private viaPidfd(api: PidfdApi, identity: ProcessIdentity, signo: number): SignalOutcome {
    const pid = identity.pid;
    let fd: number;
    try {
      fd = api.pidfdOpen(pid);
    } catch (err) {
      return fromErrno(pid, 'pidfd', err);
    }
    try {
      const bad = this.check(identity, 'pidfd');
      if (bad) return bad;
      try {
        api.pidfdSendSignal(fd, signo);
      } catch (err) {
        return fromErrno(pid, 'pidfd', err);
      }
      return { pid, ok: true, method: 'pidfd' };
    } finally {
      try {
        api.closeFd(fd);
      } catch {
        // close(2) on our own fd only fails on EINTR/EIO; the fd is released either way.
      }
    }
  }

  private viaKill(identity: ProcessIdentity, signo: number): SignalOutcome {
    const bad = this.check(identity, 'kill');
    if (bad) return bad;
    try {
      process.kill(identity.pid, signo);
    } catch (err) {
      return fromErrno(identity.pid, 'kill', err);
    }
    return { pid: identity.pid, ok: true, method: 'kill' };
  }

  private check(identity: ProcessIdentity, method: SignalMethod): SignalOutcome | null {
    const m = verifyIdentity(this.procfs, identity);
    if (!m) return null;
    const outcome = m.reason === 'gone'
      ? fail(identity.pid, method, GONE_CODE, describeMismatch(m))
      : fail(identity.pid, method, IDENTITY_MISMATCH_CODE, describeMismatch(m));
    return { ...outcome, gone: true };
  }
}

function fail(pid: number, method: SignalMethod, code: string, message: string): SignalOutcome {
  return { pid, ok: false, method, error: { code, message } };
}

function fromErrno(pid: number, method: SignalMethod, err: unknown): SignalOutcome {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : 'EUNKNOWN';
  const outcome = fail(pid, method, code, e?.message ?? String(err));
  // ESRCH from pidfd_open, pidfd_send_signal or kill(2): the process exited in between.
  return code === GONE_CODE ? { ...outcome, gone: true } : outcome;
}

export const WANTED_STATES = ['stopped', 'running', 'gone'] as const;
export type WantedState = (typeof WANTED_STATES)[number];

/** Where the process is now, relative to its identity. */
function observe(procfs: ProcFs, identity: ProcessIdentity): 'stopped' | 'running' | 'gone' {
  const st = procfs.stat(identity.pid);
  if (!st || st.startTime !== identity.startTime) return 'gone';
  switch (st.state) {
    case 'Z':
    case 'X':
    case 'x':
      return 'gone';
    case 'T':
    case 't':
      return 'stopped';
    default:
      return 'running';
  }
}

// Tight polling for the first 2 ms (a SIGSTOP lands in ~0.05–0.3 ms here), then back off to at most 50 ms.
const TIGHT_MS = 2;
const BACKOFF_MS = [1, 2, 5, 10, 20, 50] as const;

/**
 * Resolves true once /proc/PID/stat shows `want` (stopped: T or t; running: any other live state;
 * gone: missing, zombie, or a different start time), false at the timeout. Waiting for stopped
 * or running resolves false at once if the process is gone, since that cannot change.
 */
export async function waitForState(procfs: ProcFs, identity: ProcessIdentity, want: WantedState, timeoutMs: number): Promise<boolean> {
  return (await awaitState(procfs, identity, want, timeoutMs)) === 'reached';
}

/**
 * Like waitForState, but says why it ended: `reached` (the state was seen), `gone` (the process exited first,
 * which ends the wait for stopped or running at once), `timeout`, or `cancelled` (the caller's `cancelled()` said
 * so at a poll: what it waits for was undone on purpose meanwhile).
 */
export async function awaitState(
  procfs: ProcFs,
  identity: ProcessIdentity,
  want: WantedState,
  timeoutMs: number,
  cancelled: () => boolean = () => false,
): Promise<'reached' | 'gone' | 'timeout' | 'cancelled'> {
  const start = performance.now();
  let backoff = 0;
  for (;;) {
    const now = observe(procfs, identity);
    if (now === want) return 'reached';
    if (now === 'gone') return 'gone';
    if (cancelled()) return 'cancelled';
    const elapsed = performance.now() - start;
    if (elapsed >= timeoutMs) return 'timeout';
    if (elapsed < TIGHT_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    } else {
      const delay = Math.min(BACKOFF_MS[Math.min(backoff++, BACKOFF_MS.length - 1)]!, Math.max(0, timeoutMs - elapsed));
      await new Promise<void>((resolve) => setTimeout(resolve, delay));
    }
  }
}
