// Builds an OpenAPI 3.1 document from zod schemas: the schemas the handlers validate with become its components,
// so what the document says and what the server checks cannot drift apart.
import { z } from 'zod';
import { errorBodySchema } from '../http-errors.js';

type JsonSchema = Record<string, unknown>;

/** A named component, written once and referenced by `$ref` wherever it appears. */
export interface Components {
  /** Schemas of what clients send: defaults are optional, transforms show what they accept. */
  requests: Record<string, z.ZodType>;
  /** Schemas of what the server answers: defaults are filled in, transforms show what they produce. */
  responses: Record<string, z.ZodType>;
  /** Schemas written as JSON Schema already (the drill file's published schema); `$defs` are hoisted. */
  jsonSchemas?: Record<string, JsonSchema>;
}

export type MediaType = 'application/json' | 'application/yaml' | 'application/xml' | 'text/plain' | 'text/event-stream';

export interface Answer {
  description: string;
  /** A component name, or a schema for one media type each. */
  content?: Partial<Record<MediaType, string | JsonSchema>>;
  /** Extra OpenAPI media-type fields (e.g. the SSE event schema as `x-…`), per media type. */
  extensions?: Partial<Record<MediaType, Record<string, unknown>>>;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
}

/** An answer whose body is one JSON component. */
export const jsonAnswer = (description: string, component: string): Answer => ({ description, content: { 'application/json': component } });

export interface Operation {
  method: 'get' | 'post' | 'delete';
  /** OpenAPI template: `/v1/runs/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: readonly string[];
  /** Served without a token. */
  open?: boolean;
  /** Path parameters: each property of the object is one parameter. */
  params?: z.ZodObject;
  /** Query parameters, likewise; from the schema the handler parses the query with. */
  query?: z.ZodObject;
  /** A request body: a component name per media type. */
  body?: { description: string; content: Partial<Record<MediaType, string>> };
  /** Every status the route answers, errors included (errors are the envelope unless given otherwise). */
  responses: Record<number, Answer | string>;
}

export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
/** The component every error answer uses: `{error: {code, message, path?, details?}}` (lib/http.ts). */
export const ERROR_COMPONENT = 'Error';

/** A 429 answer: the error envelope, and how long to wait in retry-after. */
export const rateLimitedAnswer = (description: string): Answer => ({
  description,
  content: { 'application/json': ERROR_COMPONENT },
  headers: { 'retry-after': { description: 'Seconds to wait', schema: { type: 'integer', minimum: 1 } } },
});

/** GET /metrics, as both servers serve it: Prometheus text without a token, limited per address. */
export const metricsOperation = (operationId: string, rateLimited: Answer): Operation => ({
  method: 'get',
  path: '/metrics',
  operationId,
  summary: 'Prometheus metrics',
  tags: ['system'],
  open: true,
  responses: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { type: 'string' } } }, 429: rateLimited },
});

/** Components as JSON Schema 2020-12 (OpenAPI 3.1's dialect), each referring to the others by `$ref`. */
function componentSchemas(c: Components): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  const generate = (schemas: Record<string, z.ZodType>, io: 'input' | 'output') => {
    const registry = z.registry<{ id: string }>();
    for (const [id, schema] of Object.entries(schemas)) {
      // A placeholder for a JSON-Schema component (the drill) may stand in both directions; anything else is a mistake.
      if (out[id] !== undefined && c.jsonSchemas?.[id] === undefined) throw new Error(`component ${id} is defined twice`);
      registry.add(schema, { id });
    }
    const generated = z.toJSONSchema(registry, { target: 'draft-2020-12', io, unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
    for (const [id, schema] of Object.entries(generated.schemas)) {
      const { $schema: _s, $id: _i, ...rest } = schema as JsonSchema;
      out[id] = rest;
    }
  };
  generate({ ...c.requests }, 'input');
  generate({ [ERROR_COMPONENT]: errorBodySchema, ...c.responses }, 'output');
  for (const [id, schema] of Object.entries(c.jsonSchemas ?? {})) Object.assign(out, hoistDefs(id, schema));
  return out;
}

/** `{…, $defs: {step}}` → the schema and `<id>_step` beside it, with every `#/$defs/step` pointing there. */
function hoistDefs(id: string, schema: JsonSchema): Record<string, JsonSchema> {
  const { $schema: _s, $id: _i, $defs, ...rest } = schema as JsonSchema & { $defs?: Record<string, JsonSchema> };
  // zod names shared definitions `__schema0`: `Drill_schema0` reads better as a component name.
  const nameOf = (def: string) => `${id}_${def.replace(/^_+/, '')}`;
  const retarget = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(retarget);
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/') ? `#/components/schemas/${nameOf(v.slice(8))}` : retarget(v)]),
    );
  };
  const out: Record<string, JsonSchema> = { [id]: retarget(rest) as JsonSchema };
  for (const [name, def] of Object.entries($defs ?? {})) out[nameOf(name)] = retarget(def) as JsonSchema;
  return out;
}

/** Each property of a zod object as one OpenAPI parameter (its schema as the client sends it). */
function parameters(schema: z.ZodObject | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (schema === undefined) return [];
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s;
    return { name, in: where, required: where === 'path' || (json.required ?? []).includes(name), ...(description !== undefined ? { description } : {}), schema: rest };
  });
}

function content(spec: Partial<Record<MediaType, string | JsonSchema>>, extensions: Answer['extensions'] = {}): JsonSchema {
  return Object.fromEntries(Object.entries(spec).map(([type, s]) => [type, { schema: typeof s === 'string' ? ref(s) : s, ...(extensions[type as MediaType] ?? {}) }]));
}

function answer(a: Answer | string): JsonSchema {
  const full: Answer = typeof a === 'string' ? { description: a, content: { 'application/json': ERROR_COMPONENT } } : a;
  return { description: full.description, ...(full.headers ? { headers: full.headers } : {}), ...(full.content ? { content: content(full.content, full.extensions) } : {}) };
}

export function buildDocument(info: DocumentInfo, operations: readonly Operation[], components: Components): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const ids = new Set<string>();
  for (const op of operations) {
    if (ids.has(op.operationId)) throw new Error(`operationId ${op.operationId} is used twice`);
    ids.add(op.operationId);
    const params = [...parameters(op.params, 'path'), ...parameters(op.query, 'query')];
    (paths[op.path] ??= {})[op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description !== undefined ? { description: op.description } : {}),
      tags: [...op.tags],
      security: op.open ? [] : [{ bearer: [] }],
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(op.body ? { requestBody: { required: true, description: op.body.description, content: content(op.body.content) } } : {}),
      responses: Object.fromEntries(Object.entries(op.responses).map(([status, a]) => [status, answer(a)])),
    };
  }
  const tags = [...new Set(operations.flatMap((o) => o.tags))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info,
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags,
    security: [{ bearer: [] }],
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token from --token / --tokens-file' } }, schemas: componentSchemas(components) },
  };
}
