// The agent ↔ coordinator link: JSON messages over one WebSocket that the agent dials out. The zod schemas here
// are what each end checks every message it receives against: a peer is never trusted to send the right shape.
import { z } from 'zod';
import type { ContainerInfo } from '../../daemon/types.js';
import { CONTAINER_STATES } from '../../daemon/types.js';
import type { Fault } from '../../daemon/faults/manager.js';
import type { FaultRequestInput } from '../../daemon/faults/request.js';
import { FAULT_METHODS } from '../../daemon/faults/methods.js';
import type { HostProcessInfo } from '../../daemon/proc/host-processes.js';
import { SIGNAL_NAMES } from '../../daemon/proc/signal.js';
import { formatPath } from '../validation.js';

export const LINK_PATH = '/v1/agents/connect';
export const LINK_PROTOCOL = 1;

/**
 * Optional abilities an end announces (agent: in its hello; coordinator: in its welcome). An older peer leaves the
 * field out (zod strips what it does not know), so each end uses a feature only when the other announced it.
 * `fire-at`: the agent honours `fireAt` on fault.create; `clock`: the coordinator answers clock exchanges.
 */
export const LINK_FEATURES = { fireAt: 'fire-at', clock: 'clock' } as const;
const features = z.array(z.string().min(1).max(64)).max(64).optional();

export type { HostProcessInfo };

/** Close codes: why one end turned the other away. */
export const CLOSE = {
  unauthorized: 4401,
  /** The first message was not a valid hello. */
  badHello: 4400,
  /** A later message broke the protocol (malformed JSON, a field of the wrong shape); the reason names the field. */
  badMessage: 4402,
  replaced: 4409,
  /** The token may not register as this cluster/node (its binding), or the node is connected with another token. */
  forbidden: 4403,
  /** The receiving end failed on a message it had accepted (a bug, not the peer's fault). */
  internal: 1011,
  shutdown: 1001,
} as const;

/**
 * Largest message either end accepts. A hello of a busy node (~500 containers, ~1 KB each) is ~0.5 MB; a
 * processes.list reply of a host with 2,000 processes and long command lines a few MB.
 */
export const LINK_MAX_PAYLOAD = 16 * 1024 * 1024;

// Bounds on what one message may hold: far above any real node, low enough that a hostile peer's message stays cheap.
const MAX_CONTAINERS = 10_000;
const MAX_FAULTS = 10_000;
const MAX_PROCESSES = 100_000;
const MAX_LABELS = 512;

/** What an agent registers as: a Kubernetes-sized name (DNS subdomain: at most 253 characters). */
const name = z.string().min(1).max(253);
/** Ids this protocol mints (command, fault, coordinator). */
const id = z.string().min(1).max(256);
/**
 * What the runtime reports (container, pod, namespace names and ids, images): may be empty (a container created
 * without kubelet's labels), and a node must not be turned away for an odd one, so the bound is generous.
 */
