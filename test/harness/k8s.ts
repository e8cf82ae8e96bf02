// The Kubernetes test bed (scripts/testbed/k8s/): a three-node cluster (zones a, b, c), each node kept apart from the
// machine in its own network, PID and mount namespaces. Tests bring it up once, talk to it with kubectl/helm run inside its network namespace,
// and bring it down at the end — and check that nothing of it is left on the machine.
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type ExecResult } from './containerd.js';
import { testbedSkipReason } from './requirements.js';

export const K8S_VERSION = 'v1.34.4';
/** The node's network namespace, its address as the machine reaches it, and its name in the API. */
export const K8S_NETNS = 'eris-k8s';
export const K8S_NODE_IP = '10.250.0.1';
export const K8S_NODE_NAME = 'eris-node';
/** Every node of the bed: name, network namespace, address (from node 1's namespace), zone, state folder under the bed's. */
export interface K8sNode {
  name: string;
  netns: string;
  ip: string;
  zone: string;
  /** Relative to the bed's state folder ('' for node 1, whose state is the bed's own). */
  subdir: string;
}
export const K8S_NODES: readonly K8sNode[] = [
  { name: K8S_NODE_NAME, netns: K8S_NETNS, ip: K8S_NODE_IP, zone: 'a', subdir: '' },
  { name: `${K8S_NODE_NAME}-2`, netns: `${K8S_NETNS}-2`, ip: '10.250.2.2', zone: 'b', subdir: 'node-2' },
  { name: `${K8S_NODE_NAME}-3`, netns: `${K8S_NETNS}-3`, ip: '10.250.3.2', zone: 'c', subdir: 'node-3' },
];
/** The ranges routed from the machine into node 1 (and only into it), which routes on to the others. */
export const K8S_ROUTED_RANGES = ['10.244.0.0/16', '10.96.0.0/16'] as const;
/** Where the pods' cgroups live on every hierarchy of the machine (kubelet's cgroupRoot). */
export const K8S_CGROUP_ROOT = 'eris-k8s';
const HOST_VETH = 'erisk8s-h';
const TUNABLES = ['kernel.panic', 'kernel.panic_on_oops', 'vm.overcommit_memory'] as const;

const SCRIPTS = fileURLToPath(new URL('../../scripts/testbed/k8s/', import.meta.url));

export function k8sBinDir(): string {
  if (process.env.ERIS_K8S_BIN) return process.env.ERIS_K8S_BIN;
  return join(process.env.ERIS_TESTBED_CACHE ?? '/var/cache/eris-testbed', `k8s-${K8S_VERSION}`, 'bin');
}

/** The bed's state folder: fixed, so a cluster an earlier crashed run left up is found and brought down first. */
export function k8sStateDir(): string {
  return process.env.ERIS_K8S_DIR ?? '/var/tmp/eris-k8s';
}

/** Why the Kubernetes tests (or those needing `only` of its binaries) cannot run here (skip locally, an error under CI=true), or undefined. */
export function k8sSkipReason(only?: readonly string[]): string | undefined {
  if (only === undefined) {
    const base = testbedSkipReason(['containerd', 'runc', 'etcd', 'iptables', 'conntrack', 'nsenter', 'unshare', 'ip', 'openssl', 'gcc', 'ctr', 'flock']);
    if (base !== undefined) return base;
  }
  const missing = (only ?? ['kube-apiserver', 'kubelet', 'kubectl', 'helm', 'coredns', 'pause.c']).filter((b) => !existsSync(join(k8sBinDir(), b)));
  if (only === undefined && !existsSync('/usr/lib/cni/bridge')) missing.push('/usr/lib/cni/bridge (containernetworking-plugins)');
  if (missing.length === 0) return undefined;
  const reason = `Kubernetes test bed not built: missing ${missing.join(', ')} in ${k8sBinDir()} (run scripts/install-testbed.sh)`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
  return reason;
}

async function ok(res: Promise<ExecResult>, what: string): Promise<string> {
  const r = await res;
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  return r.stdout;
}

export class K8sCluster {
  readonly dir: string;
  readonly bin: string;

