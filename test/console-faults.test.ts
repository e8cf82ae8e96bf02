// The console's Faults view in headless Chromium against a real coordinator (a tokens file: an operator, a viewer)
// and a host-mode agent: a sample process frozen from the page (state T in /proc), listed with who placed it, then
// resumed from the page; axe-core on the view. Needs `npm run build` (the console is served from dist/web).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import type { Coordinator } from '../coordinator/server.js';
import { ARTIFACTS, assertAccessible, consoleSkip, logIn, startConsoleBed, type ConsoleBed } from './harness/console.js';
import { callJson } from './harness/agent-process.js';
import { procState, spawnTree, waitFor } from './harness/processes.js';

const TOKEN = 'console-faults-operator-0123456789';
const VIEWER = 'console-faults-viewer-0123456789';
const AGENT = 'console-faults-agent-0123456789';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('console: immediate faults and read-only tokens', { skip: consoleSkip }, () => {
  let coordinator: Coordinator;
  let context: BrowserContext;
  let offHost: string[] = [];
  let bed: ConsoleBed | undefined;

  before(async () => {
    bed = await startConsoleBed({
      name: 'console-faults',
      token: TOKEN,
      tokens: ['tokens:', `  - { id: ops, role: operator, sha256: ${sha(TOKEN)} }`, `  - { id: watcher, role: viewer, sha256: ${sha(VIEWER)} }`, `  - { id: agents, role: agent, sha256: ${sha(AGENT)}, cluster: lab }`],
      agentToken: 'console-faults-local-0123456789',
      agentCoordinatorToken: AGENT,
    });
    ({ coordinator, context, offHost } = bed);
  });

  after(async () => {
    await bed?.stop();
  });

  it('Faults: freeze a sample process from the page, see who placed it, resume it (confirmed)', async () => {
    const tag = `eris-console-faults-${process.pid}`;
    const workload = await spawnTree(1, tag);
    try {
      const page = await context.newPage();
      page.on('dialog', (d) => void d.accept());
      await logIn(page, coordinator.url, TOKEN);
      await page.getByRole('link', { name: 'Faults' }).click();
      const form = page.getByRole('form', { name: 'Freeze now' });
      await form.waitFor({ timeout: 10000 });
      await form.getByLabel('Host process cmdline regex').fill(`${tag}$`);
      await form.getByLabel('Lease').fill('60s');
      await form.getByRole('button', { name: 'Freeze now' }).click();
      await waitFor(() => procState(workload.pid) === 'T', 10000, 'the sample process to be frozen');
      // The process may stop before the coordinator has the agent's answer and lists the fault.
      let faults: { id: string }[] = [];
      await waitFor(async () => (faults = (await callJson(coordinator.url, TOKEN, 'GET', '/v1/faults')).body.faults).length === 1, 10000, 'the fault to be listed');
      const row = page.locator(`tr[data-fault="${faults[0]!.id}"]`);
      await row.waitFor({ timeout: 10000 });
      const cells = await row.locator('th, td').allInnerTexts();
      assert.equal(cells[1], 'ops', 'who placed it: the token id');
      assert.equal(cells[2], 'SIGSTOP');
      assert.match(cells[4]!, /^(\d+m )?\d+s$/, 'lease left');
      await assertAccessible(page, 'Faults');
      await page.screenshot({ path: join(ARTIFACTS, 'faults.png') });
      await row.getByRole('button', { name: /^Resume fault/ }).click();
      await waitFor(() => procState(workload.pid) !== 'T', 10000, 'the sample process to run again');
      await page.getByRole('status').filter({ hasText: 'resumed' }).waitFor({ timeout: 10000 });
      await row.waitFor({ state: 'detached', timeout: 10000 });
      await page.close();
    } finally {
      workload.kill();
    }
  });

  it('a viewer token: a "read-only token" note and no action enabled on any view', async () => {
    const tag = `eris-console-viewer-${process.pid}`;
    const workload = await spawnTree(1, tag);
    try {
      const fault = await callJson(coordinator.url, TOKEN, 'POST', '/v1/faults', { target: { processes: { cmdline: `${tag}$` } }, signal: 'SIGSTOP', lease: '60s' });
      assert.equal(fault.status, 201, JSON.stringify(fault.body));
      const spec = { apiVersion: 'eris.dev/v1alpha1', kind: 'Drill', metadata: { name: 'console-viewer' }, spec: { targets: { m: { processes: { cmdline: 'no-such-process-console-viewer' } } }, steps: [{ sleep: '60s' }] } };
      const run = await callJson(coordinator.url, TOKEN, 'POST', '/v1/runs', { spec });
      assert.equal(run.status, 201, JSON.stringify(run.body));
      const page = await context.newPage();
      await logIn(page, coordinator.url, VIEWER);
      await page.getByRole('note').filter({ hasText: 'read-only token' }).waitFor({ timeout: 10000 });
      const resumeAll = page.getByRole('button', { name: 'Resume everything' });
      await resumeAll.waitFor({ timeout: 10000 });
      assert.equal(await resumeAll.isDisabled(), true, 'Resume everything');
      await page.getByRole('link', { name: 'Faults' }).click();
      const row = page.locator(`tr[data-fault="${(fault.body as { id: string }).id}"]`);
      await row.waitFor({ timeout: 10000 });
      assert.equal(await row.getByRole('button', { name: /^Resume fault/ }).isDisabled(), true, 'Resume fault');
      assert.equal(await page.getByRole('button', { name: 'Freeze now' }).isDisabled(), true, 'Freeze now');
      await assertAccessible(page, 'Faults, read-only');
      await page.screenshot({ path: join(ARTIFACTS, 'faults-read-only.png') });
      await page.getByRole('link', { name: 'Drills' }).click();
      const save = page.getByRole('button', { name: 'Save', exact: true });
      await save.waitFor({ timeout: 10000 });
      // Once the editor is ready (Dry run, which a viewer may do, enabled), Save and Run stay disabled.
      await waitFor(async () => !(await page.getByRole('button', { name: 'Dry run' }).isDisabled()), 15000, 'the editor to be ready');
      assert.equal(await save.isDisabled(), true, 'Save');
      assert.equal(await page.getByRole('button', { name: 'Run', exact: true }).isDisabled(), true, 'Run');
      await page.goto(`${coordinator.url}/#runs/${(run.body as { id: string }).id}`);
      const abort = page.getByRole('button', { name: 'Abort run' });
      await abort.waitFor({ timeout: 10000 });
      assert.equal(await abort.isDisabled(), true, 'Abort run');
      await page.close();
    } finally {
      await callJson(coordinator.url, TOKEN, 'POST', '/v1/resume-all');
      workload.kill();
    }
  });

  it('loads nothing from another host', () => {
    assert.deepEqual(offHost, []);
  });
});
