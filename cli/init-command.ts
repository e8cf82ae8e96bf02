// `eris init [FILE]`: scaffolds a drill from flags, asking for what is missing when a person is at the terminal.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import { PACKAGE_ROOT } from '../lib/version.js';
import { checkDrillText } from './drill-file.js';
import { CliExit, EXIT, UsageError } from './exit.js';
import { renderDrill, SCENARIOS, TEMPLATES, templateDefaults, usesTarget, type InitAnswers, type Scenario, type Template } from '../coordinator/drill/templates.js';
import { reportProblems } from './validate-command.js';
import { addPickOptions, type PickFlags } from './options.js';
import { userRegexProblem } from '../lib/user-regex.js';

interface InitOptions extends PickFlags {
  template?: Template;
  name?: string;
  namespace?: string;
  pod?: string;
  container?: string;
  cmdline?: string;
  probeUrl?: string;
  jq?: string;
  scenario?: Scenario;
  freezeFor?: string;
  schema?: string;
  force?: boolean;
  input?: boolean;
}

export function initCommand(): Command {
  return addPickOptions(
    new Command('init')
      .description('write a new drill file (asks for what the flags leave out when run in a terminal)')
      .argument('[file]', 'where to write it ("-" for stdout; default NAME.yaml)')
      .addOption(new Option('-t, --template <template>', 'what the drill is about').choices(TEMPLATES))
      .option('--name <name>', 'drill name (metadata.name)')
      .option('--namespace <namespace>', 'namespace of the pods')
      .option('--pod <regex>', 'regex on the pod name, e.g. "^etcd-\\d+$"')
      .option('--container <regex>', 'regex on the container name, e.g. "^etcd$"')
      .option('--cmdline <regex>', 'host template: regex on the process command line'),
    'how many targets to pick',
  )
    .option('--probe-url <url>', 'health probe URL; may use {{target.pod}}, {{target.namespace}}, {{target.labels.KEY}}')
    .option('--jq <filter>', 'jq filter on the probe\'s JSON answer that must be true ("" for status only)')
    .addOption(new Option('--scenario <scenario>', 'what happens to the picked targets').choices(SCENARIOS))
    .option('--freeze-for <duration>', 'how long a freeze lasts (freeze, freeze-guard)')
    .option('--schema <ref>', 'path or URL of drill.schema.json for the yaml-language-server line')
    .option('-f, --force', 'overwrite FILE if it exists')
    .option('--no-input', 'never ask, even in a terminal (defaults fill the gaps)')
    .addHelpText(
      'after',
      '\nExamples:\n  eris init                                   # asks, in a terminal\n  eris init etcd.yaml --template etcd --namespace db --count 1\n  eris init host.yaml --template host --cmdline "^etcd .*--name" --scenario kill\n  eris init - --template freeze-guard --no-input > freeze.yaml',
    )
    .action(async (file: string | undefined, opts: InitOptions) => {
      if (opts.count !== undefined && opts.percent !== undefined) throw new UsageError('give one of --count and --percent');
      if (opts.spread !== undefined && opts.pack !== undefined) throw new UsageError('give one of --spread and --pack');
      if (file !== undefined && file !== '-' && existsSync(file) && !opts.force) throw new UsageError(`${file} exists; --force overwrites it`);
      const interactive = opts.input !== false && process.stdin.isTTY === true;
      const answers = interactive ? await ask(opts) : fromFlags(opts);
      const target = file ?? `${answers.name}.yaml`;
      if (target !== '-' && file === undefined && existsSync(target) && !opts.force) throw new UsageError(`${target} exists; --force overwrites it`);
      const schemaRef = opts.schema ?? schemaReference(target === '-' ? process.cwd() : dirname(resolve(target)));
      const text = renderDrill(answers, schemaRef);
      // Never write a drill that `eris validate` would reject.
      const checked = await checkDrillText(text, target === '-' ? '<stdout>' : target);
      if (!reportProblems([checked], process.stderr)) {
        process.stderr.write('the answers above make an invalid drill; nothing was written\n');
        throw new CliExit(EXIT.failed);
      }
      if (target === '-') return void process.stdout.write(text);
      try {
        await writeFile(target, text, { flag: opts.force ? 'w' : 'wx' });
      } catch (cause) {
        throw new UsageError(`cannot write ${target}: ${(cause as Error).message}`, { cause });
      }
      process.stderr.write(`wrote ${target}\nnext: eris validate ${target} && eris run --dry-run ${target}\n`);
    });
}

/** The schema file of this installation, relative to the directory the drill is written to. */
function schemaReference(dir: string): string {
  const rel = relative(dir, join(PACKAGE_ROOT, 'schemas', 'drill.schema.json'));
  return rel.startsWith('.') || rel.startsWith('/') ? rel : `./${rel}`;
}

