// Turns SIGTERM, SIGINT and SIGHUP (a closed terminal, which would otherwise end the process with its faults still
// held) into an orderly shutdown (which resumes every fault), once.
import type { Logger } from '../lib/logger.js';

const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

export function runUntilSignal(logger: Logger, shutdown: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      shutdown()
        .catch((err: unknown) => logger.error({ err }, 'shutdown failed'))
        .finally(() => {
          for (const s of SHUTDOWN_SIGNALS) process.off(s, onSignal);
          resolve();
        });
    };
    for (const s of SHUTDOWN_SIGNALS) process.on(s, onSignal);
  });
}
