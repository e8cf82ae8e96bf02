// Assembles an eris-agent from its config: runtime client, inventory, proc readers, fault manager, HTTP API.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import type { Logger } from '../lib/logger.js';
import { ConfigError } from '../lib/errors.js';
import { firstSecret, serverTokens } from '../lib/auth.js';
import { VERSION } from '../lib/version.js';
import { splitHostPort, type AgentConfig } from './config.js';
import { createAgentMetrics, zeroCriSeries, type AgentMetrics } from './metrics.js';
import { registerAgentStateGauges } from './metrics-state.js';
import { createCriClient, detectCriSocket, type RuntimeClient } from './cri/client.js';
import { Inventory } from './cri/inventory.js';
import { ProcFs } from './proc/procfs.js';
import { CgroupResolver } from './proc/cgroup.js';
import { Signaller } from './proc/signal.js';
import { CgroupFreezer } from './proc/freezer.js';
import { loadPidfd } from '../native/pidfd.js';
import { Journal } from './faults/journal.js';
import { SafetyPolicy } from './faults/safety.js';
import { TargetResolver } from './faults/resolve.js';
import { FaultManager } from './faults/manager.js';
import { createAgentApi } from './api/app.js';
import type { CoordinatorLink } from './link/client.js';
import { listHostProcesses } from './proc/host-processes.js';
import { WatchdogProcess, standDownPrevious } from './watchdog/client.js';
import type { NodeTopology } from './kube/topology.js';

export interface Agent {
  url: string;
  /** The bearer token to use when the agent generated its own (no token configured). */
  generatedTokenPath: string | null;
  faults: FaultManager;
  inventory: Inventory | null;
  metrics: AgentMetrics;
  config: AgentConfig;
  link: CoordinatorLink | null;
  /** Resumes every active fault, then stops serving. Safe to call twice. */
  close(reason?: 'shutdown'): Promise<void>;
}

