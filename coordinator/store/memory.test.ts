import { createMemoryStoreState, MemoryStore } from './memory.js';
import { runStoreContract } from './store.contract.js';

runStoreContract('MemoryStore', () => {
  const state = createMemoryStoreState();
  return { open: () => new MemoryStore({ state }), cleanup: () => {} };
}, { durable: false });
