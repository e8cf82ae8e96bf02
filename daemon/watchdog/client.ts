// The agent's side of the lease watchdog: starts it detached, tells it each hold and release, stands down an earlier one.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../lib/logger.js';
import type { ProcFs } from '../proc/procfs.js';
import type { FreezerCgroup } from '../proc/freezer.js';
import type { Signaller } from '../proc/signal.js';
import type { HeldProcess, WatchdogMessage } from './protocol.js';

/** What the fault manager tells whoever keeps leases outside the agent's process. */
export interface LeaseWatchdog {
  /** Before the signal: resume these at the lease's end + grace unless released first. */
  hold(faultId: string, leaseExpiresAt: number, processes: readonly HeldProcess[], freezer?: readonly FreezerCgroup[]): void;
  /** The fault ended. */
  release(faultId: string): void;
  /** The agent shuts down having resumed everything. */
  close(): void;
}

export interface WatchdogOptions {
  stateDir: string;
  graceMs: number;
  cgroupRoot: string;
  procfs: ProcFs;
  logger: Logger;
  /** Called after the watchdog died and a new one was started: tell it again what is held. */
  onRestart?: () => void;
}

const PID_FILE = 'watchdog.pid';
/** A small young generation: the watchdog's garbage is a few JSON lines per fault, and it lives as long as the agent. */
const WATCHDOG_NODE_FLAGS = ['--max-semi-space-size=1'];
const LOG_FILE = 'watchdog.log';
const RESPAWN_MIN_MS = 1000;

function entryPoint(): { file: string; execArgv: string[] } {
  // Compiled: main.js beside this file. From sources (tests, tsx): main.ts, with the loader that runs us.
  const ts = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(ts ? './main.ts' : './main.js', import.meta.url));
  const execArgv: string[] = [];
  if (ts) {
    for (let i = 0; i < process.execArgv.length; i++) {
      const a = process.execArgv[i]!;
      if ((a === '--import' || a === '--loader' || a === '--require') && i + 1 < process.execArgv.length) execArgv.push(a, process.execArgv[++i]!);
      else if (/^--(import|loader|require)=/.test(a)) execArgv.push(a);
    }
  }
  return { file, execArgv };
}

export class WatchdogProcess implements LeaseWatchdog {
  private child: ChildProcess | null = null;
  private closed = false;
  private spawnedAt = 0;

  constructor(private readonly o: WatchdogOptions) {
    this.spawn();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  hold(faultId: string, leaseExpiresAt: number, processes: readonly HeldProcess[], freezer: readonly FreezerCgroup[] = []): void {
    this.send({
      op: 'hold',
      faultId,
      deadline: leaseExpiresAt + this.o.graceMs,
      processes: processes.map((p) => ({ pid: p.pid, startTime: p.startTime })),
      ...(freezer.length > 0 ? { freezer: [...freezer] } : {}),
    });
  }

  release(faultId: string): void {
    this.send({ op: 'release', faultId });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.send({ op: 'bye' });
    this.child?.stdin?.end();
  }

  private send(message: WatchdogMessage): void {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed) return;
    // A pipe write goes straight to the kernel when the pipe has room (libuv tries it at once), so what the agent
    // wrote before it dies is read by the watchdog even after the pipe's other end is gone.
    stdin.write(`${JSON.stringify(message)}\n`);
  }

  private spawn(): void {
    const { file, execArgv } = entryPoint();
    this.spawnedAt = Date.now();
    const logFd = openSync(join(this.o.stateDir, LOG_FILE), 'a', 0o600);
    try {
      // detached: its own session and process group, so nothing aimed at the agent's group (a terminal's ^C, a
      // supervisor killing the group) takes it along; the agent's death closes its stdin and nothing else.
      this.child = spawn(process.execPath, [...WATCHDOG_NODE_FLAGS, ...execArgv, file, this.o.cgroupRoot], { detached: true, stdio: ['pipe', 'ignore', logFd] });
    } finally {
      closeSync(logFd);
    }
    const child = this.child;
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    child.stdin!.on('error', (err) => this.o.logger.warn({ err }, 'watchdog pipe error'));
    child.once('exit', (code, signal) => {
      if (this.closed || this.child !== child) return;
      this.o.logger.error({ code, signal }, 'the lease watchdog exited: starting a new one and telling it what is held');
      // One that dies at once (a broken install) is started again at most once a second, not in a tight loop.
      const again = () => {
        if (this.closed) return;
        this.spawn();
        this.o.onRestart?.();
      };
      const wait = this.spawnedAt + RESPAWN_MIN_MS - Date.now();
      if (wait <= 0) again();
      else setTimeout(again, wait).unref();
    });
    if (child.pid !== undefined) writeFileSync(join(this.o.stateDir, PID_FILE), JSON.stringify({ pid: child.pid, startTime: this.o.procfs.stat(child.pid)?.startTime }), { mode: 0o600 });
    this.o.logger.info({ pid: child.pid, graceMs: this.o.graceMs }, 'lease watchdog started');
  }
}


/**
 * After this agent resumed what the journal says an earlier run left stopped, the earlier run's watchdog has nothing
 * left to do, and left running it could resume at its deadline a process this run stops again: it is told to stand
 * down (SIGTERM), by its pid and start time, never a reused pid.
 */
export function standDownPrevious(stateDir: string, signaller: Signaller, logger: Logger): void {
  let recorded: { pid?: unknown; startTime?: unknown };
  try {
    recorded = JSON.parse(readFileSync(join(stateDir, PID_FILE), 'utf8')) as typeof recorded;
  } catch {
    return;
  }
  if (typeof recorded.pid !== 'number' || typeof recorded.startTime !== 'string') return;
  const outcome = signaller.send({ pid: recorded.pid, startTime: recorded.startTime, cgroup: null }, 'SIGTERM');
  if (outcome.ok) logger.info({ pid: recorded.pid }, 'told the previous run\'s lease watchdog to stand down');
}
