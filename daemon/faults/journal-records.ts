// Reading journal lines that may be damaged: every record validated; a record glued to garbage is cut back out.
import { z } from 'zod';
import type { ProcessIdentity } from '../proc/identity.js';

export type JournalRecord =
  | { op: 'stop'; faultId: string; at: number; owner?: string; leaseExpiresAt: number; processes: ProcessIdentity[] }
  | { op: 'resumed'; faultId: string; at: number; reason: string };

const processSchema = z.object({
  pid: z.number().int().positive(),
  startTime: z.string().regex(/^\d+$/),
  cgroup: z.string().nullable(),
  containerId: z.string().optional(),
});

const stopSchema = z.object({
  op: z.literal('stop'),
  faultId: z.string().min(1),
  at: z.number(),
  owner: z.string().optional(),
  leaseExpiresAt: z.number(),
  // Checked one by one below: a damaged entry should not cost the others their resume.
  processes: z.array(z.unknown()),
});

const resumedSchema = z.object({ op: z.literal('resumed'), faultId: z.string().min(1), at: z.number(), reason: z.string() });

export interface ParsedLine {
  records: JournalRecord[];
  /** What was wrong, when something was (the line is logged and what could be read is kept). */
  damage: string[];
}

/** Validates one parsed value as a record; the reason when it is not one. */
export function toRecord(value: unknown): { record: JournalRecord; damage: string[] } | { record: null; damage: string[] } {
  const op = typeof value === 'object' && value !== null ? (value as { op?: unknown }).op : undefined;
  if (op === 'resumed') {
    const r = resumedSchema.safeParse(value);
    return r.success ? { record: r.data, damage: [] } : { record: null, damage: [`resumed record: ${issue(r.error)}`] };
  }
  if (op !== 'stop') return { record: null, damage: [`not a record (${value === null ? 'null' : typeof value}${op !== undefined ? `, op ${JSON.stringify(op)}` : ''})`] };
  const r = stopSchema.safeParse(value);
  if (!r.success) return { record: null, damage: [`stop record: ${issue(r.error)}`] };
  const damage: string[] = [];
  const processes: ProcessIdentity[] = [];
  r.data.processes.forEach((p, i) => {
    const ok = processSchema.safeParse(p);
    if (ok.success) processes.push(ok.data as ProcessIdentity);
    else damage.push(`stop record ${r.data.faultId}: processes[${i}]: ${issue(ok.error)}`);
  });
  if (processes.length === 0) return { record: null, damage: [...damage, `stop record ${r.data.faultId}: no valid process`] };
  const { op: _op, processes: _p, ...rest } = r.data;
  return { record: { op: 'stop', ...rest, processes }, damage };
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

function issue(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return 'invalid';
  return `${first.path.length > 0 ? `${first.path.join('.')}: ` : ''}${first.message}`;
}
