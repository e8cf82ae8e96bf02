// Every regex a user sends (pod, container, cmdline, /cluster/ and /namespace/ patterns) is compiled here: RE2
// syntax, matched in time linear in the input, bounded in size — so no pattern can hold up lease timers or signals.
import { z } from 'zod';
import { RE2JS } from 're2js';
import { ValidationError } from './errors.js';
import { clip } from './text.js';

/**
 * Longest pattern accepted, in characters. Names are ≤ 253 characters; a pattern longer than this is not a name
 * filter but an attempt to make matching expensive.
 */
export const REGEX_MAX_LENGTH = 512;

/**
 * Largest compiled program accepted (RE2's own measure of cost, ~ one instruction per character or class, repeats
 * copied out: `^etcd-\d+$` is 11, a 20-name alternation ~170, `[a-z]{1000}` 1002). Matching costs at most (input
 * length × program size) steps, ~18 ns each when re2js falls back from its DFA to the NFA (bench/user-regex.bench.ts):
 * 500 keeps the worst admissible pattern under ~10 ms per 1,000 characters matched.
 */
export const REGEX_MAX_PROGRAM = 500;

/** A compiled user regex: unanchored search, like `RegExp.test` (write `^…$` to match a whole name). */
export interface UserRegex {
  readonly source: string;
  test(input: string): boolean;
}

type Compiled = { ok: true; regex: UserRegex } | { ok: false; problem: string };

function tryCompile(source: string): Compiled {
  if (source.length === 0) return { ok: false, problem: 'must not be empty' };
  if (source.length > REGEX_MAX_LENGTH) return { ok: false, problem: `must be at most ${REGEX_MAX_LENGTH} characters (got ${source.length})` };
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (e) {
    // re2js says `error parsing regexp: invalid or unsupported Perl syntax: \`(?=\``.
    // re2js quotes the rest of the pattern from the error on: keep what an answer echoes short.
    const why = clip((e as Error).message.replace(/^error parsing regexp: /, ''), 120);
    // What JavaScript accepts and RE2 does not: say so, rather than leave the user guessing at `\1` or `(?=`.
    const hint = /Perl syntax|escape sequence|named capture/.test(why) ? ' (RE2 has no backreferences or lookaround; see "Regular expressions" in the README)' : '';
    return { ok: false, problem: `not a valid RE2 regular expression: ${why}${hint}` };
  }
  const size = re.programSize();
  if (size > REGEX_MAX_PROGRAM) {
    return { ok: false, problem: `too complex: compiles to ${size} instructions, at most ${REGEX_MAX_PROGRAM} are allowed (use fewer or smaller repeats)` };
  }
  return { ok: true, regex: { source, test: (input) => re.test(input) } };
}

/** Why `source` is not an acceptable user regex, or null when it is. */
export function userRegexProblem(source: string): string | null {
  const r = tryCompile(source);
  return r.ok ? null : r.problem;
}

/** Compiles a user regex, or throws a 400 ValidationError that names the field (`query.pod: not a valid RE2 …`). */
export function compileUserRegex(source: string, path: string): UserRegex {
  const r = tryCompile(source);
  if (!r.ok) throw new ValidationError(`${path}: ${r.problem}`, { path, details: { pattern: clip(source, 80) } });
  return r.regex;
}

/** A user regex field in a zod schema: the issue names the field, and the JSON Schema carries the length bound. */
export const userRegexSchema = z
  .string({ error: 'must be a regular expression (string)' })
  .min(1, 'must not be empty')
  .max(REGEX_MAX_LENGTH, `must be at most ${REGEX_MAX_LENGTH} characters`)
  .superRefine((source, ctx) => {
    const problem = userRegexProblem(source);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, input: source });
  });
