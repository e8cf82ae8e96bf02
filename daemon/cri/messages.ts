// The CRI runtime.v1 messages the agent sends and reads, encoded by hand (field numbers from runtime-v1.proto).
// Decoders keep only what toContainerInfo reads; everything else is skipped undecoded (the verbose
// ContainerStatus info carries the whole OCI spec, and CRI-O adds more keys).
import { ProtoReader, ProtoWriter, WIRE, readMapEntry } from './protobuf.js';

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

// kubelet's labels and annotations. ref: kubernetes pkg/kubelet/types/labels.go, pkg/kubelet/kuberuntime/labels.go
export const KUBE_LABELS = {
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
  restartCount: 'io.kubernetes.container.restartCount',
} as const;

/** The container labels and annotations toContainerInfo reads; the rest are not decoded. */
const CONTAINER_LABEL_KEYS = new Set<string>([KUBE_LABELS.podName, KUBE_LABELS.podNamespace, KUBE_LABELS.podUid, KUBE_LABELS.containerName]);
const isRestartCount = (key: string): boolean => key === KUBE_LABELS.restartCount;
/** ContainerStatus(verbose).info keys initPidOf reads. */
const isPidInfoKey = (key: string): boolean => key === 'info' || key === 'pid';

const CONTAINER_STATES: readonly CriContainerState[] = ['CONTAINER_CREATED', 'CONTAINER_RUNNING', 'CONTAINER_EXITED', 'CONTAINER_UNKNOWN'];
const SANDBOX_STATES = ['SANDBOX_READY', 'SANDBOX_NOTREADY'] as const;

// ---- Requests ----

export function encodeVersionRequest(req: { version?: string }): Uint8Array {
  return new ProtoWriter().string(1, req.version).finish();
}

/** ListPodSandboxRequest and ListContainersRequest without a filter: the agent lists everything. */
export function encodeEmptyRequest(): Uint8Array {
  return new Uint8Array(0);
}

export function encodeContainerStatusRequest(req: { containerId: string; verbose?: boolean }): Uint8Array {
  return new ProtoWriter().string(1, req.containerId).bool(2, req.verbose).finish();
}

// ---- Responses ----

export function decodeVersionResponse(buf: Uint8Array): CriVersionResponse {
  const res: CriVersionResponse = { version: '', runtimeName: '', runtimeVersion: '', runtimeApiVersion: '' };
  const r = new ProtoReader(buf);
  while (!r.done) {
    const { field, wire } = r.tag();
    if (wire !== WIRE.LEN) r.skip(wire);
    else if (field === 1) res.version = r.string();
    else if (field === 2) res.runtimeName = r.string();
    else if (field === 3) res.runtimeVersion = r.string();
    else if (field === 4) res.runtimeApiVersion = r.string();
    else r.skip(wire);
  }
  return res;
}

export function decodeListPodSandboxResponse(buf: Uint8Array): { items: CriPodSandbox[] } {
  const items: CriPodSandbox[] = [];
  const r = new ProtoReader(buf);
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.LEN) items.push(decodePodSandbox(r.message()));
    else r.skip(wire);
  }
  return { items };
}

function decodePodSandbox(r: ProtoReader): CriPodSandbox {
  const s: CriPodSandbox = { id: '', metadata: null, state: 'SANDBOX_READY', createdAt: '0', labels: {}, annotations: {}, runtimeHandler: '' };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.LEN) s.id = r.string();
    else if (field === 2 && wire === WIRE.LEN) s.metadata = decodePodSandboxMetadata(r.message());
    else if (field === 3 && wire === WIRE.VARINT) s.state = SANDBOX_STATES[r.varint()] ?? 'SANDBOX_NOTREADY';
    else if (field === 4 && wire === WIRE.VARINT) s.createdAt = r.int64();
    else if (field === 5 && wire === WIRE.LEN) addEntry(s.labels, readMapEntry(r.message(), () => true));
    else r.skip(wire); // annotations (6), runtime_handler (7): not read
  }
  return s;
}

function decodePodSandboxMetadata(r: ProtoReader): CriPodSandboxMetadata {
  const m: CriPodSandboxMetadata = { name: '', uid: '', namespace: '', attempt: 0 };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.LEN) m.name = r.string();
    else if (field === 2 && wire === WIRE.LEN) m.uid = r.string();
    else if (field === 3 && wire === WIRE.LEN) m.namespace = r.string();
    else if (field === 4 && wire === WIRE.VARINT) m.attempt = r.varint() >>> 0;
    else r.skip(wire);
  }
  return m;
}

