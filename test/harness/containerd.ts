// Test bed that plays a node and its kubelet: a private containerd (own root, state, socket, runc root) and CRI calls made the way kubelet makes them.
import { spawn, execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, openSync, closeSync, readFileSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCriConnection, type CriConnection, type CriContainer, type CriPodSandbox } from '../../daemon/cri/client.js';
import { reflectiveCriCodec } from './cri-codec.js';
import { findExecutable } from './requirements.js';
import { writeOciImage, type OciImage } from '../../scripts/image/oci-image.mjs';

/** A busybox image every test bed imports at start. */
export const BUSYBOX_IMAGE = 'eris.local/busybox:1';
/** The CRI sandbox ("pause") image: the same busybox layer, tagged as `sandbox_image` in config.toml. */
export const PAUSE_IMAGE = 'eris.local/pause:1';
/** Default name for buildEtcdImage / addEtcdImage (Debian's etcd-server is 3.4). */
export const ETCD_IMAGE = 'eris.local/etcd:3.4';
/** Where the FakeKubelet puts pod cgroups, like kubelet's cgroupfs driver for a BestEffort pod. */
export const DEFAULT_CGROUP_ROOT = '/kubepods/besteffort';

const K8S_NAMESPACE = 'k8s.io';
const SBIN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// ---------------------------------------------------------------------------------------------------------------
// Small process helpers

export interface ExecResult { stdout: string; stderr: string; code: number }

