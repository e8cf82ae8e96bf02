// `eris run FILE`: validate locally, then preview (--dry-run) or run the drill on the coordinator, following it
// live; Ctrl-C (SIGINT), SIGTERM (a CI job timing out) and SIGHUP (a closed terminal) abort the run (the coordinator
// resumes everything) and it still prints the summary.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import type { ErisClient } from '../sdk/client.js';
import { ErisApiError } from '../sdk/client.js';
import { isFinalEvent, type DryRunResult, type RunRecord, type RunReport } from '../sdk/types.js';
import { checkDrillFile } from './drill-file.js';
import { clientFor } from './connection.js';
import { CliExit, EXIT, exitTableText, UsageError } from './exit.js';
import { colors, printJson, table } from './output.js';
import { liveView, plainView, RunProgress, summary, type RunView } from './run-view.js';
import { reportProblems } from './validate-command.js';

/** Signals that abort a followed run: Ctrl-C, a CI job's timeout (SIGTERM), a closed terminal (SIGHUP). */
const INTERRUPTS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

interface RunOptions {
  dryRun?: boolean;
  seed?: string;
  junit?: string;
  json?: boolean;
  live?: boolean;
}

export function runCommand(): Command {
  return new Command('run')
    .description('run a drill on the coordinator and follow it live (validated locally first)')
    .argument('<file|name>', 'drill file (YAML), or the name of a drill stored with eris drills push')
    .option('--dry-run', 'show which containers / processes each group would hit; touch nothing')
    .option('--seed <seed>', 'seed of every pick, to repeat a run exactly')
    .option('--junit <file>', 'write the JUnit XML report to FILE')
    .option('--json', 'print the report (or the dry run) as JSON on stdout; progress goes to stderr')
    .addOption(new Option('--no-live', 'plain progress lines even on a terminal'))
    .addHelpText('after', `\n${exitTableText()}\nCtrl-C, SIGTERM and SIGHUP abort the run: everything it stopped is resumed before eris exits.`)
    .action(async (file: string, opts: RunOptions, command: Command) => {
      const source = await drillSource(file);
      const client = clientFor(command);
      const seed = opts.seed;
      if (opts.dryRun) {
        // A seed is always sent (one is drawn when none is given) and printed, so the preview can be repeated and
        // `eris run --seed S` hits what it showed.
        const used = seed ?? randomUUID().slice(0, 8);
        const preview = await client.runs.start(source, { dryRun: true, seed: used });
        if (opts.json) printJson({ ...preview, seed: used });
        else process.stdout.write(formatDryRun(preview, process.stdout.isTTY ? Math.max(30, (process.stdout.columns || 100) - 60) : Infinity, used));
        return;
      }
      const report = await runAndFollow(client, source, { ...(seed !== undefined ? { seed } : {}), json: opts.json === true, live: opts.live !== false });
      if (opts.junit !== undefined && report) {
        try {
          await writeFile(opts.junit, await client.runs.report(report.id, 'junit'));
        } catch (cause) {
          if (cause instanceof ErisApiError) throw cause;
          throw new UsageError(`--junit: cannot write ${opts.junit}: ${(cause as Error).message}`, { cause });
        }
      }
      if (opts.json && report) printJson(report);
      if (report?.status !== 'passed') throw new CliExit(EXIT.failed);
    });
}

/** A stored drill's name (no such file, no path, no .yaml), or a file checked here first. */
const DRILL_NAME = /^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$/;
async function drillSource(arg: string): Promise<{ spec: Record<string, unknown> } | { drill: string }> {
  if (arg !== '-' && !existsSync(arg) && DRILL_NAME.test(arg) && !/\.ya?ml$/.test(arg)) return { drill: arg };
  const checked = await checkDrillFile(arg);
  if (!reportProblems([checked], process.stderr)) throw new CliExit(EXIT.failed);
  return { spec: checked.raw as Record<string, unknown> };
}

