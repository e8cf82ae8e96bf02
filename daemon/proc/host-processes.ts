// Host mode: plain processes on the node whose command line matches a regex (kernel threads and the agent's own
// chain excluded).
import type { ProcFs } from './procfs.js';
import type { UserRegex } from '../../lib/user-regex.js';

export interface HostProcessInfo {
  pid: number;
  ppid: number;
  state: string;
  cmdline: string;
}

export function listHostProcesses(procfs: ProcFs, pattern: UserRegex, isUntouchable: (pid: number) => boolean): HostProcessInfo[] {
  const out: HostProcessInfo[] = [];
  for (const pid of procfs.listPids()) {
    if (isUntouchable(pid)) continue;
    const argv = procfs.cmdline(pid);
    if (argv === null || argv.length === 0) continue;
    const cmdline = argv.join(' ');
    if (!pattern.test(cmdline)) continue;
    const stat = procfs.stat(pid);
    if (stat !== null && stat.state !== 'Z') out.push({ pid, ppid: stat.ppid, state: stat.state, cmdline });
  }
  return out;
}
