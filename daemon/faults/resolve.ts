// Turns a fault target (container ids, a selector, pids, a command-line regex) into the processes to signal.
import { NoTargetsError, NotFoundError, ValidationError, IdentityMismatchError } from '../../lib/errors.js';
import type { ContainerInfo } from '../types.js';
import type { ProcFs } from '../proc/procfs.js';
import type { CgroupResolver } from '../proc/cgroup.js';
import { identify, verifyIdentity, type ProcessIdentity } from '../proc/identity.js';
import { listHostProcesses } from '../proc/host-processes.js';
import { containerIdFromCgroup } from '../proc/container-id.js';
import { compileUserRegex, type UserRegex } from '../../lib/user-regex.js';
import type { ContainerSelector, FaultTarget } from './request.js';

export interface ContainerRef {
  id: string;
  name: string;
  namespace: string;
  pod: string;
  podUid: string;
}

export interface ResolvedTarget {
  kind: 'container' | 'process';
  container?: ContainerRef;
  /** Host mode: the process the request named and its command line. */
  process?: { pid: number; cmdline: string };
  processes: ProcessIdentity[];
  /** Host mode: the named process was gone before anything was signalled (see forPids). */
  alreadyGone?: true;
}

export interface ContainerSource {
  list(): readonly ContainerInfo[];
  refresh(): Promise<readonly ContainerInfo[]>;
}

export interface ResolverOptions {
  containers: ContainerSource | null;
  procfs: ProcFs;
  cgroups: CgroupResolver;
  hostProcesses: boolean;
  /** Pids never offered by a command-line match: the agent, its ancestors, eris itself and its wrappers (SafetyPolicy). */
  isExcludedFromSelection: (pid: number) => boolean;
}

/** A host process that belongs to a pod's container. */
export interface ProcessPod {
  pid: number;
  containerId: string;
  namespace: string;
  pod: string;
}

function podsIn(processes: readonly ProcessIdentity[], containers: readonly ContainerInfo[]): ProcessPod[] {
  const out: ProcessPod[] = [];
  for (const p of processes) {
    const id = containerIdFromCgroup(p.cgroup);
    const c = id === null ? undefined : containers.find((x) => x.id === id);
    if (c !== undefined) out.push({ pid: p.pid, containerId: c.id, namespace: c.pod.namespace, pod: c.pod.name });
  }
  return out;
}

function tryIdentify(procfs: ProcFs, pid: number, containerId?: string): ProcessIdentity | null {
  try {
    return identify(procfs, pid, containerId);
  } catch {
    return null;
  }
}

export function matchesSelector(c: ContainerInfo, s: ContainerSelector, compiled = compileSelector(s)): boolean {
  if (s.namespace !== undefined && c.pod.namespace !== s.namespace) return false;
  if (compiled.pod && !compiled.pod.test(c.pod.name)) return false;
  if (compiled.containers && !compiled.containers.some((re) => re.test(c.name))) return false;
  if (s.labels) for (const [k, v] of Object.entries(s.labels)) if (c.pod.labels[k] !== v) return false;
  return true;
}

export function compileSelector(s: ContainerSelector, path = 'target.selector'): { pod?: UserRegex; containers?: UserRegex[] } {
  return {
    ...(s.pod !== undefined ? { pod: compileUserRegex(s.pod, `${path}.pod`) } : {}),
    ...(s.containers !== undefined ? { containers: s.containers.map((r, i) => compileUserRegex(r, `${path}.containers[${i}]`)) } : {}),
  };
}

export function containerRef(c: ContainerInfo): ContainerRef {
  return { id: c.id, name: c.name, namespace: c.pod.namespace, pod: c.pod.name, podUid: c.pod.uid };
}

export class TargetResolver {
  constructor(private readonly options: ResolverOptions) {}

  async resolve(target: FaultTarget, scope: 'all' | 'init'): Promise<ResolvedTarget[]> {
    let resolved: ResolvedTarget[];
    if ('containerIds' in target) resolved = (await this.containersById(target.containerIds)).map((c) => this.forContainer(c, scope));
    else if ('selector' in target) resolved = (await this.containersBySelector(target.selector)).map((c) => this.forContainer(c, scope));
    else if ('pids' in target) resolved = this.forPids(target.pids, scope, target.startTimes);
    else resolved = this.processesByCmdline(target.cmdline).map((pid) => this.forProcess(pid, scope, 'target.cmdline'));
    if (resolved.length === 0) throw new NoTargetsError('the target matched nothing on this node', { path: 'target' });
    return resolved;
  }

