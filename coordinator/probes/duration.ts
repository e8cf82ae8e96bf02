// Durations as users write them in drills ('500ms', '2s', '1m30s', '1h', or a number of seconds), in milliseconds.
import { z } from 'zod';
import { ValidationError } from '../../lib/errors.js';

/** Largest duration accepted: setTimeout fires at once for anything above 2^31-1 ms (~24.8 days). */
export const MAX_DURATION_MS = 2_147_483_647;

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
// Go's time.ParseDuration syntax restricted to ms/s/m/h: one or more <decimal><unit>, e.g. 1m30s, 1.5h.
const WHOLE = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h)/g;
const HINT = 'use e.g. "500ms", "2s", "1m30s", "1h", or a number of seconds';

/** The problem with `value` as a duration, or its length in whole milliseconds (rounded). */
function durationOrProblem(value: unknown): number | string {
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return `invalid duration ${String(value)}: ${HINT}`;
    ms = value * 1_000;
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (text === '0') return 0;
    if (!WHOLE.test(text)) {
      const why = /^\d+(\.\d+)?$/.test(text) ? ' (a string needs a unit; a bare number means seconds only when unquoted)' : '';
      return `invalid duration ${JSON.stringify(value)}${why}: ${HINT}`;
    }
    ms = 0;
    for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  } else {
    return `invalid duration (${value === null ? 'null' : typeof value}): ${HINT}`;
  }
  ms = Math.round(ms);
  if (ms > MAX_DURATION_MS) return `duration ${JSON.stringify(value)} is too long (max ${MAX_DURATION_MS} ms, ~24.8 days)`;
  return ms;
}

/** Parses a duration to milliseconds or throws a ValidationError naming `path`. */
export function parseDuration(value: string | number, path: string): number {
  const result = durationOrProblem(value);
  if (typeof result === 'string') throw new ValidationError(`${path}: ${result}`, { path, details: { value } });
  return result;
}

/** Zod type: a duration ('2s', '1m30s', 1.5 seconds, …) transformed to milliseconds (>= 0). */
export const duration = z
  // A field left out says so (the CLI and the coordinator alike), not that `undefined` is no duration.
  .union([z.string(), z.number()], { error: (issue) => (issue.input === undefined ? `required (a duration: ${HINT})` : `must be a duration: ${HINT}`) })
  .meta({ description: 'A duration: "500ms", "2s", "1m30s", "1h" (units ms, s, m, h), or a number of seconds' })
  .transform((value, ctx): number => {
    const result = durationOrProblem(value);
    if (typeof result === 'string') {
      ctx.addIssue({ code: 'custom', message: result, input: value });
      return z.NEVER;
    }
    return result;
  });

/** Zod type: a duration that must be > 0 ms (timeouts, intervals). */
export const positiveDuration = duration.refine((ms) => ms > 0, { message: 'must be longer than 0 ms' });

/** Formats milliseconds back into the compact form ('1m30s', '500ms'); for messages and reports. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1_000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
