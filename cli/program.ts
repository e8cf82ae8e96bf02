// Every `eris` subcommand, assembled into one commander program.
import { Command } from 'commander';
import { VERSION } from '../lib/version.js';
import { agentCommand } from './agent-command.js';
import { auditCommand } from './audit-command.js';
import { coordinatorCommand } from './coordinator-command.js';
import { addConnectionOptions } from './connection.js';
import { contextCommand } from './context-command.js';
import { demoCommand } from './demo/demo-command.js';
import { EXIT, exitTableText } from './exit.js';
import { agentsCommand, faultsCommand, targetsCommand } from './fleet-commands.js';
import { freezeCommand, killCommand, resumeCommand } from './fault-commands.js';
import { initCommand } from './init-command.js';
import { runCommand } from './run-command.js';
import { drillsCommand, runsCommand } from './runs-command.js';
import { schemaCommand } from './schema-command.js';
import { validateCommand } from './validate-command.js';

export { EXIT };

export function buildProgram(): Command {
  const program = new Command('eris')
    .description('chaos drills for stateful clusters: freeze, kill and resume containers from the node, watch with jq probes')
    .version(VERSION)
    .showHelpAfterError()
    .enablePositionalOptions()
    .exitOverride();
  addConnectionOptions(program);
  program.addHelpText('after', `\n${exitTableText()}`);
  program.addCommand(agentCommand());
  program.addCommand(coordinatorCommand());
  program.addCommand(demoCommand());
  program.addCommand(initCommand());
  program.addCommand(validateCommand());
  program.addCommand(runCommand());
  program.addCommand(runsCommand());
  program.addCommand(drillsCommand());
  program.addCommand(targetsCommand());
  program.addCommand(agentsCommand());
  program.addCommand(faultsCommand());
  program.addCommand(freezeCommand());
  program.addCommand(killCommand());
  program.addCommand(resumeCommand());
  program.addCommand(schemaCommand());
  program.addCommand(auditCommand());
  program.addCommand(contextCommand());
  // Every command that talks to a coordinator takes the connection options after its name too.
  const CLIENTS = new Set(['run', 'runs', 'drills', 'targets', 'agents', 'faults', 'freeze', 'kill', 'resume', 'audit']);
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

