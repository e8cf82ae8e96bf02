// One error type per failure, each with a stable code and an HTTP status; the cause is always kept.

export interface ErisErrorOptions {
  /** Where in the input the problem is, e.g. `targets.etcd.percent`. */
  path?: string;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class ErisError extends Error {
  readonly code: string = 'ERIS_ERR';
  readonly status: number = 500;
  readonly path: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, options: ErisErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.path = options.path;
    this.details = options.details;
  }

  toJSON(): { code: string; message: string; path?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.path !== undefined ? { path: this.path } : {}),
      ...(this.details !== undefined ? { details: this.details } : {}),
    };
  }
}

/** Input that fails validation: a field has a bad value. */
export class ValidationError extends ErisError {
  override readonly code = 'ERIS_ERR_VALIDATION';
  override readonly status = 400;
}

/** Configuration (flags, env, files) is invalid; the process refuses to start. */
export class ConfigError extends ErisError {
  override readonly code = 'ERIS_ERR_CONFIG';
  override readonly status = 400;
}

export class UnauthorizedError extends ErisError {
  override readonly code = 'ERIS_ERR_UNAUTHORIZED';
  override readonly status = 401;
}

/** A safety rule forbids the action (PID 1, the agent itself, runtime, kubelet, denied namespace). */
export class ForbiddenTargetError extends ErisError {
  override readonly code = 'ERIS_ERR_FORBIDDEN_TARGET';
  override readonly status = 403;
}

export class NotFoundError extends ErisError {
  override readonly code = 'ERIS_ERR_NOT_FOUND';
  override readonly status = 404;
}

/** A selection matched nothing. */
export class NoTargetsError extends ErisError {
  override readonly code = 'ERIS_ERR_NO_TARGETS';
  override readonly status = 422;
}

/** The process behind a PID is not the one we identified (start time or container changed). */
export class IdentityMismatchError extends ErisError {
  override readonly code = 'ERIS_ERR_IDENTITY_MISMATCH';
  override readonly status = 409;
}

/** A request body larger than the endpoint accepts. */
export class PayloadTooLargeError extends ErisError {
  override readonly code = 'ERIS_ERR_PAYLOAD_TOO_LARGE';
  override readonly status = 413;
}

export class ConflictError extends ErisError {
  override readonly code = 'ERIS_ERR_CONFLICT';
  override readonly status = 409;
}

/** Sending a signal failed at the kernel (ESRCH, EPERM, …). */
export class SignalError extends ErisError {
  override readonly code = 'ERIS_ERR_SIGNAL';
  override readonly status = 500;
}

/** The container runtime (CRI) did not answer or answered with an error. */
export class RuntimeError extends ErisError {
  override readonly code = 'ERIS_ERR_RUNTIME';
  override readonly status = 502;
}

/** An agent or coordinator could not be reached. */
export class UnavailableError extends ErisError {
  override readonly code = 'ERIS_ERR_UNAVAILABLE';
  override readonly status = 503;
}

export class TimeoutError extends ErisError {
  override readonly code = 'ERIS_ERR_TIMEOUT';
  override readonly status = 504;
}

export function isErisError(value: unknown): value is ErisError {
  return value instanceof ErisError;
}
