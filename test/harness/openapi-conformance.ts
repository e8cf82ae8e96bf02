// Checks real answers against an OpenAPI document: the schema of the operation and status that answered (JSON bodies
// and each event of an SSE stream), with ajv (JSON Schema 2020-12, OpenAPI 3.1's dialect) over the document's components.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

type Json = Record<string, any>;

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  /** Static paths win over templates (`/v1/schemas/drill.json` is not `/v1/drills/{name}`). */
  params: number;
  operation: Json;
}

export interface Answered {
  method: string;
  /** The request path, e.g. `/v1/runs/0b1c…/report` (a query string is ignored). */
  path: string;
  status: number;
  contentType: string | null;
  body: string;
}

export class OpenApiConformance {
  private readonly ajv: Ajv2020;
  private readonly routes: Route[];
  private readonly validators = new Map<string, ValidateFunction>();
  /** `operationId status` of every answer checked. */
  readonly covered = new Set<string>();
  /** How many answers were checked (each SSE stream counts once). */
  checked = 0;
  /** Problems found by checks nobody awaited (streams the caller reads on its own). */
  readonly problems: string[] = [];
  private readonly pending: Array<Promise<void>> = [];

  constructor(readonly document: Json) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false, validateFormats: false });
    this.ajv.addSchema(document, 'openapi');
    this.routes = Object.entries(document.paths as Record<string, Json>)
      .flatMap(([template, item]) =>
        Object.entries(item).map(([method, operation]) => ({
          method: method.toUpperCase(),
          template,
          params: (template.match(/\{/g) ?? []).length,
          pattern: new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`),
          operation: operation as Json,
        })),
      )
      .sort((a, b) => a.params - b.params);
  }

  /** Every `operationId status` the document lists. */
  documented(): string[] {
    return this.routes.flatMap((r) => Object.keys(r.operation.responses as Json).map((status) => `${r.operation.operationId} ${status}`));
  }

  operationIds(): string[] {
    return this.routes.map((r) => r.operation.operationId as string);
  }

  private validator(pointer: string): ValidateFunction {
    let v = this.validators.get(pointer);
    if (v === undefined) this.validators.set(pointer, (v = this.ajv.compile({ $ref: `openapi#${pointer}` })));
    return v;
  }

  private route(method: string, path: string): Route {
    const route = this.routes.find((r) => r.method === method && r.pattern.test(path));
    if (route === undefined) throw new Error(`${method} ${path}: no such operation in the document`);
    return route;
  }

  /** Throws, naming the operation, the status and the first schema errors, when the answer is not what the document says. */
  check(a: Answered): void {
    const path = a.path.split('?')[0]!;
    const route = this.route(a.method, path);
    const id = route.operation.operationId as string;
    const response = (route.operation.responses as Json)[String(a.status)];
    if (response === undefined) throw new Error(`${id}: status ${a.status} is not documented (${a.body.slice(0, 300)})`);
    this.covered.add(`${id} ${a.status}`);
    this.checked += 1;
    const content = response.content as Json | undefined;
    if (content === undefined) return;
    const type = (a.contentType ?? '').split(';')[0]!.trim();
    const media = content[type];
    if (media === undefined) throw new Error(`${id} ${a.status}: content type ${type} is not documented (${Object.keys(content).join(', ')})`);
    const base = `/paths/${pointerEscape(route.template)}/${a.method.toLowerCase()}/responses/${a.status}/content/${pointerEscape(type)}`;
    if (type === 'text/event-stream') {
      const eventPointer = media['x-eris-event'] ? `${base}/x-eris-event` : null;
      for (const event of parseSse(a.body)) if (eventPointer) this.validate(eventPointer, event, `${id} ${a.status} event ${event.event}`);
      return;
    }
    if (type !== 'application/json') {
      if (media.schema?.type === 'string' && typeof a.body !== 'string') throw new Error(`${id} ${a.status}: not text`);
      return;
    }
    this.validate(`${base}/schema`, JSON.parse(a.body), `${id} ${a.status}`);
  }

  private validate(pointer: string, value: unknown, what: string): void {
    const v = this.validator(pointer);
    if (v(value)) return;
    const errors = (v.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
    throw new Error(`${what}: the answer does not match the document:\n  ${errors.join('\n  ')}\n  body: ${JSON.stringify(value).slice(0, 600)}`);
  }

  /** Checks a fetched Response without consuming it; a stream is checked as it is read, its verdict kept for settle(). */
  async checkResponse(method: string, url: string, res: Response): Promise<void> {
    const contentType = res.headers.get('content-type');
    const path = new URL(url, 'http://x').pathname;
    const read = res.clone().text();
    const run = async (body: string) => this.check({ method, path, status: res.status, contentType, body });
    if ((contentType ?? '').startsWith('text/event-stream')) {
      // The caller may read (or abort) the stream for a long time: check what arrived, whenever it ends.
      this.pending.push(
        read.then(run, async () => undefined).catch((err: Error) => void this.problems.push(err.message)),
      );
      return;
    }
    await run(await read);
  }

  /** A fetch that checks every answer it returns against the document. */
  fetch(inner: typeof fetch = globalThis.fetch): typeof fetch {
    return async (input, init) => {
      const res = await inner(input, init);
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const method = (init?.method ?? (typeof input === 'object' && 'method' in input ? input.method : 'GET')).toUpperCase();
      await this.checkResponse(method, url, res);
      return res;
    };
  }

  /** Waits for the stream checks and throws if any found a problem. */
  async settle(): Promise<void> {
    await Promise.all(this.pending.splice(0));
    if (this.problems.length > 0) throw new Error(this.problems.join('\n'));
  }
}

const pointerEscape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** SSE frames as `{event, id, data}` (data parsed as JSON), as RunEvent describes one. */
export function parseSse(text: string): Array<{ event: string; id: string | null; data: unknown }> {
  const out: Array<{ event: string; id: string | null; data: unknown }> = [];
  for (const frame of text.split(/\r?\n\r?\n/)) {
    let event = 'message';
    let id: string | null = null;
    const data: string[] = [];
    for (const line of frame.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length > 0) out.push({ event, id, data: JSON.parse(data.join('\n')) });
  }
  return out;
}

const byOrigin = new Map<string, Promise<OpenApiConformance>>();

/** The conformance checker of the server at `url` (an agent or a coordinator), from the document it serves. */
export function conformanceOf(url: string): Promise<OpenApiConformance> {
  const origin = new URL(url).origin;
  let found = byOrigin.get(origin);
  if (found === undefined) {
    found = fetch(`${origin}/openapi.json`).then(async (res) => new OpenApiConformance((await res.json()) as Json));
    byOrigin.set(origin, found);
  }
  return found;
}

/** A fetch that checks each answer against the document of whichever server answered. */
export const conformingFetch: typeof fetch = async (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  return (await conformanceOf(url)).fetch()(input, init);
};
