// What a viewer sees of host processes: the program, not its arguments (secrets hide in arguments that no mask
// knows), and none of the labels read from them. Operators see command lines with secret-looking values masked.
import type { TargetRecord } from '../selection/types.js';
import type { ImmediateFault } from './faults.js';

/** `/usr/bin/etcd --name m1 …` → `/usr/bin/etcd …`. */
export function programOnly(cmdline: string): string {
  const program = cmdline.split(' ')[0] ?? '';
  return program === cmdline ? program : `${program} …`;
}

export function targetForViewer<T extends Pick<TargetRecord, 'kind' | 'labels'> & { cmdline?: string }>(t: T): T {
  if (t.kind !== 'process') return t;
  return { ...t, labels: {}, ...(t.cmdline !== undefined ? { cmdline: programOnly(t.cmdline) } : {}) };
}

export function faultForViewer<F extends Pick<ImmediateFault, 'parts'>>(f: F): F {
  return {
    ...f,
    parts: f.parts.map((part) => ({
      ...part,
      fault: { ...part.fault, targets: part.fault.targets.map((t) => (t.process === undefined ? t : { ...t, process: { ...t.process, cmdline: programOnly(t.process.cmdline) } })) },
    })),
  };
}
