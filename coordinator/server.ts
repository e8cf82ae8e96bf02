// Assembles an eris-coordinator from its config: store, fleet, probes, drill engine, API, agent link.
import { kubeConnections } from './probes/kube-connections.js';
import { SLOW_CLIENT_LIMITS } from '../lib/http-errors.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Registry } from 'prom-client';
import type { Logger } from '../lib/logger.js';
import { coordinatorPrincipals } from './auth/principals.js';
import { VERSION } from '../lib/version.js';
import { splitHostPort } from '../daemon/config.js';
import type { CoordinatorConfig } from './config.js';
import { createCoordinatorMetrics, type CoordinatorMetrics } from './metrics.js';
import { createStore } from './store/index.js';
import type { Store } from './store/types.js';
import { Fleet } from './fleet/fleet.js';
import { JqPool } from './probes/jq.js';
import { ProbeRunner } from './probes/runner.js';
import { ProbePolicy } from './probes/policy.js';
import { DrillEngine } from './engine/engine.js';
import { drillSchema } from './drill/schema.js';
import { ImmediateFaults } from './api/faults.js';
import { createCoordinatorApi } from './api/app.js';
import { AuditLog } from './audit/audit-log.js';

export interface Coordinator {
  url: string;
  /** ws:// or wss:// URL agents dial. */
  linkUrl: string;
  coordinatorId: string;
  generatedTokenPath: string | null;
  fleet: Fleet;
  engine: DrillEngine;
  store: Store;
  metrics: CoordinatorMetrics;
  /** Aborts active runs (resuming what they stopped), closes agent links, the store and the server. */
  close(): Promise<void>;
}

/** The coordinator's id survives restarts, so agents can tell "it came back" from "another one". */
function coordinatorIdIn(dataDir: string): string {
  const path = join(dataDir, 'coordinator-id');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const id = randomUUID();
  writeFileSync(path, `${id}\n`, { mode: 0o600 });
  return id;
}

/**
 * The HTTPS server's TLS options. With a client CA, a client certificate is asked for but not required here: the API
 * shares the port and its clients present none; the agent link's upgrade requires it (coordinator/fleet/client-cert.ts).
 */
function tlsServerOptions(config: CoordinatorConfig): Record<string, unknown> {
  const base = { cert: readFileSync(config.tlsCert!), key: readFileSync(config.tlsKey!) };
  if (config.agentClientCa === undefined) return base;
  return { ...base, requestCert: true, rejectUnauthorized: false, ca: readFileSync(config.agentClientCa) };
}

function tlsClientErrorLogger(logger: Logger): (error: Error, socket: { remoteAddress?: string | undefined }) => void {
  const lastLogged = new Map<string, number>();
  return (error, socket) => {
    const remote = socket.remoteAddress ?? 'unknown';
    const now = Date.now();
    if ((lastLogged.get(remote) ?? 0) > now - 60_000) return;
    if (lastLogged.size > 10_000) lastLogged.clear();
    lastLogged.set(remote, now);
    const plain = /http request|wrong version number|unknown protocol/i.test(error.message);
    logger.warn({ remote, code: (error as NodeJS.ErrnoException).code }, plain ? 'TLS handshake failed: the client spoke plain HTTP/ws:// to the TLS port (dial https:// or wss://)' : `TLS handshake failed: ${error.message}`);
  };
}

