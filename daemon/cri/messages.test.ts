// The hand-written CRI codec against an independent one: protobufjs reading runtime-v1.proto (test-only), plus the
// gRPC transport's error paths against a real containerd and against a node:http2 server that misbehaves on purpose.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RuntimeError } from '../../lib/errors.js';
import { loadCriProto } from '../../test/harness/cri-codec.js';
import { startContainerd, type ContainerdTestbed } from '../../test/harness/containerd.js';
import { testbedSkipReason } from '../../test/harness/requirements.js';
import { agentCodec, createCriClient, createCriConnection, IMAGE_SERVICE_METHODS, initPidOf, isCriNotFound, loadRuntimeV1, RUNTIME_SERVICE_METHODS } from './client.js';
import { frameMessage, GrpcError, unframe } from './grpc.js';
import {
  decodeContainerStatusResponse, decodeListContainersResponse, decodeListPodSandboxResponse, decodeVersionResponse,
  encodeContainerStatusRequest, encodeVersionRequest, KUBE_LABELS,
} from './messages.js';
import { ProtobufError, ProtoReader } from './protobuf.js';

const root = loadCriProto();
const type = (name: string) => root.lookupType(`runtime.v1.${name}`);
const encode = (name: string, object: Record<string, unknown>): Uint8Array => {
  const t = type(name);
  return t.encode(t.fromObject(object)).finish();
};

/** Fields this proto does not know, in every wire type, as a newer runtime would send them. */
function unknownFields(): Buffer {
  return Buffer.from([
    0xf8, 0x06, 0x96, 0x01, // field 111, varint 150
    0x82, 0x07, 0x03, 0x61, 0x62, 0x63, // field 112, length-delimited "abc"
    0x89, 0x07, 1, 2, 3, 4, 5, 6, 7, 8, // field 113, fixed64
    0x95, 0x07, 1, 2, 3, 4, // field 114, fixed32
  ]);
}

const withUnknown = (bytes: Uint8Array): Uint8Array => Buffer.concat([bytes, unknownFields()]);

/** A verbose ContainerStatus info["info"] like containerd's: the whole OCI runtime spec and more, ~100 KiB. */
function bigInfoJson(pid: number): string {
  const env = Array.from({ length: 500 }, (_, i) => `VAR_${i}=${'x'.repeat(100)}`);
  const mounts = Array.from({ length: 100 }, (_, i) => ({ destination: `/m/${i}`, type: 'bind', source: `/host/${i}`, options: ['rbind', 'ro'] }));
  return JSON.stringify({
    sandboxID: 'sb1',
    pid,
    removing: false,
    snapshotKey: 'k',
    runtimeSpec: { ociVersion: '1.1.0', process: { args: ['sleep', 'inf'], env }, mounts, linux: { namespaces: [{ type: 'pid' }, { type: 'ipc' }] } },
  });
}

const nsCreated = '1764790000123456789'; // beyond 2^53

