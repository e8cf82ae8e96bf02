// A Store in plain Maps, for unit tests of other modules; same semantics as SqliteStore (same contract suite).
import { ConflictError, ErisError, NotFoundError } from '../../lib/errors.js';
import { checkAuditQuery, checkAuditRecord, checkEvent, checkEventsQuery, checkLimit, checkStatus, checkStatuses, decodeJson, encodeJson } from './common.js';
import {
  ACTIVE_RUN_STATUSES,
  type AuditRecord,
  type ListAuditQuery,
  type NewAuditRecord,
  type DrillInput,
  type ListEventsQuery,
  type ListRunsQuery,
  type NewEvent,
  type NewRun,
  type RunPatch,
  type Store,
  type StoredDrill,
  type StoredEvent,
  type StoredRun,
} from './types.js';

interface DrillRow {
  name: string;
  spec: string;
  yaml: string | null;
  createdAt: number;
  updatedAt: number;
}
interface RunRow {
  /** Creation order, the tie-break of the newest-first order (SQLite's rowid). */
  order: number;
  id: string;
  drillName: string | null;
  spec: string;
  status: StoredRun['status'];
  dryRun: boolean;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  result: string | null;
  error: string | null;
}
interface EventRow {
  seq: number;
  at: number;
  type: string;
  data: string;
}

/** What a MemoryStore keeps; pass the same object to a new MemoryStore to "reopen" it. */
export interface MemoryStoreState {
  drills: Map<string, DrillRow>;
  runs: Map<string, RunRow>;
  events: Map<string, EventRow[]>;
  nextOrder: number;
  /** In seq order; details kept as JSON text like the others. */
  audit: Array<Omit<AuditRecord, 'details'> & { details: string }>;
  /** The last audit seq handed out: pruned records' seqs are not reused. */
  auditSeq: number;
}

export function createMemoryStoreState(): MemoryStoreState {
  return { drills: new Map(), runs: new Map(), events: new Map(), nextOrder: 1, audit: [], auditSeq: 0 };
}

export interface MemoryStoreOptions {
  state?: MemoryStoreState;
}

// Values are stored as JSON text, like SQLite does, so both hand back equal copies and never the caller's object.
const drillOf = (r: DrillRow): StoredDrill => ({ name: r.name, spec: decodeJson(r.spec), yaml: r.yaml, createdAt: r.createdAt, updatedAt: r.updatedAt });
const runOf = (r: RunRow): StoredRun => ({
  id: r.id,
  drillName: r.drillName,
  spec: decodeJson(r.spec),
  status: r.status,
  dryRun: r.dryRun,
  createdAt: r.createdAt,
  startedAt: r.startedAt,
  endedAt: r.endedAt,
  result: decodeJson(r.result),
  error: decodeJson(r.error),
});
const newestFirst = (a: RunRow, b: RunRow) => b.createdAt - a.createdAt || b.order - a.order;