export async function startCoordinator(config: CoordinatorConfig, deps: { logger: Logger; registry?: Registry }): Promise<Coordinator> {
  const { logger } = deps;
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const listen = splitHostPort(config.listen);
  const { principals, host, generatedTokenPath } = coordinatorPrincipals(
    { tokensFile: config.tokensFile, tokenFile: config.tokenFile, token: config.token, dataDir: config.dataDir, host: listen.host },
    (details, message) => logger.warn(details, message),
  );
  const port = listen.port;

  const coordinatorId = coordinatorIdIn(config.dataDir);
  // synchronous=NORMAL under WAL: a commit survives the coordinator's own death (what a run must survive; the
  // crash test in store.contract.ts shows it), not a power cut. FULL costs one fsync per probe result on the thread
  // that also serves signal requests (docs/benchmarks.md, coordinator-probes).
  const store = createStore(
    config.storePath === ':memory:' ? { kind: 'memory' } : { kind: 'sqlite', path: config.storePath ?? join(config.dataDir, 'eris.db'), synchronous: 'normal' },
  );
  const interrupted = store.markInterrupted(Date.now());
  if (interrupted.length > 0) logger.warn({ runs: interrupted }, 'runs left running by an earlier coordinator are marked interrupted');

  const audit = new AuditLog({ store, logger, retention: { days: config.auditRetentionDays, maxRecords: config.auditMaxRecords } });
  let engine: DrillEngine | null = null;
  let faults: ImmediateFaults | null = null;
  const fleet = new Fleet({
    coordinatorId,
    principals,
    logger,
    onRefused: (r) => audit.refused(r.principal ?? null, 'agent.refused', r.agent ?? 'agent link', { code: r.code, message: r.message }),
    commandTimeoutMs: config.commandTimeoutSeconds * 1000,
    // A fault this coordinator placed goes on only while its run (or immediate fault) is alive here.
    ...(config.agentClientCa !== undefined ? { clientCerts: { binding: config.agentCertBinding } } : {}),
    keepFault: (fault) => (fault.labels?.runId !== undefined ? (engine?.isActive(fault.labels.runId) ?? false) : (faults?.owns(fault) ?? false)),
  });
  const metrics = createCoordinatorMetrics(deps.registry ?? new Registry(), () => {
    const counts = new Map<string, number>();
    for (const a of fleet.agents()) counts.set(a.cluster, (counts.get(a.cluster) ?? 0) + 1);
    return counts;
  });
  const jq = new JqPool({ size: 1 });
  // Filters from requests are compile-checked apart from the probes' pool, bounded: jq folds constant expressions
  // when it compiles, so `"x" * 2e8` costs seconds and 200 MB before any input. A worker that grew is replaced.
  const jqCheck = new JqPool({ size: 1, evalTimeoutMs: 500, resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 }, maxWasmBytes: 32 * 1024 * 1024 });
  const probePolicy = new ProbePolicy({ allow: config.probeAllow });
  const kube = kubeConnections(config);
  const probes = new ProbeRunner({ jq, policy: probePolicy, ...(kube !== undefined ? { kube } : {}) });
  engine = new DrillEngine({ fleet, store, probes, logger, metrics });
  // Stored drills' series start at 0 from the first scrape (a drill stored by an older version may no longer parse).
  for (const stored of store.listDrills()) {
    const parsed = drillSchema.safeParse(stored.spec);
    if (parsed.success) engine.knowDrill(parsed.data);
  }
  faults = new ImmediateFaults(fleet);
  const app = createCoordinatorApi({ coordinatorId, fleet, store, engine, faults, registry: metrics.registry, principals, logger, audit, probePolicy, ...(kube !== undefined ? { kube } : {}), jqCheck, rateLimitPerSecond: config.rateLimit });

  const tls = config.tlsCert !== undefined && config.tlsKey !== undefined;
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve(
      {
        fetch: app.fetch,
        hostname: host,
        port,
        serverOptions: { ...SLOW_CLIENT_LIMITS, ...(tls ? tlsServerOptions(config) : {}) },
        ...(tls ? { createServer: createHttpsServer } : {}),
      },
      () => resolve(s as Server),
    ) as Server;
    s.once('error', reject);
  });
  server.on('upgrade', (req, socket, head) => fleet.handleUpgrade(req, socket, head));
  // A client that fails the handshake (plain ws:// or http:// on the TLS port, a protocol or cipher mismatch) is
  // told nothing by TLS itself: the coordinator says why, once a minute per address at most.
  if (tls) server.on('tlsClientError', tlsClientErrorLogger(logger));
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${tls ? 'https' : 'http'}://${hostPart}:${address.port}`;
  const linkUrl = `${tls ? 'wss' : 'ws'}://${hostPart}:${address.port}`;
  logger.info({ url, coordinatorId, version: VERSION, dataDir: config.dataDir }, 'eris-coordinator listening');

  let closed = false;
  return {
    url,
    linkUrl,
    coordinatorId,
    generatedTokenPath,
    fleet,
    engine,
    store,
    metrics,
    async close() {
      if (closed) return;
      closed = true;
      await engine!.shutdown();
      fleet.close();
      await jq.close();
      await jqCheck.close();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
    },
  };
}
