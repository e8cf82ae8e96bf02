// Kubernetes Events from the agent (issue 18), against a real kube-apiserver (RBAC on) and a real containerd: the
// chart's agent ClusterRole, rendered by helm and applied, lets the agent's ServiceAccount token create an Event on
// the Pod it froze and resumed (the Pod object is created through the API, its uid given to the containerd pod, as
// a kubelet would); a token without the role gets 403, the agent warns once naming the permission, the fault works.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { loadAgentConfig } from '../daemon/config.js';
import { startAgent, type Agent } from '../daemon/agent.js';
import { createLogger } from '../lib/logger.js';
import { EVENTS_PERMISSION } from '../daemon/kube/events.js';
import { NODES_PERMISSION, REGION_LABEL, ZONE_LABEL } from '../daemon/kube/topology.js';
import { fakeCoordinator } from './harness/link-peer.js';
import { run, startContainerd, type ContainerdTestbed } from './harness/containerd.js';
import { testbedSkipReason } from './harness/requirements.js';
import { k8sBinDir, k8sSkipReason } from './harness/k8s.js';
import { startKubeApiServer, type KubeApiServer } from './harness/kube-apiserver.js';
import { waitFor } from './harness/processes.js';

const TOKEN = 'kube-events-token';
const CHART = fileURLToPath(new URL('../charts/eris/', import.meta.url));
const AGENT_SA = 'system:serviceaccount:eris-system:eris-eris-agent';
const skip = testbedSkipReason(['containerd', 'ctr', 'runc', 'etcd', 'openssl']) ?? k8sSkipReason(['kube-apiserver', 'kubectl', 'helm']);