/** Runs a command to completion; never throws on a non-zero exit (look at `code`). */
export function run(file: string, args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<ExecResult> {
  return new Promise((resolvePromise) => {
    const child = execFile(file, args, { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: options.env ?? envWithSbin() }, (err, stdout, stderr) => {
      // err.code is the exit status, or a string such as ENOENT when the command could not start.
      const exitCode = (err as { code?: unknown } | null)?.code;
      const code = err ? (typeof exitCode === 'number' ? exitCode : 127) : 0;
      resolvePromise({ stdout: String(stdout), stderr: String(stderr) || (err ? err.message : ''), code });
    });
    child.stdin?.on('error', () => undefined); // a command that exits without reading its input
    child.stdin?.end(options.input ?? '');
  });
}

async function runOk(file: string, args: string[], options: { timeoutMs?: number } = {}): Promise<string> {
  const res = await run(file, args, options);
  if (res.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${res.code}: ${res.stderr.trim() || res.stdout.trim()}`);
  return res.stdout;
}

function envWithSbin(): NodeJS.ProcessEnv {
  // containerd finds runc and its shims on PATH; a test runner's PATH may lack the sbin dirs.
  return { ...process.env, PATH: `${process.env.PATH ?? ''}:${SBIN_PATH}` };
}

// ---------------------------------------------------------------------------------------------------------------
// OCI image building (no registry here: images are built from host binaries and imported)

export interface ExtraFile {
  /** Absolute path inside the image. */
  path: string;
  content?: string | Buffer;
  /** Host file to copy (symlinks followed). */
  hostPath?: string;
  /** Default: the host file's mode, or 0o644 for content. */
  mode?: number;
}

export interface ImageBuildOptions {
  /** Folder for the tarball (default: a new temporary folder, which the caller removes). */
  outDir?: string;
  /** Image config Cmd (default `sleep inf`, so the image also serves as the pause image). */
  cmd?: string[];
  entrypoint?: string[];
  env?: string[];
}

/** An OCI image layout tarball for `ctr images import`, with every name it carries. */
export type BuiltImage = OciImage;

/**
 * Builds an OCI image layout tarball (oci-layout, index.json with `io.containerd.image.name`, blobs/sha256 with
 * one uncompressed tar layer, config and manifest) whose rootfs is /bin/busybox with a symlink per applet, plus
 * `extraFiles`. Several names can point at the same manifest.
 */
export async function buildBusyboxImage(name: string | string[], extraFiles: ExtraFile[] = [], options: ImageBuildOptions = {}): Promise<BuiltImage> {
  const names = Array.isArray(name) ? name : [name];
  if (names.length === 0) throw new Error('buildBusyboxImage: at least one name');
  const busybox = findExecutable('busybox');
  if (!busybox) throw new Error('buildBusyboxImage: busybox not installed (apt-get install busybox-static)');
  const outDir = options.outDir ?? (await mkdtemp(join(tmpdir(), 'eris-image-')));
  await mkdir(outDir, { recursive: true });
  const work = await mkdtemp(join(outDir, 'build-'));
  try {
    const rootfs = join(work, 'rootfs');
    for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'root', 'var', 'usr/bin', 'usr/sbin', 'sbin']) await mkdir(join(rootfs, d), { recursive: true });
    await mkdir(join(rootfs, 'tmp'), { mode: 0o1777 });
    await chmod(join(rootfs, 'tmp'), 0o1777);
    await copyFile(busybox, join(rootfs, 'bin/busybox'));
    await chmod(join(rootfs, 'bin/busybox'), 0o755);
    const applets = (await runOk(busybox, ['--list'])).split('\n').map((s) => s.trim()).filter((s) => s && s !== 'busybox' && !s.includes('/'));
    for (const applet of applets) await symlink('busybox', join(rootfs, 'bin', applet));
    await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
    await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    for (const file of extraFiles) {
      if (!file.path.startsWith('/')) throw new Error(`extra file path must be absolute: ${file.path}`);
      const target = join(rootfs, file.path);
      if (!resolve(target).startsWith(rootfs + '/')) throw new Error(`extra file path escapes the rootfs: ${file.path}`);
      await mkdir(dirname(target), { recursive: true });
      await rm(target, { force: true });
      if (file.hostPath !== undefined) {
        await copyFile(file.hostPath, target); // copyFile follows symlinks
        await chmod(target, file.mode ?? (await stat(file.hostPath)).mode & 0o7777);
      } else {
        await writeFile(target, file.content ?? '');
        await chmod(target, file.mode ?? 0o644);
      }
    }

    const safe = names[0]!.replace(/[^A-Za-z0-9_.-]+/g, '_');
    return await writeOciImage({
      names,
      rootfs,
      out: join(outDir, `${safe}-${randomUUID().slice(0, 8)}.oci.tar`),
      env: options.env ?? [`PATH=${SBIN_PATH}`],
      entrypoint: options.entrypoint,
      cmd: options.cmd ?? ['/bin/sleep', 'inf'],
      createdBy: 'eris test harness (busybox-static)',
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The shared libraries a dynamically linked binary loads (per ldd), as absolute host paths. */
export async function sharedLibrariesOf(binary: string): Promise<string[]> {
  const res = await run('ldd', [binary]);
  if (res.code !== 0) {
    if (/not a dynamic executable/.test(res.stdout + res.stderr)) return [];
    throw new Error(`ldd ${binary} failed: ${res.stderr.trim()}`);
  }
  const libs = new Set<string>();
  for (const line of res.stdout.split('\n')) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1]) libs.add(m[1]);
  }
  return [...libs];
}

/** A busybox image with the host's etcd (and the libraries it links) at /usr/bin/etcd. */
export async function buildEtcdImage(name: string, options: ImageBuildOptions & { etcdPath?: string } = {}): Promise<BuiltImage> {
  const etcd = options.etcdPath ?? findExecutable('etcd');
  if (!etcd) throw new Error('buildEtcdImage: etcd not installed (apt-get install etcd-server)');
  const libs = await sharedLibrariesOf(etcd);
  const files: ExtraFile[] = [{ path: '/usr/bin/etcd', hostPath: etcd, mode: 0o755 }, ...libs.map((lib) => ({ path: lib, hostPath: lib, mode: 0o755 }))];
  return buildBusyboxImage(name, files, { cmd: ['/usr/bin/etcd'], ...options });
}

// ---------------------------------------------------------------------------------------------------------------
// FakeKubelet: pods and containers the way kubelet creates them

export interface ContainerSpec {
  name: string;
  /** Default BUSYBOX_IMAGE. */
  image?: string;
  command: string[];
  args?: string[];
  env?: Record<string, string>;
  /** hostPath volumes, e.g. a data dir that survives a container restart (as a PersistentVolume would). */
  mounts?: Array<{ hostPath: string; containerPath: string; readonly?: boolean }>;
}

export interface PodSpec {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Default true: without CNI only host-network pods can run. */
  hostNetwork?: boolean;
  containers: ContainerSpec[];
}

export interface PodContainerRecord {
  spec: ContainerSpec;
  id: string;
  attempt: number;
  restartCount: number;
}

export interface PodRecord {
  name: string;
  namespace: string;
  uid: string;
  sandboxId: string;
  cgroupParent: string;
  containers: Map<string, PodContainerRecord>;
}

// kubelet's keys. ref: kubernetes pkg/kubelet/kuberuntime/labels.go
const LABEL = {
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
  restartCount: 'io.kubernetes.container.restartCount',
  containerHash: 'io.kubernetes.container.hash',
} as const;

export class FakeKubelet {
  readonly #conn: CriConnection;
  readonly #logRoot: string;
  readonly #cgroupRoot: string;
  readonly #pods = new Map<string, PodRecord & { sandboxConfig: object; hostNetwork: boolean }>();
  readonly #imageIds = new Map<string, string>();

  constructor(conn: CriConnection, options: { logRoot: string; cgroupRoot?: string }) {
    this.#conn = conn;
    this.#logRoot = options.logRoot;
    this.#cgroupRoot = options.cgroupRoot ?? DEFAULT_CGROUP_ROOT;
  }

  /** The raw CRI connection (RunPodSandbox & co.), for what the helpers below do not cover. */
  get connection(): CriConnection {
    return this.#conn;
  }

  pods(): PodRecord[] {
    return [...this.#pods.values()];
  }

  pod(name: string): PodRecord {
    const pod = this.#pods.get(name);
    if (!pod) throw new Error(`FakeKubelet: no pod ${name}`);
    return pod;
  }

  containerIdOf(podName: string, containerName: string): string {
    return this.#container(podName, containerName).id;
  }

  /** RunPodSandbox, then CreateContainer + StartContainer for each container, in order. */
  async runPod(spec: PodSpec): Promise<PodRecord> {
    if (this.#pods.has(spec.name)) throw new Error(`FakeKubelet: pod ${spec.name} already exists`);
    const namespace = spec.namespace ?? 'default';
    const uid = spec.uid ?? randomUUID();
    const hostNetwork = spec.hostNetwork ?? true;
    const logDirectory = join(this.#logRoot, `${namespace}_${spec.name}_${uid}`);
    await mkdir(logDirectory, { recursive: true });
    const cgroupParent = `${this.#cgroupRoot}/pod${uid}`;
    const networkMode = hostNetwork ? 'NODE' : 'POD';
    const sandboxConfig = {
      metadata: { name: spec.name, uid, namespace, attempt: 0 },
      // kubelet leaves hostname empty for host-network pods: runc cannot set one without a UTS namespace.
      hostname: hostNetwork ? '' : spec.name,
      logDirectory,
      labels: { ...spec.labels, [LABEL.podName]: spec.name, [LABEL.podNamespace]: namespace, [LABEL.podUid]: uid },
      annotations: { 'kubernetes.io/config.source': 'api', 'kubernetes.io/config.seen': new Date().toISOString(), ...spec.annotations },
      linux: {
        cgroupParent,
        securityContext: { namespaceOptions: { network: networkMode, pid: 'CONTAINER', ipc: 'POD' } },
      },
    };
    const { podSandboxId } = await this.#conn.runtime<{ podSandboxId: string }>('RunPodSandbox', { config: sandboxConfig });
    const record = { name: spec.name, namespace, uid, sandboxId: podSandboxId, cgroupParent, containers: new Map<string, PodContainerRecord>(), sandboxConfig, hostNetwork };
    this.#pods.set(spec.name, record);
    for (const c of spec.containers) {
      const id = await this.#createAndStart(record, c, 0, 0);
      record.containers.set(c.name, { spec: c, id, attempt: 0, restartCount: 0 });
    }
    return record;
  }

  /**
   * What kubelet does after a container died: a new container with attempt+1 and restartCount+1, started.
   * The old one is stopped (if it still runs) and removed; kubelet would keep one dead container for
   * `kubectl logs --previous` — pass keepPrevious to see that too.
   */
  async restartContainer(podName: string, containerName: string, options: { keepPrevious?: boolean } = {}): Promise<string> {
    const pod = this.#pods.get(podName);
    const old = this.#container(podName, containerName);
    await this.#conn.runtime('StopContainer', { containerId: old.id, timeout: 0 });
    if (!options.keepPrevious) await this.#conn.runtime('RemoveContainer', { containerId: old.id });
    const next = { spec: old.spec, id: '', attempt: old.attempt + 1, restartCount: old.restartCount + 1 };
    next.id = await this.#createAndStart(pod!, old.spec, next.attempt, next.restartCount);
    pod!.containers.set(containerName, next);
    return next.id;
  }

  /** StopContainer (SIGKILL at once with timeoutSec 0) without removing it: the container shows as exited. */
  async stopContainer(podName: string, containerName: string, timeoutSec = 0): Promise<void> {
    await this.#conn.runtime('StopContainer', { containerId: this.#container(podName, containerName).id, timeout: timeoutSec });
  }

  /** StopContainer + RemoveContainer; the pod keeps running and forgets the container. */
  async removeContainer(podName: string, containerName: string): Promise<void> {
    const c = this.#container(podName, containerName);
    await this.#conn.runtime('StopContainer', { containerId: c.id, timeout: 0 });
    await this.#conn.runtime('RemoveContainer', { containerId: c.id });
    this.#pods.get(podName)!.containers.delete(containerName);
  }

  /** Stops the containers, then StopPodSandbox + RemovePodSandbox, and removes the pod's cgroup folders. */
  async removePod(name: string): Promise<void> {
    const pod = this.#pods.get(name);
    if (!pod) throw new Error(`FakeKubelet: no pod ${name}`);
    for (const c of pod.containers.values()) await this.#conn.runtime('StopContainer', { containerId: c.id, timeout: 0 }).catch(ignoreNotFound);
    await this.#conn.runtime('StopPodSandbox', { podSandboxId: pod.sandboxId }).catch(ignoreNotFound);
    await this.#conn.runtime('RemovePodSandbox', { podSandboxId: pod.sandboxId }).catch(ignoreNotFound);
    this.#pods.delete(name);
    removeCgroupDirs(pod.cgroupParent);
  }

  /** Removes every pod this kubelet made, then anything else the runtime still lists (belt and braces). */
  async removeAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const name of [...this.#pods.keys()]) await this.removePod(name).catch((err: unknown) => errors.push(err));
    try {
      const { containers } = await this.#conn.runtime<{ containers: CriContainer[] }>('ListContainers', {});
      for (const c of containers) {
        await this.#conn.runtime('StopContainer', { containerId: c.id, timeout: 0 }).catch(ignoreNotFound);
        await this.#conn.runtime('RemoveContainer', { containerId: c.id }).catch(ignoreNotFound);
      }
      const { items } = await this.#conn.runtime<{ items: CriPodSandbox[] }>('ListPodSandbox', {});
      for (const s of items) {
        await this.#conn.runtime('StopPodSandbox', { podSandboxId: s.id }).catch(ignoreNotFound);
        await this.#conn.runtime('RemovePodSandbox', { podSandboxId: s.id }).catch(ignoreNotFound);
        if (s.metadata?.uid) removeCgroupDirs(`${this.#cgroupRoot}/pod${s.metadata.uid}`);
      }
    } catch (err) {
      errors.push(err);
    }
    if (errors.length > 0) throw new AggregateError(errors, `FakeKubelet: ${errors.length} error(s) while removing pods`);
  }

  /** Resolves an image name to its ID the way kubelet does before CreateContainer (ImageStatus). */
  async imageId(image: string): Promise<string> {
    const known = this.#imageIds.get(image);
    if (known) return known;
    const res = await this.#conn.image<{ image: { id: string } | null }>('ImageStatus', { image: { image } });
    if (!res.image?.id) throw new Error(`FakeKubelet: image ${image} is not in this containerd (import it first)`);
    this.#imageIds.set(image, res.image.id);
    return res.image.id;
  }

  #container(podName: string, containerName: string): PodContainerRecord {
    const c = this.pod(podName).containers.get(containerName);
    if (!c) throw new Error(`FakeKubelet: no container ${containerName} in pod ${podName}`);
    return c;
  }

  async #createAndStart(pod: PodRecord & { sandboxConfig: object; hostNetwork: boolean }, spec: ContainerSpec, attempt: number, restartCount: number): Promise<string> {
    const image = spec.image ?? BUSYBOX_IMAGE;
    const imageId = await this.imageId(image);
    await mkdir(join(this.#logRoot, `${pod.namespace}_${pod.name}_${pod.uid}`, spec.name), { recursive: true });
    const networkMode = pod.hostNetwork ? 'NODE' : 'POD';
    const config = {
      metadata: { name: spec.name, attempt },
      // kubelet passes the image ID and, since 1.30, what the user wrote.
      image: { image: imageId, userSpecifiedImage: image },
      command: spec.command,
      args: spec.args ?? [],
      envs: Object.entries(spec.env ?? {}).map(([key, value]) => ({ key, value })),
      mounts: (spec.mounts ?? []).map((m) => ({ hostPath: m.hostPath, containerPath: m.containerPath, readonly: m.readonly ?? false })),
      labels: { [LABEL.podName]: pod.name, [LABEL.podNamespace]: pod.namespace, [LABEL.podUid]: pod.uid, [LABEL.containerName]: spec.name },
      annotations: {
        [LABEL.containerHash]: createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 8),
        [LABEL.restartCount]: String(restartCount),
        'io.kubernetes.container.terminationMessagePath': '/dev/termination-log',
        'io.kubernetes.container.terminationMessagePolicy': 'File',
        'io.kubernetes.pod.terminationGracePeriod': '30',
      },
      logPath: `${spec.name}/${restartCount}.log`,
      linux: {
        resources: { cpuShares: 2, oomScoreAdj: 1000 },
        securityContext: { namespaceOptions: { network: networkMode, pid: 'CONTAINER', ipc: 'POD' } },
      },
    };
    const { containerId } = await this.#conn.runtime<{ containerId: string }>('CreateContainer', { podSandboxId: pod.sandboxId, config, sandboxConfig: pod.sandboxConfig });
    try {
      await this.#conn.runtime('StartContainer', { containerId });
    } catch (err) {
      await this.#conn.runtime('RemoveContainer', { containerId }).catch(() => undefined);
      throw err;
    }
    return containerId;
  }
}

function ignoreNotFound(err: unknown): void {
  const code = (err as { details?: { grpcCode?: unknown } }).details?.grpcCode;
  if (code !== 'NOT_FOUND') throw err;
}

/** cgroup v1 and v2 mount points on this host (from /proc/self/mountinfo). */
function cgroupMounts(): string[] {
  return readMountInfo().filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2').map((m) => m.mountPoint);
}

/** rmdir a cgroup (and nothing else) in every hierarchy; runc leaves the pod-level parent behind. */
function removeCgroupDirs(cgroupPath: string): void {
  for (const mount of cgroupMounts()) {
    const dir = join(mount, cgroupPath);
    try {
      rmdirSync(dir);
    } catch {
      // absent, or still busy: not ours to force
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Mounts and processes we may have to clean up

interface MountEntry { mountPoint: string; fsType: string }

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

function readMountInfo(): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 0 || fields[4] === undefined) continue;
    out.push({ mountPoint: unescapeMount(fields[4]), fsType: fields[dash + 1] ?? '' });
  }
  return out;
}

/** Mount points at or below dir, deepest first. */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return [...new Set(readMountInfo().map((m) => m.mountPoint).filter((p) => p === dir || p.startsWith(prefix)))].sort((a, b) => b.length - a.length);
}

