// The agent's API server: --kube-in-cluster (service-account mount) or --kubeconfig FILE (its first context).
// Loaded with `await import()` only when one is configured, so an agent without Kubernetes pays nothing for it.
import { ConfigError } from '../../lib/errors.js';
import { inClusterConnection } from '../../lib/kube/in-cluster.js';
import { loadKubeconfig, type KubeConnection } from '../../lib/kube/kubeconfig.js';

export function agentKubeConnection(o: { kubeInCluster: boolean; kubeconfig?: string | undefined }, env: NodeJS.ProcessEnv = process.env): KubeConnection | undefined {
  if (o.kubeconfig !== undefined) {
    const first = loadKubeconfig(o.kubeconfig).values().next().value;
    if (first === undefined) throw new ConfigError(`kubeconfig: ${o.kubeconfig}: no contexts`, { path: 'kubeconfig' });
    return first;
  }
  if (!o.kubeInCluster) return undefined;
  try {
    return inClusterConnection('in-cluster', env);
  } catch (error) {
    // inClusterConnection names the coordinator's field (kubeInCluster: NAME: …); the agent's flag has no name.
    if (error instanceof ConfigError) throw new ConfigError(error.message.replace(/^kubeInCluster: in-cluster: /, 'kubeInCluster: '), { path: 'kubeInCluster' });
    throw error;
  }
}
