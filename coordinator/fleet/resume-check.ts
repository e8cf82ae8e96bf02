// Confirms a resume from what the agent reports of the processes themselves (their state now), not from its ack.
import type { Fault } from '../../daemon/faults/manager.js';
import type { ProcessRef, ProcessState } from '../../lib/link/protocol.js';
import type { Fleet } from './fleet.js';

/** What the coordinator saw of one process after asking for it to be resumed. */
export type SeenState = 'running' | 'stopped' | 'held' | 'gone' | 'unknown';

export interface ProcessSeen {
  pid: number;
  startTime: string;
  seen: SeenState;
  /** The state letter the agent read from /proc (R S D T …). */
  state?: string;
}

export interface ResumeCheck {
  agent: string;
  faultId: string;
  /** Every process the fault stopped is running again, gone, or still held by another active fault. */
  confirmed: boolean;
  processes: ProcessSeen[];
  /** Why nothing could be confirmed (the agent could not be asked, or answered about another fault). */
  problem?: string;
}

const STOPPED = new Set(['T', 't']);
/** A process continued a moment ago may still read T once; one more look after this long settles it. */
const RECHECK_MS = 100;

/**
 * `before` is the fault as this coordinator knew it before asking (so an agent that answers with fewer processes
 * cannot hide one); `after` is the agent's answer to the resume.
 */
export async function checkResume(fleet: Fleet, agent: string, before: Fault, after: Fault): Promise<ResumeCheck> {
  const base = { agent, faultId: before.id };
  const refs: ProcessRef[] = before.targets.flatMap((t) => t.processes.filter((p) => p.ok && !p.alreadyGone).map((p) => ({ pid: p.pid, startTime: p.startTime })));
  if (after.id !== before.id) return { ...base, confirmed: false, processes: refs.map((r) => ({ ...r, seen: 'unknown' })), problem: `the agent answered about fault ${after.id}` };
  if (after.state === 'active') return { ...base, confirmed: false, processes: refs.map((r) => ({ ...r, seen: 'unknown' })), problem: 'the agent still reports the fault active' };
  const heldElsewhere = new Set(
    after.targets.flatMap((t) => t.processes.filter((p) => p.resume?.error?.code === 'ERIS_HELD_BY_OTHER_FAULT').map((p) => `${p.pid}/${p.startTime}`)),
  );
  let states: ProcessState[];
  try {
    states = await fleet.processStates(agent, refs);
    if (states.some((s) => STOPPED.has(s.state ?? ''))) {
      await new Promise((resolve) => setTimeout(resolve, RECHECK_MS));
      states = await fleet.processStates(agent, refs);
    }
  } catch (err) {
    return { ...base, confirmed: false, processes: refs.map((r) => ({ ...r, seen: 'unknown' })), problem: `could not read the processes' state: ${(err as Error).message}` };
  }
  const byKey = new Map(states.map((s) => [`${s.pid}/${s.startTime}`, s]));
  const processes = refs.map((r): ProcessSeen => {
    const s = byKey.get(`${r.pid}/${r.startTime}`);
    if (s === undefined) return { ...r, seen: 'unknown' };
    if (s.state === null) return { ...r, seen: 'gone' };
    if (!STOPPED.has(s.state)) return { ...r, seen: 'running', state: s.state };
    return { ...r, seen: heldElsewhere.has(`${r.pid}/${r.startTime}`) ? 'held' : 'stopped', state: s.state };
  });
  return { ...base, confirmed: processes.every((p) => p.seen === 'running' || p.seen === 'gone' || p.seen === 'held'), processes };
}

/** Totals by what was seen, for an answer and a log line. */
export function countSeen(checks: readonly ResumeCheck[]): Record<SeenState, number> {
  const counts: Record<SeenState, number> = { running: 0, stopped: 0, held: 0, gone: 0, unknown: 0 };
  for (const c of checks) for (const p of c.processes) counts[p.seen] += 1;
  return counts;
}
