// `eris agent` through commander: its --help, and its flag errors (the lean entry, agent-main.ts, hands both here).
import { Command } from 'commander';
import { VERSION } from '../lib/version.js';
import { AGENT_OPTIONS } from '../daemon/config.js';
import { addOptionTable } from './options.js';
import { runAgent } from './agent-run.js';

export function agentCommand(): Command {
  const command = new Command('agent').description('run eris-agent: finds containers through CRI and freezes, kills and resumes them');
  const toConfig = addOptionTable(command, AGENT_OPTIONS);
  command.action((opts: Record<string, unknown>) => runAgent(toConfig(opts)));
  return command;
}

/** A program holding only `agent`, for `eris agent …` (see main.ts). */
export function agentProgram(): Command {
  const program = new Command('eris').version(VERSION).showHelpAfterError().exitOverride();
  const agent = agentCommand().exitOverride().showHelpAfterError();
  program.addCommand(agent);
  return program;
}
