// Finds every process of a container from its init PID, through the container's cgroup (v2, v1, or a /proc scan).
//
// How the hierarchy is chosen (ref: Documentation/admin-guide/cgroup-v2.rst, man 7 cgroups):
//  - pure v2 (`<cgroupRoot>/cgroup.controllers` exists) and the init has a `0::/path` line: use it;
//  - otherwise v1, first of pids → memory → name=systemd that is mounted under cgroupRoot
//    (runc puts every container in its own cgroup of each of these; pids/memory are never co-mounted);
//  - otherwise the hybrid unified tree at `<cgroupRoot>/unified`.
// Then `cgroup.procs` of that directory and of every descendant directory (a container may nest
// cgroups of its own). When the directory cannot be read — the agent runs in a private cgroup
// namespace (paths then start with `/..`), or the hierarchy is not mounted where we look — we scan
// /proc for processes whose line in the same hierarchy equals the init's path or lies below it.
// A process in the root cgroup (`/`) is never expanded to "everything in `/`": that would be the
// whole host; we take the init and its descendants (by ppid) instead.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { ProcFs, type CgroupEntry } from './procfs.js';

/** v1 hierarchies the resolver (and process identity) use, in order of preference. */
export const V1_HIERARCHY_PREFERENCE = ['pids', 'memory', 'name=systemd'] as const;

export interface CgroupLocation {
  version: 1 | 2;
  /** Hierarchy ID as in /proc/PID/cgroup (0 for v2). */
  hierarchyId: number;
  /** The v1 controller used (`pids`, `memory`, `name=systemd`); null for v2. */
  controller: string | null;
  /** Path as /proc/PID/cgroup shows it. */
  path: string;
  /** The cgroup's directory under cgroupRoot, or null when it cannot be reached from here. */
  dir: string | null;
}

export interface CgroupResolverOptions {
  procRoot?: string;
  cgroupRoot?: string;
  /** Shares an existing ProcFs (its root wins over procRoot). */
  procfs?: ProcFs;
}

/**
 * The cgroup line that identifies a process without looking at mounts: pids, memory,
 * name=systemd, then the v2 line. Stable for a process as long as nobody moves it.
 */
export function primaryCgroup(entries: readonly CgroupEntry[]): CgroupEntry | null {
  for (const controller of V1_HIERARCHY_PREFERENCE) {
    const entry = entries.find((e) => e.controllers.includes(controller));
    if (entry) return entry;
  }
  return entries.find((e) => e.hierarchyId === 0) ?? entries[0] ?? null;
}

export class CgroupResolver {
  readonly procfs: ProcFs;
  readonly cgroupRoot: string;
  private readonly mountCache = new Map<string, boolean>();

  constructor(options: CgroupResolverOptions = {}) {
    this.procfs = options.procfs ?? new ProcFs(options.procRoot ?? '/proc');
    this.cgroupRoot = stripSlash(options.cgroupRoot ?? '/sys/fs/cgroup');
  }

  /** Which hierarchy and directory the resolver uses for this process; null when the process is gone. */
  locate(pid: number): CgroupLocation | null {
    const entries = this.procfs.cgroups(pid);
    if (!entries || entries.length === 0) return null;
    const unified = entries.find((e) => e.hierarchyId === 0 && e.controllers.length === 0);

    if (unified && this.isHierarchy(this.cgroupRoot)) {
      return { version: 2, hierarchyId: 0, controller: null, path: unified.path, dir: under(this.cgroupRoot, unified.path) };
    }
    for (const controller of V1_HIERARCHY_PREFERENCE) {
      const entry = entries.find((e) => e.controllers.includes(controller));
      if (!entry) continue;
      const mount = this.v1Mount(entry, controller);
      if (mount !== null) {
        return { version: 1, hierarchyId: entry.hierarchyId, controller, path: entry.path, dir: under(mount, entry.path) };
      }
    }
    if (unified && this.isHierarchy(`${this.cgroupRoot}/unified`)) {
      return { version: 2, hierarchyId: 0, controller: null, path: unified.path, dir: under(`${this.cgroupRoot}/unified`, unified.path) };
    }
    // Nothing mounted here: keep the identifying line so pidsOf can still scan /proc.
    const primary = primaryCgroup(entries);
    if (!primary) return null;
    const controller = V1_HIERARCHY_PREFERENCE.find((c) => primary.controllers.includes(c)) ?? null;
    return { version: primary.hierarchyId === 0 ? 2 : 1, hierarchyId: primary.hierarchyId, controller, path: primary.path, dir: null };
  }

