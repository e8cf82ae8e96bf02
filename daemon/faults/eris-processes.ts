// Which host processes are eris itself (agent, coordinator, CLI — any `eris` command) or exist only to run it
// (npm / npx / node / shell wrappers above one): in host mode none of them is ever a target.
import { basename } from 'node:path';
import type { ProcFs } from '../proc/procfs.js';

/** The eris executable as it is run: `eris` (npm's bin link, the image's PATH) or `…/bin/eris.js` (`node bin/eris.js`). */
const ERIS_EXECUTABLE = /(?:^|\/)eris(?:\.js)?$/;
/** How many leading arguments may name it: `node [--flag …] bin/eris.js`, `npx eris`, `npm exec eris`. */
const ERIS_ARG_WINDOW = 4;

/**
 * Processes that only start another and wait for it. One of these above an eris process is eris too: freezing
 * `npm run coordinator` (scope all) would freeze the coordinator, and freezing it alone leaves eris orphaned.
 * The walk up stops at the first ancestor that is not one of these (a shim, systemd, sshd, PID 1).
 */
const WRAPPERS = new Set(['node', 'nodejs', 'npm', 'npx', 'pnpm', 'yarn', 'tsx', 'sh', 'bash', 'dash', 'ash', 'zsh', 'env', 'timeout', 'nohup', 'setsid', 'tini', 'dumb-init', 'sudo', 'su', 'script', 'nsenter']);
const MAX_HOPS = 64;

export function isErisCommand(argv: readonly string[]): boolean {
  return argv.slice(0, ERIS_ARG_WINDOW).some((a) => ERIS_EXECUTABLE.test(a));
}

/** The executable name of a process: basename of argv[0], else its comm. */
export function processName(procfs: ProcFs, pid: number): string | null {
  const argv0 = procfs.cmdline(pid)?.[0];
  if (argv0 !== undefined && argv0 !== '') return basename(argv0.split(' ')[0]!);
  return procfs.stat(pid)?.comm ?? null;
}

/**
 * Every eris process on the host and its wrappers, each with why (for the refusal message). `selfPid` counts as
 * eris whatever its command line (the agent embedded in another program, a test).
 */
export function findErisProcesses(procfs: ProcFs, selfPid: number = process.pid): Map<number, string> {
  const found = new Map<number, string>();
  for (const pid of procfs.listPids()) {
    const argv = procfs.cmdline(pid);
    if (pid !== selfPid && (argv === null || !isErisCommand(argv))) continue;
    const st = procfs.stat(pid);
    if (st === null || st.state === 'Z') continue;
    found.set(pid, 'an eris process');
    for (let ppid = st.ppid, hops = 0; ppid > 1 && hops < MAX_HOPS && !found.has(ppid); hops++) {
      const name = processName(procfs, ppid);
      if (name === null || !WRAPPERS.has(name)) break;
      found.set(ppid, `${name}, a wrapper running eris (pid ${pid})`);
      ppid = procfs.stat(ppid)?.ppid ?? 0;
    }
  }
  return found;
}
