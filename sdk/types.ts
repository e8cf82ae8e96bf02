// What the coordinator's API answers, built from the server's own types (import type only: nothing of the server
// is loaded at run time). Envelopes ({runs: [...]}) are unwrapped by the client.
import type { z } from 'zod';
import type { AgentView } from '../coordinator/fleet/fleet.js';
import type { Selection } from '../coordinator/selection/select.js';
import type { TargetGroupInput } from '../coordinator/selection/schema.js';
import type { TargetRecord } from '../coordinator/selection/types.js';
import type { ImmediateFault, ResumedFault, immediateFaultSchema } from '../coordinator/api/faults.js';
import type { dryRun } from '../coordinator/api/app.js';
import type { DrillInput } from '../coordinator/drill/schema.js';
import type { RunReport, StepRecord, TimelineEntry } from '../coordinator/engine/report.js';
import type { AuditRecord, RunStatus, StoredDrill, StoredRun } from '../coordinator/store/types.js';
import type { Fault } from '../daemon/faults/manager.js';
import type { FinalRunStatus, RunEventPayloads } from '../coordinator/engine/events.js';

export type { FinalRunStatus, AuditRecord };

/** GET /v1/audit filters: times as Unix ms, a Date, or ISO 8601 text. */
export interface AuditQuery {
  since?: number | Date | string;
  until?: number | Date | string;
  actor?: string;
  action?: string;
  limit?: number;
  cursor?: number;
}

export interface AuditPage {
  records: AuditRecord[];
  /** Pass as `cursor` for the next (older) page; null on the last. */
  nextCursor: number | null;
}
export type { AgentView, TargetRecord, TargetGroupInput, ImmediateFault, ResumedFault, DrillInput, RunReport, StepRecord, TimelineEntry, RunStatus, StoredDrill, StoredRun, Fault };

export interface VersionInfo {
  version: string;
  coordinatorId: string;
}

export interface Health {
  status: 'ok';
  version: string;
  agents: number;
}

/** Filters of GET /v1/targets: exact cluster and namespace, regexes on pod and container, a label selector. */
export interface TargetFilter {
  cluster?: string;
  namespace?: string;
  pod?: string;
  container?: string;
  labels?: string;
}

/** POST /v1/selections: what a group matches and what it would pick. */
export type SelectionPreview = Pick<Selection, 'wanted' | 'seed' | 'matched' | 'picked'>;

/** POST /v1/faults: a target group, a signal, scope, lease ("30s"), overrides. */
export type ImmediateFaultInput = z.input<typeof immediateFaultSchema>;

export interface SavedDrill {
  name: string;
  drill: unknown;
}

export type DrillSummary = Omit<StoredDrill, 'yaml'>;

/** A run as GET /v1/runs/{id} answers it; `result` is the report once the run has ended. */
export type RunRecord = Omit<StoredRun, 'result'> & { result: RunReport | null };

/** A run as GET /v1/runs lists it (no spec, no result). */
export type RunSummary = Omit<StoredRun, 'spec' | 'result'>;

export interface RunsQuery {
  drill?: string;
  status?: RunStatus;
  limit?: number;
}

/** A stored drill by name, or a drill given inline (an object as the YAML file holds it). */
export type RunSource = { drill: string } | { spec: DrillInput | Record<string, unknown> };

export interface StartOptions {
  /** Makes every pick of the run repeatable. */
  seed?: string | number;
  /** Only show what each group would hit; nothing is touched. */
  dryRun?: boolean;
}

type ServerDryRun = Awaited<ReturnType<typeof dryRun>>;
/** One picked target of a dry run: the target and its key (cluster/node/namespace/pod/container). */
export type DryRunPick = TargetRecord & { key: string };
export type DryRunGroup = Omit<ServerDryRun['groups'][string], 'picked'> & { picked: DryRunPick[] };
export type DryRunResult = Omit<ServerDryRun, 'groups'> & { groups: Record<string, DryRunGroup> };

export type ReportFormat = 'json' | 'junit';

/** Statuses a run ends with. */

/**
 * The payload of each event type of GET /v1/runs/{id}/events, as coordinator/engine/engine.ts emits it (the
 * engine does not export these shapes; they are composed from its record types). Every payload also carries
 * `at` (Unix ms) — for `probe`, the time of the evaluation.
 */
/** Every event of a run's stream: the engine's own payload types, plus the keep-alive ping. */
export interface RunEventMap extends RunEventPayloads {
  ping: Record<string, never>;
}

export type RunEventType = keyof RunEventMap;

/** One server-sent event of a run; narrow on `type`. `seq` is the event's id (null on pings, which carry nothing). */
export type RunEvent = {
  [K in RunEventType]: { type: K; seq: K extends 'ping' ? null : number; data: K extends 'ping' ? RunEventMap[K] : RunEventMap[K] & { at: number } };
}[RunEventType];

export const RUN_EVENT_TYPES = ['step', 'probe', 'fault', 'timeline', 'selection', 'resumed', 'run', 'ping'] as const satisfies readonly RunEventType[];

/** True for the event that ends a run's stream. */
export function isFinalEvent(event: RunEvent): event is Extract<RunEvent, { type: 'run' }> & { data: { status: FinalRunStatus; report: RunReport } } {
  return event.type === 'run' && event.data.status !== 'running';
}
