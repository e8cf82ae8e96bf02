// Picking the targets of a group from the live fleet, and addressing faults at them agent by agent.
import type { Fault } from '../../daemon/faults/manager.js';
import type { SignalName } from '../../daemon/proc/signal.js';
import type { Override } from '../../daemon/faults/safety.js';
import type { FaultMethod } from '../../daemon/faults/request.js';
import type { Fleet } from '../fleet/fleet.js';
import { fireTimeFor } from '../fleet/fire-time.js';
import { nameMatcher, select, type Selection } from '../selection/select.js';
import type { TargetGroup } from '../selection/schema.js';
import { RUNNING_STATE, type TargetRecord } from '../selection/types.js';

/** Which targets a caller may reach at all (a scoped token's clusters and namespaces); absent = every target. */
export type TargetFilter = (target: Pick<TargetRecord, 'cluster' | 'namespace'>) => boolean;

export async function selectGroup(fleet: Fleet, group: TargetGroup, path: string, seed?: string | number, within?: TargetFilter): Promise<Selection> {
  // Host processes are listed by asking agents: only those of clusters the group (and the caller's scope) can pick
  // from, so an agent of another cluster that is slow, gone or hostile cannot fail this selection.
  const clusters = group.clusters && nameMatcher(group.clusters, `${path}.clusters`);
  const asked = (cluster: string) => (clusters === undefined || clusters(cluster)) && (within === undefined || within({ cluster, namespace: '' }));
  const all = group.processes ? await fleet.processes(group.processes.cmdline, asked) : fleet.targets();
  // Filtered before the pick, so count/percent/spread apply to what the caller may reach, and the seed stays repeatable.
  const inventory = within === undefined ? all : all.filter(within);
  return select(group, inventory, { path, ...(seed !== undefined ? { seed } : {}), ...(group.processes ? { cmdlineMatchedByAgents: true } : {}) });
}

export function targetKey(t: Pick<TargetRecord, 'cluster' | 'node' | 'namespace' | 'pod' | 'container'>): string {
  return `${t.cluster}/${t.node}/${t.namespace}/${t.pod}/${t.container}`;
}

/**
 * What a picked target is now. A container may have been restarted since it was picked (killed, then recreated by
 * kubelet under a new id): the current container of the same pod and name. A host process restarted (killed, then
 * started again by its supervisor under a new pid) is the one process on the same node that the group's cmdline
 * still matches with the same labels (its command line's flags, e.g. name=m0): the agents are asked again. A process
 * still running under its picked pid, one without labels, or one matched by several is kept as picked.
 */
export async function currentTargets(fleet: Fleet, group: TargetGroup, picked: readonly TargetRecord[]): Promise<TargetRecord[]> {
  const processes = picked.filter((t) => t.kind === 'process');
  let listed: TargetRecord[] = [];
  if (processes.length > 0 && group.processes) {
    const clusters = new Set(processes.map((t) => t.cluster));
    listed = await fleet.processes(group.processes.cmdline, (c) => clusters.has(c)).catch(() => []);
  }
  // The first running target under each key, as a find over the whole fleet per picked target chose (it was quadratic).
  const live = new Map<string, TargetRecord>();
  for (const now of fleet.targets()) {
    if (now.state !== RUNNING_STATE) continue;
    const key = targetKey(now);
    if (!live.has(key)) live.set(key, now);
  }
  return picked.map((t) => {
    if (t.kind !== 'process') return live.get(targetKey(t)) ?? t;
    const stillThere = listed.some((now) => now.node === t.node && now.cluster === t.cluster && now.pid === t.pid && (t.startTime === undefined || now.startTime === t.startTime));
    if (Object.keys(t.labels).length === 0 || stillThere) return t;
    const same = listed.filter((now) => now.cluster === t.cluster && now.node === t.node && now.state === RUNNING_STATE && sameLabels(now.labels, t.labels));
    return same.length === 1 ? same[0]! : t;
  });
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k]);
}

export interface PlacedFault {
  agent: string;
  fault: Fault;
  targets: TargetRecord[];
  /** When the agent acted, coordinator clock: only for a fault sent with a fire time to several agents. */
  firedAt?: number;
}

export interface FaultSpec {
  signal: SignalName;
  scope: 'all' | 'init';
  method?: FaultMethod;
  leaseSeconds?: number;
  override?: Override[];
  labels?: Record<string, string>;
}

/** One fault request per agent, all agents at once; a failure of one agent rejects with the others still placed. */
export async function placeFaults(fleet: Fleet, targets: readonly TargetRecord[], spec: FaultSpec): Promise<{ placed: PlacedFault[]; errors: Array<{ agent: string; error: unknown }> }> {
  const byAgent = new Map<string, TargetRecord[]>();
  for (const t of targets) {
    const agent = fleet.agentFor(t);
    const list = byAgent.get(agent);
    if (list) list.push(t);
    else byAgent.set(agent, [t]);
  }
  // Several agents: one fire time for all, so their parts act together (coordinator/fleet/fire-time.ts).
  const fireAt = await fireTimeFor(fleet, [...byAgent.keys()]);
  const settled = await Promise.allSettled(
    [...byAgent].map(async ([agent, list]) => {
      const processes = list.filter((t) => t.kind === 'process');
      const containers = list.filter((t) => t.kind === 'container');
      const requests = [
        ...(containers.length > 0 ? [{ containerIds: containers.map((t) => t.containerId) }] : []),
        // With their start times when known: a pid reused since the pick is not the process picked.
        ...(processes.length > 0
          ? [{ pids: processes.map((t) => t.pid!), ...(processes.every((t) => t.startTime !== undefined) ? { startTimes: processes.map((t) => t.startTime!) } : {}) }]
          : []),
      ];
      const faults = await Promise.all(
        requests.map((target) =>
          placeOnTime(fleet, agent, fireAt, {
            signal: spec.signal,
            target,
            scope: spec.scope,
            ...(spec.method !== undefined ? { method: spec.method } : {}),
            ...(spec.leaseSeconds !== undefined && spec.signal === 'SIGSTOP' ? { leaseSeconds: spec.leaseSeconds } : {}),
            ...(spec.override ? { override: spec.override } : {}),
            ...(spec.labels ? { labels: spec.labels } : {}),
          }),
        ),
      );
      return faults.map(({ firedAt, ...fault }, i) => ({ agent, fault, targets: i === 0 && containers.length > 0 ? containers : processes, ...(firedAt !== undefined ? { firedAt } : {}) }));
    }),
  );
  const placed: PlacedFault[] = [];
  const errors: Array<{ agent: string; error: unknown }> = [];
  [...byAgent.keys()].forEach((agent, i) => {
    const r = settled[i]!;
    if (r.status === 'fulfilled') placed.push(...r.value);
    else errors.push({ agent, error: r.reason });
  });
  return { placed, errors };
}

/**
 * One fault request, at the fire time when there is one. An agent whose clock estimate is not ready yet (it just
 * connected) refuses with ERIS_ERR_CLOCK_UNSYNCED: its part is sent again to act on arrival rather than fail the step.
 */
async function placeOnTime(fleet: Fleet, agent: string, fireAt: number | undefined, request: Parameters<Fleet['placeFault']>[1]) {
  if (fireAt === undefined) return fleet.placeFault(agent, request);
  try {
    return await fleet.placeFault(agent, request, fireAt);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERIS_ERR_CLOCK_UNSYNCED') throw error;
    return fleet.placeFault(agent, request);
  }
}
