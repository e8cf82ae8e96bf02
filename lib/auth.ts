// Bearer-token authentication shared by the agent and the coordinator: token sets, ids for logs, Hono middleware.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MiddlewareHandler } from 'hono';
import { ConfigError, UnauthorizedError } from './errors.js';

export interface TokenEntry {
  /** Shown in logs and audit records instead of the secret. */
  id: string;
  secretHash: Buffer;
  /** The secret's length, when it was read as text (a token given by its hash has none): weak ones are refused or warned about. */
  length?: number;
}

/** Shorter tokens are refused: a few characters are guessed in seconds. */
export const MIN_TOKEN_LENGTH = 8;
/** Shorter tokens are accepted with a warning (a generated one has 32 characters). */
export const GOOD_TOKEN_LENGTH = 16;

function hash(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

function entry(line: string): TokenEntry {
  // "name:secret" names a token; a bare secret is named by its hash prefix.
  const m = /^([A-Za-z0-9_.-]{1,64}):(.+)$/.exec(line);
  const secret = m ? m[2]! : line;
  const id = m ? m[1]! : `sha256:${hash(secret).toString('hex').slice(0, 8)}`;
  return { id, secretHash: hash(secret), length: secret.length };
}

export function parseTokens(text: string): TokenEntry[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map(entry);
}

export function loadTokens(options: { tokenFile?: string; token?: string }): TokenEntry[] {
  const tokens: TokenEntry[] = [];
  if (options.tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.tokenFile, 'utf8');
    } catch (cause) {
      throw new ConfigError(`tokenFile: cannot read ${options.tokenFile}: ${(cause as Error).message}`, { path: 'tokenFile', cause });
    }
    const fromFile = parseTokens(text);
    if (fromFile.length === 0) throw new ConfigError(`tokenFile: ${options.tokenFile} holds no token`, { path: 'tokenFile' });
    tokens.push(...fromFile);
  }
  if (options.token !== undefined) tokens.push(...parseTokens(options.token.split(',').join('\n')));
  return tokens;
}

/** Reads the token the first line of a token file holds (for clients: CLI, agent link). */
export function firstSecret(tokenFile: string): string {
  const line = readFileSync(tokenFile, 'utf8').split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  if (line === undefined) throw new ConfigError(`tokenFile: ${tokenFile} holds no token`, { path: 'tokenFile' });
  const m = /^([A-Za-z0-9_.-]{1,64}):(.+)$/.exec(line);
  return m ? m[2]! : line;
}

/** A random token stored (0600) in `dir/name`, reused across restarts: so a server is never open. */
export function generatedToken(dir: string, name: string): { secret: string; path: string; generated: boolean } {
  const path = join(dir, name);
  if (existsSync(path)) return { secret: readFileSync(path, 'utf8').trim(), path, generated: false };
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(24).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return { secret, path, generated: true };
}

export function authenticate<T extends TokenEntry>(tokens: readonly T[], header: string | undefined): T | null {
  const m = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header);
  if (!m) return null;
  const candidate = hash(m[1]!.trim());
  return tokens.find((t) => timingSafeEqual(t.secretHash, candidate)) ?? null;
}

export type AuthVariables = { tokenId: string };

/** Hono middleware: requires a valid bearer token, except on the paths in `open`. */
export function bearerAuth(tokens: readonly TokenEntry[], open: readonly string[] = []): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async function bearerAuthMiddleware(c, next) {
    if (open.includes(c.req.path)) return next();
    const token = authenticate(tokens, c.req.header('authorization'));
    if (token === null) throw new UnauthorizedError('a valid bearer token is required (Authorization: Bearer …)');
    c.set('tokenId', token.id);
    return next();
  };
}

/**
 * The tokens a server accepts, and where it may listen. With none configured, a token is generated into `dir` and the
 * server is held to loopback: an eris API is never open.
 */
export function serverTokens(
  options: { tokenFile?: string | undefined; token?: string | undefined; dir: string; generatedName: string; host: string },
  warn: (details: Record<string, unknown>, message: string) => void,
): { tokens: TokenEntry[]; host: string; generatedTokenPath: string | null } {
  const tokens = loadTokens({ ...(options.tokenFile ? { tokenFile: options.tokenFile } : {}), ...(options.token ? { token: options.token } : {}) });
  checkTokenStrength(tokens, options.tokenFile !== undefined ? 'tokenFile' : 'token', warn);
  if (tokens.length > 0) return { tokens, host: options.host, generatedTokenPath: null };
  const generated = generatedToken(options.dir, options.generatedName);
  let host = options.host;
  if (!isLoopbackHost(host)) {
    warn({ requested: host }, 'no token configured: binding to 127.0.0.1 only');
    host = '127.0.0.1';
  }
  // Said as it is: a token generated now, or the one an earlier start generated and this one reuses.
  warn({ tokenFile: generated.path }, generated.generated ? 'no token configured: generated one; only that token is accepted' : 'no token configured: using the one generated earlier; only that token is accepted');
  return { tokens: loadTokens({ token: `local:${generated.secret}` }), host, generatedTokenPath: generated.path };
}

/** Refuses tokens shorter than MIN_TOKEN_LENGTH (naming the token by id, never the secret); warns below GOOD_TOKEN_LENGTH. */
export function checkTokenStrength(tokens: readonly TokenEntry[], field: string, warn: (details: Record<string, unknown>, message: string) => void): void {
  for (const t of tokens) {
    if (t.length === undefined) continue;
    if (t.length < MIN_TOKEN_LENGTH) {
      throw new ConfigError(`${field}: token ${t.id} has ${t.length} characters; at least ${MIN_TOKEN_LENGTH} are required (${GOOD_TOKEN_LENGTH}+ advised: openssl rand -base64 24)`, { path: field });
    }
    if (t.length < GOOD_TOKEN_LENGTH) warn({ tokenId: t.id, length: t.length }, `token ${t.id} is short (${t.length} characters): use at least ${GOOD_TOKEN_LENGTH}`);
  }
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
