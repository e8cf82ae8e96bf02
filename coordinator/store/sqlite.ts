// The default Store: one embedded SQLite file (better-sqlite3, WAL), schema versioned by PRAGMA user_version.
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ConflictError, ErisError, NotFoundError } from '../../lib/errors.js';
import { checkAuditQuery, checkAuditRecord, checkEvent, checkEventsQuery, checkLimit, checkStatus, checkStatuses, decodeJson, encodeJson } from './common.js';
import {
  RUN_STATUSES,
  type AuditRecord,
  type AuditResult,
  type ListAuditQuery,
  type NewAuditRecord,
  type DrillInput,
  type ListEventsQuery,
  type ListRunsQuery,
  type NewEvent,
  type NewRun,
  type RunPatch,
  type RunStatus,
  type Store,
  type StoredDrill,
  type StoredEvent,
  type StoredRun,
} from './types.js';

/**
 * How hard a commit waits for the disk (https://sqlite.org/pragma.html#pragma_synchronous, https://sqlite.org/wal.html):
 * - `full`: the WAL is fsynced at every commit — an acknowledged write survives a crash of the process *and*
 *   of the machine (power loss, node failure);
 * - `normal`: no fsync per commit — survives a crash of the process (SIGKILL, OOM kill), may lose the last
 *   commits on power loss; several times faster (see README.md).
 */
export const SYNCHRONOUS_MODES = ['full', 'normal'] as const;
export type SynchronousMode = (typeof SYNCHRONOUS_MODES)[number];

export interface SqliteStoreOptions {
  /** A file path (its directory is created), or `:memory:`. */
  path: string;
  /** Default `full`: the design promises that nothing a run recorded is lost. */
  synchronous?: SynchronousMode;
  /** How long a write waits for another connection's lock (ms). Default 5000. */
  busyTimeoutMs?: number;
}

