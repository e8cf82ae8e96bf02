// CRI (runtime.v1) client over the runtime's unix socket: the few calls eris needs, mapped to ContainerInfo.
// gRPC over node:http2 (./grpc.ts) with hand-written messages (./messages.ts): grpc-js + proto-loader cost the
// agent ~15-19 MiB RSS just to import.
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, RuntimeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { ContainerInfo, ContainerState, PodRef, RuntimeInfo } from '../types.js';
import { createUnixGrpcChannel, GRPC_STATUS_NAMES, GrpcError } from './grpc.js';
import {
  decodeContainerStatusResponse, decodeListContainersResponse, decodeListPodSandboxResponse, decodeVersionResponse,
  encodeContainerStatusRequest, encodeEmptyRequest, encodeVersionRequest, KUBE_LABELS,
  type CriContainer, type CriContainerState, type CriContainerStatusResponse, type CriPodSandbox, type CriVersionResponse,
} from './messages.js';
import { ProtobufError } from './protobuf.js';

export { KUBE_LABELS } from './messages.js';
export type {
  CriContainer, CriContainerMetadata, CriContainerState, CriContainerStatus, CriContainerStatusResponse, CriImageSpec, CriPodSandbox,
  CriPodSandboxMetadata, CriVersionResponse,
} from './messages.js';

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

export const RUNTIME_SERVICE_METHODS = [
  'Version', 'RunPodSandbox', 'StopPodSandbox', 'RemovePodSandbox', 'PodSandboxStatus', 'ListPodSandbox',
  'CreateContainer', 'StartContainer', 'StopContainer', 'RemoveContainer', 'ListContainers', 'ContainerStatus',
] as const;
export type RuntimeServiceMethod = (typeof RUNTIME_SERVICE_METHODS)[number];
export const IMAGE_SERVICE_METHODS = ['ListImages', 'ImageStatus'] as const;
export type ImageServiceMethod = (typeof IMAGE_SERVICE_METHODS)[number];

/** How the test harness's reflective codec shapes messages (proto-loader's conventions: camelCase, int64 as string). */
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

export interface RuntimeV1Package {
  RuntimeService: { service: Record<RuntimeServiceMethod, { path: string }> };
  ImageService: { service: Record<ImageServiceMethod, { path: string }> };
}

function methodPaths<M extends string>(service: string, methods: readonly M[]): Record<M, { path: string }> {
  return Object.fromEntries(methods.map((m) => [m, { path: `/runtime.v1.${service}/${m}` }])) as Record<M, { path: string }>;
}

/** The runtime.v1 services and their HTTP/2 paths (static: messages.test.ts checks them against the .proto). */
const RUNTIME_V1: RuntimeV1Package = {
  RuntimeService: { service: methodPaths('RuntimeService', RUNTIME_SERVICE_METHODS) },
  ImageService: { service: methodPaths('ImageService', IMAGE_SERVICE_METHODS) },
};

export function loadRuntimeV1(): RuntimeV1Package {
  return RUNTIME_V1;
}

export type CriService = 'RuntimeService' | 'ImageService';

/** Turns request objects into message bytes and response bytes into objects, per method. */
export interface CriCodec {
  /** Undefined: this codec has no message for the method. */
  encode(service: CriService, method: string, request: object): Uint8Array | undefined;
  decode(service: CriService, method: string, response: Uint8Array): unknown;
}

/**
 * The agent's codec: the four calls it makes, decoding only what toContainerInfo reads. The test harness, which
 * plays kubelet and calls everything, brings a reflective one (test/harness/cri-codec.ts).
 */
export const agentCodec: CriCodec = {
  encode(service, method, request) {
    if (service !== 'RuntimeService') return undefined;
    switch (method) {
      case 'Version': return encodeVersionRequest(request as { version?: string });
      case 'ListPodSandbox':
      case 'ListContainers':
        if (Object.keys(request).length > 0) return undefined; // filters: not needed by the agent
        return encodeEmptyRequest();
      case 'ContainerStatus': return encodeContainerStatusRequest(request as { containerId: string; verbose?: boolean });
      default: return undefined;
    }
  },
  decode(_service, method, response) {
    switch (method) {
      case 'Version': return decodeVersionResponse(response);
      case 'ListPodSandbox': return decodeListPodSandboxResponse(response);
      case 'ListContainers': return decodeListContainersResponse(response);
      case 'ContainerStatus': return decodeContainerStatusResponse(response);
      default: throw new ProtobufError(`no decoder for ${method}`);
    }
  },
};

export interface CriConnectionOptions {
  /** Absolute path of the runtime's unix socket. */
  socketPath: string;
  /** Deadline of each call. */
  timeoutMs: number;
  /** Called after every call: for latency metrics per method. */
  onCall?: (method: string, seconds: number, ok: boolean) => void;
  /** Default: agentCodec. */
  codec?: CriCodec;
}

/** Raw unary calls to RuntimeService and ImageService; every failure becomes a RuntimeError that names the method. */
export interface CriConnection {
  readonly socketPath: string;
  runtime<Res>(method: RuntimeServiceMethod, request: object, options?: { timeoutMs?: number }): Promise<Res>;
  image<Res>(method: ImageServiceMethod, request: object, options?: { timeoutMs?: number }): Promise<Res>;
  close(): void;
}

export function createCriConnection(options: CriConnectionOptions): CriConnection {
  const { socketPath, timeoutMs, onCall } = options;
  const codec = options.codec ?? agentCodec;
  // One connection for both services.
  const channel = createUnixGrpcChannel({ socketPath, maxReceiveBytes: 16 * 1024 * 1024 });

  async function unary<Res>(service: CriService, method: string, request: object, callTimeoutMs: number): Promise<Res> {
    let body: Uint8Array | undefined;
    try {
      body = codec.encode(service, method, request);
    } catch (err) {
      throw new RuntimeError(`CRI ${service}/${method}: request does not encode: ${(err as Error).message}`, { cause: err, details: { method } });
    }
    if (body === undefined) throw new RuntimeError(`CRI ${service}/${method} is not supported by this client's codec`, { details: { method } });
    const started = process.hrtime.bigint();
    let result: Res | undefined;
    let failure: GrpcError | undefined;
    try {
      const bytes = await channel.unary(`/runtime.v1.${service}/${method}`, body, callTimeoutMs);
      try {
        result = codec.decode(service, method, bytes) as Res;
      } catch (err) {
        failure = new GrpcError(13, `response message parsing error: ${(err as Error).message}`, { cause: err });
      }
    } catch (err) {
      failure = err instanceof GrpcError ? err : new GrpcError(2, String(err), { cause: err });
    }
    onCall?.(method, Number(process.hrtime.bigint() - started) / 1e9, failure === undefined);
    if (failure) throw toRuntimeError(method, failure, socketPath);
    return result as Res;
  }

  return {
    socketPath,
    runtime: (method, request, opts) => unary('RuntimeService', method, request, opts?.timeoutMs ?? timeoutMs),
    image: (method, request, opts) => unary('ImageService', method, request, opts?.timeoutMs ?? timeoutMs),
    close: () => channel.close(),
  };
}

function toRuntimeError(method: string, err: GrpcError, socketPath: string): RuntimeError {
  const grpcCode = GRPC_STATUS_NAMES[err.code] ?? String(err.code);
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
