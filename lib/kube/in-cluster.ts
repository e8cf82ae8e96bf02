// `--kube-in-cluster NAME`: the API server of the pod the coordinator runs in, as the eris cluster NAME, from the
// service-account mount (token, ca.crt) and KUBERNETES_SERVICE_HOST/PORT, the way client-go's InClusterConfig does.
// The token is a file path, not a value: projected tokens expire and the kubelet rewrites the file, so every request
// reads it again (a few hundred bytes from tmpfs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import type { KubeConnection } from './kubeconfig.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Test seam (documented in README.md): where token and ca.crt are read instead of SERVICE_ACCOUNT_DIR. */
export const SERVICE_ACCOUNT_DIR_ENV = 'ERIS_KUBE_SERVICE_ACCOUNT_DIR';

/** The connection for `cluster`; a ConfigError naming --kube-in-cluster for anything missing. */
export function inClusterConnection(cluster: string, env: NodeJS.ProcessEnv = process.env): KubeConnection {
  const fail = (message: string): never => {
    throw new ConfigError(`kubeInCluster: ${cluster}: ${message}`, { path: 'kubeInCluster' });
  };
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) return fail('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not running in a pod?)');
  if (!/^\d{1,5}$/.test(port)) return fail(`KUBERNETES_SERVICE_PORT "${port}" is not a port`);
  const dir = env[SERVICE_ACCOUNT_DIR_ENV] || SERVICE_ACCOUNT_DIR;
  const tokenFile = join(dir, 'token');
  const read = (file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      return fail(`${error instanceof Error ? error.message : String(error)} (is a service-account token mounted? automountServiceAccountToken)`);
    }
  };
  if (read(tokenFile).toString('utf8').trim() === '') fail(`${tokenFile} is empty`);
  const ca = read(join(dir, 'ca.crt'));
  return { context: cluster, server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, ca, tokenFile, insecureSkipVerify: false };
}

/** The bearer token of a connection: read from its tokenFile now (it may have rotated), else the fixed one. */
export function connectionToken(kube: KubeConnection): string | undefined {
  if (kube.tokenFile === undefined) return kube.token;
  return readFileSync(kube.tokenFile, 'utf8').trim();
}
