// Gate for tests that need the real test bed (root, containerd, …): skip with a reason locally, fail in CI.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

// Root's sbin directories are not always on a test runner's PATH, but runc and friends live there.
const EXTRA_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of an executable found on PATH (or the sbin/bin dirs), or undefined. */
export function findExecutable(name: string): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_PATH];
  for (const dir of dirs) {
    const path = join(dir, name);
    if (isExecutable(path)) return path;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface TestbedRequirements {
  /** Executables that must be installed. */
  tools?: string[];
  /** Needs uid 0 (default true: every real test bed here does). */
  root?: boolean;
}

/**
 * Why a test-bed test cannot run here, or undefined when it can. With CI=true a missing requirement is an
 * error, never a skip: a CI run that silently skips the real-runtime tests proves nothing.
 * Use as `describe('…', { skip: testbedSkipReason(['containerd']) }, …)`.
 */
export function testbedSkipReason(tools: string[] | TestbedRequirements): string | undefined {
  const req: TestbedRequirements = Array.isArray(tools) ? { tools } : tools;
  const missing: string[] = [];
  if ((req.root ?? true) && process.getuid?.() !== 0) missing.push('root (uid 0)');
  for (const tool of req.tools ?? []) if (findExecutable(tool) === undefined) missing.push(`executable "${tool}"`);
  if (missing.length === 0) return undefined;
  const reason = `test bed not available: needs ${missing.join(', ')} (see /work/shared/TESTBED.md)`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
  return reason;
}

/** For use inside a test: skips it (returns false) or, with CI=true, fails it. */
export function requireTools(t: { skip(message?: string): void }, tools: string[] | TestbedRequirements): boolean {
  const reason = testbedSkipReason(tools);
  if (reason === undefined) return true;
  t.skip(reason);
  return false;
}
