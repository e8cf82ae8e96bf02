// The fleet grouped the way an SRE reads it: clusters, then nodes, then the agent on each node.
import type { Agent } from './api.js';

export interface ClusterGroup {
  cluster: string;
  agents: Agent[];
  activeFaults: number;
}

export function groupByCluster(agents: readonly Agent[]): ClusterGroup[] {
  const byCluster = new Map<string, Agent[]>();
  for (const a of agents) byCluster.set(a.cluster, [...(byCluster.get(a.cluster) ?? []), a]);
  return [...byCluster.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([cluster, list]) => ({
      cluster,
      agents: list.sort((a, b) => a.node.localeCompare(b.node)),
      activeFaults: list.reduce((n, a) => n + a.activeFaults, 0),
    }));
}

/** "12 s ago", "3 min ago": last seen relative to now. */
export function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}
