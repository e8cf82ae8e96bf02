// The journal: what the agent is about to stop is written down before it stops it, so a later run can resume it.
//
// One JSON line per record, appended with a plain write. No fsync, on purpose: the journal has to survive the
// agent's own death (SIGKILL, crash, OOM kill), and the page cache does — the write is in the kernel once
// write(2) returns. What fsync would add is surviving a node crash, and a node crash takes the stopped processes
// with it: after a reboot there is nothing to resume. It would put a disk flush (milliseconds on a busy disk) on
// the path of every SIGSTOP. What a crash can leave (a torn or zero-filled tail) is read as damage and skipped.
//
// Damage never stops the agent: every record is validated, a bad one is logged and skipped, the records around
// it are kept, and a record glued to a torn fragment is cut back out (journal-records.ts). The file is compacted
// while the agent runs (to the stops still open) whenever it has doubled since the last compaction and passed
// `compactBytes`, so it stays small however long the agent lives; it is read in chunks, whatever its size.
import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, writeFileSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../lib/logger.js';
import { silentLogger } from '../../lib/logger.js';
import type { ProcessIdentity } from '../proc/identity.js';
import type { FreezerCgroup } from '../proc/freezer.js';
import { parseLine, type JournalRecord } from './journal-records.js';

export type { JournalRecord } from './journal-records.js';

export interface PendingStop {
  faultId: string;
  owner?: string;
  at: number;
  leaseExpiresAt: number;
  processes: ProcessIdentity[];
  /** A freezer fault: the cgroups it froze (thawed on recovery). */
  freezer?: FreezerCgroup[];
}

export interface JournalOptions {
  logger?: Logger;
  /** Compact while running once the file is past this size and twice its size after the last compaction (default 1 MiB). */
  compactBytes?: number;
}

const READ_CHUNK = 1 << 20;
/** A longer line is damage (a record of 10,000 processes is ~1 MB); it is skipped without being held in memory. */
const MAX_LINE_BYTES = 16 << 20;
const DEFAULT_COMPACT_BYTES = 1 << 20;

export class Journal {
  readonly path: string;
  private fd: number | null = null;
  private readonly logger: Logger;
  private readonly compactBytes: number;
  /** Stops this run appended and has not resumed yet: what a compaction keeps. */
  private readonly open = new Map<string, PendingStop>();
  /** Size of the file as this run knows it, and right after the last compaction. */
  private size = 0;
  private compactedSize = 0;

