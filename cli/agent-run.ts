// What `eris agent` does once its flags are parsed: load the config, start the agent, run until a signal. Free of
// commander: both the lean entry (agent-main.ts) and the commander command (agent-command.ts) call it.
import { AGENT_OPTIONS, loadAgentConfig } from '../daemon/config.js';
import { startAgent } from '../daemon/agent.js';
import { createLogger } from '../lib/logger.js';
import { withFlagNames } from './flag-names.js';
import { runUntilSignal } from './lifecycle.js';
import { startupError } from './startup-error.js';

/** `given`: the config keys set on the command line (env vars are merged by loadAgentConfig). */
export async function runAgent(given: Record<string, unknown>): Promise<void> {
  const config = withFlagNames(AGENT_OPTIONS, () => loadAgentConfig(given));
  const logger = createLogger({ name: 'eris-agent', level: config.logLevel, format: config.logFormat });
  const agent = await startAgent(config, { logger }).catch((error: unknown) => {
    throw startupError(error, [{ value: config.stateDir, flag: '--state-dir', env: 'ERIS_AGENT_STATE_DIR' }], { value: String(config.listen), flag: '--listen', env: 'ERIS_AGENT_LISTEN' });
  });
  await runUntilSignal(logger, () => agent.close());
}
