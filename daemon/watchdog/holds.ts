// The watchdog's book of holds: which fault keeps what stopped until when, and what is due to be resumed.
import type { FreezerCgroup } from '../proc/freezer.js';
import type { HeldProcess } from './protocol.js';

export interface Hold<P> {
  faultId: string;
  deadline: number;
  /** The processes, each with what the watchdog pinned it by (a pidfd, or nothing without pidfds). */
  processes: Array<HeldProcess & { pin: P }>;
  freezer: FreezerCgroup[];
}

const key = (p: HeldProcess) => `${p.pid}:${p.startTime}`;

export class WatchdogHolds<P> {
  private readonly holds = new Map<string, Hold<P>>();

  add(faultId: string, deadline: number, processes: Array<HeldProcess & { pin: P }>, freezer: readonly FreezerCgroup[]): void {
    const known = this.holds.get(faultId);
    if (known === undefined) this.holds.set(faultId, { faultId, deadline, processes: [...processes], freezer: [...freezer] });
    else {
      known.processes.push(...processes);
      known.freezer.push(...freezer);
      known.deadline = Math.max(known.deadline, deadline);
    }
  }

  /** Forgets a fault; its pins are returned to be closed. */
  remove(faultId: string): Hold<P> | undefined {
    const hold = this.holds.get(faultId);
    this.holds.delete(faultId);
    return hold;
  }

  get size(): number {
    return this.holds.size;
  }

  nextDeadline(): number | null {
    let next: number | null = null;
    for (const h of this.holds.values()) if (next === null || h.deadline < next) next = h.deadline;
    return next;
  }

  /**
   * Takes every hold whose deadline has come. Of its processes and cgroups, `resume` lists those no hold still
   * running holds (overlapping faults: the last to expire resumes), `keep` the others, so nothing is resumed early.
   */
  takeDue(now: number): Array<{ hold: Hold<P>; resume: Array<HeldProcess & { pin: P }>; thaw: FreezerCgroup[] }> {
    const due = [...this.holds.values()].filter((h) => h.deadline <= now);
    for (const h of due) this.holds.delete(h.faultId);
    const stillHeld = new Set([...this.holds.values()].flatMap((h) => h.processes.map(key)));
    const stillFrozen = new Set([...this.holds.values()].flatMap((h) => h.freezer.map((c) => c.dir)));
    return due.map((hold) => ({
      hold,
      resume: hold.processes.filter((p) => !stillHeld.has(key(p))),
      thaw: hold.freezer.filter((c) => !stillFrozen.has(c.dir)),
    }));
  }
}
