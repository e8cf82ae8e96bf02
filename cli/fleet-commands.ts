// `eris agents`, `eris targets`, `eris faults ls|show|rm`: what the coordinator sees and what it holds stopped.
import { Command } from 'commander';
import type { Fault, ImmediateFault, ResumedFault } from '../sdk/types.js';
import { CliExit, EXIT } from './exit.js';
import { clientFor } from './connection.js';
import { resolveFaultId } from './short-id.js';
import { ago, printJson, table, wantsJson, when, withOutput, type OutputOptions } from './output.js';

export function agentsCommand(): Command {
  return withOutput(new Command('agents').description('agents connected to the coordinator'))
    .action(async (opts: OutputOptions, command: Command) => {
      const agents = await clientFor(command).agents();
      if (wantsJson(opts)) return printJson(agents);
      if (agents.length === 0) return void process.stdout.write('no agents connected\n');
      process.stdout.write(
        table(
          ['ID', 'ZONE', 'VERSION', 'RUNTIME', 'HOST PROCESSES', 'CONTAINERS', 'ACTIVE FAULTS', 'CONNECTED', 'LAST SEEN'],
          agents.map((a) => [a.id, a.zone ?? '-', a.version, a.runtime ?? '-', a.hostProcesses ? 'yes' : 'no', String(a.containers), String(a.activeFaults), when(a.connectedAt), ago(a.lastSeenAt)]),
        ),
      );
    });
}

interface TargetsOptions extends OutputOptions {
  cluster?: string;
  namespace?: string;
  pod?: string;
  container?: string;
  labels?: string;
  cmdline?: string;
  all?: boolean;
}

export function targetsCommand(): Command {
  return withOutput(
    new Command('targets')
      .description('containers the agents report, or with --cmdline the host processes it matches (filters as in a drill\'s target group)')
      .option('--cluster <name>', 'exact cluster name')
      .option('-n, --namespace <name>', 'exact namespace')
      .option('--pod <regex>', 'regex on the pod name')
      .option('--container <regex>', 'regex on the container name')
      .option('-l, --labels <selector>', 'pod label selector, e.g. "app=etcd,tier in (db)"; with --cmdline, the labels read from command lines (name=m0)')
      .option('--cmdline <regex>', 'list host processes whose command line matches, on agents in host mode (as processes.cmdline in a drill)')
      .option('--all', 'include containers that are not running (host processes are listed stopped or not)'),
  ).action(async (opts: TargetsOptions, command: Command) => {
    const filter = {
      ...(opts.cluster ? { cluster: opts.cluster } : {}),
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      ...(opts.pod ? { pod: opts.pod } : {}),
      ...(opts.container ? { container: opts.container } : {}),
      ...(opts.labels ? { labels: opts.labels } : {}),
      ...(opts.cmdline !== undefined ? { cmdline: opts.cmdline } : {}),
    };
    // A stopped host process is still a target (a SIGCONT's): only containers are narrowed to the running.
    const targets = (await clientFor(command).targets(filter)).filter((t) => opts.all || t.kind === 'process' || t.state === 'running');
    if (wantsJson(opts)) return printJson(targets);
    if (targets.length === 0) return void process.stdout.write('no targets match\n');
    if (opts.cmdline !== undefined) {
      return void process.stdout.write(
        table(
          ['CLUSTER/NODE', 'ZONE', 'PID', 'STATE', 'LABELS', 'COMMAND'],
          targets.map((t) => [`${t.cluster}/${t.node}`, t.zone ?? '-', String(t.pid ?? '-'), t.state, Object.entries(t.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-', t.cmdline ?? t.container]),
        ),
      );
    }
    process.stdout.write(
      table(
        ['CLUSTER/NODE', 'ZONE', 'NAMESPACE', 'POD', 'CONTAINER', 'STATE', 'ID'],
        targets.map((t) => [`${t.cluster}/${t.node}`, t.zone ?? '-', t.namespace, t.pod, t.container, t.state, t.containerId.slice(0, 13)]),
      ),
    );
  });
}

function faultRows(faults: readonly ImmediateFault[]): string[][] {
  return faults.map((f) => {
    const states = [...new Set(f.parts.map((p) => p.fault.state))].join(',') || (f.errors.length ? 'failed' : '-');
    return [f.id, f.signal, states, String(f.targets.length), f.errors.length ? `${f.errors.length} error(s)` : '', when(f.createdAt)];
  });
}

export function faultsCommand(): Command {
  const faults = new Command('faults').description('immediate faults placed through the coordinator (not those of runs)');
  faults.addCommand(
    withOutput(new Command('ls').alias('list').description('list immediate faults')).action(async (opts: OutputOptions, command: Command) => {
      const list = await clientFor(command).faults.list();
      if (wantsJson(opts)) return printJson(list);
      if (list.length === 0) return void process.stdout.write('no faults\n');
      process.stdout.write(table(['ID', 'SIGNAL', 'STATE', 'TARGETS', 'ERRORS', 'CREATED'], faultRows(list)));
    }),
  );
  faults.addCommand(
    withOutput(new Command('show').description('one fault, target by target').argument('<id>', 'fault id, or any unique prefix of it')).action(async (id: string, opts: OutputOptions, command: Command) => {
      const client = clientFor(command);
      const f = await client.faults.get(await resolveFaultId(client, id));
      if (wantsJson(opts)) return printJson(f);
      process.stdout.write(table(['ID', 'SIGNAL', 'STATE', 'TARGETS', 'ERRORS', 'CREATED'], faultRows([f])));
      process.stdout.write('\n');
      process.stdout.write(table(['TARGET', 'AGENT', 'STATE', 'RESULT'], f.parts.flatMap((p) => p.fault.targets.map((t) => [describeFaultTarget(t), p.agent, p.fault.state, p.fault.result]))));
      for (const e of f.errors) process.stdout.write(`error on ${e.agent}: ${e.code}: ${e.message}\n`);
    }),
  );
  faults.addCommand(
    withOutput(new Command('rm').alias('resume').description('resume what a fault stopped (idempotent)').argument('<id...>', 'fault ids, or unique prefixes')).action(
      async (ids: string[], opts: OutputOptions, command: Command) => {
        const client = clientFor(command);
        const resumed: ResumedFault[] = [];
        for (const id of ids) resumed.push(await client.faults.resume(await resolveFaultId(client, id)));
        const unconfirmed = resumed.some((f) => !f.resume.confirmed);
        if (wantsJson(opts)) {
          printJson(resumed);
        } else {
          for (const f of resumed) {
            const { running, held, gone, stopped, unknown } = f.resume.seen;
            const seen = `seen: ${running} running, ${gone} gone${held ? `, ${held} held by another fault` : ''}${stopped ? `, ${stopped} STILL STOPPED` : ''}${unknown ? `, ${unknown} unknown` : ''}`;
            process.stdout.write(`${f.id}: ${[...new Set(f.parts.map((p) => p.fault.state))].join(',') || 'nothing to resume'} (${seen})\n`);
          }
        }
        // A resume the processes do not bear out is a failure, whatever the agents answered.
        if (unconfirmed) throw new CliExit(EXIT.failed);
      },
    ),
  );
  return faults;
}

function describeFaultTarget(t: Fault['targets'][number]): string {
  if (t.container) return `${t.container.namespace}/${t.container.pod}/${t.container.name}`;
  const pids = t.process ? [t.process.pid] : t.processes.map((p) => p.pid);
  return `pid ${pids.join(',')}${t.process ? ` (${t.process.cmdline.split(' ')[0]})` : ''}`;
}
