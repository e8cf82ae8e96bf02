import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSecretKey, redactArgv, redactCmdline, redactLabels } from './redact.js';

describe('redaction of command lines and labels', () => {
  it('knows secret-looking keys, and leaves the rest', () => {
    for (const key of ['password', 'db-password', 'PASSWORD', 'passwd', 'pwd', 'secret', 'client_secret', 'token', 'auth-token', 'api-key', 'apiKey', 'API_KEY', 'AWS_SECRET_ACCESS_KEY', 'private-key', 'credentials', 'auth', 'bearer', 'sessionKey', 'initial-cluster-token', 'requirepass', 'PGPASSWORD', 'authToken']) {
      assert.equal(isSecretKey(key), true, key);
    }
    for (const key of ['port', 'name', 'listen-client-urls', 'data-dir', 'author', 'passes', 'tokenizer', 'keyspace', 'passive']) assert.equal(isSecretKey(key), false, key);
  });

  it('masks flag values, env-style arguments and URL passwords', () => {
    assert.deepEqual(redactArgv(['mysqld', '--password=TOPSECRET123', '--port', '3306', '--db-password', 'hunter2', '--token', '--verbose']), [
      'mysqld', '--password=***', '--port', '3306', '--db-password', '***', '--token', '--verbose',
    ]);
    assert.deepEqual(redactArgv(['env', 'PGPASSWORD=x', 'API_KEY=abc', 'PATH=/bin', 'app', '--dsn', 'postgres://app:s3cret@db:5432/x']), [
      'env', 'PGPASSWORD=***', 'API_KEY=***', 'PATH=/bin', 'app', '--dsn', 'postgres://app:***@db:5432/x',
    ]);
    assert.equal(redactCmdline('etcd --name m1 --initial-cluster-token tok-123 --listen-client-urls http://127.0.0.1:2379'), 'etcd --name m1 --initial-cluster-token *** --listen-client-urls http://127.0.0.1:2379');
  });

  it('masks labels with secret-looking keys', () => {
    assert.deepEqual(redactLabels({ password: 'TOPSECRET123', port: '9001', 'dsn': 'redis://:pw@cache:6379', 'auth.token': 'x' }), {
      password: '***', port: '9001', dsn: 'redis://:***@cache:6379', 'auth.token': '***',
    });
  });
});
