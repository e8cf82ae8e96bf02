// jq for probes, off the main thread: a pool of worker threads, each owning one jq-wasm (jq 1.8.2) instance.
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Jq } from 'jq-wasm';
import { ValidationError } from '../../lib/errors.js';
import { JqInputError, JqRuntimeError, JqTimeoutError, JqTooCostlyError, JqWorkerError } from './errors.js';
import { compileFilter, guarded, type JqOutcome, type JqRequest, type JqWorkerMessage } from './jq-core.js';

// Why a worker: each jq-wasm call blocks its thread ~0.6-0.8 ms (jq re-initialises and compiles the filter
// every call); 2,000 probes in a burst would freeze the coordinator's event loop — the one that sends
// SIGSTOP/SIGKILL and watches leases — for over a second.

const START_TIMEOUT_MS = 15_000;

export interface JqPoolOptions {
  /** Worker threads (each one jq instance, ~10 MB). Default 1: one jq call is ~0.7 ms, so one worker does >1,000/s. */
  size?: number;
  /** One evaluation running longer than this is killed (its worker terminated and replaced). Default 1000 ms. */
  evalTimeoutMs?: number;
  /** Requests sent ahead to one worker so it never idles between messages. Default 8. */
  maxInFlightPerWorker?: number;
  /**
   * Added to the workers' nice value (Linux, per thread), so a busy node gives the CPU to the main thread
   * first — the one that sends signals. Default 10; 0 keeps the normal priority.
   */
  niceness?: number;
  /** Requests waiting beyond this many are refused with JqWorkerError. Default 10,000. */
  maxQueue?: number;
  /** V8 heap bounds of each worker (a worker past them is killed and replaced). Default: Node's. */
  resourceLimits?: ResourceLimits;
  /**
   * A worker whose jq wasm memory grew past this many bytes (jq-wasm caps it at 256 MiB) exits after its reply and
   * is replaced, giving the memory back. Default: never.
   */
  maxWasmBytes?: number;
  /**
   * The worker script. Test seam; default `./jq-worker.js` beside this module (`./jq-worker.ts` plus tsx when
   * this module itself runs from source).
   */
  workerUrl?: URL;
}

export interface JqEvaluation {
  /** Every value the filter emitted, in order (`[]` when it emitted none). */
  outputs: unknown[];
}

interface Pending {
  readonly request: JqRequest;
  readonly resolve: (outcome: JqOutcome) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Sent to the worker, oldest first; the worker answers in this order, so [0] is the one running. */
  inFlight: Pending[];
  timer: NodeJS.Timeout | undefined;
  /** It answered `crashed` and is exiting: nothing behind that request was started. */
  dying: boolean;
  lastError: Error | undefined;
  referenced: boolean;
}

/**
 * A pool of jq worker threads. Requests queue here and are answered by id; a worker that crashes fails only
 * the request it was running (the ones queued behind it are re-sent to its replacement), and a worker stuck
 * in a filter past `evalTimeoutMs` is terminated and replaced. Idle workers are unref'd, so a forgotten pool
 * does not keep the process alive; call close() anyway.
 */
export class JqPool {
  readonly size: number;
  readonly evalTimeoutMs: number;
  private readonly maxInFlight: number;
  private readonly maxQueue: number;
  private readonly niceness: number;
  private readonly workerUrl: URL | undefined;
  private readonly resourceLimits: ResourceLimits | undefined;
  private readonly maxWasmBytes: number | undefined;
  private readonly slots: (Slot | undefined)[];
  private readonly queue: Pending[] = [];
  private readonly compiled = new Set<string>();
  private nextId = 1;
  private closed = false;
  /** Workers started so far (restarts included); for tests and metrics. */
  workersStarted = 0;

