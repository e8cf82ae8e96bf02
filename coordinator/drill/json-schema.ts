// The published JSON Schema of a drill file, generated from the same zod schema the coordinator validates with.
import { z } from 'zod';
import { drillSchema, guardStepSchema, parallelStepSchema, probeStepSchema, signalStepSchema, sleepStepSchema, waitStepSchema } from './schema.js';

let cached: Record<string, unknown> | null = null;

/**
 * A step is validated by a transform that tells kinds apart by key (for good errors); JSON Schema cannot express
 * that, so the step definition is replaced by `anyOf` the six step shapes, each generated from its own schema.
 */
export function drillJsonSchema(): Record<string, unknown> {
  if (cached) return cached;
  const opts = { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' } as const;
  const base = z.toJSONSchema(drillSchema, opts) as Record<string, any>;
  const stepRef = { $ref: '#/$defs/step' };
  const shape = (schema: z.ZodType) => {
    const s = z.toJSONSchema(schema, opts) as Record<string, any>;
    delete s.$schema;
    // Nested step lists (parallel branches, guard bodies) point back at the step definition.
    const fix = (node: any): any => {
      if (Array.isArray(node)) return node.map(fix);
      if (node && typeof node === 'object') {
        if (node.type === 'array' && node.items && Object.keys(node.items).length === 0) return { ...node, items: stepRef };
        return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fix(v)]));
      }
      return node;
    };
    return fix(s);
  };
  base.$defs = { ...(base.$defs ?? {}), step: { anyOf: [signalStepSchema, waitStepSchema, probeStepSchema, sleepStepSchema, parallelStepSchema, guardStepSchema].map(shape) } };
  base.properties.spec.properties.steps = { type: 'array', minItems: 1, items: stepRef };
  base.title = 'eris drill';
  base.$id = 'https://eris.dev/schemas/drill.json';
  cached = base;
  return base;
}
