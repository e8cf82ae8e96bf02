// Host mode: plain processes on the node whose command line matches a regex (kernel threads and whatever `isExcluded`
// says — the agent's chain and eris's own processes, SafetyPolicy.isExcludedFromSelection — left out).
import type { ProcFs } from './procfs.js';
import type { UserRegex } from '../../lib/user-regex.js';

export interface HostProcessInfo {
  pid: number;
  ppid: number;
  state: string;
  cmdline: string;
  /**
   * Field 22 of /proc/PID/stat: with the pid, the process's identity. A coordinator names it back in a fault
   * (`target.startTimes`), so a pid reused while the command is in flight is not taken for the process it picked.
   * Optional on the wire: an older agent does not send it.
   */
  startTime?: string;
}

export function listHostProcesses(procfs: ProcFs, pattern: UserRegex, isExcluded: (pid: number) => boolean): HostProcessInfo[] {
  const out: HostProcessInfo[] = [];
  for (const pid of procfs.listPids()) {
    const argv = procfs.cmdline(pid);
    if (argv === null || argv.length === 0) continue;
    const cmdline = argv.join(' ');
    // After the match: the exclusion reads more of /proc than the command line.
    if (!pattern.test(cmdline) || isExcluded(pid)) continue;
    const stat = procfs.stat(pid);
    if (stat !== null && stat.state !== 'Z') out.push({ pid, ppid: stat.ppid, state: stat.state, cmdline, startTime: stat.startTime });
  }
  return out;
}