  constructor(stateDir: string, options: JournalOptions = {}) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.path = join(stateDir, 'journal.jsonl');
    this.logger = options.logger ?? silentLogger();
    this.compactBytes = options.compactBytes ?? DEFAULT_COMPACT_BYTES;
  }

  append(record: JournalRecord): void {
    if (this.fd === null) this.openForAppend();
    const line = `${JSON.stringify(record)}\n`;
    writeSync(this.fd!, line);
    this.size += Buffer.byteLength(line);
    if (record.op === 'stop') {
      const { op: _op, ...stop } = record;
      mergeStop(this.open, stop);
    } else this.open.delete(record.faultId);
    if (this.size > this.compactBytes && this.size > 2 * this.compactedSize) this.compact([...this.open.values()]);
  }

  /** Stops recorded with no matching `resumed`: what an earlier run left stopped. Damaged lines are logged and skipped. */
  pending(): PendingStop[] {
    if (!existsSync(this.path)) return [];
    const open = new Map<string, PendingStop>();
    let damaged = 0;
    this.eachLine((line, lineNo) => {
      if (line.trim() === '') return;
      const { records, damage } = parseLine(line);
      if (damage.length > 0) {
        damaged++;
        this.logger.warn({ journal: this.path, line: lineNo, damage, excerpt: line.slice(0, 200), recovered: records.length }, 'journal: damaged line skipped');
      }
      for (const record of records) {
        if (record.op === 'stop') {
          const { op: _op, ...stop } = record;
          mergeStop(open, stop);
        } else open.delete(record.faultId);
      }
    });
    if (damaged > 0) this.logger.warn({ journal: this.path, damagedLines: damaged, pending: open.size }, 'journal: read past damaged lines');
    return [...open.values()];
  }

  /** Rewrites the journal with only the given stops still open (atomic rename); by default this run's open stops. */
  compact(stillOpen: readonly PendingStop[] = [...this.open.values()]): void {
    this.close();
    const tmp = `${this.path}.tmp`;
    const text = stillOpen.map((s) => `${JSON.stringify({ op: 'stop', ...s })}\n`).join('');
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, this.path);
    this.size = Buffer.byteLength(text);
    this.compactedSize = this.size;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private openForAppend(): void {
    this.fd = openSync(this.path, 'a+', 0o600);
    this.size = fstatSync(this.fd).size;
    // A torn last line (the agent died mid-write) would glue the next record to it: start on a fresh line.
    if (this.size > 0) {
      const last = Buffer.alloc(1);
      readSync(this.fd, last, 0, 1, this.size - 1);
      if (last[0] !== 0x0a) {
        writeSync(this.fd, '\n');
        this.size++;
      }
    }
  }

  /** Calls `fn` for each line, reading the file in chunks (a journal of any size is readable in bounded memory). */
  private eachLine(fn: (line: string, lineNo: number) => void): void {
    const fd = openSync(this.path, 'r');
    try {
      const buf = Buffer.alloc(READ_CHUNK);
      // Bytes after the last newline read so far (a newline byte never occurs inside a UTF-8 sequence, so
      // decoding up to a newline never splits a character).
      let carry: Buffer[] = [];
      let carryBytes = 0;
      let skipping = false;
      let lineNo = 0;
      const overlong = () => this.logger.warn({ journal: this.path, line: lineNo, maxBytes: MAX_LINE_BYTES }, 'journal: overlong line skipped');
      for (;;) {
        const n = readSync(fd, buf, 0, READ_CHUNK, null);
        if (n === 0) break;
        const chunk = buf.subarray(0, n);
        const lastNl = chunk.lastIndexOf(0x0a);
        if (lastNl < 0) {
          if (!skipping) {
            carry.push(Buffer.from(chunk));
            carryBytes += n;
            if (carryBytes > MAX_LINE_BYTES) {
              skipping = true;
              carry = [];
              carryBytes = 0;
            }
          }
          continue;
        }
        const lines = Buffer.concat([...carry, chunk.subarray(0, lastNl)]).toString('utf8').split('\n');
        carry = [];
        carryBytes = 0;
        for (let i = 0; i < lines.length; i++) {
          lineNo++;
          if (i === 0 && skipping) {
            // The tail of a line already too long: its head was dropped.
            skipping = false;
            overlong();
          } else if (lines[i]!.length > MAX_LINE_BYTES / 3 && Buffer.byteLength(lines[i]!) > MAX_LINE_BYTES) overlong();
          else fn(lines[i]!, lineNo);
        }
        if (lastNl + 1 < n) {
          carry.push(Buffer.from(chunk.subarray(lastNl + 1)));
          carryBytes = n - lastNl - 1;
        }
      }
      if (skipping) {
        lineNo++;
        overlong();
      } else if (carryBytes > 0) fn(Buffer.concat(carry).toString('utf8'), ++lineNo);
    } finally {
      closeSync(fd);
    }
  }
}

/** A fault may have several stop records (processes found by the sweep): their processes add up. */
function mergeStop(open: Map<string, PendingStop>, stop: PendingStop): void {
  const known = open.get(stop.faultId);
  if (known === undefined) open.set(stop.faultId, { ...stop, processes: [...stop.processes], ...(stop.freezer ? { freezer: [...stop.freezer] } : {}) });
  else {
    known.processes.push(...stop.processes);
    if (stop.freezer) known.freezer = [...(known.freezer ?? []), ...stop.freezer];
  }
}
