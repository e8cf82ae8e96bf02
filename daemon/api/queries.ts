// The agent API's query strings, as its handlers validate them (daemon/api/openapi.ts describes them from these).
import { z } from 'zod';
import { FAULT_STATES } from '../../lib/link/protocol.js';

export const agentTargetsQuerySchema = z.strictObject({
  namespace: z.string().min(1).max(253).optional(),
  pod: z.string().min(1).optional().meta({ description: 'RE2 regex on the pod name' }),
  container: z.string().min(1).optional().meta({ description: 'RE2 regex on the container name' }),
  labels: z
    .string()
    .max(4096)
    .regex(/^[^=,]+=[^=,]*(,[^=,]+=[^=,]*)*$/, 'must be k=v[,k=v…]')
    .optional()
    .meta({ description: 'k=v[,k=v…]: pod labels that must all be equal' }),
  cmdline: z.string().min(1).optional().meta({ description: 'RE2 regex on host processes\' command lines (host mode)' }),
  processes: z.enum(['true', 'false']).optional().meta({ description: 'true: list the PIDs in each container' }),
  refresh: z.enum(['true', 'false']).optional().meta({ description: 'true: ask the runtime now instead of the last inventory' }),
});

export const agentFaultsQuerySchema = z.strictObject({ state: z.enum(FAULT_STATES, { error: `must be one of ${FAULT_STATES.join(', ')}` }).optional() });
