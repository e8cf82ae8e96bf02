// Child processes the tests start themselves (and only those are ever signalled), plus /proc state readers.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/** Alive and not stopped: R (running) or S/D (sleeping), as a process is right after SIGCONT. */
export function isRunning(pid: number): boolean {
  const state = procState(pid);
  return state !== null && state !== 'T' && state !== 't' && state !== 'Z' && state !== 'X';
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // raced with an exit
    }
  }
  return out;
}

/** The process and all its descendants. */
export function treeOf(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...childrenOf(out[i]!));
  return out;
}

export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** A shell that forks `sleepers` sleeps and waits: a small multi-process "workload". */
export async function spawnTree(sleepers = 2, tag = 'eris-test-workload'): Promise<{ child: ChildProcess; pid: number; pids: () => number[]; kill: () => void }> {
  const script = `${Array.from({ length: sleepers }, () => 'sleep 1000 &').join(' ')} wait # ${tag}`;
  const child = spawn('sh', ['-c', script], { stdio: 'ignore', detached: true });
  const pid = child.pid!;
  // Until each child has exec'd `sleep`: a forked shell not yet exec'd still shows the parent's command line (and tag).
  await waitFor(() => {
    const children = childrenOf(pid);
    return children.length === sleepers && children.every((c) => cmdlineOf(c).startsWith('sleep'));
  }, 5000, 'the workload to fork and exec');
  return {
    child,
    pid,
    pids: () => treeOf(pid),
    kill: () => killTree(pid),
  };
}

/** Resumes and kills a tree the test started (by PID, never by name). */
export function killTree(pid: number): void {
  for (const p of treeOf(pid).reverse()) {
    for (const sig of ['SIGCONT', 'SIGKILL'] as const) {
      try {
        process.kill(p, sig);
      } catch {
        // already gone
      }
    }
  }
}
