// Turns zod failures into ValidationError / ConfigError whose message names the field.
import { z } from 'zod';
import { ConfigError, ValidationError } from './errors.js';
import { clip } from './text.js';

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join('');
}

function firstIssue(error: z.ZodError, prefix?: string): { path: string; message: string } {
  const issue = error.issues[0];
  const inner = issue ? formatPath(issue.path) : '';
  const path = [prefix, inner].filter((p) => p !== undefined && p !== '').join('.').replace(/\.\[/g, '[');
  return { path: path === '' ? '(root)' : path, message: issue?.message ?? 'invalid' };
}

/** Parses `input` or throws a ValidationError like `targets.etcd.percent: Too big: expected number to be <=100`. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix?: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const { path, message } = firstIssue(result.error, prefix);
  // A body with 10,000 bad entries gets the first few named, not 10,000 messages back; custom messages may quote input.
  const issues = result.error.issues.slice(0, 10).map((i) => ({ path: clip(formatPath(i.path), 200), message: clip(i.message, 300) }));
  throw new ValidationError(`${path}: ${clip(message, 500)}`, {
    path,
    cause: result.error,
    details: { issues, ...(result.error.issues.length > issues.length ? { more: result.error.issues.length - issues.length } : {}) },
  });
}

/** Like parseOrThrow but for start-up configuration: a ConfigError that names the flag/env field. */
export function parseConfigOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const { path, message } = firstIssue(result.error);
  throw new ConfigError(`${path}: ${message}`, { path, cause: result.error });
}

/** `HOST:PORT` (an IPv6 host in brackets), as --listen flags take it. */
export const hostPortSchema = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'must be HOST:PORT')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port must be 0..65535');
