// Worker thread that owns one jq-wasm instance and answers JqPool's requests one at a time, in order.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { loadJq } from 'jq-wasm';
import { compileFilter, evaluateFilter, guarded, type JqRequest, type JqWorkerMessage } from './jq-core.js';

const port = parentPort;
if (port === null) throw new Error('jq-worker.ts must run in a worker thread (JqPool starts it)');

lowerThreadPriority((workerData as { niceness?: number } | null)?.niceness ?? 0);
const jq = await loadJq();
port.postMessage({ type: 'ready', version: jq.version } satisfies JqWorkerMessage);

port.on('message', (request: JqRequest) => {
  const outcome = guarded(() =>
    request.op === 'compile' ? compileFilter(jq, request.filter) : evaluateFilter(jq, request.filter, request.input, request.checked),
  );
  port.postMessage({ type: 'reply', id: request.id, ...outcome } satisfies JqWorkerMessage);
  // After an Emscripten abort the instance is unusable (ABORT is set); the pool starts a fresh worker.
  if (!outcome.ok && outcome.kind === 'crashed') process.exit(70);
});

/**
 * Linux: raises this thread's nice value so that on a busy node jq yields the CPU to the main thread (the one
 * sending signals and renewing leases). setpriority(PRIO_PROCESS, tid) acts on one thread on Linux; lowering
 * one's own priority needs no privilege. Best effort: elsewhere it silently does nothing.
 */
function lowerThreadPriority(by: number): void {
  if (by <= 0 || process.platform !== 'linux') return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, Math.min(19, getPriority(tid) + by));
  } catch {
    // no /proc or not permitted: run at the normal priority
  }
}
