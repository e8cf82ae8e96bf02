// End to end on a real containerd: pods made the way kubelet makes them, the agent lists them, freezes a
// multi-process container, resumes it, kills it; a 3-member etcd cluster in containers where a frozen member's
// /health times out while the other two stay healthy.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig } from '../daemon/config.js';
import { startAgent, type Agent } from '../daemon/agent.js';
import { silentLogger } from '../lib/logger.js';
import { startContainerd, ETCD_IMAGE, type ContainerdTestbed } from './harness/containerd.js';
import { testbedSkipReason } from './harness/requirements.js';
import { isRunning, procState, waitFor } from './harness/processes.js';
import { etcdArgs, etcdHealth, etcdMembers, type EtcdMember } from './harness/etcd.js';

const TOKEN = 'e2e-token';
const MULTI = ['sh', '-c', 'sleep 1000 & sleep 1000 & wait'];
/** A container whose processes come and go: a shell loop starting short-lived children, two at a time. */
const BUSY = ['sh', '-c', 'while :; do sleep 0 & sleep 0 & wait; done'];
const BUSY_FREEZES = 20;

function cgroupProcs(pid: number): number[] {
  // An independent oracle for "all processes of the container": the v1 pids cgroup the init lives in.
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => /:pids:/.test(l))!;
  const path = line.split(':')[2]!;
  return readFileSync(`/sys/fs/cgroup/pids${path}/cgroup.procs`, 'utf8').trim().split('\n').map(Number);
}