describe('CRI messages: hand-written codec vs protobufjs', () => {
  it('the static method table is the proto\'s services, with their gRPC paths', () => {
    const pkg = loadRuntimeV1();
    const runtime = root.lookupService('runtime.v1.RuntimeService');
    const image = root.lookupService('runtime.v1.ImageService');
    assert.deepEqual(Object.keys(runtime.methods).sort(), [...RUNTIME_SERVICE_METHODS].sort());
    assert.deepEqual(Object.keys(image.methods).sort(), [...IMAGE_SERVICE_METHODS].sort());
    for (const m of RUNTIME_SERVICE_METHODS) assert.equal(pkg.RuntimeService.service[m].path, `/runtime.v1.RuntimeService/${m}`);
  });

  it('reads ListContainersResponse: the fields toContainerInfo uses, unknown fields and unread labels skipped', () => {
    const container = (id: string, state: number) => ({
      id,
      podSandboxId: 'sb1',
      metadata: { name: `name-${id}`, attempt: 4 },
      image: { image: 'sha256:abc', annotations: { big: 'y'.repeat(5000) }, userSpecifiedImage: 'etcd:3.4', runtimeHandler: 'runc' },
      imageRef: 'sha256:abc',
      state,
      createdAt: nsCreated,
      labels: { [KUBE_LABELS.podName]: 'etcd-0', [KUBE_LABELS.podNamespace]: 'db', [KUBE_LABELS.podUid]: 'u1', [KUBE_LABELS.containerName]: 'etcd', other: 'not read' },
      annotations: { [KUBE_LABELS.restartCount]: '7', 'io.kubernetes.container.terminationMessagePath': '/dev/termination-log' },
      imageId: 'sha256:def',
    });
    // Unknown fields inside each container and at the top level.
    const inner = [container('c1', 1), container('c2', 2)].map((c) => withUnknown(encode('Container', c)));
    const top = Buffer.concat([...inner.map((bytes) => Buffer.concat([Buffer.from([0x0a]), varint(bytes.length), bytes])), unknownFields()]);
    // protobufjs agrees this is a valid ListContainersResponse.
    assert.equal((type('ListContainersResponse').decode(top) as unknown as { containers: unknown[] }).containers.length, 2);

    const { containers } = decodeListContainersResponse(top);
    assert.equal(containers.length, 2);
    assert.deepEqual(containers[0], {
      id: 'c1',
      podSandboxId: 'sb1',
      metadata: { name: 'name-c1', attempt: 4 },
      image: { image: 'sha256:abc', annotations: {}, userSpecifiedImage: 'etcd:3.4' },
      imageRef: 'sha256:abc',
      state: 'CONTAINER_RUNNING',
      createdAt: nsCreated,
      labels: { [KUBE_LABELS.podName]: 'etcd-0', [KUBE_LABELS.podNamespace]: 'db', [KUBE_LABELS.podUid]: 'u1', [KUBE_LABELS.containerName]: 'etcd' },
      annotations: { [KUBE_LABELS.restartCount]: '7' },
    });
    assert.equal(containers[1]?.state, 'CONTAINER_EXITED');
  });

  it('defaults match proto3 (an empty message) and an unknown enum value reads as UNKNOWN', () => {
    const { containers } = decodeListContainersResponse(encode('ListContainersResponse', { containers: [{}] }));
    assert.deepEqual(containers[0], { id: '', podSandboxId: '', metadata: null, image: null, imageRef: '', state: 'CONTAINER_CREATED', createdAt: '0', labels: {}, annotations: {} });
    const bytes = Buffer.from([0x0a, 0x02, 0x30, 0x09]); // containers { state: 9 }
    assert.equal(decodeListContainersResponse(bytes).containers[0]?.state, 'CONTAINER_UNKNOWN');
  });

  it('reads ListPodSandboxResponse: id, metadata, every label', () => {
    const bytes = withUnknown(encode('ListPodSandboxResponse', {
      items: [{ id: 'sb1', metadata: { name: 'etcd-0', uid: 'u1', namespace: 'db', attempt: 1 }, state: 1, createdAt: nsCreated, labels: { app: 'etcd', zone: 'a' }, annotations: { a: 'b' }, runtimeHandler: 'runc' }],
    }));
    assert.deepEqual(decodeListPodSandboxResponse(bytes).items, [
      { id: 'sb1', metadata: { name: 'etcd-0', uid: 'u1', namespace: 'db', attempt: 1 }, state: 'SANDBOX_NOTREADY', createdAt: nsCreated, labels: { app: 'etcd', zone: 'a' }, annotations: {}, runtimeHandler: '' },
    ]);
  });

  it('reads ContainerStatusResponse(verbose): state, image, restart count, and only the info keys the PID comes from', () => {
    const info = bigInfoJson(4242);
    const bytes = withUnknown(encode('ContainerStatusResponse', {
      status: {
        id: 'c1', metadata: { name: 'etcd', attempt: 1 }, state: 1, createdAt: nsCreated, startedAt: nsCreated, finishedAt: '0', exitCode: -1,
        image: { image: 'eris.local/busybox:1' }, imageRef: 'sha256:abc', reason: 'r', message: 'm', labels: { a: 'b' },
        annotations: { [KUBE_LABELS.restartCount]: '3', x: 'y' },
        mounts: [{ containerPath: '/data', hostPath: '/var/data', readonly: true, propagation: 2 }],
        logPath: '/var/log/x', resources: { linux: { cpuQuota: '-1', memoryLimitInBytes: '1073741824' } }, imageId: 'sha256:x',
      },
      info: { info, runtimeSpec: 'z'.repeat(50_000), other: '{}' },
    }));
    assert.ok(bytes.length > 100_000, `${bytes.length} bytes`);
    const res = decodeContainerStatusResponse(bytes);
    assert.deepEqual(Object.keys(res.info).sort(), ['info']);
    assert.equal(res.info.info, info);
    assert.equal(initPidOf(res.info), 4242);
    assert.equal(res.status?.state, 'CONTAINER_RUNNING');
    assert.equal(res.status?.id, 'c1');
    assert.equal(res.status?.image?.image, 'eris.local/busybox:1');
    assert.deepEqual(res.status?.annotations, { [KUBE_LABELS.restartCount]: '3' });
    // CRI-O's top-level pid key is kept too.
    assert.deepEqual(decodeContainerStatusResponse(encode('ContainerStatusResponse', { info: { pid: '77', x: '1' } })).info, { pid: '77' });
  });

  it('reads VersionResponse', () => {
    const bytes = withUnknown(encode('VersionResponse', { version: '0.1.0', runtimeName: 'containerd', runtimeVersion: 'v2.1', runtimeApiVersion: 'v1' }));
    assert.deepEqual(decodeVersionResponse(bytes), { version: '0.1.0', runtimeName: 'containerd', runtimeVersion: 'v2.1', runtimeApiVersion: 'v1' });
  });

  it('requests it writes decode with protobufjs', () => {
    const status = type('ContainerStatusRequest').toObject(type('ContainerStatusRequest').decode(encodeContainerStatusRequest({ containerId: 'c'.repeat(64), verbose: true })));
    assert.deepEqual(status, { containerId: 'c'.repeat(64), verbose: true });
    assert.deepEqual(type('VersionRequest').toObject(type('VersionRequest').decode(encodeVersionRequest({ version: 'v1' }))), { version: 'v1' });
    for (const m of ['ListPodSandbox', 'ListContainers']) {
      const bytes = agentCodec.encode('RuntimeService', m, {});
      assert.ok(bytes);
      assert.deepEqual(type(`${m}Request`).toObject(type(`${m}Request`).decode(bytes)), {});
    }
    assert.equal(agentCodec.encode('RuntimeService', 'CreateContainer', {}), undefined, 'not an agent call');
  });

  it('a truncated message or frame is an error, not a half-read object', () => {
    const bytes = encode('ListContainersResponse', { containers: [{ id: 'c1', labels: { a: 'b' } }] });
    for (let cut = 1; cut < bytes.length; cut++) {
      assert.throws(() => decodeListContainersResponse(bytes.subarray(0, cut)), ProtobufError, `cut at ${cut}`);
    }
    assert.throws(() => new ProtoReader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).varint(), /longer than 10 bytes/);
    const frame = frameMessage(bytes);
    assert.deepEqual(unframe(frame), bytes);
    for (const cut of [0, 3, 5, frame.length - 1]) {
      const res = unframe(frame.subarray(0, cut));
      assert.ok(res instanceof GrpcError, `cut at ${cut}`);
      assert.equal(res.code, 13, 'INTERNAL');
    }
  });
});

