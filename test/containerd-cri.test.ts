// Contract test of the RuntimeClient against a real containerd, driven the way kubelet drives it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError } from '../lib/errors.js';
import { createCriClient, type RuntimeClient } from '../daemon/cri/client.js';
import { Inventory, type InventoryChange } from '../daemon/cri/inventory.js';
import type { ContainerInfo } from '../daemon/types.js';
import { BUSYBOX_IMAGE, mountsUnder, shimPidsFor, startContainerd, type ContainerdTestbed, type FakeKubelet } from './harness/containerd.js';
import { testbedSkipReason } from './harness/requirements.js';

const skip = testbedSkipReason(['containerd', 'ctr', 'runc', 'containerd-shim-runc-v2', 'busybox', 'tar']);

/** What a runtime under contract test provides: a socket, a kubelet stand-in, a way to stop. */
interface RuntimeFixture {
  expectedRuntimeName: string;
  socket: string;
  kubelet: FakeKubelet;
  stop(): Promise<void>;
}

function children(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** The contract every RuntimeClient implementation must meet against its runtime. */
function runtimeClientContract(name: string, startRuntime: () => Promise<RuntimeFixture>): void {
  describe(`RuntimeClient contract: ${name}`, { skip }, () => {
    let rt: RuntimeFixture;
    let client: RuntimeClient;
    const calls: Array<{ method: string; seconds: number; ok: boolean }> = [];
    const find = (list: ContainerInfo[], pod: string, container: string): ContainerInfo | undefined =>
      list.find((c) => c.pod.name === pod && c.name === container);

    before(async () => {
      rt = await startRuntime();
      client = createCriClient({ socketPath: rt.socket, timeoutMs: 5_000, onCall: (method, seconds, ok) => calls.push({ method, seconds, ok }) });
      await rt.kubelet.runPod({
        name: 'etcd-0',
        namespace: 'db',
        uid: '11111111-2222-3333-4444-555555555555',
        labels: { app: 'etcd', 'topology.kubernetes.io/zone': 'zone-a' },
        containers: [
          { name: 'etcd', command: ['sh', '-c', 'sleep 1000 & sleep 1000 & wait'] },
          { name: 'sidecar', command: ['sleep', '1000'] },
        ],
      });
    });

    after(async () => {
      client?.close();
      await rt?.stop();
    });

    it('Version names the runtime', async () => {
      const v = await client.version();
      assert.equal(v.runtimeName, rt.expectedRuntimeName);
      assert.ok(v.runtimeVersion.length > 0);
      assert.equal(v.runtimeApiVersion, 'v1');
    });

    it('lists both containers of a pod with kubelet names, labels, image, state and restart count', async () => {
      const list = await client.listContainerInfos();
      assert.equal(list.length, 2, 'sandbox (pause) containers are not containers');
      const podUid = '11111111-2222-3333-4444-555555555555';
      for (const cname of ['etcd', 'sidecar']) {
        const c = find(list, 'etcd-0', cname);
        assert.ok(c, `${cname} listed`);
        assert.equal(c.id, rt.kubelet.containerIdOf('etcd-0', cname));
        assert.equal(c.pod.id, rt.kubelet.pod('etcd-0').sandboxId);
        assert.equal(c.pod.namespace, 'db');
        assert.equal(c.pod.uid, podUid);
        assert.equal(c.pod.labels.app, 'etcd');
        assert.equal(c.pod.labels['topology.kubernetes.io/zone'], 'zone-a');
        assert.equal(c.pod.labels['io.kubernetes.pod.name'], 'etcd-0');
        assert.equal(c.image, BUSYBOX_IMAGE, 'the tag, not the sha256 ID kubelet passed');
        assert.equal(c.state, 'running');
        assert.equal(c.restartCount, 0);
        assert.ok(Math.abs(c.createdAt - Date.now()) < 5 * 60_000, `createdAt is unix ms: ${c.createdAt}`);
      }
    });

    it("gives the container's init PID in the host PID namespace, which owns the container's other processes", async () => {
      const list = await client.listContainerInfos();
      const etcd = find(list, 'etcd-0', 'etcd');
      assert.ok(etcd && etcd.initPid > 0);
      assert.ok(existsSync(`/proc/${etcd.initPid}`));
      const cmdline = readFileSync(`/proc/${etcd.initPid}/cmdline`, 'utf8').split('\0');
      assert.deepEqual(cmdline.slice(0, 2), ['sh', '-c']);
      const kids = children(etcd.initPid);
      assert.equal(kids.length, 2, 'two sleeps under the shell: a multi-process container');
      for (const kid of kids) assert.match(readFileSync(`/proc/${kid}/cmdline`, 'utf8'), /^sleep\x001000/);
      // The same PID from an independent client of the same runtime.
      if (rt.expectedRuntimeName === 'containerd') {
        const tasks = await (rt as ContainerdFixture).testbed.ctr(['tasks', 'ls']);
        assert.match(tasks.stdout, new RegExp(`${etcd.id}\\s+${etcd.initPid}\\s+RUNNING`));
      }
    });

    it('records every CRI call through onCall', async () => {
      const before = calls.length;
      await client.listContainerInfos();
      const methods = calls.slice(before).map((c) => c.method).sort();
      assert.deepEqual(methods, ['ContainerStatus', 'ContainerStatus', 'ListContainers', 'ListPodSandbox']);
      assert.ok(calls.every((c) => c.ok && c.seconds >= 0 && c.seconds < 5));
    });

    it('a killed container shows as exited with PID 0; kubelet restarts it with restartCount 1', async () => {
      const list = await client.listContainerInfos();
      const side = find(list, 'etcd-0', 'sidecar');
      assert.ok(side);
      process.kill(side.initPid, 'SIGKILL'); // a process this test started, found by the runtime
      const exited = await waitFor('sidecar to exit', async () => {
        const c = find(await client.listContainerInfos(), 'etcd-0', 'sidecar');
        return c?.state === 'exited' ? c : undefined;
      });
      assert.equal(exited.initPid, 0);
      assert.equal(exited.id, side.id);

      const newId = await rt.kubelet.restartContainer('etcd-0', 'sidecar');
      const after = await client.listContainerInfos();
      const restarted = find(after, 'etcd-0', 'sidecar');
      assert.ok(restarted);
      assert.equal(restarted.id, newId);
      assert.notEqual(restarted.id, side.id);
      assert.equal(restarted.restartCount, 1);
      assert.equal(restarted.state, 'running');
      assert.ok(restarted.initPid > 0 && restarted.initPid !== side.initPid);
      assert.equal(after.filter((c) => c.name === 'sidecar').length, 1, 'the old container was removed');
    });

    it('the inventory sees a removed container disappear and a new one appear', async () => {
      const inventory = new Inventory(client);
      const changes: InventoryChange[] = [];
      inventory.onChange((change) => changes.push(change));
      await inventory.refresh();
      const sideId = rt.kubelet.containerIdOf('etcd-0', 'sidecar');
      assert.ok(inventory.findById(sideId));

      await rt.kubelet.removeContainer('etcd-0', 'sidecar');
      await inventory.refresh();
      assert.equal(inventory.findById(sideId), undefined);
      assert.deepEqual(changes.at(-1), { added: [], removed: [sideId], changed: [] });
      assert.ok(find([...inventory.list()], 'etcd-0', 'etcd'), 'the other container stays');

      await rt.kubelet.runPod({ name: 'etcd-1', namespace: 'db', labels: { app: 'etcd' }, containers: [{ name: 'etcd', command: ['sleep', '1000'] }] });
      await inventory.refresh();
      const newId = rt.kubelet.containerIdOf('etcd-1', 'etcd');
      assert.deepEqual(changes.at(-1), { added: [newId], removed: [], changed: [] });
      assert.ok(inventory.lastRefreshAt !== null);
    });

    it('listContainerInfos with 4 running containers is fast (measured)', async (t) => {
      await rt.kubelet.runPod({
        name: 'etcd-2',
        namespace: 'db',
        containers: [
          { name: 'etcd', command: ['sleep', '1000'] },
          { name: 'sidecar', command: ['sleep', '1000'] },
        ],
      });
      // etcd-0/etcd, etcd-1/etcd, etcd-2/etcd, etcd-2/sidecar
      const list = await client.listContainerInfos();
      assert.equal(list.filter((c) => c.state === 'running').length, 4);
      const samples: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t0 = performance.now();
        await client.listContainerInfos();
        samples.push(performance.now() - t0);
      }
      t.diagnostic(`listContainerInfos, 4 running containers: median ${median(samples).toFixed(2)} ms, max ${Math.max(...samples).toFixed(2)} ms (30 runs)`);
      assert.ok(median(samples) < 250, `median ${median(samples)} ms`);
    });

    it('a removed pod takes its containers with it', async () => {
      const ids = [...rt.kubelet.pod('etcd-2').containers.values()].map((c) => c.id);
      await rt.kubelet.removePod('etcd-2');
      const list = await client.listContainerInfos();
      for (const id of ids) assert.equal(list.find((c) => c.id === id), undefined);
    });

    it('a socket path nobody serves gives a RuntimeError naming the method', async () => {
      const bad = createCriClient({ socketPath: join(rt.socket, '..', 'nobody-here.sock'), timeoutMs: 2_000 });
      try {
        const t0 = performance.now();
        const err = await bad.version().then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof RuntimeError, `got ${String(err)}`);
        assert.equal(err.code, 'ERIS_ERR_RUNTIME');
        assert.equal(err.details?.method, 'Version');
        assert.match(err.message, /Version/);
        assert.ok(err.cause, 'the gRPC error is kept as cause');
        assert.ok(performance.now() - t0 < 2_000, 'fails fast, not at the deadline');
      } finally {
        bad.close();
      }
    });
  });
}