const statusList = RUN_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * Schema migrations; migration i brings `user_version` from i to i+1. Append only: never edit one that shipped.
 * STRICT tables (SQLite ≥ 3.37) reject values of the wrong type instead of storing them.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE drills (
    name TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    yaml TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT;

  -- A rowid table on purpose: rowid is the creation order, the tie-break of "newest first".
  CREATE TABLE runs (
    id TEXT NOT NULL UNIQUE,
    drill_name TEXT,
    spec TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN (${statusList})),
    dry_run INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    ended_at INTEGER,
    result TEXT,
    error TEXT
  ) STRICT;
  CREATE INDEX runs_newest ON runs (created_at DESC);
  CREATE INDEX runs_drill ON runs (drill_name, created_at DESC);
  CREATE INDEX runs_active ON runs (status) WHERE status IN ('pending', 'running');

  CREATE TABLE events (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
  ) STRICT, WITHOUT ROWID;
  `,
  `
  -- Who did what, when, with what result; seq (the rowid) is the order and the paging cursor.
  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT,
    role TEXT,
    action TEXT NOT NULL,
    target TEXT,
    result TEXT NOT NULL CHECK (result IN ('ok', 'refused', 'failed')),
    details TEXT NOT NULL
  ) STRICT;
  CREATE INDEX audit_at ON audit (at);
  CREATE INDEX audit_actor ON audit (actor, seq);
  CREATE INDEX audit_action ON audit (action, seq);
  `,
];

interface DrillRow {
  name: string;
  spec: string;
  yaml: string | null;
  created_at: number;
  updated_at: number;
}
interface RunRow {
  id: string;
  drill_name: string | null;
  spec: string;
  status: RunStatus;
  dry_run: number;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  result: string | null;
  error: string | null;
}
interface EventRow {
  seq: number;
  at: number;
  type: string;
  data: string;
}
interface AuditRow {
  seq: number;
  at: number;
  actor: string | null;
  role: string | null;
  action: string;
  target: string | null;
  result: AuditResult;
  details: string;
}
const auditOf = (r: AuditRow): AuditRecord => ({ seq: r.seq, at: r.at, actor: r.actor, role: r.role, action: r.action, target: r.target, result: r.result, details: decodeJson(r.details) });

const drillOf = (r: DrillRow): StoredDrill => ({ name: r.name, spec: decodeJson(r.spec), yaml: r.yaml, createdAt: r.created_at, updatedAt: r.updated_at });
const runOf = (r: RunRow): StoredRun => ({
  id: r.id,
  drillName: r.drill_name,
  spec: decodeJson(r.spec),
  status: r.status,
  dryRun: r.dry_run !== 0,
  createdAt: r.created_at,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  result: decodeJson(r.result),
  error: decodeJson(r.error),
});

const RUN_COLUMNS = 'id, drill_name, spec, status, dry_run, created_at, started_at, ended_at, result, error';

/** Brings the schema to the latest version, each migration in its own transaction. Refuses a newer schema. */
export function migrate(db: Database.Database): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > MIGRATIONS.length) {
    throw new ErisError(`store ${db.name}: schema version ${from} is newer than this coordinator knows (${MIGRATIONS.length}); upgrade eris`, {
      details: { schemaVersion: from, supported: MIGRATIONS.length },
    });
  }
  for (let v = from; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  return { from, to: MIGRATIONS.length };
}

// Every statement the store runs, prepared once (listRuns builds its WHERE per query).
function prepareStatements(db: Database.Database) {
  return {
    saveDrill: db.prepare<[{ name: string; spec: string; yaml: string | null; at: number }]>(
      `INSERT INTO drills (name, spec, yaml, created_at, updated_at) VALUES (@name, @spec, @yaml, @at, @at)
       ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, yaml = excluded.yaml, updated_at = excluded.updated_at`,
    ),
    getDrill: db.prepare<[string], DrillRow>('SELECT * FROM drills WHERE name = ?'),
    listDrills: db.prepare<[], DrillRow>('SELECT * FROM drills ORDER BY name'),
    deleteDrill: db.prepare<[string]>('DELETE FROM drills WHERE name = ?'),
    createRun: db.prepare<[string, string | null, string, string, number, number, number | null]>(
      'INSERT INTO runs (id, drill_name, spec, status, dry_run, created_at, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    // NULL parameter = leave the column as it is (JSON null is the text 'null', not SQL NULL).
    updateRun: db.prepare<
      [{ id: string; status: string | null; startedAt: number | null; endedAt: number | null; result: string | null; error: string | null }]
    >(
      `UPDATE runs SET status = coalesce(@status, status), started_at = coalesce(@startedAt, started_at),
         ended_at = coalesce(@endedAt, ended_at), result = coalesce(@result, result), error = coalesce(@error, error)
       WHERE id = @id`,
    ),
    getRun: db.prepare<[string], RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`),
    cursor: db.prepare<[string], { created_at: number; rowid: number }>('SELECT created_at, rowid FROM runs WHERE id = ?'),
    appendEvent: db.prepare<[{ runId: string; at: number; type: string; data: string }], { seq: number }>(
      // One statement, so one implicit transaction: the next seq is read and used under the same write lock.
      `INSERT INTO events (run_id, seq, at, type, data)
       SELECT @runId, coalesce(max(seq), 0) + 1, @at, @type, @data FROM events WHERE run_id = @runId
       RETURNING seq`,
    ),
    listEvents: db.prepare<[string, number, number], EventRow>(
      'SELECT seq, at, type, data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    activeRuns: db.prepare<[], { id: string }>("SELECT id FROM runs WHERE status IN ('pending', 'running') ORDER BY rowid"),
    appendAudit: db.prepare<[{ at: number; actor: string | null; role: string | null; action: string; target: string | null; result: string; details: string }]>(
      'INSERT INTO audit (at, actor, role, action, target, result, details) VALUES (@at, @actor, @role, @action, @target, @result, @details)',
    ),
    // One statement for every filter combination: a NULL parameter means "no filter".
    listAudit: db.prepare<[{ since: number | null; until: number | null; actor: string | null; action: string | null; beforeSeq: number | null; limit: number }], AuditRow>(
      `SELECT seq, at, actor, role, action, target, result, details FROM audit
       WHERE (@since IS NULL OR at >= @since) AND (@until IS NULL OR at < @until)
         AND (@actor IS NULL OR actor = @actor) AND (@action IS NULL OR action = @action)
         AND (@beforeSeq IS NULL OR seq < @beforeSeq)
       ORDER BY seq DESC LIMIT @limit`,
    ),
    interrupt: db.prepare<[number]>(
      "UPDATE runs SET status = 'interrupted', ended_at = coalesce(ended_at, ?) WHERE status IN ('pending', 'running')",
    ),
  };
}

const isConstraint = (e: unknown, code: string) => e instanceof Database.SqliteError && e.code === code;

export class SqliteStore implements Store {
  readonly path: string;
  readonly schema: { from: number; to: number };
  private readonly db: Database.Database;
  private readonly stmt: ReturnType<typeof prepareStatements>;
  private readonly listRunsStatements = new Map<string, Database.Statement<Array<string | number>, RunRow>>();

