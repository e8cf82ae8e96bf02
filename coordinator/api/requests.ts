// What the coordinator's API accepts beyond its bodies' own schemas: run requests, query strings and path parameters.
import { z } from 'zod';
import { RUN_STATUSES } from '../store/types.js';
import { userRegexSchema } from '../../lib/user-regex.js';
import { drillDocumentSchema } from './schemas.js';

export const runRequestSchema = z
  .strictObject({
    drill: z.string().min(1).optional().meta({ description: 'A stored drill, by name' }),
    spec: drillDocumentSchema.optional(),
    seed: z.union([z.string().min(1), z.number().int()]).optional().meta({ description: 'Makes every pick repeatable' }),
    dryRun: z.boolean().default(false).meta({ description: 'Only show what each group would pick; touches nothing' }),
  })
  .refine((r) => (r.drill === undefined) !== (r.spec === undefined), { message: 'give exactly one of drill (a stored drill name) or spec (an inline drill)' })
  .meta({ description: 'Exactly one of drill (a stored drill name) or spec (an inline drill)' });

export const runsQuerySchema = z.strictObject({
  drill: z.string().min(1).optional().meta({ description: 'Runs of this drill' }),
  status: z.enum(RUN_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});

/** GET /v1/targets: unknown parameters are ignored, as they always were. */
export const targetsQuerySchema = z.object({
  cluster: z.string().optional().meta({ description: 'Exact cluster name' }),
  namespace: z.string().optional().meta({ description: 'Exact namespace' }),
  pod: z.string().optional().meta({ description: 'RE2 regex on the pod name' }),
  container: z.string().optional().meta({ description: 'RE2 regex on the container name' }),
  labels: z.string().optional().meta({ description: 'Kubernetes label selector (app=etcd,env in (a,b)); on host processes, the labels read from their command lines' }),
  cmdline: userRegexSchema.optional().meta({
    description: 'RE2 regex on host processes\' command lines: lists the host processes it matches on agents in host mode (as a selection\'s processes.cmdline does) instead of containers',
  }),
});

export const eventsQuerySchema = z.object({
  after: z.coerce.number().int().min(0).optional().meta({ description: 'Replay events after this sequence number (default: the Last-Event-ID header, else 0)' }),
  follow: z.enum(['true', 'false']).optional().meta({ description: 'false: send what is stored so far, then end the stream' }),
});

export const reportQuerySchema = z.object({ format: z.enum(['json', 'junit']).default('json') });

export const idParamSchema = z.strictObject({ id: z.string().min(1) });
export const nameParamSchema = z.strictObject({ name: z.string().min(1) });