interface ContainerdFixture extends RuntimeFixture {
  testbed: ContainerdTestbed;
}

runtimeClientContract('containerd', async (): Promise<ContainerdFixture> => {
  const testbed = await startContainerd({ name: 'cri' });
  return { expectedRuntimeName: 'containerd', socket: testbed.socket, kubelet: testbed.cri, testbed, stop: () => testbed.stop() };
});

describe('containerd test bed', { skip }, () => {
  it('two instances run side by side ("two nodes") and clean up after themselves', async (t) => {
    const t0 = performance.now();
    const [a, b] = await Promise.all([startContainerd({ name: 'node-a' }), startContainerd({ name: 'node-b' })]);
    t.diagnostic(`two containerds started in parallel in ${(performance.now() - t0).toFixed(0)} ms (CRI answering after ${a.startupMs.toFixed(0)} / ${b.startupMs.toFixed(0)} ms, images imported)`);
    const clients: RuntimeClient[] = [];
    try {
      await Promise.all([
        a.cri.runPod({ name: 'etcd-0', namespace: 'db', containers: [{ name: 'etcd', command: ['sleep', '1000'] }] }),
        b.cri.runPod({ name: 'etcd-1', namespace: 'db', containers: [{ name: 'etcd', command: ['sleep', '1000'] }] }),
      ]);
      const ca = createCriClient({ socketPath: a.socket, timeoutMs: 5_000 });
      const cb = createCriClient({ socketPath: b.socket, timeoutMs: 5_000 });
      clients.push(ca, cb);
      const [la, lb] = await Promise.all([ca.listContainerInfos(), cb.listContainerInfos()]);
      assert.deepEqual(la.map((c) => c.pod.name), ['etcd-0']);
      assert.deepEqual(lb.map((c) => c.pod.name), ['etcd-1']);
      assert.ok(existsSync(join(a.runcRoot, 'k8s.io', a.cri.containerIdOf('etcd-0', 'etcd'))), 'runc state in its own root');
      assert.ok(!existsSync(join(b.runcRoot, 'k8s.io', a.cri.containerIdOf('etcd-0', 'etcd'))));
      assert.ok(shimPidsFor(a.socket).length > 0);
    } finally {
      for (const c of clients) c.close();
      await Promise.all([a.stop(), b.stop()]);
    }
    for (const tb of [a, b]) {
      assert.equal(shimPidsFor(tb.socket).length, 0, 'no shim left');
      assert.deepEqual(mountsUnder(tb.dir), [], 'nothing mounted');
      assert.equal(existsSync(tb.dir), false, 'folder removed');
      assert.throws(() => process.kill(tb.pid, 0), 'containerd gone');
    }
  });
});

describe('test bed gate', () => {
  it('skips with a reason locally, and throws instead under CI=true', () => {
    const saved = process.env.CI;
    try {
      delete process.env.CI;
      assert.match(testbedSkipReason({ tools: ['eris-no-such-tool'], root: false }) ?? '', /needs executable "eris-no-such-tool"/);
      assert.equal(testbedSkipReason({ tools: ['sh'], root: false }), undefined);
      process.env.CI = 'true';
      assert.throws(() => testbedSkipReason({ tools: ['eris-no-such-tool'], root: false }), /CI=true and test bed not available/);
    } finally {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
  });
});
