// Hono middleware for the coordinator's user API: who the bearer is (a principal), and the role the route needs.
import type { Context, MiddlewareHandler } from 'hono';
import { authenticate } from '../../lib/auth.js';
import { UnauthorizedError } from '../../lib/errors.js';
import { requirePermission, type Permission, type Principal } from './roles.js';

export type CoordinatorVariables = { principal: Principal; tokenId: string };

/**
 * POSTs that only read: a selection preview, a drill check (the console's editor), and a run request (which needs `operate` unless it is a dry run; the
 * handler checks that once it has read the body). Every other POST, PUT, PATCH and DELETE needs `operate`.
 */
const READING_POSTS = new Set(['/v1/selections', '/v1/drills/validate', '/v1/runs']);

export function permissionFor(method: string, path: string): Permission {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return 'read';
  return method === 'POST' && READING_POSTS.has(path) ? 'read' : 'operate';
}

export interface PrincipalAuthOptions {
  principals: readonly Principal[];
  /** Paths served without a token (health, metrics, the API's own description). */
  open: readonly string[];
  /** Told of each refused request (no token, a wrong one, a role that does not allow it), for the audit. */
  onRefused?: (c: Context, reason: { code: string; principal?: Principal; message: string }) => void;
}

export function principalAuth(o: PrincipalAuthOptions): MiddlewareHandler<{ Variables: CoordinatorVariables }> {
  return async function principalAuthMiddleware(c, next) {
    if (o.open.includes(c.req.path)) return next();
    const principal = authenticate(o.principals, c.req.header('authorization'));
    if (principal === null) {
      const err = new UnauthorizedError('a valid bearer token is required (Authorization: Bearer …)');
      o.onRefused?.(c, { code: err.code, message: err.message });
      throw err;
    }
    try {
      requirePermission(principal, permissionFor(c.req.method, c.req.path), `${c.req.method} ${c.req.path}`);
    } catch (err) {
      o.onRefused?.(c, { code: (err as { code: string }).code, principal, message: (err as Error).message });
      throw err;
    }
    c.set('principal', principal);
    c.set('tokenId', principal.id);
    return next();
  };
}
