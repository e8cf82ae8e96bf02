// The runtime check in bin/eris.js: on a Node.js older than the one eris is built for, the CLI says what to do
// instead of failing on the import of node:sqlite.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_MAJOR_NEEDED, nodeVersionProblem } from '../bin/node-version.js';

const ROOT = join(import.meta.dirname, '..');

describe('eris on an older Node.js', () => {
  it('names the runtime, the version needed and the way out, with a stable code', () => {
    const problem = nodeVersionProblem('v20.20.2', '/usr/bin/node');
    assert.match(problem ?? '', /^eris: ERIS_ERR_NODE_VERSION: needs Node.js >= 26 .* this is v20\.20\.2 \(\/usr\/bin\/node\).*scripts\/node-lts\.sh/);
    assert.ok(nodeVersionProblem('v25.9.0', 'node'), 'the major is compared, not the string');
  });

  it('lets this runtime and newer ones through', () => {
    assert.equal(nodeVersionProblem(process.version, process.execPath), null);
    assert.equal(nodeVersionProblem(`v${NODE_MAJOR_NEEDED}.0.0`, 'node'), null);
    assert.equal(nodeVersionProblem('v100.0.0', 'node'), null);
  });

  it('asks for what package.json engines and scripts/node-lts.sh give', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    assert.equal(pkg.engines.node, `>=${NODE_MAJOR_NEEDED}`);
    const script = readFileSync(join(ROOT, 'scripts/node-lts.sh'), 'utf8');
    assert.match(script, new RegExp(`_version=${NODE_MAJOR_NEEDED}\\.\\d+\\.\\d+`));
  });
});