  private constructor(dir: string, bin: string) {
    this.dir = dir;
    this.bin = bin;
  }

  /** node.sh up: a fresh cluster (an earlier one from the same folder is brought down first). */
  static async up(dir = k8sStateDir(), bin = k8sBinDir()): Promise<K8sCluster> {
    const cluster = new K8sCluster(dir, bin);
    await ok(run('bash', [join(SCRIPTS, 'node.sh'), 'up', dir, bin], { timeoutMs: 300_000 }), 'node.sh up');
    return cluster;
  }

  /** node.sh down: ends every component by its recorded PID; safe to call twice. */
  async down(): Promise<void> {
    await ok(run('bash', [join(SCRIPTS, 'node.sh'), 'down', this.dir, this.bin], { timeoutMs: 120_000 }), 'node.sh down');
  }

  /** Node 1's containerd. */
  get containerdSocket(): string {
    return this.containerdSocketOf(K8S_NODES[0]!);
  }

  containerdSocketOf(node: K8sNode): string {
    return join(this.dir, node.subdir, 'containerd.sock');
  }

  get kubeconfig(): string {
    return join(this.dir, 'admin.kubeconfig');
  }

  /** A command run inside the node's network namespace, so whatever it reaches, it reaches only the cluster. */
  inNode(file: string, args: string[], options: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
    return run('nsenter', [`--net=/run/netns/${K8S_NETNS}`, file, ...args], { timeoutMs: options.timeoutMs ?? 60_000, input: options.input });
  }

  kubectl(args: string[], options: { timeoutMs?: number; input?: string } = {}): Promise<string> {
    return ok(this.inNode(join(this.bin, 'kubectl'), ['--kubeconfig', this.kubeconfig, ...args], options), `kubectl ${args.join(' ')}`);
  }

  async kubectlJson<T = unknown>(args: string[]): Promise<T> {
    return JSON.parse(await this.kubectl([...args, '-o', 'json'])) as T;
  }

  /** kubectl apply of a manifest given as text. */
  apply(manifest: string, namespace?: string): Promise<string> {
    return this.kubectl([...(namespace ? ['-n', namespace] : []), 'apply', '-f', '-'], { input: manifest });
  }

  helm(args: string[], options: { timeoutMs?: number } = {}): Promise<string> {
    return ok(this.inNode(join(this.bin, 'helm'), ['--kubeconfig', this.kubeconfig, ...args], { timeoutMs: options.timeoutMs ?? 180_000 }), `helm ${args.join(' ')}`);
  }

  /** Imports an OCI image tarball into every node's containerd, where kubelet finds it (pods use imagePullPolicy: Never). */
  async importImage(tarPath: string): Promise<void> {
    await Promise.all(K8S_NODES.map((node) =>
      ok(run('ctr', ['-a', this.containerdSocketOf(node), '-n', 'k8s.io', 'images', 'import', tarPath], { timeoutMs: 180_000 }), `ctr images import ${tarPath} on ${node.name}`)));
  }

  /** What the cluster looks like, for a failed test's output: pods, recent events, the end of kubelet's log. */
  async diagnostics(): Promise<string> {
    const parts: string[] = [];
    for (const args of [['get', 'pods', '-A', '-o', 'wide'], ['get', 'events', '-A', '--sort-by=.lastTimestamp']]) {
      const r = await this.inNode(join(this.bin, 'kubectl'), ['--kubeconfig', this.kubeconfig, ...args]);
      parts.push(`$ kubectl ${args.join(' ')}\n${(r.stdout + r.stderr).split('\n').slice(-40).join('\n')}`);
    }
    try {
      parts.push(`$ tail kubelet.log\n${readFileSync(join(this.dir, 'log', 'kubelet.log'), 'utf8').split('\n').filter((l) => l.startsWith('E')).slice(-15).join('\n')}`);
    } catch {
      // no log yet
    }
    return parts.join('\n');
  }

