// The agent's API server from --kube-in-cluster (service-account files + KUBERNETES_SERVICE_HOST/PORT) or
// --kubeconfig (its first context); errors name the agent's field.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../lib/errors.js';
import { connectionToken } from '../../lib/kube/in-cluster.js';
import { agentKubeConnection } from './connection.js';

describe('agent kube connection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eris-agent-kube-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is none without a flag', () => {
    assert.equal(agentKubeConnection({ kubeInCluster: false }, {}), undefined);
  });

  it('in cluster: the service-account token (re-read per request) and CA, the service host and port', () => {
    writeFileSync(join(dir, 'token'), 'sa-token\n');
    writeFileSync(join(dir, 'ca.crt'), 'CA');
    const env = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443', ERIS_KUBE_SERVICE_ACCOUNT_DIR: dir };
    const kube = agentKubeConnection({ kubeInCluster: true }, env)!;
    assert.equal(kube.server, 'https://10.0.0.1:443');
    assert.equal(connectionToken(kube), 'sa-token');
    assert.throws(() => agentKubeConnection({ kubeInCluster: true }, {}), (e: ConfigError) => e.path === 'kubeInCluster' && /^kubeInCluster: KUBERNETES_SERVICE_HOST/.test(e.message));
  });

  it('kubeconfig: its first context; a file it cannot use names kubeconfig', () => {
    const file = join(dir, 'kubeconfig');
    writeFileSync(file, 'clusters: [{ name: a, cluster: { server: "https://a:6443/" } }, { name: b, cluster: { server: "https://b" } }]\nusers: [{ name: u, user: { token: t } }]\ncontexts: [{ name: first, context: { cluster: a, user: u } }, { name: second, context: { cluster: b, user: u } }]\n');
    assert.equal(agentKubeConnection({ kubeInCluster: false, kubeconfig: file }, {})!.server, 'https://a:6443');
    assert.throws(() => agentKubeConnection({ kubeInCluster: false, kubeconfig: join(dir, 'missing') }, {}), (e: ConfigError) => e.path === 'kubeconfig');
  });
});
