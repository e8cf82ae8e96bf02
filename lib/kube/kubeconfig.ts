// The coordinator's --kubeconfig: one API server connection per context, the context named after an eris cluster.
// Read with the `yaml` dependency (token, client cert/key, CA; inline `-data` or file fields); exec and auth-provider
// plugins are refused — see coordinator/probes/README.md "Kubernetes probes" for why not @kubernetes/client-node.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../errors.js';

export interface KubeConnection {
  /** The context's name = the eris cluster it serves. */
  readonly context: string;
  /** https://host:port[/prefix] */
  readonly server: string;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly token?: string;
  /** Read on every request instead of `token` (in-cluster.ts: projected service-account tokens rotate). */
  readonly tokenFile?: string;
  readonly insecureSkipVerify: boolean;
}

type Named = { name?: unknown; [k: string]: unknown };

/** Every context of the file, by name. Throws a ConfigError naming `kubeconfig` and the entry for what it cannot use. */
export function loadKubeconfig(path: string): Map<string, KubeConnection> {
  const fail = (message: string): never => {
    throw new ConfigError(`kubeconfig: ${path}: ${message}`, { path: 'kubeconfig' });
  };
  let doc: Record<string, unknown>;
  try {
    doc = (parse(readFileSync(path, 'utf8')) ?? {}) as Record<string, unknown>;
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
  const base = dirname(resolve(path));
  const list = (key: string): Named[] => (Array.isArray(doc[key]) ? (doc[key] as Named[]) : []);
  const byName = (key: string, name: unknown, inner: string) => list(key).find((e) => e.name === name)?.[inner] as Record<string, unknown> | undefined;
  // `x-data` is base64 inline; `x` is a file path relative to the kubeconfig (as kubectl resolves it).
  const material = (entry: Record<string, unknown>, field: string, where: string): Buffer | undefined => {
    const data = entry[`${field}-data`];
    if (typeof data === 'string') return Buffer.from(data, 'base64');
    const file = entry[field];
    if (typeof file !== 'string') return undefined;
    try {
      return readFileSync(resolve(base, file));
    } catch (error) {
      return fail(`${where}.${field}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const out = new Map<string, KubeConnection>();
  list('contexts').forEach((entry, i) => {
    const name = entry.name;
    const context = entry.context as Record<string, unknown> | undefined;
    if (typeof name !== 'string' || context === undefined) return fail(`contexts[${i}]: needs a name and a context`);
    const cluster = byName('clusters', context.cluster, 'cluster');
    if (cluster === undefined || typeof cluster.server !== 'string') return fail(`context "${name}": no cluster "${String(context.cluster)}" with a server`);
    const user = byName('users', context.user, 'user') ?? {};
    const where = `context "${name}"`;
    if (user.exec !== undefined || user['auth-provider'] !== undefined) {
      return fail(`${where}: user "${String(context.user)}" authenticates with an exec or auth-provider plugin, which eris does not run; give it a token or a client certificate`);
    }
    const token = typeof user.token === 'string' ? user.token : undefined;
    // A tokenFile is read now (to fail at start) and again on every request (connectionToken): it may be rotated.
    const tokenFile = token === undefined && typeof user.tokenFile === 'string' ? resolve(base, user.tokenFile) : undefined;
    if (tokenFile !== undefined) material({ f: tokenFile }, 'f', `${where}.user.tokenFile`);
    const cert = material(user, 'client-certificate', `${where}.user`);
    const key = material(user, 'client-key', `${where}.user`);
    if ((cert === undefined) !== (key === undefined)) fail(`${where}: client-certificate and client-key go together`);
    const ca = material(cluster, 'certificate-authority', `${where}.cluster`);
    out.set(name, {
      context: name,
      server: cluster.server.replace(/\/+$/, ''),
      insecureSkipVerify: cluster['insecure-skip-tls-verify'] === true,
      ...(ca !== undefined ? { ca } : {}),
      ...(cert !== undefined && key !== undefined ? { cert, key } : {}),
      ...(token !== undefined ? { token } : {}),
      ...(tokenFile !== undefined ? { tokenFile } : {}),
    });
  });
  if (out.size === 0) fail('no contexts');
  return out;
}
