// `eris runs ls|show|watch|abort|report` and `eris drills ls|push|show|rm`: the coordinator's recorded runs and stored drills.
import { readFile, writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { RUN_STATUSES } from '../coordinator/store/types.js';
import { ErisApiError } from '../sdk/client.js';
import type { RunStatus } from '../sdk/types.js';
import { clientFor } from './connection.js';
import { checkDrillFile } from './drill-file.js';
import { CliExit, EXIT, UsageError } from './exit.js';
import { colors, duration, printJson, table, wantsJson, when, withOutput, type OutputOptions } from './output.js';
import { runAndFollow } from './run-command.js';
import { summary } from './run-view.js';
import { resolveRunId } from './short-id.js';
import { reportProblems } from './validate-command.js';

interface ListOptions extends OutputOptions {
  drill?: string;
  status?: RunStatus;
  limit?: string;
}

export function runsCommand(): Command {
  const runs = new Command('runs').description('runs the coordinator recorded: list, show, follow, abort, report');
  runs.addCommand(
    withOutput(
      new Command('ls')
        .alias('list')
        .description('runs, newest first')
        .option('--drill <name>', 'only runs of this drill')
        .addOption(new Option('--status <status>', 'only runs with this status').choices(RUN_STATUSES))
        .option('--limit <n>', 'at most N runs', '20'),
    ).action(async (opts: ListOptions, command: Command) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit: must be an integer 1..1000');
      const list = await clientFor(command).runs.list({ ...(opts.drill ? { drill: opts.drill } : {}), ...(opts.status ? { status: opts.status } : {}), limit });
      if (wantsJson(opts)) return printJson(list);
      if (list.length === 0) return void process.stdout.write('no runs\n');
      const c = colors();
      process.stdout.write(
        table(
          ['ID', 'DRILL', 'STATUS', 'STARTED', 'DURATION'],
          list.map((r) => [
            r.id,
            r.drillName ?? '-',
            r.status === 'passed' ? c.green(r.status) : r.status === 'running' || r.status === 'pending' ? c.yellow(r.status) : c.red(r.status),
            when(r.startedAt ?? r.createdAt),
            r.endedAt !== null && r.startedAt !== null ? duration(r.endedAt - r.startedAt) : '-',
          ]),
        ),
      );
    }),
  );
  runs.addCommand(
    withOutput(new Command('show').description('a run: status, steps, per-target time to detect and to recover').argument('<id>', 'run id, or any unique prefix of it')).action(
      async (id: string, opts: OutputOptions, command: Command) => {
        const client = clientFor(command);
        const run = await client.runs.get(await resolveRunId(client, id));
        if (wantsJson(opts)) return printJson(run);
        if (run.result) process.stdout.write(summary(run.result, colors()));
        else process.stdout.write(`run ${run.id} ${run.status} (drill ${run.drillName ?? '-'}, started ${when(run.startedAt ?? run.createdAt)})\n`);
      },
    ),
  );
  runs.addCommand(
    new Command('watch')
      .description('follow a run live until it ends (Ctrl-C aborts it)')
      .argument('<id>', 'run id, or any unique prefix of it')
      .option('--json', 'print the report as JSON at the end; progress goes to stderr')
      .addOption(new Option('--no-live', 'plain progress lines even on a terminal'))
      .action(async (id: string, opts: { json?: boolean; live?: boolean }, command: Command) => {
        const client = clientFor(command);
        const run = await client.runs.get(await resolveRunId(client, id));
        const report = await runAndFollow(client, { run }, { json: opts.json === true, live: opts.live !== false });
        if (opts.json && report) printJson(report);
        if (report?.status !== 'passed') throw new CliExit(EXIT.failed);
      }),
  );
  runs.addCommand(
    withOutput(new Command('abort').description('abort a run: everything it stopped is resumed').argument('<id>', 'run id, or any unique prefix of it')).action(
      async (id: string, opts: OutputOptions, command: Command) => {
        const client = clientFor(command);
        const answer = await client.runs.abort(await resolveRunId(client, id));
        if (wantsJson(opts)) return printJson(answer);
        process.stdout.write(`run ${answer.id}: ${answer.status}\n`);
      },
    ),
  );
  runs.addCommand(
    new Command('report')
      .description('the report of a finished run, as JSON or JUnit XML')
      .argument('<id>', 'run id, or any unique prefix of it')
      .addOption(new Option('--format <format>', 'report format').choices(['json', 'junit']).default('json'))
      .option('--file <file>', 'write it to FILE instead of stdout')
      .action(async (id: string, opts: { format: 'json' | 'junit'; file?: string }, command: Command) => {
        const client = clientFor(command);
        id = await resolveRunId(client, id);
        let text: string;
        try {
          text = opts.format === 'junit' ? await client.runs.report(id, 'junit') : `${JSON.stringify(await client.runs.report(id, 'json'), null, 2)}\n`;
        } catch (error) {
          // 409: the run has no report yet — "later", not "wrong" (see the exit table).
          if (!(error instanceof ErisApiError && error.status === 409)) throw error;
          process.stderr.write(`eris: run ${id} has no report yet: ${error.message}\n`);
          throw new CliExit(EXIT.notFinished);
        }
        if (opts.file === undefined) return void process.stdout.write(text);
        try {
          await writeFile(opts.file, text);
        } catch (cause) {
          throw new UsageError(`--file: cannot write ${opts.file}: ${(cause as Error).message}`, { cause });
        }
      }),
  );
  return runs;
}

export function drillsCommand(): Command {
  const drills = new Command('drills').description('drills stored on the coordinator');
  drills.addCommand(
    withOutput(new Command('ls').alias('list').description('stored drills')).action(async (opts: OutputOptions, command: Command) => {
      const list = await clientFor(command).drills.list();
      if (wantsJson(opts)) return printJson(list);
      if (list.length === 0) return void process.stdout.write('no drills\n');
      process.stdout.write(table(['NAME', 'CREATED', 'UPDATED'], list.map((d) => [d.name, when(d.createdAt), when(d.updatedAt)])));
    }),
  );
  drills.addCommand(
    withOutput(new Command('push').description('validate drill files and store them (by metadata.name)').argument('<files...>', 'drill files (YAML)')).action(
      async (files: string[], opts: OutputOptions, command: Command) => {
        const checked = await Promise.all(files.map((f) => checkDrillFile(f)));
        if (!reportProblems(checked, process.stderr)) throw new CliExit(EXIT.failed);
        const client = clientFor(command);
        const saved = [];
        for (const f of checked) saved.push(await client.drills.save(await readFile(f.file, 'utf8')));
        if (wantsJson(opts)) return printJson(saved);
        for (const s of saved) process.stdout.write(`stored drill ${s.name}\n`);
      },
    ),
  );
  drills.addCommand(
    new Command('show')
      .description('a stored drill, as it was pushed')
      .argument('<name>', 'drill name')
      .option('--json', 'the whole record as JSON')
      .action(async (name: string, opts: { json?: boolean }, command: Command) => {
        const d = await clientFor(command).drills.get(name);
        if (opts.json) return printJson(d);
        process.stdout.write(d.yaml ?? `${JSON.stringify(d.spec, null, 2)}\n`);
      }),
  );
  drills.addCommand(
    new Command('rm')
      .alias('delete')
      .description('delete a stored drill (its runs are kept)')
      .argument('<name>', 'drill name')
      .action(async (name: string, _opts: unknown, command: Command) => {
        const r = await clientFor(command).drills.delete(name);
        process.stdout.write(`deleted drill ${r.deleted}\n`);
      }),
  );
  return drills;
}
