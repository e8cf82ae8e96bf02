// A standalone kube-apiserver with its own one-member etcd, both on 127.0.0.1 random ports, certificates made with
// openssl in a temp dir, stopped by PID. No kubelet, no controllers: objects and their status are what kubectl writes.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { waitFor } from './processes.js';
import { k8sBinDir } from './k8s.js';

export interface KubeApiServer {
  server: string;
  /** A kubeconfig whose one context is named `context` (an eris cluster name), user = a system:masters client cert. */
  kubeconfig: string;
  /** The CA that signed the server's certificate (PEM file), as a pod's ca.crt would be. */
  caFile: string;
  kubectl(args: readonly string[], input?: string): string;
  stop(): Promise<void>;
}

export async function startKubeApiServer(context: string): Promise<KubeApiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'eris-kube-'));
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=eris-test-ca');
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'server.ext');
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'admin.key', '-out', 'admin.csr', '-subj', '/O=system:masters/CN=eris-admin');
  ssl('x509', '-req', '-in', 'admin.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'admin.crt', '-days', '1', '-extfile', 'client.ext');
  ssl('genrsa', '-out', 'sa.key', '2048');
  ssl('rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');

  const [etcdClient, etcdPeer, port] = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = [];
  const logs: string[] = [];
  const start = (command: string, args: string[]) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => logs.push(d.toString()) > 200 && logs.shift());
    children.push(child);
    return child;
  };
  const stop = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const server = `https://127.0.0.1:${port}`;
  const ca = readFileSync(f('ca.crt')).toString('base64');
  const kubeconfig = f('kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{ name: ${context}, cluster: { server: "${server}", certificate-authority-data: ${ca} } }]`,
      `users: [{ name: eris-admin, user: { client-certificate: ${f('admin.crt')}, client-key-data: ${readFileSync(f('admin.key')).toString('base64')} } }]`,
      `contexts: [{ name: ${context}, context: { cluster: ${context}, user: eris-admin } }]`,
      `current-context: ${context}`,
    ].join('\n') + '\n',
  );
  const kubectl = (args: readonly string[], input?: string) =>
    execFileSync(join(k8sBinDir(), 'kubectl'), ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', stdio: 'pipe', ...(input === undefined ? {} : { input }) });
  try {
    start('etcd', [
      '--name', 'k', '--data-dir', f('etcd'),
      '--listen-client-urls', `http://127.0.0.1:${etcdClient}`, '--advertise-client-urls', `http://127.0.0.1:${etcdClient}`,
      '--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeer}`,
      '--initial-cluster', `k=http://127.0.0.1:${etcdPeer}`,
    ]);
    start(join(k8sBinDir(), 'kube-apiserver'), [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${port}`,
      `--tls-cert-file=${f('server.crt')}`, `--tls-private-key-file=${f('server.key')}`, `--client-ca-file=${f('ca.crt')}`,
      '--service-account-issuer=https://kubernetes.default.svc', `--service-account-key-file=${f('sa.pub')}`,
      `--service-account-signing-key-file=${f('sa.key')}`, '--service-cluster-ip-range=10.0.0.0/24',
      '--authorization-mode=RBAC', `--cert-dir=${f('certs')}`,
    ]);
    await waitFor(() => {
      try {
        return kubectl(['get', '--raw', '/readyz']).trim() === 'ok';
      } catch {
        if (children.some((c) => c.exitCode !== null)) throw new Error(`etcd or kube-apiserver exited: ${logs.join('').slice(-1500)}`);
        return false;
      }
    }, 90_000, 'kube-apiserver ready');
  } catch (error) {
    await stop();
    throw error;
  }
  return { server, kubeconfig, caFile: f('ca.crt'), kubectl, stop };
}
