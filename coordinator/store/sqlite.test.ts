import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ErisError } from '../../lib/errors.js';
import { MIGRATIONS, SqliteStore, userVersion } from './sqlite.js';
import { runStoreContract } from './store.contract.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'eris-store-'));
}

runStoreContract('SqliteStore (file)', () => {
  const dir = tempDir();
  const path = join(dir, 'nested', 'eris.db'); // the directory is created
  return {
    open: () => new SqliteStore({ path }),
    config: { kind: 'sqlite', path },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
});

runStoreContract('SqliteStore (synchronous: normal)', () => {
  const dir = tempDir();
  const path = join(dir, 'eris.db');
  return {
    open: () => new SqliteStore({ path, synchronous: 'normal' }),
    config: { kind: 'sqlite', path, synchronous: 'normal' },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('SqliteStore', () => {
  test('WAL mode, synchronous FULL by default, foreign keys on, schema at the latest version', () => {
    const dir = tempDir();
    try {
      const store = new SqliteStore({ path: join(dir, 'eris.db') });
      assert.deepEqual(store.schema, { from: 0, to: MIGRATIONS.length });
      store.close();
      const reopened = new SqliteStore({ path: join(dir, 'eris.db') });
      assert.deepEqual(reopened.schema, { from: MIGRATIONS.length, to: MIGRATIONS.length });
      reopened.close();
      const db = new DatabaseSync(join(dir, 'eris.db'));
      assert.equal(db.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
      assert.equal(userVersion(db), MIGRATIONS.length);
      assert.equal(db.prepare('PRAGMA integrity_check').get()?.integrity_check, 'ok');
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refuses a schema newer than it knows, and leaves it alone', () => {
    const dir = tempDir();
    try {
      const path = join(dir, 'eris.db');
      const db = new DatabaseSync(path);
      db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
      db.close();
      assert.throws(() => new SqliteStore({ path }), (e: unknown) => e instanceof ErisError && /newer than this coordinator/.test(e.message));
      const check = new DatabaseSync(path);
      assert.equal(userVersion(check), MIGRATIONS.length + 1);
      check.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(':memory: works (no WAL there) for throw-away use', () => {
    const store = new SqliteStore({ path: ':memory:' });
    store.createRun({ id: 'r', drillName: null, spec: {}, status: 'pending', createdAt: 1 });
    assert.equal(store.appendEvent('r', { at: 1, type: 'x', data: 1 }), 1);
    store.close();
  });

  test('two connections on one file: sequence numbers stay unique (the write lock covers read-max-and-insert)', () => {
    const dir = tempDir();
    try {
      const path = join(dir, 'eris.db');
      const a = new SqliteStore({ path, synchronous: 'normal' });
      const b = new SqliteStore({ path, synchronous: 'normal' });
      a.createRun({ id: 'r', drillName: null, spec: {}, status: 'running', createdAt: 1 });
      const seqs = Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).appendEvent('r', { at: i, type: 'x', data: i }));
      assert.deepEqual(seqs, seqs.map((_, i) => i + 1));
      a.close();
      b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
