// The coordinator's tokens file (--tokens-file): YAML or JSON, one entry per token with its role and scope,
// validated once at start; every error names the entry and field (`tokens[2].sha256: …`).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../lib/errors.js';
import { formatPath } from '../../lib/validation.js';
import { ROLES, type Principal } from './roles.js';

/** Shortest secret read from a secretFile: a shorter one is refused as guessable. */
export const MIN_SECRET_LENGTH = 16;

const idSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ . -');
const nameList = z.array(z.string().min(1).max(253)).min(1, 'must list at least one (leave it out for all)').max(1000);

const entrySchema = z
  .strictObject({
    /** Shown in logs and audit records instead of the secret. */
    id: idSchema,
    role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
    /** A file holding the secret (its first line); relative paths are relative to the tokens file. */
    secretFile: z.string().min(1).optional(),
    /** The secret's SHA-256, hex: the file then holds no secret at all. */
    sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits (sha256sum of the secret)').optional(),
    /** operator/viewer: the clusters it may see and touch. */
    clusters: nameList.optional(),
    /** operator/viewer: the namespaces it may see and touch. */
    namespaces: nameList.optional(),
    /** agent: the cluster it registers as (required). */
    cluster: z.string().min(1).max(253).optional(),
    /** agent: the node it registers as; absent = any node of its cluster. */
    node: z.string().min(1).max(253).optional(),
  })
  .superRefine((e, ctx) => {
    if ((e.secretFile === undefined) === (e.sha256 === undefined)) ctx.addIssue({ code: 'custom', path: ['secretFile'], message: 'give exactly one of secretFile or sha256' });
    if (e.role === 'agent') {
      if (e.cluster === undefined) ctx.addIssue({ code: 'custom', path: ['cluster'], message: 'an agent token is bound to a cluster: name it' });
      for (const key of ['clusters', 'namespaces'] as const) if (e[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'is for operator and viewer tokens; an agent token has cluster (and node)' });
    } else {
      for (const key of ['cluster', 'node'] as const) if (e[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `is for agent tokens; a ${e.role} token is scoped with clusters and namespaces` });
    }
  });

const fileSchema = z.strictObject({ tokens: z.array(entrySchema).min(1, 'must hold at least one token') });

export type TokensFileEntry = z.output<typeof entrySchema>;

/** Reads, validates and turns a tokens file into principals. */
export function loadTokensFile(path: string): Principal[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`tokensFile: cannot read ${path}: ${(cause as Error).message}`, { path: 'tokensFile', cause });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (cause) {
    throw new ConfigError(`tokensFile: ${path} is not YAML or JSON: ${(cause as Error).message}`, { path: 'tokensFile', cause });
  }
  return principalsFrom(raw, dirname(resolve(path)), path);
}

export function principalsFrom(raw: unknown, baseDir: string, source = 'tokensFile'): Principal[] {
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = formatPath(issue.path).replace(/\.\[/g, '[') || '(root)';
    throw new ConfigError(`tokensFile: ${field}: ${issue.message} (in ${source})`, { path: `tokensFile.${field}`, cause: parsed.error });
  }
  const seenIds = new Set<string>();
  const seenHashes = new Map<string, string>();
  return parsed.data.tokens.map((e, i) => {
    const at = `tokensFile: tokens[${i}]`;
    if (seenIds.has(e.id)) throw new ConfigError(`${at}.id: ${e.id} is used twice`, { path: `tokensFile.tokens[${i}].id` });
    seenIds.add(e.id);
    const secretHash = e.sha256 !== undefined ? Buffer.from(e.sha256, 'hex') : hashOfSecretFile(resolve(baseDir, e.secretFile!), `${at}.secretFile`);
    const twin = seenHashes.get(secretHash.toString('hex'));
    // One secret under two entries would make who-did-what ambiguous.
    if (twin !== undefined) throw new ConfigError(`${at}: same secret as token ${twin}`, { path: `tokensFile.tokens[${i}]` });
    seenHashes.set(secretHash.toString('hex'), e.id);
    return {
      id: e.id,
      secretHash,
      roles: [e.role],
      ...(e.clusters ? { clusters: e.clusters } : {}),
      ...(e.namespaces ? { namespaces: e.namespaces } : {}),
      ...(e.cluster !== undefined ? { agentCluster: e.cluster } : {}),
      ...(e.node !== undefined ? { agentNode: e.node } : {}),
    } satisfies Principal;
  });
}

function hashOfSecretFile(path: string, field: string): Buffer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`${field}: cannot read ${path}: ${(cause as Error).message}`, { path: field.replace(/^tokensFile: /, 'tokensFile.'), cause });
  }
  const secret = text.split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  if (secret === undefined) throw new ConfigError(`${field}: ${path} holds no secret`, { path: field.replace(/^tokensFile: /, 'tokensFile.') });
  if (secret.length < MIN_SECRET_LENGTH) throw new ConfigError(`${field}: the secret in ${path} is shorter than ${MIN_SECRET_LENGTH} characters (guessable)`, { path: field.replace(/^tokensFile: /, 'tokensFile.') });
  return createHash('sha256').update(secret).digest();
}
