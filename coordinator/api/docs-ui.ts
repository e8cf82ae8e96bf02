// Swagger UI at /docs, served from the swagger-ui-dist package's own files: it renders with no internet (an
// air-gapped cluster), and the page loads nothing from another host.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Hono } from 'hono';

/** The files the page loads, by the name it asks for them under /docs/ → content type. */
const ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
} as const;
type Asset = keyof typeof ASSETS;
const INIT = 'eris-init.js';

export const DOCS_PATH = '/docs';
/** Every path the UI is served under (all open: the page and its scripts need no token). */
export const DOCS_PATHS = [DOCS_PATH, ...Object.keys(ASSETS).map((f) => `${DOCS_PATH}/${f}`), `${DOCS_PATH}/${INIT}`] as const;

// Relative URLs: from /docs, `docs/x` is /docs/x and `openapi.json` is /openapi.json, also behind a path prefix.
const INDEX = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>eris-coordinator API</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/swagger-ui-standalone-preset.js"></script>
<script src="docs/${INIT}"></script>
</body>
</html>
`;
// A file, not an inline script: a Content-Security-Policy of script-src 'self' keeps working.
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: new URL('openapi.json', document.baseURI).href,
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
  validatorUrl: null
});
`;

/** swagger-ui-dist's folder, wherever npm put it. */
function distDir(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

export function serveDocsUi(app: Hono<any>): void {
  const dir = distDir();
  // Read on first use and kept: a few MB that never change while the process runs.
  const cache = new Map<Asset, Buffer>();
  app.get(DOCS_PATH, (c) => c.html(INDEX));
  app.get(`${DOCS_PATH}/${INIT}`, (c) => c.body(INIT_SCRIPT, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  for (const name of Object.keys(ASSETS) as Asset[]) {
    app.get(`${DOCS_PATH}/${name}`, (c) => {
      let body = cache.get(name);
      if (body === undefined) cache.set(name, (body = readFileSync(join(dir, name))));
      return c.body(new Uint8Array(body), 200, { 'content-type': ASSETS[name], 'cache-control': 'public, max-age=3600' });
    });
  }
}
