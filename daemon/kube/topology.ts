// The node's place in the cluster's topology, from its own Node object: the well-known labels
// topology.kubernetes.io/zone and /region, which kubelet or the cloud provider sets when the node registers.
// Read once at start: a running node does not move between zones (a label change means a re-registered node,
// and so a restarted agent); `--zone` overrides it.
import type { Logger } from '../../lib/logger.js';
import type { KubeConnection } from '../../lib/kube/kubeconfig.js';
import { kubeRequest } from '../../lib/kube/request.js';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const REGION_LABEL = 'topology.kubernetes.io/region';
export const NODES_PERMISSION = 'get nodes';

export interface NodeTopology {
  zone: string | null;
  region: string | null;
}

export interface TopologyOptions {
  /** Tries when the API server does not answer (a refusal or a missing Node is final). */
  attempts?: number;
  retryDelayMs?: number;
  timeoutMs?: number;
}

/** The Node's zone and region, or null (logged once, with why) when they cannot be read: the agent then runs without a zone. */
export async function readNodeTopology(kube: KubeConnection, node: string, logger: Logger, o: TopologyOptions = {}): Promise<NodeTopology | null> {
  const attempts = o.attempts ?? 3;
  let lastError = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const answer = await kubeRequest(kube, 'GET', `/api/v1/nodes/${encodeURIComponent(node)}`, undefined, o.timeoutMs ?? 5000);
      if (answer.status === 200) {
        const labels = (JSON.parse(answer.body) as { metadata?: { labels?: Record<string, string> } }).metadata?.labels ?? {};
        return { zone: labels[ZONE_LABEL] ?? null, region: labels[REGION_LABEL] ?? null };
      }
      if (answer.status === 401 || answer.status === 403) {
        logger.warn({ node, status: answer.status, permission: NODES_PERMISSION }, `cannot read this node's zone: the agent may not "${NODES_PERMISSION}" (grant it, or pass --zone); running without a zone`);
        return null;
      }
      if (answer.status === 404) {
        logger.warn({ node }, `no Node named ${node} in the cluster (is ERIS_NODE_NAME the node's name?); running without a zone`);
        return null;
      }
      lastError = `HTTP ${answer.status}`;
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (attempt < attempts) await new Promise((r) => setTimeout(r, o.retryDelayMs ?? 1000));
  }
  logger.warn({ node, error: lastError }, "cannot read this node's zone from the API server; running without a zone");
  return null;
}
