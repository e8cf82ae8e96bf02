import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { targetName } from './target-name.js';

describe('targetName', () => {
  const place = { node: 'node-1', namespace: '', pod: 'pid-913', container: '/usr/bin/etcd' };
  it('a container: namespace/pod (container) on node', () => {
    assert.equal(targetName({ node: 'node-1', namespace: 'default', pod: 'etcd-0', container: 'etcd', kind: 'container', labels: { app: 'etcd' } }), 'default/etcd-0 (etcd) on node-1');
  });
  it('a host process: its name label, else its first label, else command and pid', () => {
    assert.equal(targetName({ ...place, kind: 'process', pid: 913, labels: { 'data-dir': '/d', name: 'm0' } }), 'name=m0 (pid 913) on node-1');
    assert.equal(targetName({ ...place, kind: 'process', pid: 913, labels: { 'data-dir': '/d' } }), 'data-dir=/d (pid 913) on node-1');
    assert.equal(targetName({ ...place, kind: 'process', pid: 913, labels: {} }), 'etcd pid 913 on node-1');
    assert.equal(targetName({ ...place, kind: 'process' }), 'etcd pid 913 on node-1');
  });
});