export function decodeListContainersResponse(buf: Uint8Array): { containers: CriContainer[] } {
  const containers: CriContainer[] = [];
  const r = new ProtoReader(buf);
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.LEN) containers.push(decodeContainer(r.message()));
    else r.skip(wire);
  }
  return { containers };
}

function decodeContainer(r: ProtoReader): CriContainer {
  const c: CriContainer = { id: '', podSandboxId: '', metadata: null, image: null, imageRef: '', state: 'CONTAINER_CREATED', createdAt: '0', labels: {}, annotations: {} };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.LEN) c.id = r.string();
    else if (field === 2 && wire === WIRE.LEN) c.podSandboxId = r.string();
    else if (field === 3 && wire === WIRE.LEN) c.metadata = decodeContainerMetadata(r.message());
    else if (field === 4 && wire === WIRE.LEN) c.image = decodeImageSpec(r.message());
    else if (field === 5 && wire === WIRE.LEN) c.imageRef = r.string();
    else if (field === 6 && wire === WIRE.VARINT) c.state = containerState(r.varint());
    else if (field === 7 && wire === WIRE.VARINT) c.createdAt = r.int64();
    else if (field === 8 && wire === WIRE.LEN) addEntry(c.labels, readMapEntry(r.message(), (k) => CONTAINER_LABEL_KEYS.has(k)));
    else if (field === 9 && wire === WIRE.LEN) addEntry(c.annotations, readMapEntry(r.message(), isRestartCount));
    else r.skip(wire);
  }
  return c;
}

function decodeContainerMetadata(r: ProtoReader): CriContainerMetadata {
  const m: CriContainerMetadata = { name: '', attempt: 0 };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.LEN) m.name = r.string();
    else if (field === 2 && wire === WIRE.VARINT) m.attempt = r.varint() >>> 0;
    else r.skip(wire);
  }
  return m;
}

/** ImageSpec: image and user_specified_image; its annotations are not read. */
function decodeImageSpec(r: ProtoReader): CriImageSpec {
  const spec: CriImageSpec = { image: '', annotations: {}, userSpecifiedImage: '' };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.LEN) spec.image = r.string();
    else if (field === 18 && wire === WIRE.LEN) spec.userSpecifiedImage = r.string();
    else r.skip(wire);
  }
  return spec;
}

export function decodeContainerStatusResponse(buf: Uint8Array): CriContainerStatusResponse {
  const res: CriContainerStatusResponse = { status: null, info: {} };
  const r = new ProtoReader(buf);
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.LEN) res.status = decodeContainerStatus(r.message());
    else if (field === 2 && wire === WIRE.LEN) addEntry(res.info, readMapEntry(r.message(), isPidInfoKey));
    else r.skip(wire);
  }
  return res;
}

/** ContainerStatus: id, state, image and the restart count annotation; mounts, resources, labels… are skipped. */
function decodeContainerStatus(r: ProtoReader): CriContainerStatus {
  const s: CriContainerStatus = {
    id: '', metadata: null, state: 'CONTAINER_CREATED', createdAt: '0', startedAt: '0', finishedAt: '0', exitCode: 0,
    image: null, imageRef: '', reason: '', message: '', labels: {}, annotations: {},
  };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.LEN) s.id = r.string();
    else if (field === 3 && wire === WIRE.VARINT) s.state = containerState(r.varint());
    else if (field === 8 && wire === WIRE.LEN) s.image = decodeImageSpec(r.message());
    else if (field === 13 && wire === WIRE.LEN) addEntry(s.annotations, readMapEntry(r.message(), isRestartCount));
    else r.skip(wire);
  }
  return s;
}

/** An enum value this proto does not know reads as UNKNOWN (toContainerInfo maps it to 'unknown' either way). */
function containerState(value: number): CriContainerState {
  return CONTAINER_STATES[value] ?? 'CONTAINER_UNKNOWN';
}

function addEntry(map: Record<string, string>, entry: [string, string] | undefined): void {
  if (entry !== undefined) map[entry[0]] = entry[1];
}
