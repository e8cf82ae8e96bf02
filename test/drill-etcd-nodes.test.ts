// The acceptance drill on real etcd in real containerd pods across two "nodes": each node is a network namespace
// with its own containerd and its own eris agent; the coordinator sits on the LAN between them. Three drills:
// one member (freeze → detect → kill → recover), two members packed in one zone, one member in each of two zones.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startContainerd, ETCD_IMAGE, type ContainerdTestbed } from './harness/containerd.js';
import { createLan, type Lan } from './harness/netns.js';
import { etcdArgs, etcdMember, type EtcdMember } from './harness/etcd.js';
import { startAgentProcess, startCoordinatorProcess, type ErisProcess } from './harness/agent-process.js';
import { testbedSkipReason } from './harness/requirements.js';
import { waitFor, procState } from './harness/processes.js';
import { createCriClient, type RuntimeClient } from '../daemon/cri/client.js';

const run = promisify(execFile);
const TOKEN = 'acceptance-token';

const NODES = [
  { name: 'node-a', zone: 'zone-a', members: ['m0', 'm1'] },
  { name: 'node-b', zone: 'zone-b', members: ['m2'] },
] as const;

function drill(name: string, member: Record<string, unknown>, members: number) {
  return {
    apiVersion: 'eris.dev/v1alpha1',
    kind: 'Drill',
    metadata: { name },
    spec: {
      targets: {
        member: { namespaces: ['db'], pod: '^etcd-\\d+$', containers: ['^etcd$'], ...member },
        cluster: { namespaces: ['db'], labels: 'app=etcd' },
      },
      probes: {
        health: { url: 'http://{{target.labels.host}}:{{target.labels.port}}/health', jq: '.health == "true"', timeout: '1s', interval: '250ms' },
      },
      steadyState: [],
      steps: [
        { name: 'steady state: every member healthy', probe: 'health', target: 'cluster' },
        { name: `freeze ${members} member(s)`, signal: 'SIGSTOP', target: 'member', lease: '120s' },
        { name: 'the frozen member stops answering', wait: 'health', target: 'member', until: 'fail', timeout: '10s' },
        { name: 'kill it', signal: 'SIGKILL', target: 'member' },
        { name: 'the cluster is healthy again', wait: 'health', target: 'cluster', until: 'pass', timeout: '120s', consecutive: 2 },
      ],
    },
  };
}

