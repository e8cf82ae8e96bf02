#!/usr/bin/env node
// Writes schemas/drill.schema.json from the zod schema the coordinator validates with (cli/schema-command.ts).
// `node scripts/gen-schema.mjs` writes it; `--check` exits 1 when the committed file is out of date.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'schemas', 'drill.schema.json');
const { drillSchemaText } = await tsImport('../cli/schema-command.ts', import.meta.url);
const text = drillSchemaText();

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing: out of date
  }
  if (current !== text) {
    console.error(`${target} is out of date: run node scripts/gen-schema.mjs`);
    process.exit(1);
  }
  console.log(`${target} is up to date`);
} else {
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