  /** The cgroup path the resolver uses for this process (see the module comment); null when gone. */
  cgroupPathOf(pid: number): string | null {
    return this.locate(pid)?.path ?? null;
  }

  /** Every PID in the init's cgroup and its descendant cgroups, sorted; [] when the init is gone. */
  pidsOf(initPid: number): number[] {
    const loc = this.locate(initPid);
    if (!loc) return [];
    if (loc.path === '/') return this.descendantsOf(initPid);
    if (loc.dir !== null) {
      const found = new Set<number>();
      try {
        readTree(loc.dir, found, true);
      } catch {
        found.clear();
      }
      // If the init is not in what we read, the directory is not its cgroup (e.g. a namespaced
      // sysfs mount): trust /proc instead.
      if (found.has(initPid)) return [...found].sort(byNumber);
    }
    return this.scan(loc);
  }

  /** /proc scan: live processes whose line in the same hierarchy is loc.path or below it. */
  private scan(loc: CgroupLocation): number[] {
    const prefix = loc.path.endsWith('/') ? loc.path : `${loc.path}/`;
    const pids: number[] = [];
    for (const pid of this.procfs.listPids()) {
      const entries = this.procfs.cgroups(pid);
      if (!entries) continue;
      const entry = entries.find((e) => e.hierarchyId === loc.hierarchyId);
      if (!entry || (entry.path !== loc.path && !entry.path.startsWith(prefix))) continue;
      const state = this.procfs.stat(pid)?.state;
      if (state !== undefined && state !== 'Z' && state !== 'X') pids.push(pid); // zombies are not members any more
    }
    return pids.sort(byNumber);
  }

  /** The init and every process below it by ppid. */
  private descendantsOf(initPid: number): number[] {
    const children = new Map<number, number[]>();
    for (const pid of this.procfs.listPids()) {
      const st = this.procfs.stat(pid);
      if (!st) continue;
      const list = children.get(st.ppid);
      if (list) list.push(pid);
      else children.set(st.ppid, [pid]);
    }
    const out: number[] = [];
    const queue = [initPid];
    const seen = new Set<number>();
    while (queue.length > 0) {
      const pid = queue.pop()!;
      if (seen.has(pid)) continue;
      seen.add(pid);
      out.push(pid);
      for (const child of children.get(pid) ?? []) queue.push(child);
    }
    return out.sort(byNumber);
  }

  private v1Mount(entry: CgroupEntry, controller: string): string | null {
    // Mount directories: `pids`, `memory`, `systemd` for name=systemd, or the joined list (`cpu,cpuacct`).
    const names = controller.startsWith('name=') ? [controller.slice(5), controller] : [controller, entry.controllers.join(',')];
    for (const name of names) {
      const dir = `${this.cgroupRoot}/${name}`;
      if (this.isHierarchy(dir)) return dir;
    }
    return null;
  }

  /** A mounted hierarchy root has cgroup.procs; v2's root also has cgroup.controllers. */
  private isHierarchy(dir: string): boolean {
    let known = this.mountCache.get(dir);
    if (known === undefined) {
      const v2 = dir === this.cgroupRoot || dir.endsWith('/unified');
      known = existsSync(`${dir}/cgroup.procs`) && (!v2 || existsSync(`${dir}/cgroup.controllers`));
      this.mountCache.set(dir, known);
    }
    return known;
  }
}

/** mount + path, or null when the path leaves the mount (`/..` paths from a foreign cgroup namespace). */
function under(mount: string, path: string): string | null {
  if (!path.startsWith('/')) return null;
  if (path.split('/').some((seg) => seg === '..' || seg === '.')) return null;
  return path === '/' ? mount : `${mount}${stripSlash(path)}`;
}

function readTree(dir: string, out: Set<number>, top: boolean): void {
  let text: string;
  try {
    text = readFileSync(`${dir}/cgroup.procs`, 'utf8');
  } catch (err) {
    if (top) throw err;
    return; // a child cgroup removed while we walk
  }
  for (const line of text.split('\n')) {
    if (line !== '') out.add(Number(line));
  }
  let subdirs;
  try {
    subdirs = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (top) throw err;
    return;
  }
  for (const d of subdirs) {
    if (d.isDirectory()) readTree(`${dir}/${d.name}`, out, false);
  }
}

function stripSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

function byNumber(a: number, b: number): number {
  return a - b;
}
