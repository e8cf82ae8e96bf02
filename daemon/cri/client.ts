// CRI (runtime.v1) client over the runtime's unix socket: the few calls eris needs, mapped to ContainerInfo.
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ConfigError, RuntimeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { ContainerInfo, ContainerState, PodRef, RuntimeInfo } from '../types.js';

/** What the agent needs from a container runtime; one implementation per runtime protocol (CRI today). */
export interface RuntimeClient {
  version(): Promise<RuntimeInfo>;
  /** Every container the runtime knows (all states), with its pod and, when running, its init PID. */
  listContainerInfos(): Promise<ContainerInfo[]>;
  close(): void;
}

/** Where containerd and CRI-O listen by default, in the order we try them. */
export const DEFAULT_CRI_SOCKETS: readonly string[] = ['/run/containerd/containerd.sock', '/var/run/crio/crio.sock', '/run/crio/crio.sock'];

/** The first candidate that exists and is a unix socket, or null. */
export function detectCriSocket(candidates: readonly string[] = DEFAULT_CRI_SOCKETS): string | null {
  for (const path of candidates) {
    try {
      if (statSync(path).isSocket()) return path;
    } catch {
      // missing or unreadable: try the next one
    }
  }
  return null;
}

// kubelet's labels and annotations. ref: kubernetes pkg/kubelet/types/labels.go, pkg/kubelet/kuberuntime/labels.go
export const KUBE_LABELS = {
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
  restartCount: 'io.kubernetes.container.restartCount',
} as const;

// ---- Wire shapes, as @grpc/proto-loader hands them over with PROTO_LOADER_OPTIONS (camelCase, int64 as string). ----

export interface CriPodSandboxMetadata { name: string; uid: string; namespace: string; attempt: number }
export interface CriPodSandbox {
  id: string;
  metadata: CriPodSandboxMetadata | null;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  /** Nanoseconds, as a decimal string. */
  createdAt: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}
export interface CriContainerMetadata { name: string; attempt: number }
export interface CriImageSpec { image: string; annotations: Record<string, string>; userSpecifiedImage: string }
export type CriContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
export interface CriContainer {
  id: string;
  podSandboxId: string;
  metadata: CriContainerMetadata | null;
  image: CriImageSpec | null;
  imageRef: string;
  state: CriContainerState;
  /** Nanoseconds, as a decimal string. */
  createdAt: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
export interface CriContainerStatus {
  id: string;
  metadata: CriContainerMetadata | null;
  state: CriContainerState;
  createdAt: string;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  image: CriImageSpec | null;
  imageRef: string;
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
export interface CriContainerStatusResponse { status: CriContainerStatus | null; info: Record<string, string> }
export interface CriVersionResponse { version: string; runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }

export const RUNTIME_SERVICE_METHODS = [
  'Version', 'RunPodSandbox', 'StopPodSandbox', 'RemovePodSandbox', 'PodSandboxStatus', 'ListPodSandbox',
  'CreateContainer', 'StartContainer', 'StopContainer', 'RemoveContainer', 'ListContainers', 'ContainerStatus',
] as const;
export type RuntimeServiceMethod = (typeof RUNTIME_SERVICE_METHODS)[number];
export const IMAGE_SERVICE_METHODS = ['ListImages', 'ImageStatus'] as const;
export type ImageServiceMethod = (typeof IMAGE_SERVICE_METHODS)[number];

export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
} as const;

/**
 * The proto file beside this module. From source (tsx) that is ./runtime-v1.proto; compiled code runs from
 * dist/daemon/cri/ where tsc copies no .proto, so fall back to the package's daemon/cri/ (shipped via "files").
 */
export function criProtoPath(): string {
  const candidates = [new URL('./runtime-v1.proto', import.meta.url), new URL('../../../daemon/cri/runtime-v1.proto', import.meta.url)];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new ConfigError(`runtime-v1.proto not found (looked at ${candidates.map((u) => fileURLToPath(u)).join(', ')})`);
}

interface RuntimeV1Package {
  RuntimeService: grpc.ServiceClientConstructor;
  ImageService: grpc.ServiceClientConstructor;
}

let runtimeV1: RuntimeV1Package | undefined;

/** The loaded runtime.v1 package (parsed once per process: it is static data). */
export function loadRuntimeV1(): RuntimeV1Package {
  if (runtimeV1 === undefined) {
    const definition = loadSync(criProtoPath(), PROTO_LOADER_OPTIONS);
    const root = grpc.loadPackageDefinition(definition) as unknown as { runtime: { v1: RuntimeV1Package } };
    runtimeV1 = root.runtime.v1;
  }
  return runtimeV1;
}

export interface CriConnectionOptions {
  /** Absolute path of the runtime's unix socket. */
  socketPath: string;
  /** Deadline of each call. */
  timeoutMs: number;
  /** Called after every call: for latency metrics per method. */
  onCall?: (method: string, seconds: number, ok: boolean) => void;
}

/** Raw unary calls to RuntimeService and ImageService; every failure becomes a RuntimeError that names the method. */
export interface CriConnection {
  readonly socketPath: string;
  runtime<Res>(method: RuntimeServiceMethod, request: object, options?: { timeoutMs?: number }): Promise<Res>;
  image<Res>(method: ImageServiceMethod, request: object, options?: { timeoutMs?: number }): Promise<Res>;
  close(): void;
}

type UnaryMethod = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, response?: unknown) => void) => grpc.ClientUnaryCall;

