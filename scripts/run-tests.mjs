#!/usr/bin/env node
// Runs every *.test.ts with Node's own test runner (through tsx), then the Python SDK's pytest suites. The files are
// listed here (not globbed by --test) so that an argument can pick a subset by substring:
// `node scripts/run-tests.mjs agent-busy store/`, `node scripts/run-tests.mjs sdk/python`.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

/** pytest suites, each its own session (examples/python is a user's suite with its own conftest). */
const PYTHON_SUITES = ['sdk/python', 'examples/python'];
const VENV_PYTHON = join('.venv', 'bin', 'python');

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
if (files.length === 0 && pythonSuites.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

let failed = false;
if (files.length > 0) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
  failed ||= result.status !== 0;
}
if (pythonSuites.length > 0) failed ||= !runPython(pythonSuites);
process.exit(failed ? 1 : 0);

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