function parsePick(opts: InitOptions, fallback: InitAnswers['pick']): InitAnswers['pick'] {
  if (opts.count !== undefined) return { count: positiveInt(opts.count, '--count') };
  if (opts.percent !== undefined) {
    const p = Number(opts.percent.replace(/%$/, ''));
    if (!Number.isFinite(p) || p < 1 || p > 100) throw new UsageError(`--percent: must be 1..100, got ${JSON.stringify(opts.percent)}`);
    return { percent: p };
  }
  return fallback;
}

function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${what}: must be a whole number ≥ 1, got ${JSON.stringify(text)}`);
  return n;
}

function fromFlags(opts: InitOptions, template: Template = opts.template ?? (opts.cmdline !== undefined ? 'host' : 'etcd')): InitAnswers {
  const d = templateDefaults(template);
  return {
    template,
    name: opts.name ?? d.name,
    namespace: opts.namespace ?? d.namespace,
    pod: opts.pod ?? d.pod,
    container: opts.container ?? d.container,
    cmdline: opts.cmdline ?? d.cmdline,
    pick: parsePick(opts, d.pick),
    ...(opts.spread ? { spread: opts.spread } : {}),
    ...(opts.pack ? { pack: opts.pack } : {}),
    probeUrl: opts.probeUrl ?? d.probeUrl,
    jq: opts.jq ?? d.jq,
    scenario: opts.scenario ?? d.scenario,
    freezeFor: opts.freezeFor ?? d.freezeFor,
  };
}

/** Asks for each value the flags did not give; Enter takes the [default]. */
async function ask(opts: InitOptions): Promise<InitAnswers> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Ctrl-C at a prompt: nothing is written.
  rl.on('SIGINT', () => {
    rl.close();
    process.stderr.write('\ncancelled; nothing was written\n');
    process.exit(EXIT.failed);
  });
  try {
    const question = async (label: string, fallback: string, check?: (answer: string) => string | null): Promise<string> => {
      for (;;) {
        let answer: string;
        try {
          answer = (await rl.question(`${label} [${fallback}]: `)).trim();
        } catch (error) {
          // Ctrl-D (end of input) at a prompt.
          if ((error as Error).name !== 'AbortError') throw error;
          process.stderr.write('\ncancelled; nothing was written\n');
          throw new CliExit(EXIT.failed);
        }
        const value = answer === '' ? fallback : answer;
        const problem = check?.(value) ?? null;
        if (problem === null) return value;
        process.stderr.write(`  ${problem}\n`);
      }
    };
    const oneOf = (choices: readonly string[]) => (v: string) => (choices.includes(v) ? null : `one of: ${choices.join(', ')}`);
    const regex = userRegexProblem;
    const template = (opts.template ?? (await question(`template (${TEMPLATES.join(', ')})`, 'etcd', oneOf(TEMPLATES)))) as Template;
    const d = fromFlags(opts, template);
    const a: InitAnswers = { ...d };
    if (opts.name === undefined) a.name = await question('drill name', d.name, (v) => (/^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$/.test(v) ? null : 'lowercase letters, digits, "-", "_", "."; 1..63 characters'));
    if (template === 'host') {
      if (opts.cmdline === undefined) a.cmdline = await question('command line regex of the processes', d.cmdline, regex);
    } else {
      if (opts.namespace === undefined) a.namespace = await question('namespace', d.namespace);
      if (opts.pod === undefined) a.pod = await question('pod name regex', d.pod, regex);
      if (opts.container === undefined) a.container = await question('container name regex', d.container, regex);
    }
    if (opts.count === undefined && opts.percent === undefined) {
      const shown = 'count' in d.pick ? String(d.pick.count) : `${d.pick.percent}%`;
      const answer = await question('how many to pick (N, or N% of the matches)', shown, (v) => (/^\d+$/.test(v) && Number(v) >= 1) || (/^\d+(\.\d+)?%$/.test(v) && Number(v.slice(0, -1)) >= 1 && Number(v.slice(0, -1)) <= 100) ? null : 'a whole number ≥ 1, or a percentage 1..100 like 34%');
      a.pick = answer.endsWith('%') ? { percent: Number(answer.slice(0, -1)) } : { count: Number(answer) };
    }
    if (opts.probeUrl === undefined) a.probeUrl = await question('probe URL', d.probeUrl, (v) => (/^https?:\/\//.test(v) ? null : 'an http:// or https:// URL'));
    if (opts.jq === undefined) a.jq = await question('jq filter that must be true on its JSON answer', d.jq);
    if (template !== 'freeze-guard' && opts.scenario === undefined) a.scenario = (await question(`scenario (${SCENARIOS.join(', ')})`, d.scenario, oneOf(SCENARIOS))) as Scenario;
    if ((template === 'freeze-guard' || a.scenario === 'freeze') && opts.freezeFor === undefined) {
      a.freezeFor = await question('freeze for', d.freezeFor, (v) => (/^\d+(ms|s|m|h)$/.test(v) ? null : 'a duration such as 30s or 2m'));
    }
    if (!usesTarget(a.probeUrl) && template !== 'freeze-guard') process.stderr.write('  note: the probe has no {{target.*}}: it checks the whole system, not each picked target\n');
    return a;
  } finally {
    rl.close();
  }
}
