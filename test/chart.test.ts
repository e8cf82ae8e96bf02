// The Helm chart: every value a template reads exists, every flag it passes is one the binary knows; and with the
// test bed's helm (scripts/testbed/k8s/build.sh), it lints, renders for each runtime, and its values schema rejects
// bad values naming the field. test/k8s/cluster.test.ts installs it on a real node.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { parse, parseAllDocuments } from 'yaml';
import { principalsFrom } from '../coordinator/auth/tokens-file.js';
import { run } from './harness/containerd.js';
import { k8sBinDir, k8sSkipReason } from './harness/k8s.js';
import { AGENT_OPTIONS } from '../daemon/config.js';
import { COORDINATOR_OPTIONS } from '../coordinator/config.js';

const CHART = fileURLToPath(new URL('../charts/eris/', import.meta.url));
const templates = readdirSync(join(CHART, 'templates')).map((f) => ({ name: f, text: readFileSync(join(CHART, 'templates', f), 'utf8') }));
const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;

function has(obj: unknown, path: string[]): boolean {
  let node = obj;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

const flagsOf = (table: readonly { flag: string }[]) => new Set(table.map((o) => o.flag.split(' ')[0]!));

function argsOf(text: string, command: string): string[] {
  const block = text.slice(text.indexOf(`- ${command}\n`));
  return [...block.matchAll(/^\s+- (--[a-z-]+)/gm)].map((m) => m[1]!);
}

describe('Helm chart', () => {
  it('Chart.yaml and values.yaml parse', () => {
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { name: string; apiVersion: string };
    assert.equal(chart.name, 'eris');
    assert.equal(chart.apiVersion, 'v2');
  });

  it('reads only values that values.yaml defines', () => {
    for (const t of templates) {
      for (const m of t.text.matchAll(/\.Values((?:\.[A-Za-z0-9_]+)+)/g)) {
        const path = m[1]!.slice(1).split('.');
        assert.ok(has(values, path), `${t.name}: .Values.${path.join('.')} is not in values.yaml`);
      }
    }
  });

  it('passes the agent and the coordinator only flags they know', () => {
    const agentYaml = templates.find((t) => t.name === 'agent-daemonset.yaml')!.text;
    const coordinatorYaml = templates.find((t) => t.name === 'coordinator.yaml')!.text;
    assert.ok(argsOf(agentYaml, 'agent').length >= 10 && argsOf(coordinatorYaml, 'coordinator').length >= 3, 'found the args lists');
    const agentFlags = flagsOf(AGENT_OPTIONS);
    for (const flag of argsOf(agentYaml, 'agent')) assert.ok(agentFlags.has(flag), `agent flag ${flag}`);
    const coordinatorFlags = flagsOf(COORDINATOR_OPTIONS);
    for (const flag of argsOf(coordinatorYaml, 'coordinator')) assert.ok(coordinatorFlags.has(flag), `coordinator flag ${flag}`);
    assert.match(agentYaml, /hostPID: true/);
  });
});

const HELM = join(k8sBinDir(), 'helm');
const helm = (args: string[]) => run(HELM, args, { timeoutMs: 60_000 });
const TOKEN = ['--set', 'auth.token=chart-test-token'];
/** The coordinator's RBAC tests look at its objects only: the agent's (agent.kubernetesApi) are tested on their own. */
const NO_AGENT_RBAC = ['--set', 'agent.kubernetesApi=false'];

interface Manifest { kind: string; metadata: { name: string }; spec?: any }
function manifests(text: string): Manifest[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Manifest).filter(Boolean);
}

