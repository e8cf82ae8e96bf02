// Runs probes: one HTTP(S) request judged by status and jq (run), or polling until pass/fail (waitFor).
import { performance } from 'node:perf_hooks';
import { ValidationError } from '../../lib/errors.js';
import { JqInputError, JqRuntimeError, JqTimeoutError, JqWorkerError } from './errors.js';
import { describeNetworkError, sendProbeRequest } from './http.js';
import type { JqPool } from './jq.js';
import { prometheusResult } from './prometheus.js';
import { kubernetesFailure, unknownCluster } from './kubernetes.js';
import type { KubeConnection } from '../../lib/kube/kubeconfig.js';
import type { ProbePolicy } from './policy.js';
import type { RenderedProbe, StatusExpectation } from './spec.js';

export interface ProbeResult {
  /** The probe passed (see ProbeRunner.run for the rule). */
  ok: boolean;
  /** When the request started, unix ms (from the runner's clock). */
  at: number;
  /** Request sent → whole body read (or → failure); jq time not included. */
  latencyMs: number;
  /** HTTP status, when an answer came. */
  status?: number;
  /** Why it failed: `timeout after 2000 ms`, `status 503 not in [200]`, `jq output false`, `jq error: …`, `body is not JSON (…)`, `connection refused`. */
  reason?: string;
  /** Every jq output, in order, when the filter ran. */
  output?: unknown[];
}

export interface ProbeRunnerOptions {
  jq: JqPool;
  /** Where probes may go (coordinator/probes/policy.ts); checked before each request and on each DNS answer. */
  policy: ProbePolicy;
  /** Wall clock for `at` / `reachedAt` (unix ms). Latency and deadlines use performance.now(). */
  now?: () => number;
  /** Bodies above this fail the probe (`body larger than N bytes`). Default 1 MiB. */
  maxBodyBytes?: number;
  /** API servers by eris cluster (the coordinator's --kubeconfig contexts), for kubernetes probes. */
  kube?: ReadonlyMap<string, KubeConnection>;
}

export interface WaitForOptions {
  until: 'pass' | 'fail';
  /** Give up after this long; a probe still in flight at the deadline is abandoned and not counted. */
  timeoutMs: number;
  /** Results in a row that must have the wanted outcome. Default 1. */
  consecutive?: number;
  /** Between the STARTS of two probes (a slow probe is followed at once). Default: the probe's interval. */
  intervalMs?: number;
  /** Called with every result as it comes (for live progress and timelines); a throw aborts waitFor. */
  onResult?: (result: ProbeResult) => void;
  /** Aborting rejects waitFor with the signal's reason. */
  signal?: AbortSignal;
}

export interface WaitForResult {
  reached: boolean;
  /** Every result, in order. */
  results: ProbeResult[];
  /** When the last result of the winning streak came in, unix ms. */
  reachedAt?: number;
  elapsedMs: number;
}

/**
 * The pass rule: a probe passes when the HTTP status matches `expectStatus` (an exact code or a class such
 * as '2xx') AND either there is no jq filter, or the filter emitted at least one value and every value is
 * exactly `true`. So `false`, `null`, `"true"`, `1`, no output at all, `true,false`, a jq error, or a body
 * that is not JSON all fail it. Returns the failure reason, or undefined when the outputs pass.
 */
export function judgeJqOutputs(outputs: readonly unknown[]): string | undefined {
  if (outputs.length === 0) return 'jq produced no output';
  const bad = outputs.findIndex((value) => value !== true);
  if (bad < 0) return undefined;
  const shown = short(outputs[bad]);
  return outputs.length === 1 ? `jq output ${shown}` : `jq output #${bad + 1} of ${outputs.length} is ${shown} (all must be true)`;
}

export function statusMatches(status: number, expected: readonly StatusExpectation[]): boolean {
  return expected.some((e) => (typeof e === 'number' ? status === e : Math.floor(status / 100) === Number(e[0])));
}

