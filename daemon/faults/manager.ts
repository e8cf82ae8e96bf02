// Places faults (signals to the processes of a target), holds SIGSTOP faults under a lease, and resumes them.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from '../../lib/logger.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { setTimerAt } from '../../lib/timers.js';
import type { AgentMetrics } from '../metrics.js';
import type { ProcFs } from '../proc/procfs.js';
import { verifyIdentity, type ProcessIdentity } from '../proc/identity.js';
import { awaitState, type Signaller, type SignalName } from '../proc/signal.js';
import type { Journal, JournalRecord, PendingStop } from './journal.js';
import type { LeaseWatchdog } from '../watchdog/client.js';
import type { Override, SafetyPolicy } from './safety.js';
import type { FaultMethod, FaultRequest } from './request.js';
import type { CgroupFreezer, FreezerCgroup } from '../proc/freezer.js';
import { FreezerHolds } from './freezer-holds.js';
import type { ContainerRef, ResolvedTarget, TargetResolver } from './resolve.js';
import { HoldRescanTimer } from './hold-rescan.js';

export type FaultState = 'active' | 'resumed' | 'done' | 'failed';
/** Why a SIGSTOP fault ended; `sigcont`: a SIGCONT fault continued every process it held (see resumedBy). */
export type ResumeReason = 'api' | 'lease' | 'shutdown' | 'recovered' | 'coordinator-lost' | 'processes-gone' | 'sigcont';

export interface ProcessResult {
  pid: number;
  startTime: string;
  /** The signal reached the process. */
  ok: boolean;
  /**
   * The process was seen in the expected state afterwards (T after SIGSTOP, gone after SIGKILL, running after
   * SIGCONT); for a SIGSTOP, also when a SIGCONT fault continued it before it could be seen (resume.byFault).
   */
  verified: boolean;
  /** How the signal was sent, or `freezer`: the process's cgroup was frozen. */
  method?: 'pidfd' | 'kill' | 'freezer';
  /**
   * The process was gone (exited, PID reused, or exiting and out of its cgroup) before the signal reached it. For
   * SIGKILL that is its goal (ok, and verified says if it is gone); for any other signal it is not counted in the
   * verdict: there was nothing left to signal.
   */
  alreadyGone?: true;
  /** The signal reached it and the process exited before it was seen in the expected state (not counted, except a SIGCONT: it ran). */
  exited?: true;
  /**
   * It joined the target after the fault was placed (an exec into the frozen container, a fork that raced the stop)
   * and the hold stopped it too; resumed with the others. Not counted in the verdict, given when the fault was placed.
   */
  appearedLater?: true;
  error?: { code: string; message: string };
  /** How it was resumed; `byFault`: the SIGCONT fault that continued it while this SIGSTOP fault held it. */
  resume?: { ok: boolean; byFault?: string; error?: { code: string; message: string } };
}

export interface FaultTargetResult {
  kind: 'container' | 'process';
  container?: ContainerRef;
  process?: { pid: number; cmdline: string };
  processes: ProcessResult[];
  /** A freezer fault: the container's cgroup it froze. */
  freezer?: FreezerCgroup;
  /** The named process was gone before anything was signalled (a PID listed a moment ago): not counted. */
  alreadyGone?: true;
}

export interface Fault {
  id: string;
  signal: SignalName;
  scope: 'all' | 'init';
  /** How a SIGSTOP fault hangs its target (request.ts); absent from older agents, which only signal. */
  method?: FaultMethod;
  state: FaultState;
  result: 'ok' | 'partial' | 'failed';
  createdAt: number;
  /** Request → every process verified, in milliseconds. */
  durationMs: number;
  leaseSeconds?: number;
  leaseExpiresAt?: number;
  resumedAt?: number;
  resumeReason?: ResumeReason;
  /** With resumeReason `sigcont`: the SIGCONT fault that ended it. */
  resumedBy?: string;
  /** A SIGCONT fault: the active SIGSTOP faults whose processes it continued (and so released, or ended). */
  undid?: string[];
  requestedBy: string;
  owner?: string;
  labels?: Record<string, string>;
  targets: FaultTargetResult[];
}

const EXPECTED = { SIGSTOP: 'stopped', SIGKILL: 'gone', SIGCONT: 'running' } as const;
const VERIFY_TIMEOUT_MS = { SIGSTOP: 1000, SIGCONT: 1000, SIGKILL: 3000 } as const;
const HISTORY_LIMIT = 1000;

export interface FaultManagerOptions {
  resolver: TargetResolver;
  signaller: Signaller;
  procfs: ProcFs;
  journal: Journal;
  safety: SafetyPolicy;
  metrics: AgentMetrics;
  logger: Logger;
  leaseDefaultSeconds: number;
  leaseMaxSeconds: number;
  /** Keeps every lease outside the agent's process too (daemon/watchdog): told before each stop, and at each end. */
  watchdog?: LeaseWatchdog;
  /** The cgroup freezer (method `freezer`); without it such requests are refused. */
  freezer?: CgroupFreezer;
  /** How often a held target (scope all) is re-scanned for processes that joined it; 0 turns it off (default 50). */
  holdRescanMs?: number;
  now?: () => number;
}

