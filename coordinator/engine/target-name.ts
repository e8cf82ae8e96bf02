// How reports and the CLI name a target: as users do, not by the internal key (cluster/node/namespace/pod/container).
import type { TargetRecord } from '../selection/types.js';

type Named = Pick<TargetRecord, 'node' | 'namespace' | 'pod' | 'container'> & { kind: string; pid?: number | undefined; labels?: Record<string, string> | undefined };

/** The label that names a host process: `name` when its command line has one, else the first it has. */
function namingLabel(labels: Record<string, string>): string | undefined {
  const key = 'name' in labels ? 'name' : Object.keys(labels)[0];
  return key === undefined ? undefined : `${key}=${labels[key]}`;
}

/**
 * `default/etcd-0 (etcd) on node-1` for a container; `name=m0 (pid 913) on node-1` for a host process with labels
 * (read from its command line: coordinator/fleet/process-labels.ts), `etcd pid 913 on node-1` without.
 */
export function targetName(t: Named): string {
  if (t.kind !== 'process') return `${t.namespace}/${t.pod} (${t.container}) on ${t.node}`;
  const pid = t.pid ?? t.pod.replace(/^pid-/, '');
  const label = namingLabel(t.labels ?? {});
  if (label !== undefined) return `${label} (pid ${pid}) on ${t.node}`;
  return `${t.container.split('/').at(-1) || 'process'} pid ${pid} on ${t.node}`;
}
