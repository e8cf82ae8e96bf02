// The console's Drills view in headless Chromium (Debian's, driven by playwright-core) against a real coordinator and
// a host-mode agent with a sample process: a drill from `eris init`'s host template, an error typed into the editor
// and shown at its line:column (the coordinator's checks, the same as `eris validate`), a jq error, keys completed
// from the drill JSON Schema (in a map and in a list item), a dry run that
// shows the sample process picked, Save, and Run going to #runs/ID. axe-core finds no serious or critical violation.
// The screenshot goes to test-artifacts/console/drills.png. Needs `npm run build` (the console is served from dist/web).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import type { Coordinator } from '../coordinator/server.js';
import { ARTIFACTS, assertAccessible, consoleSkip, logIn, startConsoleBed, type ConsoleBed } from './harness/console.js';
import { callJson } from './harness/agent-process.js';
import { spawnTree, waitFor } from './harness/processes.js';

const TOKEN = 'console-drills-token-0123456789';

describe('console Drills view in Chromium', { skip: consoleSkip }, () => {
  let coordinator: Coordinator;
  let context: BrowserContext;
  let offHost: string[] = [];
  let bed: ConsoleBed | undefined;

  before(async () => {
    bed = await startConsoleBed({ name: 'console-drills', token: TOKEN, viewport: { width: 1200, height: 900 } });
    ({ coordinator, context, offHost } = bed);
  });

  after(async () => {
    await bed?.stop();
  });

  /** Puts the cursor at the end of a 1-based line of the editor. */
  async function endOfLine(page: Page, line: number): Promise<void> {
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+Home');
    for (let i = 1; i < line; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('End');
  }

  it('template → error at its line:column → dry run picks → save → run goes to #runs/ID', async () => {
    const tag = `eris-console-drills-${process.pid}`;
    const workload = await spawnTree(1, tag);
    const page = await context.newPage();
    try {
      await page.goto(`${coordinator.url}/#drills`);
      await page.getByLabel('API token').fill(TOKEN);
      await page.getByRole('button', { name: 'Log in' }).click();
      const problems = page.getByRole('region', { name: 'Problems' });

      // The host template, as `eris init --template host` writes it: valid.
      await page.getByLabel('Template').selectOption('host');
      const fromTemplate = page.getByRole('button', { name: 'New from template' });
      await waitFor(() => fromTemplate.isEnabled(), 15000, 'the editor chunk to load');
      await fromTemplate.click();
      await problems.getByText('Valid (drill host-member-failure).').waitFor({ timeout: 10000 });
      assert.match(await page.locator('.cm-content').innerText(), /kind: Drill/);

      // Line 15 is `      count: 1`: a word instead of the number is an error at 15:14, marked in the editor too.
      await endOfLine(page, 15);
      await page.keyboard.press('Backspace');
      await page.keyboard.type('x');
      await problems.locator('li.error', { hasText: /^15:14: spec\.targets\.victim\.count: / }).waitFor({ timeout: 10000 });
      await page.locator('.cm-lintRange-error').first().waitFor({ timeout: 5000 });
      await page.locator('.cm-gutter-lint .cm-lint-marker-error').first().waitFor({ timeout: 5000 });
      // A jq filter that does not compile (line 20 is `      jq: .health == "true"`): jq's message, at 20:11.
      await endOfLine(page, 20);
      await page.keyboard.type(' ==');
      await problems.locator('li.error', { hasText: /^20:11: spec\.probes\.health\.jq: / }).waitFor({ timeout: 10000 });

      // Keys complete from the drill JSON Schema: under metadata (line 6 is `  name: host-member-failure`).
      await endOfLine(page, 6);
      // (a new line of its own: Enter would indent as a continuation of the value)
      await page.keyboard.insertText('\n  de');
      await page.keyboard.type('sc');
      await page.locator('.cm-tooltip-autocomplete li', { hasText: 'description' }).waitFor({ timeout: 5000 });
      // Under an item of the steps list (line 28, after the new line, is `      target: victim` of the first step).
      await endOfLine(page, 28);
      await page.keyboard.insertText('\n      con');
      await page.keyboard.type('sec');
      await page.locator('.cm-tooltip-autocomplete li', { hasText: 'consecutive' }).waitFor({ timeout: 5000 });
      await page.keyboard.press('Escape');

      // A drill of its own, pasted over everything (insertText: no auto-indent), freezing the sample process briefly.
      const yaml = [
        'apiVersion: eris.dev/v1alpha1',
        'kind: Drill',
        'metadata:',
        '  name: console-drill',
        'spec:',
        '  targets:',
        '    sample:',
        '      processes:',
        `        cmdline: ${tag}$`,
        '  steps:',
        '    - signal: SIGSTOP',
        '      target: sample',
        '      lease: 2s',
        '    - sleep: 1s',
        '',
      ].join('\n');
      await page.locator('.cm-content').click();
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText(yaml);
      await problems.getByText('Valid (drill console-drill).').waitFor({ timeout: 10000 });

      await page.getByRole('button', { name: 'Dry run' }).click();
      const dry = page.getByRole('region', { name: 'Dry run' });
      await dry.getByText('Dry run of console-drill: nothing was signalled.').waitFor({ timeout: 10000 });
      const row = await dry.locator('tbody tr').allInnerTexts();
      assert.equal(row.length, 1, 'one process picked');
      assert.match(row[0]!, new RegExp(`sample\\s+1 of 1\\s+lab\\s+node-1\\s+${workload.pid} `));
      await assertAccessible(page, 'Drills');
      await page.screenshot({ path: join(ARTIFACTS, 'drills.png') });

      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('status').getByText('Saved drill console-drill.').waitFor({ timeout: 10000 });
      await page.getByRole('complementary', { name: 'Drill list' }).getByRole('button', { name: 'console-drill' }).waitFor({ timeout: 5000 });
      const stored = await callJson(coordinator.url, TOKEN, 'GET', '/v1/drills/console-drill');
      assert.equal(stored.status, 200);
      assert.equal(stored.body.yaml, yaml, 'stored as typed');

      await page.getByRole('button', { name: 'Run', exact: true }).click();
      await waitFor(() => /^#runs\/[^/]+$/.test(new URL(page.url()).hash), 10000, 'the page to go to the run');
      const id = new URL(page.url()).hash.slice('#runs/'.length);
      const run = await callJson(coordinator.url, TOKEN, 'GET', `/v1/runs/${id}`);
      assert.equal(run.status, 200, JSON.stringify(run.body));
      assert.equal(run.body.drillName, 'console-drill');
      await waitFor(async () => !['pending', 'running'].includes((await callJson(coordinator.url, TOKEN, 'GET', `/v1/runs/${id}`)).body.status), 20000, 'the run to end');
      assert.deepEqual(offHost, [], 'no request leaves the coordinator');
    } finally {
      await page.close();
      workload.kill();
    }
  });
});
