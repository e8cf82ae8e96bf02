// The run store: drills, runs and their event logs. SQLite by default; MemoryStore for tests.
import { MemoryStore } from './memory.js';
import { SqliteStore, type SynchronousMode } from './sqlite.js';
import type { Store } from './types.js';

export * from './types.js';
export { MemoryStore, createMemoryStoreState } from './memory.js';
export type { MemoryStoreOptions, MemoryStoreState } from './memory.js';
export { SqliteStore, MIGRATIONS, SYNCHRONOUS_MODES, migrate } from './sqlite.js';
export type { SqliteStoreOptions, SynchronousMode } from './sqlite.js';

export type StoreConfig = { kind: 'sqlite'; path: string; synchronous?: SynchronousMode } | { kind: 'memory' };

/** Opens the store a configuration names. */
export function createStore(config: StoreConfig): Store {
  return config.kind === 'memory' ? new MemoryStore() : new SqliteStore(config);
}