export class MemoryStore implements Store {
  readonly state: MemoryStoreState;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.state = options.state ?? createMemoryStoreState();
  }

  private open(): MemoryStoreState {
    if (this.closed) throw new ErisError('the store is closed');
    return this.state;
  }

  saveDrill(drill: DrillInput): void {
    const { drills } = this.open();
    const spec = encodeJson(drill.spec, 'spec');
    const createdAt = drills.get(drill.name)?.createdAt ?? drill.updatedAt;
    drills.set(drill.name, { name: drill.name, spec, yaml: drill.yaml ?? null, createdAt, updatedAt: drill.updatedAt });
  }

  getDrill(name: string): StoredDrill | null {
    const row = this.open().drills.get(name);
    return row ? drillOf(row) : null;
  }

  listDrills(): StoredDrill[] {
    return [...this.open().drills.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(drillOf);
  }

  deleteDrill(name: string): boolean {
    return this.open().drills.delete(name);
  }

  createRun(run: NewRun): void {
    const state = this.open();
    if (state.runs.has(run.id)) throw new ConflictError(`run ${run.id} already exists`, { path: 'id' });
    state.runs.set(run.id, {
      order: state.nextOrder++,
      id: run.id,
      drillName: run.drillName,
      spec: encodeJson(run.spec, 'spec'),
      status: checkStatus(run.status, 'status'),
      dryRun: run.dryRun ?? false,
      createdAt: run.createdAt,
      startedAt: run.startedAt ?? null,
      endedAt: null,
      result: null,
      error: null,
    });
    state.events.set(run.id, []);
  }

  updateRun(id: string, patch: RunPatch): void {
    const row = this.open().runs.get(id);
    if (!row) throw new NotFoundError(`no run ${id}`, { path: 'id' });
    const status = patch.status !== undefined ? checkStatus(patch.status, 'status') : row.status;
    const result = patch.result !== undefined ? encodeJson(patch.result, 'result') : row.result;
    const error = patch.error !== undefined ? encodeJson(patch.error, 'error') : row.error;
    row.status = status;
    row.result = result;
    row.error = error;
    if (patch.startedAt !== undefined) row.startedAt = patch.startedAt;
    if (patch.endedAt !== undefined) row.endedAt = patch.endedAt;
  }

  getRun(id: string): StoredRun | null {
    const row = this.open().runs.get(id);
    return row ? runOf(row) : null;
  }

  listRuns(query: ListRunsQuery = {}): StoredRun[] {
    const { runs } = this.open();
    const statuses = checkStatuses(query.status);
    const limit = checkLimit(query.limit);
    let cursor: RunRow | undefined;
    if (query.before !== undefined) {
      cursor = runs.get(query.before);
      if (!cursor) throw new NotFoundError(`before: no run ${query.before}`, { path: 'before' });
    }
    const rows = [...runs.values()]
      .filter((r) => query.drillName === undefined || r.drillName === query.drillName)
      .filter((r) => statuses === undefined || statuses.includes(r.status))
      .filter((r) => cursor === undefined || newestFirst(cursor, r) < 0)
      .sort(newestFirst);
    return (limit === undefined ? rows : rows.slice(0, limit)).map(runOf);
  }

  appendEvent(runId: string, event: NewEvent): number {
    const { events } = this.open();
    checkEvent(event);
    const log = events.get(runId);
    if (!log) throw new NotFoundError(`no run ${runId}`, { path: 'runId' });
    const seq = log.length + 1;
    log.push({ seq, at: event.at, type: event.type, data: encodeJson(event.data, 'data') });
    return seq;
  }

  listEvents(runId: string, query: ListEventsQuery = {}): StoredEvent[] {
    const { afterSeq, limit } = checkEventsQuery(query);
    const log = this.open().events.get(runId) ?? [];
    // seq n sits at index n-1.
    const rows = log.slice(afterSeq, limit === undefined ? undefined : afterSeq + limit);
    return rows.map((e) => ({ runId, seq: e.seq, at: e.at, type: e.type, data: decodeJson(e.data) }));
  }

  markInterrupted(now: number): string[] {
    const rows = [...this.open().runs.values()]
      .filter((r) => (ACTIVE_RUN_STATUSES as readonly string[]).includes(r.status))
      .sort((a, b) => a.order - b.order);
    for (const r of rows) {
      r.status = 'interrupted';
      r.endedAt ??= now;
    }
    return rows.map((r) => r.id);
  }

  appendAudit(record: NewAuditRecord): number {
    const { audit } = this.open();
    checkAuditRecord(record);
    const state = this.open();
    const seq = ++state.auditSeq;
    const { details, ...rest } = record;
    audit.push({ ...rest, seq, details: encodeJson(details ?? null, 'details') });
    return seq;
  }

  listAudit(query: ListAuditQuery = {}): AuditRecord[] {
    const q = checkAuditQuery(query);
    const out: AuditRecord[] = [];
    const { audit } = this.open();
    for (let i = audit.length - 1; i >= 0 && (q.limit === undefined || out.length < q.limit); i--) {
      const r = audit[i]!;
      if (q.beforeSeq !== undefined && r.seq >= q.beforeSeq) continue;
      if (q.since !== undefined && r.at < q.since) continue;
      if (q.until !== undefined && r.at >= q.until) continue;
      if (q.actor !== undefined && r.actor !== q.actor) continue;
      if (q.action !== undefined && r.action !== q.action) continue;
      out.push({ seq: r.seq, at: r.at, actor: r.actor, role: r.role, action: r.action, target: r.target, result: r.result, details: decodeJson(r.details) });
    }
    return out;
  }

  pruneAudit(bound: { before?: number; keep?: number }): number {
    const state = this.open();
    const before = state.audit.length;
    const kept = state.audit.filter((r) => bound.before === undefined || r.at >= bound.before);
    state.audit = bound.keep === undefined ? kept : kept.slice(Math.max(0, kept.length - bound.keep));
    return before - state.audit.length;
  }

  close(): void {
    this.closed = true;
  }
}
