// A coordinator process for bench/coordinator-probes.bench.ts: what `eris coordinator` runs (startCoordinator, info
// logs as JSON on stdout), but with the store chosen on the command line, so the benchmark can compare the default
// SQLite store with the in-memory one under the same probe burst. Not a benchmark itself.
// Run: node --import tsx bench/coordinator-probes-host.ts LISTEN TOKEN DATA_DIR [STORE_PATH|:memory:]
import { loadCoordinatorConfig } from '../coordinator/config.js';
import { startCoordinator } from '../coordinator/server.js';
import { createLogger } from '../lib/logger.js';

const [listen, token, dataDir, storePath] = process.argv.slice(2);
if (!listen || !token || !dataDir) {
  console.error('usage: coordinator-probes-host.ts LISTEN TOKEN DATA_DIR [STORE_PATH|:memory:]');
  process.exit(2);
}
const logger = createLogger({ name: 'eris-coordinator', level: 'info' });
const coordinator = await startCoordinator(loadCoordinatorConfig({ listen, token, dataDir, ...(storePath ? { storePath } : {}) }, {}), { logger });
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void coordinator.close().finally(() => process.exit(0));
  });
}
