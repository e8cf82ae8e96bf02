// `eris coordinator`: runs the coordinator until SIGTERM/SIGINT; active runs are aborted and resumed first.
import { Command } from 'commander';
import { COORDINATOR_OPTIONS, loadCoordinatorConfig } from '../coordinator/config.js';
import { createLogger } from '../lib/logger.js';
import { addOptionTable, withFlagNames } from './options.js';
import { runUntilSignal } from './lifecycle.js';
import { startupError } from './startup-error.js';

export function coordinatorCommand(): Command {
  const command = new Command('coordinator').description('run eris-coordinator: agents dial in; drills, runs and the API live here');
  const toConfig = addOptionTable(command, COORDINATOR_OPTIONS);
  command.action(async (opts: Record<string, unknown>) => {
    const config = withFlagNames(COORDINATOR_OPTIONS, () => loadCoordinatorConfig(toConfig(opts)));
    const logger = createLogger({ name: 'eris-coordinator', level: config.logLevel, format: config.logFormat });
    // Loaded here, not at the top: `eris agent` must not carry SQLite, jq and Swagger UI in its memory.
    const { startCoordinator } = await import('../coordinator/server.js');
    const coordinator = await startCoordinator(config, { logger }).catch((error: unknown) => {
      throw startupError(error, [{ value: config.dataDir, flag: '--data-dir', env: 'ERIS_DATA_DIR' }], { value: String(config.listen), flag: '--listen', env: 'ERIS_COORDINATOR_LISTEN' });
    });
    await runUntilSignal(logger, () => coordinator.close());
  });
  return command;
}
