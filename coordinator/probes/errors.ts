// Failures of jq evaluation, one class per cause (a bad filter at load time is a ValidationError from lib/errors.ts).
import { ErisError } from '../../lib/errors.js';

// Not named `JqError`: jq-wasm's JqError matches any Error whose name is "JqError" (Symbol.hasInstance by name).

/** jq ran and failed: `error(...)`, `Cannot index number with "a"`, `halt_error`, … */
export class JqRuntimeError extends ErisError {
  override readonly code = 'ERIS_ERR_JQ_RUNTIME';
  override readonly status = 422;
}

/** The input handed to jq is not one JSON value (e.g. an HTML error page as the probe's body). */
export class JqInputError extends ErisError {
  override readonly code = 'ERIS_ERR_JQ_INPUT';
  override readonly status = 422;
}

/** One evaluation ran longer than the pool's limit; its worker was terminated and replaced. */
export class JqTimeoutError extends ErisError {
  override readonly code = 'ERIS_ERR_JQ_TIMEOUT';
  override readonly status = 504;
}

/** The jq worker died (crash, wasm abort, failed start) or the pool is closed or full. */
export class JqWorkerError extends ErisError {
  override readonly code = 'ERIS_ERR_JQ_WORKER';
  override readonly status = 503;
}

/**
 * A filter too costly to even compile within the bounds (jq folds constant expressions at compile time, so
 * `"x" * 2e8` builds a 200 MB string before any input): the user's filter, so a 4xx naming the field.
 */
export class JqTooCostlyError extends ErisError {
  override readonly code = 'ERIS_ERR_JQ_TOO_COSTLY';
  override readonly status = 422;
}
