// The agent's OpenAPI document (GET /openapi.json on the agent): its local API, generated from the zod schemas its
// handlers validate with and the link's schemas of what it answers (the same shapes it reports to the coordinator).
import { z } from 'zod';
import { buildDocument, jsonAnswer, metricsOperation, rateLimitedAnswer, type Operation } from '../../lib/openapi/document.js';
import { containerInfoSchema, faultSchema, hostProcessInfoSchema } from '../../lib/link/protocol.js';
import { faultRequestSchema } from '../faults/request.js';
import { agentFaultsQuerySchema, agentTargetsQuerySchema } from './queries.js';

export const agentHealthSchema = z.strictObject({
  status: z.literal('ok'),
  node: z.string(),
  version: z.string(),
  runtime: z.string().nullable(),
  activeFaults: z.number().int().nonnegative(),
});
export const agentInfoSchema = z.strictObject({ node: z.string(), version: z.string(), runtime: z.string().nullable(), hostProcesses: z.boolean() });
export const agentTargetsSchema = z.strictObject({
  node: z.string(),
  refreshedAt: z.number().nullable().meta({ description: 'Unix ms of the last inventory from the runtime; null in host mode' }),
  containers: z.array(containerInfoSchema.extend({ pids: z.array(z.number().int()).optional().meta({ description: 'processes=true: the PIDs in its cgroup' }) })),
  processes: z.array(hostProcessInfoSchema).optional().meta({ description: 'cmdline=…: host processes whose command line matches (secret-looking values masked)' }),
});
export const agentFaultListSchema = z.strictObject({ faults: z.array(faultSchema) });

export { agentFaultsQuerySchema, agentTargetsQuerySchema };

const idParam = z.strictObject({ id: z.string().min(1) });

const E = {
  400: 'Invalid input (ERIS_ERR_VALIDATION): the message and path name the field',
  401: 'No valid bearer token (ERIS_ERR_UNAUTHORIZED)',
  403: 'A safety rule forbids it (ERIS_ERR_FORBIDDEN_TARGET): PID 1, the agent itself, the runtime or kubelet, a protected process, a denied namespace',
  404: 'No such fault, container or process (ERIS_ERR_NOT_FOUND)',
  409: 'A container\'s init PID no longer belongs to it (ERIS_ERR_IDENTITY_MISMATCH)',
  413: 'The body is larger than 256 KiB (ERIS_ERR_PAYLOAD_TOO_LARGE)',
  422: 'The target matched nothing on this node (ERIS_ERR_NO_TARGETS)',
  429: rateLimitedAnswer('More than 10 requests a second from this address (ERIS_ERR_RATE_LIMITED)'),
  502: 'The container runtime (CRI) did not answer or answered with an error (ERIS_ERR_RUNTIME)',
} as const;

export const AGENT_OPERATIONS: readonly Operation[] = [
  { method: 'get', path: '/healthz', operationId: 'getAgentHealth', summary: 'Liveness and the number of active faults', tags: ['system'], open: true, responses: { 200: jsonAnswer('Up', 'AgentHealth') } },
  metricsOperation('getAgentMetrics', E[429]),
  { method: 'get', path: '/v1/info', operationId: 'getAgentInfo', summary: 'Node, version, runtime, host mode', tags: ['node'], responses: { 200: jsonAnswer('Info', 'AgentInfo'), 401: E[401] } },
  {
    method: 'get',
    path: '/v1/targets',
    operationId: 'listNodeTargets',
    summary: 'Containers on this node (and host processes with cmdline=…), filtered',
    tags: ['node'],
    query: agentTargetsQuerySchema,
    responses: { 200: jsonAnswer('Targets', 'AgentTargets'), 400: E[400], 401: E[401], 502: E[502] },
  },
  {
    method: 'post',
    path: '/v1/faults',
    operationId: 'createNodeFault',
    summary: 'Signal the processes of a target now (SIGSTOP under a lease)',
    description: 'Answered 201 even when no process could be signalled: the fault (result failed) says what happened to each.',
    tags: ['faults'],
    body: { description: 'A fault request', content: { 'application/json': 'FaultRequest' } },
    responses: { 201: jsonAnswer('The fault', 'Fault'), 400: E[400], 401: E[401], 403: E[403], 404: E[404], 409: E[409], 413: E[413], 422: E[422], 502: E[502] },
  },
  {
    method: 'get',
    path: '/v1/faults',
    operationId: 'listNodeFaults',
    summary: 'Faults on this node',
    tags: ['faults'],
    query: agentFaultsQuerySchema,
    responses: { 200: jsonAnswer('Faults', 'FaultList'), 400: E[400], 401: E[401] },
  },
  { method: 'get', path: '/v1/faults/{id}', operationId: 'getNodeFault', summary: 'One fault', tags: ['faults'], params: idParam, responses: { 200: jsonAnswer('The fault', 'Fault'), 401: E[401], 404: E[404] } },
  {
    method: 'delete',
    path: '/v1/faults/{id}',
    operationId: 'resumeNodeFault',
    summary: 'Resume a fault (idempotent)',
    tags: ['faults'],
    params: idParam,
    responses: { 200: jsonAnswer('The fault, resumed', 'Fault'), 401: E[401], 404: E[404] },
  },
];

export function agentDocument(version: string): Record<string, unknown> {
  return buildDocument({ title: 'eris-agent', version, description: "The node agent's local API: inventory, faults, health and metrics. Every route but /healthz, /metrics and /openapi.json needs a token." }, AGENT_OPERATIONS, {
    requests: { FaultRequest: faultRequestSchema },
    responses: {
      AgentHealth: agentHealthSchema,
      AgentInfo: agentInfoSchema,
      AgentTargets: agentTargetsSchema,
      ContainerInfo: containerInfoSchema,
      HostProcess: hostProcessInfoSchema,
      Fault: faultSchema,
      FaultList: agentFaultListSchema,
    },
  });
}
