// Which host processes are eris itself (agent, coordinator, CLI — any `eris` command) or exist only to run it
// (npm / npx / node / shell wrappers above one): in host mode none of them is ever a target.
import { basename } from 'node:path';
import type { ProcFs } from '../proc/procfs.js';

/** The eris executable as it is run: `eris` (npm's bin link, the image's PATH) or `…/bin/eris.js` (`node bin/eris.js`). */
const ERIS_EXECUTABLE = /(?:^|\/)eris(?:\.js)?$/;
/** The agent's lease watchdog (daemon/watchdog/main), compiled or run from sources. */
const ERIS_WATCHDOG = /(?:^|\/)daemon\/watchdog\/main\.[jt]s$/;
/** How many leading arguments may name it: `node [--flag …] bin/eris.js`, `npx eris`, `npm exec eris`. */
const ERIS_ARG_WINDOW = 4;

/**
 * Processes that only start another and wait for it. One of these above an eris process is eris too: freezing
 * `npm run coordinator` (scope all) would freeze the coordinator, and freezing it alone leaves eris orphaned.
 * Only a chain of these counts: a shim, systemd, sshd or PID 1 between the two ends it.
 */
const WRAPPERS = new Set(['node', 'nodejs', 'npm', 'npx', 'pnpm', 'yarn', 'tsx', 'sh', 'bash', 'dash', 'ash', 'zsh', 'env', 'timeout', 'nohup', 'setsid', 'tini', 'dumb-init', 'sudo', 'su', 'script', 'nsenter']);
const MAX_HOPS = 64;

export function isErisCommand(argv: readonly string[]): boolean {
  return argv.slice(0, ERIS_ARG_WINDOW).some((a) => ERIS_EXECUTABLE.test(a) || ERIS_WATCHDOG.test(a));
}

/** The executable name of a process: basename of argv[0], else its comm. */
export function processName(procfs: ProcFs, pid: number): string | null {
  const argv0 = procfs.cmdline(pid)?.[0];
  if (argv0 !== undefined && argv0 !== '') return basename(argv0.split(' ')[0]!);
  return procfs.stat(pid)?.comm ?? null;
}

function isErisProcess(procfs: ProcFs, pid: number, selfPid: number): boolean {
  if (pid !== selfPid) {
    const argv = procfs.cmdline(pid);
    if (argv === null || !isErisCommand(argv)) return false;
  }
  const st = procfs.stat(pid);
  return st !== null && st.state !== 'Z';
}

/**
 * Why `pid` is eris (for the refusal message), or undefined: an eris process, or a wrapper with one below it
 * through wrappers only. Reads only `pid` and the wrappers under it, never the whole host: this runs before every
 * signal. `selfPid` counts as eris whatever its command line (the agent embedded in another program, a test).
 */
export function erisRole(procfs: ProcFs, pid: number, selfPid: number = process.pid): string | undefined {
  if (isErisProcess(procfs, pid, selfPid)) return 'an eris process';
  const name = processName(procfs, pid);
  if (name === null || !WRAPPERS.has(name)) return undefined;
  let level = [pid];
  for (let hops = 0; hops < MAX_HOPS && level.length > 0; hops++) {
    const next: number[] = [];
    for (const child of level.flatMap((p) => procfs.children(p))) {
      if (isErisProcess(procfs, child, selfPid)) return `${name}, a wrapper running eris (pid ${child})`;
      const childName = processName(procfs, child);
      if (childName !== null && WRAPPERS.has(childName)) next.push(child);
    }
    level = next;
  }
  return undefined;
}
