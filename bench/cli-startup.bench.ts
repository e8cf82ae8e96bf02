// Benchmark: how long the `eris` command takes to answer, per command, from process start to exit (the real binary,
// spawned as a shell would). Each command imports only its own module (cli/program.ts); --version imports none.
// Run: node --import tsx bench/cli-startup.bench.ts [--no-write]
// Prints a markdown table and replaces <!-- cli-startup:start --> … <!-- cli-startup:end --> in docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { machineNote, table, writeDocSection } from './agent-common.js';

const write = !process.argv.includes('--no-write');
const BIN = fileURLToPath(new URL('../bin/eris.js', import.meta.url));
const ROUNDS = 15;

/** Wall time of `node ARGS` in ms, ROUNDS times after one warm-up (the page cache). */
function timings(args: string[]): number[] {
  const run = () => {
    const start = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1', ERIS_CONFIG: '/nonexistent/eris-bench.yaml' } });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
    return performance.now() - start;
  };
  run();
  return Array.from({ length: ROUNDS }, run).sort((a, b) => a - b);
}

const CASES: Array<[string, string[]]> = [
  ['node -e 0 (the floor: Node itself)', ['-e', '0']],
  ['eris --version', [BIN, '--version']],
  ['eris context ls', [BIN, 'context', 'ls']],
  ['eris runs ls --help', [BIN, 'runs', 'ls', '--help']],
  ['eris validate --help (drill schema, jq)', [BIN, 'validate', '--help']],
  ['eris agent --help', [BIN, 'agent', '--help']],
  ['eris --help (every command loaded)', [BIN, '--help']],
];

const rows: string[][] = [];
for (const [name, args] of CASES) {
  const t = timings(args);
  const median = t[Math.floor(t.length / 2)]!;
  rows.push([name, `${Math.round(median)} ms`, `${Math.round(t.at(-1)!)} ms`]);
  console.log(`${name}: median ${Math.round(median)} ms, max ${Math.round(t.at(-1)!)} ms`);
}

const body = `## CLI start-up (cli-startup)

From spawn to exit of the real binary, ${ROUNDS} rounds after a warm-up, \`bench/cli-startup.bench.ts\`, ${machineNote()}

${table(['command', 'median', 'max'], ['l', 'r', 'r'], rows)}

Before the commands were loaded on demand (issue 12), every command, \`--version\` included, imported all of them (the
coordinator's drill schema, jq, YAML, SQLite bindings): \`eris --version\` took 0.73–0.83 s on this machine (3 runs,
\`/usr/bin/time\`, 2026-12-03), and 1.2–2.6 s in the issue's report.`;
if (write) writeDocSection('cli-startup', body);
else console.log(body);
