// What the coordinator's API answers, as zod schemas: the OpenAPI document is generated from them, and the
// compile-time checks at the end tie each to the type its handler builds, so neither can change alone.
import { z } from 'zod';
import { faultSchema } from '../../lib/link/protocol.js';
import { SIGNAL_NAMES } from '../../daemon/proc/signal.js';
import { RUN_STATUSES, AUDIT_RESULTS, type AuditRecord, type StoredDrill, type StoredRun } from '../store/types.js';
import { TARGET_KINDS, type TargetRecord } from '../selection/types.js';
import type { AgentView } from '../fleet/fleet.js';
import type { ImmediateFault, ResumedFault } from './faults.js';
import type { RunReport, StepRecord, TimelineEntry } from '../engine/report.js';
import type { RunEventPayloads } from '../engine/events.js';
import type { ResumeCheck } from '../fleet/resume-check.js';

const unixMs = z.number().meta({ description: 'Unix ms' });

/**
 * Stands for a drill in a request or an answer. The handler validates it with the drill schema (loadDrill); in the
 * document the component `Drill` is the drill file's published JSON Schema (coordinator/drill/json-schema.ts).
 */
export const drillDocumentSchema = z.unknown().meta({ description: 'A drill, as in a drill file (see the Drill component)' });

export const healthSchema = z.strictObject({ status: z.literal('ok'), version: z.string(), agents: z.number().int().nonnegative() });
export const versionSchema = z.strictObject({ version: z.string(), coordinatorId: z.string() });

export const agentSchema = z.strictObject({
  id: z.string().meta({ description: 'cluster/node' }),
  cluster: z.string(),
  node: z.string(),
  zone: z.string().nullable(),
  version: z.string(),
  runtime: z.string().nullable(),
  hostProcesses: z.boolean(),
  connectedAt: unixMs,
  lastSeenAt: unixMs,
  containers: z.number().int().nonnegative(),
  activeFaults: z.number().int().nonnegative(),
});
export const agentListSchema = z.strictObject({ agents: z.array(agentSchema) });

export const targetSchema = z.strictObject({
  cluster: z.string(),
  node: z.string(),
  zone: z.string().nullable(),
  namespace: z.string(),
  pod: z.string(),
  podUid: z.string(),
  container: z.string(),
  containerId: z.string(),
  labels: z.record(z.string(), z.string()),
  state: z.string().meta({ description: 'running, created, exited or unknown; only running is picked' }),
  kind: z.enum(TARGET_KINDS),
  pid: z.number().int().positive().optional(),
  startTime: z.string().optional(),
  cmdline: z.string().optional().meta({ description: 'Host processes: the command line, secret-looking values masked (viewers see the program only)' }),
});
export const targetListSchema = z.strictObject({ targets: z.array(targetSchema) });
export const selectionPreviewSchema = z.strictObject({ wanted: z.number().int().nonnegative(), seed: z.string(), matched: z.array(targetSchema), picked: z.array(targetSchema) });

export const immediateFaultSchemaOut = z.strictObject({
  id: z.string(),
  createdAt: unixMs,
  signal: z.string(),
  seed: z.string(),
  targets: z.array(z.string()).meta({ description: 'Keys of the picked targets' }),
  parts: z
    .array(z.strictObject({ agent: z.string(), fault: faultSchema, firedAt: unixMs.optional().meta({ description: "When this agent acted, on the coordinator's clock (sub-millisecond): present when the fault went to several agents with one fire time" }) }))
    .meta({ description: 'One fault per agent' }),
  errors: z.array(z.strictObject({ agent: z.string(), code: z.string(), message: z.string() })).meta({ description: 'Agents that could not place their part (ERIS_ERR_FIRE_LATE: the command reached the agent after its fire time, so it did not act)' }),
  fireSkewMs: z.number().nonnegative().optional().meta({ description: "First-to-last spread of the parts' firedAt, ms: how simultaneously the agents acted" }),
  createdBy: z.string().optional().meta({ description: 'Token id' }),
});
const seenStates = ['running', 'stopped', 'held', 'gone', 'unknown'] as const;
const seenCountsSchema = z.strictObject(Object.fromEntries(seenStates.map((s) => [s, z.number().int().nonnegative()])) as Record<(typeof seenStates)[number], z.ZodNumber>);
const resumeCheckSchema = z.strictObject({
  agent: z.string(),
  faultId: z.string(),
  confirmed: z.boolean(),
  processes: z.array(z.strictObject({ pid: z.number().int(), startTime: z.string(), seen: z.enum(seenStates), state: z.string().optional() })),
  problem: z.string().optional(),
});
export const resumedFaultSchema = immediateFaultSchemaOut.extend({
  resume: z.strictObject({ confirmed: z.boolean(), seen: seenCountsSchema, parts: z.array(resumeCheckSchema) }).meta({ description: 'What the processes were seen doing after the resume' }),
});
export const faultListSchema = z.strictObject({ faults: z.array(immediateFaultSchemaOut) });

