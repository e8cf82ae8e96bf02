// The `eris` command: one executable, one subcommand per job.
import { Command, CommanderError } from 'commander';
import { isErisError } from '../lib/errors.js';
import { VERSION } from '../lib/version.js';
import { agentCommand } from './agent-command.js';
import { coordinatorCommand } from './coordinator-command.js';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export function buildProgram(): Command {
  const program = new Command('eris')
    .description('chaos drills for stateful clusters: freeze, kill and resume containers from the node, watch with jq probes')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(agentCommand());
  program.addCommand(coordinatorCommand());
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (isErisError(error)) {
      process.stderr.write(`eris: ${error.code}: ${error.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`eris: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.failed;
  }
}

process.exitCode = await main(process.argv);
