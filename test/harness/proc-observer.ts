// An independent /proc observer for the fault matrix: a worker thread that polls the process trees under some roots
// every few milliseconds and records, per pid, when it was seen stopped (state T). It shares nothing with eris.
import { Worker } from 'node:worker_threads';

export interface ObservedProcess {
  pid: number;
  startTime: string;
  /** The watched root whose tree it was first found in (a pid), or the cgroup directory it was found in. */
  root: number | string;
  /** Epoch ms of the first and last poll that saw it. */
  firstSeen: number;
  lastSeen: number;
  /** [from, to] epoch ms of every run of polls that saw it held: state T, or its watched freezer cgroup FROZEN. */
  stops: Array<[number, number]>;
  /** Its state at the last poll (null: gone by then). */
  state: string | null;
}

const SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const roots = new Set();
/** cgroup.procs directories (containers), each with the freezer directory whose FROZEN state counts as held. */
const cgroups = new Map();
const seen = new Map();
function stat(pid) {
  try {
    const s = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], startTime: rest[19] };
  } catch { return null; }
}
function children(pid) {
  const out = [];
  let tids = [];
  try { tids = fs.readdirSync('/proc/' + pid + '/task'); } catch { return out; }
  for (const tid of tids) {
    try { for (const w of fs.readFileSync('/proc/' + pid + '/task/' + tid + '/children', 'utf8').split(' ')) if (w) out.push(Number(w)); } catch {}
  }
  return out;
}
function note(rec, st, now, frozen) {
  rec.lastSeen = now;
  rec.state = frozen ? 'frozen' : st.state;
  if (frozen || st.state === 'T' || st.state === 't') {
    if (rec.open) rec.stops[rec.stops.length - 1][1] = now; else { rec.stops.push([now, now]); rec.open = true; }
  } else rec.open = false;
}
function poll() {
  const now = Date.now();
  const queue = [...roots].map((r) => [r, r]);
  const visited = new Set();
  while (queue.length > 0) {
    const [pid, root] = queue.pop();
    if (visited.has(pid)) continue;
    visited.add(pid);
    const st = stat(pid);
    if (st === null) continue;
    const key = pid + ':' + st.startTime;
    let rec = seen.get(key);
    if (!rec) { rec = { pid, startTime: st.startTime, root, firstSeen: now, lastSeen: now, stops: [], state: st.state, open: false }; seen.set(key, rec); }
    note(rec, st, now, false);
    for (const c of children(pid)) queue.push([c, root]);
  }
  for (const [dir, freezerDir] of cgroups) {
    let pids = [];
    try { pids = fs.readFileSync(dir + '/cgroup.procs', 'utf8').split('\\n').filter(Boolean).map(Number); } catch {}
    let frozen = false;
    try { frozen = freezerDir !== null && fs.readFileSync(freezerDir + '/freezer.state', 'utf8').trim() === 'FROZEN'; } catch {}
    for (const pid of pids) {
      if (visited.has(pid)) continue;
      visited.add(pid);
      const st = stat(pid);
      if (st === null || st.state === 'Z') continue;
      const key = pid + ':' + st.startTime;
      let rec = seen.get(key);
      if (!rec) { rec = { pid, startTime: st.startTime, root: dir, firstSeen: now, lastSeen: now, stops: [], state: st.state, open: false }; seen.set(key, rec); }
      note(rec, st, now, frozen);
    }
  }
  // A process seen once is followed by its pid and start time even when it leaves the tree (its parent exited).
  for (const rec of seen.values()) {
    if (rec.lastSeen === now || rec.state === null) continue;
    const st = stat(rec.pid);
    if (st !== null && st.startTime === rec.startTime && st.state !== 'Z') note(rec, st, now, false);
    else { rec.state = null; rec.open = false; }
  }
}
const timer = setInterval(poll, 5);
parentPort.on('message', (m) => {
  if (m.type === 'watch') for (const pid of m.pids) roots.add(pid);
  else if (m.type === 'watch-cgroup') cgroups.set(m.dir, m.freezerDir);
  else if (m.type === 'report') {
    poll();
    parentPort.postMessage([...seen.values()].map(({ open, ...r }) => r));
  } else if (m.type === 'stop') { clearInterval(timer); parentPort.close(); }
});
`;

export class ProcObserver {
  private readonly worker = new Worker(SOURCE, { eval: true });

  /** Watches these pids and every descendant they have now or later. */
  watch(pids: readonly number[]): void {
    this.worker.postMessage({ type: 'watch', pids });
  }

  /**
   * Watches every process in a cgroup directory (a container: an exec joins it from outside the init's tree);
   * with `freezerDir`, a process counts as held while that v1 freezer cgroup reads FROZEN (its state is `frozen`).
   */
  watchCgroup(dir: string, freezerDir: string | null = null): void {
    this.worker.postMessage({ type: 'watch-cgroup', dir, freezerDir });
  }

  report(): Promise<ObservedProcess[]> {
    return new Promise((resolve) => {
      this.worker.once('message', (m: ObservedProcess[]) => resolve(m));
      this.worker.postMessage({ type: 'report' });
    });
  }

  async close(): Promise<void> {
    this.worker.postMessage({ type: 'stop' });
    await this.worker.terminate();
  }
}
