// `eris agent …`, entered straight from bin/eris.js: it runs on every node for weeks, and commander alone (the first
// CommonJS package, which brings Node's CommonJS loader) costs it ~7 MiB resident (issue 14). Its flags come from the
// same option table through node:util parseArgs; --help, and any command line parseArgs refuses, go to commander
// (main.ts) so the help text and the flag errors stay the CLI's own.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isErisError } from '../lib/errors.js';
import { AGENT_OPTIONS } from '../daemon/config.js';
import { EXIT, exitCodeForError, UsageError } from './exit.js';
import { runAgent } from './agent-run.js';

/** The config keys the command line sets, or undefined when commander should answer (help, a flag error). */
function agentFlags(args: readonly string[]): Record<string, unknown> | undefined {
  if (args.includes('--help') || args.includes('-h')) return undefined;
  const options: NonNullable<ParseArgsConfig['options']> = {};
  const keys = new Map<string, string>();
  for (const { key, flag } of AGENT_OPTIONS) {
    const [name, arg] = flag.replace(/^--/, '').split(' ');
    options[name!] = { type: arg === undefined ? 'boolean' : 'string' };
    keys.set(name!, key);
  }
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }));
  } catch {
    return undefined;
  }
  const given: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) if (value !== undefined) given[keys.get(name)!] = value;
  return given;
}

async function run(given: Record<string, unknown>): Promise<number> {
  try {
    await runAgent(given);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`eris: ${error.message}\n`);
      return EXIT.usage;
    }
    if (isErisError(error)) {
      process.stderr.write(`eris: ${error.code}: ${error.message}\n`);
      return exitCodeForError(error.code, error.status);
    }
    process.stderr.write(`eris: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.failed;
  }
}

const given = agentFlags(process.argv.slice(3));
if (given === undefined) await import('./main.js');
else process.exitCode = await run(given);
