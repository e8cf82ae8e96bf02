// The coordinator's HTTP API: fleet, selections, immediate faults, drills, runs (live over SSE), reports.
import { checkKubernetesClusters } from '../probes/kubernetes.js';
import type { KubeConnection } from '../../lib/kube/kubeconfig.js';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { Registry } from 'prom-client';
import type { Logger } from '../../lib/logger.js';
import { errorHandler, limitBody, notFoundHandler, readJson, serveMetrics } from '../../lib/http.js';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { parseOrThrow } from '../../lib/validation.js';
import { compileUserRegex } from '../../lib/user-regex.js';
import { VERSION } from '../../lib/version.js';
import type { Fleet } from '../fleet/fleet.js';
import type { Store } from '../store/types.js';
import type { DrillEngine } from '../engine/engine.js';
import { selectGroup, targetKey } from '../engine/targets.js';
import { slowestTimes, toJUnit, type RunReport } from '../engine/report.js';
import { loadDrill } from '../drill/validate.js';
import { checkDrillText, type DrillProblem } from '../drill/check-text.js';
import { renderDrill, templateDefaults, TEMPLATES } from '../drill/templates.js';
import { drillJsonSchema } from '../drill/json-schema.js';
import type { Drill } from '../drill/schema.js';
import { parseTargetGroup } from '../selection/schema.js';
import { parseLabelSelector, matchesLabels } from '../selection/label-selector.js';
import type { ImmediateFaults } from './faults.js';
import { coordinatorDocument } from './openapi.js';
import { DOCS_PATHS, serveDocsUi } from './docs-ui.js';
import { consolePaths, serveConsoleUi } from './console-ui.js';
import { eventsQuerySchema, reportQuerySchema, runRequestSchema, runsQuerySchema, targetsQuerySchema } from './requests.js';
import type { agentListSchema, drillCheckSchema, drillTemplateListSchema, dryRunSchema, healthSchema, selectionPreviewSchema, versionSchema } from './schemas.js';
import { principalAuth, type CoordinatorVariables } from '../auth/middleware.js';
import { can, ForbiddenScopeError, inScope, isScoped, requirePermission, scopeCovers, type Principal } from '../auth/roles.js';
import type { TargetFilter } from '../engine/targets.js';
import type { AuditLog, AuditAction } from '../audit/audit-log.js';
import type { AuditResult } from '../store/types.js';
import { registerAuditRoutes } from './audit-routes.js';
import { rateLimit } from '../../lib/rate-limit.js';
import { TokenBuckets } from '../../lib/token-buckets.js';
import { faultForViewer, targetForViewer } from './viewer-view.js';
import type { ProbePolicy } from '../probes/policy.js';
import type { JqPool } from '../probes/jq.js';
import { checkProbeDestinations } from '../probes/destinations.js';

export interface CoordinatorApiOptions {
  coordinatorId: string;
  fleet: Fleet;
  store: Store;
  engine: DrillEngine;
  faults: ImmediateFaults;
  registry: Registry;
  principals: readonly Principal[];
  logger: Logger;
  audit: AuditLog;
  /** Drills whose probes aim where the policy refuses are refused when stored and when run. */
  probePolicy: ProbePolicy;
  /** The --kubeconfig connections by eris cluster, when given: kubernetes probes naming a cluster are checked at load. */
  kube?: ReadonlyMap<string, KubeConnection>;
  /** Compile-checks the jq filters of drills from requests, off the main thread, bounded in time and memory. */
  jqCheck: JqPool;
  /** Requests a second each token may sustain (burst twice that); 0 = no limit. */
  rateLimitPerSecond: number;
}

/** Never rate-limited: what puts processes back (a resume, an abort) must not wait behind a caller's own flood. */
const isResume = (method: string, path: string) => (method === 'DELETE' && /^\/v1\/faults\/[^/]+$/.test(path)) || (method === 'POST' && (/^\/v1\/runs\/[^/]+\/abort$/.test(path) || path === '/v1/resume-all'));

type Outcome = { target?: string | null; result?: AuditResult; details?: Record<string, unknown> };

/** Overrides a drill's steps ask for (they let it touch what safety would refuse), for the audit. */
function overridesIn(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) overridesIn(v, found);
  else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'override' && Array.isArray(v)) for (const o of v) found.add(String(o));
      else overridesIn(v, found);
    }
  }
  return found;
}

