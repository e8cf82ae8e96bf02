import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RuntimeError } from '../../lib/errors.js';
import { createCriClient, criProtoPath, detectCriSocket, initPidOf, loadRuntimeV1, toContainerInfo, type CriContainer, type CriPodSandbox } from './client.js';

const sandbox: CriPodSandbox = {
  id: 'sb1',
  metadata: { name: 'meta-pod', uid: 'meta-uid', namespace: 'meta-ns', attempt: 0 },
  state: 'SANDBOX_READY',
  createdAt: '1700000000000000000',
  labels: { app: 'etcd', 'io.kubernetes.pod.name': 'etcd-0' },
  annotations: {},
  runtimeHandler: '',
};

function criContainer(patch: Partial<CriContainer> = {}): CriContainer {
  return {
    id: 'c1',
    podSandboxId: 'sb1',
    metadata: { name: 'meta-name', attempt: 3 },
    image: { image: 'sha256:abc', annotations: {}, userSpecifiedImage: '' },
    imageRef: 'sha256:abc',
    state: 'CONTAINER_RUNNING',
    createdAt: '1700000000123456789',
    labels: {
      'io.kubernetes.pod.name': 'etcd-0',
      'io.kubernetes.pod.namespace': 'db',
      'io.kubernetes.pod.uid': 'uid-1',
      'io.kubernetes.container.name': 'etcd',
    },
    annotations: { 'io.kubernetes.container.restartCount': '2' },
    ...patch,
  };
}

describe('CRI mapping', () => {
  it('maps kubelet labels, the restart count annotation, state, ns timestamps and the verbose PID', () => {
    const info = toContainerInfo(criContainer(), sandbox, {
      status: null,
      info: { info: JSON.stringify({ pid: 4242, sandboxID: 'sb1' }) },
    });
    assert.deepEqual(info, {
      id: 'c1',
      name: 'etcd',
      image: 'sha256:abc',
      state: 'running',
      restartCount: 2,
      initPid: 4242,
      createdAt: 1700000000123,
      pod: { id: 'sb1', name: 'etcd-0', namespace: 'db', uid: 'uid-1', labels: { app: 'etcd', 'io.kubernetes.pod.name': 'etcd-0' } },
    });
  });

  it('falls back to CRI metadata when kubelet labels are missing', () => {
    const info = toContainerInfo(criContainer({ labels: {}, annotations: {}, state: 'CONTAINER_EXITED' }), sandbox, undefined);
    assert.equal(info.name, 'meta-name');
    assert.equal(info.restartCount, 3, 'metadata.attempt');
    assert.equal(info.state, 'exited');
    assert.equal(info.initPid, 0, 'not running: no PID');
    assert.deepEqual([info.pod.name, info.pod.namespace, info.pod.uid], ['meta-pod', 'meta-ns', 'meta-uid']);
  });

  it('a container whose sandbox is gone still maps (empty pod labels)', () => {
    const info = toContainerInfo(criContainer({ labels: {} }), undefined, undefined);
    assert.deepEqual(info.pod, { id: 'sb1', name: '', namespace: '', uid: '', labels: {} });
  });

  it('prefers the image tag ContainerStatus resolves over the image ID kubelet passed', () => {
    const status = { id: 'c1', metadata: null, state: 'CONTAINER_RUNNING' as const, createdAt: '0', startedAt: '0', finishedAt: '0', exitCode: 0, image: { image: 'eris.local/busybox:1', annotations: {}, userSpecifiedImage: '' }, imageRef: '', reason: '', message: '', labels: {}, annotations: {} };
    assert.equal(toContainerInfo(criContainer(), sandbox, { status, info: {} }).image, 'eris.local/busybox:1');
    assert.equal(toContainerInfo(criContainer({ image: { image: 'sha256:abc', annotations: {}, userSpecifiedImage: 'etcd:3.4' } }), sandbox, undefined).image, 'etcd:3.4');
  });

  it('status state wins over the list state (it is newer): exited means PID 0', () => {
    const status = { id: 'c1', metadata: null, state: 'CONTAINER_EXITED' as const, createdAt: '0', startedAt: '0', finishedAt: '0', exitCode: 137, image: null, imageRef: '', reason: '', message: '', labels: {}, annotations: {} };
    const info = toContainerInfo(criContainer(), sandbox, { status, info: { info: '{"pid": 99}' } });
    assert.equal(info.state, 'exited');
    assert.equal(info.initPid, 0);
  });

  it('reads the PID from info.info (containerd, CRI-O) or a top-level pid (older CRI-O); 0 otherwise', () => {
    assert.equal(initPidOf({ info: '{"pid":123}' }), 123);
    assert.equal(initPidOf({ pid: '77' }), 77, 'CRI-O top-level pid');
    assert.equal(initPidOf({ info: '{"pid":0}', pid: '55' }), 55);
    assert.equal(initPidOf({ info: 'not json' }), 0);
    assert.equal(initPidOf({ info: '{"pid":-1}' }), 0);
    assert.equal(initPidOf({}), 0);
  });

  it('unknown enum values map to unknown', () => {
    assert.equal(toContainerInfo(criContainer({ state: 'CONTAINER_UNKNOWN' }), sandbox, undefined).state, 'unknown');
  });
});

describe('CRI plumbing', () => {
  it('finds and loads the proto (RuntimeService and ImageService)', () => {
    assert.match(criProtoPath(), /runtime-v1\.proto$/);
    const pkg = loadRuntimeV1();
    for (const m of ['Version', 'ListPodSandbox', 'PodSandboxStatus', 'ListContainers', 'ContainerStatus', 'RunPodSandbox', 'StopPodSandbox', 'RemovePodSandbox', 'CreateContainer', 'StartContainer', 'StopContainer', 'RemoveContainer']) {
      assert.ok(m in pkg.RuntimeService.service, `RuntimeService.${m}`);
    }
    assert.equal(pkg.RuntimeService.service.ListContainers?.path, '/runtime.v1.RuntimeService/ListContainers');
    assert.ok('ListImages' in pkg.ImageService.service);
  });

  it('detectCriSocket returns the first candidate that is a socket', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'eris-cri-detect-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'plain');
    writeFileSync(file, '');
    const sock = join(dir, 'rt.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    t.after(() => server.close());
    assert.equal(detectCriSocket([join(dir, 'missing'), file, sock]), sock);
    assert.equal(detectCriSocket([join(dir, 'missing'), file]), null);
  });

  it('a socket nobody serves gives a RuntimeError that names the method and keeps the gRPC cause', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'eris-cri-bad-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const calls: Array<[string, boolean]> = [];
    const client = createCriClient({ socketPath: join(dir, 'nobody.sock'), timeoutMs: 2000, onCall: (m, _s, ok) => calls.push([m, ok]) });
    t.after(() => client.close());
    const err = await client.listContainerInfos().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof RuntimeError);
    assert.equal(err.code, 'ERIS_ERR_RUNTIME');
    assert.match(err.message, /CRI (ListPodSandbox|ListContainers) failed \(UNAVAILABLE\)/);
    assert.equal(err.details?.grpcCode, 'UNAVAILABLE');
    assert.ok(err.cause instanceof Error);
    assert.equal((err.cause as { code?: number }).code, 14);
    assert.ok(calls.some(([m, ok]) => (m === 'ListPodSandbox' || m === 'ListContainers') && !ok), 'onCall saw the failure');
  });
});
