// Runs drills: steps in sequence and in parallel, signals through the fleet, waits and guards on probes; whatever
// happens, every process a run stopped is resumed in its finally (the agents' leases back that up).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from '../../lib/logger.js';
import { ErisError, NotFoundError, ValidationError, isErisError } from '../../lib/errors.js';
import type { Store, StoredEvent } from '../store/types.js';
import type { Fleet } from '../fleet/fleet.js';
import type { Fault } from '../../daemon/faults/manager.js';
import type { ProbeRunner, ProbeResult } from '../probes/runner.js';
import { renderProbe, probeUsesTarget, type ProbeSpec } from '../probes/spec.js';
import type { TargetRecord } from '../selection/types.js';
import { stepKind, type Drill, type Step } from '../drill/schema.js';
import { checkResume, countSeen, type ResumeCheck } from '../fleet/resume-check.js';
import { fireSkew } from '../fleet/fire-time.js';
import { currentTargets, placeFaults, selectGroup, targetKey, type PlacedFault, type TargetFilter } from './targets.js';
import { targetName } from './target-name.js';
import type { RunReport, StepRecord, TimelineEntry } from './report.js';
import { zeroDrillSeries, type CoordinatorMetrics } from '../metrics.js';
import type { RunEventPayloads } from './events.js';
import { formatDuration } from '../probes/duration.js';
import type { Scope } from '../auth/roles.js';

/** A step failed: the run fails (not an internal error). */
export class StepFailedError extends ErisError {
  override readonly code: string = 'ERIS_ERR_STEP_FAILED';
  override readonly status = 422;
}
export class GuardTrippedError extends StepFailedError {
  override readonly code = 'ERIS_ERR_GUARD_TRIPPED';
}
export class RunAbortedError extends ErisError {
  override readonly code = 'ERIS_ERR_ABORTED';
  override readonly status = 409;
}

export interface EngineOptions {
  fleet: Fleet;
  store: Store;
  probes: ProbeRunner;
  logger: Logger;
  metrics: CoordinatorMetrics;
  now?: () => number;
}

export interface RunHandle {
  id: string;
  done: Promise<RunReport>;
}

interface RunState {
  id: string;
  drill: Drill;
  seed: string;
  abort: AbortController;
  picks: Map<string, TargetRecord[]>;
  stopFaults: PlacedFault[];
  timeline: Map<string, TimelineEntry>;
  steps: StepRecord[];
  probeStats: Map<string, { latencies: number[]; failures: number }>;
  /** The starter's scope: a run picks only what the token that started it may reach. */
  within?: TargetFilter;
  /** The starter's clusters and namespaces (absent = unscoped): who else may abort the run. */
  scope?: Scope;
}

export class DrillEngine {
  private readonly runs = new Map<string, RunState>();
  private readonly events = new EventEmitter();
  private readonly now: () => number;
  /** Drills stored or run, by name: their series are created at 0 for each cluster that joins the fleet. */
  private readonly knownDrills = new Map<string, Drill>();
  private readonly knownClusters = new Set<string>();

  constructor(private readonly o: EngineOptions) {
    this.now = o.now ?? Date.now;
    this.events.setMaxListeners(0);
    o.fleet.onChange((e) => {
      if (e.type !== 'connected') return;
      const fresh = o.fleet.agents().map((a) => a.cluster).filter((c) => !this.knownClusters.has(c));
      if (fresh.length === 0) return;
      for (const c of fresh) this.knownClusters.add(c);
      for (const drill of this.knownDrills.values()) zeroDrillSeries(o.metrics, drill, this.knownClusters);
    });
    // An agent may end a run's SIGSTOP early (its lease ran out, it lost this coordinator): the run records it.
    // Resumes someone asked for are not that: a resume call (`api`) or a SIGCONT fault that undid it (`sigcont`).
    o.fleet.onChange((e) => {
      const runId = e.fault?.labels?.runId;
      const state = runId === undefined ? undefined : this.runs.get(runId);
      // Only a SIGSTOP fault can end early; a SIGCONT or SIGKILL fault is done the moment it is placed.
      if (!state || !e.fault || e.fault.signal !== 'SIGSTOP' || e.fault.state === 'active' || e.fault.resumeReason === 'api') return;
      if (e.fault.resumeReason === 'sigcont') return this.endedBySigcont(state, e.agent, e.fault);
      this.emit(state, 'fault', { agent: e.agent, faultId: e.fault.id, signal: e.fault.signal, state: e.fault.state, resumeReason: e.fault.resumeReason, endedEarly: true });
      o.logger.warn({ runId, faultId: e.fault.id, reason: e.fault.resumeReason }, 'an agent resumed a fault of an active run');
    });
  }

