// The kubernetes probe kind: GET one object (or a list) through the API server of the probe's cluster; jq reads it.
import type { Drill } from '../drill/schema.js';
import { ErisError } from '../../lib/errors.js';
import type { KubeConnection } from '../../lib/kube/kubeconfig.js';

export interface KubernetesRequest {
  /** The eris cluster = the kubeconfig context to use. */
  readonly cluster: string;
  /** /apis/apps/v1/namespaces/db/statefulsets/etcd (a core group, apiVersion v1, is under /api/v1). */
  readonly path: string;
  /** `statefulsets db/etcd`, for reasons. */
  readonly what: string;
}

export function kubernetesRequest(o: { cluster: string; apiVersion: string; resource: string; namespace?: string; name?: string; labelSelector?: string }): KubernetesRequest {
  const group = o.apiVersion === 'v1' ? '/api/v1' : `/apis/${o.apiVersion}`;
  const ns = o.namespace !== undefined ? `/namespaces/${encodeURIComponent(o.namespace)}` : '';
  const name = o.name !== undefined ? `/${encodeURIComponent(o.name)}` : '';
  const query = o.name === undefined && o.labelSelector !== undefined ? `?labelSelector=${encodeURIComponent(o.labelSelector)}` : '';
  const what = `${o.resource} ${[o.namespace, o.name].filter((p) => p !== undefined).join('/') || '(all)'}`.trim();
  return { cluster: o.cluster, path: `${group}${ns}/${o.resource}${name}${query}`, what };
}

/** Why a non-200 answer fails: `not found: statefulsets db/etcd`, else the status and the API's own message. */
export function kubernetesFailure(status: number, body: string, what: string): string {
  if (status === 404) return `not found: ${what}`;
  let message = '';
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') message = `: ${parsed.message}`;
  } catch {
    // not a Status object
  }
  return `kubernetes: status ${status}${message}`;
}

/** The reason for a cluster the coordinator has no connection for. */
export function unknownCluster(cluster: string, connections: ReadonlyMap<string, KubeConnection> | undefined): string {
  if (connections === undefined) return `no API server for cluster "${cluster}": the coordinator was started without --kubeconfig or --kube-in-cluster`;
  return `no API server for cluster "${cluster}": no context "${cluster}" in the coordinator's --kubeconfig (contexts: ${[...connections.keys()].join(', ')})`;
}

/** A kubernetes probe names a cluster the coordinator has no API server for: the drill cannot run here. */
export class UnknownKubeClusterError extends ErisError {
  override readonly code = 'ERIS_ERR_KUBE_CLUSTER';
  override readonly status = 422;
}

/**
 * At drill load (store, run, dry run): a probe that names its `cluster` must have a connection. A cluster taken from
 * the target is known only when the probe runs (then the probe fails with unknownCluster's reason).
 */
export function checkKubernetesClusters(drill: Drill, connections: ReadonlyMap<string, KubeConnection> | undefined): void {
  for (const [name, probe] of Object.entries(drill.spec.probes)) {
    const cluster = probe.kubernetes?.cluster;
    if (cluster === undefined || connections?.has(cluster)) continue;
    const path = `spec.probes.${name}.kubernetes.cluster`;
    throw new UnknownKubeClusterError(`${path}: ${unknownCluster(cluster, connections)}`, { path });
  }
}
