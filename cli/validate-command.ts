// `eris validate FILE…`: every problem of every drill file, as FILE:LINE:COL: PATH: message.
import { Command } from 'commander';
import { checkDrillFile, type CheckedDrill, type DrillProblem } from './drill-file.js';
import { CliExit, EXIT } from './exit.js';
import { colors, printJson } from './output.js';

/** Prints the problems of checked files, FILE:LINE:COL: PATH: message, and says whether all were clean. */
export function reportProblems(checked: readonly CheckedDrill[], stream: NodeJS.WriteStream = process.stderr): boolean {
  const c = colors(stream);
  for (const f of checked) for (const p of f.problems) stream.write(`${c.bold(`${p.file}:${p.line}:${p.column}:`)} ${c.red(p.path)}: ${p.message}\n`);
  return checked.every((f) => f.problems.length === 0);
}

/** Prints the warnings of checked files, FILE:LINE:COL: PATH: warning: message (they do not change the exit code). */
function reportWarnings(checked: readonly CheckedDrill[], stream: NodeJS.WriteStream): void {
  const c = colors(stream);
  for (const f of checked) for (const w of f.warnings) stream.write(`${c.bold(`${w.file}:${w.line}:${w.column}:`)} ${c.yellow(w.path)}: warning: ${w.message}\n`);
}

export function validateCommand(): Command {
  return new Command('validate')
    .description('check drill files: YAML, schema, references between targets, probes and steps, jq filters; warn of unused ones')
    .argument('<files...>', 'drill files (YAML)')
    .option('--json', 'print {ok, files, problems} as JSON')
    .addHelpText('after', '\nPrints FILE:LINE:COL: PATH: message for every problem, and FILE:LINE:COL: PATH: warning: message for a probe or\ntarget group no step uses. Exit 0 when every file is valid (warnings or not), 1 otherwise.')
    .action(async (files: string[], opts: { json?: boolean }) => {
      const checked: CheckedDrill[] = [];
      for (const file of files) checked.push(await checkDrillFile(file));
      const problems: DrillProblem[] = checked.flatMap((f) => f.problems);
      if (opts.json) {
        printJson({
          ok: problems.length === 0,
          files: checked.map((f) => ({ file: f.file, ok: f.problems.length === 0, ...(f.drill ? { name: f.drill.metadata.name } : {}) })),
          problems,
          warnings: checked.flatMap((f) => f.warnings),
        });
      } else {
        reportProblems(checked, process.stdout);
        reportWarnings(checked, process.stdout);
        if (problems.length > 0) process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${checked.filter((f) => f.problems.length > 0).length} of ${checked.length} file${checked.length === 1 ? '' : 's'}\n`);
        for (const f of checked) if (f.drill) process.stdout.write(`${f.file}: ok (drill ${f.drill.metadata.name})\n`);
      }
      if (problems.length > 0) throw new CliExit(EXIT.failed);
    });
}
