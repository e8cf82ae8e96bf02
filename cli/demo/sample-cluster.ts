// The demo's cluster: three members (the sample member, or real etcd) supervised like systemd would — a member
// that dies is started again after a short delay. Only processes started here are ever signalled by the demo.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { freePort } from '../../lib/net.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ClusterMember {
  name: string;
  port: number;
  healthUrl: string;
  child: ChildProcess | null;
  restarts: number;
}

export interface SampleCluster {
  kind: 'sample' | 'etcd';
  tag: string;
  members: ClusterMember[];
  /** Health of every member, answered or not within 1 s. */
  healthy(): Promise<boolean[]>;
  stop(): Promise<void>;
}

function memberScript(): string {
  // From dist/ the member is compiled JS; from source (tsx) it is the .ts beside this file.
  const self = fileURLToPath(import.meta.url);
  return self.endsWith('.ts') ? join(self, '..', 'sample-member.ts') : join(self, '..', 'sample-member.js');
}

export async function startSampleCluster(options: { kind: 'sample' | 'etcd'; dir: string; tag: string; etcdPath?: string }): Promise<SampleCluster> {
  const ports = await Promise.all([0, 1, 2].map(() => freePort()));
  const peerPorts = options.kind === 'etcd' ? await Promise.all([0, 1, 2].map(() => freePort())) : [];
  const members: ClusterMember[] = ports.map((port, i) => ({ name: `m${i}`, port, healthUrl: `http://127.0.0.1:${port}/health`, child: null, restarts: 0 }));
  let stopping = false;

  const argvOf = (i: number): string[] => {
    const m = members[i]!;
    if (options.kind === 'sample') {
      const script = memberScript();
      const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
      return [process.execPath, ...loader, script, '--name', m.name, '--port', String(m.port), '--peers', ports.filter((p) => p !== m.port).join(','), '--tag', options.tag];
    }
    const dataDir = join(options.dir, 'etcd', m.name);
    mkdirSync(dataDir, { recursive: true });
    return [
      options.etcdPath ?? 'etcd',
      '--name', m.name,
      '--data-dir', dataDir,
      '--listen-client-urls', `http://127.0.0.1:${m.port}`,
      '--advertise-client-urls', `http://127.0.0.1:${m.port}`,
      '--listen-peer-urls', `http://127.0.0.1:${peerPorts[i]}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPorts[i]}`,
      '--initial-cluster', members.map((x, j) => `${x.name}=http://127.0.0.1:${peerPorts[j]}`).join(','),
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', options.tag,
      '--heartbeat-interval', '100',
      '--election-timeout', '1000',
    ];
  };

  const start = (i: number) => {
    const [cmd, ...args] = argvOf(i);
    const child = spawn(cmd!, args, { stdio: 'ignore' });
    members[i]!.child = child;
    child.once('exit', () => {
      if (stopping || members[i]!.child !== child) return;
      members[i]!.child = null;
      members[i]!.restarts++;
      setTimeout(() => !stopping && start(i), 300);
    });
  };
  members.forEach((_, i) => start(i));

  const healthyOne = async (m: ClusterMember) => {
    try {
      const res = await fetch(m.healthUrl, { signal: AbortSignal.timeout(1000) });
      return ((await res.json()) as { health?: string }).health === 'true';
    } catch {
      return false;
    }
  };
  return {
    kind: options.kind,
    tag: options.tag,
    members,
    healthy: () => Promise.all(members.map(healthyOne)),
    async stop() {
      stopping = true;
      await Promise.all(
        members.map(
          (m) =>
            new Promise<void>((resolve) => {
              const child = m.child;
              if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              // SIGCONT first: a member left frozen would ignore SIGTERM; SIGKILL after a grace (etcd without
              // quorum may ignore SIGTERM, see TESTBED.md).
              child.kill('SIGCONT');
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), 2000).unref();
            }),
        ),
      );
    },
  };
}
