// The coordinator's OpenAPI document: every route, its parameters, bodies and answers (errors and the SSE stream
// included), generated from the zod schemas the handlers validate with and answer by.
import { buildDocument, jsonAnswer, metricsOperation, rateLimitedAnswer, type Operation } from '../../lib/openapi/document.js';
import { faultSchema } from '../../lib/link/protocol.js';
import { targetGroupSchema } from '../selection/schema.js';
import { drillJsonSchema } from '../drill/json-schema.js';
import { immediateFaultSchema } from './faults.js';
import { auditQuerySchema } from './audit-routes.js';
import { eventsQuerySchema, idParamSchema, nameParamSchema, reportQuerySchema, runRequestSchema, runsQuerySchema, targetsQuerySchema } from './requests.js';
import * as answers from './schemas.js';

const E = {
  400: 'Invalid input (ERIS_ERR_VALIDATION): the message and path name the field; details.issues lists the first few problems',
  401: 'No valid bearer token (ERIS_ERR_UNAUTHORIZED)',
  403: "The token's role does not allow it (ERIS_ERR_FORBIDDEN_ROLE; details.needed names the role)",
  404: 'No such thing (ERIS_ERR_NOT_FOUND); path names the parameter',
  409: 'Not in a state that allows it (ERIS_ERR_CONFLICT)',
  413: 'The body is larger than the route accepts (ERIS_ERR_PAYLOAD_TOO_LARGE; details.limitBytes)',
  422: 'The selection matched nothing (ERIS_ERR_NO_TARGETS)',
  429: rateLimitedAnswer('The token (or, on /metrics, the address) sent more requests a second than allowed (ERIS_ERR_RATE_LIMITED). Resumes and aborts are never limited.'),
  503: 'An agent the request needs is not connected (ERIS_ERR_UNAVAILABLE), or the jq worker that checks filters crashed (ERIS_ERR_JQ_WORKER)',
  504: 'An agent the request needs did not answer in time (ERIS_ERR_TIMEOUT)',
} as const;
/** Routes that ask the agents (host processes are listed by them; faults are placed and resumed by them). */
const asksAgents = { 503: E[503], 504: E[504] } as const;
/** Every route that needs a token can answer these. */
const authed = { 401: E[401], 429: E[429] } as const;
/** Routes that read a body. */
const withBody = { 400: E[400], 413: E[413] } as const;
/** A drill refused for what its probes would do, or for what it would pick. */
const drillRefused = 'A probe aims where the probe policy refuses (ERIS_ERR_PROBE_POLICY), a kubernetes probe names a cluster without a --kubeconfig context (ERIS_ERR_KUBE_CLUSTER), a jq filter is too costly to compile (ERIS_ERR_JQ_TOO_COSTLY), or a group matched nothing (ERIS_ERR_NO_TARGETS); path names the field';