/** Served without a token: health, metrics, and the API's own description. */
export const OPEN_PATHS = ['/healthz', '/metrics', '/openapi.json', '/v1/schemas/drill.json', ...DOCS_PATHS] as const;

/** A scoped token's view of the fleet; undefined (everything) for an unscoped one. */
function scopeOf(p: Principal): TargetFilter | undefined {
  return isScoped(p) ? (t) => inScope(p, t) : undefined;
}

/**
 * Largest request bodies read: a drill (YAML or JSON, stored or inline in a run) up to 1 MiB, anything else 64 KiB.
 * Two unbounded 50 MB bodies took the coordinator to 633 MB.
 */
export const BODY_LIMITS = { drill: 1024 * 1024, other: 64 * 1024 } as const;
const takesDrill = (path: string) => path === '/v1/drills' || path === '/v1/drills/validate' || path === '/v1/runs';

export function createCoordinatorApi(o: CoordinatorApiOptions): Hono<{ Variables: CoordinatorVariables }> {
  const app = new Hono<{ Variables: CoordinatorVariables }>();
  // The console's files, listed once as the API is assembled (a rebuild needs a restart, as any code change does).
  const consoleFiles = consolePaths();
  app.onError(errorHandler(o.logger));
  app.notFound(notFoundHandler);
  app.use(
    '*',
    principalAuth({
      principals: o.principals,
      open: [...OPEN_PATHS, ...consoleFiles],
      onRefused: (c, r) => o.audit.refused(r.principal ?? null, 'auth.refused', `${c.req.method} ${c.req.path}`, { code: r.code }),
    }),
  );

  /** Runs an action and records it: its outcome when it returns, `failed` with the error's code when it throws. */
  async function audited<T>(c: { get(key: 'principal'): Principal }, action: AuditAction, target: string | null, run: () => Promise<T> | T, outcome: (value: T) => Outcome = () => ({})): Promise<T> {
    let value: T;
    try {
      value = await run();
    } catch (err) {
      o.audit.record(c.get('principal'), action, target, 'failed', { code: (err as { code?: string }).code ?? 'ERIS_ERR', message: String((err as Error).message).slice(0, 300) });
      throw err;
    }
    const r = outcome(value);
    o.audit.record(c.get('principal'), action, r.target === undefined ? target : r.target, r.result ?? 'ok', r.details);
    return value;
  }
  if (o.rateLimitPerSecond > 0) {
    const perToken = new TokenBuckets({ perSecond: o.rateLimitPerSecond });
    app.use('*', rateLimit(perToken, { key: (c) => (isResume(c.req.method, c.req.path) ? null : ((c.get('principal') as Principal | undefined)?.id ?? null)), what: 'this token' }));
  }
  app.use('*', limitBody((c) => (takesDrill(c.req.path) ? BODY_LIMITS.drill : BODY_LIMITS.other)));

  app.get('/healthz', (c) => c.json({ status: 'ok', version: VERSION, agents: o.fleet.agentCount() } as const satisfies z.output<typeof healthSchema>));
  serveMetrics(app, o.registry);
  app.get('/v1/version', (c) => c.json({ version: VERSION, coordinatorId: o.coordinatorId } satisfies z.output<typeof versionSchema>));

  // Who this token is, for a client (the console) that hides what the token may not do; refusals stay the API's job.
  app.get('/v1/whoami', (c) => {
    const p = c.get('principal');
    return c.json({ id: p.id, role: can(p, 'operate') ? ('operator' as const) : ('viewer' as const), scope: { ...(p.clusters ? { clusters: [...p.clusters] } : {}), ...(p.namespaces ? { namespaces: [...p.namespaces] } : {}) } });
  });

  app.get('/v1/agents', (c) => {
    const p = c.get('principal');
    return c.json({ agents: o.fleet.agents().filter((a) => p.clusters === undefined || p.clusters.includes(a.cluster)) } satisfies z.output<typeof agentListSchema>);
  });

  app.get('/v1/targets', async (c) => {
    const q = parseOrThrow(targetsQuerySchema, c.req.query(), 'query');
    const pod = q.pod ? compileUserRegex(q.pod, 'query.pod') : null;
    const container = q.container ? compileUserRegex(q.container, 'query.container') : null;
    const labels = q.labels ? parseLabelSelector(q.labels, 'query.labels') : null;
    const p = c.get('principal');
    const within = scopeOf(p);
    // cmdline= lists host processes as a selection's `processes.cmdline` does (its schema checked the regex): matched
    // by the host-mode agents of the clusters asked for and in the caller's scope.
    const asked = (cluster: string) => (q.cluster ? cluster === q.cluster : true) && (within ? within({ cluster, namespace: '' }) : true);
    const inventory = q.cmdline !== undefined ? await o.fleet.processes(q.cmdline, asked) : o.fleet.targets();
    const shown = can(p, 'operate') ? <T,>(t: T) => t : targetForViewer;
    const targets = inventory
      .filter((t) => (within ? within(t) : true))
      .filter((t) => (q.cluster ? t.cluster === q.cluster : true))
      .filter((t) => (q.namespace ? t.namespace === q.namespace : true))
      .filter((t) => (pod ? pod.test(t.pod) : true))
      .filter((t) => (container ? container.test(t.container) : true))
      .filter((t) => (labels ? matchesLabels(labels, t.labels) : true))
      .map(shown);
    return c.json({ targets });
  });

  app.post('/v1/selections', async (c) => {
    const body = (await readJson(c)) as Record<string, unknown>;
    const group = parseTargetGroup(body, 'target');
    const p = c.get('principal');
    const selection = await selectGroup(o.fleet, group, 'target', undefined, scopeOf(p));
    const shown = can(p, 'operate') ? <T,>(t: T) => t : targetForViewer;
    return c.json({ wanted: selection.wanted, seed: selection.seed, matched: selection.matched.map(shown), picked: selection.picked.map(shown) } satisfies z.output<typeof selectionPreviewSchema>);
  });

  app.post('/v1/faults', async (c) => {
    const p = c.get('principal');
    const within = scopeOf(p);
    const body = await readJson(c);
    const override = (body as { override?: unknown } | null)?.override;
    if (Array.isArray(override) && override.length > 0) o.audit.record(p, 'override.use', 'POST /v1/faults', 'ok', { override: override.slice(0, 10).map(String) });
    const fault = await audited(c, 'fault.create', null, () => o.faults.create(body, { tokenId: p.id, ...(within ? { within } : {}) }), (f) => ({
      target: f.id,
      result: f.parts.length === 0 && f.errors.length > 0 ? 'failed' : 'ok',
      details: { signal: f.signal, targets: f.targets.length, errors: f.errors.length },
    }));
    return c.json(fault, 201);
  });
  // A scoped token sees (and resumes) only the faults whose every target is in its scope; others are "not found".
  const visibleFault = (c: { get(key: 'principal'): Principal }, id: string) => {
    const within = scopeOf(c.get('principal'));
    const fault = o.faults.get(id);
    if (!o.faults.visible(fault.id, within && ((place) => inScope(c.get('principal'), place)))) throw new NotFoundError(`no fault ${id}`, { path: 'id' });
    return fault;
  };
  app.get('/v1/faults', (c) => {
    const p = c.get('principal');
    const faults = o.faults.list().filter((f) => o.faults.visible(f.id, isScoped(p) ? (place) => inScope(p, place) : undefined));
    return c.json({ faults: can(p, 'operate') ? faults : faults.map(faultForViewer) });
  });
  app.get('/v1/faults/:id', (c) => {
    const fault = visibleFault(c, c.req.param('id'));
    return c.json(can(c.get('principal'), 'operate') ? fault : faultForViewer(fault));
  });
  app.delete('/v1/faults/:id', async (c) => {
    const id = c.req.param('id');
    const resumed = await audited(c, 'fault.resume', id, () => o.faults.resume(visibleFault(c, id).id), (f) => ({
      result: f.resume.confirmed ? 'ok' : 'failed',
      details: { confirmed: f.resume.confirmed, seen: f.resume.seen },
    }));
    return c.json(resumed);
  });

  // The emergency stop: every running run (in scope) aborted and every active immediate fault (in scope) resumed, in
  // one audited call; one item's failure never stops the others, and the answer lists each.
  app.post('/v1/resume-all', async (c) => {
    const p = c.get('principal');
    const runs: { id: string; result: 'aborting' | 'failed'; message?: string }[] = [];
    for (const id of o.engine.activeRunIds()) {
      if (isScoped(p) && !scopeCovers(p, o.engine.scopeOf(id) ?? {})) continue; // another scope's run: not ours to stop
      try {
        o.engine.abort(id, `aborted by ${c.get('tokenId')} (resume-all)`);
        o.audit.record(p, 'run.abort', id, 'ok', { via: 'resume-all' });
        runs.push({ id, result: 'aborting' });
      } catch (err) {
        o.audit.record(p, 'run.abort', id, 'failed', { via: 'resume-all', message: String((err as Error).message).slice(0, 300) });
        runs.push({ id, result: 'failed', message: String((err as Error).message) });
      }
    }
    const within = isScoped(p) ? (place: Parameters<typeof inScope>[1]) => inScope(p, place) : undefined;
    const active = o.faults.list().filter((f) => f.parts.some((part) => part.fault.state === 'active') && o.faults.visible(f.id, within));
    const faults = await Promise.all(
      active.map(async (f) => {
        try {
          const r = await o.faults.resume(f.id);
          o.audit.record(p, 'fault.resume', f.id, r.resume.confirmed ? 'ok' : 'failed', { via: 'resume-all', confirmed: r.resume.confirmed, seen: r.resume.seen });
          return { id: f.id, result: r.resume.confirmed ? ('resumed' as const) : ('unconfirmed' as const), seen: r.resume.seen };
        } catch (err) {
          o.audit.record(p, 'fault.resume', f.id, 'failed', { via: 'resume-all', message: String((err as Error).message).slice(0, 300) });
          return { id: f.id, result: 'failed' as const, message: String((err as Error).message) };
        }
      }),
    );
    const failures = runs.filter((r) => r.result === 'failed').length + faults.filter((f) => f.result !== 'resumed').length;
    o.audit.record(p, 'resume.all', null, failures === 0 ? 'ok' : 'failed', { runs: runs.length, faults: faults.length, failures });
    return c.json({ runs, faults, failures });
  });

  app.get('/v1/schemas/drill.json', (c) => c.json(drillJsonSchema()));

  app.post('/v1/drills', async (c) => {
    const saved = await audited(c, 'drill.save', null, async () => {
      const { raw, yaml } = await readDrillBody(c.req.header('content-type'), await c.req.text());
      const drill = await loadDrill(raw, { jq: o.jqCheck });
      await checkProbeDestinations(drill, o.probePolicy);
      checkKubernetesClusters(drill, o.kube);
      o.store.saveDrill({ name: drill.metadata.name, spec: raw, ...(yaml !== undefined ? { yaml } : {}), updatedAt: Date.now() });
      o.engine.knowDrill(drill);
      return { name: drill.metadata.name, drill: raw };
    }, (d) => ({ target: d.name }));
    return c.json(saved, 201);
  });
  // The console's editor: the problems `eris validate` would print, placed in the text (and jq compiled in the pool).
  app.post('/v1/drills/validate', async (c) => {
    const text = await c.req.text();
    if (text.trim() === '') throw new ValidationError('body: a drill is required', { path: 'body' });
    const checked = await checkDrillText(text, 'body', o.jqCheck);
    const place = ({ line, column, path, message }: DrillProblem) => ({ line, column, path, message });
    return c.json({ ok: checked.problems.length === 0, ...(checked.drill ? { name: checked.drill.metadata.name } : {}), problems: checked.problems.map(place), warnings: checked.warnings.map(place) } satisfies z.output<typeof drillCheckSchema>);
  });
  app.get('/v1/drill-templates', (c) => c.json({ templates: TEMPLATES.map((name) => ({ name, yaml: renderDrill(templateDefaults(name), '/v1/schemas/drill.json') })) } satisfies z.output<typeof drillTemplateListSchema>));
  app.get('/v1/drills', (c) => c.json({ drills: o.store.listDrills().map((d) => ({ name: d.name, createdAt: d.createdAt, updatedAt: d.updatedAt, spec: d.spec })) }));
  app.get('/v1/drills/:name', (c) => {
    const d = o.store.getDrill(c.req.param('name'));
    if (!d) throw new NotFoundError(`no drill ${c.req.param('name')}`, { path: 'name' });
    return c.json(d);
  });
  app.delete('/v1/drills/:name', async (c) => {
    const name = c.req.param('name');
    await audited(c, 'drill.delete', name, () => {
      if (!o.store.deleteDrill(name)) throw new NotFoundError(`no drill ${name}`, { path: 'name' });
    });
    return c.json({ deleted: name });
  });

  app.post('/v1/runs', async (c) => {
    const request = parseOrThrow(runRequestSchema, await readJson(c));
    let raw: unknown;
    let drillName: string | null = null;
    if (request.drill !== undefined) {
      const stored = o.store.getDrill(request.drill);
      if (!stored) throw new NotFoundError(`drill: no stored drill ${request.drill}`, { path: 'drill' });
      raw = stored.spec;
      drillName = stored.name;
    } else raw = request.spec;
    const drill = await loadDrill(raw, { jq: o.jqCheck });
    await checkProbeDestinations(drill, o.probePolicy);
    checkKubernetesClusters(drill, o.kube);
    const p = c.get('principal');
    const within = scopeOf(p);
    if (request.dryRun) {
      const preview = await dryRun(o.fleet, drill, request.seed !== undefined ? String(request.seed) : undefined, within);
      if (!can(p, 'operate')) for (const g of Object.values(preview.groups)) g.picked = g.picked.map((t) => targetForViewer(t));
      return c.json(preview, 200);
    }
    try {
      requirePermission(p, 'operate', 'POST /v1/runs (not a dry run)');
    } catch (err) {
      o.audit.refused(p, 'auth.refused', 'POST /v1/runs', { code: (err as { code: string }).code });
      throw err;
    }
    const overrides = [...overridesIn(drill.spec.steps)];
    const handle = await audited(c, 'run.start', null, () =>
      o.engine.start(drill, {
        drillName: drillName ?? drill.metadata.name,
        ...(request.seed !== undefined ? { seed: String(request.seed) } : {}),
        ...(within ? { within, scope: { ...(p.clusters ? { clusters: p.clusters } : {}), ...(p.namespaces ? { namespaces: p.namespaces } : {}) } } : {}),
      }), (h) => ({ target: h.id, details: { drill: drillName ?? drill.metadata.name, ...(request.seed !== undefined ? { seed: String(request.seed) } : {}) } }));
    if (overrides.length > 0) o.audit.record(p, 'override.use', handle.id, 'ok', { override: overrides });
    handle.done.catch((err: unknown) => o.logger.error({ err, runId: handle.id }, 'run crashed'));
    return c.json(getRun(o.store, handle.id), 201);
  });

  app.get('/v1/runs', (c) => {
    const q = parseOrThrow(runsQuerySchema, c.req.query(), 'query');
    const runs = o.store.listRuns({ ...(q.drill ? { drillName: q.drill } : {}), ...(q.status ? { status: q.status } : {}), limit: q.limit });
    return c.json({ runs: runs.map(({ spec: _spec, result, ...summary }) => ({ ...summary, ...slowestTimes(result as RunReport | null) })) });
  });

  app.get('/v1/runs/:id', (c) => c.json(getRun(o.store, c.req.param('id'))));

  app.post('/v1/runs/:id/abort', async (c) => {
    const run = getRun(o.store, c.req.param('id'));
    await audited(c, 'run.abort', run.id, () => {
      if (!o.engine.isActive(run.id)) throw new ConflictError(`run ${run.id} is not running (${run.status})`, { path: 'id' });
      // A scoped token aborts only runs started within its scope: an abort resumes the run's faults wherever they are.
      const p = c.get('principal');
      const started = o.engine.scopeOf(run.id) ?? {};
      if (isScoped(p) && !scopeCovers(p, started)) {
        throw new ForbiddenScopeError(`run ${run.id} was started by a token that reaches beyond token ${p.id}'s scope: it may not abort it`, {
          path: 'id',
          details: { tokenId: p.id, ...(p.clusters ? { clusters: [...p.clusters] } : {}), ...(p.namespaces ? { namespaces: [...p.namespaces] } : {}) },
        });
      }
      o.engine.abort(run.id, `aborted by ${c.get('tokenId')}`);
    });
    return c.json({ id: run.id, status: 'aborting' }, 202);
  });

  app.get('/v1/runs/:id/report', (c) => {
    const run = getRun(o.store, c.req.param('id'));
    const { format } = parseOrThrow(reportQuerySchema, c.req.query(), 'query');
    if (run.result === null) throw new ConflictError(`run ${run.id} has no report yet (${run.status})`, { path: 'id' });
    const report = run.result as RunReport;
    if (format === 'junit') return c.body(toJUnit(report), 200, { 'content-type': 'application/xml; charset=utf-8' });
    return c.json(report);
  });

  app.get('/v1/runs/:id/events', (c) => {
    const run = getRun(o.store, c.req.param('id'));
    const q = parseOrThrow(eventsQuerySchema, c.req.query(), 'query');
    const after = q.after ?? Number(c.req.header('last-event-id') ?? 0);
    // follow=false: what is stored so far, then the stream ends (for scripts that poll).
    const follow = q.follow !== 'false';
    return streamSSE(c, async (stream) => {
      let last = Number.isFinite(after) ? after : 0;
      const queue: Array<{ seq: number; type: string; data: unknown; at: number }> = [];
      let wake: (() => void) | null = null;
      const unsubscribe = o.engine.subscribe(run.id, (e) => {
        queue.push(e);
        wake?.();
      });
      stream.onAbort(() => {
        unsubscribe();
        wake?.();
      });
      try {
        for (const e of o.store.listEvents(run.id, { afterSeq: last })) queue.push(e);
        if (!follow) {
          for (const e of queue) await stream.writeSSE({ id: String(e.seq), event: e.type, data: JSON.stringify({ at: e.at, ...(e.data as object) }) });
          return;
        }
        for (;;) {
          while (queue.length > 0) {
            const e = queue.shift()!;
            if (e.seq <= last) continue;
            last = e.seq;
            await stream.writeSSE({ id: String(e.seq), event: e.type, data: JSON.stringify({ at: e.at, ...(e.data as object) }) });
            if (e.type === 'run' && (e.data as { status?: string }).status !== 'running') return;
          }
          if (stream.aborted || !o.engine.isActive(run.id)) {
            if (!o.engine.isActive(run.id) && queue.length === 0) {
              // Ended before we subscribed: the stored events held everything.
              return;
            }
            if (stream.aborted) return;
          }
          // Wake on the next event, or after 15 s to send a keep-alive ping; the timer must not outlive the wait.
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, 15000);
          });
          clearTimeout(timer);
          wake = null;
          if (queue.length === 0 && !stream.aborted) await stream.writeSSE({ event: 'ping', data: '{}' });
        }
      } finally {
        unsubscribe();
      }
    });
  });

  registerAuditRoutes(app, o.store);

  const document = coordinatorDocument(VERSION);
  app.get('/openapi.json', (c) => c.json(document));
  serveDocsUi(app);
  serveConsoleUi(app, consoleFiles);
  return app;
}

