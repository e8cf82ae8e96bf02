// The drill file: apiVersion/kind/metadata/spec, validated by one schema the coordinator, the CLI and the
// published JSON Schema all share.
import { z } from 'zod';
import { SIGNAL_NAMES } from '../../daemon/proc/signal.js';
import { OVERRIDES } from '../../daemon/faults/safety.js';
import { FAULT_METHODS } from '../../daemon/faults/methods.js';
import { duration, positiveDuration } from '../probes/duration.js';
import { boundedLease } from './lease.js';
import { probeSpecSchema } from '../probes/spec.js';
import { targetGroupSchema } from '../selection/schema.js';

export const DRILL_API_VERSION = 'eris.dev/v1alpha1';
export const DRILL_KIND = 'Drill';

const name = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$/, 'must be a lowercase name (a-z, 0-9, "-", "_", "."), 1..63 characters');

const signalName = z
  .string()
  .meta({ description: `${SIGNAL_NAMES.join(', ')}; case-insensitive, the SIG prefix optional` })
  .transform((s) => s.toUpperCase().replace(/^(SIG)?/, 'SIG'))
  .pipe(z.enum(SIGNAL_NAMES, { error: `must be one of ${SIGNAL_NAMES.join(', ')}` }));

const stepBase = { name: z.string().min(1).optional() };

/** Send a signal to the processes of a target group (the group is picked once per run, at its first use). */
export const signalStepSchema = z.strictObject({
  ...stepBase,
  signal: signalName,
  target: name,
  scope: z.enum(['all', 'init']).default('all'),
  /**
   * SIGSTOP only: `signal` (default) stops each process (state T) and whatever joins the container while held;
   * `freezer` freezes the container's cgroup (containers only, scope all; docs/faults.md).
   */
  method: z.enum(FAULT_METHODS).optional(),
  /**
   * SIGSTOP only: the agents resume by themselves when it runs out (default: the agent's default lease). Bounded by
   * the agents' default --lease-max, the one limit known before a run reaches them.
   */
  lease: boundedLease.optional(),
  override: z.array(z.enum(OVERRIDES)).optional(),
});

/** Poll a probe until it passes (or fails) `consecutive` times in a row, at most `timeout`. */
export const waitStepSchema = z.strictObject({
  ...stepBase,
  wait: name,
  until: z.enum(['pass', 'fail']),
  timeout: positiveDuration,
  consecutive: z.number().int().min(1).default(1),
  /** The target group a per-target probe ({{target.*}} in its URL) is evaluated for: every picked target. */
  target: name.optional(),
});

/** The probe must pass now (one evaluation, or one per picked target). */
export const probeStepSchema = z.strictObject({ ...stepBase, probe: name, target: name.optional() });

export const sleepStepSchema = z.strictObject({ ...stepBase, sleep: duration });

export interface StepBranch {
  name?: string;
  steps: Step[];
}

export type Step =
  | z.output<typeof signalStepSchema>
  | z.output<typeof waitStepSchema>
  | z.output<typeof probeStepSchema>
  | z.output<typeof sleepStepSchema>
  | { name?: string; parallel: StepBranch[] }
  | { name?: string; guard: string; target?: string; consecutive: number; steps: Step[] };

/** Bounds on a drill's lists: far above a real drill; a drill is also bounded by the API's body limit. */
const MAX_STEPS = 500;
const MAX_BRANCHES = 50;
const MAX_NAMED = 100;

const stepsSchema: z.ZodType<Step[], unknown> = z.lazy(() =>
  z.array(stepSchema).min(1, 'must have at least one step').max(MAX_STEPS, `at most ${MAX_STEPS} steps`),
);

/** Branches that run at the same time; the step ends when all have ended, and fails when any fails. */
export const parallelStepSchema = z.strictObject({
  ...stepBase,
  parallel: z
    .array(z.strictObject({ name: z.string().min(1).optional(), steps: stepsSchema }))
    .min(2, 'needs at least two branches')
    .max(MAX_BRANCHES, `at most ${MAX_BRANCHES} branches`),
});

/** A continuous probe guarding the steps inside it: `consecutive` failures in a row abort the run. */
export const guardStepSchema = z.strictObject({
  ...stepBase,
  guard: name,
  target: name.optional(),
  consecutive: z.number().int().min(1).default(1),
  steps: stepsSchema,
});

const STEP_KINDS = ['signal', 'wait', 'probe', 'sleep', 'parallel', 'guard'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export function stepKind(step: Step): StepKind {
  for (const kind of STEP_KINDS) if (kind in step) return kind;
  throw new Error('unknown step');
}

// A step is told apart by the one key that names its kind; the error says which keys are possible.
export const stepSchema: z.ZodType<Step, unknown> = z.unknown().transform((value, ctx): Step => {
  const kinds = value !== null && typeof value === 'object' ? STEP_KINDS.filter((k) => k in value) : [];
  if (kinds.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: kinds.length === 0 ? `a step needs exactly one of: ${STEP_KINDS.join(', ')}` : `a step has one kind, not ${kinds.join(' and ')}`,
    });
    return z.NEVER;
  }
  const schema = { signal: signalStepSchema, wait: waitStepSchema, probe: probeStepSchema, sleep: sleepStepSchema, parallel: parallelStepSchema, guard: guardStepSchema }[kinds[0]!];
  const result = (schema as z.ZodType<Step, unknown>).safeParse(value);
  if (!result.success) {
    for (const issue of result.error.issues) ctx.addIssue({ ...issue, code: 'custom', path: issue.path, message: issue.message } as never);
    return z.NEVER;
  }
  return result.data;
});

export const drillSchema = z.strictObject({
  apiVersion: z.literal(DRILL_API_VERSION, { error: `must be ${DRILL_API_VERSION}` }),
  kind: z.literal(DRILL_KIND, { error: `must be ${DRILL_KIND}` }),
  metadata: z.strictObject({
    name,
    description: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.strictObject({
    /** Named target groups; steps refer to them by name. */
    targets: z
      .record(name, targetGroupSchema)
      .refine((t) => Object.keys(t).length > 0, 'must define at least one target group')
      .refine((t) => Object.keys(t).length <= MAX_NAMED, `at most ${MAX_NAMED} target groups`),
    /** Named probes; wait, probe and guard steps refer to them by name. */
    probes: z.record(name, probeSpecSchema).refine((p) => Object.keys(p).length <= MAX_NAMED, `at most ${MAX_NAMED} probes`).default({}),
    /** Probes that must pass before the first step (the steady state). */
    steadyState: z.array(name).max(MAX_NAMED, `at most ${MAX_NAMED} probes`).default([]),
    steps: stepsSchema,
    /** The whole run's limit; when it is reached the run is aborted and everything resumed. */
    timeout: positiveDuration.default(30 * 60 * 1000),
  }),
});

export type DrillInput = z.input<typeof drillSchema>;
export type Drill = z.output<typeof drillSchema>;