  /**
   * A SIGCONT (the run's own step, or anyone's) continued every process a SIGSTOP fault of this run held: the agent
   * ended that fault then, so the run records it ended there and its finally has nothing left to resume for it. The
   * agent sends this change before its answer to the SIGCONT, so it is recorded within the SIGCONT step.
   */
  private endedBySigcont(state: RunState, agent: string, fault: Fault): void {
    const i = state.stopFaults.findIndex((p) => p.agent === agent && p.fault.id === fault.id);
    if (i < 0) return;
    state.stopFaults.splice(i, 1);
    this.emit(state, 'fault', { agent, faultId: fault.id, signal: fault.signal, state: fault.state, resumeReason: 'sigcont', ...(fault.resumedBy !== undefined ? { resumedBy: fault.resumedBy } : {}), endedBy: 'sigcont' });
  }

  /**
   * A drill was stored (or is about to run): every series it will write is created at 0 now, for the clusters known,
   * so that the first run's events count in increase() — provided Prometheus scraped the zeros before they came.
   */
  knowDrill(drill: Drill): void {
    this.knownDrills.set(drill.metadata.name, drill);
    for (const a of this.o.fleet.agents()) this.knownClusters.add(a.cluster);
    zeroDrillSeries(this.o.metrics, drill, this.knownClusters);
  }

  /** The runs going now (the emergency resume-all aborts them). */
  activeRunIds(): string[] {
    return [...this.runs.keys()];
  }