export function createCriConnection(options: CriConnectionOptions): CriConnection {
  const { socketPath, timeoutMs, onCall } = options;
  const pkg = loadRuntimeV1();
  const address = `unix://${socketPath}`;
  const channelOptions: grpc.ChannelOptions = {
    // kubelet allows 16 MiB answers (ListContainers on a busy node); grpc-js defaults to 4 MiB.
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
    // grpc-js backs off up to 120 s between reconnects; after a runtime restart the agent must see it again soon.
    'grpc.max_reconnect_backoff_ms': 5_000,
  };
  const runtimeStub = new pkg.RuntimeService(address, grpc.credentials.createInsecure(), channelOptions);
  // Same channel for both services: one connection to the socket.
  const imageStub = new pkg.ImageService(address, grpc.credentials.createInsecure(), { ...channelOptions, channelOverride: runtimeStub.getChannel() });

  function unary<Res>(stub: grpc.Client, service: string, method: string, request: object, callTimeoutMs: number): Promise<Res> {
    const fn = (stub as unknown as Record<string, UnaryMethod>)[method];
    if (typeof fn !== 'function') return Promise.reject(new RuntimeError(`CRI ${service}/${method} is not in runtime-v1.proto`, { details: { method } }));
    const started = process.hrtime.bigint();
    return new Promise<Res>((resolve, reject) => {
      fn.call(stub, request, new grpc.Metadata(), { deadline: Date.now() + callTimeoutMs }, (err, response) => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        onCall?.(method, seconds, err === null);
        if (err) reject(toRuntimeError(method, err, socketPath));
        else resolve(response as Res);
      });
    });
  }

  return {
    socketPath,
    runtime: (method, request, opts) => unary(runtimeStub, 'RuntimeService', method, request, opts?.timeoutMs ?? timeoutMs),
    image: (method, request, opts) => unary(imageStub, 'ImageService', method, request, opts?.timeoutMs ?? timeoutMs),
    close() {
      imageStub.close();
      runtimeStub.close();
    },
  };
}

function toRuntimeError(method: string, err: grpc.ServiceError, socketPath: string): RuntimeError {
  const grpcCode = grpc.status[err.code] ?? String(err.code);
  return new RuntimeError(`CRI ${method} failed (${grpcCode}): ${err.details || err.message}`, {
    cause: err,
    details: { method, grpcCode, socketPath },
  });
}

/** True when a CRI call failed because the object is gone (e.g. a container removed between List and Status). */
export function isCriNotFound(err: unknown): boolean {
  return err instanceof RuntimeError && err.details?.grpcCode === 'NOT_FOUND';
}

export interface CriClientOptions extends CriConnectionOptions {
  logger?: Logger;
  /** ContainerStatus calls in flight at once during listContainerInfos. */
  statusConcurrency?: number;
}

const STATES: Record<CriContainerState, ContainerState> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_UNKNOWN: 'unknown',
};

