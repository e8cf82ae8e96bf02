// The shape of a fault request (POST /v1/faults and coordinator commands), validated once at the edge.
import { z } from 'zod';
import { OVERRIDES } from './safety.js';
import { SIGNAL_NAMES } from '../proc/signal.js';
import { userRegexSchema } from '../../lib/user-regex.js';
import { linkLabelsSchema } from '../../lib/link/protocol.js';

import { FAULT_METHODS } from './methods.js';

export { FAULT_METHODS, type FaultMethod } from './methods.js';

// RE2 syntax, bounded: see lib/user-regex.ts.
const regex = userRegexSchema;

/** Per-request bounds on lists: far above a real drill, low enough to keep one request cheap. */
const MAX_ITEMS = { ids: 1000, regexes: 100 } as const;

export const containerSelectorSchema = z
  .object({
    namespace: z.string().min(1).max(253).optional(),
    /** Regex on the pod name. */
    pod: regex.optional(),
    /** Regexes on the container name; a container matches when any matches. */
    containers: z.array(regex).min(1).max(MAX_ITEMS.regexes).optional(),
    /** Pod labels that must all be equal. */
    labels: linkLabelsSchema.optional(),
  })
  .strict();

export const faultTargetSchema = z.union([
  z.object({ containerIds: z.array(z.string().min(1).max(256)).min(1).max(MAX_ITEMS.ids) }).strict(),
  z.object({ selector: containerSelectorSchema }).strict(),
  z
    .object({
      pids: z.array(z.number().int().positive()).min(1).max(MAX_ITEMS.ids),
      /**
       * The start time (field 22 of /proc/PID/stat) of each pid, in the same order, as the requester saw it: a pid
       * whose process now has another start time was reused since, and is not a target (left alone, marked gone).
       */
      startTimes: z.array(z.string().regex(/^\d{1,32}$/, 'must be a decimal start time')).max(MAX_ITEMS.ids).optional(),
    })
    .strict()
    .refine((t) => t.startTimes === undefined || t.startTimes.length === t.pids.length, { message: 'must have one start time per pid', path: ['startTimes'] }),
  z.object({ cmdline: regex }).strict(),
], { error: 'must be exactly one of {containerIds}, {selector}, {pids}, {cmdline}' });

export const faultRequestSchema = z
  .object({
    signal: z
      .string()
      .transform((s) => s.toUpperCase().replace(/^(SIG)?/, 'SIG'))
      .pipe(z.enum(SIGNAL_NAMES, { error: `must be one of ${SIGNAL_NAMES.join(', ')}` })),
    target: faultTargetSchema,
    /** `all` (default): every process in the container's cgroup (or the process tree in host mode); `init`: only its init. */
    scope: z.enum(['all', 'init']).default('all'),
    /**
     * SIGSTOP only: how to hang the target. `signal` (default): SIGSTOP each process (state T), and stop processes
     * that join it while held; `freezer`: freeze the container's cgroup (v1 freezer.state, v2 cgroup.freeze) —
     * containers only, scope all. docs/faults.md says how they differ.
     */
    method: z.enum(FAULT_METHODS).default('signal'),
    /** SIGSTOP only: seconds until the agent resumes by itself. */
    leaseSeconds: z.number().positive().optional(),
    override: z.array(z.enum(OVERRIDES)).default([]),
    /** Who placed it (a coordinator id); its faults are resumed when that coordinator is lost. */
    owner: z.string().min(1).max(256).optional(),
    /** Free-form labels kept with the fault (run id, step name); bounded as the link bounds them, so the fault can be reported. */
    labels: linkLabelsSchema.optional(),
  })
  .strict();

export type FaultRequestInput = z.input<typeof faultRequestSchema>;
export type FaultRequest = z.output<typeof faultRequestSchema>;
export type FaultTarget = z.output<typeof faultTargetSchema>;
export type ContainerSelector = z.output<typeof containerSelectorSchema>;