const text = z.string().max(4096);
const timestamp = z.number().finite();
const pid = z.number().int().positive();
/** Pod labels and fault labels; the agent's fault request takes the same bound, so what it accepts it can report. */
export const linkLabelsSchema = z
  .record(z.string().max(1024), text)
  .refine((l) => Object.keys(l).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`);
const labels = linkLabelsSchema;
const wireError = z.object({ code: z.string().min(1).max(128), message: text, path: z.string().max(1024).optional() });

export const containerInfoSchema = z.object({
  id: text.min(1),
  name: text,
  image: text,
  state: z.enum(CONTAINER_STATES),
  restartCount: z.number().int().nonnegative(),
  initPid: z.number().int().nonnegative(),
  createdAt: timestamp,
  pod: z.object({ id: text, name: text, namespace: text, uid: text, labels }),
});

export const hostProcessInfoSchema = z.object({
  pid,
  ppid: z.number().int().nonnegative(),
  state: z.string().min(1).max(8),
  // A command line may be long (ARG_MAX): the message size bounds it.
  cmdline: z.string(),
  startTime: z.string().regex(/^\d{1,32}$/).optional(),
});

const processResultSchema = z.object({
  pid,
  startTime: z.string().max(32),
  ok: z.boolean(),
  verified: z.boolean(),
  method: z.enum(['pidfd', 'kill', 'freezer']).optional(),
  alreadyGone: z.literal(true).optional(),
  exited: z.literal(true).optional(),
  appearedLater: z.literal(true).optional(),
  error: wireError.omit({ path: true }).optional(),
  resume: z.object({ ok: z.boolean(), byFault: id.optional(), error: wireError.omit({ path: true }).optional() }).optional(),
});

export const FAULT_STATES = ['active', 'resumed', 'done', 'failed'] as const;

export const faultSchema = z.object({
  id,
  signal: z.enum(SIGNAL_NAMES),
  scope: z.enum(['all', 'init']),
  method: z.enum(FAULT_METHODS).optional(),
  state: z.enum(FAULT_STATES),
  result: z.enum(['ok', 'partial', 'failed']),
  createdAt: timestamp,
  durationMs: z.number().finite().nonnegative(),
  leaseSeconds: z.number().finite().positive().optional(),
  leaseExpiresAt: timestamp.optional(),
  resumedAt: timestamp.optional(),
  resumeReason: z.enum(['api', 'lease', 'shutdown', 'recovered', 'coordinator-lost', 'processes-gone', 'sigcont']).optional(),
  resumedBy: id.optional(),
  undid: z.array(id).max(MAX_CONTAINERS).optional(),
  requestedBy: text,
  owner: text.optional(),
  labels: labels.optional(),
  targets: z.array(
    z.object({
      kind: z.enum(['container', 'process']),
      container: z.object({ id: text, name: text, namespace: text, pod: text, podUid: text }).optional(),
      process: z.object({ pid, cmdline: z.string() }).optional(),
      processes: z.array(processResultSchema).max(MAX_PROCESSES),
      freezer: z.object({ version: z.union([z.literal(1), z.literal(2)]), dir: z.string().min(1).max(4096) }).optional(),
      alreadyGone: z.literal(true).optional(),
    }),
  ).max(MAX_CONTAINERS),
});

const identity = {
  cluster: name,
  node: name,
  zone: name.nullable(),
  version: z.string().max(64),
  runtime: z.string().max(256).nullable(),
  hostProcesses: z.boolean(),
};

/** Who an agent is: what it registers with, and what the coordinator shows of it. */
export type AgentIdentity = z.output<z.ZodObject<typeof identity>>;

export const agentHelloSchema = z.object({
  type: z.literal('hello'),
  protocol: z.literal(LINK_PROTOCOL),
  ...identity,
  containers: z.array(containerInfoSchema).max(MAX_CONTAINERS),
  /** Faults still active on the agent, so a coordinator that reconnects (or restarted) can reconcile. */
  activeFaults: z.array(faultSchema).max(MAX_FAULTS),
  features,
});
export type AgentHello = z.output<typeof agentHelloSchema>;

/** What an agent may send once it said hello. */
export const agentUpdateSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('inventory'), containers: z.array(containerInfoSchema).max(MAX_CONTAINERS) }),
  z.object({ type: z.literal('fault'), fault: faultSchema }),
  /** A clock exchange (only to a coordinator that announced `clock`): `t0` is echoed back with the coordinator's time. */
  z.object({ type: z.literal('clock'), t0: timestamp }),
  z.discriminatedUnion('ok', [
    z.object({ type: z.literal('reply'), id, ok: z.literal(true), result: z.unknown() }),
    z.object({ type: z.literal('reply'), id, ok: z.literal(false), error: wireError }),
  ]),
]);
export type AgentUpdate = z.output<typeof agentUpdateSchema>;
export type AgentMessage = AgentHello | AgentUpdate;

export type Command =
  /** `fireAt`: when to act, coordinator clock (epoch ms), for faults meant to hit several agents at once. */
  | { op: 'fault.create'; request: FaultRequestInput; fireAt?: number }
  | { op: 'fault.resume'; faultId: string }
  | { op: 'processes.list'; cmdline: string }
  /** What state each process is in now (how the coordinator confirms a resume instead of trusting an ack). */
  | { op: 'processes.state'; processes: ProcessRef[] }
  | { op: 'ping' };

/** A process as a fault record names it: PID + start time, so a recycled PID is reported gone, not as someone else. */
export interface ProcessRef {
  pid: number;
  startTime: string;
}

/** A process's state letter from /proc/PID/stat (R S D T t Z …), or null when that process (PID + start time) is gone. */
export interface ProcessState extends ProcessRef {
  state: string | null;
}

const processRefSchema = z.object({ pid, startTime: z.string().min(1).max(32) });
const processStateSchema = processRefSchema.extend({ state: z.string().min(1).max(8).nullable() });

export const coordinatorMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('welcome'), coordinatorId: id, protocol: z.literal(LINK_PROTOCOL), features }),
  z.object({ type: z.literal('clock'), t0: timestamp, at: timestamp }),
  z.discriminatedUnion('op', [
    // The request itself is the agent's to validate (faultRequestSchema): a bad one is answered with a 400, the
    // link stays up.
    z.object({ type: z.literal('command'), id, op: z.literal('fault.create'), request: z.unknown(), fireAt: timestamp.optional() }),
    z.object({ type: z.literal('command'), id, op: z.literal('fault.resume'), faultId: id }),
    z.object({ type: z.literal('command'), id, op: z.literal('processes.list'), cmdline: text }),
    z.object({ type: z.literal('command'), id, op: z.literal('processes.state'), processes: z.array(processRefSchema).max(MAX_PROCESSES) }),
    z.object({ type: z.literal('command'), id, op: z.literal('ping') }),
  ]),
]);

export type CoordinatorMessage =
  | { type: 'welcome'; coordinatorId: string; protocol: typeof LINK_PROTOCOL; features?: string[] }
  | { type: 'clock'; t0: number; at: number }
  | ({ type: 'command'; id: string } & Command);

/** What the agent answers each command with, checked by the coordinator before a caller sees it. */
export const commandResultSchemas = {
  /** `firedAt`: when a fault.create with `fireAt` acted, coordinator clock (the agent's estimate). */
  'fault.create': faultSchema.extend({ firedAt: timestamp.optional() }),
  'fault.resume': faultSchema,
  'processes.list': z.array(hostProcessInfoSchema).max(MAX_PROCESSES),
  'processes.state': z.array(processStateSchema).max(MAX_PROCESSES),
  ping: z.object({ at: timestamp }),
} as const satisfies Record<Command['op'], z.ZodType>;

export type LinkParse<T> = { ok: true; message: T } | { ok: false; problem: string };

/**
 * Parses one text frame against a schema; the problem names the first offending field (`containers[0].pod:
 * expected object`), as the close reason and the log say it.
 */
export function parseLinkMessage<S extends z.ZodType>(schema: S, data: string, prefix?: string): LinkParse<z.output<S>> {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { ok: false, problem: 'malformed JSON' };
  }
  return checkLinkValue(schema, value, prefix);
}

export function checkLinkValue<S extends z.ZodType>(schema: S, value: unknown, prefix?: string): LinkParse<z.output<S>> {
  const r = schema.safeParse(value);
  if (r.success) return { ok: true, message: r.data };
  const issue = r.error.issues[0];
  const path = [prefix, issue ? formatPath(issue.path) : ''].filter((p) => p !== undefined && p !== '').join('.').replace(/\.\[/g, '[');
  return { ok: false, problem: `${path === '' ? '(root)' : path}: ${issue?.message ?? 'invalid'}` };
}

/** A WebSocket close reason is at most 123 bytes of UTF-8 (RFC 6455 §5.5): longer ones make `ws` throw. */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= 123) return text;
  let out = text.slice(0, 120);
  while (Buffer.byteLength(`${out}…`) > 123) out = out.slice(0, -1);
  return `${out}…`;
}

// Compile-time: the schemas describe exactly the types the agent builds its messages from.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type _SchemasMatchTypes = [
  Assert<Same<z.output<typeof containerInfoSchema>, ContainerInfo>>,
  Assert<Same<z.output<typeof faultSchema>, Fault>>,
  Assert<Same<z.output<typeof hostProcessInfoSchema>, HostProcessInfo>>,
];
