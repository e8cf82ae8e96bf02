// How a SIGSTOP fault hangs its target: one list shared by the agent's request, the link schemas and the drill schema.

/** `signal`: SIGSTOP each process (state T); `freezer`: freeze the container's cgroup (docs/faults.md). */
export const FAULT_METHODS = ['signal', 'freezer'] as const;
export type FaultMethod = (typeof FAULT_METHODS)[number];
