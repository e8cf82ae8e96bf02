// Synchronous, allocation-light reads of /proc/PID/{stat,cmdline,cgroup,exe}: the signal hot path reads these.
//
// ref: man 5 proc. A vanished process shows up as ENOENT (directory gone) or ESRCH (reading a
// file of a process that exited after open); both mean "null" here.
import { openSync, readSync, closeSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** Field 2 without the parentheses; may contain spaces and ')' (max 15 bytes in the kernel). */
  comm: string;
  /** Field 3, one letter: R S D T t Z X I … */
  state: string;
  /** Field 4. */
  ppid: number;
  /** Field 22: start time since boot in clock ticks (USER_HZ, 100/s), as a decimal string. */
  startTime: string;
}

export interface CgroupEntry {
  /** 0 for the cgroup v2 (unified) line. */
  hierarchyId: number;
  /** v1 controllers, e.g. ['cpu', 'cpuacct'] or ['name=systemd']; [] for the v2 line. */
  controllers: string[];
  /** Path relative to the reader's cgroup namespace root; may start with `/..` for cgroups outside it. */
  path: string;
}

const GONE = new Set(['ENOENT', 'ESRCH']);
const NO_ACCESS = new Set(['ENOENT', 'ESRCH', 'EACCES', 'EPERM']);

export class ProcFs {
  readonly root: string;
  // One buffer reused by every small read: the agent is single-threaded and reads are synchronous.
  private readonly buf = Buffer.allocUnsafe(4096);

  constructor(root = '/proc') {
    this.root = root.endsWith('/') && root.length > 1 ? root.slice(0, -1) : root;
  }

  /** /proc/PID/stat, or null when there is no such process. */
  stat(pid: number): ProcStat | null {
    const text = this.readSmall(`${this.root}/${pid}/stat`);
    return text === null ? null : parseStat(text);
  }

  /** argv of the process; [] for kernel threads and zombies; null when there is no such process. */
  cmdline(pid: number): string[] | null {
    const raw = this.readWhole(`${this.root}/${pid}/cmdline`);
    if (raw === null) return null;
    if (raw.length === 0) return [];
    const parts = raw.split('\0');
    if (parts[parts.length - 1] === '') parts.pop();
    return parts;
  }

  /** /proc/PID/cgroup, one entry per hierarchy; null when there is no such process. */
  cgroups(pid: number): CgroupEntry[] | null {
    const text = this.readSmall(`${this.root}/${pid}/cgroup`);
    return text === null ? null : parseCgroupFile(text);
  }

  /** Target of /proc/PID/exe; null when gone, a kernel thread, or not permitted. */
  exe(pid: number): string | null {
    try {
      return readlinkSync(`${this.root}/${pid}/exe`);
    } catch (err) {
      if (NO_ACCESS.has((err as NodeJS.ErrnoException).code ?? '')) return null;
      throw err;
    }
  }

  /** The children of a process (of every thread of it), from task/TID/children; [] when gone. */
  children(pid: number): number[] {
    let tids: string[];
    try {
      tids = readdirSync(`${this.root}/${pid}/task`);
    } catch (err) {
      if (GONE.has((err as NodeJS.ErrnoException).code ?? '')) return [];
      throw err;
    }
    const out: number[] = [];
    for (const tid of tids) {
      const text = this.readSmall(`${this.root}/${pid}/task/${tid}/children`);
      for (const word of text?.split(' ') ?? []) if (word !== '') out.push(Number(word));
    }
    return out;
  }

  /** Every process (thread-group leader) visible in this /proc, in directory order. */
  listPids(): number[] {
    const pids: number[] = [];
    for (const name of readdirSync(this.root)) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = Number(name);
      if (Number.isInteger(pid) && pid > 0) pids.push(pid);
    }
    return pids;
  }

  /** open + one read + close into the shared buffer; falls back to readFileSync if the file fills it. */
  private readSmall(path: string): string | null {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      if (GONE.has((err as NodeJS.ErrnoException).code ?? '')) return null;
      throw err;
    }
    let n: number;
    try {
      n = readSync(fd, this.buf, 0, this.buf.length, null);
    } catch (err) {
      if (GONE.has((err as NodeJS.ErrnoException).code ?? '')) return null;
      throw err;
    } finally {
      closeSync(fd);
    }
    if (n < this.buf.length) return this.buf.toString('utf8', 0, n);
    return this.readWhole(path);
  }

  private readWhole(path: string): string | null {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      if (GONE.has((err as NodeJS.ErrnoException).code ?? '')) return null;
      throw err;
    }
  }
}

/** Parses one /proc/PID/stat line. comm is taken up to the LAST ')' since it may itself contain ") ". */
export function parseStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return null;
  const pid = Number(text.slice(0, open - 1));
  const comm = text.slice(open + 1, close);
  // After ") " come fields 3.. separated by single spaces.
  let i = close + 2;
  const state = text.charAt(i);
  let field = 3;
  let ppid = -1;
  let startTime = '';
  while (field < 22) {
    const sp = text.indexOf(' ', i);
    if (sp < 0) return null;
    i = sp + 1;
    field++;
    if (field === 4) ppid = parseInt(text.slice(i, text.indexOf(' ', i)), 10);
  }
  const end = text.indexOf(' ', i);
  startTime = text.slice(i, end < 0 ? undefined : end).trimEnd();
  if (!Number.isInteger(pid) || state === '' || startTime === '') return null;
  return { pid, comm, state, ppid, startTime };
}

/** Parses /proc/PID/cgroup: `hierarchy-ID:controller-list:cgroup-path` per line (the path may contain ':'). */
export function parseCgroupFile(text: string): CgroupEntry[] {
  const entries: CgroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    if (b < 0) continue;
    const list = line.slice(a + 1, b);
    entries.push({
      hierarchyId: Number(line.slice(0, a)),
      controllers: list === '' ? [] : list.split(','),
      path: line.slice(b + 1),
    });
  }
  return entries;
}
