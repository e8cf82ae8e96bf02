// What selection works on: one pickable target (a container, or a host process) as the fleet reports it.

export const TARGET_KINDS = ['container', 'process'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** Only targets in this state are matched and picked (the agent's CRI state, lower-cased). */
export const RUNNING_STATE = 'running';

export interface TargetRecord {
  /** Cluster name the agent registered with. */
  cluster: string;
  node: string;
  /** `topology.kubernetes.io/zone` of the node; null when the node has none. */
  zone: string | null;
  namespace: string;
  pod: string;
  podUid: string;
  container: string;
  containerId: string;
  /** Pod labels. */
  labels: Record<string, string>;
  /** `running`, `created`, `exited`, `unknown` (daemon/types.ts CONTAINER_STATES); only `running` is pickable. */
  state: string;
  kind: TargetKind;
  /** Host mode (`kind: 'process'`): the process id and its command line joined with spaces. */
  pid?: number;
  /** Host mode: the process's start time (with the pid, its identity), when the agent reports it. */
  startTime?: string;
  cmdline?: string;
}
