// A 3-member etcd cluster on loopback ports, as host processes or as the command of containers.
import { freePort } from './ports.js';

export interface EtcdMember {
  name: string;
  host: string;
  clientPort: number;
  peerPort: number;
  clientUrl: string;
  healthUrl: string;
}

export async function etcdMembers(count = 3, prefix = 'm'): Promise<EtcdMember[]> {
  const members: EtcdMember[] = [];
  for (let i = 0; i < count; i++) members.push(etcdMember(`${prefix}${i}`, '127.0.0.1', await freePort(), await freePort()));
  return members;
}

/** A member at a fixed address (e.g. a node in a network namespace, where loopback port probing does not apply). */
export function etcdMember(name: string, host: string, clientPort: number, peerPort: number): EtcdMember {
  const clientUrl = `http://${host}:${clientPort}`;
  return { name, host, clientPort, peerPort, clientUrl, healthUrl: `${clientUrl}/health` };
}

/** The etcd command line of one member; `dataDir` must survive a restart for the member to rejoin. */
export function etcdArgs(member: EtcdMember, all: readonly EtcdMember[], dataDir: string, token = 'eris-test'): string[] {
  return [
    '--name', member.name,
    '--data-dir', dataDir,
    '--listen-client-urls', member.clientUrl,
    '--advertise-client-urls', member.clientUrl,
    '--listen-peer-urls', `http://${member.host}:${member.peerPort}`,
    '--initial-advertise-peer-urls', `http://${member.host}:${member.peerPort}`,
    '--initial-cluster', all.map((m) => `${m.name}=http://${m.host}:${m.peerPort}`).join(','),
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', token,
    // Faster elections than the defaults (100 ms / 1 s), so drills recover in seconds on a loaded 2-core machine.
    '--heartbeat-interval', '100',
    '--election-timeout', '1000',
  ];
}

/** GET /health with a deadline: `{healthy}` or why not. */
export async function etcdHealth(member: EtcdMember, timeoutMs = 1000): Promise<{ healthy: boolean; reason?: string }> {
  try {
    const res = await fetch(member.healthUrl, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { health?: string };
    return body.health === 'true' ? { healthy: true } : { healthy: false, reason: JSON.stringify(body) };
  } catch (error) {
    return { healthy: false, reason: (error as Error).name === 'TimeoutError' ? 'timeout' : (error as Error).message };
  }
}