  /** The PID of a node's init (PID 1 of its PID namespace), as the machine numbers it. */
  nodeInitPid(node: K8sNode = K8S_NODES[0]!): number {
    const unsharePid = Number(readFileSync(join(this.dir, 'pid', node.subdir === '' ? 'node' : node.subdir), 'utf8').trim());
    const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    if (children.length !== 1) throw new Error(`the node's unshare (${unsharePid}) has ${children.length} children, expected its init`);
    return children[0]!;
  }

  /** A node's PID namespace, as `pid:[inode]`. */
  nodePidNamespace(node: K8sNode = K8S_NODES[0]!): string {
    return readlinkSync(`/proc/${this.nodeInitPid(node)}/ns/pid`);
  }
}

/** `NSpid:` of /proc/PID/status: the process's PID in each PID namespace, outermost first. */
export function nsPidsOf(pid: number): number[] {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('NSpid:'));
    return line ? line.slice(6).trim().split(/\s+/).map(Number) : [];
  } catch {
    return [];
  }
}

/** Every process (machine PIDs) whose PID namespace is `ns` (`pid:[inode]`). */
export function processesInNamespace(ns: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) === ns) out.push(Number(name));
    } catch {
      // gone, or a kernel thread
    }
  }
  return out;
}

/** What of the machine's own setup the bed may touch, read before and after it, to prove it is left as it was. */
export interface MachineFootprint {
  routes: string[];
  links: string[];
  netns: string[];
  iptables: string[];
  tunables: Record<string, string>;
}

export async function machineFootprint(): Promise<MachineFootprint> {
  const lines = async (file: string, args: string[]) => (await ok(run(file, args), `${file} ${args.join(' ')}`)).split('\n').filter(Boolean).sort();
  const tunables: Record<string, string> = {};
  for (const t of TUNABLES) tunables[t] = readFileSync(`/proc/sys/${t.replaceAll('.', '/')}`, 'utf8').trim();
  return {
    routes: await lines('ip', ['route', 'show']),
    links: (await lines('ip', ['-o', 'link', 'show'])).map((l) => l.split(':')[1]!.trim().split('@')[0]!).sort(),
    // Other tests' LANs (test/harness/netns.ts: eris-<6 hex>-…) come and go on their own schedule.
    netns: (await lines('ip', ['netns', 'list'])).map((l) => l.split(' ')[0]!).filter((n) => !/^eris-[0-9a-f]{6}-/.test(n)),
    iptables: [...(await lines('iptables-save', ['-t', 'filter'])), ...(await lines('iptables-save', ['-t', 'nat']))].filter((l) => !l.startsWith('#')),
    tunables,
  };
}

/**
 * What the bed left on the machine after `down`: processes of its binaries or of the node's PID namespace, mounts
 * under its folder, its network namespace, veth and routes, its cgroups. Empty when it is all gone.
 */
export function leftovers(cluster: K8sCluster, nodePidNamespaces: readonly string[] = []): string[] {
  const found: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const exe = readlinkSync(`/proc/${name}/exe`);
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (exe.startsWith(cluster.bin + '/') || cmdline.includes(cluster.dir + '/')) found.push(`process ${name}: ${cmdline.slice(0, 120)}`);
      else if (nodePidNamespaces.includes(readlinkSync(`/proc/${name}/ns/pid`))) found.push(`process ${name} in the node's PID namespace: ${cmdline.slice(0, 120)}`);
    } catch {
      // gone, or a kernel thread
    }
  }
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const mountPoint = line.split(' ')[1];
    if (mountPoint?.startsWith(cluster.dir + '/')) found.push(`mount ${mountPoint}`);
  }
  for (const node of K8S_NODES) if (existsSync(`/run/netns/${node.netns}`)) found.push(`network namespace ${node.netns}`);
  if (existsSync(`/sys/class/net/${HOST_VETH}`)) found.push(`link ${HOST_VETH}`);
  for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
    if (existsSync(join('/sys/fs/cgroup', hierarchy, K8S_CGROUP_ROOT))) found.push(`cgroup /sys/fs/cgroup/${hierarchy}/${K8S_CGROUP_ROOT}`);
  }
  for (const pidFile of existsSync(join(cluster.dir, 'pid')) ? readdirSync(join(cluster.dir, 'pid')) : []) found.push(`pid file ${pidFile}`);
  return found;
}