/** A node:http2 server on a unix socket that answers each call with `handler`. */
async function grpcServer(t: { after: (fn: () => void) => void }, handler: (stream: http2.ServerHttp2Stream) => void): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'eris-grpc-'));
  const socket = join(dir, 'rt.sock');
  const server = http2.createServer();
  server.on('stream', handler);
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  t.after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return socket;
}

describe('CRI gRPC transport: error paths', () => {
  it('a trailers-only error reply maps its status and percent-decoded message', async (t) => {
    const socket = await grpcServer(t, (stream) => stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'container%20%22x%22%20not%20found' }, { endStream: true }));
    const conn = createCriConnection({ socketPath: socket, timeoutMs: 2000 });
    t.after(() => conn.close());
    const err = await conn.runtime('ContainerStatus', { containerId: 'x', verbose: true }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof RuntimeError);
    assert.equal(err.message, 'CRI ContainerStatus failed (NOT_FOUND): container "x" not found');
    assert.ok(isCriNotFound(err));
  });

  it('a truncated response frame is INTERNAL; a reply that never comes hits the deadline; onCall sees both', async (t) => {
    let mode: 'truncated' | 'silent' = 'truncated';
    const socket = await grpcServer(t, (stream) => {
      stream.on('data', () => undefined);
      if (mode === 'silent') return;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frameMessage(Buffer.alloc(100)).subarray(0, 50));
    });
    const calls: Array<[string, boolean]> = [];
    const conn = createCriConnection({ socketPath: socket, timeoutMs: 300, onCall: (m, _s, ok) => calls.push([m, ok]) });
    t.after(() => conn.close());
    const truncated = await conn.runtime('Version', { version: 'v1' }).then(() => undefined, (e: unknown) => e);
    assert.ok(truncated instanceof RuntimeError);
    assert.match(truncated.message, /CRI Version failed \(INTERNAL\): truncated message frame/);
    mode = 'silent';
    const started = Date.now();
    const late = await conn.runtime('Version', { version: 'v1' }).then(() => undefined, (e: unknown) => e);
    assert.ok(late instanceof RuntimeError);
    assert.equal(late.details?.grpcCode, 'DEADLINE_EXCEEDED');
    assert.ok(Date.now() - started >= 290, 'waited for the deadline');
    assert.deepEqual(calls, [['Version', false], ['Version', false]]);
  });
});

