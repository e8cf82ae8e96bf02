// Worker thread that owns one jq-wasm instance and answers JqPool's requests one at a time, in order.
import { readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { loadJq } from 'jq-wasm';
import { compileFilter, evaluateFilter, guarded, type JqRequest, type JqWorkerMessage } from './jq-core.js';

const port = parentPort;
if (port === null) throw new Error('jq-worker.ts must run in a worker thread (JqPool starts it)');

const data = (workerData as { niceness?: number; maxWasmBytes?: number } | null) ?? {};
lowerThreadPriority(data.niceness ?? 0);
// The wasm memory only grows (jq-wasm caps it at 256 MiB): kept to look at its size after each call. (This
// project's TypeScript lib has no WebAssembly types: the little used here is typed by hand.)
interface WasmApi {
  instantiate(binary: Uint8Array, imports: unknown): Promise<{ instance: { exports: Record<string, unknown> }; module: unknown }>;
  Memory: abstract new (...args: never[]) => { buffer: ArrayBuffer };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
let memory: { buffer: ArrayBuffer } | undefined;
const jq = await loadJq({
  instantiateWasm: ((imports: unknown, onSuccess: (instance: unknown, module: unknown) => void) => {
    void wasm.instantiate(wasmBinary(), imports).then(({ instance, module }) => {
      memory = Object.values(instance.exports).find((e): e is { buffer: ArrayBuffer } => e instanceof wasm.Memory);
      onSuccess(instance, module);
    });
    return {};
  }) as never,
});
port.postMessage({ type: 'ready', version: jq.version } satisfies JqWorkerMessage);

port.on('message', (request: JqRequest) => {
  const outcome = guarded(() =>
    request.op === 'compile' ? compileFilter(jq, request.filter) : evaluateFilter(jq, request.filter, request.input, request.checked),
  );
  port.postMessage({ type: 'reply', id: request.id, ...outcome } satisfies JqWorkerMessage);
  // After an Emscripten abort the instance is unusable (ABORT is set); the pool starts a fresh worker.
  if (!outcome.ok && outcome.kind === 'crashed') process.exit(70);
  // A call that grew the wasm memory past the bound leaves it grown: give it back by exiting; the pool replaces us.
  const wasmBytes = memory?.buffer.byteLength ?? 0;
  if (data.maxWasmBytes !== undefined && wasmBytes > data.maxWasmBytes) {
    port.postMessage({ type: 'recycle', wasmBytes } satisfies JqWorkerMessage);
    process.exit(0);
  }
});

function wasmBinary(): Buffer {
  return readFileSync(fileURLToPath(import.meta.resolve('jq-wasm/jq.wasm')));
}

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