  /**
   * The pods that host processes belong to, by the container id in each one's cgroup path, looked up in the CRI
   * inventory (refreshed once when an id is not in it yet). A host-mode target is judged by these pods'
   * namespaces, so `pids`/`cmdline` cannot reach what a selector on a denied namespace could not. A process in no
   * container, or in one the runtime does not know (not a pod's), has none.
   */
  async podsOf(processes: readonly ProcessIdentity[]): Promise<ProcessPod[]> {
    const source = this.options.containers;
    if (source === null || processes.every((p) => containerIdFromCgroup(p.cgroup) === null)) return [];
    const pods = podsIn(processes, source.list());
    const inContainers = processes.filter((p) => containerIdFromCgroup(p.cgroup) !== null).length;
    return pods.length === inContainers ? pods : podsIn(processes, await source.refresh());
  }

  /** podsOf without the refresh, for the sweep, which runs between signals and cannot wait for the runtime. */
  podsOfCached(processes: readonly ProcessIdentity[]): ProcessPod[] {
    return this.options.containers === null ? [] : podsIn(processes, this.options.containers.list());
  }

  /**
   * Re-reads the target's processes (a container may fork while it is being stopped, an exec joins it while it is
   * held). Anchored on the root's identity: once the root (the container's init, the named process) is gone, its pid
   * may belong to another process, whose cgroup or tree is not this target — nothing is found then.
   */
  rescan(target: ResolvedTarget, scope: 'all' | 'init'): ProcessIdentity[] {
    if (scope === 'init' || target.processes.length === 0) return target.processes;
    const root = target.processes[0]!;
    if (verifyIdentity(this.options.procfs, root) !== null) return [];
    const pids = target.kind === 'container' ? this.options.cgroups.pidsOf(root.pid) : this.processTree(root.pid);
    // Checked again after listing: the root may have gone, and its pid been reused, while we read.
    if (verifyIdentity(this.options.procfs, root) !== null) return [];
    return this.identities(pids, target.container?.id);
  }

  private containerSource(path: string): ContainerSource {
    if (this.options.containers === null) throw new ValidationError(`${path}: this agent has no container runtime (host mode only)`, { path });
    return this.options.containers;
  }

  private async containersById(ids: readonly string[]): Promise<ContainerInfo[]> {
    const source = this.containerSource('target.containerIds');
    const find = (list: readonly ContainerInfo[], id: string) => list.find((c) => c.id === id || (id.length >= 12 && c.id.startsWith(id)));
    let list = source.list();
    // A container created since the last refresh is not in the cache yet: refresh once before saying it is unknown.
    if (ids.some((id) => find(list, id) === undefined)) list = await source.refresh();
    return ids.map((id, i) => {
      const found = find(list, id);
      if (!found) throw new NotFoundError(`target.containerIds[${i}]: no container ${id} on this node`, { path: `target.containerIds[${i}]` });
      return found;
    });
  }

  private async containersBySelector(selector: ContainerSelector): Promise<ContainerInfo[]> {
    const compiled = compileSelector(selector);
    const source = this.containerSource('target.selector');
    const pick = (list: readonly ContainerInfo[]) => list.filter((c) => c.state === 'running' && matchesSelector(c, selector, compiled));
    const cached = pick(source.list());
    // Nothing in the cache may just mean "started since the last refresh": look once more before saying so.
    return cached.length > 0 ? cached : pick(await source.refresh());
  }

