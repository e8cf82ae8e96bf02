// Who may do what on the coordinator: roles carried by tokens, and the clusters/namespaces a token is scoped to.
import type { TokenEntry } from '../../lib/auth.js';
import { ErisError } from '../../lib/errors.js';

export const ROLES = ['agent', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** What a user token may do: `operate` includes `read`. */
export type Permission = 'read' | 'operate';

export interface Principal extends TokenEntry {
  /**
   * What the token may do. A token from a tokens file has one role; a legacy token (--token, a line of
   * --token-file, the generated one) has ['operator', 'agent'] and is bound to nothing, as every token was before roles.
   */
  roles: readonly Role[];
  /** Operator/viewer scope: cluster names it may see and touch; absent = every cluster. */
  clusters?: readonly string[];
  /** Operator/viewer scope: namespaces it may see and touch; absent = every namespace. */
  namespaces?: readonly string[];
  /** Agent binding: the cluster it may register as (absent only on legacy tokens). */
  agentCluster?: string;
  /** Agent binding: the node it may register as; absent = any node of agentCluster. */
  agentNode?: string;
}

/** The role a principal acts in for audit records and logs: its first. */
export const primaryRole = (p: Principal): Role | 'legacy' => (p.roles.length > 1 ? 'legacy' : p.roles[0]!);

const ROLE_FOR: Record<Permission, readonly Role[]> = { read: ['viewer', 'operator'], operate: ['operator'] };

/** The token's role does not allow the request; `details.needed` names the role that would. */
export class ForbiddenRoleError extends ErisError {
  override readonly code = 'ERIS_ERR_FORBIDDEN_ROLE';
  override readonly status = 403;
}

/** The token is scoped to clusters/namespaces and the request reaches outside them. */
export class ForbiddenScopeError extends ErisError {
  override readonly code = 'ERIS_ERR_FORBIDDEN_SCOPE';
  override readonly status = 403;
}

export function can(p: Principal, permission: Permission): boolean {
  return p.roles.some((r) => ROLE_FOR[permission].includes(r));
}

/** Throws a 403 naming the role the request needs unless the principal has it. */
export function requirePermission(p: Principal, permission: Permission, what: string): void {
  if (can(p, permission)) return;
  const needed = permission === 'operate' ? 'operator' : 'viewer';
  throw new ForbiddenRoleError(`${what} needs a token with the ${needed} role (token ${p.id} has ${p.roles.join(', ')})`, {
    details: { needed, roles: [...p.roles], tokenId: p.id },
  });
}

export const isScoped = (p: Principal): boolean => p.clusters !== undefined || p.namespaces !== undefined;

/**
 * Whether a target (or anything addressed by cluster and namespace) is inside the principal's scope. A host process
 * has no namespace (''): a namespace-scoped token does not reach host processes.
 */
export function inScope(p: Principal, where: { cluster: string; namespace?: string }): boolean {
  if (p.clusters !== undefined && !p.clusters.includes(where.cluster)) return false;
  if (p.namespaces !== undefined && (where.namespace === undefined || !p.namespaces.includes(where.namespace))) return false;
  return true;
}

/** Where a token may act: its clusters and namespaces (absent = all). */
export type Scope = Pick<Principal, 'clusters' | 'namespaces'>;

/**
 * Whether everything `inner` may reach, `outer` may reach too: each list of `outer` is absent (all), or `inner` has
 * that list and it names nothing `outer` does not. Who may abort a run: a scoped token only a run whose starter's
 * scope is within its own, so it cannot stop (and resume the faults of) a run acting elsewhere.
 */
export function scopeCovers(outer: Scope, inner: Scope): boolean {
  const covers = (o: readonly string[] | undefined, i: readonly string[] | undefined) => o === undefined || (i !== undefined && i.every((x) => o.includes(x)));
  return covers(outer.clusters, inner.clusters) && covers(outer.namespaces, inner.namespaces);
}
