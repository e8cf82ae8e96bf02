// Swagger UI at /docs on a real coordinator: the page and everything it loads come from the coordinator itself
// (swagger-ui-dist's files), so it renders on a machine with no internet; nothing points at another host.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCoordinatorConfig } from '../coordinator/config.js';
import { startCoordinator, type Coordinator } from '../coordinator/server.js';
import { silentLogger } from '../lib/logger.js';

/** Every URL an HTML page or a stylesheet loads: src/href attributes and CSS url(…), data: URIs left out. */
function referencedUrls(text: string): string[] {
  const found = [...text.matchAll(/(?:src|href)\s*=\s*["']([^"']+)["']/g), ...text.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)].map((m) => m[1]!);
  return found.filter((u) => !u.startsWith('data:') && !u.startsWith('#'));
}

describe('Swagger UI served from the package', () => {
  let dir: string;
  let coordinator: Coordinator;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-docs-'));
    coordinator = await startCoordinator(loadCoordinatorConfig({ listen: '127.0.0.1:0', token: 'docs-token-0123456789', dataDir: join(dir, 'c'), storePath: ':memory:' }, {}), { logger: silentLogger() });
  });

  after(async () => {
    await coordinator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves /docs and every asset it references from the coordinator, none off-host, no token needed', async () => {
    const page = await fetch(`${coordinator.url}/docs`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    const origin = new URL(coordinator.url).origin;
    const pending = referencedUrls(html).map((u) => new URL(u, `${coordinator.url}/docs`));
    assert.ok(pending.length >= 4, `the page loads its scripts and styles: ${pending.join(', ')}`);
    const seen = new Set<string>();
    let bytes = 0;
    while (pending.length > 0) {
      const url = pending.shift()!;
      if (seen.has(url.href)) continue;
      seen.add(url.href);
      assert.equal(url.origin, origin, `${url.href} is off-host`);
      const res = await fetch(url);
      assert.equal(res.status, 200, url.href);
      const type = res.headers.get('content-type') ?? '';
      const body = Buffer.from(await res.arrayBuffer());
      assert.ok(body.length > 0, url.href);
      bytes += body.length;
      if (type.startsWith('text/css')) pending.push(...referencedUrls(body.toString('utf8')).map((u) => new URL(u, url)));
      if (type.startsWith('text/javascript')) assert.doesNotMatch(body.toString('utf8').slice(0, 2000), /^<!doctype/i);
    }
    assert.ok(seen.has(`${origin}/docs/swagger-ui-bundle.js`) && seen.has(`${origin}/docs/swagger-ui.css`));
    assert.ok(bytes > 500_000, `swagger-ui's own files (${bytes} bytes)`);
    // The page's script asks for the document next to /docs, and turns off the online validator badge.
    const init = await (await fetch(`${origin}/docs/eris-init.js`)).text();
    assert.match(init, /'openapi\.json'/);
    assert.match(init, /validatorUrl: null/);
    assert.equal((await fetch(`${origin}/openapi.json`)).status, 200);
    assert.equal((await fetch(`${origin}/docs/package.json`)).status, 401, 'only the listed assets are served (anything else is an authenticated route)');
  });
});
