// Immediate faults placed through the coordinator ("freeze these now"): a selection, then one fault per agent.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { NotFoundError } from '../../lib/errors.js';
import { parseOrThrow } from '../../lib/validation.js';
import type { Fault } from '../../daemon/faults/manager.js';
import { SIGNAL_NAMES } from '../../daemon/proc/signal.js';
import { OVERRIDES } from '../../daemon/faults/safety.js';
import { FAULT_METHODS } from '../../daemon/faults/methods.js';
import type { Fleet } from '../fleet/fleet.js';
import { boundedLease } from '../drill/lease.js';
import { targetGroupSchema } from '../selection/schema.js';
import { fireSkew } from '../fleet/fire-time.js';
import { placeFaults, selectGroup, targetKey, type TargetFilter } from '../engine/targets.js';
import type { TargetRecord } from '../selection/types.js';
import { checkResume, countSeen, type ResumeCheck, type SeenState } from '../fleet/resume-check.js';

export const immediateFaultSchema = z.strictObject({
  target: targetGroupSchema,
  signal: z
    .string()
    .meta({ description: `${SIGNAL_NAMES.join(', ')}; case-insensitive, the SIG prefix optional` })
    .transform((s) => s.toUpperCase().replace(/^(SIG)?/, 'SIG'))
    .pipe(z.enum(SIGNAL_NAMES, { error: `must be one of ${SIGNAL_NAMES.join(', ')}` })),
  scope: z.enum(['all', 'init']).default('all'),
  /** SIGSTOP only: `signal` (default) or `freezer` (the container's cgroup). */
  method: z.enum(FAULT_METHODS).optional(),
  /** Bounded like a drill step's lease (the agents' default --lease-max): refused here, before any agent is asked. */
  lease: boundedLease.optional(),
  override: z.array(z.enum(OVERRIDES)).optional(),
});

export interface ImmediateFault {
  id: string;
  createdAt: number;
  signal: string;
  seed: string;
  targets: string[];
  /** `firedAt`: when that agent acted (coordinator clock), for a fault placed on several agents with one fire time. */
  parts: Array<{ agent: string; fault: Fault; firedAt?: number }>;
  errors: Array<{ agent: string; code: string; message: string }>;
  /** First-to-last spread of the parts' `firedAt`, ms: how simultaneous the agents acted. */
  fireSkewMs?: number;
  /** Who placed it (token id). */
  createdBy?: string;
}

/** A resume's answer: the fault, and what the coordinator saw of its processes afterwards. */
export interface ResumedFault extends ImmediateFault {
  resume: { confirmed: boolean; seen: Record<SeenState, number>; parts: ResumeCheck[] };
}

/**
 * How many immediate faults are remembered, and how many agent-side parts they may hold in all: the oldest that no
 * longer hold anything are forgotten first. The parts bound matters with a large fleet — a fault over 10,000 agents
 * keeps 10,000 Faults (1–8 KiB of heap each, with 1–10 containers), so 500 of them would be gigabytes; 20,000
 * parts keep it to tens of MiB (160 MiB at 10 containers an agent, measured by bench/coordinator-fleet.bench.ts).
 * Faults with an active part are never forgotten, nor the one just placed.
 */
export const HISTORY_LIMIT = 500;
export const HISTORY_PARTS_LIMIT = 20_000;

export class ImmediateFaults {
  private readonly faults = new Map<string, ImmediateFault>();
  /** Agent fault id → its part, so a state change from the fleet is one lookup however large the fault. */
  private readonly parts = new Map<string, ImmediateFault['parts'][number]>();
  /** Where each fault's targets are (cluster, namespace), so a scoped token sees and resumes only its own. */
  private readonly places = new Map<string, Array<Pick<TargetRecord, 'cluster' | 'namespace'>>>();

  constructor(private readonly fleet: Fleet) {
    fleet.onChange((e) => {
      if (e.type !== 'fault' || !e.fault?.labels?.immediate) return;
      const part = this.parts.get(e.fault.id);
      if (part) part.fault = e.fault;
    });
  }

