// Which coordinator the CLI talks to and with which token: flags, environment, and named contexts
// (~/.config/eris/contexts.yaml), turned into an ErisClient.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { Document, isMap, parseDocument } from 'yaml';
import { firstSecret } from '../lib/auth.js';
import { ErisClient } from '../sdk/client.js';
import { UsageError } from './exit.js';

export const DEFAULT_COORDINATOR = 'http://127.0.0.1:7700';

/** One named coordinator in the contexts file. */
export interface ContextEntry {
  coordinator?: string;
  token?: string;
  tokenFile?: string;
}

export interface ContextsFile {
  current?: string;
  contexts: Record<string, ContextEntry>;
}

interface GlobalOptions {
  coordinator?: string;
  token?: string;
  tokenFile?: string;
  context?: string;
}

/**
 * The connection options, on the program (`eris --coordinator URL runs ls`) and on every command that talks to a
 * coordinator (`eris runs ls --coordinator URL`). The program's options are positional (only before the
 * subcommand) because `eris agent` and `eris coordinator` have a --token of their own.
 */
export function addConnectionOptions(command: Command): Command {
  return command
    .addOption(new Option('--coordinator <url>', `coordinator URL (default ${DEFAULT_COORDINATOR})`).env('ERIS_COORDINATOR'))
    .addOption(new Option('--token <token>', 'bearer token (prefer --token-file)').env('ERIS_TOKEN'))
    .addOption(new Option('--token-file <file>', 'file holding the bearer token (first line; "name:token" works)').env('ERIS_TOKEN_FILE'))
    .addOption(new Option('--context <name>', 'a named coordinator from the contexts file (eris context ls)').env('ERIS_CONTEXT'));
}

/** $ERIS_CONFIG, else $XDG_CONFIG_HOME/eris/contexts.yaml, else ~/.config/eris/contexts.yaml. */
export function contextsPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ERIS_CONFIG) return resolve(env.ERIS_CONFIG);
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'eris', 'contexts.yaml');
}

function loadContextsDocument(path: string): Document {
  if (!existsSync(path)) return new Document({ contexts: {} });
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new UsageError(`cannot read the contexts file ${path}: ${(cause as Error).message}`, { cause });
  }
  const doc = text.trim() === '' ? new Document({ contexts: {} }) : parseDocument(text);
  if (doc.errors.length > 0) throw new UsageError(`${path}: ${doc.errors[0]!.message.split('\n')[0]}`);
  return doc;
}

export function readContexts(path = contextsPath()): ContextsFile {
  const data = loadContextsDocument(path).toJS() as Partial<ContextsFile> | null;
  const contexts = data?.contexts;
  if (contexts !== undefined && contexts !== null && (typeof contexts !== 'object' || Array.isArray(contexts))) {
    throw new UsageError(`${path}: contexts: must be a map of name → {coordinator, token | tokenFile}`);
  }
  for (const [name, entry] of Object.entries(contexts ?? {})) {
    if (entry === null || typeof entry !== 'object') throw new UsageError(`${path}: contexts.${name}: must be a map {coordinator, token | tokenFile}`);
    for (const key of Object.keys(entry)) {
      if (!['coordinator', 'token', 'tokenFile'].includes(key)) throw new UsageError(`${path}: contexts.${name}.${key}: unknown key (coordinator, token, tokenFile)`);
    }
  }
  return { ...(typeof data?.current === 'string' ? { current: data.current } : {}), contexts: (contexts ?? {}) as Record<string, ContextEntry> };
}

/** Edits the file in place (comments and order kept). */
export function updateContexts(edit: (doc: Document) => void, path = contextsPath()): void {
  const doc = loadContextsDocument(path);
  edit(doc);
  // An empty map is written `{}`, which would keep every context added later on one line.
  const contexts = doc.get('contexts', true);
  if (isMap(contexts)) contexts.flow = false;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const text = doc.toString();
  writeFileSync(path, text.endsWith('\n') ? text : `${text}\n`, { mode: 0o600 });
}

