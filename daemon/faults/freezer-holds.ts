// Which active faults hold which cgroups frozen, so that of overlapping freezer faults on one container only the last to end thaws it.
import type { FreezerCgroup } from '../proc/freezer.js';

export class FreezerHolds {
  private readonly byFault = new Map<string, FreezerCgroup[]>();

  hold(faultId: string, cgroups: readonly FreezerCgroup[]): void {
    this.byFault.set(faultId, [...cgroups]);
  }

  has(faultId: string): boolean {
    return this.byFault.has(faultId);
  }

  get size(): number {
    return this.byFault.size;
  }

  /** Ends a fault's hold: its cgroups, each saying whether another active fault still holds it frozen. */
  release(faultId: string): Array<{ cgroup: FreezerCgroup; stillHeld: boolean }> {
    const mine = this.byFault.get(faultId) ?? [];
    this.byFault.delete(faultId);
    return mine.map((cgroup) => ({ cgroup, stillHeld: this.holders(cgroup.dir).length > 0 }));
  }

  /** The faults holding this cgroup directory frozen. */
  holders(dir: string): string[] {
    return [...this.byFault].filter(([, cgroups]) => cgroups.some((c) => c.dir === dir)).map(([id]) => id);
  }
}
