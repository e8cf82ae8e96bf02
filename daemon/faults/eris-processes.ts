// Which host processes are eris itself (agent, coordinator, CLI — any `eris` command) or exist only to run it
// (npm / npx / node / shell wrappers above one): in host mode none of them is ever a target, nor even listed as one.
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { ProcFs } from '../proc/procfs.js';

/** The eris executable as it is run: `eris` (npm's bin link, the image's PATH) or `…/bin/eris.js` (`node bin/eris.js`). */
const ERIS_EXECUTABLE = /(?:^|\/)eris(?:\.js)?$/;
/** The agent's lease watchdog (daemon/watchdog/main), compiled or run from sources. */
const ERIS_WATCHDOG = /(?:^|\/)daemon\/watchdog\/main\.[jt]s$/;
/** How many leading arguments may name it: `node [--flag …] bin/eris.js`, `npx eris`, `npm exec eris`. */
const ERIS_ARG_WINDOW = 4;
/** package.json's name: a script named eris is eris only when it belongs to this package (not someone's eris.js). */
const PACKAGE_NAME = 'eris-chaos';
/** bin/eris.js, dist/daemon/watchdog/main.js: the package root is at most this many folders up. */
const PACKAGE_DEPTH = 4;
const NO_ACCESS = new Set(['EACCES', 'EPERM']);

/**
 * Processes that only start another and wait for it. One of these above an eris process is eris too: freezing
 * `npm run coordinator` (scope all) would freeze the coordinator, and freezing it alone leaves eris orphaned.
 * Only a chain of these counts: a shim, systemd, sshd or PID 1 between the two ends it.
 */
const WRAPPERS = new Set(['node', 'nodejs', 'npm', 'npx', 'pnpm', 'yarn', 'tsx', 'sh', 'bash', 'dash', 'ash', 'zsh', 'env', 'timeout', 'nohup', 'setsid', 'tini', 'dumb-init', 'sudo', 'su', 'script', 'nsenter']);
const MAX_HOPS = 64;


/** The executable name of a process: basename of argv[0], else its comm. */
export function processName(procfs: ProcFs, pid: number): string | null {
  const argv0 = procfs.cmdline(pid)?.[0];
  if (argv0 !== undefined && argv0 !== '') return basename(argv0.split(' ')[0]!);
  return procfs.stat(pid)?.comm ?? null;
}

/**
 * Whether the script `arg` of process `pid` is a file of the eris package: read through /proc/PID/cwd and
 * /proc/PID/root (the process's own view, a container's too), following one link (npm's bin link), then up to the
 * nearest package.json. undefined when the agent may not look (a non-root agent, another user's process).
 */
function inErisPackage(procfs: ProcFs, pid: number, arg: string): boolean | undefined {
  try {
    let file = join(`${procfs.root}/${pid}/${arg.startsWith('/') ? 'root' : 'cwd'}`, arg);
    if (lstatSync(file).isSymbolicLink()) {
      const link = readlinkSync(file);
      file = link.startsWith('/') ? join(`${procfs.root}/${pid}/root`, link) : resolve(dirname(file), link);
    }
    for (let dir = dirname(file), up = 0; up <= PACKAGE_DEPTH; up++, dir = dirname(dir)) {
      let text: string;
      try {
        text = readFileSync(join(dir, 'package.json'), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      return (JSON.parse(text) as { name?: unknown }).name === PACKAGE_NAME;
    }
    return false;
  } catch (err) {
    return NO_ACCESS.has((err as NodeJS.ErrnoException).code ?? '') ? undefined : false;
  }
}

/**
 * An eris process: the agent itself, or a command whose script is named like eris's (cheap, read first) and is a
 * file of the eris package. Only when the agent may not look at its files does the name alone decide (refusing is
 * the safe side).
 */
function isErisProcess(procfs: ProcFs, pid: number, selfPid: number): boolean {
  if (pid !== selfPid) {
    const argv = procfs.cmdline(pid);
    if (argv === null) return false;
    const named = argv.slice(0, ERIS_ARG_WINDOW).filter((a) => ERIS_EXECUTABLE.test(a) || ERIS_WATCHDOG.test(a));
    if (named.length === 0 || !named.some((a) => inErisPackage(procfs, pid, a) !== false)) return false;
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
