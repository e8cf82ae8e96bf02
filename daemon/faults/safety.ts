// Safety rules: which processes and namespaces the agent refuses to touch, and which overrides a request may name.
import { ForbiddenTargetError } from '../../lib/errors.js';
import type { ProcFs } from '../proc/procfs.js';
import { erisRole, processName } from './eris-processes.js';

/** Overrides a request may name explicitly. Host PID 1 and the agent itself (and its ancestors) have none. */
export const OVERRIDES = ['denied-namespace', 'protected-process'] as const;
export type Override = (typeof OVERRIDES)[number];

/** The runtime, its shims and the kubelet: stopping one of these hangs the whole node, not a workload. */
const PROTECTED_NAMES = [
  /^containerd$/,
  /^containerd-shim/,
  /^runc$/,
  /^crio$/,
  /^conmon$/,
  /^crun$/,
  /^kubelet$/,
  /^dockerd$/,
  /^cri-dockerd$/,
  /^systemd$/,
] as const;

/** Processes the operator protects (--protect): by PID, or by executable name (basename of argv[0], or comm). */
export interface ProtectedList {
  pids: readonly number[];
  names: readonly string[];
}

export interface SafetyOptions {
  procfs: ProcFs;
  denyNamespaces: readonly string[];
  selfPid?: number;
  protect?: ProtectedList;
}

export class SafetyPolicy {
  private readonly procfs: ProcFs;
  private readonly denyNamespaces: ReadonlySet<string>;
  /** The agent and every ancestor of it: stopping one would stop the agent's own supervisor. */
  private readonly untouchable: ReadonlySet<number>;
  private readonly selfPid: number;
  private readonly protectedPids: ReadonlySet<number>;
  private readonly protectedNames: ReadonlySet<string>;

  constructor(options: SafetyOptions) {
    this.procfs = options.procfs;
    this.denyNamespaces = new Set(options.denyNamespaces);
    this.protectedPids = new Set(options.protect?.pids ?? []);
    this.protectedNames = new Set(options.protect?.names ?? []);
    const self = options.selfPid ?? process.pid;
    this.selfPid = self;
    const chain = new Set<number>([1, self]);
    for (let pid = self, hops = 0; pid > 1 && hops < 64; hops++) {
      const ppid = this.procfs.stat(pid)?.ppid ?? 0;
      if (ppid <= 0) break;
      chain.add(ppid);
      pid = ppid;
    }
    this.untouchable = chain;
  }

  /** Host PID 1, the agent, or one of its ancestors: never a target, whatever the request says. */
  isUntouchable(pid: number): boolean {
    return this.untouchable.has(pid);
  }

  /**
   * Never a match for a host-process selection: what isUntouchable names, and every eris process and its wrappers
   * (eris-processes.ts), so `eris targets --cmdline REGEX` does not list the CLI whose argv carries REGEX.
   */
  isExcludedFromSelection(pid: number): boolean {
    return this.untouchable.has(pid) || erisRole(this.procfs, pid, this.selfPid) !== undefined;
  }

  get deniedNamespaces(): readonly string[] {
    return [...this.denyNamespaces];
  }

  /** `pid`: a host process judged by the namespace of the pod it belongs to (named in the message). */
  checkNamespace(namespace: string, overrides: readonly Override[], pid?: number): void {
    if (this.denyNamespaces.has(namespace) && !overrides.includes('denied-namespace')) {
      const what = pid === undefined ? `namespace ${namespace}` : `pid ${pid} belongs to a pod in namespace ${namespace}, which`;
      throw new ForbiddenTargetError(`${what} is on the deny list; name the override "denied-namespace" to proceed`, {
        path: 'target',
        details: { reason: 'denied-namespace', namespace, ...(pid !== undefined ? { pid } : {}) },
      });
    }
  }

  /**
   * Throws when any pid is protected; called for the whole set before any signal, so nothing is half-done.
   * Never overridable: host PID 1, the agent and its ancestors, every eris process on the host and its wrappers
   * (eris-processes.ts: a drill must not freeze its own coordinator and report "passed"), the operator's --protect
   * list. Overridable with `protected-process`: the runtime and kubelet.
   */
  checkProcesses(pids: readonly number[], overrides: readonly Override[]): void {
    for (const pid of pids) {
      if (this.untouchable.has(pid)) {
        const what = pid === 1 ? 'host PID 1' : pid === this.selfPid ? 'the agent itself' : 'an ancestor of the agent';
        throw new ForbiddenTargetError(`pid ${pid} is ${what}; eris never signals it`, {
          path: 'target',
          details: { reason: 'untouchable', pid },
        });
      }
      // Read per target, nothing cached: eris processes come and go (a CLI run).
      const why = erisRole(this.procfs, pid, this.selfPid);
      if (why !== undefined) {
        throw new ForbiddenTargetError(`pid ${pid} is ${why}; eris never signals itself`, {
          path: 'target',
          details: { reason: 'eris-process', pid },
        });
      }
      const name = this.processName(pid);
      if (this.protectedPids.has(pid) || (name !== null && this.protectedNames.has(name))) {
        throw new ForbiddenTargetError(`pid ${pid}${name !== null ? ` (${name})` : ''} is on the operator's protected list (--protect); eris never signals it`, {
          path: 'target',
          details: { reason: 'operator-protected', pid, ...(name !== null ? { name } : {}) },
        });
      }
      if (overrides.includes('protected-process')) continue;
      if (name !== null && PROTECTED_NAMES.some((re) => re.test(name))) {
        throw new ForbiddenTargetError(`pid ${pid} (${name}) is part of the container runtime or kubelet; name the override "protected-process" to proceed`, {
          path: 'target',
          details: { reason: 'protected-process', pid, name },
        });
      }
    }
  }

  private processName(pid: number): string | null {
    // comm is cut to 15 characters ("containerd-shim" fits); argv[0] names the binary in full.
    return processName(this.procfs, pid);
  }
}
