// Exit codes of the `eris` command, and the way an action ends with one after it has printed its answer.

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Thrown by an action that has said everything it had to say and only needs the process to exit with `code`. */
export class CliExit extends Error {
  constructor(readonly code: ExitCode) {
    super(`exit ${code}`);
    this.name = 'CliExit';
  }
}

/** A mistake on the command line (bad flag value, missing file): exit 2 with the message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
