// The agent's view of what runs on its node: plain data shared by the CRI, proc, fault and API modules.

export const CONTAINER_STATES = ['created', 'running', 'exited', 'unknown'] as const;
export type ContainerState = (typeof CONTAINER_STATES)[number];

export interface PodRef {
  /** CRI sandbox id. */
  id: string;
  name: string;
  namespace: string;
  uid: string;
  /** Pod labels as kubelet puts them on the sandbox (io.kubernetes.* included). */
  labels: Record<string, string>;
}

export interface ContainerInfo {
  id: string;
  /** Container name from `io.kubernetes.container.name` (falls back to CRI metadata.name). */
  name: string;
  image: string;
  state: ContainerState;
  restartCount: number;
  /** PID of the container's init in the host PID namespace; 0 when not running. */
  initPid: number;
  /** Unix ms. */
  createdAt: number;
  pod: PodRef;
}

export interface RuntimeInfo {
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}
