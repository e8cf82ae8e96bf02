// `eris freeze|kill`: immediate faults from the command line, with the selector flags of `eris init` (containers by
// namespace/pod/container, host processes by --cmdline) and of a drill's target group; `eris resume` ends them.
import { Command, Option } from 'commander';
import type { ErisClient } from '../sdk/client.js';
import type { ImmediateFault, ImmediateFaultInput, ResumedFault, ResumeAll } from '../sdk/types.js';
import { clientFor } from './connection.js';
import { resolveFaultId } from './short-id.js';
import { CliExit, EXIT, UsageError } from './exit.js';
import { printJson } from './output.js';
import { addPickOptions, type PickFlags } from './options.js';

interface FaultFlags extends PickFlags {
  cluster?: string[];
  namespace?: string[];
  pod?: string;
  container?: string[];
  labels?: string;
  cmdline?: string;
  seed?: string;
  lease?: string;
  wait?: boolean;
  json?: boolean;
}

const collectAll = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** The target group the flags describe; flags that contradict each other are a usage error naming them. */
export function targetFromFlags(o: FaultFlags): ImmediateFaultInput['target'] {
  if (o.cmdline !== undefined && (o.pod !== undefined || o.container !== undefined || o.namespace !== undefined || o.labels !== undefined)) {
    throw new UsageError('--cmdline: host processes have no namespace, pod, container or labels; give --cmdline or those, not both');
  }
  if (o.cmdline === undefined && o.pod === undefined && o.container === undefined && o.namespace === undefined && o.labels === undefined) {
    throw new UsageError('give a selector: --cmdline REGEX (host processes) or --namespace/--pod/--container/--labels (containers)');
  }
  if (o.count !== undefined && o.percent !== undefined) throw new UsageError('give one of --count and --percent');
  const number = (flag: string, v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new UsageError(`${flag}: not a number: ${JSON.stringify(v)}`);
    return n;
  };
  return {
    ...(o.cluster ? { clusters: o.cluster } : {}),
    ...(o.namespace ? { namespaces: o.namespace } : {}),
    ...(o.pod !== undefined ? { pod: o.pod } : {}),
    ...(o.container ? { containers: o.container } : {}),
    ...(o.labels !== undefined ? { labels: o.labels } : {}),
    ...(o.cmdline !== undefined ? { processes: { cmdline: o.cmdline } } : {}),
    ...(o.count !== undefined ? { count: number('--count', o.count) } : {}),
    ...(o.percent !== undefined ? { percent: number('--percent', o.percent) } : {}),
    ...(o.spread ? { spread: o.spread } : {}),
    ...(o.pack ? { pack: o.pack } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
  };
}

function faultCommand(name: string, signal: string, description: string): Command {
  return addPickOptions(
    new Command(name)
      .description(description)
      .option('--cluster <name>', 'cluster name, exact or /regex/ (repeatable)', collectAll)
      .option('-n, --namespace <name>', 'namespace, exact or /regex/ (repeatable)', collectAll)
      .option('--pod <regex>', 'regex on the pod name')
      .option('--container <regex>', 'regex on the container name (repeatable)', collectAll)
      .option('-l, --labels <selector>', 'pod label selector, e.g. "app=etcd"')
      .option('--cmdline <regex>', 'host processes: regex on the command line'),
    'how many of the matches to hit (default all)',
  )
    .option('--seed <seed>', 'seed of the pick, to repeat it')
    .option('--json', 'print the fault as JSON')
    .addHelpText('after', `\nSends ${signal} now, through the coordinator. The fault is listed by eris faults ls.`);
}

function describe(f: ImmediateFault): string {
  const hit = f.parts.reduce((n, p) => n + p.fault.targets.length, 0);
  const errors = f.errors.map((e) => `\n  error on ${e.agent}: ${e.code}: ${e.message}`).join('');
  return `fault ${f.id.slice(0, 8)}: ${f.signal} on ${hit} target${hit === 1 ? '' : 's'} (seed ${f.seed})${errors}\n`;
}

/** Waits until Ctrl-C, SIGTERM, SIGHUP or the fault's end (its lease), then resumes it. */
async function holdUntilInterrupted(client: ErisClient, fault: ImmediateFault, out: NodeJS.WritableStream): Promise<ResumedFault> {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  for (const s of signals) process.on(s, onSignal);
  out.write(`holding it until Ctrl-C (or SIGTERM, SIGHUP) or its lease ends; then it is resumed\n`);
  try {
    while (!stop.signal.aborted) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 500);
        stop.signal.addEventListener('abort', () => (clearTimeout(timer), resolve(undefined)), { once: true });
      });
      if (stop.signal.aborted) break;
      const now = await client.faults.get(fault.id);
      if (!now.parts.some((p) => p.fault.state === 'active')) break;
    }
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
  return client.faults.resume(fault.id);
}

