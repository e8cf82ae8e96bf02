// The npm package as a user gets it: `npm pack` of the clone installed into an empty project. Its name is free on the
// registry (`eris` is an unrelated Discord library), its `eris` command runs, `eris-chaos/sdk` imports, and the
// tarball carries what the package needs at run time (the built code, the console, the chart, the CRI protos) and none
// of the sources of the tests.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, assertBuilt } from './cli-harness.js';

// npm as the shell finds it (the Node build that scripts/node-lts.sh fetches carries no npm of its own).
const NPM = 'npm';
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> };

describe('the npm package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eris-package-'));
  let files: string[] = [];
  let tarball = '';
  after(() => rmSync(dir, { recursive: true, force: true }));

  before(() => {
    assertBuilt();
    // --ignore-scripts: the build is already there (`prepare` would run it again).
    const packed = JSON.parse(execFileSync(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' })) as
      Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = join(dir, packed[0]!.filename);
    files = packed[0]!.files.map((f) => f.path);
  });

  it('is named eris-chaos and installs the `eris` command', () => {
    assert.equal(manifest.name, 'eris-chaos');
    assert.deepEqual(Object.keys(manifest.bin), ['eris']);
  });

  it('carries the built code, the console, the chart and the CRI protos, and no tests', () => {
    for (const needed of ['bin/eris.js', 'dist/cli/main.js', 'dist/sdk/index.js', 'dist/sdk/index.d.ts', 'dist/web/index.html',
      'charts/eris/Chart.yaml', 'schemas/openapi/coordinator.json', 'package.json']) {
      assert.ok(files.includes(needed), `${needed} is in the tarball`);
    }
    assert.ok(files.some((f) => /^daemon\/cri\/.+\.proto$/.test(f)), 'the CRI protos are in the tarball');
    const stray = files.filter((f) => /^(test|bench|console\/src|sdk\/python|sdk\/go|examples\/go|examples\/python)\//.test(f) || /\.test\.js$/.test(f));
    assert.deepEqual(stray, [], 'no test, benchmark or other-language source is packed');
  });

  it('installed into an empty project: `eris --version` runs and `eris-chaos/sdk` imports', { timeout: 300_000 }, () => {
    const project = join(dir, 'user-project');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
    // The dependencies come from npm's cache (filled by `npm ci`), the registry only for what it lacks.
    const install = spawnSync(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: project, encoding: 'utf8' });
    assert.equal(install.status, 0, install.stderr);
    const version = execFileSync(join(project, 'node_modules', '.bin', 'eris'), ['--version'], { cwd: project, encoding: 'utf8' });
    assert.equal(version.trim(), manifest.version);
    const script = "import { ErisClient } from 'eris-chaos/sdk'; console.log(typeof ErisClient);";
    const imported = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' });
    assert.equal(imported.trim(), 'function');
  });
});