export const savedDrillSchema = z.strictObject({ name: z.string(), drill: drillDocumentSchema });
export const storedDrillSchema = z.strictObject({ name: z.string(), spec: drillDocumentSchema, yaml: z.string().nullable().meta({ description: 'The YAML as it was stored, when it came as YAML' }), createdAt: unixMs, updatedAt: unixMs });
export const drillListSchema = z.strictObject({ drills: z.array(storedDrillSchema.omit({ yaml: true })) });
const drillProblemSchema = z.strictObject({
  line: z.number().int().positive(),
  column: z.number().int().positive(),
  path: z.string().meta({ description: 'Where in the drill, e.g. spec.steps[2].timeout; (yaml) for a syntax error' }),
  message: z.string(),
});
export const drillCheckSchema = z.strictObject({
  ok: z.boolean(),
  name: z.string().optional().meta({ description: "The drill's name, when it is valid" }),
  problems: z.array(drillProblemSchema),
  warnings: z.array(drillProblemSchema).meta({ description: 'A probe or target group no step uses (only for a valid drill)' }),
});
export const drillTemplateListSchema = z.strictObject({ templates: z.array(z.strictObject({ name: z.string(), yaml: z.string().meta({ description: 'The drill `eris init --template NAME` writes' }) })) });
export const drillDeletedSchema = z.strictObject({ deleted: z.string() });
export const jsonSchemaDocumentSchema = z.record(z.string(), z.unknown()).meta({ description: 'A JSON Schema (draft 2020-12)' });

const errorInfoSchema = z.strictObject({ code: z.string(), message: z.string() });
export const stepRecordSchema = z.strictObject({
  path: z.string(),
  name: z.string(),
  kind: z.string(),
  status: z.enum(['running', 'passed', 'failed', 'skipped']),
  startedAt: unixMs,
  endedAt: unixMs.optional(),
  durationMs: z.number().optional(),
  error: errorInfoSchema.optional(),
  firedAt: z
    .array(z.strictObject({ agent: z.string(), at: unixMs }))
    .optional()
    .meta({ description: "A signal step over several agents, placed with one fire time: when each agent acted, on the coordinator's clock" }),
  fireSkewMs: z.number().nonnegative().optional().meta({ description: 'First-to-last spread of firedAt, ms' }),
});
export const timelineEntrySchema = z.strictObject({
  group: z.string(),
  target: z.strictObject({
    cluster: z.string(),
    node: z.string(),
    zone: z.string().nullable(),
    namespace: z.string(),
    pod: z.string(),
    container: z.string(),
    kind: z.string(),
    labels: z.record(z.string(), z.string()).optional().meta({ description: "The pod's labels, or a host process's (read from its command line)" }),
    name: z.string().optional().meta({ description: 'As users name it: `default/etcd-0 (etcd) on node-1`, `name=m0 (pid 913) on node-1`' }),
    pid: z.number().int().optional().meta({ description: "A host process: its pid when the run ended (a restarted process's new one)" }),
    earlierPids: z.array(z.number().int()).optional().meta({ description: 'A host process restarted during the run: the pids it had before, oldest first' }),
  }),
  injected: z.array(z.strictObject({ signal: z.string(), at: unixMs, faultId: z.string(), agent: z.string() })),
  detectedAt: unixMs.optional(),
  recoveredAt: unixMs.optional(),
  timeToDetectMs: z.number().optional(),
  timeToRecoverMs: z.number().optional(),
  outageMs: z.number().optional(),
});
const probeStatsSchema = z.strictObject({ evaluations: z.number().int(), failures: z.number().int(), p50LatencyMs: z.number().nullable(), maxLatencyMs: z.number().nullable() });
export const resumedSummarySchema = z.strictObject({ faults: z.number().int(), errors: z.number().int(), confirmed: z.number().int().optional(), seen: seenCountsSchema.optional() });
export const runReportSchema = z.strictObject({
  id: z.string(),
  drill: z.string(),
  status: z.enum(RUN_STATUSES),
  startedAt: unixMs,
  endedAt: unixMs,
  durationMs: z.number(),
  seed: z.string(),
  error: errorInfoSchema.optional(),
  steps: z.array(stepRecordSchema),
  timeline: z.array(timelineEntrySchema),
  probes: z.record(z.string(), probeStatsSchema),
  resumed: resumedSummarySchema,
});

