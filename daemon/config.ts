// The agent's configuration: one typed schema, each field with its flag, env var, default and doc; validated once at start.
import { hostname } from 'node:os';
import { z } from 'zod';
import { hostPortSchema, parseConfigOrThrow } from '../lib/validation.js';
import { ConfigError } from '../lib/errors.js';
import { checkCertificates, checkKeyPair } from '../lib/tls/pem-files.js';
import { MAX_TIMER_SECONDS } from '../lib/timers.js';
import { DEFAULT_LEASE_MAX_SECONDS } from './faults/lease-bounds.js';

export interface OptionDoc {
  /** Key in AgentConfig. */
  key: keyof AgentConfigInput;
  flag: string;
  env: string;
  doc: string;
}

/** Flags and env vars of `eris agent`; the CLI builds its --help from this table. */
export const AGENT_OPTIONS: readonly OptionDoc[] = [
  { key: 'listen', flag: '--listen <host:port>', env: 'ERIS_AGENT_LISTEN', doc: 'address of the local HTTP API (default 127.0.0.1:7701)' },
  { key: 'tokenFile', flag: '--token-file <file>', env: 'ERIS_AGENT_TOKEN_FILE', doc: 'bearer tokens, one per line ("name:token" names it in logs)' },
  { key: 'token', flag: '--token <token>', env: 'ERIS_AGENT_TOKEN', doc: 'a bearer token (prefer --token-file; comma-separated for several)' },
  { key: 'stateDir', flag: '--state-dir <dir>', env: 'ERIS_AGENT_STATE_DIR', doc: 'journal and generated token live here (a hostPath in the chart; default /var/lib/eris)' },
  { key: 'criSocket', flag: '--cri-socket <path>', env: 'ERIS_CRI_SOCKET', doc: 'CRI runtime socket (default: auto-detect containerd, then CRI-O)' },
  { key: 'noCri', flag: '--no-cri', env: 'ERIS_NO_CRI', doc: 'do not talk to a container runtime (host mode only)' },
  { key: 'hostProcesses', flag: '--host-processes', env: 'ERIS_HOST_PROCESSES', doc: 'allow plain host processes as targets (by pid or command-line regex; GET /v1/targets?cmdline=RE lists them)' },
  { key: 'nodeName', flag: '--node-name <name>', env: 'ERIS_NODE_NAME', doc: 'node name reported to the coordinator (default: hostname)' },
  { key: 'leaseDefaultSeconds', flag: '--lease-default <seconds>', env: 'ERIS_LEASE_DEFAULT', doc: 'lease of a SIGSTOP fault when the request names none (default 60)' },
  { key: 'leaseMaxSeconds', flag: '--lease-max <seconds>', env: 'ERIS_LEASE_MAX', doc: `longest lease a request may ask for (default ${DEFAULT_LEASE_MAX_SECONDS}; drills are validated against the default)` },
  { key: 'denyNamespaces', flag: '--deny-namespaces <list>', env: 'ERIS_DENY_NAMESPACES', doc: 'comma-separated namespaces never touched without an override (default kube-system)' },
  { key: 'protect', flag: '--protect <list>', env: 'ERIS_PROTECT', doc: 'comma-separated PIDs and executable names eris never signals, with no override (eris itself is always protected)' },
  { key: 'watchdogGraceSeconds', flag: '--watchdog-grace <seconds>', env: 'ERIS_WATCHDOG_GRACE', doc: 'the lease watchdog resumes what a dead agent left stopped at lease + this (default 10)' },
  { key: 'holdRescanMs', flag: '--hold-rescan <ms>', env: 'ERIS_HOLD_RESCAN_MS', doc: 'while a SIGSTOP fault holds a target, stop processes that join it, looking this often (default 50; 0 = off)' },
  { key: 'inventoryIntervalSeconds', flag: '--inventory-interval <seconds>', env: 'ERIS_INVENTORY_INTERVAL', doc: 'how often the CRI inventory is refreshed (default 5)' },
  { key: 'coordinator', flag: '--coordinator <url>', env: 'ERIS_COORDINATOR_URL', doc: 'ws(s)://HOST:PORT of the eris-coordinator to dial out to' },
  { key: 'cluster', flag: '--cluster <name>', env: 'ERIS_CLUSTER', doc: 'cluster name reported to the coordinator (required with --coordinator)' },
  { key: 'zone', flag: '--zone <zone>', env: 'ERIS_ZONE', doc: "topology zone of this node; with an API server (--kube-in-cluster, --kubeconfig) it is read from the Node's topology.kubernetes.io/zone label unless given" },
  { key: 'kubeInCluster', flag: '--kube-in-cluster', env: 'ERIS_KUBE_IN_CLUSTER', doc: "talk to the Kubernetes API server of the pod's service account (this node's zone from its Node, Events on faulted pods)" },
  { key: 'kubeconfig', flag: '--kubeconfig <file>', env: 'ERIS_KUBECONFIG', doc: 'talk to the Kubernetes API server of this kubeconfig (its first context), outside a cluster' },
  { key: 'coordinatorTokenFile', flag: '--coordinator-token-file <file>', env: 'ERIS_COORDINATOR_TOKEN_FILE', doc: 'token for the link (default: the first token of --token-file)' },
  { key: 'coordinatorToken', flag: '--coordinator-token <token>', env: 'ERIS_COORDINATOR_TOKEN', doc: 'token for the link (prefer the file)' },
  { key: 'coordinatorGraceSeconds', flag: '--coordinator-grace <seconds>', env: 'ERIS_COORDINATOR_GRACE', doc: "resume a coordinator's faults when it is gone this long (default 30)" },
  { key: 'coordinatorHeartbeatSeconds', flag: '--coordinator-heartbeat <seconds>', env: 'ERIS_COORDINATOR_HEARTBEAT', doc: 'ping the coordinator this often; 3 missed answers drop the link (default 5)' },
  { key: 'coordinatorInsecure', flag: '--coordinator-insecure', env: 'ERIS_COORDINATOR_INSECURE', doc: "accept a self-signed wss:// certificate (testing only)" },
  { key: 'coordinatorCa', flag: '--coordinator-ca <file>', env: 'ERIS_COORDINATOR_CA', doc: "PEM CA bundle that signed the coordinator's wss:// certificate (default: the system's CAs)" },
  { key: 'linkCert', flag: '--link-cert <file>', env: 'ERIS_LINK_CERT', doc: "PEM client certificate the agent presents on the wss:// link (mTLS; with --link-key)" },
  { key: 'linkKey', flag: '--link-key <file>', env: 'ERIS_LINK_KEY', doc: 'PEM private key of --link-cert' },
  { key: 'logLevel', flag: '--log-level <level>', env: 'ERIS_LOG_LEVEL', doc: 'trace|debug|info|warn|error|silent (default info)' },
  { key: 'logFormat', flag: '--log-format <format>', env: 'ERIS_LOG_FORMAT', doc: 'pretty|json (default pretty when stdout is a terminal, json otherwise)' },
  { key: 'procRoot', flag: '--proc-root <dir>', env: 'ERIS_PROC_ROOT', doc: "the host's /proc (default /proc; the DaemonSet runs with hostPID)" },
  { key: 'cgroupRoot', flag: '--cgroup-root <dir>', env: 'ERIS_CGROUP_ROOT', doc: "the host's cgroup mount (default /sys/fs/cgroup; e.g. /host/sys/fs/cgroup in a pod)" },
] as const;