describe('eris-agent on a real containerd', { skip: testbedSkipReason(['containerd', 'ctr', 'runc', 'etcd']) }, () => {
  let bed: ContainerdTestbed;
  let agent: Agent;
  let stateDir: string;
  let members: EtcdMember[] = [];

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${agent.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  before(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'eris-e2e-agent-'));
    bed = await startContainerd({ name: 'node-a' });
    await bed.addEtcdImage();
    await bed.cri.runPod({
      name: 'web-0',
      namespace: 'shop',
      labels: { app: 'web', tier: 'front' },
      containers: [
        { name: 'app', command: MULTI },
        { name: 'sidecar', command: ['sleep', '1000'] },
      ],
    });
    await bed.cri.runPod({ name: 'busy-0', namespace: 'work', labels: { app: 'busy' }, containers: [{ name: 'loop', command: BUSY }] });
    await bed.cri.runPod({ name: 'dns-0', namespace: 'kube-system', labels: { app: 'dns' }, containers: [{ name: 'dns', command: ['sleep', '1000'] }] });
    const config = loadAgentConfig(
      { listen: '127.0.0.1:0', token: TOKEN, stateDir, criSocket: bed.socket, inventoryIntervalSeconds: 0.5, hostProcesses: true },
      {},
    );
    agent = await startAgent(config, { logger: silentLogger() });
  });

  after(async () => {
    await agent?.close();
    await bed?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('lists pods and containers with the metadata kubelet set', async () => {
    const { body } = await api('GET', '/v1/targets?namespace=shop&processes=true');
    const byName = Object.fromEntries(body.containers.map((c: any) => [c.name, c]));
    const pod = bed.cri.pod('web-0');
    assert.deepEqual(Object.keys(byName).sort(), ['app', 'sidecar']);
    const app = byName.app;
    assert.equal(app.id, bed.cri.containerIdOf('web-0', 'app'));
    assert.equal(app.pod.name, 'web-0');
    assert.equal(app.pod.namespace, 'shop');
    assert.equal(app.pod.uid, pod.uid);
    assert.equal(app.pod.labels.app, 'web');
    assert.equal(app.pod.labels.tier, 'front');
    assert.equal(app.state, 'running');
    assert.equal(app.restartCount, 0);
    assert.match(app.image, /busybox/);
    assert.ok(app.initPid > 0);
    assert.deepEqual([...app.pids].sort(), cgroupProcs(app.initPid).sort());
    assert.equal(app.pids.length, 3);
    const labelled = await api('GET', '/v1/targets?labels=app=web,tier=front');
    assert.equal(labelled.body.containers.length, 2);
    const regex = await api('GET', '/v1/targets?pod=%5Eweb-&container=%5Eside');
    assert.deepEqual(regex.body.containers.map((c: any) => c.name), ['sidecar']);
  });

  it('freezes every process of a multi-process container, resumes it, then kills it', async () => {
    const target = { selector: { namespace: 'shop', pod: '^web-0$', containers: ['^app$'] } };
    const frozen = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target, leaseSeconds: 30 });
    assert.equal(frozen.status, 201, JSON.stringify(frozen.body));
    assert.equal(frozen.body.result, 'ok', JSON.stringify(frozen.body.targets));
    const t = frozen.body.targets[0];
    assert.equal(t.container.pod, 'web-0');
    const pids: number[] = t.processes.map((p: any) => p.pid);
    assert.deepEqual([...pids].sort(), cgroupProcs(pids[0]!).sort());
    for (const pid of pids) assert.equal(procState(pid), 'T', `pid ${pid}`);
    // The sidecar in the same pod is untouched.
    const sidecarPid = (await api('GET', '/v1/targets?namespace=shop&container=sidecar')).body.containers[0].initPid;
    assert.ok(isRunning(sidecarPid));

    const resumed = await api('DELETE', `/v1/faults/${frozen.body.id}`);
    assert.equal(resumed.body.state, 'resumed');
    await waitFor(() => pids.every((pid) => isRunning(pid)), 2000, 'resumed');

    const killed = await api('POST', '/v1/faults', { signal: 'SIGKILL', target });
    assert.equal(killed.body.result, 'ok', JSON.stringify(killed.body.targets));
    await waitFor(async () => {
      const { body } = await api('GET', '/v1/targets?namespace=shop&container=%5Eapp%24&refresh=true');
      return body.containers[0]?.state === 'exited';
    }, 5000, 'the runtime to report the container exited');
    const ctrTasks = await bed.ctr(['tasks', 'ls']);
    assert.doesNotMatch(ctrTasks.stdout, new RegExp(`${t.container.id}\\s+\\d+\\s+RUNNING`));
  });

  it(`${BUSY_FREEZES} freezes of a busy container (children come and go): none partial, what exists is stopped`, async () => {
    const target = { selector: { namespace: 'work', pod: '^busy-0$', containers: ['^loop$'] } };
    const verdicts: string[] = [];
    for (let i = 0; i < BUSY_FREEZES; i++) {
      const frozen = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target, leaseSeconds: 30 });
      assert.equal(frozen.status, 201, JSON.stringify(frozen.body));
      verdicts.push(frozen.body.result === 'ok' ? 'ok' : `${frozen.body.result}: ${JSON.stringify(frozen.body.targets[0].processes.filter((p: any) => !p.verified))}`);
      const init = frozen.body.targets[0].processes[0].pid;
      assert.equal(procState(init), 'T', 'the loop is stopped');
      const resumed = await api('POST', '/v1/faults', { signal: 'SIGCONT', target });
      verdicts.push(resumed.body.result === 'ok' ? 'ok' : `SIGCONT ${resumed.body.result}: ${JSON.stringify(resumed.body.targets[0].processes.filter((p: any) => !p.verified))}`);
      await api('DELETE', `/v1/faults/${frozen.body.id}`);
      await waitFor(() => isRunning(init), 2000, 'resumed');
    }
    // The loop keeps a core busy: it is gone before the tests that follow measure anything.
    await bed.cri.removePod('busy-0');
    assert.deepEqual(verdicts.filter((v) => v !== 'ok'), []);
  });

  it('sees a restarted container (new id, restartCount 1) within one refresh', async () => {
    const newId = await bed.cri.restartContainer('web-0', 'app');
    // Created, then started: a refresh may fall between the two.
    await waitFor(() => agent.inventory!.list().some((c) => c.id === newId && c.state === 'running'), 2000, 'the new container running in the inventory');
    const c = agent.inventory!.findById(newId)!;
    assert.equal(c.restartCount, 1);
    assert.equal(c.state, 'running');
  });

  it('refuses a namespace on the deny list unless the request names the override', async () => {
    const target = { selector: { namespace: 'kube-system', pod: '^dns-0$' } };
    const refused = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'ERIS_ERR_FORBIDDEN_TARGET');
    const dnsPid = agent.inventory!.list().find((c) => c.pod.name === 'dns-0')!.initPid;
    assert.ok(isRunning(dnsPid));
    const allowed = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target, override: ['denied-namespace'], leaseSeconds: 5 });
    assert.equal(allowed.status, 201);
    assert.equal(procState(dnsPid), 'T');
    await api('DELETE', `/v1/faults/${allowed.body.id}`);
    await waitFor(() => isRunning(dnsPid), 2000, 'dns resumed');
  });

  it('host mode: a host process that is a pod\'s is judged by that pod\'s namespace (deny list, override)', async () => {
    const dns = agent.inventory!.list().find((c) => c.pod.name === 'dns-0')!;
    // By pid only: a command-line regex here would match other `sleep 1000`s on this machine, not ours alone.
    for (const scope of ['all', 'init']) {
      const refused = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [dns.initPid] }, scope, leaseSeconds: 5 });
      assert.equal(refused.status, 403, `scope ${scope} → ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.error.details.reason, 'denied-namespace');
      assert.equal(refused.body.error.details.namespace, 'kube-system');
    }
    assert.ok(isRunning(dns.initPid));
    // A pod in an allowed namespace is a host-mode target like any process.
    const sidecar = agent.inventory!.list().find((c) => c.pod.name === 'web-0' && c.name === 'sidecar')!;
    const allowedPod = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [sidecar.initPid] }, leaseSeconds: 5 });
    assert.equal(allowedPod.status, 201, JSON.stringify(allowedPod.body));
    await api('DELETE', `/v1/faults/${allowedPod.body.id}`);
    const overridden = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [dns.initPid] }, override: ['denied-namespace'], leaseSeconds: 5 });
    assert.equal(overridden.status, 201);
    assert.equal(procState(dns.initPid), 'T');
    await api('DELETE', `/v1/faults/${overridden.body.id}`);
    await waitFor(() => isRunning(dns.initPid), 2000, 'dns resumed');
  });

  it('a frozen etcd member stops answering /health while the other two stay healthy', async () => {
    members = await etcdMembers(3);
    await Promise.all(
      members.map((m, i) =>
        bed.cri.runPod({
          name: `etcd-${i}`,
          namespace: 'db',
          labels: { app: 'etcd' },
          containers: [{ name: 'etcd', image: ETCD_IMAGE, command: ['/usr/bin/etcd', ...etcdArgs(m, members, `/var/lib/etcd/${m.name}`)] }],
        }),
      ),
    );
    await waitFor(async () => (await Promise.all(members.map((m) => etcdHealth(m)))).every((h) => h.healthy), 30000, 'etcd cluster healthy');
    const frozen = await api('POST', '/v1/faults', {
      signal: 'SIGSTOP',
      target: { selector: { namespace: 'db', pod: '^etcd-1$', containers: ['^etcd$'] } },
      leaseSeconds: 30,
    });
    assert.equal(frozen.status, 201, JSON.stringify(frozen.body));
    // The other two keep quorum; if etcd-1 led, they need one election timeout (1 s) to elect a new leader.
    await waitFor(async () => {
      const [h0, h1, h2] = await Promise.all(members.map((m) => etcdHealth(m, 1500)));
      assert.equal(h1!.healthy, false);
      assert.equal(h1!.reason, 'timeout', 'the frozen member does not answer at all');
      return h0!.healthy && h2!.healthy;
    }, 15000, 'etcd-0 and etcd-2 healthy while etcd-1 is frozen');
    await api('DELETE', `/v1/faults/${frozen.body.id}`);
    await waitFor(async () => (await etcdHealth(members[1]!)).healthy, 15000, 'etcd-1 healthy again');
  });
});
