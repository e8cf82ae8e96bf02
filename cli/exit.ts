// Exit codes of the `eris` command: the one table `eris --help` and the README print, the mapping of errors onto it,
// and the way an action ends with one after it has printed its answer.

export const EXIT = { ok: 0, failed: 1, usage: 2, notFinished: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * The table, one row per code. Decisions (issue 12): an aborted run (Ctrl-C, SIGTERM, SIGHUP, `runs abort`) did not
 * pass, so it is 1, not 130 — eris handles the signal and exits only once everything is resumed; a selection that
 * matches nothing is the cluster not fitting the drill, a failed check (1), not a mistake on the command line; a run
 * that has no result yet is 3, so a script polling `eris runs report` can tell "later" from "wrong". A request the
 * coordinator understood but refuses for its content (HTTP 422: a probe the probe policy refuses, a kubernetes cluster
 * it has no API server for, a jq filter too costly, a lease out of bounds, no targets) is the drill being invalid for
 * this coordinator, 1 as `eris validate` would say; everything else it refuses (bad request, token, id) stays 2.
 */
export const EXIT_TABLE: ReadonlyArray<readonly [ExitCode, string]> = [
  [EXIT.ok, 'ok: the command did what was asked; a run passed'],
  [EXIT.failed, 'failed: a run failed or was aborted (Ctrl-C, SIGTERM, SIGHUP), a drill file is invalid or the coordinator refuses it (422), nothing matched a selection, a resume was not confirmed'],
  [EXIT.usage, 'usage or connection: a bad flag or argument, a missing file, no coordinator, a refused token, an unknown or ambiguous id'],
  [EXIT.notFinished, 'not finished: the run has no result yet (eris runs report on a running run)'],
];

/** The table as text, for --help and the README. */
export function exitTableText(): string {
  return `Exit status:\n${EXIT_TABLE.map(([code, text]) => `  ${code}  ${text}`).join('\n')}`;
}

/** The exit code for an error the coordinator (or a local check) answered with `code` and HTTP `status`. */
export function exitCodeForError(code: string, status?: number): ExitCode {
  if (status === 422 || code === 'ERIS_ERR_NO_TARGETS') return EXIT.failed;
  return EXIT.usage;
}

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