export const COORDINATOR_OPERATIONS: readonly Operation[] = [
  { method: 'get', path: '/healthz', operationId: 'getHealth', summary: 'Liveness', tags: ['system'], open: true, responses: { 200: jsonAnswer('Up', 'Health') } },
  metricsOperation('getMetrics', E[429]),
  { method: 'get', path: '/v1/version', operationId: 'getVersion', summary: 'Coordinator version and id', tags: ['system'], responses: { 200: jsonAnswer('Version', 'Version'), ...authed } },
  { method: 'get', path: '/v1/whoami', operationId: 'whoami', summary: 'The calling token: its id, role (operator or viewer) and scope', tags: ['system'], responses: { 200: jsonAnswer('The token', 'Whoami'), ...authed } },
  { method: 'get', path: '/v1/agents', operationId: 'listAgents', summary: 'Connected agents (a scoped token sees its clusters only)', tags: ['fleet'], responses: { 200: jsonAnswer('Agents', 'AgentList'), ...authed } },
  {
    method: 'get',
    path: '/v1/targets',
    operationId: 'listTargets',
    summary: 'Every container the agents report, or with cmdline=… the host processes whose command line matches, filtered',
    description: 'Host processes are not an inventory: cmdline=REGEX asks the host-mode agents (of the cluster asked for, within the token\'s scope) which processes match, as a selection does. Viewers see a process\'s program only.',
    tags: ['fleet'],
    query: targetsQuerySchema,
    responses: { 200: jsonAnswer('Targets', 'TargetList'), 400: E[400], ...asksAgents, ...authed },
  },
  {
    method: 'post',
    path: '/v1/selections',
    operationId: 'previewSelection',
    summary: 'Preview a pick (dry run): a target group in, matched and picked targets out',
    tags: ['fleet'],
    body: { description: 'A target group, as under spec.targets of a drill', content: { 'application/json': 'TargetGroup' } },
    responses: { 200: jsonAnswer('What the group matches and would pick', 'SelectionPreview'), ...withBody, 422: E[422], ...asksAgents, ...authed },
  },
  {
    method: 'post',
    path: '/v1/faults',
    operationId: 'createFault',
    summary: 'Freeze, kill or resume what a target group picks, now',
    description: 'Answered 201 even when an agent could not place its part: errors[] says which.',
    tags: ['faults'],
    body: { description: 'An immediate fault', content: { 'application/json': 'ImmediateFaultRequest' } },
    responses: { 201: jsonAnswer('The fault, one part per agent', 'ImmediateFault'), ...withBody, 403: E[403], 422: E[422], ...asksAgents, ...authed },
  },
  { method: 'get', path: '/v1/faults', operationId: 'listFaults', summary: 'Immediate faults, newest first', description: 'Remembered while they hold a process; of the finished ones the newest are kept, at most 500 faults and 20,000 agent parts in all (coordinator/api/faults.ts).', tags: ['faults'], responses: { 200: jsonAnswer('Faults', 'FaultList'), ...authed } },
  { method: 'get', path: '/v1/faults/{id}', operationId: 'getFault', summary: 'One immediate fault', tags: ['faults'], params: idParamSchema, responses: { 200: jsonAnswer('The fault', 'ImmediateFault'), 404: E[404], ...authed } },
  {
    method: 'delete',
    path: '/v1/faults/{id}',
    operationId: 'resumeFault',
    summary: 'Resume an immediate fault (idempotent)',
    description: 'resume.confirmed and resume.seen say what state its processes were seen in afterwards. Never rate-limited.',
    tags: ['faults'],
    params: idParamSchema,
    responses: { 200: jsonAnswer('The fault, resumed', 'ResumedFault'), 403: E[403], 404: E[404], 401: E[401], ...asksAgents },
  },
  {
    method: 'post',
    path: '/v1/drills',
    operationId: 'saveDrill',
    summary: 'Store a drill (JSON, or YAML with content-type application/yaml)',
    tags: ['drills'],
    body: { description: 'A drill file', content: { 'application/json': 'Drill', 'application/yaml': 'Drill' } },
    responses: { 201: jsonAnswer('Stored', 'SavedDrill'), ...withBody, 403: E[403], 422: drillRefused, 503: E[503], ...authed },
  },
  {
    method: 'post',
    path: '/v1/drills/validate',
    operationId: 'validateDrill',
    summary: 'Check a drill file without storing it: every problem at its line and column, as `eris validate` says them',
    description: 'The body is the YAML (or JSON) text. YAML syntax, schema, references and jq filters are checked by the same code as `eris validate`; an invalid drill is answered 200 with ok false.',
    tags: ['drills'],
    body: { description: 'A drill file', content: { 'application/yaml': 'Drill', 'application/json': 'Drill' } },
    responses: { 200: jsonAnswer('The problems', 'DrillCheck'), ...withBody, 503: E[503], ...authed },
  },
  { method: 'get', path: '/v1/drill-templates', operationId: 'listDrillTemplates', summary: 'The drills `eris init` writes, one per template', tags: ['drills'], responses: { 200: jsonAnswer('Templates', 'DrillTemplateList'), ...authed } },
  { method: 'get', path: '/v1/drills', operationId: 'listDrills', summary: 'Stored drills, by name', tags: ['drills'], responses: { 200: jsonAnswer('Drills', 'DrillList'), ...authed } },
  { method: 'get', path: '/v1/drills/{name}', operationId: 'getDrill', summary: 'One stored drill', tags: ['drills'], params: nameParamSchema, responses: { 200: jsonAnswer('The drill', 'StoredDrill'), 404: E[404], ...authed } },
  {
    method: 'delete',
    path: '/v1/drills/{name}',
    operationId: 'deleteDrill',
    summary: 'Delete a stored drill (its runs are kept)',
    tags: ['drills'],
    params: nameParamSchema,
    responses: { 200: jsonAnswer('Deleted', 'DrillDeleted'), 403: E[403], 404: E[404], ...authed },
  },
  { method: 'get', path: '/v1/schemas/drill.json', operationId: 'getDrillSchema', summary: 'JSON Schema of a drill file', tags: ['drills'], open: true, responses: { 200: jsonAnswer('JSON Schema (draft 2020-12)', 'JsonSchemaDocument') } },
  {
    method: 'post',
    path: '/v1/runs',
    operationId: 'startRun',
    summary: 'Start a run of a stored drill or an inline one; dryRun previews the picks',
    description: 'A viewer token may only ask for a dry run.',
    tags: ['runs'],
    body: { description: 'What to run', content: { 'application/json': 'RunRequest' } },
    responses: { 201: jsonAnswer('The run, started', 'Run'), 200: jsonAnswer('The dry run: what each group would pick', 'DryRun'), ...withBody, 403: E[403], 404: E[404], 422: drillRefused, ...asksAgents, ...authed },
  },
  { method: 'get', path: '/v1/runs', operationId: 'listRuns', summary: 'Runs, newest first', tags: ['runs'], query: runsQuerySchema, responses: { 200: jsonAnswer('Runs (without spec and result)', 'RunList'), 400: E[400], ...authed } },
  { method: 'get', path: '/v1/runs/{id}', operationId: 'getRun', summary: 'One run', tags: ['runs'], params: idParamSchema, responses: { 200: jsonAnswer('The run; result is its report once it ended', 'Run'), 404: E[404], ...authed } },
  {
    method: 'get',
    path: '/v1/runs/{id}/events',
    operationId: 'streamRunEvents',
    summary: 'Server-sent events of a run: the stored ones, then live until it ends',
    description:
      'Each event has `event:` (step, probe, fault, timeline, selection, resumed, run, ping), `id:` (its sequence number; pings have none) and `data:` (JSON). The stream ends after the `run` event whose status is not running. The schema of one event is the RunEvent component (x-eris-event).',
    tags: ['runs'],
    params: idParamSchema,
    query: eventsQuerySchema,
    responses: {
      200: {
        description: 'text/event-stream of RunEvent',
        content: { 'text/event-stream': { type: 'string', description: 'SSE frames; one frame per RunEvent' } },
        extensions: { 'text/event-stream': { 'x-eris-event': { $ref: '#/components/schemas/RunEvent' } } },
      },
      400: E[400],
      404: E[404],
      ...authed,
    },
  },
  {
    method: 'post',
    path: '/v1/runs/{id}/abort',
    operationId: 'abortRun',
    summary: 'Abort a run: everything it stopped is resumed (never rate-limited)',
    tags: ['runs'],
    params: idParamSchema,
    responses: { 202: jsonAnswer('Aborting', 'RunAborting'), 403: E[403], 404: E[404], 409: 'The run is not running (ERIS_ERR_CONFLICT)', 401: E[401] },
  },
  {
    method: 'post',
    path: '/v1/resume-all',
    operationId: 'resumeAll',
    summary: 'Emergency: abort every running run and resume every active immediate fault in the token\'s scope (never rate-limited)',
    description: 'Audited as resume.all, plus one run.abort or fault.resume per item. One item failing does not stop the others; failures counts them.',
    tags: ['faults'],
    responses: { 200: jsonAnswer('What was done to each', 'ResumeAll'), 403: E[403], 401: E[401] },
  },
  {
    method: 'get',
    path: '/v1/runs/{id}/report',
    operationId: 'getRunReport',
    summary: 'The report of an ended run, as JSON or JUnit XML',
    tags: ['runs'],
    params: idParamSchema,
    query: reportQuerySchema,
    responses: {
      200: { description: 'The report', content: { 'application/json': 'RunReport', 'application/xml': { type: 'string', description: 'JUnit XML (format=junit)' } } },
      400: E[400],
      404: E[404],
      409: 'The run has no report yet (ERIS_ERR_CONFLICT)',
      ...authed,
    },
  },
  {
    method: 'get',
    path: '/v1/audit',
    operationId: 'listAudit',
    summary: 'Audit trail, newest first: who did what, when, with what result (a scoped token sees its own records)',
    tags: ['audit'],
    query: auditQuerySchema,
    responses: { 200: jsonAnswer('A page of records', 'AuditPage'), 400: E[400], ...authed },
  },
];