/** PIDs of containerd shims serving the containerd at `address` (their argv carries `-address ADDRESS`). */
export function shimPidsFor(address: string): Array<{ pid: number; id: string; namespace: string }> {
  const found: Array<{ pid: number; id: string; namespace: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!argv[0]?.includes('containerd-shim')) continue;
    const flag = (name: string): string | undefined => {
      const i = argv.indexOf(name);
      return i >= 0 ? argv[i + 1] : undefined;
    };
    if (flag('-address') !== address) continue;
    found.push({ pid: Number(entry), id: flag('-id') ?? '', namespace: flag('-namespace') ?? '' });
  }
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers kill(0); look at its state.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await sleep(25);
  }
  return condition();
}

// ---------------------------------------------------------------------------------------------------------------
// The test bed

export interface StartContainerdOptions {
  /** Folder for everything (config, root, state, socket, runc root, logs, images); default a new temp folder. stop() deletes it. */
  dir?: string;
  /** A label for logs and the temp folder name ("node-a"). */
  name?: string;
  startTimeoutMs?: number;
  /** CRI call deadline for the FakeKubelet. */
  callTimeoutMs?: number;
  cgroupRoot?: string;
  /** A network namespace (`ip netns add`) to run containerd, and so its host-network pods, in. */
  netns?: string;
}

