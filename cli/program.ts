// Every `eris` subcommand, assembled into one commander program. Each command's module is imported only when that
// command runs (or for --help, which lists them all): `eris runs ls` does not load the coordinator's drill schema,
// jq or SQLite, and `eris --version` loads nothing (see main.ts and bench/cli-startup.bench.ts).
import { Command } from 'commander';
import { VERSION } from '../lib/version.js';
import { addConnectionOptions } from './connection.js';
import { EXIT, exitTableText } from './exit.js';

export { EXIT };

/** Top-level command name → its factories, imported on demand (several names may share a module). */
const COMMANDS: Record<string, () => Promise<Command[]>> = {
  agent: async () => [(await import('./agent-command.js')).agentCommand()],
  coordinator: async () => [(await import('./coordinator-command.js')).coordinatorCommand()],
  demo: async () => [(await import('./demo/demo-command.js')).demoCommand()],
  init: async () => [(await import('./init-command.js')).initCommand()],
  validate: async () => [(await import('./validate-command.js')).validateCommand()],
  run: async () => [(await import('./run-command.js')).runCommand()],
  runs: async () => [(await import('./runs-command.js')).runsCommand()],
  drills: async () => [(await import('./runs-command.js')).drillsCommand()],
  targets: async () => [(await import('./fleet-commands.js')).targetsCommand()],
  agents: async () => [(await import('./fleet-commands.js')).agentsCommand()],
  faults: async () => [(await import('./fleet-commands.js')).faultsCommand()],
  freeze: async () => [(await import('./fault-commands.js')).freezeCommand()],
  kill: async () => [(await import('./fault-commands.js')).killCommand()],
  resume: async () => [(await import('./fault-commands.js')).resumeCommand()],
  schema: async () => [(await import('./schema-command.js')).schemaCommand()],
  audit: async () => [(await import('./audit-command.js')).auditCommand()],
  context: async () => [(await import('./context-command.js')).contextCommand()],
};

/** Every command that talks to a coordinator takes the connection options after its name too. */
const CLIENTS = new Set(['run', 'runs', 'drills', 'targets', 'agents', 'faults', 'freeze', 'kill', 'resume', 'audit']);

/** Global options that take a value (to find the command name after them). */
const VALUED = new Set(['--coordinator', '--token', '--token-file', '--context']);

/** The command `argv` names (`eris --coordinator URL runs ls` → runs), or null for --help, --version, nothing or an unknown name. */
export function commandName(argv: readonly string[]): string | null {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!;
    if (VALUED.has(a)) i++;
    else if (!a.startsWith('-')) return Object.hasOwn(COMMANDS, a) ? a : null;
    else if (!a.includes('=') && !VALUED.has(a.split('=')[0]!) && a !== '--') return null;
  }
  return null;
}

/** The program with every command, or with only `only` (the one that runs; the others are never imported). */
export async function buildProgram(only: string | null = null): Promise<Command> {
  const program = new Command('eris')
    .description('chaos drills for stateful clusters: freeze, kill and resume containers from the node, watch with jq probes')
    .version(VERSION)
    .showHelpAfterError()
    .enablePositionalOptions()
    .exitOverride();
  addConnectionOptions(program);
  program.addHelpText('after', `\n${exitTableText()}`);
  const names = only !== null ? [only] : Object.keys(COMMANDS);
  for (const name of names) for (const c of await COMMANDS[name]!()) program.addCommand(c);
  const leaves = (c: Command): Command[] => (c.commands.length === 0 ? [c] : c.commands.flatMap(leaves));
  for (const c of program.commands) if (CLIENTS.has(c.name())) leaves(c).forEach(addConnectionOptions);
  // Subcommands exit through main(), like the program itself (commander would call process.exit).
  const override = (c: Command) => {
    c.exitOverride();
    c.showHelpAfterError();
    c.commands.forEach(override);
  };
  override(program);
  return program;
}
