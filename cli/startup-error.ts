// A daemon that cannot start says so in one line naming the flag to change, not with a stack trace: the file-system
// and socket errors Node throws at start-up are mapped onto the option whose value caused them.
import { UsageError } from './exit.js';

interface FlagPath {
  /** The config value (a directory, an address) and the flag that sets it. */
  value: string | undefined;
  flag: string;
  env: string;
}

/** A UsageError naming the flag when `error` is an EACCES/EROFS/ENOENT on a path under a flag's value, or a listen failure. */
export function startupError(error: unknown, paths: readonly FlagPath[], listen: FlagPath): unknown {
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (typeof e?.code !== 'string') return error;
  if (['EACCES', 'EPERM', 'EROFS', 'ENOENT', 'ENOTDIR'].includes(e.code) && typeof e.path === 'string') {
    const owner = paths.find((p) => p.value !== undefined && (e.path === p.value || e.path!.startsWith(`${p.value.replace(/\/+$/, '')}/`) || p.value.startsWith(e.path!)));
    if (owner) {
      const why = e.code === 'EACCES' || e.code === 'EPERM' ? `no permission to ${e.syscall ?? 'write'} ${e.path}${process.getuid?.() !== 0 ? ' (not running as root)' : ''}` : `${e.code} on ${e.path}`;
      return new UsageError(`${owner.flag}: ${why}; give a directory this user can write (${owner.flag} DIR or ${owner.env})`, { cause: error });
    }
  }
  if ((e.code === 'EADDRINUSE' || e.code === 'EADDRNOTAVAIL' || (e.code === 'EACCES' && e.syscall === 'listen')) && listen.value !== undefined) {
    const why = e.code === 'EADDRINUSE' ? 'the address is in use' : e.code === 'EACCES' ? 'no permission to listen there' : 'no such local address';
    return new UsageError(`${listen.flag}: cannot listen on ${listen.value}: ${why} (${listen.flag} HOST:PORT or ${listen.env})`, { cause: error });
  }
  return error;
}
