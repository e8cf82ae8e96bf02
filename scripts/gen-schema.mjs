#!/usr/bin/env node
// Writes schemas/drill.schema.json from the zod schema the coordinator validates with (cli/schema-command.ts), and
// schemas/openapi/{coordinator,agent}.json: the OpenAPI documents the coordinator and the agent serve at /openapi.json
// (for SDK generators and model checks that run without a server).
// `node scripts/gen-schema.mjs` writes them; `--check` exits 1 when a committed file is out of date.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { drillSchemaText } = await tsImport('../cli/schema-command.ts', import.meta.url);
const { openApiTexts } = await tsImport('../coordinator/api/published.ts', import.meta.url);
const files = { [join(root, 'schemas', 'drill.schema.json')]: drillSchemaText(), ...Object.fromEntries(Object.entries(openApiTexts()).map(([name, text]) => [join(root, name), text])) };

let stale = false;
for (const [target, text] of Object.entries(files)) {
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      // missing: out of date
    }
    if (current !== text) {
      console.error(`${target} is out of date: run node scripts/gen-schema.mjs`);
      stale = true;
    } else console.log(`${target} is up to date`);
  } else {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
  }
}
if (stale) process.exit(1);
