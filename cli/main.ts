// The `eris` command: one executable, one subcommand per job.
import { CommanderError, type Command } from 'commander';
import { isErisError } from '../lib/errors.js';
import { ErisApiError } from '../sdk/client.js';
import { CliExit, EXIT, exitCodeForError, UsageError } from './exit.js';

/**
 * `eris agent` runs on every node for weeks: it loads only its own command, not the CLI's and the coordinator's
 * modules (SQLite, jq, YAML, Swagger UI), which would cost every node memory for nothing.
 */
async function program(argv: string[]): Promise<Command> {
  if (argv[2] === 'agent') {
    const { agentProgram } = await import('./agent-command.js');
    return agentProgram();
  }
  const { buildProgram, commandName } = await import('./program.js');
  return buildProgram(commandName(argv));
}

async function main(argv: string[]): Promise<number> {
  // Answered before any command is loaded: scripts and shells call it often.
  if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
    const { VERSION } = await import('../lib/version.js');
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  try {
    await (await program(argv)).parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CliExit) return error.code;
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof UsageError) {
      process.stderr.write(`eris: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof ErisApiError) {
      process.stderr.write(`eris: ${error.code}: ${error.message}${error.path && !error.message.includes(error.path) ? ` (at ${error.path})` : ''}\n`);
      if (error.status === 401) process.stderr.write('eris: give a token: --token-file FILE, ERIS_TOKEN_FILE, --token or a context (eris context --help)\n');
      return exitCodeForError(error.code, error.status);
    }
    if (isErisError(error)) {
      process.stderr.write(`eris: ${error.code}: ${error.message}\n`);
      return exitCodeForError(error.code, error.status);
    }
    process.stderr.write(`eris: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.failed;
  }
}

process.exitCode = await main(process.argv);
