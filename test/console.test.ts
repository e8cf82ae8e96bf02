// The web console in headless Chromium (Debian's, driven by playwright-core) against a real coordinator and a
// host-mode agent: the token login, the Fleet view showing the agent, and a wrong token sent back to the login
// screen; axe-core finds no serious or critical accessibility violation on each view, and the keyboard alone reaches
// the nav and the Targets form. Screenshots (1200×750) go to test-artifacts/console/ (README's copies are in
// docs/images/). Needs `npm run build` (the console is served from dist/web).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import type { Coordinator } from '../coordinator/server.js';
import { ARTIFACTS, assertAccessible, consoleSkip, logIn, startConsoleBed, type ConsoleBed } from './harness/console.js';
import { callJson } from './harness/agent-process.js';
import { procState, spawnTree, waitFor } from './harness/processes.js';

const TOKEN = 'console-token-0123456789';

describe('web console in Chromium', { skip: consoleSkip }, () => {
  let coordinator: Coordinator;
  let context: BrowserContext;
  let offHost: string[] = [];
  let bed: ConsoleBed | undefined;

  before(async () => {
    bed = await startConsoleBed({ name: 'console', token: TOKEN });
    ({ coordinator, context, offHost } = bed);
  });

  after(async () => {
    await bed?.stop();
  });

  it('the login screen passes axe', async () => {
    const page = await context.newPage();
    await page.goto(`${coordinator.url}/`);
    await page.getByLabel('API token').waitFor({ timeout: 10000 });
    await assertAccessible(page, 'login');
    await page.screenshot({ path: join(ARTIFACTS, 'login.png') });
    await page.close();
  });

  it('logs in with the token and shows the agent in the Fleet view, cluster → node', async () => {
    const page = await context.newPage();
    await logIn(page, coordinator.url, TOKEN);
    const row = page.locator('[data-cluster="lab"] tr[data-agent="lab/node-1"]');
    await row.waitFor({ timeout: 10000 });
    const cells = await row.locator('th, td').allInnerTexts();
    assert.equal(cells[0], 'node-1');
    assert.match(cells[1]!, /connected/);
    assert.equal(cells[2], 'z1');
    assert.match(cells[3]!, /\d+\.\d+\.\d+/, 'the agent version');
    assert.equal(cells[7], '0', 'no active fault');
    assert.match(await page.getByRole('heading', { level: 2 }).innerText(), /Fleet \(1 agent\)/);
    // The token is kept for the tab only.
    assert.equal(await page.evaluate(() => sessionStorage.getItem('eris.token')), TOKEN);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    await assertAccessible(page, 'Fleet');
    await page.screenshot({ path: join(ARTIFACTS, 'fleet.png') });
    await page.close();
  });

  it('Fleet: "Resume everything" asks in a dialog, then resumes a frozen sample process and aborts a running run', async () => {
    const tag = `eris-console-${process.pid}-resume`;
    const workload = await spawnTree(1, tag);
    const inRun = await spawnTree(1, `${tag}-run`);
    try {
      const frozen = await callJson(coordinator.url, TOKEN, 'POST', '/v1/faults', { target: { processes: { cmdline: `${tag}$` } }, signal: 'SIGSTOP', lease: '60s' });
      assert.equal(frozen.status, 201, JSON.stringify(frozen.body));
      const spec = { apiVersion: 'eris.dev/v1alpha1', kind: 'Drill', metadata: { name: 'console-resume-all' }, spec: { targets: { m: { processes: { cmdline: `${tag}-run` } } }, steps: [{ signal: 'SIGSTOP', target: 'm', lease: '60s' }, { sleep: '60s' }] } };
      const run = await callJson(coordinator.url, TOKEN, 'POST', '/v1/runs', { spec });
      assert.equal(run.status, 201, JSON.stringify(run.body));
      await waitFor(() => procState(workload.pid) === 'T' && procState(inRun.pid) === 'T', 10000, 'both sample processes to be stopped');
      const page = await context.newPage();
      await logIn(page, coordinator.url, TOKEN);
      await page.getByRole('button', { name: 'Resume everything' }).click();
      const dialog = page.getByRole('dialog', { name: 'Resume everything?' });
      await dialog.waitFor({ timeout: 10000 });
      assert.match(await dialog.innerText(), /1 active fault will be resumed and 1 running run aborted/);
      // Keyboard: Escape cancels and nothing is resumed.
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden', timeout: 5000 });
      assert.equal(procState(workload.pid), 'T', 'cancel resumes nothing');
      assert.equal(procState(inRun.pid), 'T', 'cancel aborts nothing');
      await page.getByRole('button', { name: 'Resume everything' }).click();
      await dialog.waitFor({ timeout: 10000 });
      await assertAccessible(page, 'Fleet with the resume dialog open');
      await page.screenshot({ path: join(ARTIFACTS, 'fleet-resume-all.png') });
      await dialog.getByRole('button', { name: 'Resume everything now' }).click();
      const status = page.getByRole('status');
      await status.waitFor({ timeout: 15000 });
      assert.match(await status.innerText(), /Resumed 1 fault, aborted 1 run\./);
      await waitFor(() => procState(workload.pid) !== 'T' && procState(inRun.pid) !== 'T', 10000, 'both sample processes to run again');
      const id = (run.body as { id: string }).id;
      await waitFor(async () => (await callJson(coordinator.url, TOKEN, 'GET', `/v1/runs/${id}`)).body.status === 'aborted', 10000, 'the run to end aborted');
      // One call (resume.all), and each item audited like any resume or abort, under the console's token.
      const audit = async (action: string) => ((await callJson(coordinator.url, TOKEN, 'GET', `/v1/audit?action=${action}`)).body.records as { target: string | null }[]).map((r) => r.target);
      assert.ok((await audit('fault.resume')).includes((frozen.body as { id: string }).id), 'fault.resume audited');
      assert.ok((await audit('run.abort')).includes(id), 'run.abort audited');
      assert.equal((await audit('resume.all')).length, 1, 'one resume.all: the console makes one call');
      await page.close();
    } finally {
      workload.kill();
      inRun.kill();
    }
  });

  it('Targets: a preview with count 1 and a seed shows exactly one target and signals nothing', async () => {
    const tag = `eris-console-${process.pid}-preview`;
    const workloads = [await spawnTree(1, tag), await spawnTree(1, tag)];
    try {
      const page = await context.newPage();
      await logIn(page, coordinator.url, TOKEN);
      await page.getByRole('link', { name: 'Targets' }).click();
      await page.getByRole('heading', { name: 'Targets', level: 2 }).waitFor({ timeout: 10000 });
      assert.equal(new URL(page.url()).hash, '#targets');
      await page.getByLabel('Cluster').fill('lab');
      await page.getByLabel('Host process cmdline regex').fill(tag);
      await page.getByLabel('How many').selectOption('count');
      await page.getByLabel('Count').fill('1');
      await page.getByLabel('Placement').selectOption('spread');
      await page.getByLabel('Seed').fill('7');
      const pickedKeys = async () => {
        await page.getByRole('button', { name: 'Preview selection' }).click();
        const status = page.getByRole('status');
        await status.filter({ hasText: 'would be hit' }).waitFor({ timeout: 15000 });
        assert.match(await status.innerText(), /^1 of 2 matched would be hit \(seed 7\)\. Nothing was signalled\.$/);
        return page.locator('tr[data-picked="true"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-target')));
      };
      const first = await pickedKeys();
      assert.equal(first.length, 1, 'exactly one target is shown as hit');
      assert.ok(workloads.some((w) => first[0]!.endsWith(`/pid/${w.pid}`)), `the pick is one of the sample processes: ${first[0]}`);
      assert.equal(await page.locator('tr[data-picked="false"]').count(), 1, 'the other match is listed, not hit');
      assert.deepEqual(await pickedKeys(), first, 'the same seed picks the same target');
      await assertAccessible(page, 'Targets with a preview');
      await page.screenshot({ path: join(ARTIFACTS, 'targets-preview.png') });
      for (const w of workloads) for (const pid of w.pids()) assert.notEqual(procState(pid), 'T', `pid ${pid} was not signalled`);
      // A value the coordinator refuses comes back with the field named.
      await page.getByLabel('How many').selectOption('percent');
      await page.getByLabel('Percent').fill('150');
      await page.getByRole('button', { name: 'Preview selection' }).click();
      await page.getByRole('alert').waitFor({ timeout: 10000 });
      assert.match(await page.getByRole('alert').innerText(), /percent.*1\.\.100/);
      await page.close();
    } finally {
      for (const w of workloads) w.kill();
    }
  });

  it('keyboard: Tab reaches the nav links and the Targets form; Enter on the preview button submits', async () => {
    const tag = `eris-console-${process.pid}-keys`;
    const workload = await spawnTree(1, tag);
    const page = await context.newPage();
    await logIn(page, coordinator.url, TOKEN);
    await page.getByRole('heading', { level: 2 }).waitFor({ timeout: 10000 });
    // Tab from the top of the page until the element wanted has focus; a bounded walk so a trap fails, not hangs.
    const tabTo = async (wanted: string): Promise<void> => {
      const seen: string[] = [];
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        // Named as a user hears it: aria-label, else the <label>, else the text (no DOM types in the tests' tsconfig).
        const here = await page.locator(':focus').evaluate((e) => {
          const el = e as unknown as { tagName: string; innerText: string; getAttribute(n: string): string | null; labels?: { innerText: string }[] | null };
          return `${el.tagName.toLowerCase()}:${el.getAttribute('aria-label') ?? el.labels?.[0]?.innerText ?? el.innerText}`;
        });
        seen.push(here);
        if (here === wanted) return;
      }
      assert.fail(`Tab never reached ${wanted}; focus went ${seen.join(' → ')}`);
    };
    await tabTo('a:Fleet');
    await tabTo('a:Targets');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Targets', level: 2 }).waitFor({ timeout: 10000 });
    await tabTo('input:Cluster');
    await page.keyboard.type('lab');
    await tabTo('input:Host process cmdline regex');
    await page.keyboard.type(tag);
    await tabTo('button:Preview selection');
    await page.keyboard.press('Enter');
    try {
      await page.getByRole('status').filter({ hasText: /would be hit/ }).waitFor({ timeout: 15000 });
      assert.match(await page.getByRole('status').innerText(), /of 1 matched would be hit.*Nothing was signalled/);
    } finally {
      await page.close();
      workload.kill();
    }
  });

  it('a wrong token gets the login screen back with a message', async () => {
    const page = await context.newPage();
    await logIn(page, coordinator.url, 'not-the-token');
    await page.getByRole('alert').waitFor({ timeout: 10000 });
    assert.match(await page.getByRole('alert').innerText(), /refused this token/);
    assert.ok(await page.getByLabel('API token').isVisible(), 'the login form is shown again');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('eris.token')), null, 'the refused token is forgotten');
    await page.screenshot({ path: join(ARTIFACTS, 'login-refused.png') });
    await page.close();
  });

  it('serves the page and its files with no token; other paths still need one', async () => {
    const page = await fetch(`${coordinator.url}/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    const files = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(files.some((f) => f.endsWith('.js')) && files.some((f) => f.endsWith('.css')), `the page loads its script and style: ${files.join(', ')}`);
    for (const f of files) assert.equal((await fetch(`${coordinator.url}/${f}`)).status, 200, f);
    assert.equal((await fetch(`${coordinator.url}/console/nope.js`)).status, 401);
    assert.equal((await fetch(`${coordinator.url}/v1/agents`)).status, 401);
    assert.equal((await fetch(`${coordinator.url}/docs`)).status, 200, 'Swagger UI is still at /docs');
  });

  it('loads nothing from another host', () => {
    assert.deepEqual(offHost, []);
  });
});
