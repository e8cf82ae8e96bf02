// Config errors in the words a person types: flags, not config keys. Free of commander, so `eris agent` can use it.
import { ErisError } from '../lib/errors.js';
import { UsageError } from './exit.js';

/** An option table row: the config key, its flag (with its argument), env var and doc. */
export interface OptionTableEntry {
  key: string;
  flag: string;
  env: string;
  doc: string;
}

/**
 * Runs `load` (a config loader); a config error comes back naming the flags a person types (`--log-format`), not
 * the config keys (`logFormat`), as one line with its env var: start-up failures say which flag to change.
 */
export function withFlagNames<T>(table: readonly OptionTableEntry[], load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ErisError) || error.code !== 'ERIS_ERR_CONFIG') throw error;
    const flag = (key: string) => table.find((e) => e.key === key);
    // The key the message starts with, and any camelCase key in it (plain words such as "listen" stay words).
    const named = (word: string) => flag(word)?.flag.split(' ')[0] ?? word;
    const message = error.message.replace(/^([a-zA-Z]+):/, (_, key: string) => `${named(key)}:`).replace(/\b[a-z]+[A-Z][A-Za-z]*\b/g, named);
    const first = error.path !== undefined ? flag(String(error.path).split('.')[0]!) : undefined;
    throw new UsageError(`${error.code}: ${message}${first ? ` (or ${first.env})` : ''}`, { cause: error });
  }
}
