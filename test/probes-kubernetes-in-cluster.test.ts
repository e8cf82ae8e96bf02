// `eris coordinator --kube-in-cluster lab` against a real kube-apiserver, as from a pod: a fake service-account
// directory (ERIS_KUBE_SERVICE_ACCOUNT_DIR, the documented test seam) holds a real TokenRequest token for a
// ServiceAccount with get/list on statefulsets only, and the apiserver's CA; KUBERNETES_SERVICE_HOST/PORT point at it.
// The token file is rewritten while the coordinator runs (as the kubelet does when a projected token rotates).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../cli/exit.js';
import { startCliCoordinator, type CliCoordinator } from './harness/cli-coordinator.js';
import { waitFor } from './harness/processes.js';
import { testbedSkipReason } from './harness/requirements.js';
import { k8sSkipReason } from './harness/k8s.js';
import { startKubeApiServer, type KubeApiServer } from './harness/kube-apiserver.js';
import { assertBuilt, collect, runCli, spawnCli } from './cli-harness.js';

const TOKEN = 'kube-in-cluster-token';
const RBAC = `apiVersion: v1
kind: ServiceAccount
metadata: { name: eris-coordinator, namespace: db }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: eris-probes, namespace: db }
rules: [{ apiGroups: [apps], resources: [statefulsets], verbs: [get, list] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: eris-probes, namespace: db }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: eris-probes }
subjects: [{ kind: ServiceAccount, name: eris-coordinator, namespace: db }]
`;
const STATEFULSET = `apiVersion: apps/v1
kind: StatefulSet
metadata: { name: etcd, namespace: db }
spec:
  replicas: 3
  serviceName: etcd
  selector: { matchLabels: { app: etcd } }
  template:
    metadata: { labels: { app: etcd } }
    spec: { containers: [{ name: etcd, image: registry.k8s.io/etcd:3.5.0 }] }
`;

const skip = testbedSkipReason({ tools: ['etcd', 'openssl'], root: false }) ?? k8sSkipReason(['kube-apiserver', 'kubectl']);

describe('kubernetes probe, in-cluster service account', { skip }, () => {
  let kube: KubeApiServer | undefined;
  let coordinator: CliCoordinator | undefined;
  let dir: string;
  let sa: string;
  let env: Record<string, string>;
  let auth: string[];

  const drill = (name: string, probe: Record<string, unknown>) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `apiVersion: eris.dev/v1alpha1\nkind: Drill\nmetadata:\n  name: ${name}\nspec:\n  targets:\n    unused:\n      processes:\n        cmdline: eris-no-such-process\n  probes:\n    ready: ${JSON.stringify(probe)}\n  steps:\n    - probe: ready\n`);
    return file;
  };
  const ready = (o: Record<string, unknown> = {}) => ({
    kubernetes: { cluster: 'lab', apiVersion: 'apps/v1', resource: 'statefulsets', namespace: 'db', name: 'etcd', ...o },
    jq: '.status.readyReplicas == 3',
  });
  const newToken = () => kube!.kubectl(['create', 'token', 'eris-coordinator', '-n', 'db', '--duration', '10m']).trim();

  before(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'eris-kube-in-cluster-'));
    kube = await startKubeApiServer('lab');
    kube.kubectl(['create', 'namespace', 'db']);
    kube.kubectl(['apply', '-f', '-'], RBAC + '---\n' + STATEFULSET);
    kube.kubectl(['patch', 'statefulset', 'etcd', '-n', 'db', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { replicas: 3, readyReplicas: 3 } })]);
    sa = join(dir, 'serviceaccount');
    mkdirSync(sa);
    writeFileSync(join(sa, 'token'), newToken());
    copyFileSync(kube.caFile, join(sa, 'ca.crt'));
    const server = new URL(kube.server);
    env = { KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port, ERIS_KUBE_SERVICE_ACCOUNT_DIR: sa };
    coordinator = await startCliCoordinator(TOKEN, join(dir, 'data'), ['--kube-in-cluster', 'lab'], env);
    auth = coordinator.auth;
  });

  after(async () => {
    await coordinator?.stop();
    await kube?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the StatefulSet with the service-account token; only what the Role grants', async () => {
    const ok = await runCli(['run', drill('in-cluster-ready', ready()), ...auth]);
    assert.equal(ok.code, EXIT.ok, `${ok.stdout}\n${ok.stderr}`);
    const denied = await runCli(['run', drill('in-cluster-pods', { ...ready({ apiVersion: 'v1', resource: 'pods', name: 'etcd-0' }), jq: 'true' }), ...auth]);
    assert.equal(denied.code, EXIT.failed);
    assert.match(denied.stdout + denied.stderr, /403|forbidden/i);
  });

  it('re-reads the token file: a rotated token is used on the next request without a restart', async () => {
    writeFileSync(join(sa, 'token'), 'expired-or-garbage');
    const stale = await runCli(['run', drill('in-cluster-stale', ready()), ...auth]);
    assert.equal(stale.code, EXIT.failed);
    assert.match(stale.stdout + stale.stderr, /401|unauthorized/i);
    writeFileSync(join(sa, 'token'), newToken());
    const rotated = await runCli(['run', drill('in-cluster-rotated', ready()), ...auth]);
    assert.equal(rotated.code, EXIT.ok, `${rotated.stdout}\n${rotated.stderr}`);
  });

  it('a missing mount or environment stops the coordinator with one line naming --kube-in-cluster', async () => {
    const start = (extra: Record<string, string | undefined>, args: string[] = ['--kube-in-cluster', 'lab']) =>
      runCli(['coordinator', '--listen', '127.0.0.1:0', '--token', TOKEN, '--data-dir', join(dir, 'data-bad'), ...args], { env: { ...env, ...extra }, timeoutMs: 20_000 });
    const noEnv = await start({ KUBERNETES_SERVICE_HOST: undefined });
    assert.equal(noEnv.code, EXIT.usage, noEnv.stderr);
    assert.match(noEnv.stderr, /--kube-in-cluster: lab: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set/);
    const noMount = await start({ ERIS_KUBE_SERVICE_ACCOUNT_DIR: join(dir, 'nowhere') });
    assert.equal(noMount.code, EXIT.usage, noMount.stderr);
    assert.match(noMount.stderr, /--kube-in-cluster: lab: .*ENOENT.*token/);
    const both = await start({}, ['--kube-in-cluster', 'lab', '--kubeconfig', kube!.kubeconfig]);
    assert.equal(both.code, EXIT.usage, both.stderr);
    assert.match(both.stderr, /--kube-in-cluster: lab: the --kubeconfig has a context of that name too/);
    for (const r of [noEnv, noMount, both]) assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
});
