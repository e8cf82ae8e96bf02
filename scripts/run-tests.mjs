#!/usr/bin/env node
// Runs every *.test.ts with Node's own test runner (through tsx), then the Python SDK's pytest suites, then the Go
// SDK's `go vet` + `go test`. The files are listed here (not globbed by --test) so that an argument can pick a
// subset by substring: `node scripts/run-tests.mjs agent-busy store/`, `node scripts/run-tests.mjs sdk/python`,
// `node scripts/run-tests.mjs sdk/go`.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

/** pytest suites, each its own session (examples/python is a user's suite with its own conftest). */
const PYTHON_SUITES = ['sdk/python', 'examples/python'];
const VENV_PYTHON = join('.venv', 'bin', 'python');
/** Go modules, each vetted and tested on its own (examples/go is a user's module that uses sdk/go through a replace). */
const GO_TOOLS = join('sdk', 'go', 'tools', 'go.mod');
const GO_MODULES = ['sdk/go', 'examples/go'].filter((m) => existsSync(join(m, 'go.mod')));

const roots = ['lib', 'native', 'daemon', 'coordinator', 'sdk', 'cli', 'test'];
const only = process.argv.slice(2);

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'testdata') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

let files = roots.flatMap((root) => walk(root, [])).sort();
if (only.length > 0) files = files.filter((f) => only.some((o) => f.includes(o)));
// A suite runs when nothing is selected, when an argument names part of it (`sdk`), or a path inside it.
const pythonSuites = PYTHON_SUITES.filter((suite) => only.length === 0 || only.some((o) => suite.includes(o) || o.startsWith(`${suite}/`)));
const goModules = GO_MODULES.filter((mod) => only.length === 0 || only.some((o) => mod.includes(o) || o.startsWith(`${mod}/`)));
if (files.length === 0 && pythonSuites.length === 0 && goModules.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

let failed = false;
if (files.length > 0) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
  failed ||= result.status !== 0;
}
// Every stage runs, whatever happened before it (`failed ||= !run…()` would skip it once something failed).
if (pythonSuites.length > 0 && !runPython(pythonSuites)) failed = true;
if (goModules.length > 0 && !runGo(goModules)) failed = true;
process.exit(failed ? 1 : 0);

/** `go vet ./...`, staticcheck (a `go tool` of sdk/go/tools/go.mod) and `go test ./...` in each module; no `go` on PATH fails under CI and is said loudly elsewhere. */
function runGo(modules) {
  const probe = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const message = `Go SDK tests (${modules.join(', ')}): no \`go\` on PATH (Go >= 1.23 is needed)`;
    if (process.env.CI === 'true') {
      console.error(`${message} (CI=true: this is a failure)`);
      return false;
    }
    console.error(`\n*** NOT RUN: ${message} ***\n`);
    return true;
  }
  // The tests start `node bin/eris.js`: the same Node.js as this run. Modules come from the module proxy
  // (go.sum pins them); -mod=mod lets a clean machine fetch what go.sum names.
  const env = { ...process.env, ERIS_NODE: process.execPath, GOFLAGS: [process.env.GOFLAGS, '-mod=mod'].filter(Boolean).join(' ') };
  let ok = true;
  for (const mod of modules) {
    console.log(`\n# go vet, staticcheck and go test ./... in ${mod}`);
    const vet = spawnSync('go', ['vet', './...'], { cwd: mod, stdio: 'inherit', env });
    ok &&= vet.status === 0;
    // Its own module file: staticcheck needs a newer Go than the SDK's go.mod asks of its users.
    const lint = spawnSync('go', ['tool', `-modfile=${join(process.cwd(), GO_TOOLS)}`, 'staticcheck', './...'], { cwd: mod, stdio: 'inherit', env });
    ok &&= lint.status === 0;
    const test = spawnSync('go', ['test', '-count=1', '-timeout', '15m', './...'], { cwd: mod, stdio: 'inherit', env });
    ok &&= test.status === 0;
  }
  return ok;
}

/** pytest in the clone's .venv (scripts/python-env.sh); a missing venv fails under CI and is said loudly elsewhere. */
function runPython(suites) {
  if (!existsSync(VENV_PYTHON)) {
    const message = `Python SDK tests (${suites.join(', ')}): no ${VENV_PYTHON}; run \`bash scripts/python-env.sh\` first`;
    if (process.env.CI === 'true') {
      console.error(`${message} (CI=true: this is a failure)`);
      return false;
    }
    console.error(`\n*** NOT RUN: ${message} ***\n`);
    return true;
  }
  // The venv holds a built copy of the package (as users install it): refresh it so the tests never run a stale one.
  const install = spawnSync(VENV_PYTHON, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--no-build-isolation', '--force-reinstall', './sdk/python'], { stdio: 'inherit' });
  if (install.status !== 0) return false;
  // The tests start `node bin/eris.js`: the same Node.js as this run (26, not an older one on PATH).
  const env = { ...process.env, ERIS_NODE: process.execPath };
  let ok = true;
  for (const suite of suites) {
    const selected = only.filter((o) => o.startsWith(`${suite}/`));
    const result = spawnSync(VENV_PYTHON, ['-m', 'pytest', '-p', 'no:cacheprovider', ...(selected.length > 0 ? selected : [suite])], { stdio: 'inherit', env });
    ok &&= result.status === 0;
  }
  return ok;
}