describe('node-failure drills on etcd in containerd pods, two nodes', { skip: testbedSkipReason(['containerd', 'runc', 'etcd', 'ip', 'nsenter', 'curl']) }, () => {
  let lan: Lan;
  let dir: string;
  const beds = new Map<string, ContainerdTestbed>();
  const cris = new Map<string, RuntimeClient>();
  const agents: ErisProcess[] = [];
  let coordinator: ErisProcess | undefined;
  let kubelet: NodeJS.Timeout | undefined;
  const restarts: string[] = [];
  let members: Array<EtcdMember & { node: string }> = [];

  /** curl from the LAN namespace: the coordinator and the members are only reachable there. */
  const lanCurl = async (method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const args = ['--net=/run/netns/' + lan.ns, 'curl', '-s', '-m', '10', '-X', method, '-H', `authorization: Bearer ${TOKEN}`, '-H', 'content-type: application/json', '-w', '\n%{http_code}'];
    if (body !== undefined) args.push('--data-binary', JSON.stringify(body));
    const { stdout } = await run('nsenter', [...args, url], { maxBuffer: 64 * 1024 * 1024 }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '\n0' }));
    const cut = stdout.lastIndexOf('\n');
    const text = stdout.slice(0, cut);
    return { status: Number(stdout.slice(cut + 1)), body: text.startsWith('{') ? JSON.parse(text) : text };
  };
  const api = (method: string, path: string, body?: unknown) => lanCurl(method, `http://${lan.address}:7700${path}`, body);
  const healthy = async (m: EtcdMember) => {
    const res = await lanCurl('GET', m.healthUrl);
    return res.status === 200 && res.body.health === 'true';
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-acceptance-'));
    lan = createLan(77);
    coordinator = await startCoordinatorProcess(['--listen', `${lan.address}:7700`, '--data-dir', join(dir, 'coordinator')], TOKEN, {}, lan.ns).catch(async (e) => {
      throw e;
    });
    let port = 2379;
    for (const node of NODES) {
      const { ns, address } = lan.addNode(node.name);
      for (const m of node.members) {
        members.push({ ...etcdMember(m, address, port, port + 1000), node: node.name });
        port += 2;
      }
      const bed = await startContainerd({ name: node.name, netns: ns });
      beds.set(node.name, bed);
      cris.set(node.name, createCriClient({ socketPath: bed.socket, timeoutMs: 5000 }));
      await bed.addEtcdImage();
    }
    for (const [i, m] of members.entries()) {
      const data = join(dir, 'data', m.name);
      mkdirSync(data, { recursive: true });
      await beds.get(m.node)!.cri.runPod({
        name: `etcd-${i}`,
        namespace: 'db',
        labels: { app: 'etcd', host: m.host, port: String(m.clientPort) },
        containers: [{ name: 'etcd', image: ETCD_IMAGE, command: ['/usr/bin/etcd', ...etcdArgs(m, members, '/data')], mounts: [{ hostPath: data, containerPath: '/data' }] }],
      });
    }
    for (const node of NODES) {
      const bed = beds.get(node.name)!;
      agents.push(
        await startAgentProcess(
          ['--cri-socket', bed.socket, '--state-dir', join(dir, 'agent', node.name), '--coordinator', `ws://${lan.address}:7700`, '--cluster', 'lab', '--node-name', node.name, '--zone', node.zone, '--inventory-interval', '0.5'],
          TOKEN,
          {},
          lan.nodes.get(node.name)!.ns,
        ),
      );
    }
    // kubelet's job: a container that died is started again (a new container, restartCount + 1).
    let busy = false;
    kubelet = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        for (const [node, cri] of cris) {
          for (const c of await cri.listContainerInfos()) {
            if (c.state !== 'exited' || c.pod.namespace !== 'db') continue;
            restarts.push(`${c.pod.name}/${c.name}`);
            await beds.get(node)!.cri.restartContainer(c.pod.name, c.name);
          }
        }
      } catch {
        // the next tick tries again
      } finally {
        busy = false;
      }
    }, 250);
    await waitFor(async () => (await Promise.all(members.map(healthy))).every(Boolean), 60000, 'etcd healthy on both nodes');
    await waitFor(async () => (await api('GET', '/v1/targets?namespace=db')).body.targets?.length === 3, 10000, 'both agents reporting 3 etcd containers');
  });

  after(async () => {
    if (kubelet) clearInterval(kubelet);
    for (const a of agents) await a.stop();
    await coordinator?.stop();
    for (const cri of cris.values()) cri.close();
    for (const bed of beds.values()) await bed.stop().catch(() => undefined);
    lan?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const runDrill = async (spec: unknown) => {
    // A member killed by the previous drill is back: healthy, and running again in the coordinator's inventory
    // (`pack: zone` can only keep two members in one zone when both are there to pick).
    await waitFor(async () => (await Promise.all(members.map(healthy))).every(Boolean), 60000, 'every member healthy before the drill');
    await waitFor(
      async () => (await api('GET', '/v1/targets?namespace=db')).body.targets?.filter((t: { state: string }) => t.state === 'running').length === 3,
      10000,
      'three running etcd containers in the inventory',
    );
    const started = await api('POST', '/v1/runs', { spec });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    await waitFor(async () => (await api('GET', `/v1/runs/${started.body.id}`)).body.status !== 'running', 180000, 'the run to end');
    const report = (await api('GET', `/v1/runs/${started.body.id}/report`)).body;
    // Nothing the run stopped is left stopped.
    for (const cri of cris.values()) for (const c of await cri.listContainerInfos()) if (c.initPid > 0) assert.notEqual(procState(c.initPid), 'T');
    return report;
  };

  it('sees both agents and every container addressed as cluster/node/namespace/pod/container', async () => {
    const agentsSeen = (await api('GET', '/v1/agents')).body.agents.map((a: { id: string; zone: string }) => `${a.id}@${a.zone}`).sort();
    assert.deepEqual(agentsSeen, ['lab/node-a@zone-a', 'lab/node-b@zone-b']);
    const targets = (await api('GET', '/v1/targets?namespace=db')).body.targets.map((t: any) => `${t.cluster}/${t.node}/${t.namespace}/${t.pod}/${t.container}`).sort();
    assert.deepEqual(targets, ['lab/node-a/db/etcd-0/etcd', 'lab/node-a/db/etcd-1/etcd', 'lab/node-b/db/etcd-2/etcd']);
  });

  it('one member: freeze, its /health fails within 10 s, kill, the cluster recovers', async () => {
    const report = await runDrill(drill('etcd-one-member', { count: 1 }, 1));
    assert.equal(report.status, 'passed', JSON.stringify(report.steps.filter((s: any) => s.status === 'failed')));
    assert.equal(report.timeline.length, 1);
    const t = report.timeline[0];
    assert.deepEqual(t.injected.map((i: any) => i.signal), ['SIGSTOP', 'SIGKILL']);
    assert.ok(t.timeToDetectMs < 10000, `detect ${t.timeToDetectMs} ms`);
    assert.ok(t.timeToRecoverMs < 120000, `recover ${t.timeToRecoverMs} ms`);
    console.log(`one member: detect ${t.timeToDetectMs} ms, recover ${t.timeToRecoverMs} ms (${t.target.pod} on ${t.target.node})`);
  });

  it('two members in one zone (pack: zone)', async () => {
    const report = await runDrill(drill('etcd-two-members-one-zone', { count: 2, pack: 'zone' }, 2));
    assert.equal(report.status, 'passed', JSON.stringify(report.steps.filter((s: any) => s.status === 'failed')));
    assert.deepEqual(report.timeline.map((t: any) => t.target.zone), ['zone-a', 'zone-a']);
    for (const t of report.timeline) assert.ok(t.timeToRecoverMs !== undefined, JSON.stringify(t));
    console.log(`two in one zone: ${report.timeline.map((t: any) => `${t.target.pod} detect ${t.timeToDetectMs} ms recover ${t.timeToRecoverMs} ms`).join('; ')}`);
  });

  it('one member in each of two zones (spread: zone)', async () => {
    const report = await runDrill(drill('etcd-two-zones', { count: 2, spread: 'zone' }, 2));
    assert.equal(report.status, 'passed', JSON.stringify(report.steps.filter((s: any) => s.status === 'failed')));
    assert.deepEqual(report.timeline.map((t: any) => t.target.zone).sort(), ['zone-a', 'zone-b']);
    console.log(`two zones: ${report.timeline.map((t: any) => `${t.target.pod} detect ${t.timeToDetectMs} ms recover ${t.timeToRecoverMs} ms`).join('; ')}`);
    assert.ok(restarts.length >= 5, `kubelet restarted ${restarts.join(', ')}`);
  });
});
