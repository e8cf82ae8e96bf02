// The console's browser test bed: a real coordinator, a host-mode agent registered with it, optionally one sample
// member process, and a persistent headless Chromium context (Debian's, driven by playwright-core) that records any
// request leaving the coordinator's origin. Plus the login and axe-core helpers the console tests share.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { loadAgentConfig } from '../../daemon/config.js';
import { startAgent, type Agent } from '../../daemon/agent.js';
import { loadCoordinatorConfig } from '../../coordinator/config.js';
import { startCoordinator, type Coordinator } from '../../coordinator/server.js';
import { consoleDir } from '../../coordinator/api/console-ui.js';
import { silentLogger } from '../../lib/logger.js';
import { callJson } from './agent-process.js';
import { freePort } from './ports.js';
import { waitFor } from './processes.js';
import { testbedSkipReason } from './requirements.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/console/', import.meta.url));
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const MEMBER = fileURLToPath(new URL('../../cli/demo/sample-member.ts', import.meta.url));
// Deterministic size for the screenshots the README shows (docs/images/ holds copies; the tests write artifacts only).
export const VIEWPORT = { width: 1200, height: 750 };
// No background traffic: this machine's network is closed, and the console must need nothing off-host.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Chromium comes from scripts/install-testbed.sh; with CI=true its absence, or an unbuilt console, fails instead.
const unbuilt = existsSync(join(consoleDir(), 'index.html')) ? undefined : 'the console is not built (npm run build)';
if (unbuilt !== undefined && process.env.CI === 'true') throw new Error(`CI=true and ${unbuilt}`);
/** The `skip` of every console describe(): a reason, or false. */
export const consoleSkip: string | false = testbedSkipReason({ tools: [CHROMIUM], root: false }) ?? unbuilt ?? false;

export interface ConsoleBedOptions {
  /** Names the temporary directory. */
  name: string;
  /** The bed's own token (an operator's) for waiting on the agent; also the coordinator's only token unless `tokens`. */
  token: string;
  /** Lines of a tokens.yaml the coordinator reads instead of `token`. */
  tokens?: string[];
  /** The agent's local API token and its token towards the coordinator (both default to `token`). */
  agentToken?: string;
  agentCoordinatorToken?: string;
  probeAllow?: string;
  viewport?: { width: number; height: number };
  /** Start one sample member (cli/demo/sample-member.ts) with this --tag, and wait for its /health. */
  memberTag?: string;
}

export interface ConsoleBed {
  dir: string;
  coordinator: Coordinator;
  agent: Agent;
  context: BrowserContext;
  /** Every URL the browser asked for outside the coordinator's origin. */
  offHost: string[];
  member?: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the bed; if a step fails, what was started is stopped before the error propagates. */
export async function startConsoleBed(o: ConsoleBedOptions): Promise<ConsoleBed> {
  const dir = mkdtempSync(join(tmpdir(), `eris-${o.name}-`));
  mkdirSync(ARTIFACTS, { recursive: true });
  const bed: Partial<ConsoleBed> & { dir: string; offHost: string[] } = { dir, offHost: [] };
  const stop = async () => {
    await bed.context?.close();
    bed.member?.kill('SIGKILL');
    await bed.agent?.close();
    await bed.coordinator?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    let auth: { token: string } | { tokensFile: string } = { token: o.token };
    if (o.tokens !== undefined) {
      writeFileSync(join(dir, 'tokens.yaml'), o.tokens.join('\n'));
      auth = { tokensFile: join(dir, 'tokens.yaml') };
    }
    const coordinator = (bed.coordinator = await startCoordinator(
      loadCoordinatorConfig({ listen: '127.0.0.1:0', ...auth, dataDir: join(dir, 'coord'), storePath: ':memory:', ...(o.probeAllow === undefined ? {} : { probeAllow: o.probeAllow }) }, {}),
      { logger: silentLogger() },
    ));
    bed.agent = await startAgent(
      loadAgentConfig(
        {
          listen: '127.0.0.1:0',
          token: o.agentToken ?? o.token,
          ...(o.agentCoordinatorToken === undefined ? {} : { coordinatorToken: o.agentCoordinatorToken }),
          stateDir: join(dir, 'agent'),
          noCri: true,
          hostProcesses: true,
          coordinator: coordinator.linkUrl,
          cluster: 'lab',
          nodeName: 'node-1',
          zone: 'z1',
        },
        {},
      ),
      { logger: silentLogger() },
    );
    let port: number | undefined;
    if (o.memberTag !== undefined) {
      port = await freePort();
      bed.member = spawn(process.execPath, ['--import', 'tsx', MEMBER, '--name', 'm0', '--port', String(port), '--tag', o.memberTag], { stdio: 'ignore' });
    }
    await waitFor(async () => (await callJson(coordinator.url, o.token, 'GET', '/v1/agents')).body.agents?.length === 1, 10000, 'the agent to register');
    if (port !== undefined) await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false), 20000, 'the sample member up');
    const context = (bed.context = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: o.viewport ?? VIEWPORT }));
    const origin = new URL(coordinator.url).origin;
    context.on('request', (r) => {
      if (new URL(r.url()).origin !== origin) bed.offHost.push(r.url());
    });
    return { ...(bed as ConsoleBed), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Opens the console and submits the login form with `token`. */
export async function logIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** axe-core in the page; a serious or critical violation fails, named by rule and element. */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  await page.addScriptTag({ path: AXE });
  type Violation = { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] };
  const violations = await page.evaluate(async () => ((await (globalThis as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe.run()).violations));
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}: ${v.help}) at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`), [], `${what}: accessibility violations`);
}
