// The agent's local HTTP API: targets, faults, health and metrics for the node it runs on.
import type { z } from 'zod';
import type { Registry } from 'prom-client';
import type { Logger } from '../../lib/logger.js';
import type { TokenEntry } from '../../lib/auth.js';
import { cachedExposition } from '../../lib/metrics.js';
import { TokenBuckets } from '../../lib/token-buckets.js';
import { parseOrThrow } from '../../lib/validation.js';
import { redactCmdline, redactFaultCmdlines } from '../../lib/redact.js';
import { compileUserRegex } from '../../lib/user-regex.js';
import type { FaultManager } from '../faults/manager.js';
import { faultRequestSchema } from '../faults/request.js';
import { matchesSelector } from '../faults/resolve.js';
import type { ContainerInfo } from '../types.js';
import type { ProcFs } from '../proc/procfs.js';
import type { CgroupResolver } from '../proc/cgroup.js';
import { listHostProcesses, type HostProcessInfo } from '../proc/host-processes.js';
import { ValidationError } from '../../lib/errors.js';
import type { agentFaultListSchema, agentHealthSchema, agentInfoSchema, agentTargetsSchema } from './openapi.js';
import { agentFaultsQuerySchema, agentTargetsQuerySchema } from './queries.js';
import { json, Router, text } from './router.js';

export interface AgentApiOptions {
  faults: FaultManager;
  containers: { list(): readonly ContainerInfo[]; refresh(): Promise<readonly ContainerInfo[]>; lastRefreshAt: number | null } | null;
  procfs: ProcFs;
  cgroups: CgroupResolver;
  registry: Registry;
  tokens: readonly TokenEntry[];
  logger: Logger;
  hostProcesses: boolean;
  isExcludedFromSelection: (pid: number) => boolean;
  info: { node: string; version: string; runtime: string | null };
}

/**
 * Largest request body the agent reads: a fault request naming 1,000 container ids is ~70 KB. Bodies are bounded
 * so that a large POST cannot push the agent toward its memory limit (an OOM kill resumes every fault early).
 */
export const AGENT_BODY_LIMIT = 256 * 1024;

/** Served without a token: health, metrics, and the API's own description. */
export const AGENT_OPEN_PATHS = ['/healthz', '/metrics', '/openapi.json'];

/** Scrapes one address may make a second (as the coordinator's, lib/http.ts): Prometheus makes one every few seconds. */
const METRICS_PER_SECOND = 10;

export function createAgentApi(o: AgentApiOptions): Router {
  const app = new Router({ tokens: o.tokens, openPaths: AGENT_OPEN_PATHS, bodyLimit: AGENT_BODY_LIMIT, logger: o.logger });

  app.get('/healthz', () =>
    json({ status: 'ok', node: o.info.node, version: o.info.version, runtime: o.info.runtime, activeFaults: o.faults.active().length } as const satisfies z.output<typeof agentHealthSchema>),
  );

  // No token: bounded per address, and rendered at most once a second however many ask.
  const metricsText = cachedExposition(o.registry);
  const metricsBuckets = new TokenBuckets({ perSecond: METRICS_PER_SECOND });
  app.get('/metrics', async () => text(await metricsText(), o.registry.contentType), { buckets: metricsBuckets, what: 'GET /metrics from this address' });

  app.get('/v1/info', () => json({ ...o.info, hostProcesses: o.hostProcesses } satisfies z.output<typeof agentInfoSchema>));
  // Built on first request, not at start: the document and its generator are memory an agent rarely needs.
  let document: Promise<Record<string, unknown>> | null = null;
  app.get('/openapi.json', async () => {
    document ??= import('./openapi.js').then(({ agentDocument }) => agentDocument(o.info.version));
    return json(await document);
  });

  app.get('/v1/targets', async (req) => {
    const q = parseOrThrow(agentTargetsQuerySchema, req.query, 'query');
    const compiled = {
      ...(q.pod !== undefined ? { pod: compileUserRegex(q.pod, 'query.pod') } : {}),
      ...(q.container !== undefined ? { containers: [compileUserRegex(q.container, 'query.container')] } : {}),
    };
    const labels = q.labels === undefined ? undefined : Object.fromEntries(q.labels.split(',').map((kv) => kv.split('=') as [string, string]));
    const selector = {
      ...(q.namespace !== undefined ? { namespace: q.namespace } : {}),
      ...(q.pod !== undefined ? { pod: q.pod } : {}),
      ...(q.container !== undefined ? { containers: [q.container] } : {}),
      ...(labels !== undefined ? { labels } : {}),
    };
    let containers: Array<ContainerInfo & { pids?: number[] }> = [];
    if (o.containers !== null) {
      const list = q.refresh === 'true' ? await o.containers.refresh() : o.containers.list();
      containers = list.filter((ct) => matchesSelector(ct, selector, compiled));
      if (q.processes === 'true') {
        containers = containers.map((ct) => ({ ...ct, pids: ct.initPid > 0 ? o.cgroups.pidsOf(ct.initPid) : [] }));
      }
    }
    let processes: HostProcessInfo[] | undefined;
    if (q.cmdline !== undefined) {
      if (!o.hostProcesses) throw new ValidationError('query.cmdline: host processes are not targets on this agent', { path: 'query.cmdline' });
      // Matched on the real command line; shown with secret-looking values masked (lib/redact.ts).
      processes = listHostProcesses(o.procfs, compileUserRegex(q.cmdline, 'query.cmdline'), o.isExcludedFromSelection).map((p) => ({ ...p, cmdline: redactCmdline(p.cmdline) }));
    }
    return json({ node: o.info.node, refreshedAt: o.containers?.lastRefreshAt ?? null, containers, ...(processes ? { processes } : {}) } satisfies z.output<typeof agentTargetsSchema>);
  });

  app.post('/v1/faults', async (req) => {
    const request = parseOrThrow(faultRequestSchema, await req.json());
    const fault = await o.faults.create(request, req.tokenId);
    // 201 even when no process could be signalled: the fault record (result: failed) says what happened to each.
    return json(redactFaultCmdlines(fault), 201);
  });

  app.get('/v1/faults', (req) => {
    const { state } = parseOrThrow(agentFaultsQuerySchema, req.query, 'query');
    const faults = o.faults.list().filter((f) => state === undefined || f.state === state);
    return json({ faults: faults.map(redactFaultCmdlines) } satisfies z.output<typeof agentFaultListSchema>);
  });

  app.get('/v1/faults/:id', (req) => json(redactFaultCmdlines(o.faults.get(req.params.id!))));

  app.delete('/v1/faults/:id', (req) => {
    const fault = o.faults.resume(req.params.id!, 'api');
    o.logger.info({ faultId: fault.id, requestedBy: req.tokenId }, 'resume requested');
    return json(redactFaultCmdlines(fault));
  });

  return app;
}