describe('Helm chart, rendered by helm', { skip: k8sSkipReason(['helm']) }, () => {
  it('passes helm lint (strict)', async () => {
    const r = await helm(['lint', '--strict', CHART, ...TOKEN]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  for (const [runtime, socket] of [['containerd', '/run/containerd/containerd.sock'], ['cri-o', '/var/run/crio/crio.sock']] as const) {
    it(`renders for ${runtime}: the agent mounts ${socket}`, async () => {
      const r = await helm(['template', 'eris', CHART, ...TOKEN, '--set', `agent.runtime=${runtime}`]);
      assert.equal(r.code, 0, r.stderr);
      const docs = manifests(r.stdout);
      assert.deepEqual(docs.map((d) => d.kind).sort(), ['ClusterRole', 'ClusterRoleBinding', 'DaemonSet', 'Deployment', 'PersistentVolumeClaim', 'Secret', 'Service', 'ServiceAccount']);
      const ds = docs.find((d) => d.kind === 'DaemonSet')!;
      const volume = ds.spec.template.spec.volumes.find((v: any) => v.name === 'cri-socket');
      assert.deepEqual(volume.hostPath, { path: socket, type: 'Socket' });
    });
  }

  it('keeps runs on an emptyDir where no storage provisioner exists, and a PVC by default', async () => {
    const r = await helm(['template', 'eris', CHART, ...TOKEN, '--set', 'coordinator.persistence.enabled=false', '--set', 'coordinator.service.type=NodePort', '--set', 'coordinator.service.nodePort=30770']);
    assert.equal(r.code, 0, r.stderr);
    const docs = manifests(r.stdout);
    assert.ok(!docs.some((d) => d.kind === 'PersistentVolumeClaim'));
    const data = docs.find((d) => d.kind === 'Deployment')!.spec.template.spec.volumes.find((v: any) => v.name === 'data');
    assert.deepEqual(data, { name: 'data', emptyDir: {} });
    const svc = docs.find((d) => d.kind === 'Service')!;
    assert.equal(svc.spec.type, 'NodePort');
    assert.equal(svc.spec.ports[0].nodePort, 30770);
  });

  const bad: Array<[string[], RegExp]> = [
    [['--set', 'agent.runtime=docker'], /agent\/runtime|agent\.runtime/],
    [['--set', 'agent.listenPort=70000'], /agent\/listenPort|agent\.listenPort/],
    [['--set', 'coordinator.replicas=2'], /coordinator\/replicas|coordinator\.replicas/],
    [['--set', 'coordinator.service.type=Ingress'], /coordinator\/service\/type|coordinator\.service\.type/],
    [['--set', 'coordinator.persistance.enabled=false'], /persistance/],
    [['--set', 'image.pullPolicy=Sometimes'], /image\/pullPolicy|image\.pullPolicy/],
    [['--set', 'auth.agentToken=short'], /auth\/agentToken|auth\.agentToken/],
    [['--set', 'auth.token=abc'], /auth\/token|auth\.token/],
    [['--set', 'auth.users[0].id=x', '--set', 'auth.users[0].role=agent', '--set', 'auth.users[0].token=0123456789abcdef'], /auth\/users\/0\/role|auth\.users\.0\.role/],
    [['--set', 'auth.users[0].id=x', '--set', 'auth.users[0].role=viewer'], /auth\/users\/0|auth\.users\.0/],
    [['--set', 'tls.agentCertBinding=cn'], /tls\/agentCertBinding|tls\.agentCertBinding/],
    [['--set', 'tls.clientCa=x'], /clientCa/],
    [['--set', 'tls.coordinatorSecret=Not_A_Name'], /tls\/coordinatorSecret|tls\.coordinatorSecret/],
    [['--set', 'coordinator.kubernetes.kubeconfigSecret=Not_A_Name'], /kubernetes\/kubeconfigSecret|kubernetes\.kubeconfigSecret/],
    [['--set', 'coordinator.kubernetes.inCluster.clusterName=not a name'], /inCluster\/clusterName|inCluster\.clusterName/],
    [['--set', 'coordinator.kubernetes.inCluster.resources[0].verbs={delete}'], /verbs/],
  ];
  for (const [args, field] of bad) {
    it(`rejects ${args[1]} naming the field`, async () => {
      const r = await helm(['template', 'eris', CHART, ...TOKEN, ...args]);
      assert.notEqual(r.code, 0, `helm accepted ${args[1]}`);
      assert.match(r.stderr, field);
    });
  }

  it("the agent's Kubernetes access (Events): its own ServiceAccount, a ClusterRole of get nodes + create events only, --kube-in-cluster; none when off", async () => {
    const on = manifests((await helm(['template', 'eris', CHART, ...TOKEN, '--namespace', 'chaos'])).stdout);
    const role = on.find((d) => d.kind === 'ClusterRole') as any;
    assert.deepEqual(role.rules, [
      { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
    ]);
    const sa = on.find((d) => d.kind === 'ServiceAccount')!;
    assert.deepEqual((on.find((d) => d.kind === 'ClusterRoleBinding') as any).subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'chaos' }]);
    const pod = on.find((d) => d.kind === 'DaemonSet')!.spec.template.spec;
    assert.equal(pod.serviceAccountName, sa.metadata.name);
    assert.equal(pod.automountServiceAccountToken, true);
    assert.ok(pod.containers[0].args.includes('--kube-in-cluster'));
    const off = manifests((await helm(['template', 'eris', CHART, ...TOKEN, ...NO_AGENT_RBAC])).stdout);
    assert.ok(!off.some((d) => ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding'].includes(d.kind)));
    const offPod = off.find((d) => d.kind === 'DaemonSet')!.spec.template.spec;
    assert.equal(offPod.automountServiceAccountToken, false);
    assert.ok(!offPod.containers[0].args.includes('--kube-in-cluster'));
  });

  it("the agent's least privilege: hostPID and only the KILL capability, read-only root, no escalation, the runtime's seccomp profile; privileged only when asked", async () => {
    const agentOf = async (args: string[]) => manifests((await helm(['template', 'eris', CHART, ...TOKEN, ...args])).stdout).find((d) => d.kind === 'DaemonSet')!.spec.template.spec;
    const pod = await agentOf([]);
    assert.equal(pod.hostPID, true);
    assert.deepEqual(pod.containers[0].securityContext, {
      runAsUser: 0,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'], add: ['KILL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.deepEqual((await agentOf(['--set', 'agent.privileged=true'])).containers[0].securityContext, { privileged: true });
  });

  it('kubernetes probes: a kubeconfig Secret mounted read-only as --kubeconfig; in-cluster off by default', async () => {
    const r = await helm(['template', 'eris', CHART, ...TOKEN, ...NO_AGENT_RBAC, '--set', 'coordinator.kubernetes.kubeconfigSecret=probe-kubeconfig']);
    assert.equal(r.code, 0, r.stderr);
    const docs = manifests(r.stdout);
    assert.ok(!docs.some((d) => ['ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'].includes(d.kind)), 'no RBAC without inCluster');
    const pod = docs.find((d) => d.kind === 'Deployment')!.spec.template.spec;
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.serviceAccountName, undefined);
    const c = pod.containers[0];
    assert.ok(c.args.includes('--kubeconfig=/etc/eris-kube/kubeconfig'), c.args.join(' '));
    assert.ok(!c.args.some((a: string) => a.startsWith('--kube-in-cluster')));
    assert.deepEqual(c.volumeMounts.find((m: any) => m.name === 'kubeconfig'), { name: 'kubeconfig', mountPath: '/etc/eris-kube', readOnly: true });
    assert.deepEqual(pod.volumes.find((v: any) => v.name === 'kubeconfig').secret, { secretName: 'probe-kubeconfig' });
  });

  it('kubernetes probes in-cluster: a ServiceAccount with get/list only on the listed resources, cluster-wide or per namespace', async () => {
    const IN = ['--set', 'cluster=lab', '--set', 'coordinator.kubernetes.inCluster.enabled=true', ...NO_AGENT_RBAC];
    const lint = await helm(['lint', '--strict', CHART, ...TOKEN, ...IN]);
    assert.equal(lint.code, 0, lint.stdout + lint.stderr);
    const wide = manifests((await helm(['template', 'eris', CHART, ...TOKEN, ...IN, '--namespace', 'chaos'])).stdout);
    const sa = wide.find((d) => d.kind === 'ServiceAccount')!;
    const pod = wide.find((d) => d.kind === 'Deployment')!.spec.template.spec;
    assert.equal(pod.serviceAccountName, sa.metadata.name);
    assert.equal(pod.automountServiceAccountToken, true);
    assert.ok(pod.containers[0].args.includes('--kube-in-cluster=lab'), pod.containers[0].args.join(' '));
    const role = wide.find((d) => d.kind === 'ClusterRole') as any;
    assert.deepEqual(role.rules, [
      { apiGroups: ['apps'], resources: ['statefulsets', 'deployments'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
    ]);
    const binding = wide.find((d) => d.kind === 'ClusterRoleBinding') as any;
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'chaos' }]);
    assert.ok(!wide.some((d) => d.kind === 'Role' || d.kind === 'RoleBinding'));

    const scoped = await helm(['template', 'eris', CHART, ...TOKEN, ...IN, '--set', 'coordinator.kubernetes.inCluster.clusterName=prod',
      '--set', 'coordinator.kubernetes.inCluster.namespaces={db,web}', '--set', 'coordinator.kubernetes.inCluster.resources[0].apiGroup=apps',
      '--set', 'coordinator.kubernetes.inCluster.resources[0].resources={statefulsets}']);
    assert.equal(scoped.code, 0, scoped.stderr);
    const docs = manifests(scoped.stdout);
    assert.ok(!docs.some((d) => d.kind === 'ClusterRole' || d.kind === 'ClusterRoleBinding'));
    const roles = docs.filter((d) => d.kind === 'Role') as any[];
    assert.deepEqual(roles.map((r) => r.metadata.namespace), ['db', 'web']);
    for (const r of roles) assert.deepEqual(r.rules, [{ apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get', 'list'] }]);
    assert.deepEqual(docs.filter((d) => d.kind === 'RoleBinding').map((b: any) => b.metadata.namespace), ['db', 'web']);
    assert.ok(docs.find((d) => d.kind === 'Deployment')!.spec.template.spec.containers[0].args.includes('--kube-in-cluster=prod'));
  });

  it('with roles: agents mount only their own Secret, the coordinator a tokens file that loads', async () => {
    const ROLES = [
      '--set', 'auth.agentToken=agent-token-0123456789', '--set', 'cluster=lab',
      '--set', 'auth.users[0].id=ci', '--set', 'auth.users[0].role=operator', '--set', 'auth.users[0].token=ci-token-0123456789ab', '--set', 'auth.users[0].namespaces[0]=etcd',
      '--set', 'auth.users[1].id=dash', '--set', 'auth.users[1].role=viewer', '--set', `auth.users[1].sha256=${'ab'.repeat(32)}`,
    ];
    const r = await helm(['template', 'eris', CHART, ...ROLES]);
    assert.equal(r.code, 0, r.stderr);
    const docs = manifests(r.stdout);
    const secrets = docs.filter((d) => d.kind === 'Secret') as Array<Manifest & { stringData: Record<string, string> }>;
    assert.deepEqual(secrets.map((s) => s.metadata.name).sort(), ['eris-eris-agent-token', 'eris-eris-users']);
    const agentSecret = secrets.find((s) => s.metadata.name === 'eris-eris-agent-token')!;
    assert.deepEqual(Object.keys(agentSecret.stringData), ['token'], 'the agents\' Secret holds no user token');
    const ds = docs.find((d) => d.kind === 'DaemonSet')!;
    assert.deepEqual(ds.spec.template.spec.volumes.find((v: any) => v.name === 'token').secret, { secretName: 'eris-eris-agent-token' });
    const coordinator = docs.find((d) => d.kind === 'Deployment')!.spec.template.spec;
    assert.ok(coordinator.containers[0].args.includes('--tokens-file=/etc/eris/users/tokens.yaml'));
    assert.deepEqual(coordinator.volumes.filter((v: any) => v.secret).map((v: any) => v.secret.secretName).sort(), ['eris-eris-agent-token', 'eris-eris-users']);
    // The rendered tokens file loads as the coordinator would read it from its mounts.
    const users = secrets.find((s) => s.metadata.name === 'eris-eris-users')!.stringData;
    const dir = mkdtempSync(join(tmpdir(), 'eris-chart-'));
    try {
      writeFileSync(join(dir, 'agent-token'), agentSecret.stringData.token!);
      writeFileSync(join(dir, 'user-ci'), users['user-ci']!);
      const principals = principalsFrom(parse(users['tokens.yaml']!.replace('/etc/eris/agent/token', join(dir, 'agent-token'))), dir);
      assert.deepEqual(principals.map((p) => [p.id, p.roles[0], p.agentCluster ?? null, p.namespaces ?? null]), [
        ['agents-lab', 'agent', 'lab', null],
        ['ci', 'operator', null, ['etcd']],
        ['dash', 'viewer', null, null],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with TLS and mTLS: the coordinator serves TLS and requires agent certificates, agents dial wss:// with theirs', async () => {
    const TLS = ['--set', 'tls.coordinatorSecret=eris-server-tls', '--set', 'tls.caSecret=eris-ca', '--set', 'tls.agentClientCaSecret=eris-agent-ca', '--set', 'tls.agentCertSecret=eris-agent-tls'];
    const r = await helm(['template', 'eris', CHART, ...TOKEN, ...TLS]);
    assert.equal(r.code, 0, r.stderr);
    const docs = manifests(r.stdout);
    const coordinator = docs.find((d) => d.kind === 'Deployment')!.spec.template.spec;
    const cArgs = coordinator.containers[0].args as string[];
    for (const flag of ['--tls-cert=/etc/eris-tls/server/tls.crt', '--tls-key=/etc/eris-tls/server/tls.key', '--agent-client-ca=/etc/eris-tls/agent-ca/ca.crt', '--agent-cert-binding=node']) assert.ok(cArgs.includes(flag), `${flag} in ${cArgs.join(' ')}`);
    assert.equal(coordinator.containers[0].readinessProbe.httpGet.scheme, 'HTTPS');
    const secretOf = (spec: any, volume: string) => spec.volumes.find((v: any) => v.name === volume)?.secret?.secretName;
    const mountOf = (spec: any, volume: string) => spec.containers[0].volumeMounts.find((m: any) => m.name === volume)?.mountPath;
    assert.deepEqual([secretOf(coordinator, 'tls-server'), mountOf(coordinator, 'tls-server')], ['eris-server-tls', '/etc/eris-tls/server']);
    assert.deepEqual([secretOf(coordinator, 'tls-agent-ca'), mountOf(coordinator, 'tls-agent-ca')], ['eris-agent-ca', '/etc/eris-tls/agent-ca']);
    const agent = docs.find((d) => d.kind === 'DaemonSet')!.spec.template.spec;
    const aArgs = agent.containers[0].args as string[];
    for (const flag of ['--coordinator=wss://eris-eris-coordinator:7700', '--coordinator-ca=/etc/eris-tls/coordinator-ca/ca.crt', '--link-cert=/etc/eris-tls/link/tls.crt', '--link-key=/etc/eris-tls/link/tls.key']) assert.ok(aArgs.includes(flag), `${flag} in ${aArgs.join(' ')}`);
    assert.deepEqual([secretOf(agent, 'tls-link'), mountOf(agent, 'tls-link')], ['eris-agent-tls', '/etc/eris-tls/link']);
    assert.deepEqual([secretOf(agent, 'tls-coordinator-ca'), mountOf(agent, 'tls-coordinator-ca')], ['eris-ca', '/etc/eris-tls/coordinator-ca']);
    // Without TLS values nothing of it is rendered, and the link stays ws://.
    const plain = manifests((await helm(['template', 'eris', CHART, ...TOKEN])).stdout);
    assert.ok((plain.find((d) => d.kind === 'DaemonSet')!.spec.template.spec.containers[0].args as string[]).includes('--coordinator=ws://eris-eris-coordinator:7700'));
    assert.ok(!JSON.stringify(plain).includes('eris-tls'));
  });

  it('refuses TLS values that do not go together, naming the value', async () => {
    const noServer = await helm(['template', 'eris', CHART, ...TOKEN, '--set', 'tls.agentClientCaSecret=ca', '--set', 'tls.agentCertSecret=cert']);
    assert.notEqual(noServer.code, 0);
    assert.match(noServer.stderr, /tls\.agentClientCaSecret needs tls\.coordinatorSecret/);
    const noCert = await helm(['template', 'eris', CHART, ...TOKEN, '--set', 'tls.coordinatorSecret=server', '--set', 'tls.agentClientCaSecret=ca']);
    assert.notEqual(noCert.code, 0);
    assert.match(noCert.stderr, /tls\.agentClientCaSecret needs tls\.agentCertSecret/);
  });

  it('refuses to render without a token: eris never serves an open API', async () => {
    const r = await helm(['template', 'eris', CHART]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /auth\.token/);
  });
});
