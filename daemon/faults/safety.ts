// Safety rules: which processes and namespaces the agent refuses to touch, and which overrides a request may name.
import { basename } from 'node:path';
import { ForbiddenTargetError } from '../../lib/errors.js';
import type { ProcFs } from '../proc/procfs.js';

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

export interface SafetyOptions {
  procfs: ProcFs;
  denyNamespaces: readonly string[];
  selfPid?: number;
}

export class SafetyPolicy {
  private readonly procfs: ProcFs;
  private readonly denyNamespaces: ReadonlySet<string>;
  /** The agent and every ancestor of it: stopping one would stop the agent's own supervisor. */
  private readonly untouchable: ReadonlySet<number>;

  constructor(options: SafetyOptions) {
    this.procfs = options.procfs;
    this.denyNamespaces = new Set(options.denyNamespaces);
    const self = options.selfPid ?? process.pid;
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

  get deniedNamespaces(): readonly string[] {
    return [...this.denyNamespaces];
  }

  checkNamespace(namespace: string, overrides: readonly Override[]): void {
    if (this.denyNamespaces.has(namespace) && !overrides.includes('denied-namespace')) {
      throw new ForbiddenTargetError(`namespace ${namespace} is on the deny list; name the override "denied-namespace" to proceed`, {
        path: 'target',
        details: { reason: 'denied-namespace', namespace },
      });
    }
  }

  /** Throws when any pid is protected; called for the whole set before any signal, so nothing is half-done. */
  checkProcesses(pids: readonly number[], overrides: readonly Override[]): void {
    for (const pid of pids) {
      if (this.untouchable.has(pid)) {
        const what = pid === 1 ? 'host PID 1' : pid === process.pid ? 'the agent itself' : 'an ancestor of the agent';
        throw new ForbiddenTargetError(`pid ${pid} is ${what}; eris never signals it`, {
          path: 'target',
          details: { reason: 'untouchable', pid },
        });
      }
      if (overrides.includes('protected-process')) continue;
      const name = this.processName(pid);
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
    const argv0 = this.procfs.cmdline(pid)?.[0];
    if (argv0 !== undefined && argv0 !== '') return basename(argv0);
    return this.procfs.stat(pid)?.comm ?? null;
  }
}
