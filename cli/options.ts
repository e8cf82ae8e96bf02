// Builds commander options from a config's option table, so flags, env vars and --help come from one place.
import { Option, type Command } from 'commander';

export interface OptionTableEntry {
  key: string;
  flag: string;
  env: string;
  doc: string;
}

/** Adds every option and returns a function that maps parsed flags back to config keys (only those given). */
export function addOptionTable(command: Command, table: readonly OptionTableEntry[]): (opts: Record<string, unknown>) => Record<string, unknown> {
  const byAttribute = new Map<string, OptionTableEntry>();
  for (const entry of table) {
    const option = new Option(entry.flag, `${entry.doc} [env: ${entry.env}]`);
    byAttribute.set(option.attributeName(), entry);
    command.addOption(option);
  }
  return (opts) => {
    const out: Record<string, unknown> = {};
    for (const [attribute, value] of Object.entries(opts)) {
      const entry = byAttribute.get(attribute);
      if (!entry || value === undefined) continue;
      // commander turns `--no-x` into x=true by default; only an explicit --no-x means something.
      if (entry.flag.startsWith('--no-')) {
        if (value === false) out[entry.key] = true;
        continue;
      }
      out[entry.key] = value;
    }
    return out;
  };
}