async function place(command: Command, signal: string, o: FaultFlags): Promise<void> {
  const target = targetFromFlags(o);
  const client = clientFor(command);
  const fault = await client.faults.create({ target, signal, ...(o.lease !== undefined ? { lease: o.lease } : {}) });
  const out = o.json ? process.stderr : process.stdout;
  if (o.json && !o.wait) printJson(fault);
  else out.write(describe(fault));
  if (fault.errors.length > 0 && fault.parts.length === 0) throw new CliExit(EXIT.failed);
  if (!o.wait) {
    if (signal === 'SIGSTOP') out.write(`resume it: eris faults rm ${fault.id.slice(0, 8)} (or eris resume --all)\n`);
    return;
  }
  const resumed = await holdUntilInterrupted(client, fault, out);
  if (o.json) printJson(resumed);
  else out.write(`fault ${fault.id.slice(0, 8)}: resumed (${seenText(resumed)})\n`);
  if (!resumed.resume.confirmed) throw new CliExit(EXIT.failed);
}

export function freezeCommand(): Command {
  return faultCommand('freeze', 'SIGSTOP', 'freeze (SIGSTOP) containers or host processes now, until a lease ends or they are resumed')
    .option('--lease <duration>', 'resume by itself after this long (e.g. 30s, 5m; the agent\'s default otherwise)')
    .option('--wait', 'stay in the foreground and resume at Ctrl-C, SIGTERM, SIGHUP or the lease\'s end')
    .action((o: FaultFlags, command: Command) => place(command, 'SIGSTOP', o));
}

export function killCommand(): Command {
  return faultCommand('kill', 'SIGKILL (or --signal)', 'kill containers or host processes now (SIGKILL, or SIGTERM with --signal)')
    .addOption(new Option('--signal <signal>', 'the signal to send').choices(['SIGKILL', 'SIGTERM', 'KILL', 'TERM']).default('SIGKILL'))
    .action((o: FaultFlags & { signal: string }, command: Command) => place(command, o.signal.startsWith('SIG') ? o.signal : `SIG${o.signal}`, o));
}

/**
 * `eris resume ID…|--all`: ends immediate faults (SIGCONT to what they stopped, their leases ended). Not by selector:
 * a selection picks running targets only, so a selector cannot name what a freeze stopped.
 */
export function resumeCommand(): Command {
  return new Command('resume')
    .description('resume immediate faults now: by id (any unique prefix), or --all (every active fault resumed and every running run aborted, in your scope)')
    .argument('[ids...]', 'fault ids or unique prefixes (eris faults ls)')
    .option('--all', 'the emergency stop: every active immediate fault resumed and every running run aborted, in one audited call')
    .option('--json', 'print what was resumed as JSON')
    .action(async (ids: string[], o: { all?: boolean; json?: boolean }, command: Command) => {
      if (o.all && ids.length > 0) throw new UsageError('give fault ids or --all, not both');
      if (!o.all && ids.length === 0) throw new UsageError('give fault ids (eris faults ls) or --all');
      const client = clientFor(command);
      if (o.all) return printResumeAll(await client.faults.resumeAll(), o.json === true);
      const resumed: ResumedFault[] = [];
      for (const id of ids) resumed.push(await client.faults.resume(await resolveFaultId(client, id)));
      if (o.json) printJson(resumed);
      else for (const f of resumed) process.stdout.write(`fault ${f.id.slice(0, 8)}: resumed (${seenText(f)})\n`);
      if (resumed.some((f) => !f.resume.confirmed)) throw new CliExit(EXIT.failed);
    });
}

function printResumeAll(r: ResumeAll, json: boolean): void {
  if (json) printJson(r);
  else if (r.runs.length === 0 && r.faults.length === 0) process.stdout.write('no active faults, no running runs\n');
  else {
    for (const f of r.faults) process.stdout.write(`fault ${f.id.slice(0, 8)}: ${f.result}${f.seen ? ` (seen: ${f.seen['running'] ?? 0} running, ${f.seen['gone'] ?? 0} gone${f.seen['stopped'] ? `, ${f.seen['stopped']} STILL STOPPED` : ''})` : ''}${f.message ? `: ${f.message}` : ''}\n`);
    for (const run of r.runs) process.stdout.write(`run ${run.id.slice(0, 8)}: ${run.result}${run.message ? `: ${run.message}` : ''}\n`);
  }
  if (r.failures > 0) throw new CliExit(EXIT.failed);
}

function seenText(f: ResumedFault): string {
  const { running, gone, stopped } = f.resume.seen;
  return `seen: ${running} running, ${gone} gone${stopped ? `, ${stopped} STILL STOPPED` : ''}`;
}