export async function startAgent(config: AgentConfig, deps: { logger: Logger; registry?: Registry }): Promise<Agent> {
  const { logger } = deps;
  const metrics = createAgentMetrics(deps.registry ?? new Registry(), { node: config.nodeName, ...(config.cluster !== undefined ? { cluster: config.cluster } : {}) });
  const listen = splitHostPort(config.listen);
  const { tokens, host, generatedTokenPath } = serverTokens(
    { tokenFile: config.tokenFile, token: config.token, dir: config.stateDir, generatedName: 'agent.token', host: listen.host },
    (details, message) => logger.warn(details, message),
  );
  const port = listen.port;

  const procfs = new ProcFs(config.procRoot);
  const cgroups = new CgroupResolver({ procRoot: config.procRoot, cgroupRoot: config.cgroupRoot });
  const pidfd = loadPidfd();
  if (pidfd === null) logger.warn('pidfd_open is not available: falling back to identity re-check + kill(2)');
  const signaller = new Signaller({ procfs, pidfd });
  const safety = new SafetyPolicy({ procfs, denyNamespaces: config.denyNamespaces, protect: config.protect });

  let cri: RuntimeClient | null = null;
  let runtime: string | null = null;
  if (!config.noCri) {
    const socket = config.criSocket ?? detectCriSocket();
    if (socket === null) {
      if (!config.hostProcesses) throw new ConfigError('criSocket: no CRI socket found (containerd, CRI-O); pass --cri-socket or use --host-processes --no-cri', { path: 'criSocket' });
      logger.warn('no CRI socket found: host processes only');
    } else {
      zeroCriSeries(metrics);
      cri = createCriClient({
        socketPath: socket,
        timeoutMs: 5000,
        logger,
        onCall: (method, seconds, ok) => metrics.criCallDuration.observe({ method, result: ok ? 'ok' : 'error' }, seconds),
      });
      const version = await cri.version();
      runtime = `${version.runtimeName} ${version.runtimeVersion}`;
      logger.info({ socket, runtime, api: version.runtimeApiVersion }, 'connected to the container runtime');
    }
  }

  const inventory = cri === null ? null : new Inventory(cri, { logger });
  if (inventory !== null) {
    inventory.onChange(() => metrics.targetsKnown.set({ kind: 'container' }, inventory.list().length));
    await inventory.refresh();
    metrics.targetsKnown.set({ kind: 'container' }, inventory.list().length);
    inventory.start(config.inventoryIntervalSeconds * 1000);
  }

  const journal = new Journal(config.stateDir, { logger });
  // Started once the journal is recovered (below); the manager tells it every hold from then on.
  let watchdog: WatchdogProcess | null = null;
  // Host selections never match eris itself (agent, coordinator, CLI) nor the agent's chain.
  const isExcludedFromSelection = (pid: number) => safety.isExcludedFromSelection(pid);
  const resolver = new TargetResolver({ containers: inventory, procfs, cgroups, hostProcesses: config.hostProcesses, isExcludedFromSelection });
  const faults = new FaultManager({
    resolver,
    signaller,
    procfs,
    journal,
    safety,
    metrics,
    logger,
    leaseDefaultSeconds: config.leaseDefaultSeconds,
    leaseMaxSeconds: config.leaseMaxSeconds,
    holdRescanMs: config.holdRescanMs,
    watchdog: { hold: (...a) => watchdog?.hold(...a), release: (id) => watchdog?.release(id), close: () => watchdog?.close() },
    freezer: new CgroupFreezer({ procfs, cgroupRoot: config.cgroupRoot }),
  });
  const kube = config.kubeInCluster || config.kubeconfig !== undefined ? await startKube(config, faults, metrics, logger) : null;
  const recovered = faults.recoverFromJournal();
  if (recovered.faults > 0) logger.warn(recovered, 'resumed processes left stopped by an earlier run');
  // What an earlier run held is resumed now: its watchdog must not resume, later, what this run stops again.
  standDownPrevious(config.stateDir, signaller, logger);
  watchdog = new WatchdogProcess({
    stateDir: config.stateDir,
    graceMs: config.watchdogGraceSeconds * 1000,
    cgroupRoot: config.cgroupRoot,
    procfs,
    logger,
    onRestart: () => faults.reHoldWithWatchdog(),
  });

  const app = createAgentApi({
    faults,
    containers: inventory,
    procfs,
    cgroups,
    registry: metrics.registry,
    tokens,
    logger,
    hostProcesses: config.hostProcesses,
    isExcludedFromSelection,
    info: { node: config.nodeName, version: VERSION, runtime },
  });

  const server: Server = await app.listen(host, port);
  let link: CoordinatorLink | null = null;
  if (config.coordinator !== undefined) {
    // Loaded only when linked: the link (and `ws`) is memory an unlinked agent does not need.
    const { CoordinatorLink } = await import('./link/client.js');
    link = new CoordinatorLink({
      url: config.coordinator,
      token: linkToken(config),
      cluster: config.cluster!,
      node: config.nodeName,
      zone: config.zone ?? kube?.topology?.zone ?? null,
      version: VERSION,
      runtime,
      hostProcesses: config.hostProcesses,
      faults,
      inventory,
      listProcesses: (pattern) => listHostProcesses(procfs, pattern, isExcludedFromSelection),
      processState: ({ pid, startTime }) => {
        const stat = procfs.stat(pid);
        return stat !== null && stat.startTime === startTime ? stat.state : null;
      },
      logger,
      graceMs: config.coordinatorGraceSeconds * 1000,
      heartbeatMs: config.coordinatorHeartbeatSeconds * 1000,
      insecureSkipVerify: config.coordinatorInsecure,
      tls: {
        ...(config.coordinatorCa !== undefined ? { caFile: config.coordinatorCa } : {}),
        ...(config.linkCert !== undefined && config.linkKey !== undefined ? { certFile: config.linkCert, keyFile: config.linkKey } : {}),
      },
    });
    link.start();
  }
  registerAgentStateGauges(metrics.registry, {
    leaseEnds: () => faults.active().flatMap((f) => (f.leaseExpiresAt === undefined ? [] : [f.leaseExpiresAt])),
    heldProcesses: () => faults.active().reduce((n, f) => n + f.targets.reduce((m, t) => m + t.processes.filter((p) => p.ok && p.resume === undefined).length, 0), 0),
    linkConnected: () => (link === null ? null : link.connected),
  });

  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url, node: config.nodeName, hostProcesses: config.hostProcesses, denyNamespaces: config.denyNamespaces }, 'eris-agent listening');

  let closed = false;
  return {
    url,
    generatedTokenPath,
    faults,
    inventory,
    metrics,
    config,
    link,
    async close() {
      if (closed) return;
      closed = true;
      link?.stop();
      const resumed = faults.resumeAll('shutdown');
      if (resumed.length > 0) logger.info({ faults: resumed.length }, 'resumed every active fault before exit');
      faults.close();
      watchdog?.close();
      inventory?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      cri?.close();
    },
  };
}

/**
 * What the agent takes from the Kubernetes API (daemon/kube/), imported only when an API server is configured:
 * Events on faulted pods, and this node's zone and region from its Node (unless --zone names the zone).
 */
async function startKube(config: AgentConfig, faults: FaultManager, metrics: AgentMetrics, logger: Logger): Promise<{ topology: NodeTopology | null }> {
  const [{ agentKubeConnection }, { KubeEventRecorder }, { readNodeTopology }] = await Promise.all([import('./kube/connection.js'), import('./kube/events.js'), import('./kube/topology.js')]);
  const kube = agentKubeConnection(config)!;
  const recorder = new KubeEventRecorder({ kube, node: config.nodeName, logger, registry: metrics.registry });
  faults.onChange(recorder.onFault);
  logger.info({ server: kube.server }, 'recording Kubernetes Events on faulted pods');
  if (config.zone !== undefined) return { topology: null };
  const topology = await readNodeTopology(kube, config.nodeName, logger);
  if (topology !== null) logger.info({ node: config.nodeName, ...topology }, "this node's zone and region, from its Node");
  return { topology };
}

function linkToken(config: AgentConfig): string {
  if (config.coordinatorToken !== undefined) return config.coordinatorToken;
  if (config.coordinatorTokenFile !== undefined) return firstSecret(config.coordinatorTokenFile);
  if (config.tokenFile !== undefined) return firstSecret(config.tokenFile);
  // --token may hold several, comma-separated, each maybe "name:secret".
  const first = config.token!.split(',')[0]!.trim();
  const m = /^([A-Za-z0-9_.-]{1,64}):(.+)$/.exec(first);
  return m ? m[2]! : first;
}