export interface ContainerdTestbed {
  name: string;
  dir: string;
  /** containerd's gRPC socket (CRI and containerd API). */
  socket: string;
  root: string;
  state: string;
  runcRoot: string;
  pid: number;
  /** Milliseconds from spawn until CRI Version answered. */
  startupMs: number;
  cri: FakeKubelet;
  /** `ctr -a SOCKET -n k8s.io ARGS…`: an independent view of the same containerd. */
  ctr(args: string[]): Promise<ExecResult>;
  importImage(image: BuiltImage): Promise<void>;
  /** Builds a busybox image (+ extra files) in this test bed's folder and imports it. */
  addImage(name: string | string[], extraFiles?: ExtraFile[], options?: ImageBuildOptions): Promise<BuiltImage>;
  /** Builds the etcd image (host /usr/bin/etcd + its libc) in this test bed's folder and imports it. */
  addEtcdImage(name?: string): Promise<BuiltImage>;
  /** The last lines of containerd's log. */
  logTail(lines?: number): string;
  /** Removes every pod and container, stops containerd, kills leftovers, unmounts and deletes the folder. */
  stop(): Promise<void>;
}

let liveTestbeds = 0;

function configToml(paths: { dir: string; runcRoot: string }): string {
  const q = (s: string): string => JSON.stringify(s);
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2

[${'plugins."io.containerd.internal.v1.opt"'}]
  path = ${q(join(paths.dir, 'opt'))}

[${cri}]
  # Without it every pod fails with "can't get final child's PID from pipe": no CAP_SYS_RESOURCE in these VMs.
  restrict_oom_score_adj = true
  # No registry: the sandbox image is one we import.
  sandbox_image = ${q(PAUSE_IMAGE)}
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # Keep pod network namespaces (non-host-network pods) under our state dir, not /var/run/netns.
  netns_mounts_under_state_dir = true

[${cri}.cni]
  bin_dir = ${q(join(paths.dir, 'cni/bin'))}
  conf_dir = ${q(join(paths.dir, 'cni/net.d'))}

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  # runc state defaults to /run/containerd/runc/k8s.io whatever --state says: two test beds would collide.
  Root = ${q(paths.runcRoot)}
  SystemdCgroup = false
`;
}

export async function startContainerd(options: StartContainerdOptions = {}): Promise<ContainerdTestbed> {
  const containerdBin = findExecutable('containerd');
  const ctrBin = findExecutable('ctr');
  if (!containerdBin || !ctrBin) throw new Error('startContainerd: containerd/ctr not installed');
  const name = options.name ?? 'node';
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), `eris-ctrd-${name.replace(/[^A-Za-z0-9_-]/g, '_')}-`)));
  const socket = join(dir, 'containerd.sock');
  const root = join(dir, 'root');
  const state = join(dir, 'state');
  const runcRoot = join(dir, 'runc');
  const logPath = join(dir, 'containerd.log');
  const configPath = join(dir, 'config.toml');
  try {
    // sun_path holds 108 bytes; containerd also listens on SOCKET.ttrpc.
    if (Buffer.byteLength(socket) > 100) throw new Error(`startContainerd: socket path too long for a unix socket: ${socket}`);
    for (const d of [root, state, runcRoot, join(dir, 'cni/bin'), join(dir, 'cni/net.d'), join(dir, 'opt'), join(dir, 'images'), join(dir, 'pod-logs')]) await mkdir(d, { recursive: true });
    await writeFile(configPath, configToml({ dir, runcRoot }));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  const logFd = openSync(logPath, 'a');
  const started = performance.now();
  // Own process group (detached): a Ctrl-C to the test runner does not hit containerd mid-cleanup.
  const args = ['--config', configPath, '--address', socket, '--root', root, '--state', state];
  // In a network namespace (a "node" with its own address): nsenter execs containerd in place, so the
  // PID we get is containerd's; host-network pods live in that namespace.
  // nsenter, not `ip netns exec`: the latter remounts /sys, hiding the cgroup mounts runc needs.
  const [command, argv] = options.netns ? ['nsenter', [`--net=/run/netns/${options.netns}`, containerdBin, ...args]] : [containerdBin, args];
  const child = spawn(command, argv, {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: envWithSbin(),
  });
  closeSync(logFd);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error('startContainerd: spawn failed');
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  child.on('error', () => { exited ??= { code: null, signal: null }; });
  const containerdAlive = (): boolean => exited === undefined && isAlive(pid);
  liveTestbeds++;

  const conn = createCriConnection({ socketPath: socket, timeoutMs: options.callTimeoutMs ?? 30_000, codec: reflectiveCriCodec });
  const cri = new FakeKubelet(conn, { logRoot: join(dir, 'pod-logs'), cgroupRoot: options.cgroupRoot });
  const logTail = (lines = 40): string => {
    try {
      return readFileSync(logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  const ctr = (args: string[]): Promise<ExecResult> => run(ctrBin, ['-a', socket, '-n', K8S_NAMESPACE, ...args]);
  const importImage = async (image: BuiltImage): Promise<void> => {
    const res = await ctr(['images', 'import', image.tarPath]);
    if (res.code !== 0) throw new Error(`ctr images import ${image.tarPath} failed (${res.code}): ${res.stderr.trim()}`);
  };

  let stopping: Promise<void> | undefined;
  // Idempotent: a second call (an after() hook after a failed test that already stopped) waits for the first.
  const stop = (): Promise<void> => (stopping ??= stopOnce());
  const stopOnce = async (): Promise<void> => {
    const errors: unknown[] = [];
    try {
      if (containerdAlive()) await cri.removeAll().catch((err: unknown) => errors.push(err));
    } finally {
      conn.close();
      // containerd itself: SIGTERM, then SIGKILL after a grace period. By PID, and only while our child has not
      // exited (once reaped its PID may belong to someone else).
      if (containerdAlive()) {
        process.kill(pid, 'SIGTERM');
        if (!(await waitUntil(() => !containerdAlive(), 5_000))) {
          if (containerdAlive()) process.kill(pid, 'SIGKILL');
          await waitUntil(() => !containerdAlive(), 5_000);
        }
      }
      // Anything removeAll could not remove: containers in our own runc root, and shims that served our socket.
      await killLeftovers(runcRoot, socket).catch((err: unknown) => errors.push(err));
      // Pods removeAll could not remove (containerd gone): runc deleted the container cgroups, not the pod's.
      for (const pod of cri.pods()) removeCgroupDirs(pod.cgroupParent);
      for (const mountPoint of mountsUnder(dir)) {
        const res = await run('umount', [mountPoint]);
        if (res.code !== 0) await run('umount', ['-l', mountPoint]);
      }
      const left = mountsUnder(dir);
      if (left.length > 0) errors.push(new Error(`still mounted under ${dir}: ${left.join(', ')}`));
      else await rm(dir, { recursive: true, force: true }).catch((err: unknown) => errors.push(err));
      liveTestbeds--;
      // The shared kubelet-style parents, once no test bed of this process uses them (rmdir fails if busy).
      if (liveTestbeds === 0) {
        const cgroupRoot = options.cgroupRoot ?? DEFAULT_CGROUP_ROOT;
        for (let p = cgroupRoot; p !== '/' && p !== '.' && p !== ''; p = dirname(p)) removeCgroupDirs(p);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `containerd test bed ${name}: cleanup had ${errors.length} error(s)`);
  };

  const testbed: ContainerdTestbed = {
    name, dir, socket, root, state, runcRoot, pid, startupMs: 0, cri, ctr, importImage, logTail, stop,
    async addImage(imageName, extraFiles = [], buildOptions = {}) {
      const image = await buildBusyboxImage(imageName, extraFiles, { outDir: join(dir, 'images'), ...buildOptions });
      await importImage(image);
      return image;
    },
    async addEtcdImage(imageName = ETCD_IMAGE) {
      const image = await buildEtcdImage(imageName, { outDir: join(dir, 'images') });
      await importImage(image);
      return image;
    },
  };

  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
    for (;;) {
      if (exited) throw new Error(`containerd exited during start (${exited.code ?? exited.signal}):\n${logTail()}`);
      if (existsSync(socket) && statSync(socket).isSocket()) {
        try {
          await conn.runtime('Version', { version: 'v1' }, { timeoutMs: 1_000 });
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
        }
      }
      if (Date.now() > deadline) throw new Error(`containerd did not answer CRI Version within ${options.startTimeoutMs ?? 30_000} ms:\n${logTail()}`);
      await sleep(20);
    }
    testbed.startupMs = performance.now() - started;
    // busybox and pause are one layer under two names: one build, one import.
    await testbed.addImage([BUSYBOX_IMAGE, PAUSE_IMAGE]);
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return testbed;
}

async function killLeftovers(runcRoot: string, socket: string): Promise<void> {
  const runc = findExecutable('runc');
  if (runc && existsSync(runcRoot)) {
    // runc keeps one folder per namespace under the configured Root (k8s.io/…).
    for (const ns of readdirSync(runcRoot)) {
      const nsRoot = join(runcRoot, ns);
      const ids = (await run(runc, ['--root', nsRoot, 'list', '-q'])).stdout.split('\n').filter(Boolean);
      for (const id of ids) {
        await run(runc, ['--root', nsRoot, 'kill', '--all', id, 'KILL']);
        await run(runc, ['--root', nsRoot, 'delete', '--force', id]);
      }
    }
  }
  for (const shim of shimPidsFor(socket)) {
    try {
      process.kill(shim.pid, 'SIGKILL');
    } catch {
      // gone already
    }
    await waitUntil(() => !isAlive(shim.pid), 2_000);
    // The shim's socket lives in /run/containerd/s/ whatever --state says; its name is a hash of
    // (containerd address, namespace, id). ref: containerd runtime/v2/shim/util_unix.go SocketAddress
    const hashed = createHash('sha256').update(join(socket, shim.namespace, shim.id)).digest('hex');
    await rm(join('/run/containerd/s', hashed), { force: true });
  }
}
