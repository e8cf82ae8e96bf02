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
import type { Journal, PendingStop } from './journal.js';
import type { Override, SafetyPolicy } from './safety.js';
import type { FaultRequest } from './request.js';
import type { ContainerRef, ResolvedTarget, TargetResolver } from './resolve.js';

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
  method?: 'pidfd' | 'kill';
  /**
   * The process was gone (exited, PID reused, or exiting and out of its cgroup) before the signal reached it. For
   * SIGKILL that is its goal (ok, and verified says if it is gone); for any other signal it is not counted in the
   * verdict: there was nothing left to signal.
   */
  alreadyGone?: true;
  /** The signal reached it and the process exited before it was seen in the expected state (not counted, except a SIGCONT: it ran). */
  exited?: true;
  error?: { code: string; message: string };
  /** How it was resumed; `byFault`: the SIGCONT fault that continued it while this SIGSTOP fault held it. */
  resume?: { ok: boolean; byFault?: string; error?: { code: string; message: string } };
}

export interface FaultTargetResult {
  kind: 'container' | 'process';
  container?: ContainerRef;
  process?: { pid: number; cmdline: string };
  processes: ProcessResult[];
  /** The named process was gone before anything was signalled (a PID listed a moment ago): not counted. */
  alreadyGone?: true;
}

export interface Fault {
  id: string;
  signal: SignalName;
  scope: 'all' | 'init';
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
  now?: () => number;
}

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

  constructor(private readonly o: FaultManagerOptions) {
    this.now = o.now ?? Date.now;
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

  async create(request: FaultRequest, requestedBy: string): Promise<Fault> {
    const started = performance.now();
    const { signal, scope, override } = request;
    const leaseSeconds = signal === 'SIGSTOP' ? (request.leaseSeconds ?? this.o.leaseDefaultSeconds) : undefined;
    if (request.leaseSeconds !== undefined && signal !== 'SIGSTOP') {
      throw new ValidationError('leaseSeconds: only a SIGSTOP fault has a lease', { path: 'leaseSeconds' });
    }
    if (leaseSeconds !== undefined && leaseSeconds > this.o.leaseMaxSeconds) {
      throw new ValidationError(`leaseSeconds: must be at most ${this.o.leaseMaxSeconds}`, { path: 'leaseSeconds' });
    }
    let targets: ResolvedTarget[];
    try {
      targets = await this.o.resolver.resolve(request.target, scope);
      for (const t of targets) {
        if (t.container) this.o.safety.checkNamespace(t.container.namespace, override);
        // A host process that is a pod's (its cgroup says so) is judged by that pod's namespace.
        else for (const pod of await this.o.resolver.podsOf(t.processes)) this.o.safety.checkNamespace(pod.namespace, override, pod.pid);
        this.o.safety.checkProcesses(t.processes.map((p) => p.pid), override);
      }
    } catch (error) {
      const reason = (error as { details?: { reason?: string } }).details?.reason;
      if (reason !== undefined) this.o.metrics.refusals.inc({ reason });
      this.o.metrics.faults.inc({ signal, result: 'refused' });
      this.o.logger.warn({ requestedBy, signal, target: request.target, err: error }, 'fault refused');
      throw error;
    }

    const id = randomUUID();
    const createdAt = this.now();
    const leaseExpiresAt = leaseSeconds !== undefined ? createdAt + leaseSeconds * 1000 : undefined;
    const all = targets.flatMap((t) => t.processes);
    // Write the intent down before acting, so a later run of the agent can undo it (journal.ts).
    if (signal === 'SIGSTOP') {
      this.o.journal.append({ op: 'stop', faultId: id, at: createdAt, leaseExpiresAt: leaseExpiresAt!, processes: all, ...(request.owner ? { owner: request.owner } : {}) });
    }
    const results = targets.map((t) => this.signalTarget(t, signal));
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
      if (held.length === 0) this.resume(id, 'sigcont', [...released.values()].at(-1));
    } else if (signal === 'SIGSTOP') {
      this.o.journal.append({ op: 'resumed', faultId: id, at: this.now(), reason: 'failed' });
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
    const processes = this.held.get(id) ?? [];
    this.held.delete(id);
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
    fault.state = 'resumed';
    fault.resumedAt = this.now();
    fault.resumeReason = reason;
    if (resumedBy !== undefined) fault.resumedBy = resumedBy;
    this.o.journal.append({ op: 'resumed', faultId: id, at: fault.resumedAt, reason });
    if (reason === 'lease') this.o.metrics.leaseExpiries.inc();
    this.updateActiveGauge();
    this.o.logger.info({ faultId: id, reason, processes: processes.length }, 'fault resumed');
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
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    this.o.journal.close();
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
        const seen = new Set(t.processes.map(key));
        const fresh = this.permitted(this.o.resolver.rescan(t, 'all').filter((p) => !seen.has(key(p))), t, overrides, id);
        if (fresh.length === 0) return;
        if (signal === 'SIGSTOP') {
          this.o.journal.append({ op: 'stop', faultId: id, at: this.now(), leaseExpiresAt: leaseExpiresAt!, processes: fresh, ...(owner ? { owner } : {}) });
        }
        t.processes.push(...fresh);
        results[i]!.processes.push(...fresh.map((p) => this.signalOne(p, signal)));
        found += fresh.length;
      });
      if (found === 0) return;
    }
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
    this.o.metrics.faultsActive.set(this.held.size);
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
