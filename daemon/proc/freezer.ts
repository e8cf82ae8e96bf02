// Freezes and thaws a container's cgroup with the kernel's freezer: v1 `freezer.state`, v2 `cgroup.freeze`.
//
// ref: Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst, cgroup-v2.rst ("cgroup.freeze", "cgroup.events").
// v1: write FROZEN / THAWED to freezer.state; it reads FREEZING until every task is frozen, then FROZEN.
// v2: write 1 / 0 to cgroup.freeze; `frozen 1` in cgroup.events once every task is frozen.
// On a hybrid host a process has both a v1 freezer line and a unified (`0::`) line: the v1 freezer is preferred
// there, as that is the one runc and kubelet drive. A cgroup at `/` (the host's root) is never frozen.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ProcFs } from './procfs.js';

export interface FreezerCgroup {
  version: 1 | 2;
  /** The cgroup's directory (under the cgroup root). */
  dir: string;
}

export type FreezerState = 'frozen' | 'freezing' | 'thawed' | 'gone';

export interface CgroupFreezerOptions {
  procfs: ProcFs;
  /** Default /sys/fs/cgroup. */
  cgroupRoot?: string;
}

const CONTROL_FILE = { 1: 'freezer.state', 2: 'cgroup.freeze' } as const;

export class CgroupFreezer {
  private readonly procfs: ProcFs;
  readonly cgroupRoot: string;

  constructor(options: CgroupFreezerOptions) {
    this.procfs = options.procfs;
    const root = options.cgroupRoot ?? '/sys/fs/cgroup';
    this.cgroupRoot = root.length > 1 && root.endsWith('/') ? root.slice(0, -1) : root;
  }

  /** The freezer cgroup of a process; null when it is gone, in the root cgroup, or no freezer is reachable. */
  locate(pid: number): FreezerCgroup | null {
    const entries = this.procfs.cgroups(pid);
    if (entries === null) return null;
    const v1 = entries.find((e) => e.controllers.includes('freezer'));
    if (v1 !== undefined) {
      const dir = this.dirFor(`${this.cgroupRoot}/freezer`, v1.path);
      if (dir !== null && existsSync(`${dir}/${CONTROL_FILE[1]}`)) return { version: 1, dir };
    }
    const unified = entries.find((e) => e.hierarchyId === 0 && e.controllers.length === 0);
    if (unified !== undefined) {
      // Pure v2: the unified tree is the cgroup root; hybrid: it is mounted at <root>/unified.
      for (const mount of [this.cgroupRoot, `${this.cgroupRoot}/unified`]) {
        const dir = this.dirFor(mount, unified.path);
        if (dir !== null && existsSync(`${dir}/${CONTROL_FILE[2]}`)) return { version: 2, dir };
      }
    }
    return null;
  }

  /** A cgroup this freezer may write to: below one of its hierarchies, not a root, no `..` (journal input is checked with it). */
  owns(cg: FreezerCgroup): boolean {
    const mounts = cg.version === 1 ? [`${this.cgroupRoot}/freezer`] : [this.cgroupRoot, `${this.cgroupRoot}/unified`];
    if (cg.dir.split('/').some((seg) => seg === '..' || seg === '.')) return false;
    return mounts.some((m) => cg.dir.startsWith(`${m}/`) && cg.dir.length > m.length + 1);
  }

  /** Asks the kernel to freeze every task of the cgroup (and any that joins it later). Throws on a write error. */
  freeze(cg: FreezerCgroup): void {
    this.write(cg, cg.version === 1 ? 'FROZEN' : '1');
  }

  /** Thaws the cgroup; false when it is gone (its container was removed: nothing is left frozen). */
  thaw(cg: FreezerCgroup): boolean {
    try {
      this.write(cg, cg.version === 1 ? 'THAWED' : '0');
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  state(cg: FreezerCgroup): FreezerState {
    try {
      if (cg.version === 1) {
        const s = readFileSync(`${cg.dir}/freezer.state`, 'utf8').trim();
        return s === 'FROZEN' ? 'frozen' : s === 'FREEZING' ? 'freezing' : 'thawed';
      }
      const wanted = readFileSync(`${cg.dir}/cgroup.freeze`, 'utf8').trim() === '1';
      const frozen = /^frozen 1$/m.test(readFileSync(`${cg.dir}/cgroup.events`, 'utf8'));
      return frozen ? 'frozen' : wanted ? 'freezing' : 'thawed';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
      throw error;
    }
  }

  /** Resolves with the state once it is `frozen` (or gone), or at the timeout with what it is then. */
  async waitFrozen(cg: FreezerCgroup, timeoutMs: number): Promise<FreezerState> {
    const start = performance.now();
    for (let delay = 0; ; delay = Math.min(20, delay + 1)) {
      const s = this.state(cg);
      if (s === 'frozen' || s === 'gone' || performance.now() - start >= timeoutMs) return s;
      await new Promise<void>((resolve) => setTimeout(resolve, delay));
    }
  }

  private write(cg: FreezerCgroup, value: string): void {
    if (!this.owns(cg)) throw Object.assign(new Error(`not a freezer cgroup eris may write: ${cg.dir}`), { code: 'EINVAL' });
    writeFileSync(`${cg.dir}/${CONTROL_FILE[cg.version]}`, value);
  }

  private dirFor(mount: string, path: string): string | null {
    if (!path.startsWith('/') || path === '/' || path.split('/').some((seg) => seg === '..' || seg === '.')) return null;
    return `${mount}${path.endsWith('/') ? path.slice(0, -1) : path}`;
  }
}
