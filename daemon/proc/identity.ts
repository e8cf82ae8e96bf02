// Process identity (PID + start time + cgroup), taken once and checked before every signal.
//
// Start time is field 22 of /proc/PID/stat in clock ticks (USER_HZ = 100/s): two processes
// started within the same 10 ms tick with the same PID are indistinguishable by it alone. The
// kernel hands out PIDs cyclically, so that needs a full wrap of pid_max within 10 ms; the cgroup
// part also catches a PID reused by another container.
import { IdentityMismatchError, NotFoundError } from '../../lib/errors.js';
import { primaryCgroup } from './cgroup.js';
import type { ProcFs, ProcStat } from './procfs.js';

export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks since boot) as a decimal string. */
  startTime: string;
  /** Path of the process's primary cgroup line (see primaryCgroup); null when not checked. */
  cgroup: string | null;
  containerId?: string;
}

export const MISMATCH_REASONS = ['gone', 'start-time', 'cgroup'] as const;
export type MismatchReason = (typeof MISMATCH_REASONS)[number];

export interface IdentityMismatch {
  reason: MismatchReason;
  pid: number;
  expected: { startTime: string; cgroup: string | null };
  actual: { startTime: string | null; cgroup: string | null; state: string | null };
}

/** Reads the identity of a live process. Throws NotFoundError when there is no such process. */
export function identify(procfs: ProcFs, pid: number, containerId?: string): ProcessIdentity {
  const st = procfs.stat(pid);
  const entries = st && isAlive(st) ? procfs.cgroups(pid) : null;
  if (!st || !isAlive(st) || !entries) {
    throw new NotFoundError(`process ${pid} does not exist`, { details: { pid } });
  }
  const identity: ProcessIdentity = { pid, startTime: st.startTime, cgroup: primaryCgroup(entries)?.path ?? null };
  if (containerId !== undefined) identity.containerId = containerId;
  return identity;
}

/**
 * Compares the live process with an identity without throwing; null when it matches.
 * An exited process (no /proc entry, or a zombie) is `gone`. The cgroup is read only when the
 * identity carries one and the start time already matched.
 */
export function verifyIdentity(procfs: ProcFs, id: ProcessIdentity): IdentityMismatch | null {
  const st = procfs.stat(id.pid);
  if (!st || !isAlive(st)) return mismatch('gone', id, st, null);
  if (st.startTime !== id.startTime) return mismatch('start-time', id, st, null);
  if (id.cgroup !== null) {
    const entries = procfs.cgroups(id.pid);
    if (!entries) return mismatch('gone', id, null, null);
    const actual = primaryCgroup(entries)?.path ?? null;
    if (actual !== id.cgroup) return mismatch('cgroup', id, st, actual);
  }
  return null;
}

/** Throws IdentityMismatchError (details: pid, reason, expected, actual) unless the process is still the one identified. */
export function checkIdentity(procfs: ProcFs, id: ProcessIdentity): void {
  const m = verifyIdentity(procfs, id);
  if (m) throw new IdentityMismatchError(describeMismatch(m), { details: { ...m } });
}

export function describeMismatch(m: IdentityMismatch): string {
  switch (m.reason) {
    case 'gone':
      return `process ${m.pid} is gone`;
    case 'start-time':
      return `process ${m.pid} is not the one identified: start time ${m.actual.startTime ?? '?'} != ${m.expected.startTime} (PID reused)`;
    case 'cgroup':
      return `process ${m.pid} is not the one identified: cgroup ${m.actual.cgroup ?? '?'} != ${m.expected.cgroup ?? '?'}`;
  }
}

function isAlive(st: ProcStat): boolean {
  return st.state !== 'Z' && st.state !== 'X';
}

function mismatch(reason: MismatchReason, id: ProcessIdentity, st: ProcStat | null, cgroup: string | null): IdentityMismatch {
  return {
    reason,
    pid: id.pid,
    expected: { startTime: id.startTime, cgroup: id.cgroup },
    actual: { startTime: st?.startTime ?? null, cgroup, state: st?.state ?? null },
  };
}