  constructor(options: SqliteStoreOptions) {
    this.path = options.path;
    if (options.path !== ':memory:' && options.path !== '') {
      mkdirSync(dirname(options.path), { recursive: true });
      // Runs, drills and their probes' URLs are the operator's: owner-only, and SQLite gives its -wal and -shm files
      // the database file's mode (os_unix.c findCreateFileMode). An older, wider file is narrowed.
      closeSync(openSync(options.path, 'a', 0o600));
      chmodSync(options.path, 0o600);
    }
    const db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      db.pragma('journal_mode = WAL'); // stays `memory` for :memory:
      db.pragma(`synchronous = ${(options.synchronous ?? 'full').toUpperCase()}`);
      db.pragma('foreign_keys = ON');
      this.schema = migrate(db);
    } catch (e) {
      db.close();
      throw e;
    }
    this.db = db;
    this.stmt = prepareStatements(db);
  }

  saveDrill(drill: DrillInput): void {
    this.stmt.saveDrill.run({ name: drill.name, spec: encodeJson(drill.spec, 'spec'), yaml: drill.yaml ?? null, at: drill.updatedAt });
  }

  getDrill(name: string): StoredDrill | null {
    const row = this.stmt.getDrill.get(name);
    return row ? drillOf(row) : null;
  }

  listDrills(): StoredDrill[] {
    return this.stmt.listDrills.all().map(drillOf);
  }

  deleteDrill(name: string): boolean {
    return this.stmt.deleteDrill.run(name).changes > 0;
  }

  createRun(run: NewRun): void {
    const status = checkStatus(run.status, 'status');
    try {
      this.stmt.createRun.run(run.id, run.drillName, encodeJson(run.spec, 'spec'), status, run.dryRun ? 1 : 0, run.createdAt, run.startedAt ?? null);
    } catch (e) {
      if (isConstraint(e, 'SQLITE_CONSTRAINT_UNIQUE')) throw new ConflictError(`run ${run.id} already exists`, { path: 'id', cause: e });
      throw e;
    }
  }

  updateRun(id: string, patch: RunPatch): void {
    const status = patch.status !== undefined ? checkStatus(patch.status, 'status') : null;
    const result = patch.result !== undefined ? encodeJson(patch.result, 'result') : null;
    const error = patch.error !== undefined ? encodeJson(patch.error, 'error') : null;
    const { changes } = this.stmt.updateRun.run({ id, status, startedAt: patch.startedAt ?? null, endedAt: patch.endedAt ?? null, result, error });
    if (changes === 0) throw new NotFoundError(`no run ${id}`, { path: 'id' });
  }

  getRun(id: string): StoredRun | null {
    const row = this.stmt.getRun.get(id);
    return row ? runOf(row) : null;
  }

  listRuns(query: ListRunsQuery = {}): StoredRun[] {
    const statuses = checkStatuses(query.status);
    const limit = checkLimit(query.limit);
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (query.drillName !== undefined) {
      where.push('drill_name = ?');
      params.push(query.drillName);
    }
    if (statuses !== undefined) {
      where.push(`status IN (${statuses.map(() => '?').join(', ') || 'NULL'})`);
      params.push(...statuses);
    }
    if (query.before !== undefined) {
      const cursor = this.stmt.cursor.get(query.before);
      if (!cursor) throw new NotFoundError(`before: no run ${query.before}`, { path: 'before' });
      where.push('(created_at < ? OR (created_at = ? AND rowid < ?))');
      params.push(cursor.created_at, cursor.created_at, cursor.rowid);
    }
    const sql = `SELECT ${RUN_COLUMNS} FROM runs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at DESC, rowid DESC LIMIT ?`;
    // Few distinct shapes (which filters, how many statuses), so each is prepared once and kept.
    let statement = this.listRunsStatements.get(sql);
    if (!statement) this.listRunsStatements.set(sql, (statement = this.db.prepare<Array<string | number>, RunRow>(sql)));
    return statement.all(...params, limit ?? -1).map(runOf);
  }

  appendEvent(runId: string, event: NewEvent): number {
    checkEvent(event);
    try {
      return this.stmt.appendEvent.get({ runId, at: event.at, type: event.type, data: encodeJson(event.data, 'data') })!.seq;
    } catch (e) {
      if (isConstraint(e, 'SQLITE_CONSTRAINT_FOREIGNKEY')) throw new NotFoundError(`no run ${runId}`, { path: 'runId', cause: e });
      throw e;
    }
  }

  listEvents(runId: string, query: ListEventsQuery = {}): StoredEvent[] {
    const { afterSeq, limit } = checkEventsQuery(query);
    return this.stmt.listEvents.all(runId, afterSeq, limit ?? -1).map((r) => ({ runId, seq: r.seq, at: r.at, type: r.type, data: decodeJson(r.data) }));
  }

  markInterrupted(now: number): string[] {
    return this.db
      .transaction(() => {
        const ids = this.stmt.activeRuns.all().map((r) => r.id);
        this.stmt.interrupt.run(now);
        return ids;
      })
      .immediate();
  }

  appendAudit(record: NewAuditRecord): number {
    checkAuditRecord(record);
    const { lastInsertRowid } = this.stmt.appendAudit.run({
      at: record.at,
      actor: record.actor,
      role: record.role,
      action: record.action,
      target: record.target,
      result: record.result,
      details: encodeJson(record.details ?? null, 'details'),
    });
    return Number(lastInsertRowid);
  }

  listAudit(query: ListAuditQuery = {}): AuditRecord[] {
    const q = checkAuditQuery(query);
    return this.stmt.listAudit
      .all({ since: q.since ?? null, until: q.until ?? null, actor: q.actor ?? null, action: q.action ?? null, beforeSeq: q.beforeSeq ?? null, limit: q.limit ?? -1 })
      .map(auditOf);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