export interface Connection {
  coordinator: string;
  token: string | undefined;
  /** Where the coordinator came from: flag, env, context NAME, default. */
  source: string;
}

/** The command and its ancestors, innermost first. */
function chainOf(command: Command): Command[] {
  const chain: Command[] = [];
  for (let c: Command | null = command; c; c = c.parent) chain.push(c);
  return chain;
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

function normaliseUrl(url: string, where: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
  try {
    const parsed = new URL(withScheme);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
    return parsed.href.replace(/\/+$/, '');
  } catch {
    throw new UsageError(`${where}: not an http(s) URL: ${JSON.stringify(url)}`);
  }
}

/**
 * Precedence, first wins: flags; the context named by --context / ERIS_CONTEXT; ERIS_COORDINATOR, ERIS_TOKEN,
 * ERIS_TOKEN_FILE; the current context of the contexts file; the default (no token).
 */
export function resolveConnection(command: Command, env: NodeJS.ProcessEnv = process.env): Connection {
  const chain = chainOf(command);
  // The innermost command that has the option set from `source` (flags after the subcommand win over flags before it).
  const valueFrom = (key: keyof GlobalOptions, source: string): string | undefined => {
    for (const c of chain) if (c.getOptionValueSource(key) === source) return c.opts<GlobalOptions>()[key];
    return undefined;
  };
  type Layer = { name: string; coordinator?: string | undefined; token?: string | undefined; tokenFile?: string | undefined };
  const layers: Layer[] = [];
  const pick = (source: string) => ({ coordinator: valueFrom('coordinator', source), token: valueFrom('token', source), tokenFile: valueFrom('tokenFile', source) });
  const contextName = valueFrom('context', 'cli') ?? valueFrom('context', 'env');
  const cli = pick('cli');
  if (cli.token !== undefined && cli.tokenFile !== undefined) throw new UsageError('give one of --token and --token-file');
  layers.push({ name: 'flag', ...cli });

  const needFile = contextName !== undefined;
  const file = needFile || existsSync(contextsPath(env)) ? readContexts(contextsPath(env)) : { contexts: {} };
  const contextLayer = (name: string): Layer => {
    const entry = file.contexts[name];
    if (!entry) {
      const known = Object.keys(file.contexts);
      throw new UsageError(`no context ${JSON.stringify(name)} in ${contextsPath(env)}${known.length ? ` (contexts: ${known.join(', ')})` : ' (eris context add NAME --coordinator URL)'}`);
    }
    return { name: `context ${name}`, coordinator: entry.coordinator, token: entry.token, tokenFile: entry.tokenFile };
  };
  if (contextName !== undefined) layers.push(contextLayer(contextName));
  layers.push({ name: 'env', ...pick('env') });
  if (contextName === undefined && file.current !== undefined && file.contexts[file.current]) layers.push(contextLayer(file.current));

  const coordinatorLayer = layers.find((l) => l.coordinator !== undefined && l.coordinator !== '');
  const coordinator = coordinatorLayer ? normaliseUrl(coordinatorLayer.coordinator!, coordinatorLayer.name === 'flag' ? '--coordinator' : coordinatorLayer.name) : DEFAULT_COORDINATOR;
  const tokenLayer = layers.find((l) => (l.token !== undefined && l.token !== '') || (l.tokenFile !== undefined && l.tokenFile !== ''));
  let token: string | undefined;
  if (tokenLayer?.token) token = tokenLayer.token.trim();
  else if (tokenLayer?.tokenFile) {
    const path = expandHome(tokenLayer.tokenFile);
    try {
      token = firstSecret(path);
    } catch (cause) {
      throw new UsageError(`token file ${path} (${tokenLayer.name}): ${(cause as Error).message}`, { cause });
    }
  }
  return { coordinator, token, source: coordinatorLayer?.name ?? 'default' };
}

export function clientFor(command: Command): ErisClient {
  const c = resolveConnection(command);
  return new ErisClient({ baseUrl: c.coordinator, ...(c.token !== undefined ? { token: c.token } : {}) });
}
