// The run store's contract: drills, runs and their event logs, behind an interface a shared database can implement later.

export const RUN_STATUSES = ['pending', 'running', 'passed', 'failed', 'aborted', 'interrupted', 'error'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses of a run that has not finished; markInterrupted() ends them. */
export const ACTIVE_RUN_STATUSES = ['pending', 'running'] as const satisfies readonly RunStatus[];

export function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === 'string' && (RUN_STATUSES as readonly string[]).includes(value);
}

/** Well-known event types (any non-empty string is accepted). */
export const EVENT_TYPES = { probe: 'probe', timeline: 'timeline', step: 'step', fault: 'fault', log: 'log' } as const;

export interface DrillInput {
  name: string;
  /** The validated drill (JSON). */
  spec: unknown;
  /** The YAML source as the user wrote it, when there is one. */
  yaml?: string;
  /** Unix ms. */
  updatedAt: number;
}

export interface StoredDrill {
  name: string;
  spec: unknown;
  yaml: string | null;
  /** Unix ms of the first save. */
  createdAt: number;
  updatedAt: number;
}

export interface NewRun {
  id: string;
  /** null for an ad-hoc run that is not a saved drill. */
  drillName: string | null;
  /** The drill as it was run (a copy: later edits to the drill do not change a recorded run). */
  spec: unknown;
  status: RunStatus;
  createdAt: number;
  startedAt?: number;
  dryRun?: boolean;
}

export interface StoredRun {
  id: string;
  drillName: string | null;
  spec: unknown;
  status: RunStatus;
  dryRun: boolean;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  /** The report once the run ended (JSON), else null. */
  result: unknown;
  /** What went wrong (an ErisError's toJSON(), …), else null. */
  error: unknown;
}

/** Fields left out (or undefined) are not changed. */
export type RunPatch = Partial<{ status: RunStatus; startedAt: number; endedAt: number; result: unknown; error: unknown }>;

export interface ListRunsQuery {
  drillName?: string;
  status?: RunStatus | readonly RunStatus[];
  /** At most this many (a positive integer); absent = all. */
  limit?: number;
  /** Cursor: only runs that come after this run id in the newest-first order (the next page). */
  before?: string;
}

export interface NewEvent {
  /** Unix ms. */
  at: number;
  /** `probe`, `timeline`, `step`, … (EVENT_TYPES); any non-empty string. */
  type: string;
  data: unknown;
}

export interface StoredEvent {
  runId: string;
  /** 1, 2, 3, … per run, in append order, no gaps. */
  seq: number;
  at: number;
  type: string;
  data: unknown;
}

export interface ListEventsQuery {
  /** Only events with seq > afterSeq (to follow a live run). */
  afterSeq?: number;
  limit?: number;
}

/** How an audited action ended: done, refused (no token, a role or scope that does not allow it), or failed. */
export const AUDIT_RESULTS = ['ok', 'refused', 'failed'] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

export interface NewAuditRecord {
  /** Unix ms. */
  at: number;
  /** Token id; null when no valid token was given. */
  actor: string | null;
  /** The actor's role (`operator`, `viewer`, `agent`, `legacy`); null without a valid token. */
  role: string | null;
  /** `run.start`, `fault.create`, `auth.refused`, … (any non-empty string). */
  action: string;
  /** What it was done to: a run id, fault id, drill name, agent id, a request path. */
  target: string | null;
  result: AuditResult;
  /** Anything else worth keeping (JSON): an error code, the overrides used, counts. */
  details?: unknown;
}

export interface AuditRecord extends Omit<NewAuditRecord, 'details'> {
  /** 1, 2, 3, … in append order across the store. */
  seq: number;
  details: unknown;
}

export interface ListAuditQuery {
  /** Records at or after this Unix ms. */
  since?: number;
  /** Records before this Unix ms. */
  until?: number;
  actor?: string;
  action?: string;
  limit?: number;
  /** Cursor: only records with a smaller seq (the next page of the newest-first order). */
  beforeSeq?: number;
}

/**
 * Where drills and runs live. Synchronous on purpose: the embedded SQLite answers in microseconds, and a
 * shared database can sit behind a write-through cache or a worker later without changing the semantics.
 * Values (spec, result, error, event data) are stored as JSON: what comes back is `JSON.parse(JSON.stringify(x))`,
 * never the caller's object.
 *
 * Errors: ConflictError (createRun with an existing id), NotFoundError (updateRun / appendEvent of an unknown
 * run, an unknown `before` cursor), ValidationError (a status that is not a RunStatus, a bad limit, an empty event type).
 */
export interface Store {
  /** Creates or replaces the drill `name` (createdAt is kept from the first save). */
  saveDrill(drill: DrillInput): void;
  getDrill(name: string): StoredDrill | null;
  /** By name. */
  listDrills(): StoredDrill[];
  /** False when there was no such drill. Runs of the drill are kept. */
  deleteDrill(name: string): boolean;

  createRun(run: NewRun): void;
  updateRun(id: string, patch: RunPatch): void;
  getRun(id: string): StoredRun | null;
  /** Newest first: createdAt descending, then the later-created first. */
  listRuns(query?: ListRunsQuery): StoredRun[];

  /** Appends and commits one event; returns its per-run sequence number. Once it returns, the event survives a crash. */
  appendEvent(runId: string, event: NewEvent): number;
  /** In seq order; [] for an unknown run. */
  listEvents(runId: string, query?: ListEventsQuery): StoredEvent[];

  /**
   * Every run still `pending` or `running` becomes `interrupted` (endedAt = now unless set). Called when the
   * coordinator starts: whatever was in flight died with the previous process. Returns their ids.
   */
  markInterrupted(now: number): string[];

  /** Appends and commits one audit record; returns its seq. */
  appendAudit(record: NewAuditRecord): number;
  /** Newest first (seq descending). */
  listAudit(query?: ListAuditQuery): AuditRecord[];
  /**
   * Deletes audit records older than `before` (Unix ms) and, beyond the newest `keep`, the older ones; returns how
   * many went. Seqs are never reused (a cursor stays valid).
   */
  pruneAudit(bound: { before?: number; keep?: number }): number;

  close(): void;
}
