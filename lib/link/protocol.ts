// The agent ↔ coordinator link: JSON messages over one WebSocket that the agent dials out.
import type { ContainerInfo } from '../../daemon/types.js';
import type { Fault } from '../../daemon/faults/manager.js';
import type { FaultRequestInput } from '../../daemon/faults/request.js';

export const LINK_PATH = '/v1/agents/connect';
export const LINK_PROTOCOL = 1;

export type { HostProcessInfo } from '../../daemon/proc/host-processes.js';
/** Who an agent is: what it registers with, and what the coordinator shows of it. */
export interface AgentIdentity {
  cluster: string;
  node: string;
  zone: string | null;
  version: string;
  runtime: string | null;
  hostProcesses: boolean;
}

export interface AgentHello extends AgentIdentity {
  type: 'hello';
  protocol: typeof LINK_PROTOCOL;
  containers: ContainerInfo[];
  /** Faults still active on the agent, so a coordinator that reconnects (or restarted) can reconcile. */
  activeFaults: Fault[];
}

export type AgentMessage =
  | AgentHello
  | { type: 'inventory'; containers: ContainerInfo[] }
  | { type: 'fault'; fault: Fault }
  | { type: 'reply'; id: string; ok: true; result: unknown }
  | { type: 'reply'; id: string; ok: false; error: { code: string; message: string; path?: string } };

export type Command =
  | { op: 'fault.create'; request: FaultRequestInput }
  | { op: 'fault.resume'; faultId: string }
  | { op: 'processes.list'; cmdline: string }
  | { op: 'ping' };

export type CoordinatorMessage =
  | { type: 'welcome'; coordinatorId: string; protocol: typeof LINK_PROTOCOL }
  | ({ type: 'command'; id: string } & Command);

/** Close codes the coordinator uses to tell an agent why it was turned away. */
export const CLOSE = { unauthorized: 4401, badHello: 4400, replaced: 4409, shutdown: 1001 } as const;