/** A --protect entry: a PID, or an executable name as /proc shows it (a basename: no slash, space or comma). */
const PROTECT_ENTRY = /^(?:\d{1,10}|[^\s/,]{1,255})$/;

const boolish = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);
// Every duration below arms a timer: above MAX_TIMER_SECONDS (~24.8 days) setTimeout would fire at once.
const seconds = z.coerce
  .number()
  .positive()
  .max(MAX_TIMER_SECONDS, `must be at most ${MAX_TIMER_SECONDS} seconds (~24.8 days, the longest timer Node can arm)`);

export const agentConfigSchema = z
  .object({
    listen: hostPortSchema.default('127.0.0.1:7701'),
    tokenFile: z.string().min(1).optional(),
    token: z.string().min(1).optional(),
    stateDir: z.string().min(1).default('/var/lib/eris'),
    criSocket: z.string().min(1).optional(),
    noCri: boolish.default(false),
    hostProcesses: boolish.default(false),
    nodeName: z.string().min(1).default(hostname()),
    leaseDefaultSeconds: seconds.default(60),
    leaseMaxSeconds: seconds.default(DEFAULT_LEASE_MAX_SECONDS),
    denyNamespaces: z
      .union([z.string(), z.array(z.string())])
      .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s !== ''))
      .default(['kube-system']),
    /** PIDs and executable names (basename of argv[0], or comm) never signalled; no override. */
    protect: z
      .union([z.string(), z.array(z.union([z.string(), z.number()]))])
      .transform((v) => (Array.isArray(v) ? v.map(String) : v.split(',')).map((s) => s.trim()).filter((s) => s !== ''))
      .pipe(
        z.array(
          z.string().refine((e) => PROTECT_ENTRY.test(e) && e !== '0', {
            error: (issue) => `${JSON.stringify(issue.input)} is neither a PID nor an executable name (no spaces, slashes or commas)`,
          }),
        ),
      )
      .transform((entries) => ({
        pids: entries.filter((e) => /^\d+$/.test(e)).map(Number),
        names: entries.filter((e) => !/^\d+$/.test(e)),
      }))
      .default({ pids: [], names: [] }),
    /** Seconds after a lease's end at which the detached watchdog resumes it, if the agent did not (daemon/watchdog). */
    watchdogGraceSeconds: seconds.default(10),
    /** Milliseconds between re-scans of held targets for processes that joined them (an exec, a fork); 0 = off. */
    holdRescanMs: z.coerce.number().int().min(0).max(60_000).default(50),
    inventoryIntervalSeconds: seconds.default(5),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    logFormat: z.enum(['pretty', 'json']).optional(),
    coordinator: z.string().regex(/^wss?:\/\/[^\s/]+\/?$/, 'must be ws://HOST:PORT or wss://HOST:PORT').optional(),
    cluster: z.string().regex(/^[a-zA-Z0-9]([-a-zA-Z0-9_.]{0,61}[a-zA-Z0-9])?$/, 'must be a name (letters, digits, -, _, .)').optional(),
    zone: z.string().min(1).optional(),
    kubeInCluster: boolish.default(false),
    kubeconfig: z.string().min(1).optional(),
    coordinatorTokenFile: z.string().min(1).optional(),
    coordinatorToken: z.string().min(1).optional(),
    coordinatorGraceSeconds: seconds.default(30),
    coordinatorHeartbeatSeconds: seconds.default(5),
    coordinatorInsecure: boolish.default(false),
    coordinatorCa: z.string().min(1).optional(),
    linkCert: z.string().min(1).optional(),
    linkKey: z.string().min(1).optional(),
    procRoot: z.string().default('/proc'),
    cgroupRoot: z.string().default('/sys/fs/cgroup'),
  })
  .strict();

