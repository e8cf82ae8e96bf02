// The coordinator's configuration: one typed schema, flag + env + default + doc per field, validated once.
import { kubeConnections } from './probes/kube-connections.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { hostPortSchema, parseConfigOrThrow } from '../lib/validation.js';
import { ConfigError } from '../lib/errors.js';
import type { OptionDoc } from '../daemon/config.js';
import { ProbePolicy } from './probes/policy.js';
import { AGENT_CERT_BINDINGS } from './fleet/client-cert.js';
import { checkCertificates, checkKeyPair } from '../lib/tls/pem-files.js';

export const COORDINATOR_OPTIONS = [
  { key: 'listen', flag: '--listen <host:port>', env: 'ERIS_COORDINATOR_LISTEN', doc: 'address of the API and the agent link (default 0.0.0.0:7700)' },
  { key: 'tokensFile', flag: '--tokens-file <file>', env: 'ERIS_COORDINATOR_TOKENS_FILE', doc: 'tokens with roles (agent, operator, viewer) and scopes, YAML or JSON (docs/security.md)' },
  { key: 'tokenFile', flag: '--token-file <file>', env: 'ERIS_COORDINATOR_TOKEN_FILE', doc: 'legacy: tokens without roles, one per line ("name:token"); each may operate and register any agent' },
  { key: 'token', flag: '--token <token>', env: 'ERIS_COORDINATOR_TOKEN', doc: 'legacy: a token without a role (operator and agent); comma-separated for several' },
  { key: 'dataDir', flag: '--data-dir <dir>', env: 'ERIS_DATA_DIR', doc: 'SQLite store, coordinator id, generated token (default /var/lib/eris-coordinator as root, else $XDG_STATE_HOME/eris-coordinator or ~/.local/state/eris-coordinator)' },
  { key: 'tlsCert', flag: '--tls-cert <file>', env: 'ERIS_TLS_CERT', doc: 'PEM certificate: serve HTTPS and wss:// (with --tls-key)' },
  { key: 'tlsKey', flag: '--tls-key <file>', env: 'ERIS_TLS_KEY', doc: 'PEM private key for --tls-cert' },
  { key: 'agentClientCa', flag: '--agent-client-ca <file>', env: 'ERIS_AGENT_CLIENT_CA', doc: 'PEM CA bundle: agents must present a client certificate it signed (mTLS on the agent link; needs --tls-cert)' },
  { key: 'agentCertBinding', flag: '--agent-cert-binding <mode>', env: 'ERIS_AGENT_CERT_BINDING', doc: 'node (default): a client certificate registers only the CLUSTER/NODE its CN or URI SAN eris-agent://CLUSTER/NODE names (CLUSTER/* = any node); off: any certificate the CA signed' },
  { key: 'commandTimeoutSeconds', flag: '--command-timeout <seconds>', env: 'ERIS_COMMAND_TIMEOUT', doc: 'how long an agent may take to answer a command (default 15)' },
  { key: 'probeAllow', flag: '--probe-allow <list>', env: 'ERIS_PROBE_ALLOW', doc: 'probe destinations refused by default that probes may reach: CIDRs, addresses, host names, loopback, link-local (comma-separated)' },
  { key: 'kubeconfig', flag: '--kubeconfig <path>', env: 'ERIS_KUBECONFIG', doc: 'API servers for kubernetes probes: a kubeconfig whose context names are eris cluster names (token, client certificate or CA; no exec plugins)' },
  { key: 'kubeInCluster', flag: '--kube-in-cluster <cluster>', env: 'ERIS_KUBE_IN_CLUSTER', doc: 'in a pod: the eris cluster name of this pod\'s own API server, reached with the service-account token (re-read as it rotates), ca.crt and KUBERNETES_SERVICE_HOST/PORT' },
  { key: 'rateLimit', flag: '--rate-limit <n>', env: 'ERIS_RATE_LIMIT', doc: 'requests a second each token may sustain (burst twice that); resumes and aborts are never limited; 0 = off (default 200)' },
  { key: 'auditRetentionDays', flag: '--audit-retention-days <days>', env: 'ERIS_AUDIT_RETENTION_DAYS', doc: 'audit records older than this are deleted; 0 = kept forever (default 90)' },
  { key: 'auditMaxRecords', flag: '--audit-max-records <n>', env: 'ERIS_AUDIT_MAX_RECORDS', doc: 'beyond this many audit records the oldest are deleted; 0 = no bound (default 1000000)' },
  { key: 'logLevel', flag: '--log-level <level>', env: 'ERIS_LOG_LEVEL', doc: 'trace|debug|info|warn|error|silent (default info)' },
  { key: 'logFormat', flag: '--log-format <format>', env: 'ERIS_LOG_FORMAT', doc: 'pretty|json (default pretty when stdout is a terminal, json otherwise)' },
] as const satisfies readonly (Omit<OptionDoc, 'key'> & { key: string })[];


