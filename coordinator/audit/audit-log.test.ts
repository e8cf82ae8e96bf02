import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory.js';
import { silentLogger } from '../../lib/logger.js';
import { AuditLog } from './audit-log.js';
import { loadCoordinatorConfig } from '../config.js';
import { ConfigError } from '../../lib/errors.js';
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

  it('keeps the trail within its retention bound: by age, and by count (applied every 100 records and at start)', () => {
    const store = new MemoryStore();
    let now = 0;
    const day = 86_400_000;
    // A trail written over 10 days, then a coordinator started with a 3-day, 500-record bound.
    const before = new AuditLog({ store, logger: silentLogger(), now: () => now });
    for (let i = 0; i < 1000; i++) {
      now = i * (10 * day / 1000);
      before.record(ops, 'fault.create', `f-${i}`, 'ok');
    }
    assert.equal(store.listAudit().length, 1000, 'no bound: everything kept');
    now = 10 * day;
    const audit = new AuditLog({ store, logger: silentLogger(), now: () => now, retention: { days: 3, maxRecords: 500 } });
    const left = store.listAudit();
    assert.equal(left.length, 300, 'the last 3 days: 300 records');
    assert.ok(left.every((r) => r.at >= 7 * day));
    // By count: 1,000 more in an instant leave at most 500 (+ fewer than 100 since the last pruning).
    for (let i = 0; i < 1000; i++) audit.record(ops, 'fault.resume', `r-${i}`, 'ok');
    const n = store.listAudit().length;
    assert.ok(n >= 500 && n < 600, `${n} records`);
    assert.equal(store.listAudit({ limit: 1 })[0]!.target, 'r-999', 'the newest kept');
    assert.equal(audit.prune(), n - 500);
    assert.equal(store.listAudit().length, 500);
  });
});

describe('audit retention configuration', () => {
  it('defaults to 90 days and 1,000,000 records; a bad bound stops the start naming the option', () => {
    const config = loadCoordinatorConfig({}, {});
    assert.equal(config.auditRetentionDays, 90);
    assert.equal(config.auditMaxRecords, 1_000_000);
    assert.equal(loadCoordinatorConfig({}, { ERIS_AUDIT_RETENTION_DAYS: '0', ERIS_AUDIT_MAX_RECORDS: '5000' }).auditMaxRecords, 5000);
    for (const [options, field] of [
      [{ auditRetentionDays: '-1' }, 'auditRetentionDays'],
      [{ auditRetentionDays: 'forever' }, 'auditRetentionDays'],
      [{ auditMaxRecords: '10' }, 'auditMaxRecords'],
      [{ auditMaxRecords: '1.5' }, 'auditMaxRecords'],
    ] as const) {
      assert.throws(() => loadCoordinatorConfig(options, {}), (e: unknown) => e instanceof ConfigError && e.message.startsWith(`${field}:`), JSON.stringify(options));
    }
  });
});