const runFields = {
  id: z.string(),
  drillName: z.string().nullable(),
  status: z.enum(RUN_STATUSES),
  dryRun: z.boolean(),
  createdAt: unixMs,
  startedAt: unixMs.nullable(),
  endedAt: unixMs.nullable(),
  // The store keeps any JSON; the engine (its only writer) records RunReport['error'].
  error: errorInfoSchema.nullable().meta({ description: 'Why the run failed or was aborted, else null' }),
  // From the report, so that a history needs no request per run.
  timeToDetectMs: z.number().nullable().meta({ description: "The slowest target's time to detect, once the run ended; else null" }),
  timeToRecoverMs: z.number().nullable().meta({ description: "The slowest target's time to recover, once the run ended; else null" }),
};
export const runSummarySchema = z.strictObject(runFields);
export const runSchema = z.strictObject({ ...runFields, spec: drillDocumentSchema, result: runReportSchema.nullable().meta({ description: 'The report once the run ended' }) });
export const runListSchema = z.strictObject({ runs: z.array(runSummarySchema) });
export const runAbortingSchema = z.strictObject({ id: z.string(), status: z.literal('aborting') });
/** GET /v1/whoami: the calling token's id, what it may do, and where (no clusters/namespaces: everywhere). */
export const whoamiSchema = z.strictObject({
  id: z.string(),
  role: z.enum(['operator', 'viewer']).meta({ description: 'operator: may act; viewer: may read and preview only' }),
  scope: z.strictObject({ clusters: z.array(z.string()).optional(), namespaces: z.array(z.string()).optional() }),
});
/** POST /v1/resume-all: what was done to each run and fault in the caller's scope. */
export const resumeAllSchema = z.strictObject({
  runs: z.array(z.strictObject({ id: z.string(), result: z.enum(['aborting', 'failed']), message: z.string().optional() })),
  faults: z.array(
    z.strictObject({
      id: z.string(),
      result: z.enum(['resumed', 'unconfirmed', 'failed']).meta({ description: 'unconfirmed: the agents answered, but a process was still seen stopped' }),
      seen: z.record(z.string(), z.number()).optional(),
      message: z.string().optional(),
    }),
  ),
  failures: z.number().int().meta({ description: 'Runs that could not be aborted plus faults not confirmed resumed' }),
});
export const dryRunSchema = z.strictObject({
  dryRun: z.literal(true),
  drill: z.string(),
  groups: z.record(z.string(), z.strictObject({ wanted: z.number().int(), matched: z.number().int(), seed: z.string(), picked: z.array(targetSchema.extend({ key: z.string() })) })),
});

export const auditRecordSchema = z.strictObject({
  seq: z.number().int(),
  at: unixMs,
  actor: z.string().nullable().meta({ description: 'Token id; null without a valid token' }),
  role: z.string().nullable(),
  action: z.string().meta({ description: 'run.start, run.abort, fault.create, fault.resume, drill.save, drill.delete, override.use, auth.refused, agent.refused' }),
  target: z.string().nullable(),
  result: z.enum(AUDIT_RESULTS),
  details: z.unknown(),
});
export const auditPageSchema = z.strictObject({ records: z.array(auditRecordSchema), nextCursor: z.number().int().nullable().meta({ description: 'Pass as cursor for the next (older) page; null on the last' }) });