describe('CRI gRPC transport: runtime restart', () => {
  it('after the runtime goes away and comes back on the same socket, the next call reconnects', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'eris-grpc-'));
    const socket = join(dir, 'rt.sock');
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const reply = encode('VersionResponse', { version: '0.1.0', runtimeName: 'fake', runtimeVersion: '1', runtimeApiVersion: 'v1' });
    const serve = async (): Promise<{ server: http2.Http2Server; sessions: Set<http2.ServerHttp2Session> }> => {
      const server = http2.createServer();
      const sessions = new Set<http2.ServerHttp2Session>();
      server.on('session', (s) => sessions.add(s));
      server.on('stream', (stream: http2.ServerHttp2Stream) => {
        stream.on('data', () => undefined);
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(frameMessage(reply));
      });
      await new Promise<void>((resolve) => server.listen(socket, resolve));
      return { server, sessions };
    };
    const client = createCriClient({ socketPath: socket, timeoutMs: 2000 });
    t.after(() => client.close());
    const first = await serve();
    assert.equal((await client.version()).runtimeName, 'fake');
    // The runtime dies: its connections drop and the socket is gone.
    for (const s of first.sessions) s.destroy();
    await new Promise<void>((resolve) => first.server.close(() => resolve()));
    const down = await client.version().then(() => undefined, (e: unknown) => e);
    assert.ok(down instanceof RuntimeError);
    assert.equal(down.details?.grpcCode, 'UNAVAILABLE');
    const second = await serve();
    t.after(() => second.server.close());
    assert.equal((await client.version()).runtimeName, 'fake');
    for (const s of second.sessions) s.destroy();
  });
});

const skip = testbedSkipReason(['containerd', 'ctr', 'runc', 'containerd-shim-runc-v2', 'busybox', 'tar']);

describe('CRI gRPC transport: real containerd', { skip }, () => {
  let bed: ContainerdTestbed;
  before(async () => {
    bed = await startContainerd({ name: 'messages' });
  });
  after(async () => {
    await bed?.stop();
  });

  it('ContainerStatus of an unknown id is NOT_FOUND, as isCriNotFound expects', async (t) => {
    const conn = createCriConnection({ socketPath: bed.socket, timeoutMs: 5000 });
    t.after(() => conn.close());
    const err = await conn.runtime('ContainerStatus', { containerId: 'f'.repeat(64), verbose: true }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof RuntimeError);
    assert.equal(err.details?.grpcCode, 'NOT_FOUND');
    assert.ok(isCriNotFound(err));
    assert.ok(err.cause instanceof GrpcError && err.cause.code === 5);
  });

  it('lists through the agent codec', async (t) => {
    const client = createCriClient({ socketPath: bed.socket, timeoutMs: 5000 });
    t.after(() => client.close());
    assert.equal((await client.version()).runtimeName, 'containerd');
    assert.deepEqual(await client.listContainerInfos(), []);
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}
