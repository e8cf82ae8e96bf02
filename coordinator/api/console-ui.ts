// The web console at /: the files `npm run build` wrote to dist/web (Vite, console/), served by the coordinator
// itself, so it works with no internet. Only the files present at start are routes (the auth middleware opens exact
// paths); the page and its scripts need no token, every /v1 call it makes does.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Hono } from 'hono';
import { PACKAGE_ROOT } from '../../lib/version.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};
/** Vite's build.assetsDir (console/vite.config.js): hashed names, so they may be cached for long. */
const ASSETS = 'console';

/** dist/web under the package root, whether this module runs from source (tsx) or from dist. */
export function consoleDir(): string {
  return join(PACKAGE_ROOT, 'dist', 'web');
}

/** The open paths: `/` and each built asset, `/console/<file>`. */
export function consolePaths(dir = consoleDir()): string[] {
  const assets = existsSync(join(dir, ASSETS)) ? readdirSync(join(dir, ASSETS)).filter((f) => TYPES[extname(f)] !== undefined) : [];
  return ['/', ...assets.map((f) => `/${ASSETS}/${f}`)];
}

export function serveConsoleUi(app: Hono<any>, paths: readonly string[], dir = consoleDir()): void {
  const index = join(dir, 'index.html');
  app.get('/', (c) => {
    if (!existsSync(index)) return c.text('the web console is not built: run `npm run build`\n', 503);
    return c.body(readFileSync(index, 'utf8'), 200, { 'content-type': TYPES['.html']!, 'cache-control': 'no-cache' });
  });
  for (const path of paths.filter((p) => p !== '/')) {
    const file = join(dir, path.slice(1));
    let body: Buffer | undefined;
    app.get(path, (c) => {
      body ??= readFileSync(file);
      return c.body(new Uint8Array(body), 200, { 'content-type': TYPES[extname(file)]!, 'cache-control': 'public, max-age=31536000, immutable' });
    });
  }
}
