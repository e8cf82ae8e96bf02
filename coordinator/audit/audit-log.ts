// The audit trail: who (token id and role) did what, when, with what result — into the store and the log.
import type { Logger } from '../../lib/logger.js';
import type { Store, AuditResult } from '../store/types.js';
import { primaryRole, type Principal } from '../auth/roles.js';

/** What is audited. Reads are not; every refused request is (up to a rate, see refused()). */
export const AUDIT_ACTIONS = [
  'auth.refused',
  'agent.refused',
  'run.start',
  'run.abort',
  'fault.create',
  'fault.resume',
  'resume.all',
  'drill.save',
  'drill.delete',
  'override.use',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * Refusals recorded per window at most: a client hammering with a wrong token must not grow the store without
 * bound. What is left out is counted into the next record (`details.suppressed`).
 */
const REFUSALS_PER_WINDOW = 60;
const REFUSAL_WINDOW_MS = 60_000;

/** How often the retention bound is applied: every this many records, and at least hourly (and at start). */
const PRUNE_EVERY_RECORDS = 100;
const PRUNE_EVERY_MS = 60 * 60_000;

/** How much of the trail is kept (coordinator/config.ts validates both; 0 or absent = no bound of that kind). */
export interface AuditRetention {
  /** Records older than this many days are deleted. */
  days?: number;
  /** Beyond this many records, the oldest are deleted. */
  maxRecords?: number;
}

export interface AuditLogOptions {
  store: Store;
  logger: Logger;
  now?: () => number;
  retention?: AuditRetention;
}

export class AuditLog {
  private readonly now: () => number;
  private windowStart = 0;
  private refusalsInWindow = 0;
  private suppressed = 0;
  private sincePrune = 0;
  private lastPrune = 0;

  constructor(private readonly o: AuditLogOptions) {
    this.now = o.now ?? Date.now;
    this.prune();
  }

  /** Applies the retention bound now; returns how many records went. A store that fails is logged, never thrown. */
  prune(): number {
    const { days, maxRecords } = this.o.retention ?? {};
    const at = this.now();
    this.sincePrune = 0;
    this.lastPrune = at;
    if (!days && !maxRecords) return 0;
    try {
      const deleted = this.o.store.pruneAudit({ ...(days ? { before: at - days * 86_400_000 } : {}), ...(maxRecords ? { keep: maxRecords } : {}) });
      if (deleted > 0) this.o.logger.info({ deleted, retention: this.o.retention }, 'audit records past the retention bound deleted');
      return deleted;
    } catch (err) {
      this.o.logger.error({ err }, 'could not prune the audit trail');
      return 0;
    }
  }

  /** Records one action. A store that fails is logged, never thrown into the action it records. */
  record(actor: Principal | null, action: AuditAction, target: string | null, result: AuditResult, details?: Record<string, unknown>): void {
    const at = this.now();
    const who = { actor: actor?.id ?? null, role: actor ? primaryRole(actor) : null };
    this.o.logger.info({ audit: { ...who, action, target, result, ...(details ? { details } : {}) } }, 'audit');
    try {
      this.o.store.appendAudit({ at, ...who, action, target, result, ...(details ? { details } : {}) });
    } catch (err) {
      this.o.logger.error({ err, action, target }, 'could not store an audit record');
    }
    if (++this.sincePrune >= PRUNE_EVERY_RECORDS || at - this.lastPrune >= PRUNE_EVERY_MS) this.prune();
  }

  /** A refused request or link, rate-limited (the log line is dropped with it: floods must not flood the log). */
  refused(actor: Principal | null, action: 'auth.refused' | 'agent.refused', target: string, details: Record<string, unknown>): void {
    const at = this.now();
    if (at - this.windowStart >= REFUSAL_WINDOW_MS) {
      this.windowStart = at;
      this.refusalsInWindow = 0;
    }
    if (this.refusalsInWindow >= REFUSALS_PER_WINDOW) {
      this.suppressed += 1;
      return;
    }
    this.refusalsInWindow += 1;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.record(actor, action, target, 'refused', { ...details, ...(suppressed > 0 ? { suppressed } : {}) });
  }
}