/** A table of the picks; a process's command line is cut to `cmdlineWidth` characters (a terminal's width). */
export function formatDryRun(preview: DryRunResult, cmdlineWidth = Infinity, seed?: string): string {
  const rows: string[][] = [];
  for (const [group, g] of Object.entries(preview.groups)) {
    g.picked.forEach((t, i) => {
      const target = t.kind === 'process' ? `pid ${t.pid} ${shorten(t.cmdline ?? '', cmdlineWidth)}` : `${t.namespace}/${t.pod}/${t.container}`;
      rows.push([i === 0 ? group : '', i === 0 ? `${g.wanted} of ${g.matched}` : '', `${t.cluster}/${t.node}`, t.zone ?? '-', target]);
    });
    if (g.picked.length === 0) rows.push([group, `0 of ${g.matched}`, '-', '-', '(nothing)']);
  }
  const again = seed !== undefined ? `seed ${seed}: the same picks again with --seed ${seed}\n` : '';
  return `dry run of drill ${preview.drill}: nothing was touched\n${again}${table(['GROUP', 'PICKS', 'CLUSTER/NODE', 'ZONE', 'CONTAINER / PROCESS'], rows)}`;
}

function shorten(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/**
 * Starts a run (or follows one already started when `source` is a run) and shows its events until it ends.
 * Returns its report, or null when the run ended without one (its coordinator restarted: `interrupted`).
 */
export async function runAndFollow(
  client: ErisClient,
  source: { spec: Record<string, unknown> } | { drill: string } | { run: RunRecord },
  o: { seed?: string; json: boolean; live: boolean },
): Promise<RunReport | null> {
  const out = o.json ? process.stderr : process.stdout;
  const c = colors(out);
  let run: RunRecord | null = null;
  let progress: RunProgress | null = null;
  let interrupts = 0;
  let view: RunView | null = null;
  const detach = new AbortController();
  const say = (message: string) => (view ? view.note(message) : out.write(`${c.yellow(message)}\n`));
  const abort = (id: string) => {
    say(`aborting run ${id}: everything it stopped is being resumed… (Ctrl-C again to stop waiting)`);
    client.runs.abort(id).catch((error: unknown) => {
      // 409: it ended on its own meanwhile.
      if (!(error instanceof ErisApiError && error.status === 409)) say(`could not abort: ${(error as Error).message}`);
    });
  };
  const onInterrupt = () => {
    interrupts++;
    if (interrupts === 1) {
      if (run) {
        if (progress) progress.aborting = true;
        abort(run.id);
      } else say('aborting as soon as the run has started…');
    } else {
      say('stopped waiting; the coordinator still resumes everything the run stopped');
      detach.abort();
    }
  };
  // Any of these would otherwise end the CLI with the run's targets still frozen until a later step or lease: each
  // one aborts; a second one (of any kind) stops waiting.
  for (const signal of INTERRUPTS) process.on(signal, onInterrupt);
  try {
    run = 'run' in source ? source.run : await client.runs.start(source, o.seed !== undefined ? { seed: o.seed } : {});
    if (interrupts > 0) abort(run.id);
    const drill = (run.spec as { metadata?: { name?: string } } | null)?.metadata?.name ?? run.drillName ?? '?';
    progress = new RunProgress(run.id, drill, run.startedAt ?? run.createdAt);
    progress.aborting = interrupts > 0;
    const live = o.live && !o.json && process.stdout.isTTY === true;
    if (!live) out.write(`run ${run.id} started (drill ${drill})${interrupts === 0 ? '; Ctrl-C aborts it' : ''}\n`);
    view = live ? liveView(process.stdout, progress, c) : plainView(out, progress, c);
    let report: RunReport | null = null;
    try {
      for await (const event of client.runs.events(run.id, { signal: detach.signal })) {
        view.onEvent(event);
        if (isFinalEvent(event)) report = event.data.report;
      }
    } catch (error) {
      if (!detach.signal.aborted) throw error;
    } finally {
      view.close();
      view = null;
    }
    if (detach.signal.aborted) {
      out.write(`run ${run.id}: not waiting for its end (eris runs show ${run.id})\n`);
      throw new CliExit(EXIT.failed);
    }
    if (!report) {
      const final = await client.runs.get(run.id);
      report = final.result;
      if (!report) {
        out.write(`run ${run.id} ended ${final.status} without a report\n`);
        return null;
      }
    }
    out.write(`\n${summary(report, c)}`);
    return report;
  } finally {
    for (const signal of INTERRUPTS) process.off(signal, onInterrupt);
  }
}
