// The Targets form turned into a target group (coordinator/selection/schema.ts), the body of POST /v1/selections.
// Empty fields are left out, so the coordinator's own defaults apply and its errors name the field that was typed.
import type { TargetRecord } from '../../coordinator/selection/types.js';

export interface SelectionForm {
  cluster: string;
  namespace: string;
  labels: string;
  pod: string;
  container: string;
  cmdline: string;
  amount: 'all' | 'count' | 'percent';
  howMany: string;
  placement: 'any' | 'spread' | 'pack';
  topology: 'node' | 'zone';
  seed: string;
}

export const emptyForm: SelectionForm = { cluster: '', namespace: '', labels: '', pod: '', container: '', cmdline: '', amount: 'all', howMany: '1', placement: 'any', topology: 'node', seed: '' };

export function targetGroup(f: SelectionForm): Record<string, unknown> {
  const g: Record<string, unknown> = {};
  const t = (s: string) => s.trim();
  if (t(f.cluster)) g.clusters = [t(f.cluster)];
  if (t(f.namespace)) g.namespaces = [t(f.namespace)];
  if (t(f.labels)) g.labels = t(f.labels);
  if (t(f.pod)) g.pod = t(f.pod);
  if (t(f.container)) g.containers = [t(f.container)];
  if (t(f.cmdline)) g.processes = { cmdline: t(f.cmdline) };
  // A number the coordinator rejects (e.g. 0 or 1.5) is sent as typed, so its error says why.
  if (f.amount !== 'all') g[f.amount] = t(f.howMany) === '' ? null : Number(t(f.howMany));
  if (f.placement !== 'any') g[f.placement] = f.topology;
  if (t(f.seed)) g.seed = /^-?\d+$/.test(t(f.seed)) ? Number(t(f.seed)) : t(f.seed);
  return g;
}

/** One target as the preview returns it: the coordinator's own type (type-only, erased from the bundle). */
export type Target = TargetRecord;
export interface Preview {
  wanted: number;
  seed: string;
  matched: Target[];
  picked: Target[];
}

/** Identifies a target within one preview: a container by id, a host process by node and pid. */
export function keyOf(t: Target): string {
  return t.kind === 'process' ? `${t.cluster}/${t.node}/pid/${t.pid ?? '?'}` : `${t.cluster}/${t.node}/${t.containerId}`;
}
