// What the coordinator's API answers, built from the server's own types and the zod schemas its OpenAPI document is
// generated from (import type only: nothing of the server is loaded at run time). Envelopes ({runs: [...]}) are unwrapped by the client.
import type { z } from 'zod';
import type { AgentView } from '../coordinator/fleet/fleet.js';
import type { TargetGroupInput } from '../coordinator/selection/schema.js';
import type { TargetRecord } from '../coordinator/selection/types.js';
import type { ImmediateFault, ResumedFault, immediateFaultSchema } from '../coordinator/api/faults.js';
import type * as answers from '../coordinator/api/schemas.js';
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

/** A page of the audit trail; pass `nextCursor` as `cursor` for the next (older) page (null on the last). */
export type AuditPage = z.output<typeof answers.auditPageSchema>;
/** The emergency resume's answer: each run aborted and each fault resumed within the token's scope. */
export type ResumeAll = z.output<typeof answers.resumeAllSchema>;
export type { AgentView, TargetRecord, TargetGroupInput, ImmediateFault, ResumedFault, DrillInput, RunReport, StepRecord, TimelineEntry, RunStatus, StoredDrill, StoredRun, Fault };

// The answers below are the zod schemas the coordinator's OpenAPI document is generated from.
export type VersionInfo = z.output<typeof answers.versionSchema>;

export type Health = z.output<typeof answers.healthSchema>;

/** Filters of GET /v1/targets: exact cluster and namespace, regexes on pod and container, a label selector. */
export interface TargetFilter {
  cluster?: string;
  namespace?: string;
  pod?: string;
  container?: string;
  labels?: string;
  /** A regex on host processes' command lines: lists those processes (host-mode agents) instead of containers. */
  cmdline?: string;
}

/** POST /v1/selections: what a group matches and what it would pick. */
export type SelectionPreview = z.output<typeof answers.selectionPreviewSchema>;

/** POST /v1/faults: a target group, a signal, scope, lease ("30s"), overrides. */
export type ImmediateFaultInput = z.input<typeof immediateFaultSchema>;

export type SavedDrill = z.output<typeof answers.savedDrillSchema>;

export type DrillSummary = z.output<typeof answers.drillListSchema>['drills'][number];

/** A run as GET /v1/runs/{id} answers it; `result` is the report once the run has ended. */
export type RunRecord = z.output<typeof answers.runSchema>;

/** A run as GET /v1/runs lists it (no spec, no result). */
export type RunSummary = z.output<typeof answers.runSummarySchema>;

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

export type DryRunResult = z.output<typeof answers.dryRunSchema>;
export type DryRunGroup = DryRunResult['groups'][string];
/** One picked target of a dry run: the target and its key (cluster/node/namespace/pod/container). */
export type DryRunPick = DryRunGroup['picked'][number];

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