function getRun(store: Store, id: string) {
  const run = store.getRun(id);
  if (!run) throw new NotFoundError(`no run ${id}`, { path: 'id' });
  return { ...run, ...slowestTimes(run.result as RunReport | null) };
}

async function readDrillBody(contentType: string | undefined, text: string): Promise<{ raw: unknown; yaml?: string }> {
  if (text.trim() === '') throw new ValidationError('body: a drill is required', { path: 'body' });
  if (contentType && /yaml/.test(contentType)) {
    try {
      return { raw: parseYaml(text), yaml: text };
    } catch (cause) {
      throw new ValidationError(`body: malformed YAML: ${(cause as Error).message}`, { path: 'body', cause });
    }
  }
  try {
    return { raw: JSON.parse(text) };
  } catch (cause) {
    throw new ValidationError(`body: malformed JSON: ${(cause as Error).message}`, { path: 'body', cause });
  }
}

/** What a run would hit, group by group; touches nothing. */
/** With the run's seed, the preview picks what `run --seed` will (the engine seeds group G with `SEED/G`). */
export async function dryRun(fleet: Fleet, drill: Drill, seed?: string, within?: TargetFilter): Promise<z.output<typeof dryRunSchema>> {
  const groups: z.output<typeof dryRunSchema>['groups'] = {};
  for (const [name, group] of Object.entries(drill.spec.targets)) {
    const s = await selectGroup(fleet, group, `spec.targets.${name}`, group.seed ?? (seed !== undefined ? `${seed}/${name}` : undefined), within);
    groups[name] = { wanted: s.wanted, matched: s.matched.length, seed: s.seed, picked: s.picked.map((t) => ({ key: targetKey(t), ...t })) };
  }
  return { dryRun: true, drill: drill.metadata.name, groups };
}
