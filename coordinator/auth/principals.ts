// The principals a coordinator accepts: the tokens file's (with roles), plus legacy tokens (--token, --token-file
// lines, or the generated one) that keep working as operator + agent of every cluster, with a warning.
import { serverTokens } from '../../lib/auth.js';
import { ConfigError } from '../../lib/errors.js';
import type { Principal } from './roles.js';
import { loadTokensFile } from './tokens-file.js';

export interface PrincipalOptions {
  tokensFile?: string | undefined;
  tokenFile?: string | undefined;
  token?: string | undefined;
  dataDir: string;
  host: string;
}

export function coordinatorPrincipals(
  o: PrincipalOptions,
  warn: (details: Record<string, unknown>, message: string) => void,
): { principals: Principal[]; host: string; generatedTokenPath: string | null } {
  const withRoles = o.tokensFile !== undefined ? loadTokensFile(o.tokensFile) : [];
  const legacyGiven = o.tokenFile !== undefined || o.token !== undefined;
  if (withRoles.length > 0 && !legacyGiven) return { principals: withRoles, host: o.host, generatedTokenPath: null };
  const legacy = serverTokens(
    { tokenFile: o.tokenFile, token: o.token, dir: o.dataDir, generatedName: 'coordinator.token', host: o.host },
    warn,
  );
  if (legacyGiven) {
    warn(
      { tokens: legacy.tokens.map((t) => t.id) },
      'tokens from --token/--token-file have no role: each may operate every cluster and register as any agent; use --tokens-file with roles',
    );
  }
  const ids = new Set(withRoles.map((p) => p.id));
  const hashes = new Set(withRoles.map((p) => p.secretHash.toString('hex')));
  for (const t of legacy.tokens) {
    if (ids.has(t.id)) throw new ConfigError(`token: id ${t.id} is also in the tokens file`, { path: 'token' });
    if (hashes.has(t.secretHash.toString('hex'))) throw new ConfigError(`token: ${t.id} is also a token of the tokens file (it would have two roles)`, { path: 'token' });
  }
  const legacyPrincipals = legacy.tokens.map((t): Principal => ({ ...t, roles: ['operator', 'agent'] }));
  return { principals: [...withRoles, ...legacyPrincipals], host: legacy.host, generatedTokenPath: legacy.generatedTokenPath };
}