/** What the hold re-scan needs of an active SIGSTOP fault with scope all. */
interface Watched {
  targets: ResolvedTarget[];
  results: FaultTargetResult[];
  overrides: readonly Override[];
  owner: string | undefined;
  leaseExpiresAt: number;
  /** Every process this fault has seen (signalled, left alone, or released): a newcomer is one not in here. */
  seen: Set<string>;
  /** Newcomers whose SIGSTOP was refused (identity changed under us), by key: how many looks they have had. */
  retries: Map<string, number>;
}

/**
 * How many looks a newcomer gets when its SIGSTOP is refused. A `runc exec` joins the container's cgroups one
 * controller at a time, so the identity taken at the first look (its cgroup line) can be stale a moment later and the
 * signaller rightly refuses it; the next look takes a fresh identity. Seen here under load: an exec left running
 * for its whole second because its one refused look made it "seen".
 */
const NEWCOMER_LOOKS = 20;

export const DEFAULT_HOLD_RESCAN_MS = 50;

const key = (p: { pid: number; startTime: string }) => `${p.pid}:${p.startTime}`;

export class FaultManager {
  private readonly faults = new Map<string, Fault>();
  /** What each active SIGSTOP fault holds, so overlapping faults do not resume each other's processes. */
  private readonly held = new Map<string, ProcessIdentity[]>();
  /**
   * SIGSTOP faults signalled but not registered yet (their verification is awaited): what a SIGCONT fault placed
   * meanwhile continued, by process key → that SIGCONT fault's id, so the hold they register leaves it out.
   */
  private readonly inflight = new Map<string, { keys: ReadonlySet<string>; released: Map<string, string> }>();
  /** Cancels each active fault's lease timer. */
  private readonly timers = new Map<string, () => void>();
  private readonly events = new EventEmitter();
  private readonly now: () => number;
  /** Active SIGSTOP faults whose targets are re-scanned for newcomers while they hold. */
  private readonly watched = new Map<string, Watched>();
  private readonly rescanTimer: HoldRescanTimer;
  /** The cgroups each active freezer fault holds frozen. */
  private readonly frozen = new FreezerHolds();

  constructor(private readonly o: FaultManagerOptions) {
    this.now = o.now ?? Date.now;
    this.rescanTimer = new HoldRescanTimer(o.holdRescanMs ?? DEFAULT_HOLD_RESCAN_MS, () => this.stopNewcomers());
  }