  private remember(record: ImmediateFault): void {
    this.faults.set(record.id, record);
    for (const part of record.parts) this.parts.set(part.fault.id, part);
    const within = (): boolean => this.faults.size <= HISTORY_LIMIT && this.parts.size <= HISTORY_PARTS_LIMIT;
    if (within()) return;
    for (const [id, old] of this.faults) {
      if (id === record.id || old.parts.some((p) => p.fault.state === 'active')) continue;
      this.faults.delete(id);
      this.places.delete(id);
      for (const part of old.parts) this.parts.delete(part.fault.id);
      if (within()) return;
    }
  }

  owns(fault: Fault): boolean {
    return fault.labels?.immediate !== undefined && this.faults.has(fault.labels.immediate);
  }

  /** Whether every target of the fault passes `within` (a scoped token's view). */
  visible(id: string, within?: (place: Pick<TargetRecord, 'cluster' | 'namespace'>) => boolean): boolean {
    if (within === undefined) return true;
    return (this.places.get(id) ?? []).every(within);
  }

  async create(body: unknown, by?: { tokenId: string; within?: TargetFilter }): Promise<ImmediateFault> {
    const request = parseOrThrow(immediateFaultSchema, body);
    const selection = await selectGroup(this.fleet, request.target, 'target', undefined, by?.within);
    const id = randomUUID();
    const { placed, errors } = await placeFaults(this.fleet, selection.picked, {
      signal: request.signal,
      scope: request.scope,
      ...(request.method !== undefined ? { method: request.method } : {}),
      ...(request.lease !== undefined ? { leaseSeconds: request.lease / 1000 } : {}),
      ...(request.override ? { override: request.override } : {}),
      labels: { immediate: id },
    });
    const record: ImmediateFault = {
      id,
      createdAt: Date.now(),
      signal: request.signal,
      seed: selection.seed,
      targets: selection.picked.map(targetKey),
      parts: placed.map((p) => ({ agent: p.agent, fault: p.fault, ...(p.firedAt !== undefined ? { firedAt: p.firedAt } : {}) })),
      errors: errors.map((e) => ({ agent: e.agent, code: (e.error as { code?: string }).code ?? 'ERIS_ERR', message: (e.error as Error).message })),
      ...withSkew(placed),
      ...(by ? { createdBy: by.tokenId } : {}),
    };
    this.places.set(id, selection.picked.map((t) => ({ cluster: t.cluster, namespace: t.namespace })));
    this.remember(record);
    return record;
  }

  list(): ImmediateFault[] {
    return [...this.faults.values()].sort((a, b) => b.createdAt - a.createdAt);
  }

  get(id: string): ImmediateFault {
    const f = this.faults.get(id);
    if (!f) throw new NotFoundError(`no fault ${id}`, { path: 'id' });
    return f;
  }

  /**
   * Resumes every part still active, then asks each agent what state the processes are in: the answer says what was
   * seen (`resume.confirmed` only when none is left stopped by this fault), not merely that the agents said yes.
   */
  async resume(id: string): Promise<ResumedFault> {
    const record = this.get(id);
    const parts = await Promise.all(
      record.parts.map(async (part): Promise<ResumeCheck | null> => {
        if (part.fault.signal !== 'SIGSTOP') return null;
        const before = part.fault;
        if (part.fault.state === 'active') part.fault = await this.fleet.resumeFault(part.agent, part.fault.id);
        return checkResume(this.fleet, part.agent, before, part.fault);
      }),
    );
    const checks = parts.filter((c): c is ResumeCheck => c !== null);
    return { ...record, resume: { confirmed: checks.every((c) => c.confirmed), seen: countSeen(checks), parts: checks } };
  }
}

function withSkew(placed: ReadonlyArray<{ firedAt?: number }>): { fireSkewMs?: number } {
  const skew = fireSkew(placed.map((p) => p.firedAt));
  return skew === undefined ? {} : { fireSkewMs: skew };
}
