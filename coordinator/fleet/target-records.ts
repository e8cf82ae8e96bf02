// An agent's containers as target records, built once per inventory: with 10,000 agents every selection and target
// listing otherwise rebuilt 100,000 records (and the selection its sort keys for them) on every call.
import type { AgentHello } from '../../lib/link/protocol.js';
import type { ContainerInfo } from '../../daemon/types.js';
import type { TargetRecord } from '../selection/types.js';

type Hello = Pick<AgentHello, 'cluster' | 'node' | 'zone'>;

// Keyed by the inventory array: an agent's new inventory is a new array, so a stale entry is never found again.
const built = new WeakMap<readonly ContainerInfo[], { hello: Hello; records: readonly TargetRecord[] }>();

/** The records of `containers` as `toRecord` makes them, the same (frozen) objects while neither hello nor inventory changes. */
export function containerRecords(hello: Hello, containers: readonly ContainerInfo[], toRecord: (hello: Hello, c: ContainerInfo) => TargetRecord): readonly TargetRecord[] {
  const hit = built.get(containers);
  if (hit !== undefined && hit.hello === hello) return hit.records;
  // Frozen: callers share them, so one that changed a record would change every later selection's view of it.
  const records = containers.map((c) => Object.freeze(toRecord(hello, c)));
  built.set(containers, { hello, records });
  return records;
}
