// `eris demo`: the whole product on one machine with nothing but Node.js — a coordinator (SQLite in a temp dir),
// an agent in host mode, a 3-member sample cluster (or real etcd with --etcd), the node-failure drill with live
// progress, the report, and a clean-up that leaves nothing running or stopped.
import { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startCoordinator } from '../../coordinator/server.js';
import { loadCoordinatorConfig } from '../../coordinator/config.js';
import { startAgent } from '../../daemon/agent.js';
import { loadAgentConfig } from '../../daemon/config.js';
import { silentLogger } from '../../lib/logger.js';
import { ErisClient } from '../../sdk/client.js';
import { runAndFollow } from '../run-command.js';
import { CliExit, EXIT, UsageError } from '../exit.js';
import { findExecutableOnPath } from './which.js';
import { startSampleCluster } from './sample-cluster.js';

export function demoDrill(tag: string, kind: 'sample' | 'etcd') {
  // Host processes carry labels from their command line: --port (sample) or --listen-client-urls (etcd).
  const port = kind === 'sample' ? '{{target.labels.port}}' : '{{target.labels.listen-client-urls.port}}';
  const cmdline = kind === 'sample' ? `--tag ${tag}` : `--initial-cluster-token ${tag}`;
  return {
    apiVersion: 'eris.dev/v1alpha1',
    kind: 'Drill',
    metadata: { name: kind === 'sample' ? 'demo-node-failure' : 'demo-etcd-node-failure', description: 'freeze one member, see it, kill it, see the cluster recover' },
    spec: {
      targets: {
        member: { processes: { cmdline }, count: 1 },
        cluster: { processes: { cmdline } },
      },
      probes: {
        health: { url: `http://127.0.0.1:${port}/health`, jq: '.health == "true"', timeout: '1s', interval: '250ms' },
      },
      steps: [
        { name: 'steady state: every member healthy', probe: 'health', target: 'cluster' },
        { name: 'freeze one member (SIGSTOP: a hung node)', signal: 'SIGSTOP', target: 'member', lease: '60s' },
        { name: 'its health probe fails', wait: 'health', target: 'member', until: 'fail', timeout: '10s' },
        { name: 'kill it (SIGKILL: the node dies)', signal: 'SIGKILL', target: 'member' },
        { name: 'the cluster is healthy again', wait: 'health', target: 'cluster', until: 'pass', timeout: '120s', consecutive: 2 },
      ],
    },
  };
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('run the node-failure drill against a sample cluster on this machine (nothing else needed), then clean up')
    .option('--etcd', 'use a real 3-member etcd (the etcd binary must be installed) instead of the sample cluster')
    .option('--json', 'print the report as JSON instead of the live view')
    .action(async (opts: { etcd?: boolean; json?: boolean }) => {
      const kind = opts.etcd ? 'etcd' : 'sample';
      const etcdPath = opts.etcd ? findExecutableOnPath('etcd') : undefined;
      if (opts.etcd && etcdPath === undefined) throw new UsageError('--etcd: no etcd binary on PATH (Debian: apt-get install etcd-server)');
      const dir = mkdtempSync(join(tmpdir(), 'eris-demo-'));
      const tag = `eris-demo-${randomBytes(4).toString('hex')}`;
      const token = randomBytes(24).toString('base64url');
      const logger = silentLogger();
      const say = (s: string) => (opts.json ? process.stderr : process.stdout).write(`${s}\n`);
      const cleanups: Array<() => Promise<void>> = [];
      try {
        // The demo's members listen on this machine's loopback, which the probe policy refuses by default.
        const coordinator = await startCoordinator(loadCoordinatorConfig({ listen: '127.0.0.1:0', token, dataDir: join(dir, 'coordinator'), probeAllow: 'loopback' }, {}), { logger });
        cleanups.push(() => coordinator.close());
        say(`coordinator  ${coordinator.url}  (SQLite in ${dir})`);
        const agent = await startAgent(
          loadAgentConfig({ listen: '127.0.0.1:0', token, stateDir: join(dir, 'agent'), noCri: true, hostProcesses: true, coordinator: coordinator.linkUrl, cluster: 'demo', nodeName: hostname(), zone: 'local' }, {}),
          { logger },
        );
        cleanups.push(() => agent.close());
        say(`agent        ${agent.url}  (host mode, node ${hostname()})`);
        const cluster = await startSampleCluster({ kind, dir, tag, ...(etcdPath ? { etcdPath } : {}) });
        cleanups.push(() => cluster.stop());
        say(`cluster      ${cluster.members.map((m) => `${m.name} :${m.port}`).join(', ')} (${kind === 'etcd' ? 'etcd' : 'sample members'})`);
        const deadline = Date.now() + 30_000;
        while (!(await cluster.healthy()).every(Boolean)) {
          if (Date.now() > deadline) throw new Error('the sample cluster did not become healthy within 30 s');
          await new Promise((r) => setTimeout(r, 200));
        }
        while (coordinator.fleet.agentCount() === 0) await new Promise((r) => setTimeout(r, 50));
        say('');
        const client = new ErisClient({ baseUrl: coordinator.url, token });
        const report = await runAndFollow(client, { spec: demoDrill(tag, kind) }, { json: opts.json === true, live: true });
        if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        const restarts = cluster.members.reduce((n, m) => n + m.restarts, 0);
        say(`\nthe supervisor restarted ${restarts} member(s); cleaning up…`);
        if (report?.status !== 'passed') throw new CliExit(EXIT.failed);
      } finally {
        for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      }
    });
}
