// The agent's HTTP server: a small router over node:http instead of hono. hono answers with web Response objects, and
// an ES-module import of node:http reads its lazy WebSocket getters; either loads undici (10-15 MiB of RSS on every
// node, issue 14). node:http comes through createRequire, which does not.
import { createRequire } from 'node:module';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/logger.js';
import { authenticate, type TokenEntry } from '../../lib/auth.js';
import { ErisError, PayloadTooLargeError, UnauthorizedError, ValidationError } from '../../lib/errors.js';
import { boundedError, SLOW_CLIENT_LIMITS, type ErrorBody } from '../../lib/http-errors.js';
import { rateLimited, type TokenBuckets } from '../../lib/token-buckets.js';

const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');

export interface Request {
  method: string;
  /** Decoded path, without the query. */
  path: string;
  /** The first value of each query parameter. */
  query: Record<string, string>;
  params: Record<string, string>;
  /** The caller's token id, on a route that needs one. */
  tokenId: string;
  remoteAddress: string;
  /** The body as JSON (a 400 when malformed or empty, a 413 beyond the body limit). */
  json(): Promise<unknown>;
}

export interface Reply {
  status: number;
  body: string;
  headers: Record<string, string>;
}

export type Handler = (req: Request) => Reply | Promise<Reply>;

export function json(value: unknown, status = 200, headers: Record<string, string> = {}): Reply {
  return { status, body: JSON.stringify(value), headers: { 'content-type': 'application/json', ...headers } };
}

export function text(body: string, contentType: string): Reply {
  return { status: 200, body, headers: { 'content-type': contentType } };
}

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
  /** Limits callers per address on this route (GET /metrics, which has no token). */
  rateLimit?: { buckets: TokenBuckets; what: string };
}

export interface RouterOptions {
  tokens: readonly TokenEntry[];
  /** Served without a token. */
  openPaths: readonly string[];
  bodyLimit: number;
  logger: Logger;
}

/** Routes by method and path (`:name` matches one segment); every answer, error or not, is JSON but /metrics'. */
export class Router {
  private readonly routes: Route[] = [];

  constructor(private readonly o: RouterOptions) {}

  get(path: string, handler: Handler, rateLimit?: Route['rateLimit']): void {
    this.routes.push({ method: 'GET', segments: path.split('/'), handler, ...(rateLimit ? { rateLimit } : {}) });
  }

  post(path: string, handler: Handler): void {
    this.routes.push({ method: 'POST', segments: path.split('/'), handler });
  }

  delete(path: string, handler: Handler): void {
    this.routes.push({ method: 'DELETE', segments: path.split('/'), handler });
  }

  /** A node:http server (with the slow-client bounds) listening on host:port. */
  listen(host: string, port: number): Promise<Server> {
    const server = http.createServer({ ...SLOW_CLIENT_LIMITS }, (req, res) => void this.serve(req, res));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const { path, search } = splitUrl(req.url ?? '/');
    let reply: Reply;
    try {
      reply = await this.answer(req, method, path, search);
    } catch (err) {
      reply = this.errorReply(err, path);
    }
    if (res.destroyed) return;
    res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
    res.end(reply.body); // Node sends no body to a HEAD.
  }

  private async answer(req: IncomingMessage, method: string, path: string, search: string): Promise<Reply> {
    let tokenId = '';
    if (!this.o.openPaths.includes(path)) {
      const token = authenticate(this.o.tokens, req.headers.authorization);
      if (token === null) throw new UnauthorizedError('a valid bearer token is required (Authorization: Bearer …)');
      tokenId = token.id;
    }
    const hasBody = method !== 'GET' && method !== 'HEAD';
    const limit = this.o.bodyLimit;
    const tooLarge = () => new PayloadTooLargeError(`body: larger than the ${limit}-byte limit of ${method} ${path}`, { path: 'body', details: { limitBytes: limit } });
    // A declared length over the limit is refused before anything is read (a chunked body is counted as it comes).
    if (hasBody && req.headers['transfer-encoding'] === undefined && req.headers['content-length'] !== undefined) {
      if (Number.parseInt(req.headers['content-length'], 10) > limit) throw tooLarge();
    }
    // A HEAD is answered as the GET, without its body.
    const routeMethod = method === 'HEAD' ? 'GET' : method;
    const segments = path.split('/');
    for (const route of this.routes) {
      if (route.method !== routeMethod) continue;
      const params = match(route.segments, segments);
      if (params === null) continue;
      if (route.rateLimit !== undefined) {
        const waitMs = route.rateLimit.buckets.take(req.socket.remoteAddress ?? 'unknown');
        if (waitMs > 0) {
          const { body, retryAfter } = rateLimited(route.rateLimit.buckets, route.rateLimit.what, waitMs);
          return json(body, 429, { 'retry-after': String(retryAfter) });
        }
      }
      return route.handler({
        method,
        path,
        query: firstValues(search),
        params,
        tokenId,
        remoteAddress: req.socket.remoteAddress ?? 'unknown',
        json: async () => parseJson(hasBody ? await readBody(req, limit, tooLarge) : ''),
      });
    }
    return json({ error: { code: 'ERIS_ERR_NOT_FOUND', message: `no route ${method} ${path}` } } satisfies ErrorBody, 404);
  }

  private errorReply(err: unknown, path: string): Reply {
    if (err instanceof ErisError) {
      if (err.status >= 500) this.o.logger.error({ err, path }, 'request failed');
      return json({ error: boundedError(err) } satisfies ErrorBody, err.status);
    }
    this.o.logger.error({ err, path }, 'unexpected error');
    return json({ error: { code: 'ERIS_ERR_INTERNAL', message: 'internal error' } } satisfies ErrorBody, 500);
  }
}

/** Path and query of a request target (origin form, or absolute form from a proxy); the path %-decoded where valid. */
function splitUrl(target: string): { path: string; search: string } {
  let raw = target;
  if (!raw.startsWith('/')) {
    try {
      const u = new URL(raw);
      raw = u.pathname + u.search;
    } catch {
      raw = `/${raw}`;
    }
  }
  const q = raw.indexOf('?');
  const rawPath = q === -1 ? raw : raw.slice(0, q);
  return { path: tryDecode(rawPath, decodeURI), search: q === -1 ? '' : raw.slice(q + 1) };
}

function tryDecode(s: string, decode: (s: string) => string): string {
  if (!s.includes('%')) return s;
  try {
    return decode(s);
  } catch {
    return s;
  }
}

function match(pattern: readonly string[], segments: readonly string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = segments[i]!;
    if (p.startsWith(':')) {
      if (s === '') return null;
      params[p.slice(1)] = tryDecode(s, decodeURIComponent);
    } else if (p !== s) return null;
  }
  return params;
}

function firstValues(search: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(search)) if (k !== '' && !(k in out)) out[k] = v;
  return out;
}

/** Reads the body whole, refusing it with `tooLarge()` once it passes `limit` bytes. */
function readBody(req: IncomingMessage, limit: number, tooLarge: () => Error): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume(); // drained, not kept
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

/** A JSON body; none or malformed is a 400 that says so. */
function parseJson(body: string): unknown {
  if (body.trim() === '') throw new ValidationError('body: a JSON object is required', { path: 'body' });
  try {
    return JSON.parse(body);
  } catch (cause) {
    throw new ValidationError(`body: malformed JSON: ${(cause as Error).message}`, { path: 'body', cause });
  }
}