  isActive(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** Live events of a run (after those already stored). */
  subscribe(runId: string, listener: (event: StoredEvent) => void): () => void {
    const channel = `run:${runId}`;
    this.events.on(channel, listener);
    return () => this.events.off(channel, listener);
  }

  /** The scope of the token that started an active run (undefined: unscoped, or not active). */
  scopeOf(runId: string): Scope | undefined {
    return this.runs.get(runId)?.scope;
  }

  start(drill: Drill, options: { drillName: string | null; seed?: string; within?: TargetFilter; scope?: Scope }): RunHandle {
    const id = randomUUID();
    const seed = options.seed ?? randomUUID().slice(0, 8);
    const createdAt = this.now();
    this.o.store.createRun({ id, drillName: options.drillName, spec: drill, status: 'running', createdAt, startedAt: createdAt });
    const state: RunState = {
      id,
      drill,
      seed,
      abort: new AbortController(),
      picks: new Map(),
      stopFaults: [],
      timeline: new Map(),
      steps: [],
      probeStats: new Map(),
      ...(options.within ? { within: options.within } : {}),
      ...(options.scope ? { scope: options.scope } : {}),
    };
    this.runs.set(id, state);
    this.knowDrill(drill);
    this.o.metrics.runsInProgress.inc({ drill: drill.metadata.name });
    const done = this.execute(state, createdAt);
    return { id, done };
  }

  abort(runId: string, reason = 'aborted by request'): void {
    const state = this.runs.get(runId);
    if (!state) throw new NotFoundError(`no active run ${runId}`, { path: 'id' });
    state.abort.abort(new RunAbortedError(reason));
  }

  /** Aborts every active run and waits until each has resumed what it stopped. */
  async shutdown(): Promise<void> {
    const pending = [...this.runs.values()];
    for (const s of pending) s.abort.abort(new RunAbortedError('coordinator shutting down'));
    await new Promise<void>((resolve) => {
      const check = () => (this.runs.size === 0 ? resolve() : setTimeout(check, 20));
      check();
    });
  }

  private emit<K extends keyof RunEventPayloads>(state: RunState, type: K, data: RunEventPayloads[K]): void {
    const at = this.now();
    const seq = this.o.store.appendEvent(state.id, { at, type, data });
    this.events.emit(`run:${state.id}`, { runId: state.id, seq, at, type, data } satisfies StoredEvent);
  }

  private async execute(state: RunState, startedAt: number): Promise<RunReport> {
    const { drill } = state;
    const log = this.o.logger.child({ runId: state.id, drill: drill.metadata.name });
    log.info({ seed: state.seed }, 'run started');
    this.emit(state, 'run', { status: 'running', drill: drill.metadata.name, seed: state.seed });
    const deadline = setTimeout(() => state.abort.abort(new StepFailedError(`the drill ran past its timeout (${drill.spec.timeout} ms)`)), drill.spec.timeout);
    let status: RunReport['status'] = 'passed';
    let error: RunReport['error'];
    try {
      for (const [i, name] of drill.spec.steadyState.entries()) {
        await this.runStep(state, { name: `steady state: ${name}`, probe: name }, `steadyState[${i}]`, state.abort.signal);
      }
      await this.runSteps(state, drill.spec.steps, 'steps', state.abort.signal);
    } catch (e) {
      const cause = state.abort.signal.aborted ? (state.abort.signal.reason as unknown) : e;
      status = cause instanceof RunAbortedError ? 'aborted' : cause instanceof StepFailedError || isErisError(cause) ? 'failed' : 'error';
      error = { code: isErisError(cause) ? cause.code : 'ERIS_ERR_INTERNAL', message: (cause as Error)?.message ?? String(cause) };
      if (status === 'error') log.error({ err: cause }, 'run failed with an internal error');
    } finally {
      clearTimeout(deadline);
    }
    const resumed = await this.resumeAll(state, log);
    await this.refreshProcesses(state);
    const endedAt = this.now();
    const report = this.report(state, status, startedAt, endedAt, error, resumed);
    this.o.store.updateRun(state.id, { status, endedAt, result: report, ...(error ? { error } : {}) });
    this.emit(state, 'run', { status, error, report });
    this.runs.delete(state.id);
    this.o.metrics.runsInProgress.dec({ drill: drill.metadata.name });
    this.recordMetrics(report);
    log.info({ status, durationMs: report.durationMs, error }, 'run ended');
    return report;
  }

  /**
   * The run's finally: every SIGSTOP fault it placed is resumed, whatever happened, and then confirmed from the state
   * of its processes (what the agent reads of them, not its ack).
   */
  private async resumeAll(state: RunState, log: Logger): Promise<RunReport['resumed']> {
    let errors = 0;
    const checks: ResumeCheck[] = [];
    await Promise.all(
      state.stopFaults.map(async ({ agent, fault }) => {
        try {
          const after = await this.o.fleet.resumeFault(agent, fault.id);
          const check = await checkResume(this.o.fleet, agent, fault, after);
          checks.push(check);
          if (!check.confirmed) log.error({ agent, faultId: fault.id, problem: check.problem, processes: check.processes }, 'a resume is not borne out by the processes');
        } catch (err) {
          errors++;
          // The agent is unreachable: its lease and its dead man's switch resume the processes.
          log.error({ err, agent, faultId: fault.id }, 'could not resume a fault; the agent lease will');
        }
      }),
    );
    const resumed = { faults: state.stopFaults.length, errors, confirmed: checks.filter((c) => c.confirmed).length, seen: countSeen(checks) };
    if (state.stopFaults.length > 0) this.emit(state, 'resumed', resumed);
    return resumed;
  }

  private async runSteps(state: RunState, steps: readonly Step[], path: string, signal: AbortSignal): Promise<void> {
    for (const [i, step] of steps.entries()) {
      signal.throwIfAborted();
      await this.runStep(state, step, `${path}[${i}]`, signal);
    }
  }

  private async runStep(state: RunState, step: Step, path: string, signal: AbortSignal): Promise<void> {
    const kind = stepKind(step);
    const record: StepRecord = { path, name: step.name ?? describeStep(step), kind, status: 'running', startedAt: this.now() };
    state.steps.push(record);
    this.emit(state, 'step', { ...record });
    try {
      await this.stepBody(state, step, path, signal);
      record.status = 'passed';
    } catch (e) {
      const cause = signal.aborted ? (signal.reason as unknown) : e;
      record.status = 'failed';
      record.error = { code: isErisError(cause) ? cause.code : 'ERIS_ERR_INTERNAL', message: (cause as Error)?.message ?? String(cause) };
      throw cause;
    } finally {
      record.endedAt = this.now();
      record.durationMs = record.endedAt - record.startedAt;
      this.emit(state, 'step', { ...record });
    }
  }

  private async stepBody(state: RunState, step: Step, path: string, signal: AbortSignal): Promise<void> {
    if ('signal' in step) return this.signalStep(state, step, path);
    if ('wait' in step) return this.waitStep(state, step, path, signal);
    if ('probe' in step) return this.probeStep(state, step, path, signal);
    if ('sleep' in step) return sleep(step.sleep, signal);
    if ('parallel' in step) return this.parallelStep(state, step, path, signal);
    return this.guardStep(state, step, path, signal);
  }

  private async picks(state: RunState, group: string): Promise<TargetRecord[]> {
    const known = state.picks.get(group);
    if (known) return known;
    const spec = state.drill.spec.targets[group];
    if (!spec) throw new ValidationError(`no target group ${group}`, { path: `targets.${group}` });
    const selection = await selectGroup(this.o.fleet, spec, `targets.${group}`, spec.seed ?? `${state.seed}/${group}`, state.within);
    state.picks.set(group, selection.picked);
    // A cluster the fleet did not have when the drill became known: its series start at 0 now.
    zeroDrillSeries(this.o.metrics, state.drill, selection.picked.map((t) => t.cluster));
    this.emit(state, 'selection', { group, wanted: selection.wanted, matched: selection.matched.length, picked: selection.picked, seed: selection.seed });
    return selection.picked;
  }

  private async signalStep(state: RunState, step: Extract<Step, { signal: string }>, path: string): Promise<void> {
    const picked = await this.picks(state, step.target);
    const targets = await currentTargets(this.o.fleet, state.drill.spec.targets[step.target]!, picked);
    // The timeline stays keyed by the picked target; a restarted one (new container, new pid) is the same entry.
    const pickedOf = new Map(targets.map((t, i) => [targetKey(t), picked[i]!]));
    const { placed, errors } = await placeFaults(this.o.fleet, targets, {
      signal: step.signal,
      scope: step.scope,
      ...(step.method !== undefined ? { method: step.method } : {}),
      ...(step.lease !== undefined ? { leaseSeconds: step.lease / 1000 } : {}),
      ...(step.override ? { override: step.override } : {}),
      labels: { runId: state.id, step: path },
    });
    recordFireTimes(state.steps.find((r) => r.path === path), placed);
    for (const p of placed) {
      if (p.fault.signal === 'SIGSTOP' && p.fault.state === 'active') state.stopFaults.push(p);
      // Timeline first: a restarted target's entry (and so its name in the view) has its new pid before the fault line.
      const keys = p.targets.map((t) => this.inject(state, step.target, pickedOf.get(targetKey(t)) ?? t, t, p));
      this.emit(state, 'fault', { agent: p.agent, faultId: p.fault.id, signal: p.fault.signal, result: p.fault.result, durationMs: p.fault.durationMs, targets: keys });
      const cluster = p.targets[0]?.cluster ?? p.agent.split('/')[0]!;
      this.o.metrics.faultsPlaced.inc({ drill: state.drill.metadata.name, cluster, signal: p.fault.signal, result: p.fault.result });
    }
    const failed = placed.filter((p) => p.fault.result !== 'ok');
    if (errors.length > 0 || failed.length > 0) {
      // An agent that grants shorter leases than the drill schema allows (its --lease-max lowered) refuses its own
      // request field, `leaseSeconds`: the user is told of the step's `lease` instead.
      const leaseRefused = errors.some((e) => (e.error as { path?: string }).path === 'leaseSeconds');
      const why = [
        ...errors.map((e) => `${e.agent}: ${leaseMessage((e.error as Error).message, `${path}.lease`)}`),
        ...failed.map((p) => `${p.agent}: fault ${p.fault.id} ${p.fault.result}`),
      ].join('; ');
      throw new StepFailedError(`${path}: ${step.signal} did not reach every target: ${why}`, { path: leaseRefused ? `${path}.lease` : path });
    }
  }

  /** Records an injection in the picked target's entry (its key, returned) and says so. */
  private inject(state: RunState, group: string, picked: TargetRecord, t: TargetRecord, p: PlacedFault): string {
    const key = targetKey(picked);
    let entry = state.timeline.get(key);
    if (!entry) {
      entry = { group, target: timelineTarget(t), injected: [] };
      state.timeline.set(key, entry);
    } else updatePid(entry, t.pid);
    entry.injected.push({ signal: p.fault.signal, at: p.fault.createdAt, faultId: p.fault.id, agent: p.agent });
    this.emit(state, 'timeline', entry);
    return key;
  }

  /** The probe instances a step evaluates: one, or one per picked target of its group. */
  private async probeInstances(state: RunState, probeName: string, group: string | undefined, path: string): Promise<Array<{ target: TargetRecord | null; probe: ReturnType<typeof renderProbe> }>> {
    const spec = state.drill.spec.probes[probeName] as ProbeSpec | undefined;
    if (!spec) throw new ValidationError(`${path}: no probe ${probeName}`, { path });
    if (!probeUsesTarget(spec)) return [{ target: null, probe: renderProbe(spec, null, `probes.${probeName}`) }];
    if (group === undefined) throw new ValidationError(`${path}: probe ${probeName} is per target ({{target.*}}); name the target group`, { path: `${path}.target` });
    const picked = await this.picks(state, group);
    return picked.map((t) => ({ target: t, probe: renderProbe(spec, t, `probes.${probeName}`) }));
  }

  private onProbeResult(state: RunState, probe: string, target: TargetRecord | null, result: ProbeResult): void {
    const stats = state.probeStats.get(probe) ?? { latencies: [], failures: 0 };
    stats.latencies.push(result.latencyMs);
    if (!result.ok) stats.failures++;
    state.probeStats.set(probe, stats);
    const drill = state.drill.metadata.name;
    this.o.metrics.probeLatency.observe({ drill, probe }, result.latencyMs / 1000);
    if (!result.ok) this.o.metrics.probeFailures.inc({ drill, probe });
    this.emit(state, 'probe', {
      probe,
      ...(target ? { target: targetKey(target) } : {}),
      ok: result.ok,
      at: result.at,
      latencyMs: round(result.latencyMs),
      ...(result.status !== undefined ? { status: result.status } : {}),
      ...(result.reason ? { reason: result.reason } : {}),
    });
  }

  private async waitStep(state: RunState, step: Extract<Step, { wait: string }>, path: string, signal: AbortSignal): Promise<void> {
    const instances = await this.probeInstances(state, step.wait, step.target, path);
    const outcomes = await Promise.all(
      instances.map(async ({ target, probe }) => {
        const result = await this.o.probes.waitFor(probe, {
          until: step.until,
          timeoutMs: step.timeout,
          consecutive: step.consecutive,
          signal,
          onResult: (r) => this.onProbeResult(state, step.wait, target, r),
        });
        return { target, result };
      }),
    );
    const missed = outcomes.filter((o) => !o.result.reached);
    for (const { target, result } of outcomes) {
      if (!result.reached) continue;
      // The probe "saw" it when the first result of the winning streak came back (a timeout is seen at its end).
      const first = result.results[result.results.length - step.consecutive]!;
      const streakStart = Math.round(first.at + first.latencyMs);
      const affected = target ? [targetKey(target)] : step.target ? (state.picks.get(step.target) ?? []).map(targetKey) : [...state.timeline.keys()];
      for (const key of affected) this.mark(state, key, step.until, streakStart);
    }
    if (missed.length > 0) {
      const last = missed[0]!.result.results.at(-1);
      throw new StepFailedError(
        `${path}: probe ${step.wait} did not ${step.until} ${step.consecutive}× in a row within ${step.timeout} ms` +
          `${missed[0]!.target ? ` for ${targetName(missed[0]!.target)}` : ''}${last ? ` (last: ${last.ok ? 'pass' : `fail: ${last.reason}`})` : ''}`,
        { path },
      );
    }
  }

  /**
   * The report names each host process by the pid it has at the run's end: one restarted during the run (a SIGKILL
   * step, then its supervisor) is found again as targets.ts' currentTargets says; the pids it had before are kept.
   */
  private async refreshProcesses(state: RunState): Promise<void> {
    for (const [group, picked] of state.picks) {
      const spec = state.drill.spec.targets[group];
      if (!spec?.processes || !picked.some((t) => state.timeline.has(targetKey(t)))) continue;
      const now = await currentTargets(this.o.fleet, spec, picked);
      picked.forEach((t, i) => {
        const entry = state.timeline.get(targetKey(t));
        if (entry) updatePid(entry, now[i]!.pid);
      });
    }
  }

  private mark(state: RunState, key: string, until: 'pass' | 'fail', at: number): void {
    const entry = state.timeline.get(key);
    if (!entry || entry.injected.length === 0) return;
    const first = entry.injected[0]!.at;
    if (until === 'fail' && entry.detectedAt === undefined) {
      entry.detectedAt = at;
      entry.timeToDetectMs = Math.max(0, at - first);
    } else if (until === 'pass' && entry.recoveredAt === undefined) {
      const lastBefore = entry.injected.filter((i) => i.at <= at).at(-1)?.at ?? first;
      entry.recoveredAt = at;
      entry.timeToRecoverMs = Math.max(0, at - lastBefore);
      entry.outageMs = Math.max(0, at - first);
    } else return;
    this.emit(state, 'timeline', entry);
  }

  private async probeStep(state: RunState, step: Extract<Step, { probe: string }>, path: string, signal: AbortSignal): Promise<void> {
    const instances = await this.probeInstances(state, step.probe, step.target, path);
    const results = await Promise.all(
      instances.map(async ({ target, probe }) => {
        const r = await this.o.probes.run(probe, signal);
        this.onProbeResult(state, step.probe, target, r);
        return { target, r };
      }),
    );
    const failed = results.find((x) => !x.r.ok);
    if (failed) throw new StepFailedError(`${path}: probe ${step.probe} failed${failed.target ? ` for ${targetName(failed.target)}` : ''}: ${failed.r.reason}`, { path });
  }

  private async parallelStep(state: RunState, step: Extract<Step, { parallel: unknown }>, path: string, signal: AbortSignal): Promise<void> {
    const branch = new AbortController();
    const onAbort = () => branch.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const settled = await Promise.allSettled(
        step.parallel.map((b, i) =>
          this.runSteps(state, b.steps, `${path}.parallel[${i}]`, branch.signal).catch((e: unknown) => {
            // One branch failing stops its siblings; the first failure is the step's.
            if (!branch.signal.aborted) branch.abort(e);
            throw e;
          }),
        ),
      );
      const failure = settled.find((s) => s.status === 'rejected');
      if (failure) throw branch.signal.reason ?? (failure as PromiseRejectedResult).reason;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async guardStep(state: RunState, step: Extract<Step, { guard: string }>, path: string, signal: AbortSignal): Promise<void> {
    const instances = await this.probeInstances(state, step.guard, step.target, path);
    const guarded = new AbortController();
    const onAbort = () => guarded.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const stopGuard = new AbortController();
    const loops = instances.map(async ({ target, probe }) => {
      let fails = 0;
      while (!stopGuard.signal.aborted && !guarded.signal.aborted) {
        const started = performance.now();
        const r = await this.o.probes.run(probe, stopGuard.signal).catch(() => null);
        if (r === null || stopGuard.signal.aborted) return;
        this.onProbeResult(state, step.guard, target, r);
        fails = r.ok ? 0 : fails + 1;
        if (fails >= step.consecutive) {
          guarded.abort(new GuardTrippedError(`${path}: guard probe ${step.guard} failed ${fails}× in a row${target ? ` for ${targetName(target)}` : ''}: ${r.reason}`, { path }));
          return;
        }
        await sleep(Math.max(0, probe.interval - (performance.now() - started)), stopGuard.signal).catch(() => undefined);
      }
    });
    try {
      await this.runSteps(state, step.steps, `${path}.steps`, guarded.signal);
    } catch (e) {
      throw guarded.signal.aborted ? guarded.signal.reason : e;
    } finally {
      stopGuard.abort();
      signal.removeEventListener('abort', onAbort);
      await Promise.all(loops);
    }
  }

  private report(state: RunState, status: RunReport['status'], startedAt: number, endedAt: number, error: RunReport['error'], resumed: RunReport['resumed']): RunReport {
    const probes: RunReport['probes'] = {};
    for (const [name, s] of state.probeStats) {
      const sorted = [...s.latencies].sort((a, b) => a - b);
      probes[name] = {
        evaluations: sorted.length,
        failures: s.failures,
        p50LatencyMs: sorted.length ? round(sorted[Math.floor((sorted.length - 1) / 2)]!) : null,
        maxLatencyMs: sorted.length ? round(sorted.at(-1)!) : null,
      };
    }
    return {
      id: state.id,
      drill: state.drill.metadata.name,
      status,
      startedAt,
      endedAt,
      durationMs: endedAt - startedAt,
      seed: state.seed,
      ...(error ? { error } : {}),
      steps: state.steps,
      timeline: [...state.timeline.values()],
      probes,
      resumed,
    };
  }

  private recordMetrics(report: RunReport): void {
    const m = this.o.metrics;
    m.runs.inc({ drill: report.drill, status: report.status });
    m.runDuration.observe({ drill: report.drill }, report.durationMs / 1000);
    for (const t of report.timeline) {
      const first = t.injected[0];
      if (first === undefined) continue;
      const labels = { drill: report.drill, cluster: t.target.cluster, group: t.group };
      if (t.timeToDetectMs !== undefined) m.timeToDetect.observe({ ...labels, signal: first.signal }, t.timeToDetectMs / 1000);
      if (t.recoveredAt !== undefined) {
        // Recovery is measured from the last injection before it (engine.mark): labelled with that one's signal.
        const last = t.injected.filter((i) => i.at <= t.recoveredAt!).at(-1) ?? first;
        if (t.timeToRecoverMs !== undefined) m.timeToRecover.observe({ ...labels, signal: last.signal }, t.timeToRecoverMs / 1000);
        if (t.outageMs !== undefined) m.outage.observe({ ...labels, signal: first.signal }, t.outageMs / 1000);
      }
    }
  }
}

/** What a report says of a target: where it is, its labels, and the name users know it by. */
function timelineTarget(t: TargetRecord): TimelineEntry['target'] {
  const target: TimelineEntry['target'] = { cluster: t.cluster, node: t.node, zone: t.zone, namespace: t.namespace, pod: t.pod, container: t.container, kind: t.kind, labels: t.labels };
  if (t.pid !== undefined) target.pid = t.pid;
  return { ...target, name: targetName(target) };
}

/** A host process seen under a new pid (restarted): the report shows it, and keeps the earlier ones. */
function updatePid(entry: TimelineEntry, pid: number | undefined): void {
  const target = entry.target;
  if (target.kind !== 'process' || pid === undefined || target.pid === undefined || pid === target.pid) return;
  target.earlierPids = [...(target.earlierPids ?? []), target.pid];
  target.pid = pid;
  target.name = targetName(target);
}

function describeStep(step: Step): string {
  if ('signal' in step) return `${step.signal} ${step.target}`;
  if ('wait' in step) return `wait until ${step.wait} ${step.until}s`;
  if ('probe' in step) return `probe ${step.probe}`;
  if ('sleep' in step) return `sleep ${step.sleep} ms`;
  if ('parallel' in step) return `parallel (${step.parallel.length} branches)`;
  return `guard ${step.guard}`;
}

/** `agent a: leaseSeconds: must be at most 60` → `agent a: steps[0].lease: must be at most 1m (this agent's --lease-max 60)`. */
function leaseMessage(message: string, field: string): string {
  return message.replace(/\bleaseSeconds: must be at most (\d+(?:\.\d+)?)/, (_, n: string) => `${field}: must be at most ${formatDuration(Number(n) * 1000)} (this agent's --lease-max ${n})`);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** The step's per-agent fire times and their skew, when its fault went to several agents with one fire time. */
function recordFireTimes(record: StepRecord | undefined, placed: readonly PlacedFault[]): void {
  const firedAt = placed.flatMap((p) => (p.firedAt !== undefined ? [{ agent: p.agent, at: p.firedAt }] : []));
  const skew = fireSkew(firedAt.map((f) => f.at));
  if (record === undefined || skew === undefined) return;
  record.firedAt = firedAt;
  record.fireSkewMs = skew;
}