  constructor({ size = 1, evalTimeoutMs = 1_000, maxInFlightPerWorker = 8, niceness = 10, maxQueue = 10_000, workerUrl, resourceLimits, maxWasmBytes }: JqPoolOptions = {}) {
    if (!Number.isInteger(size) || size < 1 || size > 64) throw new RangeError(`JqPool size must be an integer 1..64, got ${size}`);
    if (!(evalTimeoutMs > 0)) throw new RangeError(`JqPool evalTimeoutMs must be > 0, got ${evalTimeoutMs}`);
    if (!Number.isInteger(maxInFlightPerWorker) || maxInFlightPerWorker < 1) {
      throw new RangeError(`JqPool maxInFlightPerWorker must be an integer >= 1, got ${maxInFlightPerWorker}`);
    }
    this.size = size;
    this.evalTimeoutMs = evalTimeoutMs;
    this.maxInFlight = maxInFlightPerWorker;
    this.maxQueue = maxQueue;
    this.niceness = niceness;
    this.workerUrl = workerUrl;
    this.resourceLimits = resourceLimits;
    this.maxWasmBytes = maxWasmBytes;
    this.slots = Array.from({ length: size }, () => undefined);
  }

  /**
   * Checks that `filter` compiles (it is not run). Throws a ValidationError whose message carries jq's own
   * message, e.g. `probes.health.jq: invalid jq filter: jq: error: syntax error, unexpected end of file …`.
   */
  async compile(filter: string, path = 'jq'): Promise<void> {
    if (this.compiled.has(filter)) return;
    let outcome: JqOutcome;
    try {
      outcome = await this.submit({ id: this.nextId++, op: 'compile', filter });
    } catch (error) {
      // Past the time or heap bound: the filter's cost (jq folds constants when it compiles), not the server's fault.
      if (error instanceof JqTimeoutError) {
        throw new JqTooCostlyError(`${path}: compiling the filter took longer than ${this.evalTimeoutMs} ms (jq evaluates constant expressions when it compiles)`, { path, cause: error });
      }
      if (error instanceof JqWorkerError && (error.cause as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        throw new JqTooCostlyError(`${path}: compiling the filter ran out of memory`, { path, cause: error });
      }
      throw error;
    }
    if (!outcome.ok && outcome.kind === 'crashed') {
      // jq-wasm aborts when its memory (at most 256 MiB) runs out: `"x" * 1e9` does at compile time.
      throw new JqTooCostlyError(`${path}: compiling the filter ran out of memory (${outcome.message})`, { path, details: { filter: clipFilter(filter) } });
    }
    throwIfCompileFailed(outcome, filter, path);
    if (this.compiled.size >= 1_000) this.compiled.clear();
    this.compiled.add(filter);
  }

  /**
   * Runs `filter` on `json`. A string is taken as JSON TEXT (a probe's body, parsed by jq in the worker and
   * required to be exactly one JSON value); anything else is serialised with JSON.stringify first, so pass
   * `JSON.stringify("text")` to give jq a string value.
   * Throws ValidationError (filter does not compile), JqInputError (not JSON), JqRuntimeError (jq failed),
   * JqTimeoutError, JqWorkerError.
   */
  async evaluate(filter: string, json: unknown): Promise<JqEvaluation> {
    let input: string;
    let checked = false;
    if (typeof json === 'string') {
      input = json;
    } else {
      let text: string | undefined;
      try {
        text = JSON.stringify(json);
      } catch (cause) {
        throw new JqInputError(`input is not JSON-serialisable: ${(cause as Error).message}`, { cause });
      }
      if (text === undefined) throw new JqInputError(`input is not JSON-serialisable (${typeof json})`);
      input = text;
      checked = true;
    }
    const outcome = await this.submit({ id: this.nextId++, op: 'evaluate', filter, input, checked });
    if (outcome.ok) return { outputs: outcome.outputs };
    switch (outcome.kind) {
      case 'compile':
        throwIfCompileFailed(outcome, filter, 'jq');
        break;
      case 'input':
        throw new JqInputError(`input is not JSON (${outcome.message})`, { details: { detail: outcome.message } });
      case 'runtime':
        throw new JqRuntimeError(outcome.message, { details: { filter } });
      case 'crashed':
        throw new JqWorkerError(`jq crashed: ${outcome.message}`, { details: { filter } });
    }
    throw new JqWorkerError('unreachable jq outcome');
  }

  /** Terminates the workers; pending and later requests fail with JqWorkerError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new JqWorkerError('jq pool is closed');
    for (const pending of this.queue.splice(0)) pending.reject(error);
    const exits: Promise<number>[] = [];
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i];
      if (slot === undefined) continue;
      this.detach(i);
      for (const pending of slot.inFlight.splice(0)) pending.reject(error);
      exits.push(slot.worker.terminate());
    }
    await Promise.all(exits);
  }

  private submit(request: JqRequest): Promise<JqOutcome> {
    if (this.closed) return Promise.reject(new JqWorkerError('jq pool is closed'));
    if (this.queue.length >= this.maxQueue) {
      return Promise.reject(new JqWorkerError(`jq queue is full (${this.maxQueue} requests waiting)`));
    }
    return new Promise<JqOutcome>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.pump();
    });
  }

  /** Moves queued requests to the least-loaded workers, starting workers as needed. */
  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      let best = -1;
      let bestLoad = Infinity;
      for (let i = 0; i < this.slots.length; i++) {
        const load = this.slots[i]?.inFlight.length ?? 0;
        if (load < this.maxInFlight && load < bestLoad) {
          best = i;
          bestLoad = load;
        }
      }
      if (best < 0) break;
      const slot = this.slots[best] ?? this.start(best);
      const pending = this.queue.shift()!;
      slot.inFlight.push(pending);
      try {
        slot.worker.postMessage(pending.request);
      } catch (cause) {
        slot.inFlight.pop();
        pending.reject(new JqWorkerError('could not send the request to the jq worker', { cause }));
        continue;
      }
      this.arm(slot);
    }
    for (const slot of this.slots) if (slot !== undefined) this.setReferenced(slot, slot.inFlight.length > 0);
  }

  private start(index: number): Slot {
    const worker = this.spawn();
    this.workersStarted++;
    const slot: Slot = { worker, ready: false, inFlight: [], timer: undefined, dying: false, lastError: undefined, referenced: true };
    this.slots[index] = slot;
    worker.on('message', (message: JqWorkerMessage) => this.onMessage(slot, message));
    worker.on('error', (error: Error) => {
      slot.lastError = error;
    });
    worker.on('exit', (code: number) => this.onExit(index, slot, code));
    // A worker that never reports ready (jq.wasm unreadable, a hung loader) must not hold requests forever.
    slot.timer = setTimeout(() => {
      if (this.slots[index] !== slot || slot.ready) return;
      slot.lastError = new Error(`not ready after ${START_TIMEOUT_MS} ms`);
      void worker.terminate();
    }, START_TIMEOUT_MS);
    slot.timer.unref();
    return slot;
  }

  private spawn(): Worker {
    const options = {
      name: 'eris-jq',
      workerData: { niceness: this.niceness, ...(this.maxWasmBytes !== undefined ? { maxWasmBytes: this.maxWasmBytes } : {}) },
      ...(this.resourceLimits !== undefined ? { resourceLimits: this.resourceLimits } : {}),
    };
    if (this.workerUrl !== undefined) return new Worker(this.workerUrl, options);
    const self = import.meta.url;
    if (!self.endsWith('.ts')) return new Worker(new URL('./jq-worker.js', self), options);
    // Running from source under tsx. Node 20 does not apply `--import tsx` (execArgv or inherited) to a
    // worker's entry module (ERR_UNKNOWN_FILE_EXTENSION); registering tsx inside the worker first does work.
    const tsxApi = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./jq-worker.ts', self).href;
    const code = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(code, { ...options, eval: true });
  }

  private onMessage(slot: Slot, message: JqWorkerMessage): void {
    if (message.type === 'ready') {
      slot.ready = true;
      this.disarm(slot); // the start-up clock
      this.arm(slot);
      return;
    }
    if (message.type === 'recycle') {
      // It exits next; requests sent behind its last reply were never started and go to its replacement (onExit).
      slot.dying = true;
      return;
    }
    const index = slot.inFlight.findIndex((p) => p.request.id === message.id);
    if (index < 0) return; // already failed by a timeout
    const [pending] = slot.inFlight.splice(index, 1);
    if (index === 0) this.disarm(slot);
    const { type: _type, id: _id, ...outcome } = message;
    if (!outcome.ok && outcome.kind === 'crashed') slot.dying = true;
    pending!.resolve(outcome);
    this.arm(slot);
    this.pump();
  }

  /** Starts the head request's clock once the worker is ready (jq load time does not count). */
  private arm(slot: Slot): void {
    const head = slot.inFlight[0];
    if (!slot.ready || head === undefined || slot.timer !== undefined) return;
    slot.timer = setTimeout(() => this.onTimeout(slot, head), this.evalTimeoutMs);
    slot.timer.unref();
  }

  private disarm(slot: Slot): void {
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    slot.timer = undefined;
  }

  private onTimeout(slot: Slot, head: Pending): void {
    const index = this.slots.indexOf(slot);
    if (index < 0 || slot.inFlight[0] !== head) return;
    this.detach(index);
    void slot.worker.terminate();
    slot.inFlight.shift();
    head.reject(
      new JqTimeoutError(`jq evaluation exceeded ${this.evalTimeoutMs} ms (worker restarted)`, {
        details: { filter: head.request.filter },
      }),
    );
    this.queue.unshift(...slot.inFlight.splice(0)); // never started: re-send to the replacement
    this.pump();
  }

  private onExit(index: number, slot: Slot, code: number): void {
    if (this.slots[index] !== slot) return; // detached on purpose (timeout, close)
    this.detach(index);
    const cause = slot.lastError;
    const reason = cause ? `${cause.name}: ${cause.message}` : `exit code ${code}`;
    if (!slot.ready) {
      // It died while loading jq: a replacement would die the same way. Fail everything waiting.
      const error = new JqWorkerError(`jq worker failed to start (${reason})`, { cause });
      for (const pending of [...slot.inFlight.splice(0), ...this.queue.splice(0)]) pending.reject(error);
      return;
    }
    const head = slot.dying ? undefined : slot.inFlight.shift();
    head?.reject(new JqWorkerError(`jq worker exited (${reason}) while evaluating`, { cause, details: { code, filter: head.request.filter } }));
    this.queue.unshift(...slot.inFlight.splice(0));
    this.pump();
  }

  private detach(index: number): void {
    const slot = this.slots[index];
    if (slot === undefined) return;
    this.disarm(slot);
    this.slots[index] = undefined;
  }

  private setReferenced(slot: Slot, busy: boolean): void {
    if (busy === slot.referenced) return;
    slot.referenced = busy;
    if (busy) slot.worker.ref();
    else slot.worker.unref();
  }
}

