// Every API server kubernetes probes may use, by eris cluster: the --kubeconfig contexts plus the --kube-in-cluster one.
import { ConfigError } from '../../lib/errors.js';
import { inClusterConnection } from '../../lib/kube/in-cluster.js';
import { loadKubeconfig, type KubeConnection } from '../../lib/kube/kubeconfig.js';

export function kubeConnections(o: { kubeconfig?: string; kubeInCluster?: string }, env: NodeJS.ProcessEnv = process.env): Map<string, KubeConnection> | undefined {
  if (o.kubeconfig === undefined && o.kubeInCluster === undefined) return undefined;
  const out = o.kubeconfig !== undefined ? loadKubeconfig(o.kubeconfig) : new Map<string, KubeConnection>();
  if (o.kubeInCluster !== undefined) {
    if (out.has(o.kubeInCluster)) {
      throw new ConfigError(`kubeInCluster: ${o.kubeInCluster}: the --kubeconfig has a context of that name too; keep one`, { path: 'kubeInCluster' });
    }
    out.set(o.kubeInCluster, inClusterConnection(o.kubeInCluster, env));
  }
  return out;
}
