// The committed schemas/drill.schema.json is exactly what the code generates, and `eris schema` prints it.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { drillSchemaText } from '../cli/schema-command.js';
import { drillJsonSchema } from '../coordinator/drill/json-schema.js';
import { ROOT, assertBuilt, runCli } from './cli-harness.js';

describe('schemas/drill.schema.json', () => {
  before(assertBuilt);

  it('equals the generated schema (node scripts/gen-schema.mjs rewrites it)', () => {
    const committed = readFileSync(join(ROOT, 'schemas', 'drill.schema.json'), 'utf8');
    assert.equal(committed, drillSchemaText(), 'out of date: run node scripts/gen-schema.mjs');
    assert.deepEqual(JSON.parse(committed), drillJsonSchema());
    const check = spawnSync(process.execPath, [join(ROOT, 'scripts', 'gen-schema.mjs'), '--check'], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
  });

  it('is what `eris schema` prints', async () => {
    const r = await runCli(['schema']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(join(ROOT, 'schemas', 'drill.schema.json'), 'utf8'));
    const schema = JSON.parse(r.stdout) as { $defs: { step: { anyOf: unknown[] } }; title: string };
    assert.equal(schema.title, 'eris drill');
    assert.equal(schema.$defs.step.anyOf.length, 6);
  });
});
