// The journal: what the agent is about to stop is written down before it stops it, so a later run can resume it.
//
// One JSON line per record, appended with a plain write. No fsync: the journal only has to survive the agent's
// own death (SIGKILL, crash, OOM) and the page cache does; a node crash takes the stopped processes with it.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessIdentity } from '../proc/identity.js';

export type JournalRecord =
  | { op: 'stop'; faultId: string; at: number; owner?: string; leaseExpiresAt: number; processes: ProcessIdentity[] }
  | { op: 'resumed'; faultId: string; at: number; reason: string };

export interface PendingStop {
  faultId: string;
  owner?: string;
  at: number;
  leaseExpiresAt: number;
  processes: ProcessIdentity[];
}

export class Journal {
  readonly path: string;
  private fd: number | null = null;

  constructor(stateDir: string) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.path = join(stateDir, 'journal.jsonl');
  }

  append(record: JournalRecord): void {
    if (this.fd === null) this.fd = openSync(this.path, 'a', 0o600);
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
  }

  /** Stops recorded with no matching `resumed`: what an earlier run left stopped. A torn last line is ignored. */
  pending(): PendingStop[] {
    if (!existsSync(this.path)) return [];
    const open = new Map<string, PendingStop>();
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      let record: JournalRecord;
      try {
        record = JSON.parse(line) as JournalRecord;
      } catch {
        continue;
      }
      if (record.op === 'stop') {
        const { op: _op, ...stop } = record;
        open.set(record.faultId, stop);
      } else if (record.op === 'resumed') open.delete(record.faultId);
    }
    return [...open.values()];
  }

  /** Rewrites the journal with only the given stops still open (atomic rename). */
  compact(stillOpen: readonly PendingStop[] = []): void {
    this.close();
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, stillOpen.map((s) => `${JSON.stringify({ op: 'stop', ...s })}\n`).join(''), { mode: 0o600 });
    renameSync(tmp, this.path);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
