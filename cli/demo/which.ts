// Finds an executable on PATH (and the sbin directories root's tools live in).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function findExecutableOnPath(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}