export type AgentConfigInput = z.input<typeof agentConfigSchema>;
export type AgentConfig = z.output<typeof agentConfigSchema>;

/** Merges env (lowest), then explicit options (highest), then validates. Contradictions are errors, not guesses. */
export function loadAgentConfig(options: Partial<Record<keyof AgentConfigInput, unknown>>, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const merged: Record<string, unknown> = {};
  for (const { key, env: name } of AGENT_OPTIONS) {
    if (env[name] !== undefined && env[name] !== '') merged[key] = env[name];
  }
  for (const [key, value] of Object.entries(options)) if (value !== undefined) merged[key] = value;
  const config = parseConfigOrThrow(agentConfigSchema, merged);
  if (config.leaseDefaultSeconds > config.leaseMaxSeconds) {
    throw new ConfigError(`leaseDefaultSeconds: ${config.leaseDefaultSeconds} is above leaseMaxSeconds ${config.leaseMaxSeconds}`, {
      path: 'leaseDefaultSeconds',
    });
  }
  if (config.noCri && config.criSocket !== undefined) {
    throw new ConfigError('criSocket: cannot be set together with noCri', { path: 'criSocket' });
  }
  if (config.noCri && !config.hostProcesses) {
    throw new ConfigError('noCri: without a runtime the agent needs hostProcesses, or it has nothing to target', { path: 'noCri' });
  }
  if (config.coordinator !== undefined && config.cluster === undefined) {
    throw new ConfigError('cluster: required with coordinator (every target is addressed as cluster/node/…)', { path: 'cluster' });
  }
  if (config.coordinator !== undefined && config.coordinatorTokenFile === undefined && config.coordinatorToken === undefined && config.tokenFile === undefined && config.token === undefined) {
    throw new ConfigError('coordinatorTokenFile: the link to the coordinator needs a token (or --token-file, whose first token it uses)', { path: 'coordinatorTokenFile' });
  }
  if (config.kubeInCluster && config.kubeconfig !== undefined) {
    throw new ConfigError('kubeconfig: --kubeconfig and --kube-in-cluster both name an API server; keep one', { path: 'kubeconfig' });
  }
  checkLinkTls(config);
  return config;
}

/** The link's TLS flags: each needs a wss:// coordinator, cert and key go together and match, files are read now. */
function checkLinkTls(config: AgentConfig): void {
  const given = (['coordinatorCa', 'linkCert', 'linkKey'] as const).filter((k) => config[k] !== undefined);
  const flags = { coordinatorCa: '--coordinator-ca', linkCert: '--link-cert', linkKey: '--link-key' } as const;
  for (const key of given) {
    if (config.coordinator === undefined || !config.coordinator.startsWith('wss://')) {
      throw new ConfigError(`${key}: ${flags[key]} needs a TLS link (--coordinator wss://HOST:PORT)${config.coordinator === undefined ? '' : `, not ${config.coordinator}`}`, { path: key });
    }
  }
  if (config.coordinatorCa !== undefined && config.coordinatorInsecure) {
    throw new ConfigError('coordinatorCa: --coordinator-ca and --coordinator-insecure contradict each other (verify against the CA, or not at all)', { path: 'coordinatorCa' });
  }
  if ((config.linkCert === undefined) !== (config.linkKey === undefined)) {
    const missing = config.linkCert === undefined ? 'linkCert' : 'linkKey';
    throw new ConfigError(`${missing}: --link-cert and --link-key go together`, { path: missing });
  }
  if (config.coordinatorCa !== undefined) checkCertificates(config.coordinatorCa, 'coordinatorCa', '--coordinator-ca');
  if (config.linkCert !== undefined && config.linkKey !== undefined) {
    checkKeyPair({ path: config.linkCert, key: 'linkCert', flag: '--link-cert' }, { path: config.linkKey, key: 'linkKey', flag: '--link-key' });
  }
}

export function splitHostPort(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

