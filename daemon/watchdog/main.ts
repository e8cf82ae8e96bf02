// eris-watchdog: a small process the agent starts detached (own session), which resumes what the agent stopped at
// lease + grace if the agent is no longer there to do it (SIGKILLed, OOM-killed, hung).
//
// The agent tells it each hold over its stdin before it signals (protocol.ts). A process is pinned by a pidfd opened
// on arrival and checked against its start time (field 22 of /proc/PID/stat) after opening, so the SIGCONT at the
// deadline reaches that process or nothing — never a reused PID. Without pidfds the start time is checked right
// before kill(2). Cgroups a freezer fault froze are thawed. A hold released by the agent is forgotten.
// Its stdin closing means the agent died: it stays until its last hold is due, then exits. `bye` (the agent shut
// down cleanly, having resumed everything) and SIGTERM (a new agent recovered the journal and took over) end it at once.
// Imports stay light: no logger, no schema library — it lives next to every agent for as long as holds last.
import { createInterface } from 'node:readline';
import { loadPidfd } from '../../native/pidfd.js';
import { setTimerAt } from '../../lib/timers.js';
import { ProcFs } from '../proc/procfs.js';
import { CgroupFreezer } from '../proc/freezer.js';
import { WatchdogHolds } from './holds.js';
import { parseWatchdogMessage, type HeldProcess } from './protocol.js';

const SIGCONT = 18;
const cgroupRoot = process.argv[2] ?? '/sys/fs/cgroup';
const procfs = new ProcFs('/proc');
const freezer = new CgroupFreezer({ procfs, cgroupRoot });
const pidfd = loadPidfd();
const holds = new WatchdogHolds<number | null>();
let agentGone = false;
let cancelTimer: (() => void) | null = null;

function log(msg: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ time: Date.now(), pid: process.pid, msg, ...fields })}\n`);
}

/** Pins a process by a pidfd if it is still the one identified; null pin without pidfds; undefined when it is gone or not the same. */
function pin(p: HeldProcess): number | null | undefined {
  if (pidfd === null) return null;
  let fd: number;
  try {
    fd = pidfd.pidfdOpen(p.pid);
  } catch {
    return undefined;
  }
  // Opened first, checked second: from here the fd can only reach the process whose start time we just saw.
  if (procfs.stat(p.pid)?.startTime !== p.startTime) {
    closePin(fd);
    return undefined;
  }
  return fd;
}

function closePin(fd: number | null): void {
  if (fd === null || pidfd === null) return;
  try {
    pidfd.closeFd(fd);
  } catch {
    // released either way
  }
}

function resume(p: HeldProcess & { pin: number | null }): string {
  try {
    if (p.pin !== null) pidfd!.pidfdSendSignal(p.pin, SIGCONT);
    else {
      const st = procfs.stat(p.pid);
      if (st === null || st.startTime !== p.startTime || st.state === 'Z') return 'gone';
      process.kill(p.pid, SIGCONT);
    }
    return 'resumed';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH' ? 'gone' : `error ${(error as Error).message}`;
  }
}

function fireDue(): void {
  cancelTimer = null;
  for (const { hold, resume: toResume, thaw } of holds.takeDue(Date.now())) {
    const outcomes = toResume.map((p) => ({ pid: p.pid, outcome: resume(p) }));
    for (const c of thaw) {
      if (!freezer.owns(c)) outcomes.push({ pid: 0, outcome: `not a freezer cgroup: ${c.dir}` });
      else {
        try {
          outcomes.push({ pid: 0, outcome: freezer.thaw(c) ? `thawed ${c.dir}` : `gone ${c.dir}` });
        } catch (error) {
          outcomes.push({ pid: 0, outcome: `error thawing ${c.dir}: ${(error as Error).message}` });
        }
      }
    }
    for (const p of hold.processes) closePin(p.pin);
    log('lease + grace passed: resumed what the fault held', { faultId: hold.faultId, agentGone, outcomes });
  }
  schedule();
}

function schedule(): void {
  cancelTimer?.();
  cancelTimer = null;
  if (agentGone && holds.size === 0) {
    log('agent gone and nothing held: exiting');
    process.exit(0);
  }
  const next = holds.nextDeadline();
  if (next !== null) cancelTimer = setTimerAt(next, fireDue);
}

createInterface({ input: process.stdin })
  .on('line', (line) => {
    const m = parseWatchdogMessage(line);
    if (typeof m === 'string') {
      log('ignored a bad message', { problem: m, excerpt: line.slice(0, 200) });
      return;
    }
    if (m.op === 'bye') {
      log('agent closed cleanly: exiting', { held: holds.size });
      process.exit(0);
    }
    if (m.op === 'release') {
      for (const p of holds.remove(m.faultId)?.processes ?? []) closePin(p.pin);
    } else {
      const pinned: Array<HeldProcess & { pin: number | null }> = [];
      for (const p of m.processes) {
        const fd = pin(p);
        if (fd !== undefined) pinned.push({ ...p, pin: fd });
      }
      holds.add(m.faultId, m.deadline, pinned, m.freezer ?? []);
    }
    schedule();
  })
  .on('close', () => {
    agentGone = true;
    log('agent gone (stdin closed): resuming each hold at its lease + grace', { held: holds.size, next: holds.nextDeadline() });
    schedule();
  });

process.on('SIGTERM', () => {
  log('told to stand down (a new agent took over): exiting', { held: holds.size });
  process.exit(0);
});
log('watchdog started', { pidfd: pidfd !== null, cgroupRoot });
