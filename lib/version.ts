// The package version, read once from package.json (works from source and from dist/).
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

function findPackageJson(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'package.json');
    // stat, not existsSync: access(2) checks the real uid without capabilities, so a non-root agent given
    // CAP_DAC_READ_SEARCH (least privilege) would not find the package it was started from.
    if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
    dir = dirname(dir);
  }
  throw new Error('package.json not found');
}

const PACKAGE_JSON = findPackageJson();
export const PACKAGE_ROOT = dirname(PACKAGE_JSON);
export const VERSION: string = (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version;
