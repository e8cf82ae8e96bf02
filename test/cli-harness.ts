// Shared by the CLI and SDK tests: the built `eris` binary as a subprocess, and a sample cluster (coordinator +
// host-mode agent in this process, three sample members as child processes) to run drills against.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAgentConfig } from '../daemon/config.js';
import { startAgent, type Agent } from '../daemon/agent.js';
import { loadCoordinatorConfig } from '../coordinator/config.js';
import { startCoordinator, type Coordinator } from '../coordinator/server.js';
import { silentLogger } from '../lib/logger.js';
import { freePort } from './harness/ports.js';
import { procState, waitFor } from './harness/processes.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'eris.js');
const MEMBER = join(ROOT, 'cli', 'demo', 'sample-member.ts');

/** The tests run the compiled CLI (npm test builds first); a missing or stale build is said plainly. */
export function assertBuilt(): void {
  const main = join(ROOT, 'dist', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error('dist/cli/main.js is missing: run `npm run build` first (npm test does)');
  const built = statSync(main).mtimeMs;
  const source = statSync(join(ROOT, 'cli', 'main.ts')).mtimeMs;
  if (source > built + 1000) throw new Error('dist/ is older than cli/main.ts: run `npm run build` first (npm test does)');
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
}

/** Environment without the user's eris settings, so a developer's contexts file or token never leaks into a test. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ERIS_CONFIG: join(tmpdir(), `eris-no-config-${process.pid}.yaml`), NO_COLOR: '1' };
  for (const key of Object.keys(env)) if (/^ERIS_(COORDINATOR|TOKEN|TOKEN_FILE|CONTEXT)$/.test(key)) delete env[key];
  delete env.FORCE_COLOR;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Starts `node bin/eris.js ARGS`; the caller owns the child. */
export function spawnCli(args: readonly string[], o: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: o.cwd ?? ROOT, env: cleanEnv(o.env), stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Collects a child's output and exit; kills it (SIGKILL, by its pid) after timeoutMs. */
export function collect(child: ChildProcess, timeoutMs = 60_000): Promise<CliResult> & { output: () => { stdout: string; stderr: string } } {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return Object.assign(done, { output: () => ({ stdout, stderr }) });
}

export async function runCli(args: readonly string[], o: CliOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, o);
  const result = collect(child, o.timeoutMs);
  child.stdin!.end(o.input ?? '');
  return result;
}

export interface SampleCluster {
  coordinator: Coordinator;
  agent: Agent;
  url: string;
  token: string;
  /** Unique per cluster: every member's command line has `--tag TAG`. */
  tag: string;
  dir: string;
  /** name → port and current child. */
  members: Map<string, { port: number; child: ChildProcess }>;
  /** PIDs of the current member processes. */
  pids(): number[];
  /** Waits until every member answers /health. */
  healthy(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A coordinator, a host-mode agent (cluster `lab`, node `node-1`, zone `z1`) and three members restarted when they die. */
export async function startSampleCluster(name: string, size = 3): Promise<SampleCluster> {
  const token = `${name}-token`;
  const tag = `eris-${name}-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), `eris-${name}-`));
  const coordinator = await startCoordinator(loadCoordinatorConfig({ listen: '127.0.0.1:0', token, dataDir: join(dir, 'coord'), probeAllow: 'loopback' }, {}), { logger: silentLogger() });
  const agent = await startAgent(
    loadAgentConfig({ listen: '127.0.0.1:0', token, stateDir: join(dir, 'agent'), noCri: true, hostProcesses: true, coordinator: coordinator.linkUrl, cluster: 'lab', nodeName: 'node-1', zone: 'z1' }, {}),
    { logger: silentLogger() },
  );
  const members = new Map<string, { port: number; child: ChildProcess }>();
  let supervising = true;
  // Plays systemd: restarts a member that died.
  const startMember = (member: string, port: number, peers: number[]) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MEMBER, '--name', member, '--port', String(port), '--peers', peers.join(','), '--tag', tag], { stdio: 'ignore', cwd: ROOT });
    members.set(member, { port, child });
    child.once('exit', () => {
      if (supervising && members.get(member)?.child === child) setTimeout(() => supervising && startMember(member, port, peers), 300);
    });
  };
  const ports: number[] = [];
  for (let i = 0; i < size; i++) ports.push(await freePort());
  ports.forEach((port, i) => startMember(`m${i}`, port, ports.filter((p) => p !== port)));
  const healthy = (timeoutMs = 20_000) =>
    waitFor(async () => {
      const checks = await Promise.all(ports.map((p) => fetch(`http://127.0.0.1:${p}/health`, { signal: AbortSignal.timeout(500) }).then((r) => r.ok, () => false)));
      return checks.every(Boolean);
    }, timeoutMs, 'sample members healthy');
  try {
    await waitFor(() => coordinator.fleet.agents().length === 1, 10_000, 'the agent to register');
    await healthy();
  } catch (error) {
    supervising = false;
    for (const { child } of members.values()) child.kill('SIGKILL');
    await agent.close();
    await coordinator.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    coordinator,
    agent,
    url: coordinator.url,
    token,
    tag,
    dir,
    members,
    pids: () => [...members.values()].map((m) => m.child.pid!).filter((p) => p !== undefined),
    healthy,
    async close() {
      supervising = false;
      for (const { child } of members.values()) {
        // A member a failed test left stopped must still die.
        child.kill('SIGCONT');
        child.kill('SIGKILL');
      }
      await agent.close();
      await coordinator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Member PIDs in state T (stopped). */
export function stoppedMembers(cluster: SampleCluster): number[] {
  return cluster.pids().filter((pid) => procState(pid) === 'T');
}

/**
 * A drill on the sample members as YAML: target `member` (one process whose command line matches `cmdline`), with
 * `all` also target `all` (every one), the `health` probe on their /health, then `steps` (the lines under `steps:`).
 */
export function memberDrillYaml(o: { name: string; cmdline: string; all?: boolean; steps: string }): string {
  return `apiVersion: eris.dev/v1alpha1
kind: Drill
metadata:
  name: ${o.name}
spec:
  targets:
    member:
      processes:
        cmdline: ${o.cmdline}
      count: 1
${o.all ? `    all:\n      processes:\n        cmdline: ${o.cmdline}\n` : ''}  probes:
    health:
      url: http://127.0.0.1:{{target.labels.port}}/health
      jq: .health == "true"
      timeout: 500ms
      interval: 100ms
  steps:
${o.steps}`;
}

/** The node-failure drill for the sample cluster, as YAML. */
export function sampleDrillYaml(cluster: SampleCluster, o: { name?: string; detectTimeout?: string; extraSteps?: string } = {}): string {
  const steps = `    - name: every member is healthy
      probe: health
      target: all
    - name: freeze one member
      signal: SIGSTOP
      target: member
      lease: 60s
    - name: its probe fails
      wait: health
      target: member
      until: fail
      timeout: ${o.detectTimeout ?? '10s'}
    - name: kill it
      signal: SIGKILL
      target: member
    - name: it recovers
      wait: health
      target: member
      until: pass
      timeout: 60s
      consecutive: 2
${o.extraSteps ?? ''}`;
  return `# yaml-language-server: $schema=../schemas/drill.schema.json\n${memberDrillYaml({ name: o.name ?? 'sample-node-failure', cmdline: `--tag ${cluster.tag}`, all: true, steps })}`;
}