/** Every SSE event's data carries `at` (Unix ms) beside its payload. */
const at = { at: unixMs };
const signal = z.enum(SIGNAL_NAMES);
const runEventData = {
  step: stepRecordSchema.extend(at),
  probe: z.strictObject({ probe: z.string(), target: z.string().optional(), ok: z.boolean(), at: unixMs, latencyMs: z.number(), status: z.number().int().optional(), reason: z.string().optional() }),
  fault: z.union([
    z.strictObject({ ...at, agent: z.string(), faultId: z.string(), signal, result: faultSchema.shape.result, durationMs: z.number(), targets: z.array(z.string()) }),
    z.strictObject({ ...at, agent: z.string(), faultId: z.string(), signal, state: faultSchema.shape.state, resumeReason: faultSchema.shape.resumeReason, endedEarly: z.literal(true) }),
    z
      .strictObject({ ...at, agent: z.string(), faultId: z.string(), signal, state: faultSchema.shape.state, resumeReason: z.literal('sigcont'), resumedBy: z.string().optional(), endedBy: z.literal('sigcont') })
      .meta({ description: 'A SIGCONT continued every process this SIGSTOP fault held: it ended then (resumedBy: the SIGCONT fault)' }),
  ]),
  timeline: timelineEntrySchema.extend(at),
  selection: z.strictObject({ ...at, group: z.string(), wanted: z.number().int(), matched: z.number().int(), picked: z.array(targetSchema), seed: z.string() }),
  resumed: resumedSummarySchema.extend(at),
  run: z.union([
    z.strictObject({ ...at, status: z.literal('running'), drill: z.string(), seed: z.string() }),
    z.strictObject({ ...at, status: z.enum(RUN_STATUSES).exclude(['pending', 'running']), error: errorInfoSchema.optional(), report: runReportSchema }),
  ]),
  ping: z.strictObject({}),
} as const;

/** One server-sent event of GET /v1/runs/{id}/events: `event:` is the type, `id:` the seq (none on pings), `data:` JSON. */
export const runEventSchema = z
  .discriminatedUnion(
    'event',
    (Object.keys(runEventData) as Array<keyof typeof runEventData>).map((type) =>
      z.strictObject({ event: z.literal(type), id: type === 'ping' ? z.null() : z.string().regex(/^\d+$/), data: runEventData[type] }),
    ) as never,
  )
  .meta({ description: 'One event of the stream: event is the SSE event type, id the sequence number (Last-Event-ID), data the JSON payload' });
/** The schema of one event type's `data`, for readers that check a stream event by event. */
export const RUN_EVENT_DATA = runEventData;

// Compile-time: each schema describes exactly the type its handler answers with.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
type Out<S extends z.ZodType> = z.output<S>;
export type _AnswersMatchHandlers = [
  Assert<Same<Out<typeof agentSchema>, AgentView>>,
  Assert<Same<Out<typeof targetSchema>, TargetRecord>>,
  Assert<Same<Out<typeof immediateFaultSchemaOut>, ImmediateFault>>,
  Assert<Same<Out<typeof resumeCheckSchema>, ResumeCheck>>,
  Assert<Same<Out<typeof resumedFaultSchema>, ResumedFault>>,
  Assert<Same<Out<typeof storedDrillSchema>, StoredDrill>>,
  Assert<Same<Omit<Out<typeof runSummarySchema>, 'error' | 'timeToDetectMs' | 'timeToRecoverMs'>, Omit<StoredRun, 'spec' | 'result' | 'error'>>>,
  Assert<Fits<NonNullable<RunReport['error']> | null, Out<typeof runSummarySchema>['error']>>,
  Assert<Same<Out<typeof stepRecordSchema>, StepRecord>>,
  Assert<Same<Out<typeof timelineEntrySchema>, TimelineEntry>>,
  Assert<Same<Out<typeof runReportSchema>, RunReport>>,
  Assert<Same<Out<typeof auditRecordSchema>, AuditRecord>>,
  Assert<Same<Out<(typeof runEventData)['step']>, RunEventPayloads['step'] & { at: number }>>,
  Assert<Same<Out<(typeof runEventData)['timeline']>, RunEventPayloads['timeline'] & { at: number }>>,
  Assert<Same<Out<(typeof runEventData)['selection']>, RunEventPayloads['selection'] & { at: number }>>,
  Assert<Same<Out<(typeof runEventData)['resumed']>, RunEventPayloads['resumed'] & { at: number }>>,
  Assert<Same<Out<(typeof runEventData)['probe']>, RunEventPayloads['probe']>>,
  // Unions: every payload the engine emits is one the schema accepts.
  Assert<Fits<RunEventPayloads['fault'] & { at: number }, Out<(typeof runEventData)['fault']>>>,
  Assert<Fits<RunEventPayloads['run'] & { at: number }, Out<(typeof runEventData)['run']>>>,
];
type Fits<A, B> = [A] extends [B] ? true : false;
