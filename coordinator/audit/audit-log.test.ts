import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory.js';
import { silentLogger } from '../../lib/logger.js';
import { AuditLog } from './audit-log.js';
import type { Principal } from '../auth/roles.js';

const ops: Principal = { id: 'ops', secretHash: Buffer.alloc(32), roles: ['operator'] };
const legacy: Principal = { id: 'old', secretHash: Buffer.alloc(32), roles: ['operator', 'agent'] };

describe('AuditLog', () => {
  it('stores who (id, role), what, when and the result', () => {
    const store = new MemoryStore();
    let now = 1000;
    const audit = new AuditLog({ store, logger: silentLogger(), now: () => now });
    audit.record(ops, 'run.start', 'run-1', 'ok', { drill: 'etcd' });
    now = 2000;
    audit.record(legacy, 'fault.resume', 'f-1', 'failed');
    assert.deepEqual(store.listAudit(), [
      { seq: 2, at: 2000, actor: 'old', role: 'legacy', action: 'fault.resume', target: 'f-1', result: 'failed', details: null },
      { seq: 1, at: 1000, actor: 'ops', role: 'operator', action: 'run.start', target: 'run-1', result: 'ok', details: { drill: 'etcd' } },
    ]);
  });

  it('keeps at most 60 refusals a minute and counts the rest into the next one', () => {
    const store = new MemoryStore();
    let now = 0;
    const audit = new AuditLog({ store, logger: silentLogger(), now: () => now });
    for (let i = 0; i < 1000; i++) audit.refused(null, 'auth.refused', 'GET /v1/agents', { code: 'ERIS_ERR_UNAUTHORIZED' });
    assert.equal(store.listAudit().length, 60);
    now = 60_000;
    audit.refused(null, 'auth.refused', 'GET /v1/agents', { code: 'ERIS_ERR_UNAUTHORIZED' });
    assert.deepEqual(store.listAudit({ limit: 1 })[0]!.details, { code: 'ERIS_ERR_UNAUTHORIZED', suppressed: 940 });
    // Actions are never dropped, whatever the refusals did.
    audit.record(ops, 'fault.create', 'f', 'ok');
    assert.equal(store.listAudit({ action: 'fault.create' }).length, 1);
  });

  it('a failing store is logged, not thrown into the action', () => {
    const store = new MemoryStore();
    store.close();
    const audit = new AuditLog({ store, logger: silentLogger() });
    assert.doesNotThrow(() => audit.record(ops, 'drill.save', 'd', 'ok'));
  });
});