export const coordinatorConfigSchema = z
  .object({
    listen: hostPortSchema.default('0.0.0.0:7700'),
    tokensFile: z.string().min(1).optional(),
    tokenFile: z.string().min(1).optional(),
    token: z.string().min(1).optional(),
    /** Defaulted in loadCoordinatorConfig from the user and environment (defaultDataDir). */
    dataDir: z.string().min(1),
    tlsCert: z.string().min(1).optional(),
    tlsKey: z.string().min(1).optional(),
    agentClientCa: z.string().min(1).optional(),
    agentCertBinding: z.enum(AGENT_CERT_BINDINGS).default('node'),
    commandTimeoutSeconds: z.coerce.number().positive().default(15),
    /** Refused by default: loopback, link-local, cloud metadata, unspecified (coordinator/probes/policy.ts). */
    probeAllow: z
      .union([z.string(), z.array(z.string())])
      .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s !== ''))
      .default([]),
    /** Kubernetes probes' API servers (coordinator/probes/kubeconfig.ts), one context per eris cluster. */
    kubeconfig: z.string().min(1).optional(),
    /** The eris cluster whose API server is the pod's own (coordinator/probes/in-cluster.ts). */
    kubeInCluster: z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/, 'must be an eris cluster name (letters, digits, . _ -)').optional(),
    rateLimit: z.coerce.number().min(0).max(1_000_000).default(200),
    /** The audit trail's bound (coordinator/audit/audit-log.ts): by age and by count; 0 turns that bound off. */
    auditRetentionDays: z.coerce.number().min(0).max(36_500, 'must be at most 36500 (100 years); 0 keeps records forever').default(90),
    auditMaxRecords: z.coerce.number().int().min(0).max(1_000_000_000).refine((n) => n === 0 || n >= 1000, 'must be 0 (no bound) or at least 1000').default(1_000_000),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    logFormat: z.enum(['pretty', 'json']).optional(),
    /** ':memory:' keeps nothing (tests, demo); otherwise DATA_DIR/eris.db. */
    storePath: z.string().optional(),
  })
  .strict();

export type CoordinatorConfig = z.output<typeof coordinatorConfigSchema>;

/**
 * Where the coordinator keeps its state when --data-dir is not given: beside the agent's /var/lib/eris as root (a
 * separate folder: one host may run both), else the XDG state folder (a user's start never litters the current folder).
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0, home: () => string = homedir): string {
  if (uid === 0) return '/var/lib/eris-coordinator';
  // XDG Base Directory: a relative $XDG_STATE_HOME is invalid and ignored.
  const state = env.XDG_STATE_HOME?.startsWith('/') ? env.XDG_STATE_HOME : join(env.HOME || home(), '.local', 'state');
  return join(state, 'eris-coordinator');
}

export function loadCoordinatorConfig(options: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): CoordinatorConfig {
  const merged: Record<string, unknown> = {};
  for (const { key, env: name } of COORDINATOR_OPTIONS) if (env[name] !== undefined && env[name] !== '') merged[key] = env[name];
  for (const [key, value] of Object.entries(options)) if (value !== undefined) merged[key] = value;
  merged.dataDir ??= defaultDataDir(env);
  const config = parseConfigOrThrow(coordinatorConfigSchema, merged);
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw new ConfigError(`${config.tlsCert === undefined ? 'tlsCert' : 'tlsKey'}: --tls-cert and --tls-key go together`, { path: config.tlsCert === undefined ? 'tlsCert' : 'tlsKey' });
  }
  if (config.tlsCert !== undefined && config.tlsKey !== undefined) {
    checkKeyPair({ path: config.tlsCert, key: 'tlsCert', flag: '--tls-cert' }, { path: config.tlsKey, key: 'tlsKey', flag: '--tls-key' });
  }
  if (config.agentClientCa !== undefined) {
    if (config.tlsCert === undefined) {
      throw new ConfigError('agentClientCa: --agent-client-ca needs --tls-cert and --tls-key (client certificates travel over TLS only)', { path: 'agentClientCa' });
    }
    checkCertificates(config.agentClientCa, 'agentClientCa', '--agent-client-ca');
  }
  // The allow list is checked here, once, so a bad entry stops the start with its index named.
  new ProbePolicy({ allow: config.probeAllow });
  // Read once here too, so a missing file, an exec plugin, a context without a server or an in-cluster mount that is
  // not there stops the start.
  kubeConnections(config);
  return config;
}
