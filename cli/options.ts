// Builds commander options from a config's option table, so flags, env vars and --help come from one place.
import { Option, type Command } from 'commander';
import type { OptionTableEntry } from './flag-names.js';
export { withFlagNames, type OptionTableEntry } from './flag-names.js';

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

/** The pick flags as commander parses them (addPickOptions). */
export interface PickFlags {
  count?: string;
  percent?: string;
  spread?: 'node' | 'zone';
  pack?: 'node' | 'zone';
}

/** How many of the matches to pick and from which domains: the flags `eris init` and `eris freeze|kill` share; `countDoc` is --count's help. */
export function addPickOptions(command: Command, countDoc: string): Command {
  return command
    .option('--count <n>', countDoc)
    .option('--percent <p>', 'or which share of the matches, 1..100')
    .addOption(new Option('--spread <key>', 'pick across as many domains as possible').choices(['node', 'zone']))
    .addOption(new Option('--pack <key>', 'pick from as few domains as possible').choices(['node', 'zone']));
}
