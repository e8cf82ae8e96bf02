// What the agent tells its watchdog, one JSON line per message over the watchdog's stdin, checked by hand on arrival.
import type { FreezerCgroup } from '../proc/freezer.js';

export interface HeldProcess {
  pid: number;
  /** Field 22 of /proc/PID/stat: the process's identity with the pid. */
  startTime: string;
}

export type WatchdogMessage =
  /** Resume these at `deadline` (epoch ms: the lease's end + grace) unless released first; several per fault add up. */
  | { op: 'hold'; faultId: string; deadline: number; processes: HeldProcess[]; freezer?: FreezerCgroup[] }
  /** The fault ended (the agent resumed it): forget it. */
  | { op: 'release'; faultId: string }
  /** The agent closes normally, having resumed everything: exit now. */
  | { op: 'bye' };

const MAX_PROCESSES = 100_000;

/** The message, or why it is not one. */
export function parseWatchdogMessage(line: string): WatchdogMessage | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (typeof v !== 'object' || v === null) return 'not an object';
  const m = v as Record<string, unknown>;
  if (m.op === 'bye') return { op: 'bye' };
  if (typeof m.faultId !== 'string' || m.faultId === '' || m.faultId.length > 256) return 'faultId: must be a non-empty string';
  if (m.op === 'release') return { op: 'release', faultId: m.faultId };
  if (m.op !== 'hold') return `op: unknown ${JSON.stringify(m.op)}`;
  if (typeof m.deadline !== 'number' || !Number.isFinite(m.deadline)) return 'deadline: must be a number';
  if (!Array.isArray(m.processes) || m.processes.length > MAX_PROCESSES) return 'processes: must be an array';
  const processes: HeldProcess[] = [];
  for (const [i, p] of m.processes.entries()) {
    const ok = typeof p === 'object' && p !== null && Number.isInteger(p.pid) && p.pid > 0 && typeof p.startTime === 'string' && /^\d+$/.test(p.startTime);
    if (!ok) return `processes[${i}]: must be {pid, startTime}`;
    processes.push({ pid: p.pid, startTime: p.startTime });
  }
  const freezer: FreezerCgroup[] = [];
  if (m.freezer !== undefined) {
    if (!Array.isArray(m.freezer)) return 'freezer: must be an array';
    for (const [i, c] of m.freezer.entries()) {
      if (typeof c !== 'object' || c === null || (c.version !== 1 && c.version !== 2) || typeof c.dir !== 'string') return `freezer[${i}]: must be {version, dir}`;
      freezer.push({ version: c.version, dir: c.dir });
    }
  }
  return { op: 'hold', faultId: m.faultId, deadline: m.deadline, processes, ...(freezer.length > 0 ? { freezer } : {}) };
}
