// The kubernetes probe kind through the real `eris coordinator --kubeconfig` and `eris run`, against a real
// kube-apiserver (with its own etcd, no kubelet, no controllers): a StatefulSet's status is patched with kubectl and
// the probe follows it; a missing object, an unknown cluster and bad specs give clear reasons.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../cli/exit.js';
import { startCliCoordinator, type CliCoordinator } from './harness/cli-coordinator.js';
import { waitFor } from './harness/processes.js';
import { testbedSkipReason } from './harness/requirements.js';
import { k8sSkipReason } from './harness/k8s.js';
import { startKubeApiServer, type KubeApiServer } from './harness/kube-apiserver.js';
import { assertBuilt, collect, runCli, spawnCli } from './cli-harness.js';

const TOKEN = 'kube-probe-token';
const STATEFULSET = `apiVersion: apps/v1
kind: StatefulSet
metadata: { name: etcd, namespace: db, labels: { app: etcd } }
spec:
  replicas: 3
  serviceName: etcd
  selector: { matchLabels: { app: etcd } }
  template:
    metadata: { labels: { app: etcd } }
    spec: { containers: [{ name: etcd, image: registry.k8s.io/etcd:3.5.0 }] }
`;

const skip = testbedSkipReason({ tools: ['etcd', 'openssl'], root: false }) ?? k8sSkipReason(['kube-apiserver', 'kubectl']);

describe('kubernetes probe', { skip }, () => {
  let kube: KubeApiServer | undefined;
  let coordinator: CliCoordinator | undefined;
  let dir: string;
  let auth: string[];

  const drill = (name: string, probe: Record<string, unknown>, steps: string) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `apiVersion: eris.dev/v1alpha1\nkind: Drill\nmetadata:\n  name: ${name}\nspec:\n  targets:\n    unused:\n      processes:\n        cmdline: eris-no-such-process\n  probes:\n    ready: ${JSON.stringify(probe)}\n  steps:\n${steps}`);
    return file;
  };
  const ready = (o: Record<string, unknown> = {}) => ({
    kubernetes: { cluster: 'lab', apiVersion: 'apps/v1', resource: 'statefulsets', namespace: 'db', name: 'etcd', ...o },
    jq: '.status.readyReplicas == 3',
    interval: '200ms',
  });
  const setReady = (n: number) => kube!.kubectl(['patch', 'statefulset', 'etcd', '-n', 'db', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { replicas: 3, readyReplicas: n } })]);

  before(async () => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'eris-probe-kube-'));
    kube = await startKubeApiServer('lab');
    kube.kubectl(['create', 'namespace', 'db']);
    kube.kubectl(['apply', '-f', '-'], STATEFULSET);
    coordinator = await startCliCoordinator(TOKEN, join(dir, 'data'), ['--kubeconfig', kube.kubeconfig]);
    auth = coordinator.auth;
  });

  after(async () => {
    await coordinator?.stop();
    await kube?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a wait step passes once the StatefulSet reports 3 ready replicas, and fails again when one is not', async () => {
    const started = Date.now();
    const run = collect(spawnCli(['run', drill('kube-ready', ready(), '    - wait: ready\n      until: pass\n      timeout: 30s\n'), '--json', ...auth]));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const patched = Date.now();
    setReady(3);
    const r = await run;
    assert.equal(r.code, EXIT.ok, `${r.stdout}\n${r.stderr}`);
    console.log(`# kubernetes probe: wait passed ${Date.now() - patched} ms after the status patch (run ${Date.now() - started} ms)`);

    setReady(2);
    const fails = await runCli(['run', drill('kube-unready', ready(), '    - probe: ready\n'), '--json', ...auth]);
    assert.equal(fails.code, EXIT.failed, `${fails.stdout}\n${fails.stderr}`);
    assert.match(fails.stdout + fails.stderr, /jq output false/);
    const list = await runCli(['run', drill('kube-list', { ...ready({ name: undefined, labelSelector: 'app=etcd' }), jq: '.items | length == 1' }, '    - probe: ready\n'), ...auth]);
    assert.equal(list.code, EXIT.ok, `${list.stdout}\n${list.stderr}`);
  });

  it('a missing object fails "not found: statefulsets db/nope"; an unknown cluster names the missing context', async () => {
    const missing = await runCli(['run', drill('kube-missing', ready({ name: 'nope' }), '    - probe: ready\n'), ...auth]);
    assert.equal(missing.code, EXIT.failed);
    assert.match(missing.stdout + missing.stderr, /not found: statefulsets db\/nope/);
    const unknown = await runCli(['run', drill('kube-unknown', ready({ cluster: 'elsewhere' }), '    - probe: ready\n'), ...auth]);
    // Refused by the coordinator like a probe-policy refusal: 422, an invalid drill for it → exit 1 (cli/exit.ts).
    assert.equal(unknown.code, EXIT.failed, unknown.stderr);
    assert.match(unknown.stderr, /ERIS_ERR_KUBE_CLUSTER|kubernetes\.cluster/);
    // Known when the drill is loaded: refused before anything runs, naming the field.
    assert.match(unknown.stdout + unknown.stderr, /spec\.probes\.ready\.kubernetes\.cluster: no API server for cluster "elsewhere": no context "elsewhere" in the coordinator's --kubeconfig \(contexts: lab\)/);
  });

  it('validate names the field; a kubeconfig with an exec plugin stops the coordinator naming --kubeconfig', async () => {
    const check = async (probe: Record<string, unknown>, message: RegExp) => {
      const r = await runCli(['validate', drill('kube-invalid', probe, '    - probe: ready\n')]);
      assert.equal(r.code, EXIT.failed, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout + r.stderr, message);
    };
    await check(ready({ name: 'Bad_Name' }), /spec\.probes\.ready\.kubernetes\.name: must be a Kubernetes name/);
    await check(ready({ resource: undefined }), /spec\.probes\.ready\.kubernetes\.resource/);
    await check(ready({ labelSelector: 'app=etcd' }), /spec\.probes\.ready\.kubernetes\.labelSelector: narrows a list/);
    await check({ ...ready(), url: 'http://127.0.0.1:1/' }, /spec\.probes\.ready\.kubernetes: give one of/);

    const bad = join(dir, 'exec-kubeconfig');
    writeFileSync(bad, 'apiVersion: v1\nkind: Config\nclusters: [{ name: lab, cluster: { server: "https://127.0.0.1:1" } }]\nusers: [{ name: u, user: { exec: { command: aws } } }]\ncontexts: [{ name: lab, context: { cluster: lab, user: u } }]\n');
    const r = await runCli(['coordinator', '--listen', '127.0.0.1:0', '--token', TOKEN, '--data-dir', join(dir, 'data2'), '--kubeconfig', bad]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /kubeconfig: .*exec or auth-provider plugin/);
  });
});
