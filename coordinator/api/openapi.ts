// The coordinator's OpenAPI document: every route, its parameters and answers, registered for /openapi.json.
import { z, type OpenAPIHono } from '@hono/zod-openapi';

const errorBody = z
  .object({ error: z.object({ code: z.string(), message: z.string(), path: z.string().optional() }) })
  .openapi('Error');
const json = (description: string) => ({ description, content: { 'application/json': { schema: z.any().openapi({ description }) } } });
const errors = {
  400: { description: 'Bad request: the message names the field', content: { 'application/json': { schema: errorBody } } },
  401: { description: 'Missing or wrong bearer token', content: { 'application/json': { schema: errorBody } } },
  403: { description: 'The token\'s role does not allow it (ERIS_ERR_FORBIDDEN_ROLE, details.needed names the role) or it is outside the token\'s scope', content: { 'application/json': { schema: errorBody } } },
  404: { description: 'Not found', content: { 'application/json': { schema: errorBody } } },
  429: { description: 'The token sent more than --rate-limit requests a second (ERIS_ERR_RATE_LIMITED; see Retry-After). Resumes and aborts are never limited.', content: { 'application/json': { schema: errorBody } } },
};
/** A drill refused for what its probes would do (not its shape). */
const refused = {
  description: 'A probe aims where the probe policy refuses (ERIS_ERR_PROBE_POLICY) or a jq filter is too costly to compile (ERIS_ERR_JQ_TOO_COSTLY); path names the field',
  content: { 'application/json': { schema: errorBody } },
};
const idParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });
const nameParam = z.object({ name: z.string().openapi({ param: { name: 'name', in: 'path' } }) });
const body = (description: string) => ({ body: { content: { 'application/json': { schema: z.any().openapi({ description }) } }, required: true } });

type Route = { method: 'get' | 'post' | 'delete'; path: string; summary: string; tags: string[]; request?: Record<string, unknown>; responses: Record<number, unknown> };

