// The console's Runs views in headless Chromium against a real coordinator, a host-mode agent and a sample member
// (cli/demo/sample-member.ts) this test starts: the history, a run followed live (injected → detected → recovered
// in that order), an abort from the page that resumes the frozen process, and a finished run rendered from storage.
// axe-core checks each view; screenshots go to test-artifacts/console/. Needs `npm run build`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import type { Coordinator } from '../coordinator/server.js';
import { ARTIFACTS, assertAccessible, consoleSkip, logIn as submitLogin, startConsoleBed, type ConsoleBed } from './harness/console.js';
import { callJson } from './harness/agent-process.js';
import { procState, waitFor } from './harness/processes.js';

const TOKEN = 'console-runs-token-0123456789';

describe('console Runs views in Chromium', { skip: consoleSkip }, () => {
  let coordinator: Coordinator;
  let context: BrowserContext;
  let bed: ConsoleBed | undefined;
  const tag = `eris-console-runs-${process.pid}`;

  before(async () => {
    bed = await startConsoleBed({ name: 'console-runs', token: TOKEN, probeAllow: 'loopback', memberTag: tag });
    ({ coordinator, context } = bed);
  });

  after(async () => {
    await bed?.stop();
  });

  /** Freeze the member, see its probe fail, continue it, see it pass; `pause` between phases lets a page watch. */
  const drill = (name: string, pause: string) => ({
    apiVersion: 'eris.dev/v1alpha1',
    kind: 'Drill',
    metadata: { name },
    spec: {
      targets: { member: { processes: { cmdline: `--tag ${tag}` }, count: 1 } },
      probes: { health: { url: 'http://127.0.0.1:{{target.labels.port}}/health', jq: '.health == "true"', timeout: '300ms', interval: '100ms' } },
      steps: [
        { name: 'steady state', probe: 'health', target: 'member' },
        { sleep: pause },
        { name: 'freeze', signal: 'SIGSTOP', target: 'member', lease: '60s' },
        { name: 'detect', wait: 'health', target: 'member', until: 'fail', timeout: '10s' },
        { sleep: pause },
        { name: 'thaw', signal: 'SIGCONT', target: 'member' },
        { name: 'recover', wait: 'health', target: 'member', until: 'pass', timeout: '10s' },
        { sleep: pause },
      ],
    },
  });
  const start = async (spec: unknown): Promise<string> => {
    const run = await callJson(coordinator.url, TOKEN, 'POST', '/v1/runs', { spec });
    assert.equal(run.status, 201, JSON.stringify(run.body));
    return (run.body as { id: string }).id;
  };
  const ended = (id: string) => waitFor(async () => !['pending', 'running'].includes((await callJson(coordinator.url, TOKEN, 'GET', `/v1/runs/${id}`)).body.status), 30000, `run ${id} to end`);

  async function logIn(page: Page, hash: string): Promise<void> {
    await submitLogin(page, coordinator.url, TOKEN);
    await page.getByRole('heading', { level: 2 }).first().waitFor({ timeout: 10000 });
    await page.goto(`${coordinator.url}/${hash}`);
  }

  let historyRun = '';
  it('#runs: the history shows status, drill, start, duration and the times to detect and recover', async () => {
    const id = await start(drill('console-history', '10ms'));
    historyRun = id;
    await ended(id);
    const page = await context.newPage();
    await logIn(page, '#runs');
    const row = page.locator(`tr[data-run="${id}"]`);
    await row.waitFor({ timeout: 10000 });
    const [run, status, name, started, took, detect, recover] = await row.locator('th, td').allInnerTexts();
    assert.equal(run, id);
    assert.equal(status, 'passed');
    assert.equal(name, 'console-history');
    assert.match(started!, /\d/);
    assert.match(took!, /^\d+(\.\d)? (ms|s)$/);
    assert.match(detect!, /^\d+(\.\d)? (ms|s)$/, 'a time to detect');
    assert.match(recover!, /^\d+(\.\d)? (ms|s)$/, 'a time to recover');
    await assertAccessible(page, 'Runs');
    await page.screenshot({ path: join(ARTIFACTS, 'runs.png') });
    await page.close();
  });

  // Records each change of the first target's phase in the page, from before the page's first render.
  const recordPhases = (page: Page) =>
    page.addInitScript(() => {
      const seen: Array<{ phase: string; at: number }> = [];
      (globalThis as unknown as { phases: typeof seen }).phases = seen;
      setInterval(() => {
        const phase = (globalThis as unknown as { document: { querySelector(s: string): { getAttribute(n: string): string | null } | null } }).document.querySelector('[data-phase]')?.getAttribute('data-phase');
        if (phase && seen.at(-1)?.phase !== phase) seen.push({ phase, at: Date.now() });
      }, 20);
    });
  const phases = (page: Page) => page.evaluate(() => (globalThis as unknown as { phases: Array<{ phase: string; at: number }> }).phases);

  it('#runs/ID follows a running drill live: injected → detected → recovered, in that order', async () => {
    const page = await context.newPage();
    await recordPhases(page);
    const id = await start(drill('console-live', '1500ms'));
    await logIn(page, `#runs/${id}`);
    await page.locator('[data-status="running"]').waitFor({ timeout: 10000 });
    await page.locator('[data-phase="detected"]').waitFor({ timeout: 15000 });
    await page.screenshot({ path: join(ARTIFACTS, 'run-live.png') });
    await page.locator('[data-status="passed"]').waitFor({ timeout: 30000 });
    const seen = await phases(page);
    assert.deepEqual(seen.map((p) => p.phase), ['injected', 'detected', 'recovered'], JSON.stringify(seen));
    // Seen as it happened, not replayed at the end: the 1.5 s pause between detection and the thaw shows on the page.
    assert.ok(seen[2]!.at - seen[1]!.at >= 1000, `recovered ${seen[2]!.at - seen[1]!.at} ms after detected`);
    assert.equal(await page.locator('[data-step]').count(), 8, 'every step listed');
    assert.equal(await page.locator('[data-step] .status-passed').count(), 8, 'every step passed');
    assert.ok((await page.locator('circle.fail').count()) > 0 && (await page.locator('circle.pass').count()) > 0, 'probe results, failed and passed, on the chart');
    await assertAccessible(page, 'a live run');
    await page.close();
  });

  it('#runs/ID: Abort (confirmed in a dialog) ends the run and its frozen process runs again', async () => {
    const spec = drill('console-abort', '10ms');
    const id = await start({ ...spec, spec: { ...spec.spec, steps: [...spec.spec.steps.slice(0, 4), { sleep: '60s' }] } });
    const page = await context.newPage();
    await logIn(page, `#runs/${id}`);
    await page.locator('[data-phase="detected"]').waitFor({ timeout: 15000 });
    const pid = bed!.member!.pid!;
    assert.equal(procState(pid), 'T', 'the member is frozen by the run');
    await page.getByRole('button', { name: 'Abort run' }).click();
    const dialog = page.getByRole('dialog', { name: 'Abort this run?' });
    await dialog.waitFor({ timeout: 5000 });
    await assertAccessible(page, 'the abort dialog');
    await dialog.getByRole('button', { name: 'Abort now' }).click();
    await page.locator('[data-status="aborted"]').waitFor({ timeout: 15000 });
    const resumed = page.locator('p.resumed');
    await resumed.waitFor({ timeout: 5000 });
    assert.match(await resumed.innerText(), /^Resumed 1 fault\(s\): 1 confirmed from the processes, 0 error\(s\)\.$/);
    assert.equal(await page.locator('li[data-event="resumed"]').count(), 1, 'the resume event in the log');
    await waitFor(() => procState(pid) !== 'T', 5000, 'the member to run again');
    assert.notEqual(procState(pid), 'T', `/proc/${pid}/stat`);
    await page.screenshot({ path: join(ARTIFACTS, 'run-aborted.png') });
    await page.close();
  });

  it('#runs/ID of a finished run renders from storage, and its report downloads as JSON and JUnit', async () => {
    assert.ok(historyRun !== '', 'the history test ran first');
    const page = await context.newPage();
    await logIn(page, `#runs/${historyRun}`);
    await page.locator('[data-status="passed"]').waitFor({ timeout: 10000 });
    await page.locator('[data-phase="recovered"]').waitFor({ timeout: 10000 });
    assert.equal(await page.locator('[data-step] .status-passed').count(), 8);
    assert.equal(await page.getByRole('button', { name: 'Abort run' }).count(), 0, 'nothing to abort');
    const saved = async (name: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name }).click()]);
      const path = join(bed!.dir, download.suggestedFilename());
      await download.saveAs(path);
      return { file: download.suggestedFilename(), text: readFileSync(path, 'utf8') };
    };
    const json = await saved('Report (JSON)');
    assert.equal(json.file, `${historyRun}.json`);
    assert.equal(JSON.parse(json.text).id, historyRun);
    const junit = await saved('Report (JUnit)');
    assert.equal(junit.file, `${historyRun}.junit.xml`);
    assert.match(junit.text, /<testsuite name="console-history"/);
    await assertAccessible(page, 'a finished run');
    await page.screenshot({ path: join(ARTIFACTS, 'run-finished.png') });
    await page.close();
  });
});
