// `eris coordinator` as a real process on a free loopback port (the built binary, through cli-harness's spawnCli),
// ready once /healthz answers; stop() sends SIGTERM to that one child and waits for it to exit.
import type { ChildProcess } from 'node:child_process';
import { spawnCli } from '../cli-harness.js';
import { freePort } from './ports.js';
import { waitFor } from './processes.js';

export interface CliCoordinator {
  child: ChildProcess;
  url: string;
  /** `--coordinator URL --token TOKEN`, for `eris run` and friends. */
  auth: string[];
  stop(): Promise<void>;
}

/** Starts `eris coordinator --listen … --token token --data-dir dataDir ...flags`; a start that never answers is stopped. */
export async function startCliCoordinator(token: string, dataDir: string, flags: string[], env?: Record<string, string>): Promise<CliCoordinator> {
  const port = await freePort();
  const child = spawnCli(['coordinator', '--listen', `127.0.0.1:${port}`, '--token', token, '--data-dir', dataDir, ...flags], env === undefined ? {} : { env });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok === true, 30_000, 'the coordinator');
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, url, auth: ['--coordinator', url, '--token', token], stop };
}