const ROUTES: Route[] = [
  { method: 'get', path: '/healthz', summary: 'Liveness (no token)', tags: ['system'], responses: { 200: json('ok') } },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics (no token)', tags: ['system'], responses: { 200: { description: 'text exposition format' } } },
  { method: 'get', path: '/v1/version', summary: 'Coordinator version and id', tags: ['system'], responses: { 200: json('version') } },
  { method: 'get', path: '/v1/agents', summary: 'Connected agents', tags: ['fleet'], responses: { 200: json('{agents: [...]}'), ...errors } },
  {
    method: 'get',
    path: '/v1/targets',
    summary: 'Every container of every agent (filters: cluster, namespace, pod regex, container regex, labels selector)',
    tags: ['fleet'],
    request: {
      query: z.object({
        cluster: z.string().optional(),
        namespace: z.string().optional(),
        pod: z.string().optional(),
        container: z.string().optional(),
        labels: z.string().optional(),
      }),
    },
    responses: { 200: json('{targets: [...]}'), ...errors },
  },
  { method: 'post', path: '/v1/selections', summary: 'Preview a pick (dry run): a target group in, matched and picked targets out', tags: ['fleet'], request: body('a target group'), responses: { 200: json('selection'), 422: json('nothing matched'), ...errors } },
  { method: 'post', path: '/v1/faults', summary: 'Freeze / kill / resume these now: {target, signal, scope, lease, override}', tags: ['faults'], request: body('immediate fault'), responses: { 201: json('fault'), ...errors } },
  { method: 'get', path: '/v1/faults', summary: 'Immediate faults', tags: ['faults'], responses: { 200: json('{faults}'), ...errors } },
  { method: 'get', path: '/v1/faults/{id}', summary: 'One immediate fault', tags: ['faults'], request: { params: idParam }, responses: { 200: json('fault'), ...errors } },
  { method: 'delete', path: '/v1/faults/{id}', summary: 'Resume an immediate fault (idempotent); resume.confirmed and resume.seen say what state its processes are in afterwards', tags: ['faults'], request: { params: idParam }, responses: { 200: json('fault'), ...errors } },
  { method: 'post', path: '/v1/drills', summary: 'Store a drill (JSON, or YAML with content-type application/yaml)', tags: ['drills'], request: body('drill (see /v1/schemas/drill.json)'), responses: { 201: json('stored drill'), ...errors, 422: refused } },
  { method: 'get', path: '/v1/drills', summary: 'Stored drills', tags: ['drills'], responses: { 200: json('{drills}'), ...errors } },
  { method: 'get', path: '/v1/drills/{name}', summary: 'One stored drill', tags: ['drills'], request: { params: nameParam }, responses: { 200: json('drill'), ...errors } },
  { method: 'delete', path: '/v1/drills/{name}', summary: 'Delete a stored drill', tags: ['drills'], request: { params: nameParam }, responses: { 200: json('deleted'), ...errors } },
  { method: 'get', path: '/v1/schemas/drill.json', summary: 'JSON Schema of a drill file', tags: ['drills'], responses: { 200: json('JSON Schema') } },
  { method: 'post', path: '/v1/runs', summary: 'Start a run: {drill: name} or {spec: drill}; {dryRun: true} previews the picks', tags: ['runs'], request: body('run request'), responses: { 201: json('run'), 200: json('dry run'), ...errors, 422: refused } },
  { method: 'get', path: '/v1/runs', summary: 'Runs, newest first (filters: drill, status, limit)', tags: ['runs'], responses: { 200: json('{runs}'), ...errors } },
  { method: 'get', path: '/v1/runs/{id}', summary: 'One run', tags: ['runs'], request: { params: idParam }, responses: { 200: json('run'), ...errors } },
  { method: 'get', path: '/v1/runs/{id}/events', summary: 'Server-sent events of a run (replay, then live until it ends; ?after=SEQ; ?follow=false to stop after the replay)', tags: ['runs'], request: { params: idParam }, responses: { 200: { description: 'text/event-stream' }, ...errors } },
  { method: 'post', path: '/v1/runs/{id}/abort', summary: 'Abort a run: everything it stopped is resumed', tags: ['runs'], request: { params: idParam }, responses: { 202: json('aborting'), 409: json('not running'), ...errors } },
  { method: 'get', path: '/v1/runs/{id}/report', summary: 'Report as JSON or JUnit XML (?format=json|junit)', tags: ['runs'], request: { params: idParam }, responses: { 200: json('report'), 409: json('still running'), ...errors } },
  {
    method: 'get',
    path: '/v1/audit',
    summary: 'Audit trail, newest first: who (token id, role) did what, when, with what result. A scoped token sees its own records only.',
    tags: ['audit'],
    request: {
      query: z.object({
        since: z.string().optional().openapi({ description: 'Unix ms or ISO 8601; records at or after it' }),
        until: z.string().optional().openapi({ description: 'Unix ms or ISO 8601; records before it' }),
        actor: z.string().optional().openapi({ description: 'token id' }),
        action: z.string().optional().openapi({ description: 'run.start, run.abort, fault.create, fault.resume, drill.save, drill.delete, override.use, auth.refused, agent.refused' }),
        limit: z.string().optional().openapi({ description: '1..1000, default 100' }),
        cursor: z.string().optional().openapi({ description: 'nextCursor of the previous page' }),
      }),
    },
    responses: {
      200: {
        description: 'records and the cursor of the next page (null on the last)',
        content: {
          'application/json': {
            schema: z
              .object({
                records: z.array(
                  z.object({
                    seq: z.number().int(),
                    at: z.number().int(),
                    actor: z.string().nullable(),
                    role: z.string().nullable(),
                    action: z.string(),
                    target: z.string().nullable(),
                    result: z.enum(['ok', 'refused', 'failed']),
                    details: z.any(),
                  }),
                ),
                nextCursor: z.number().int().nullable(),
              })
              .openapi('AuditPage'),
          },
        },
      },
      ...errors,
    },
  },
];

export function registerOpenApi(app: OpenAPIHono<any>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  for (const r of ROUTES) {
    const open = r.path === '/healthz' || r.path === '/metrics';
    app.openAPIRegistry.registerPath({ ...r, ...(open ? {} : { security: [{ bearer: [] }] }) } as never);
  }
}