  onChange(listener: (fault: Fault) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  list(): Fault[] {
    return [...this.faults.values()].sort((a, b) => b.createdAt - a.createdAt);
  }

  active(): Fault[] {
    return this.list().filter((f) => f.state === 'active');
  }

  get(id: string): Fault {
    const fault = this.faults.get(id);
    if (!fault) throw new NotFoundError(`no fault ${id}`, { path: 'id' });
    return fault;
  }

  /** `beforeAct`: awaited once the request is checked and its targets resolved, just before acting (a fire time). */
  async create(request: FaultRequest, requestedBy: string, beforeAct?: () => Promise<void>): Promise<Fault> {
    let started = performance.now();
    const { signal, scope, override, method } = request;
    if (method === 'freezer') this.checkFreezerRequest(request);
    const leaseSeconds = signal === 'SIGSTOP' ? (request.leaseSeconds ?? this.o.leaseDefaultSeconds) : undefined;
    if (request.leaseSeconds !== undefined && signal !== 'SIGSTOP') {
      throw new ValidationError('leaseSeconds: only a SIGSTOP fault has a lease', { path: 'leaseSeconds' });
    }
    if (leaseSeconds !== undefined && leaseSeconds > this.o.leaseMaxSeconds) {
      throw new ValidationError(`leaseSeconds: must be at most ${this.o.leaseMaxSeconds}`, { path: 'leaseSeconds' });
    }
    let targets: ResolvedTarget[];
    let cgroups: FreezerCgroup[] = [];
    try {
      targets = await this.o.resolver.resolve(request.target, scope);
      for (const t of targets) {
        if (t.container) this.o.safety.checkNamespace(t.container.namespace, override);
        // A host process that is a pod's (its cgroup says so) is judged by that pod's namespace.
        else for (const pod of await this.o.resolver.podsOf(t.processes)) this.o.safety.checkNamespace(pod.namespace, override, pod.pid);
        this.o.safety.checkProcesses(t.processes.map((p) => p.pid), override);
      }
      if (method === 'freezer') cgroups = this.freezerCgroupsOf(targets);
    } catch (error) {
      const reason = (error as { details?: { reason?: string } }).details?.reason;
      if (reason !== undefined) this.o.metrics.refusals.inc({ reason });
      this.o.metrics.faults.inc({ signal, result: 'refused' });
      this.o.logger.warn({ requestedBy, signal, target: request.target, err: error }, 'fault refused');
      throw error;
    }

    if (beforeAct) {
      await beforeAct();
      // The fault's time (and its lease) starts when it acts, not when it was asked for.
      started = performance.now();
    }
    const id = randomUUID();
    const createdAt = this.now();
    const leaseExpiresAt = leaseSeconds !== undefined ? createdAt + leaseSeconds * 1000 : undefined;
    const all = targets.flatMap((t) => t.processes);
    if (method === 'freezer') return this.freeze({ id, createdAt, started, leaseSeconds: leaseSeconds!, leaseExpiresAt: leaseExpiresAt!, targets, cgroups, request, requestedBy });
    // Write the intent down before acting, so a later run of the agent can undo it (journal.ts).
    if (signal === 'SIGSTOP') {
      this.recordStop({ op: 'stop', faultId: id, at: createdAt, leaseExpiresAt: leaseExpiresAt!, processes: all, ...(request.owner ? { owner: request.owner } : {}) });
    }
    const results = targets.map((t) => this.signalTarget(t, signal));
    // A SIGKILL into a container the v1 freezer holds waits for the thaw: end that hold, so the kill lands.
    if (signal === 'SIGKILL') this.thawForKill(results);
    // A container may fork while we stop or kill it: sweep its cgroup again for processes we have not hit.
    if (scope === 'all' && (signal === 'SIGSTOP' || signal === 'SIGKILL')) this.sweep(id, targets, results, signal, request.owner, leaseExpiresAt, override);
    if (signal === 'SIGSTOP') this.inflight.set(id, { keys: new Set(targets.flatMap((t) => t.processes).map(key)), released: new Map() });
    let released: ReadonlyMap<string, string>;
    try {
      await this.verify(results, signal, id);
    } finally {
      released = this.inflight.get(id)?.released ?? new Map();
      this.inflight.delete(id);
    }

    const processes = results.flatMap((t) => t.processes);
    const { okCount, result } = verdict(signal, processes);
    const fault: Fault = {
      id,
      signal,
      scope,
      method,
      state: signal === 'SIGSTOP' && okCount > 0 ? 'active' : result === 'failed' ? 'failed' : 'done',
      result,
      createdAt,
      durationMs: performance.now() - started,
      ...(leaseSeconds !== undefined ? { leaseSeconds, leaseExpiresAt } : {}),
      requestedBy,
      ...(request.owner ? { owner: request.owner } : {}),
      ...(request.labels ? { labels: request.labels } : {}),
      targets: results,
    };
    this.remember(fault);
    if (signal === 'SIGCONT') this.releaseContinued(fault);
    if (fault.state === 'active') {
      // What a SIGCONT fault continued while this one was being verified is not held (releaseContinued).
      for (const p of processes) if (released.has(key(p))) p.resume = { ok: true, byFault: released.get(key(p))! };
      const held = targets.flatMap((t) => t.processes).filter((p) => !released.has(key(p)) && processes.some((r) => r.ok && key(r) === key(p)));
      this.held.set(id, held);
      this.armLease(fault);
      if (scope === 'all') this.watch(id, targets, results, override, request.owner, leaseExpiresAt!);
      if (held.length === 0) this.resume(id, 'sigcont', [...released.values()].at(-1));
    } else if (signal === 'SIGSTOP') {
      // Failed means none was seen stopped, not that the signal reached none: a process in D (uninterruptible) takes
      // a SIGSTOP only when it wakes, after the verification gave up. Undo what was sent, or it would stop unheld.
      const identities = new Map(targets.flatMap((t) => t.processes).map((p) => [key(p), p]));
      for (const p of processes) {
        const identity = identities.get(key(p));
        if (!p.ok || identity === undefined) continue;
        const outcome = this.o.signaller.send(identity, 'SIGCONT');
        p.resume = outcome.ok ? { ok: true } : { ok: outcome.gone === true, ...(outcome.error ? { error: outcome.error } : {}) };
      }
      this.recordEnd({ op: 'resumed', faultId: id, at: this.now(), reason: 'failed' });
    }
    this.o.metrics.faults.inc({ signal, result });
    this.o.metrics.signalDuration.observe({ signal }, fault.durationMs / 1000);
    for (const p of processes) this.o.metrics.processesSignalled.inc({ signal, result: processResult(p) });
    if (signal === 'SIGKILL') this.closeFaultsWhoseProcessesAreGone();
    this.updateActiveGauge();
    this.o.logger.info(
      { faultId: id, requestedBy, signal, scope, result, durationMs: round(fault.durationMs), leaseSeconds, owner: request.owner, targets: summarize(results) },
      'fault placed',
    );
    this.events.emit('change', fault);
    return fault;
  }

  /** Resumes a SIGSTOP fault. Idempotent: resuming one that is no longer active returns it as it is. */
  resume(id: string, reason: ResumeReason = 'api', resumedBy?: string): Fault {
    const fault = this.get(id);
    if (fault.state !== 'active') return fault;
    if (this.frozen.has(id)) this.thaw(fault);
    const processes = this.held.get(id) ?? [];
    this.held.delete(id);
    this.watched.delete(id);
    this.rescanTimer.set(this.watched.size > 0);
    this.timers.get(id)?.();
    this.timers.delete(id);
    const stillHeld = new Set([...this.held.values()].flat().map(key));
    const outcomes = new Map<string, ProcessResult['resume']>();
    for (const p of processes) {
      if (stillHeld.has(key(p))) {
        outcomes.set(key(p), { ok: true, error: { code: 'ERIS_HELD_BY_OTHER_FAULT', message: 'another active fault still holds it stopped' } });
        continue;
      }
      const outcome = this.o.signaller.send(p, 'SIGCONT');
      outcomes.set(key(p), outcome.ok ? { ok: true } : { ok: outcome.gone === true, ...(outcome.error ? { error: outcome.error } : {}) });
    }
    for (const t of fault.targets) for (const p of t.processes) if (outcomes.has(key(p))) p.resume = outcomes.get(key(p));
    const unresumed = [...outcomes.values()].filter((o) => o?.ok === false).length;
    if (unresumed > 0) this.o.metrics.resumeFailures.inc(unresumed);
    fault.state = 'resumed';
    fault.resumedAt = this.now();
    fault.resumeReason = reason;
    if (resumedBy !== undefined) fault.resumedBy = resumedBy;
    this.recordEnd({ op: 'resumed', faultId: id, at: fault.resumedAt, reason });
    if (reason === 'lease') this.o.metrics.leaseExpiries.inc();
    this.updateActiveGauge();
    this.o.logger.info({ faultId: id, reason, processes: processes.length, ...(fault.method === 'freezer' ? { method: 'freezer' } : {}) }, 'fault resumed');
    this.events.emit('change', fault);
    return fault;
  }

  resumeAll(reason: ResumeReason): Fault[] {
    return this.active().map((f) => this.resume(f.id, reason));
  }

  resumeOwnedBy(owner: string, reason: ResumeReason): Fault[] {
    return this.active()
      .filter((f) => f.owner === owner)
      .map((f) => this.resume(f.id, reason));
  }

  /**
   * Resumes what an earlier run of the agent left stopped. Identity is checked first: a process whose PID was
   * reused is left alone. Returns how many processes were resumed.
   */
  recoverFromJournal(): { faults: number; resumed: number; skipped: number } {
    const pending = this.o.journal.pending();
    let resumed = 0;
    let skipped = 0;
    for (const stop of pending) {
      const targets: FaultTargetResult[] = [{ kind: 'process', processes: [] }];
      for (const cg of stop.freezer ?? []) this.thawRecovered(stop.faultId, cg);
      for (const p of stop.processes) {
        const outcome = this.o.signaller.send(p, 'SIGCONT');
        if (outcome.ok) resumed++;
        else skipped++;
        targets[0]!.processes.push({
          pid: p.pid,
          startTime: p.startTime,
          ok: outcome.ok,
          verified: outcome.ok,
          method: outcome.method,
          ...(outcome.error ? { error: outcome.error } : {}),
        });
      }
      this.remember(recoveredFault(stop, targets, this.now()));
      this.o.logger.warn({ faultId: stop.faultId, processes: stop.processes.length }, 'resumed a fault left by an earlier run');
    }
    this.o.metrics.journalRecoveries.inc(resumed);
    this.o.journal.compact();
    return { faults: pending.length, resumed, skipped };
  }

  /** Stops lease timers; call after resumeAll on shutdown. */
  close(): void {
    this.watched.clear();
    this.rescanTimer.set(false);
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    this.o.journal.close();
  }

  /** A stop is written down before it happens: in the journal (for a later run of the agent) and with the watchdog (for when none comes). */
  private recordStop(record: Extract<JournalRecord, { op: 'stop' }>): void {
    this.o.journal.append(record);
    this.o.watchdog?.hold(record.faultId, record.leaseExpiresAt, record.processes, record.freezer);
  }

  private recordEnd(record: Extract<JournalRecord, { op: 'resumed' }>): void {
    this.o.journal.append(record);
    this.o.watchdog?.release(record.faultId);
  }

  /** A new watchdog (the last one died) is told again what each active fault holds. */
  reHoldWithWatchdog(): void {
    for (const [id, processes] of this.held) {
      const fault = this.faults.get(id);
      if (fault?.leaseExpiresAt !== undefined) this.o.watchdog?.hold(id, fault.leaseExpiresAt, processes);
    }
    for (const fault of this.active()) {
      const cgroups = fault.method === 'freezer' ? fault.targets.flatMap((t) => (t.freezer ? [t.freezer] : [])) : [];
      if (cgroups.length > 0 && fault.leaseExpiresAt !== undefined) this.o.watchdog?.hold(fault.id, fault.leaseExpiresAt, [], cgroups);
    }
  }

  private checkFreezerRequest(request: FaultRequest): void {
    if (request.signal !== 'SIGSTOP') throw new ValidationError('method: freezer hangs a container (SIGSTOP); other signals are sent as signals', { path: 'method' });
    if (request.scope !== 'all') throw new ValidationError('scope: the freezer freezes the whole container (scope all), not its init alone', { path: 'scope' });
    if (this.o.freezer === undefined) throw new ValidationError('method: this agent has no cgroup freezer', { path: 'method' });
  }

  /** The freezer cgroup of each container target; host processes have no cgroup of their own to freeze. */
  private freezerCgroupsOf(targets: readonly ResolvedTarget[]): FreezerCgroup[] {
    return targets.map((t) => {
      const name = t.container ? `${t.container.namespace}/${t.container.pod}/${t.container.name}` : `pid ${t.process?.pid}`;
      const init = t.processes[0];
      const cg = t.kind === 'container' && init !== undefined ? this.o.freezer!.locate(init.pid) : null;
      if (t.kind !== 'container') throw new ValidationError(`method: freezer needs container targets; ${name} is a host process (use method signal)`, { path: 'method' });
      if (cg === null) throw new ValidationError(`method: no freezer cgroup (v1 freezer.state or v2 cgroup.freeze) reachable for ${name}`, { path: 'method' });
      return cg;
    });
  }

  /**
   * A freezer fault: the intent journaled (with the cgroups), each container's cgroup frozen, then awaited until the
   * kernel says every task is frozen. A fault that froze nothing thaws what it wrote and ends failed.
   */
  private async freeze(o: {
    id: string; createdAt: number; started: number; leaseSeconds: number; leaseExpiresAt: number;
    targets: ResolvedTarget[]; cgroups: FreezerCgroup[]; request: FaultRequest; requestedBy: string;
  }): Promise<Fault> {
    const freezer = this.o.freezer!;
    const { id, request } = o;
    const owner = request.owner;
    this.recordStop({ op: 'stop', faultId: id, at: o.createdAt, leaseExpiresAt: o.leaseExpiresAt, processes: o.targets.flatMap((t) => t.processes), freezer: o.cgroups, ...(owner ? { owner } : {}) });
    const results = await Promise.all(
      o.targets.map(async (t, i): Promise<FaultTargetResult> => {
        const cg = o.cgroups[i]!;
        let error: { code: string; message: string } | undefined;
        try {
          freezer.freeze(cg);
        } catch (e) {
          error = { code: (e as NodeJS.ErrnoException).code ?? 'EIO', message: (e as Error).message };
        }
        const state = error ? 'thawed' : await freezer.waitFrozen(cg, VERIFY_TIMEOUT_MS.SIGSTOP);
        return {
          kind: t.kind,
          ...(t.container ? { container: t.container } : {}),
          freezer: cg,
          processes: t.processes.map((p): ProcessResult => {
            const gone = verifyIdentity(this.o.procfs, p) !== null;
            return {
              pid: p.pid,
              startTime: p.startTime,
              ok: error === undefined && !gone,
              verified: state === 'frozen' && !gone,
              method: 'freezer',
              ...(gone ? { alreadyGone: true as const } : {}),
              ...(error ? { error } : {}),
            };
          }),
        };
      }),
    );
    const processes = results.flatMap((t) => t.processes);
    const { okCount, result } = verdict('SIGSTOP', processes);
    const fault: Fault = {
      id,
      signal: 'SIGSTOP',
      scope: 'all',
      method: 'freezer',
      state: okCount > 0 ? 'active' : 'failed',
      result,
      createdAt: o.createdAt,
      durationMs: performance.now() - o.started,
      leaseSeconds: o.leaseSeconds,
      leaseExpiresAt: o.leaseExpiresAt,
      requestedBy: o.requestedBy,
      ...(owner ? { owner } : {}),
      ...(request.labels ? { labels: request.labels } : {}),
      targets: results,
    };
    this.remember(fault);
    this.frozen.hold(id, results.filter((t) => t.processes.some((p) => p.ok)).map((t) => t.freezer!));
    if (fault.state === 'active') this.armLease(fault);
    else {
      // Nothing was seen frozen: leave nothing half-frozen behind.
      this.thaw(fault);
      this.recordEnd({ op: 'resumed', faultId: id, at: this.now(), reason: 'failed' });
    }
    this.o.metrics.faults.inc({ signal: 'SIGSTOP', result });
    this.o.metrics.signalDuration.observe({ signal: 'SIGSTOP' }, fault.durationMs / 1000);
    for (const p of processes) this.o.metrics.processesSignalled.inc({ signal: 'SIGSTOP', result: processResult(p) });
    this.updateActiveGauge();
    this.o.logger.info({ faultId: id, requestedBy: o.requestedBy, method: 'freezer', result, durationMs: round(fault.durationMs), leaseSeconds: o.leaseSeconds, owner, cgroups: o.cgroups.map((c) => c.dir) }, 'fault placed');
    this.events.emit('change', fault);
    return fault;
  }

  /** Ends a freezer fault's hold: thaws each of its cgroups that no other active freezer fault holds. */
  private thaw(fault: Fault): void {
    for (const { cgroup, stillHeld } of this.frozen.release(fault.id)) {
      let resume: ProcessResult['resume'];
      if (stillHeld) resume = { ok: true, error: { code: 'ERIS_HELD_BY_OTHER_FAULT', message: 'another active fault still holds its cgroup frozen' } };
      else {
        try {
          this.o.freezer!.thaw(cgroup);
          resume = { ok: true };
        } catch (e) {
          resume = { ok: false, error: { code: (e as NodeJS.ErrnoException).code ?? 'EIO', message: (e as Error).message } };
          this.o.logger.error({ faultId: fault.id, cgroup: cgroup.dir, err: e }, 'could not thaw a cgroup');
        }
      }
      for (const t of fault.targets) if (t.freezer?.dir === cgroup.dir) for (const p of t.processes) if (p.ok) p.resume = resume;
    }
  }

  /** Ends the v1 freezer holds on the cgroups of processes a SIGKILL reached: a frozen v1 task takes the kill only once thawed. */
  private thawForKill(results: readonly FaultTargetResult[]): void {
    if (this.frozen.size === 0 || this.o.freezer === undefined) return;
    const dirs = new Set<string>();
    for (const p of results.flatMap((t) => t.processes)) {
      const cg = p.ok ? this.o.freezer.locate(p.pid) : null;
      if (cg?.version === 1) dirs.add(cg.dir);
    }
    const ending = new Set([...dirs].flatMap((dir) => this.frozen.holders(dir)));
    for (const id of ending) this.resume(id, 'processes-gone');
  }

  private thawRecovered(faultId: string, cg: FreezerCgroup): void {
    const freezer = this.o.freezer;
    if (freezer === undefined || !freezer.owns(cg)) {
      this.o.logger.error({ faultId, cgroup: cg.dir }, 'journal names a cgroup that is not a freezer cgroup: not written');
      return;
    }
    try {
      const existed = freezer.thaw(cg);
      this.o.logger.warn({ faultId, cgroup: cg.dir, existed }, 'thawed a cgroup an earlier run left frozen');
    } catch (e) {
      this.o.logger.error({ faultId, cgroup: cg.dir, err: e }, 'could not thaw a cgroup an earlier run left frozen');
    }
  }

  private watch(id: string, targets: ResolvedTarget[], results: FaultTargetResult[], overrides: readonly Override[], owner: string | undefined, leaseExpiresAt: number): void {
    const seen = new Set(results.flatMap((t) => t.processes).map(key));
    this.watched.set(id, { targets, results, overrides, owner, leaseExpiresAt, seen, retries: new Map() });
    this.rescanTimer.set(true);
  }

  /**
   * Freeze means frozen: a process that joined a held target since the last look (an exec into the container, a
   * fork that raced the stop) is stopped too, under the same rules as the request, written to the journal first,
   * and held (resumed with the others). Synchronous: nothing can resume the fault halfway through.
   */
  private stopNewcomers(): void {
    for (const [id, w] of this.watched) {
      const held = this.held.get(id);
      if (held === undefined) continue;
      const caught: ProcessResult[] = [];
      w.targets.forEach((t, i) => {
        if (t.processes.length === 0) return;
        // Seen once, judged once: a process the request may not touch is not logged again every tick.
        const allowed = this.joiners(id, t, w.seen, w.overrides, { owner: w.owner, leaseExpiresAt: w.leaseExpiresAt });
        for (const p of allowed) {
          const result: ProcessResult = { ...this.signalOne(p, 'SIGSTOP'), appearedLater: true };
          const looks = (w.retries.get(key(p)) ?? 0) + 1;
          if (!result.ok && !result.alreadyGone && looks < NEWCOMER_LOOKS) {
            // Refused (its identity moved on): forget it, so the next look identifies it afresh.
            w.seen.delete(key(p));
            w.retries.set(key(p), looks);
            continue;
          }
          w.retries.delete(key(p));
          t.processes.push(p);
          w.results[i]!.processes.push(result);
          if (result.ok) {
            held.push(p);
            caught.push(result);
          }
        }
      });
      if (caught.length === 0) continue;
      this.o.logger.info({ faultId: id, pids: caught.map((p) => p.pid) }, 'stopped processes that joined a held target');
      for (const p of caught) this.o.metrics.processesSignalled.inc({ signal: 'SIGSTOP', result: 'ok' });
      void this.verifyLate(id, caught);
    }
  }

  /** Marks late-stopped processes verified once /proc shows them stopped; one change event for the lot. */
  private async verifyLate(id: string, caught: ProcessResult[]): Promise<void> {
    await Promise.all(
      caught.map(async (p) => {
        const ended = () => this.faults.get(id)?.state !== 'active';
        const seen = await awaitState(this.o.procfs, { pid: p.pid, startTime: p.startTime, cgroup: null }, 'stopped', VERIFY_TIMEOUT_MS.SIGSTOP, ended);
        p.verified = seen === 'reached';
        if (seen === 'gone') p.exited = true;
      }),
    );
    const fault = this.faults.get(id);
    if (fault !== undefined) this.events.emit('change', fault);
  }

  private signalTarget(t: ResolvedTarget, signal: SignalName): FaultTargetResult {
    return {
      kind: t.kind,
      ...(t.container ? { container: t.container } : {}),
      ...(t.process ? { process: t.process } : {}),
      ...(t.alreadyGone ? { alreadyGone: true as const } : {}),
      processes: t.processes.map((p) => this.signalOne(p, signal)),
    };
  }

  private signalOne(p: ProcessIdentity, signal: SignalName): ProcessResult {
    const outcome = this.o.signaller.send(p, signal);
    // A target's processes come and go (a shell loop's short children; killing a container's init kills the rest of
    // its PID namespace), so one may be gone between listing and signalling. Gone is what SIGKILL wants: let
    // verification decide, on the identity we resolved. For other signals there was nothing left to signal, and
    // the verdict (verdict()) leaves it out.
    if (outcome.gone) {
      return signal === 'SIGKILL'
        ? { pid: p.pid, startTime: p.startTime, ok: true, verified: false, method: outcome.method, alreadyGone: true }
        : { pid: p.pid, startTime: p.startTime, ok: false, verified: false, method: outcome.method, alreadyGone: true, ...(outcome.error ? { error: outcome.error } : {}) };
    }
    return {
      pid: p.pid,
      startTime: p.startTime,
      ok: outcome.ok,
      verified: false,
      method: outcome.method,
      ...(outcome.error ? { error: outcome.error } : {}),
    };
  }

  private sweep(id: string, targets: ResolvedTarget[], results: FaultTargetResult[], signal: SignalName, owner: string | undefined, leaseExpiresAt: number | undefined, overrides: readonly Override[]): void {
    for (let pass = 0; pass < 3; pass++) {
      let found = 0;
      targets.forEach((t, i) => {
        const fresh = this.joiners(id, t, new Set(t.processes.map(key)), overrides, signal === 'SIGSTOP' ? { owner, leaseExpiresAt: leaseExpiresAt! } : undefined);
        if (fresh.length === 0) return;
        t.processes.push(...fresh);
        results[i]!.processes.push(...fresh.map((p) => this.signalOne(p, signal)));
        found += fresh.length;
      });
      if (found === 0) return;
    }
  }

  /**
   * What joined target `t` since `seen` (added to `seen`) that the request may touch (permitted), for the sweep at
   * placing and the hold re-scan alike; with `stop`, written down as a stop first (recordStop).
   */
  private joiners(id: string, t: ResolvedTarget, seen: Set<string>, overrides: readonly Override[], stop?: { owner: string | undefined; leaseExpiresAt: number }): ProcessIdentity[] {
    const fresh = this.o.resolver.rescan(t, 'all').filter((p) => !seen.has(key(p)));
    if (fresh.length === 0) return fresh;
    for (const p of fresh) seen.add(key(p));
    const allowed = this.permitted(fresh, t, overrides, id);
    if (stop !== undefined && allowed.length > 0) {
      this.recordStop({ op: 'stop', faultId: id, at: this.now(), leaseExpiresAt: stop.leaseExpiresAt, processes: allowed, ...(stop.owner ? { owner: stop.owner } : {}) });
    }
    return allowed;
  }

  /**
   * The processes the sweep found that the request may touch, under the same rules and overrides as the request
   * itself (a process forked mid-stop is no exception: `runc init` of an exec, a protected or eris process). The
   * others are left alone and logged: the signals already sent stand, so refusing the whole fault is no longer an option.
   */
  private permitted(fresh: ProcessIdentity[], t: ResolvedTarget, overrides: readonly Override[], faultId: string): ProcessIdentity[] {
    if (fresh.length === 0) return fresh;
    // The sweep runs between signals and cannot wait for the runtime: the namespaces come from the inventory as it is.
    const pods = t.container ? [] : this.o.resolver.podsOfCached(fresh);
    try {
      // The common case in one /proc scan: every one of them may be touched.
      for (const pod of pods) this.o.safety.checkNamespace(pod.namespace, overrides, pod.pid);
      this.o.safety.checkProcesses(fresh.map((p) => p.pid), overrides);
      return fresh;
    } catch {
      // Some may not: find which, one by one.
    }
    return fresh.filter((p) => {
      try {
        for (const pod of pods) if (pod.pid === p.pid) this.o.safety.checkNamespace(pod.namespace, overrides, p.pid);
        this.o.safety.checkProcesses([p.pid], overrides);
        return true;
      } catch (error) {
        const reason = (error as { details?: { reason?: string } }).details?.reason;
        if (reason !== undefined) this.o.metrics.refusals.inc({ reason });
        this.o.logger.warn({ faultId, pid: p.pid, err: error }, 'left alone a process forked mid-fault that the request may not touch');
        return false;
      }
    });
  }

  private async verify(results: FaultTargetResult[], signal: SignalName, faultId: string): Promise<void> {
    const want = EXPECTED[signal as keyof typeof EXPECTED];
    const all = results.flatMap((t) => t.processes);
    if (want === undefined) {
      // SIGTERM and friends: the process decides what to do; delivery is all we can verify.
      for (const p of all) p.verified = p.ok;
      return;
    }
    const timeout = VERIFY_TIMEOUT_MS[signal as keyof typeof VERIFY_TIMEOUT_MS];
    await Promise.all(
      all.map(async (p) => {
        if (!p.ok) return;
        // A SIGCONT fault that continues it meanwhile ends the wait for `stopped`: it cannot be seen stopped any more.
        const released = () => this.inflight.get(faultId)?.released.has(key(p)) === true;
        const seen = await awaitState(this.o.procfs, { pid: p.pid, startTime: p.startTime, cgroup: null }, want, timeout, released);
        // Continued on purpose before it could be seen stopped: the SIGSTOP reached it (ok) and was undone; the
        // record says by which fault (resume.byFault), and the verdict does not call that a failure.
        p.verified = seen === 'reached' || seen === 'cancelled';
        if (seen === 'gone') {
          // It exited after the signal reached it: a continued child that finishes at once did run.
          p.exited = true;
          if (signal === 'SIGCONT') p.verified = true;
        }
      }),
    );
  }

  private armLease(fault: Fault): void {
    // setTimerAt, not setTimeout: a lease above ~24.8 days would overflow setTimeout and resume at once.
    const cancel = setTimerAt(
      fault.leaseExpiresAt!,
      () => {
        this.timers.delete(fault.id);
        this.resume(fault.id, 'lease');
      },
      this.now,
    );
    this.timers.set(fault.id, cancel);
  }

  /**
   * An explicit SIGCONT undoes the SIGSTOP faults that hold what it continued, so records and processes agree:
   * each continued process leaves every hold (its record says which SIGCONT fault resumed it), and a SIGSTOP fault
   * left holding nothing ends as resumed, reason `sigcont`. A fault still holding other processes stays active for
   * them, and its lease still resumes them.
   */
  private releaseContinued(cont: Fault): void {
    const continued = new Set(cont.targets.flatMap((t) => t.processes).filter((p) => p.ok).map(key));
    if (continued.size === 0) return;
    const undid: string[] = [];
    for (const [id, held] of [...this.held]) {
      const rest = held.filter((p) => !continued.has(key(p)));
      if (rest.length === held.length) continue;
      undid.push(id);
      const fault = this.faults.get(id)!;
      for (const t of fault.targets) for (const p of t.processes) if (continued.has(key(p)) && p.resume === undefined) p.resume = { ok: true, byFault: cont.id };
      this.held.set(id, rest);
      if (rest.length === 0) this.resume(id, 'sigcont', cont.id);
      else this.events.emit('change', fault);
    }
    for (const [id, pending] of this.inflight) {
      let hit = false;
      for (const k of continued) {
        if (!pending.keys.has(k)) continue;
        pending.released.set(k, cont.id);
        hit = true;
      }
      if (hit) undid.push(id);
    }
    if (undid.length > 0) {
      cont.undid = undid;
      this.o.logger.info({ faultId: cont.id, undid }, 'SIGCONT released the SIGSTOP faults that held its processes');
    }
  }

  /** After a kill, a SIGSTOP fault whose processes are all gone has nothing left to resume. */
  private closeFaultsWhoseProcessesAreGone(): void {
    for (const [id, processes] of this.held) {
      // verifyIdentity counts a zombie, a reused PID and an exiting task (out of its cgroup) as gone.
      const alive = processes.some((p) => verifyIdentity(this.o.procfs, p) === null);
      if (!alive) this.resume(id, 'processes-gone');
    }
  }

  private remember(fault: Fault): void {
    this.faults.set(fault.id, fault);
    if (this.faults.size <= HISTORY_LIMIT) return;
    for (const [id, f] of this.faults) {
      if (f.state !== 'active') {
        this.faults.delete(id);
        if (this.faults.size <= HISTORY_LIMIT) return;
      }
    }
  }

  private updateActiveGauge(): void {
    this.o.metrics.faultsActive.set(this.held.size + this.frozen.size);
  }
}

/**
 * What happened to the processes that exist: a process gone before the signal reached it, or (but for a SIGCONT,
 * which it proves) gone right after, says nothing about the signal and is left out. SIGKILL counts gone as done.
 * When nothing is left to judge, the signal's aim holds for SIGKILL and SIGCONT (nothing alive, nothing stopped);
 * a SIGSTOP (or another signal) reached nothing.
 */
export function verdict(signal: SignalName, processes: readonly ProcessResult[]): { okCount: number; result: Fault['result'] } {
  const counted = signal === 'SIGKILL' ? processes : processes.filter((p) => !p.alreadyGone && !(p.exited && signal !== 'SIGCONT'));
  const okCount = counted.filter((p) => p.ok && p.verified).length;
  if (counted.length === 0) return { okCount, result: signal === 'SIGKILL' || signal === 'SIGCONT' ? 'ok' : 'failed' };
  return { okCount, result: okCount === counted.length ? 'ok' : okCount === 0 ? 'failed' : 'partial' };
}

function processResult(p: ProcessResult): string {
  if (p.alreadyGone && !p.ok) return 'gone';
  if (p.ok) return p.verified ? 'ok' : p.exited ? 'exited' : 'unverified';
  if (p.error?.code === 'ESRCH') return 'gone';
  if (p.error?.code === 'ERIS_ERR_IDENTITY_MISMATCH') return 'identity_mismatch';
  return 'error';
}

function recoveredFault(stop: PendingStop, targets: FaultTargetResult[], now: number): Fault {
  return {
    id: stop.faultId,
    signal: 'SIGSTOP',
    scope: 'all',
    state: 'resumed',
    result: 'ok',
    createdAt: stop.at,
    durationMs: 0,
    leaseExpiresAt: stop.leaseExpiresAt,
    resumedAt: now,
    resumeReason: 'recovered',
    requestedBy: 'journal',
    ...(stop.owner ? { owner: stop.owner } : {}),
    targets,
  };
}

function summarize(results: FaultTargetResult[]): unknown[] {
  return results.map((t) => ({
    ...(t.container ? { container: `${t.container.namespace}/${t.container.pod}/${t.container.name}` } : { pid: t.process?.pid }),
    pids: t.processes.map((p) => p.pid),
    ok: t.processes.filter((p) => p.ok && p.verified).length,
  }));
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