/** A RuntimeClient speaking CRI runtime.v1 (containerd, CRI-O). */
export function createCriClient(options: CriClientOptions): RuntimeClient {
  const conn = createCriConnection(options);
  const logger = options.logger;
  const statusConcurrency = Math.max(1, options.statusConcurrency ?? 16);

  async function version(): Promise<RuntimeInfo> {
    const res = await conn.runtime<CriVersionResponse>('Version', { version: 'v1' });
    return { runtimeName: res.runtimeName, runtimeVersion: res.runtimeVersion, runtimeApiVersion: res.runtimeApiVersion };
  }

  async function listContainerInfos(): Promise<ContainerInfo[]> {
    const [sandboxRes, containerRes] = await Promise.all([
      conn.runtime<{ items: CriPodSandbox[] }>('ListPodSandbox', {}),
      conn.runtime<{ containers: CriContainer[] }>('ListContainers', {}),
    ]);
    const sandboxes = new Map(sandboxRes.items.map((s) => [s.id, s]));
    const infos = await mapLimit(containerRes.containers, statusConcurrency, async (container) => {
      let status: CriContainerStatusResponse | undefined;
      if (container.state === 'CONTAINER_RUNNING') {
        try {
          status = await conn.runtime<CriContainerStatusResponse>('ContainerStatus', { containerId: container.id, verbose: true });
        } catch (err) {
          // Removed between ListContainers and ContainerStatus: it is not on the node any more.
          if (isCriNotFound(err)) {
            logger?.debug({ containerId: container.id }, 'container vanished during listing');
            return undefined;
          }
          throw err;
        }
      }
      return toContainerInfo(container, sandboxes.get(container.podSandboxId), status, logger);
    });
    return infos.filter((i): i is ContainerInfo => i !== undefined);
  }

  return {
    version,
    listContainerInfos,
    close: () => conn.close(),
  };
}

/** Maps CRI answers to ContainerInfo; exported for unit tests. */
export function toContainerInfo(container: CriContainer, sandbox: CriPodSandbox | undefined, status: CriContainerStatusResponse | undefined, logger?: Logger): ContainerInfo {
  const labels = container.labels ?? {};
  const st = status?.status ?? undefined;
  const state = STATES[st?.state ?? container.state] ?? 'unknown';
  const restartLabel = container.annotations?.[KUBE_LABELS.restartCount] ?? st?.annotations?.[KUBE_LABELS.restartCount];
  const restartCount = parseNonNegativeInt(restartLabel) ?? container.metadata?.attempt ?? 0;
  // ContainerStatus resolves the image to a tag; ListContainers carries what CreateContainer got (kubelet passes
  // the image ID there, sha256:…).
  const image = st?.image?.image || container.image?.userSpecifiedImage || container.image?.image || container.imageRef || '';
  const pod: PodRef = {
    id: container.podSandboxId,
    name: labels[KUBE_LABELS.podName] ?? sandbox?.metadata?.name ?? '',
    namespace: labels[KUBE_LABELS.podNamespace] ?? sandbox?.metadata?.namespace ?? '',
    uid: labels[KUBE_LABELS.podUid] ?? sandbox?.metadata?.uid ?? '',
    labels: { ...(sandbox?.labels ?? {}) },
  };
  return {
    id: container.id,
    name: labels[KUBE_LABELS.containerName] ?? container.metadata?.name ?? '',
    image,
    state,
    restartCount,
    initPid: state === 'running' && status ? initPidOf(status.info ?? {}, container.id, logger) : 0,
    createdAt: nsToMs(container.createdAt),
    pod,
  };
}

/**
 * The init PID from ContainerStatus(verbose).info. containerd and CRI-O both put `{"pid": N, …}` under
 * info["info"]; some CRI-O versions also answer a top-level info["pid"]. 0 = not running / unknown.
 * ref: containerd pkg/cri/server/container_status.go (toCRIContainerInfo), cri-o server/container_status.go
 */
export function initPidOf(info: Record<string, string>, containerId = '', logger?: Logger): number {
  const raw = info.info;
  if (raw !== undefined) {
    try {
      const parsed = JSON.parse(raw) as { pid?: unknown };
      const pid = parseNonNegativeInt(parsed.pid);
      if (pid !== undefined && pid > 0) return pid;
    } catch (err) {
      logger?.debug({ err, containerId }, 'ContainerStatus info is not JSON');
    }
  }
  return parseNonNegativeInt(info.pid) ?? 0;
}

function parseNonNegativeInt(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Number.parseInt(value, 10);
  return undefined;
}

function nsToMs(ns: string | number | undefined): number {
  if (ns === undefined || ns === '') return 0;
  try {
    return Number(BigInt(ns) / 1_000_000n);
  } catch {
    return 0;
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