export class ProbeRunner {
  private readonly jq: JqPool;
  private readonly now: () => number;
  private readonly maxBodyBytes: number;
  private readonly policy: ProbePolicy;
  private readonly kube: ReadonlyMap<string, KubeConnection> | undefined;

  constructor({ jq, policy, now = Date.now, maxBodyBytes = 1_048_576, kube }: ProbeRunnerOptions) {
    this.jq = jq;
    this.kube = kube;
    this.policy = policy;
    this.now = now;
    this.maxBodyBytes = maxBodyBytes;
  }

  /**
   * Sends the request once and judges it (see judgeJqOutputs for the rule). Never rejects for a failing
   * probe — the failure is in `reason` — but rejects with `signal.reason` when `signal` aborts.
   */
  async run(spec: RenderedProbe, signal?: AbortSignal): Promise<ProbeResult> {
    return echoBounded(await this.judge(spec, signal), spec.redact);
  }

  private async judge(spec: RenderedProbe, signal?: AbortSignal): Promise<ProbeResult> {
    signal?.throwIfAborted();
    const at = this.now();
    const kube = spec.kubernetes !== undefined ? this.kube?.get(spec.kubernetes.cluster) : undefined;
    if (spec.kubernetes !== undefined && kube === undefined) return { ok: false, at, latencyMs: 0, reason: unknownCluster(spec.kubernetes.cluster, this.kube) };
    const started = performance.now();
    const latency = () => Math.round((performance.now() - started) * 100) / 100;
    // Own controller rather than AbortSignal.any(): its listeners on a long-lived signal leak on Node 20.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`timeout after ${spec.timeout} ms`));
    }, spec.timeout);
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let response;
    try {
      response = await sendProbeRequest(spec, controller.signal, this.maxBodyBytes, this.policy, kube);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const reason = timedOut ? `timeout after ${spec.timeout} ms` : describeNetworkError(error);
      return { ok: false, at, latencyMs: latency(), reason };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    const latencyMs = latency();
    const { status } = response;
    if (spec.prometheus) return this.judgePrometheus(spec, at, latencyMs, status, response.body.toString('utf8'));
    if (spec.kubernetes !== undefined && status !== 200) {
      return { ok: false, at, latencyMs, status, reason: kubernetesFailure(status, response.body.toString('utf8'), spec.kubernetes.what) };
    }
    if (!statusMatches(status, spec.expectStatus)) {
      return { ok: false, at, latencyMs, status, reason: `status ${status} not in [${spec.expectStatus.join(', ')}]` };
    }
    if (spec.jq === undefined) return { ok: true, at, latencyMs, status };
    let outputs: unknown[];
    try {
      ({ outputs } = await this.jq.evaluate(spec.jq, response.body.toString('utf8')));
    } catch (error) {
      return { ok: false, at, latencyMs, status, reason: describeJqError(error) };
    }
    const reason = judgeJqOutputs(outputs);
    return reason === undefined ? { ok: true, at, latencyMs, status, output: outputs } : { ok: false, at, latencyMs, status, reason, output: outputs };
  }

  /** A Prometheus answer: its own error text fails the probe; else jq reads `data.result` (no jq: success passes). */
  private async judgePrometheus(spec: RenderedProbe, at: number, latencyMs: number, status: number, body: string): Promise<ProbeResult> {
    const result = prometheusResult(status, body);
    if ('reason' in result) return { ok: false, at, latencyMs, status, reason: result.reason };
    if (spec.jq === undefined) return { ok: true, at, latencyMs, status };
    let outputs: unknown[];
    try {
      ({ outputs } = await this.jq.evaluate(spec.jq, result.input));
    } catch (error) {
      return { ok: false, at, latencyMs, status, reason: describeJqError(error) };
    }
    const reason = judgeJqOutputs(outputs);
    return reason === undefined ? { ok: true, at, latencyMs, status, output: outputs } : { ok: false, at, latencyMs, status, reason, output: outputs };
  }

  /**
   * Polls until `consecutive` results in a row have the wanted outcome (reached: true) or the deadline passes
   * (reached: false). Probes start every `intervalMs` (start to start); it returns early when the next start
   * would be at or after the deadline.
   */
  async waitFor(spec: RenderedProbe, options: WaitForOptions): Promise<WaitForResult> {
    const { until, timeoutMs, consecutive = 1, intervalMs = spec.interval, onResult, signal } = options;
    if (until !== 'pass' && until !== 'fail') throw new ValidationError(`until: must be "pass" or "fail"`, { path: 'until' });
    if (!Number.isInteger(consecutive) || consecutive < 1) {
      throw new ValidationError(`consecutive: must be an integer >= 1, got ${consecutive}`, { path: 'consecutive' });
    }
    if (!(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) throw new ValidationError(`timeoutMs: must be >= 0, got ${timeoutMs}`, { path: 'timeoutMs' });
    if (!(intervalMs >= 0)) throw new ValidationError(`intervalMs: must be >= 0, got ${intervalMs}`, { path: 'intervalMs' });
    signal?.throwIfAborted();

    const wanted = until === 'pass';
    const start = performance.now();
    const deadline = start + timeoutMs;
    const elapsed = () => Math.round(performance.now() - start);
    const stop = new AbortController(); // aborts at the deadline or with `signal`
    const deadlineTimer = setTimeout(() => stop.abort(new Error('deadline')), timeoutMs);
    const onAbort = () => stop.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const results: ProbeResult[] = [];
    let streak = 0;
    try {
      for (;;) {
        const probeStart = performance.now();
        let result: ProbeResult;
        try {
          result = await this.run(spec, stop.signal);
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          if (stop.signal.aborted) break; // deadline: the probe in flight does not count
          throw error;
        }
        if (performance.now() > deadline) break; // finished (jq) after the deadline: not counted either
        results.push(result);
        onResult?.(result);
        streak = result.ok === wanted ? streak + 1 : 0;
        if (streak >= consecutive) return { reached: true, results, reachedAt: this.now(), elapsedMs: elapsed() };
        const nextStart = probeStart + intervalMs;
        if (nextStart >= deadline) break;
        const wait = nextStart - performance.now();
        if (wait > 0 && !(await sleep(wait, stop.signal))) {
          if (signal?.aborted) throw signal.reason;
          break;
        }
      }
      return { reached: false, results, elapsedMs: elapsed() };
    } finally {
      clearTimeout(deadlineTimer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** Longest failure reason a result carries (run events and reports echo it). */
export const MAX_REASON_LENGTH = 200;

/**
 * What a result may echo of the answer: the reason clipped; with `redact`, nothing the body said (no jq outputs, no
 * start of a non-JSON body, no jq runtime message that may quote it) — only the kind of failure.
 */
export function echoBounded(result: ProbeResult, redact: boolean): ProbeResult {
  if (result.reason === undefined && !(redact && result.output !== undefined)) return result;
  const { output, reason, ...rest } = result;
  if (!redact) return { ...rest, ...(output !== undefined ? { output } : {}), ...(reason !== undefined ? { reason: reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH)}…` : reason } : {}) };
  if (reason === undefined) return rest;
  const kind = /^jq output/.test(reason) ? 'jq output not true (redacted)' : /^body is not JSON/.test(reason) ? 'body is not JSON (redacted)' : /^jq error/.test(reason) ? 'jq error (redacted)' : reason.slice(0, MAX_REASON_LENGTH);
  return { ...rest, reason: kind };
}

function describeJqError(error: unknown): string {
  if (error instanceof JqInputError) {
    const detail = typeof error.details?.detail === 'string' ? error.details.detail : error.message;
    return `body is not JSON (${detail})`;
  }
  if (error instanceof ValidationError) {
    // The filter does not compile (normally caught when the drill was loaded): jq's own message.
    const jq = typeof error.details?.jq === 'string' ? error.details.jq : error.message;
    return `jq error: ${jq.replace(/^jq: error: /, '')}`;
  }
  if (error instanceof JqRuntimeError || error instanceof JqTimeoutError || error instanceof JqWorkerError) {
    return `jq error: ${error.message}`;
  }
  return `jq error: ${error instanceof Error ? error.message : String(error)}`;
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
