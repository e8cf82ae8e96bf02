import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeconfig } from '../../lib/kube/kubeconfig.js';
import { connectionToken } from '../../lib/kube/in-cluster.js';
import { kubernetesFailure, kubernetesRequest } from './kubernetes.js';
import { parseProbeSpec, renderProbe } from './spec.js';

describe('kubernetes probe kind', () => {
  it('builds API paths: core and grouped, namespaced and cluster-scoped, object and list', () => {
    assert.equal(kubernetesRequest({ cluster: 'lab', apiVersion: 'apps/v1', resource: 'statefulsets', namespace: 'db', name: 'etcd' }).path, '/apis/apps/v1/namespaces/db/statefulsets/etcd');
    assert.equal(kubernetesRequest({ cluster: 'lab', apiVersion: 'v1', resource: 'pods', namespace: 'db', labelSelector: 'app=etcd' }).path, '/api/v1/namespaces/db/pods?labelSelector=app%3Detcd');
    assert.equal(kubernetesRequest({ cluster: 'lab', apiVersion: 'v1', resource: 'nodes' }).path, '/api/v1/nodes');
    assert.equal(kubernetesFailure(404, '{}', 'statefulsets db/etcd'), 'not found: statefulsets db/etcd');
    assert.equal(kubernetesFailure(403, '{"kind":"Status","message":"forbidden: no"}', 'x'), 'kubernetes: status 403: forbidden: no');
  });

  it('takes the cluster from the target, else requires it naming the field', () => {
    const spec = parseProbeSpec({ kubernetes: { apiVersion: 'v1', resource: 'pods', namespace: '{{target.namespace}}', name: '{{target.pod}}' } });
    const rendered = renderProbe(spec, { cluster: 'lab', namespace: 'db', pod: 'etcd-0' });
    assert.deepEqual(rendered.kubernetes, { cluster: 'lab', path: '/api/v1/namespaces/db/pods/etcd-0', what: 'pods db/etcd-0' });
    const bare = parseProbeSpec({ kubernetes: { apiVersion: 'v1', resource: 'nodes' } });
    assert.throws(() => renderProbe(bare, null, 'spec.probes.n'), { path: 'spec.probes.n.kubernetes.cluster' });
  });

  it('reads a kubeconfig: inline data, files relative to it, tokenFile; refuses exec plugins naming kubeconfig', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eris-kubeconfig-'));
    try {
      writeFileSync(join(dir, 'ca.crt'), 'CA');
      writeFileSync(join(dir, 'token'), 'secret\n');
      const file = join(dir, 'config');
      writeFileSync(file, [
        'clusters: [{ name: a, cluster: { server: "https://a:6443/", certificate-authority: ca.crt } }, { name: b, cluster: { server: "https://b", insecure-skip-tls-verify: true } }]',
        'users: [{ name: t, user: { tokenFile: token } }, { name: c, user: { client-certificate-data: Q0VSVA==, client-key-data: S0VZ } }]',
        'contexts: [{ name: lab, context: { cluster: a, user: t } }, { name: prod, context: { cluster: b, user: c } }]',
      ].join('\n'));
      const kube = loadKubeconfig(file);
      assert.deepEqual(kube.get('lab'), { context: 'lab', server: 'https://a:6443', insecureSkipVerify: false, ca: Buffer.from('CA'), tokenFile: join(dir, 'token') });
      assert.equal(connectionToken(kube.get('lab')!), 'secret');
      writeFileSync(join(dir, 'token'), 'rotated\n');
      assert.equal(connectionToken(kube.get('lab')!), 'rotated', 'read again on every request');
      assert.deepEqual(kube.get('prod'), { context: 'prod', server: 'https://b', insecureSkipVerify: true, cert: Buffer.from('CERT'), key: Buffer.from('KEY') });
      writeFileSync(file, 'clusters: [{ name: a, cluster: { server: "https://a" } }]\nusers: [{ name: u, user: { exec: { command: aws } } }]\ncontexts: [{ name: lab, context: { cluster: a, user: u } }]\n');
      assert.throws(() => loadKubeconfig(file), { code: 'ERIS_ERR_CONFIG', path: 'kubeconfig', message: /exec or auth-provider plugin/ });
      assert.throws(() => loadKubeconfig(join(dir, 'missing')), { path: 'kubeconfig', message: /ENOENT/ });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
