// Reading journal lines that may be damaged: every record validated; a record glued to garbage is cut back out.
import type { ProcessIdentity } from '../proc/identity.js';
import type { FreezerCgroup } from '../proc/freezer.js';

export type JournalRecord =
  | { op: 'stop'; faultId: string; at: number; owner?: string; leaseExpiresAt: number; processes: ProcessIdentity[]; freezer?: FreezerCgroup[] }
  | { op: 'resumed'; faultId: string; at: number; reason: string };

// Checked by hand, not with a schema library: a legacy journal may hold millions of records, read before the agent
// serves, and these shapes are small. Each check returns the problem, or null.
type Check = (v: unknown) => string | null;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const finite: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? null : 'must be a number');
const text: Check = (v) => (typeof v === 'string' ? null : 'must be a string');
const id: Check = (v) => (typeof v === 'string' && v !== '' ? null : 'must be a non-empty string');

function fields(value: Record<string, unknown>, checks: Record<string, Check>, optional: readonly string[] = []): string | null {
  for (const [name, check] of Object.entries(checks)) {
    if (value[name] === undefined && optional.includes(name)) continue;
    const problem = value[name] === undefined ? 'missing' : check(value[name]);
    if (problem !== null) return `${name}: ${problem}`;
  }
  return null;
}

function toProcess(v: unknown): ProcessIdentity | string {
  if (!isObject(v)) return `not an object (${v === null ? 'null' : typeof v})`;
  if (typeof v.pid !== 'number' || !Number.isInteger(v.pid) || v.pid <= 0) return 'pid: must be a positive integer';
  if (typeof v.startTime !== 'string' || !/^\d+$/.test(v.startTime)) return 'startTime: must be a decimal string';
  if (v.cgroup !== null && typeof v.cgroup !== 'string') return 'cgroup: must be a string or null';
  if (v.containerId !== undefined && typeof v.containerId !== 'string') return 'containerId: must be a string';
  return { pid: v.pid, startTime: v.startTime, cgroup: v.cgroup as string | null, ...(typeof v.containerId === 'string' ? { containerId: v.containerId } : {}) };
}

export interface ParsedLine {
  records: JournalRecord[];
  /** What was wrong, when something was (the line is logged and what could be read is kept). */
  damage: string[];
}

/** Validates one parsed value as a record; the reason when it is not one. */
export function toRecord(value: unknown): { record: JournalRecord; damage: string[] } | { record: null; damage: string[] } {
  const op = isObject(value) ? value.op : undefined;
  if (op === 'resumed') {
    const v = value as Record<string, unknown>;
    const problem = fields(v, { faultId: id, at: finite, reason: text });
    if (problem !== null) return { record: null, damage: [`resumed record: ${problem}`] };
    return { record: { op: 'resumed', faultId: v.faultId as string, at: v.at as number, reason: v.reason as string }, damage: [] };
  }
  if (op !== 'stop') {
    const what = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    return { record: null, damage: [`not a record (${what}${op !== undefined ? `, op ${JSON.stringify(op)}` : ''})`] };
  }
  const v = value as Record<string, unknown>;
  const problem = fields(v, { faultId: id, at: finite, leaseExpiresAt: finite, owner: text }, ['owner']);
  if (problem !== null) return { record: null, damage: [`stop record: ${problem}`] };
  if (!Array.isArray(v.processes)) return { record: null, damage: [`stop record ${String(v.faultId)}: processes: ${v.processes === undefined ? 'missing' : 'must be an array'}`] };
  // Checked one by one: a damaged entry should not cost the others their resume.
  const damage: string[] = [];
  const processes: ProcessIdentity[] = [];
  v.processes.forEach((p: unknown, i: number) => {
    const parsed = toProcess(p);
    if (typeof parsed === 'string') damage.push(`stop record ${String(v.faultId)}: processes[${i}]: ${parsed}`);
    else processes.push(parsed);
  });
  if (processes.length === 0) return { record: null, damage: [...damage, `stop record ${String(v.faultId)}: no valid process`] };
  // A freezer fault also names the cgroups it froze; the freezer checks each again before it writes (CgroupFreezer.owns).
  const freezer: FreezerCgroup[] = [];
  if (v.freezer !== undefined) {
    if (!Array.isArray(v.freezer)) damage.push(`stop record ${String(v.faultId)}: freezer: must be an array`);
    else v.freezer.forEach((c: unknown, i: number) => {
      if (isObject(c) && (c.version === 1 || c.version === 2) && typeof c.dir === 'string' && c.dir.startsWith('/')) freezer.push({ version: c.version, dir: c.dir });
      else damage.push(`stop record ${String(v.faultId)}: freezer[${i}]: must be {version: 1 | 2, dir: an absolute path}`);
    });
  }
  const record: JournalRecord = {
    op: 'stop',
    faultId: v.faultId as string,
    at: v.at as number,
    leaseExpiresAt: v.leaseExpiresAt as number,
    ...(typeof v.owner === 'string' ? { owner: v.owner } : {}),
    processes,
    ...(freezer.length > 0 ? { freezer } : {}),
  };
  return { record, damage };
}

/**
 * Every record in one line. A line is normally one JSON record; after a torn write (the agent killed mid-line) the
 * next record is glued to the fragment without a newline, so a line that is not one record is searched for
 * `{"op":` objects, each cut out by balancing its braces.
 */
export function parseLine(line: string): ParsedLine {
  let whole: unknown;
  try {
    whole = JSON.parse(line);
  } catch {
    return salvage(line);
  }
  const { record, damage } = toRecord(whole);
  return record ? { records: [record], damage } : { records: [], damage };
}

const SALVAGE_BUDGET_CHARS = 32 << 20;

function salvage(line: string): ParsedLine {
  const records: JournalRecord[] = [];
  const damage: string[] = [];
  let from = 0;
  // Each attempt may scan to the end of the line: a budget of characters scanned bounds the whole search, so a
  // line of endless unclosed fragments costs a fraction of a second, not minutes.
  const budget = { left: SALVAGE_BUDGET_CHARS };
  for (let start = line.indexOf('{"op"', from); start >= 0 && budget.left > 0; start = line.indexOf('{"op"', from)) {
    const end = objectEnd(line, start, budget);
    if (end > 0) {
      try {
        const { record, damage: d } = toRecord(JSON.parse(line.slice(start, end)));
        damage.push(...d);
        if (record) {
          records.push(record);
          from = end;
          continue;
        }
      } catch {
        // not JSON after all: look further on
      }
    }
    from = start + 1;
  }
  damage.push(records.length > 0 ? `garbage around ${records.length} record(s) recovered from it` : 'not JSON (a torn or damaged line)');
  return { records, damage };
}

/** Index just past the `}` closing the object that opens at `start`, or -1 when it never closes (or the budget ran out). */
function objectEnd(s: string, start: number, budget: { left: number }): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < s.length; i++) {
    if (--budget.left < 0) return -1;
    const c = s[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}
