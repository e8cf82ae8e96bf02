// Runs one jq filter on one jq-wasm instance and classifies the outcome; shared by the worker and in-thread callers.
import type { Jq } from 'jq-wasm';

/** Request from JqPool to its worker. `input` is JSON text; `checked` means the pool produced it with JSON.stringify. */
export type JqRequest =
  | { readonly id: number; readonly op: 'compile'; readonly filter: string }
  | { readonly id: number; readonly op: 'evaluate'; readonly filter: string; readonly input: string; readonly checked: boolean };

export type JqFailureKind = 'compile' | 'runtime' | 'input' | 'crashed';

export type JqOutcome =
  | { readonly ok: true; readonly outputs: unknown[] }
  /** For kind `input`, `message` is only the detail (`empty`, or the parse error and the text's start). */
  | { readonly ok: false; readonly kind: JqFailureKind; readonly message: string };

/** Messages from the worker: `ready` once jq is loaded, then one `reply` per request, in request order. */
export type JqWorkerMessage =
  | { readonly type: 'ready'; readonly version: string }
  /** Sent after a reply when the worker is about to exit to give back memory: what was sent after it never started. */
  | { readonly type: 'recycle'; readonly wasmBytes: number }
  | ({ readonly type: 'reply'; readonly id: number } & JqOutcome);

// jq's exit codes (jq 1.8 src/main.c): 2 usage/system, 3 compile error, 5 runtime error / halt_error.
const JQ_EXIT_COMPILE = 3;

/**
 * Checks that `filter` compiles, WITHOUT running it: jq is given an empty input stream, so it compiles the
 * program and then finds no input to run it on. A filter like `until(false; .)` is accepted in ~1 ms here
 * (it only loops once it has an input). Compile errors come back as jq's own message (with line, column, caret).
 */
export function compileFilter(jq: Jq, filter: string): JqOutcome {
  const result = jq.raw('', filter, ['-c']);
  if (result.exitCode === JQ_EXIT_COMPILE || (result.exitCode !== 0 && /compile error/.test(result.stderr))) {
    return { ok: false, kind: 'compile', message: result.stderr.trim() };
  }
  if (result.exitCode !== 0) return { ok: false, kind: 'runtime', message: describeFailure(result.stderr, result.exitCode) };
  return { ok: true, outputs: [] };
}

/**
 * Runs `filter` on the JSON text `input`. The text must be exactly one JSON value: it is checked with
 * JSON.parse first, because jq itself accepts a stream (`1 2` runs the filter twice) and some non-JSON
 * (NaN, comments in some versions) that a health endpoint must not get away with.
 */
export function evaluateFilter(jq: Jq, filter: string, input: string, checked = false): JqOutcome {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input; // a UTF-8 BOM is not JSON
  if (!checked) {
    try {
      JSON.parse(text);
    } catch (cause) {
      return { ok: false, kind: 'input', message: notJsonDetail(text, cause) };
    }
  }
  const result = jq.raw(text, filter, ['-c']);
  if (result.exitCode === JQ_EXIT_COMPILE) return { ok: false, kind: 'compile', message: result.stderr.trim() };
  // jq-wasm's json() treats "exit != 0 with empty stderr" as success (e.g. `"" | halt_error`); we do not.
  if (result.exitCode !== 0) return { ok: false, kind: 'runtime', message: describeFailure(result.stderr, result.exitCode) };
  const outputs: unknown[] = [];
  // With -c every output is one line; jq-wasm trims stdout. JSON strings never contain a raw newline.
  for (const line of result.stdout.split('\n')) {
    if (line === '') continue;
    try {
      outputs.push(JSON.parse(line));
    } catch {
      return { ok: false, kind: 'runtime', message: `jq produced non-JSON output: ${line.slice(0, 200)}` };
    }
  }
  return { ok: true, outputs };
}

/** Runs a jq-wasm call, turning a wasm abort (the instance is dead afterwards) into a `crashed` outcome. */
export function guarded(run: () => JqOutcome): JqOutcome {
  try {
    return run();
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { ok: false, kind: 'crashed', message };
  }
}

/** jq's runtime error without the `jq: error (at /dev/stdin:0): ` prefix; the last error line wins over `debug` noise. */
function describeFailure(stderr: string, exitCode: number): string {
  const lines = stderr.trim().split('\n').filter((l) => l.trim() !== '');
  const errorLine = [...lines].reverse().find((l) => l.startsWith('jq: error'));
  const line = errorLine ?? lines.at(-1);
  if (line === undefined) return `jq exited with code ${exitCode} and no message`;
  return line.replace(/^jq: error \(at [^)]*\)(?=[: ])/, '').replace(/^: /, '').trim() || line;
}

/** Why the text is not JSON, short enough for a probe result: `empty`, or the parser's message and the text's start. */
function notJsonDetail(text: string, cause: unknown): string {
  if (text.trim() === '') return 'empty';
  const head = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  const why = cause instanceof Error ? cause.message : String(cause);
  return `${why}; starts with ${JSON.stringify(head)}`;
}
