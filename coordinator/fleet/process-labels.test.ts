import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cmdlineLabels } from './process-labels.js';

describe('labels from a command line', () => {
  it('reads --flag value and --flag=value, and the port of URL values', () => {
    const labels = cmdlineLabels(['/usr/bin/etcd', '--name', 'm0', '--data-dir=/var/lib/etcd', '--listen-client-urls', 'http://127.0.0.1:2379,http://10.0.0.1:2379', '--debug', '-v']);
    assert.equal(labels.name, 'm0');
    assert.equal(labels['data-dir'], '/var/lib/etcd');
    assert.equal(labels['listen-client-urls.port'], '2379');
    assert.equal(labels['listen-client-urls.host'], '127.0.0.1');
    assert.equal(labels.debug, undefined);
  });
});
