// The default Store: one embedded SQLite file (Node's built-in node:sqlite, WAL), schema versioned by PRAGMA user_version.
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
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
export function migrate(db: DatabaseSync): { from: number; to: number } {
  const from = userVersion(db);
  if (from > MIGRATIONS.length) {
    throw new ErisError(`store ${db.location() ?? ':memory:'}: schema version ${from} is newer than this coordinator knows (${MIGRATIONS.length}); upgrade eris`, {
      details: { schemaVersion: from, supported: MIGRATIONS.length },
    });
  }
  for (let v = from; v < MIGRATIONS.length; v++) {
    immediateTransaction(db, () => db.exec(`${MIGRATIONS[v]!}; PRAGMA user_version = ${v + 1};`));
  }
  return { from, to: MIGRATIONS.length };
}

export function userVersion(db: DatabaseSync): number {
  return Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
}

/** Runs `work` in a BEGIN IMMEDIATE transaction (the write lock taken up front), rolled back if it throws. */
function immediateTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (e) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw e;
  }
}

/** A prepared statement with the row type its SELECT returns (node:sqlite types rows as plain records). */
interface Statement<Row> {
  run(...params: Param[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...params: Param[]): Row | undefined;
  all(...params: Param[]): Row[];
}
type Param = string | number | null | Record<string, string | number | null>;

function prepare<Row = never>(db: DatabaseSync, sql: string): Statement<Row> {
  return db.prepare(sql) as StatementSync as unknown as Statement<Row>;
}

// Every statement the store runs, prepared once (listRuns builds its WHERE per query).
function prepareStatements(db: DatabaseSync) {
  return {
    saveDrill: prepare(db,
      `INSERT INTO drills (name, spec, yaml, created_at, updated_at) VALUES (@name, @spec, @yaml, @at, @at)
       ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, yaml = excluded.yaml, updated_at = excluded.updated_at`,
    ),
    getDrill: prepare<DrillRow>(db, 'SELECT * FROM drills WHERE name = ?'),
    listDrills: prepare<DrillRow>(db, 'SELECT * FROM drills ORDER BY name'),
    deleteDrill: prepare(db, 'DELETE FROM drills WHERE name = ?'),
    createRun: prepare(db,
      'INSERT INTO runs (id, drill_name, spec, status, dry_run, created_at, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    // NULL parameter = leave the column as it is (JSON null is the text 'null', not SQL NULL).
    updateRun: prepare(db,
      `UPDATE runs SET status = coalesce(@status, status), started_at = coalesce(@startedAt, started_at),
         ended_at = coalesce(@endedAt, ended_at), result = coalesce(@result, result), error = coalesce(@error, error)
       WHERE id = @id`,
    ),
    getRun: prepare<RunRow>(db, `SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`),
    cursor: prepare<{ created_at: number; rowid: number }>(db, 'SELECT created_at, rowid FROM runs WHERE id = ?'),
    appendEvent: prepare<{ seq: number }>(db,
      // One statement, so one implicit transaction: the next seq is read and used under the same write lock.
      `INSERT INTO events (run_id, seq, at, type, data)
       SELECT @runId, coalesce(max(seq), 0) + 1, @at, @type, @data FROM events WHERE run_id = @runId
       RETURNING seq`,
    ),
    listEvents: prepare<EventRow>(db,
      'SELECT seq, at, type, data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    activeRuns: prepare<{ id: string }>(db, "SELECT id FROM runs WHERE status IN ('pending', 'running') ORDER BY rowid"),
    appendAudit: prepare(db,
      'INSERT INTO audit (at, actor, role, action, target, result, details) VALUES (@at, @actor, @role, @action, @target, @result, @details)',
    ),
    pruneAuditBefore: prepare(db, 'DELETE FROM audit WHERE at < ?'),
    pruneAuditKeep: prepare(db, 'DELETE FROM audit WHERE seq <= (SELECT seq FROM audit ORDER BY seq DESC LIMIT 1 OFFSET ?)'),
    // One statement for every filter combination: a NULL parameter means "no filter".
    listAudit: prepare<AuditRow>(db,
      `SELECT seq, at, actor, role, action, target, result, details FROM audit
       WHERE (@since IS NULL OR at >= @since) AND (@until IS NULL OR at < @until)
         AND (@actor IS NULL OR actor = @actor) AND (@action IS NULL OR action = @action)
         AND (@beforeSeq IS NULL OR seq < @beforeSeq)
       ORDER BY seq DESC LIMIT @limit`,
    ),
    interrupt: prepare(db,
      "UPDATE runs SET status = 'interrupted', ended_at = coalesce(ended_at, ?) WHERE status IN ('pending', 'running')",
    ),
  };
}

// Extended result codes (https://sqlite.org/rescode.html): node:sqlite reports them as `errcode`.
const SQLITE_CONSTRAINT_FOREIGNKEY = 787;
const SQLITE_CONSTRAINT_UNIQUE = 2067;
const isConstraint = (e: unknown, errcode: number) =>
  e instanceof Error && (e as Error & { errcode?: number }).errcode === errcode;

export class SqliteStore implements Store {
  readonly path: string;
  readonly schema: { from: number; to: number };
  private readonly db: DatabaseSync;
  private readonly stmt: ReturnType<typeof prepareStatements>;
  private readonly listRunsStatements = new Map<string, Statement<RunRow>>();

  constructor(options: SqliteStoreOptions) {
    this.path = options.path;
    if (options.path !== ':memory:' && options.path !== '') {
      mkdirSync(dirname(options.path), { recursive: true });
      // Runs, drills and their probes' URLs are the operator's: owner-only, and SQLite gives its -wal and -shm files
      // the database file's mode (os_unix.c findCreateFileMode). An older, wider file is narrowed.
      closeSync(openSync(options.path, 'a', 0o600));
      chmodSync(options.path, 0o600);
    }
    const db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs ?? 5000, enableForeignKeyConstraints: true });
    try {
      db.exec('PRAGMA journal_mode = WAL'); // stays `memory` for :memory:
      db.exec(`PRAGMA synchronous = ${(options.synchronous ?? 'full').toUpperCase()}`);
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
    return Number(this.stmt.deleteDrill.run(name).changes) > 0;
  }

  createRun(run: NewRun): void {
    const status = checkStatus(run.status, 'status');
    try {
      this.stmt.createRun.run(run.id, run.drillName, encodeJson(run.spec, 'spec'), status, run.dryRun ? 1 : 0, run.createdAt, run.startedAt ?? null);
    } catch (e) {
      if (isConstraint(e, SQLITE_CONSTRAINT_UNIQUE)) throw new ConflictError(`run ${run.id} already exists`, { path: 'id', cause: e });
      throw e;
    }
  }

  updateRun(id: string, patch: RunPatch): void {
    const status = patch.status !== undefined ? checkStatus(patch.status, 'status') : null;
    const result = patch.result !== undefined ? encodeJson(patch.result, 'result') : null;
    const error = patch.error !== undefined ? encodeJson(patch.error, 'error') : null;
    const { changes } = this.stmt.updateRun.run({ id, status, startedAt: patch.startedAt ?? null, endedAt: patch.endedAt ?? null, result, error });
    if (Number(changes) === 0) throw new NotFoundError(`no run ${id}`, { path: 'id' });
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
    if (!statement) this.listRunsStatements.set(sql, (statement = prepare<RunRow>(this.db, sql)));
    return statement.all(...params, limit ?? -1).map(runOf);
  }

  appendEvent(runId: string, event: NewEvent): number {
    checkEvent(event);
    try {
      return this.stmt.appendEvent.get({ runId, at: event.at, type: event.type, data: encodeJson(event.data, 'data') })!.seq;
    } catch (e) {
      if (isConstraint(e, SQLITE_CONSTRAINT_FOREIGNKEY)) throw new NotFoundError(`no run ${runId}`, { path: 'runId', cause: e });
      throw e;
    }
  }

  listEvents(runId: string, query: ListEventsQuery = {}): StoredEvent[] {
    const { afterSeq, limit } = checkEventsQuery(query);
    return this.stmt.listEvents.all(runId, afterSeq, limit ?? -1).map((r) => ({ runId, seq: r.seq, at: r.at, type: r.type, data: decodeJson(r.data) }));
  }

  markInterrupted(now: number): string[] {
    return immediateTransaction(this.db, () => {
      const ids = this.stmt.activeRuns.all().map((r) => r.id);
      this.stmt.interrupt.run(now);
      return ids;
    });
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

  pruneAudit(bound: { before?: number; keep?: number }): number {
    let deleted = 0;
    if (bound.before !== undefined) deleted += Number(this.stmt.pruneAuditBefore.run(bound.before).changes);
    if (bound.keep !== undefined) deleted += Number(this.stmt.pruneAuditKeep.run(bound.keep).changes);
    return deleted;
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
