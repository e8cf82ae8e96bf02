// `eris agent`: runs the node agent until SIGTERM/SIGINT, resuming every fault before it exits.
import { Command } from 'commander';
import { VERSION } from '../lib/version.js';
import { AGENT_OPTIONS, loadAgentConfig } from '../daemon/config.js';
import { startAgent } from '../daemon/agent.js';
import { createLogger } from '../lib/logger.js';
import { addOptionTable, withFlagNames } from './options.js';
import { runUntilSignal } from './lifecycle.js';
import { startupError } from './startup-error.js';

export function agentCommand(): Command {
  const command = new Command('agent').description('run eris-agent: finds containers through CRI and freezes, kills and resumes them');
  const toConfig = addOptionTable(command, AGENT_OPTIONS);
  command.action(async (opts: Record<string, unknown>) => {
    const config = withFlagNames(AGENT_OPTIONS, () => loadAgentConfig(toConfig(opts)));
    const logger = createLogger({ name: 'eris-agent', level: config.logLevel, format: config.logFormat });
    const agent = await startAgent(config, { logger }).catch((error: unknown) => {
      throw startupError(error, [{ value: config.stateDir, flag: '--state-dir', env: 'ERIS_AGENT_STATE_DIR' }], { value: String(config.listen), flag: '--listen', env: 'ERIS_AGENT_LISTEN' });
    });
    await runUntilSignal(logger, () => agent.close());
  });
  return command;
}

/** A program holding only `agent`, for `eris agent …` (see main.ts). */
export function agentProgram(): Command {
  const program = new Command('eris').version(VERSION).showHelpAfterError().exitOverride();
  const agent = agentCommand().exitOverride().showHelpAfterError();
  program.addCommand(agent);
  return program;
}