function throwIfCompileFailed(outcome: JqOutcome, filter: string, path: string): void {
  if (outcome.ok) return;
  if (outcome.kind === 'compile') {
    throw new ValidationError(`${path}: invalid jq filter: ${outcome.message}`, { path, details: { filter, jq: outcome.message } });
  }
  if (outcome.kind === 'crashed') throw new JqWorkerError(`jq crashed: ${outcome.message}`, { details: { filter } });
  throw new JqRuntimeError(outcome.message, { details: { filter } });
}

const clipFilter = (filter: string) => (filter.length > 200 ? `${filter.slice(0, 200)}…` : filter);

let inThread: Promise<Jq> | undefined;

/** A jq-wasm instance on the CALLING thread, loaded once. For validation and benchmarks, not for probe loops. */
export function loadInThreadJq(): Promise<Jq> {
  inThread ??= import('jq-wasm').then((m) => m.loadJq());
  return inThread;
}

/**
 * Checks a filter at validation time (`eris validate`, drill upload) without a pool: async only for the
 * one-time jq load, then ~1 ms on the calling thread per filter. The filter is compiled, never run (see
 * compileFilter), so a filter that would loop forever cannot hang validation. Throws ValidationError naming `path`.
 */
export async function checkJqFilter(filter: string, path = 'jq'): Promise<void> {
  const jq = await loadInThreadJq();
  const outcome = guarded(() => compileFilter(jq, filter));
  if (!outcome.ok && outcome.kind === 'crashed') inThread = undefined; // an aborted instance stays dead
  throwIfCompileFailed(outcome, filter, path);
}