describe('agent: Kubernetes Events on faulted pods (real kube-apiserver + containerd)', { skip }, () => {
  let kube: KubeApiServer;
  let bed: ContainerdTestbed;
  let dir: string;
  let podUid: string;
  const agents: Agent[] = [];

  /** A kubeconfig for the test apiserver whose user is `token` (a ServiceAccount's, from TokenRequest). */
  const kubeconfigFor = (name: string, token: string) => {
    const file = join(dir, `${name}.kubeconfig`);
    writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters: [{ name: lab, cluster: { server: "${kube.server}", certificate-authority: ${kube.caFile} } }]\nusers: [{ name: u, user: { token: ${token} } }]\ncontexts: [{ name: lab, context: { cluster: lab, user: u } }]\n`);
    return file;
  };
  const start = async (name: string, kubeconfig: string, extra: Record<string, unknown> = {}) => {
    const logs: string[] = [];
    const logger = createLogger({ name: 'agent', level: 'info', format: 'json', destination: { write: (s: string) => void logs.push(s) } });
    const registry = new Registry();
    const config = loadAgentConfig({ listen: '127.0.0.1:0', token: TOKEN, stateDir: mkdtempSync(join(dir, `${name}-`)), criSocket: bed.socket, nodeName: 'node-a', kubeconfig, inventoryIntervalSeconds: 0.5, ...extra }, {});
    const agent = await startAgent(config, { logger, registry });
    agents.push(agent);
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${agent.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { status: res.status, body: (await res.json()) as any };
    };
    const counted = async (result: string) => Number(/ (\d+)$/m.exec((await registry.getSingleMetricAsString('eris_agent_kube_events_total')).split('\n').find((l) => l.includes(`result="${result}"`)) ?? '')?.[1] ?? 0);
    return { agent, api, logs, counted };
  };
  const events = () => JSON.parse(kube.kubectl(['get', 'events.v1.events.k8s.io', '-n', 'work', '-o', 'json'])).items as any[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-kube-events-'));
    [kube, bed] = await Promise.all([startKubeApiServer('lab'), startContainerd({ name: 'kube-events' })]);
    for (const ns of ['eris-system', 'work']) kube.kubectl(['create', 'namespace', ns]);
    const rendered = await run(join(k8sBinDir(), 'helm'), ['template', 'eris', CHART, '--namespace', 'eris-system', '--set', 'auth.token=chart-test-token', '--show-only', 'templates/agent-rbac.yaml'], { timeoutMs: 60_000 });
    assert.equal(rendered.code, 0, rendered.stderr);
    kube.kubectl(['apply', '-n', 'eris-system', '-f', '-'], rendered.stdout); // as helm install -n would
    kube.kubectl(['create', 'serviceaccount', 'nobody', '-n', 'eris-system']);
    kube.kubectl(['create', 'serviceaccount', 'default', '-n', 'work']); // no controller manager here to make it
    kube.kubectl(['apply', '-f', '-'], `apiVersion: v1\nkind: Node\nmetadata: { name: node-a, labels: { ${ZONE_LABEL}: zone-x, ${REGION_LABEL}: region-1 } }\n`);
    kube.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: { name: web, namespace: work }\nspec: { nodeName: node-a, containers: [{ name: app, image: busybox }] }\n');
    podUid = kube.kubectl(['get', 'pod', 'web', '-n', 'work', '-o', 'jsonpath={.metadata.uid}']).trim();
    await bed.cri.runPod({ name: 'web', namespace: 'work', uid: podUid, containers: [{ name: 'app', command: ['sleep', '3600'] }] });
    // The 403 test's target (the first test kills web's container).
    await bed.cri.runPod({ name: 'db', namespace: 'work', containers: [{ name: 'app', command: ['sleep', '3600'] }] });
  });

  after(async () => {
    for (const agent of agents) await agent.close();
    await bed?.stop();
    await kube?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the chart's agent ClusterRole allows exactly get nodes and create events", () => {
    const can = (verb: string, resource: string, ns?: string) => {
      try {
        return kube.kubectl(['auth', 'can-i', verb, resource, '--as', AGENT_SA, ...(ns ? ['-n', ns] : [])]).trim();
      } catch (error) {
        return String((error as { stdout?: string }).stdout ?? '').trim();
      }
    };
    assert.equal(can('get', 'nodes'), 'yes');
    assert.equal(can('create', 'events.events.k8s.io', 'work'), 'yes');
    for (const [verb, resource] of [['delete', 'events.events.k8s.io'], ['list', 'events.events.k8s.io'], ['create', 'events'], ['list', 'nodes'], ['patch', 'nodes'], ['list', 'secrets'], ['get', 'pods'], ['create', 'pods/eviction']]) {
      assert.equal(can(verb!, resource!, 'work'), 'no', `${verb} ${resource} refused`);
    }
  });

  it('freeze + resume of a pod container: two Events on the Pod (Warning ErisFreeze, Normal ErisResume); a kill: Warning ErisKill', async () => {
    const token = kube.kubectl(['create', 'token', 'eris-eris-agent', '-n', 'eris-system', '--duration', '10m']).trim();
    const { api, counted, logs } = await start('allowed', kubeconfigFor('agent', token));
    const t0 = Date.now();
    const frozen = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { selector: { namespace: 'work', pod: '^web$' } }, leaseSeconds: 30, labels: { runId: 'run-42', step: 'steps.0' } });
    assert.equal(frozen.status, 201, JSON.stringify(frozen.body));
    assert.equal(frozen.body.result, 'ok');
    const freezeMs = Date.now() - t0;
    let seenMs = 0;
    await waitFor(() => events().some((e) => e.reason === 'ErisFreeze') && (seenMs = Date.now() - t0) > 0, 10_000, 'the ErisFreeze event');
    const resumed = await api('DELETE', `/v1/faults/${frozen.body.id}`);
    assert.equal(resumed.body.state, 'resumed');
    await waitFor(() => events().some((e) => e.reason === 'ErisResume'), 10_000, 'the ErisResume event');
    const list = events().filter((e) => e.regarding?.uid === podUid);
    assert.equal(list.length, 2, JSON.stringify(list));
    const freeze = list.find((e) => e.reason === 'ErisFreeze')!;
    const resume = list.find((e) => e.reason === 'ErisResume')!;
    assert.equal(freeze.type, 'Warning');
    assert.equal(resume.type, 'Normal');
    for (const e of [freeze, resume]) {
      assert.deepEqual({ kind: e.regarding.kind, name: e.regarding.name, namespace: e.regarding.namespace, fieldPath: e.regarding.fieldPath }, { kind: 'Pod', name: 'web', namespace: 'work', fieldPath: 'spec.containers{app}' });
      assert.equal(e.reportingController, 'eris-agent');
      assert.equal(e.reportingInstance, 'node-a');
      assert.match(e.note, new RegExp(`fault ${frozen.body.id}`));
      assert.match(e.note, /asked by \S+, run run-42 step steps\.0/);
    }
    assert.match(freeze.note, /SIGSTOP .*lease 30 s/);
    assert.match(resume.note, /SIGCONT .*reason api/);
    // `kubectl get events` (core/v1) lists them too.
    assert.match(kube.kubectl(['get', 'events', '-n', 'work']), /ErisFreeze/);
    await waitFor(async () => (await counted('sent')) === 2, 5000, 'eris_agent_kube_events_total{result="sent"} 2 (the API may list an Event before the agent has read its 201)');
    assert.equal(logs.filter((l) => l.includes('forbidden')).length, 0);
    console.log(`# fault placed in ${freezeMs} ms; its Event visible through the API ${seenMs} ms after the request`);

    const killed = await api('POST', '/v1/faults', { signal: 'SIGKILL', target: { selector: { namespace: 'work', pod: '^web$' } } });
    assert.equal(killed.body.result, 'ok', JSON.stringify(killed.body));
    await waitFor(() => events().some((e) => e.reason === 'ErisKill'), 10_000, 'the ErisKill event');
    const kill = events().find((e) => e.reason === 'ErisKill')!;
    assert.equal(kill.type, 'Warning');
    assert.match(kill.note, new RegExp(`SIGKILL to container app of pod work/web, asked by .*fault ${killed.body.id}`));
  });

  it("takes its zone from its Node's topology label (--zone overrides it); without get nodes it warns once and runs without a zone", async () => {
    const coordinator = await fakeCoordinator();
    try {
      const helloZone = async (name: string, token: string, extra: Record<string, unknown> = {}) => {
        const { logs } = await start(name, kubeconfigFor(name, token), { coordinator: coordinator.url, coordinatorToken: 'link-token', cluster: 'lab', ...extra });
        const hello = await (await coordinator.nextAgent()).next();
        assert.equal(hello.type, 'hello');
        return { zone: hello.zone as string | null, logs };
      };
      const allowed = kube.kubectl(['create', 'token', 'eris-eris-agent', '-n', 'eris-system', '--duration', '10m']).trim();
      const fromNode = await helloZone('zone-node', allowed);
      assert.equal(fromNode.zone, 'zone-x');
      assert.ok(fromNode.logs.some((l) => l.includes('"zone":"zone-x"') && l.includes('"region":"region-1"')), "the zone and region read are logged");
      assert.equal((await helloZone('zone-flag', allowed, { zone: 'zone-override' })).zone, 'zone-override');
      const nobody = kube.kubectl(['create', 'token', 'nobody', '-n', 'eris-system', '--duration', '10m']).trim();
      const refused = await helloZone('zone-refused', nobody);
      assert.equal(refused.zone, null);
      assert.equal(refused.logs.filter((l) => l.includes(NODES_PERMISSION)).length, 1, 'one warning naming the permission');
    } finally {
      await coordinator.close();
    }
  });

  it('without the role: 403, one warning naming the permission, recording off, and the faults still work', async () => {
    const token = kube.kubectl(['create', 'token', 'nobody', '-n', 'eris-system', '--duration', '10m']).trim();
    const { api, counted, logs } = await start('forbidden', kubeconfigFor('nobody', token));
    for (let i = 0; i < 2; i++) {
      const frozen = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { selector: { namespace: 'work', pod: '^db$' } }, leaseSeconds: 30 });
      assert.equal(frozen.body.result, 'ok', JSON.stringify(frozen.body));
      await waitFor(async () => (await counted('forbidden')) >= 1, 10_000, 'the 403');
      const resumed = await api('DELETE', `/v1/faults/${frozen.body.id}`);
      assert.equal(resumed.body.state, 'resumed');
      assert.ok(resumed.body.targets[0].processes.every((p: any) => p.resume?.ok), JSON.stringify(resumed.body.targets));
    }
    const warnings = logs.filter((l) => l.includes('forbidden'));
    assert.equal(warnings.length, 1, warnings.join(''));
    assert.equal(JSON.parse(warnings[0]!).permission, EVENTS_PERMISSION);
    assert.equal(await counted('sent'), 0);
  });
});