  private forContainer(c: ContainerInfo, scope: 'all' | 'init'): ResolvedTarget {
    if (c.state !== 'running' || c.initPid <= 0) {
      throw new ValidationError(`container ${c.pod.namespace}/${c.pod.name}/${c.name} (${c.id.slice(0, 12)}) is not running`, { path: 'target' });
    }
    const init = tryIdentify(this.options.procfs, c.initPid, c.id);
    // The cache may be stale: the init PID must still live in a cgroup named after this container.
    if (init === null || (init.cgroup !== null && !init.cgroup.includes(c.id))) {
      throw new IdentityMismatchError(`container ${c.id.slice(0, 12)}: pid ${c.initPid} no longer belongs to it`, {
        path: 'target',
        details: { containerId: c.id, pid: c.initPid, cgroup: init?.cgroup ?? null },
      });
    }
    const pids = scope === 'init' ? [c.initPid] : this.options.cgroups.pidsOf(c.initPid);
    // The init first: it is the container's identity and is what `scope: init` would hit.
    const ordered = [c.initPid, ...pids.filter((p) => p !== c.initPid)];
    return { kind: 'container', container: containerRef(c), processes: this.identities(ordered, c.id) };
  }

  /**
   * Named PIDs. One that is gone while others live is no error: a coordinator names the PIDs it listed a moment
   * ago, and a busy tree's short-lived children (or a fork not yet exec'd) are gone by the time the fault arrives.
   * It stays in the answer as a target with no processes, marked alreadyGone. All of them gone is a 404.
   */
  private forPids(pids: readonly number[], scope: 'all' | 'init', startTimes?: readonly string[]): ResolvedTarget[] {
    let firstGone: NotFoundError | null = null;
    const out = pids.map((pid, i): ResolvedTarget => {
      try {
        return this.forProcess(pid, scope, `target.pids[${i}]`, startTimes?.[i]);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        firstGone ??= error;
        return { kind: 'process', process: { pid, cmdline: '' }, processes: [], alreadyGone: true };
      }
    });
    if (firstGone !== null && out.every((t) => t.alreadyGone)) throw firstGone;
    return out;
  }

  private forProcess(pid: number, scope: 'all' | 'init', path: string, expectedStartTime?: string): ResolvedTarget {
    if (!this.options.hostProcesses) {
      throw new ValidationError(`${path}: host processes are not targets on this agent (start it with --host-processes)`, { path });
    }
    const pids = scope === 'init' ? [pid] : this.processTree(pid);
    const processes = this.identities(pids);
    if (processes.length === 0) throw new NotFoundError(`${path}: no process ${pid}`, { path });
    // The requester named a process by pid and start time: another start time means the pid was reused since
    // (the named process is gone), whatever runs under it now.
    const named = processes.find((p) => p.pid === pid);
    if (expectedStartTime !== undefined && named?.startTime !== expectedStartTime) {
      throw new NotFoundError(`${path}: process ${pid} is gone (pid reused: start time ${named?.startTime ?? '?'}, not ${expectedStartTime})`, { path });
    }
    return { kind: 'process', process: { pid, cmdline: (this.options.procfs.cmdline(pid) ?? []).join(' ') }, processes };
  }

  private processesByCmdline(source: string): number[] {
    if (!this.options.hostProcesses) {
      throw new ValidationError('target.cmdline: host processes are not targets on this agent (start it with --host-processes)', {
        path: 'target.cmdline',
      });
    }
    const { procfs, isExcludedFromSelection } = this.options;
    const matched = listHostProcesses(procfs, compileUserRegex(source, 'target.cmdline'), isExcludedFromSelection).map((p) => p.pid);
    // A matched child of a matched parent is already in the parent's tree.
    const set = new Set(matched);
    return matched.filter((pid) => !set.has(procfs.stat(pid)?.ppid ?? 0));
  }

  /** The process and all its descendants, parent first. */
  processTree(root: number): number[] {
    const { procfs } = this.options;
    const children = new Map<number, number[]>();
    for (const pid of procfs.listPids()) {
      const ppid = procfs.stat(pid)?.ppid;
      if (ppid === undefined) continue;
      const list = children.get(ppid);
      if (list) list.push(pid);
      else children.set(ppid, [pid]);
    }
    if (procfs.stat(root) === null) return [];
    const out: number[] = [];
    const queue = [root];
    while (queue.length > 0) {
      const pid = queue.shift()!;
      out.push(pid);
      queue.push(...(children.get(pid) ?? []));
    }
    return out;
  }

  private identities(pids: readonly number[], containerId?: string): ProcessIdentity[] {
    const out: ProcessIdentity[] = [];
    for (const pid of pids) {
      // A process that exits between listing and identifying is simply no longer part of the target.
      const id = tryIdentify(this.options.procfs, pid, containerId);
      if (id !== null) out.push(id);
    }
    return out;
  }
}
