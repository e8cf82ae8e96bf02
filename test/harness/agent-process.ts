// Runs the real `eris` binary (agent or coordinator) as a child process, the way an operator does, optionally
// inside a network namespace, and talks to its API.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const ERIS_BIN = fileURLToPath(new URL('../../bin/eris.js', import.meta.url));

export interface ErisProcess {
  child: ChildProcess;
  url: string;
  logs: string[];
  /** A JSON call with the token; `timeoutMs` bounds it, so a test waits no longer than that on a hung server. */
  api(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<{ status: number; body: any }>;
  /** Sends the signal (SIGTERM by default) and waits for exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startErisProcess(
  args: string[],
  options: { token: string; env?: NodeJS.ProcessEnv; ready: string; netns?: string; timeoutMs?: number; prefix?: string[] },
): Promise<ErisProcess> {
  // `prefix`: a command that runs eris (e.g. `unshare --pid …` for a PID namespace of its own).
  const argv = [...(options.prefix ?? []), process.execPath, ERIS_BIN, ...args];
  const [command, ...rest] = options.netns ? ['nsenter', `--net=/run/netns/${options.netns}`, ...argv] : argv;
  const child = spawn(command!, rest, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  child.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start: ${logs.join('')}`)), options.timeoutMs ?? 20000);
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}: ${logs.join('')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      try {
        const record = JSON.parse(line) as { msg?: string; url?: string };
        if (record.msg === options.ready && record.url) {
          clearTimeout(timer);
          resolve(record.url);
        }
      } catch {
        // not JSON
      }
    });
  });
  return {
    child,
    url,
    logs,
    async api(method, path, body, timeoutMs) {
      // Inside a network namespace the server's address means something only there: ask from there (curl).
      if (options.netns) return curlIn(options.netns, options.token, method, `${url}${path}`, body, timeoutMs);
      return callJson(url, options.token, method, path, body, timeoutMs);
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A JSON call to an eris API with a bearer token; the body is parsed when it is a JSON object. */
export async function callJson(baseUrl: string, token: string, method: string, path: string, body?: unknown, timeoutMs?: number): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

export type AgentProcess = ErisProcess;

export function startAgentProcess(args: string[], token: string, env: NodeJS.ProcessEnv = {}, netns?: string): Promise<AgentProcess> {
  return startErisProcess(['agent', '--listen', '127.0.0.1:0', ...args], {
    token,
    env: { ERIS_AGENT_TOKEN: token, ...env },
    ready: 'eris-agent listening',
    ...(netns ? { netns } : {}),
  });
}

export function startCoordinatorProcess(args: string[], token: string, env: NodeJS.ProcessEnv = {}, netns?: string): Promise<ErisProcess> {
  return startErisProcess(['coordinator', ...args], {
    token,
    env: { ERIS_COORDINATOR_TOKEN: token, ...env },
    ready: 'eris-coordinator listening',
    ...(netns ? { netns } : {}),
  });
}

/** One JSON call made from inside a network namespace; the same answer shape as the fetch path. */
function curlIn(netns: string, token: string, method: string, url: string, body: unknown, timeoutMs = 15000): Promise<{ status: number; body: any }> {
  const args = [`--net=/run/netns/${netns}`, 'curl', '-s', '-m', String(Math.max(1, Math.ceil(timeoutMs / 1000))), '-X', method];
  args.push('-H', `authorization: Bearer ${token}`, '-H', 'content-type: application/json', '-w', '\n%{http_code}');
  // The body goes through stdin, never argv: a cmdline selector in it would match curl itself, and eris would stop it.
  if (body !== undefined) args.push('--data-binary', '@-');
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = execFile('nsenter', args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      const cut = stdout.lastIndexOf('\n');
      const status = Number(stdout.slice(cut + 1));
      if (error && !(status > 0)) return reject(new Error(`${method} ${url} in ${netns}: ${error.message}`));
      const text = stdout.slice(0, cut);
      resolve({ status, body: text.startsWith('{') ? JSON.parse(text) : text });
    });
    // curl may be gone before it reads (a refused connection): a broken pipe then is its exit status's business.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(body === undefined ? '' : JSON.stringify(body));
  });
}