export function coordinatorDocument(version: string): Record<string, unknown> {
  return buildDocument({ title: 'eris-coordinator', version, description: 'Chaos drills for stateful clusters: freeze, kill and resume processes from the node.' }, COORDINATOR_OPERATIONS, {
    requests: {
      TargetGroup: targetGroupSchema,
      ImmediateFaultRequest: immediateFaultSchema,
      RunRequest: runRequestSchema,
      Drill: answers.drillDocumentSchema,
    },
    responses: {
      Health: answers.healthSchema,
      Version: answers.versionSchema,
      Agent: answers.agentSchema,
      AgentList: answers.agentListSchema,
      Target: answers.targetSchema,
      TargetList: answers.targetListSchema,
      SelectionPreview: answers.selectionPreviewSchema,
      AgentFault: faultSchema,
      ImmediateFault: answers.immediateFaultSchemaOut,
      ResumedFault: answers.resumedFaultSchema,
      FaultList: answers.faultListSchema,
      Drill: answers.drillDocumentSchema,
      SavedDrill: answers.savedDrillSchema,
      StoredDrill: answers.storedDrillSchema,
      DrillList: answers.drillListSchema,
      DrillDeleted: answers.drillDeletedSchema,
      DrillCheck: answers.drillCheckSchema,
      DrillTemplateList: answers.drillTemplateListSchema,
      JsonSchemaDocument: answers.jsonSchemaDocumentSchema,
      StepRecord: answers.stepRecordSchema,
      TimelineEntry: answers.timelineEntrySchema,
      RunReport: answers.runReportSchema,
      Run: answers.runSchema,
      RunSummary: answers.runSummarySchema,
      RunList: answers.runListSchema,
      DryRun: answers.dryRunSchema,
      RunAborting: answers.runAbortingSchema,
      ResumeAll: answers.resumeAllSchema,
      Whoami: answers.whoamiSchema,
      RunEvent: answers.runEventSchema,
      AuditRecord: answers.auditRecordSchema,
      AuditPage: answers.auditPageSchema,
    },
    jsonSchemas: { Drill: drillJsonSchema() },
  });
}
