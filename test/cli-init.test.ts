// `eris init`: drills from flags (every template and scenario passes `eris validate`), from prompts on a
// pseudo-terminal (util-linux `script`), and never over an existing file without --force.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { BIN, ROOT, assertBuilt, cleanEnv, runCli } from './cli-harness.js';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs `eris ARGS` on a pseudo-terminal and answers each prompt when it appears. */
async function onTerminal(args: string[], answers: Array<[RegExp, string]>, cwd: string): Promise<{ code: number | null; output: string }> {
  const child = spawn('script', ['-qfec', [process.execPath, BIN, ...args].map(quote).join(' '), '/dev/null'], { cwd, env: cleanEnv({ TERM: 'dumb' }), stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let next = 0;
  let answered = 0;
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    output += d;
    // Answer every prompt that has appeared since the last answer.
    while (next < answers.length && answers[next]![0].test(output.slice(answered))) {
      answered = output.length;
      child.stdin.write(`${answers[next]![1]}\n`);
      next++;
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output: output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '') };
}

describe('eris init', () => {
  let dir: string;
  before(() => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'eris-cli-init-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a valid drill for every template and scenario from flags alone', async () => {
    for (const template of ['etcd', 'freeze-guard', 'host']) {
      for (const scenario of ['freeze', 'kill', 'freeze-then-kill']) {
        const file = join(dir, `${template}-${scenario}.yaml`);
        const r = await runCli(['init', file, '--template', template, '--scenario', scenario]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, new RegExp(`wrote ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
        const v = await runCli(['validate', file]);
        assert.equal(v.code, 0, `${template}/${scenario}: ${v.stdout}`);
      }
    }
  });

  it('starts with the yaml-language-server line pointing at the schema, and uses the flags', async () => {
    const file = join(dir, 'flags.yaml');
    const r = await runCli(['init', file, '--template', 'etcd', '--name', 'db-drill', '--namespace', 'db', '--pod', '^pg-\\d+$', '--container', '^postgres$', '--percent', '34', '--spread', 'zone', '--probe-url', 'http://{{target.pod}}.pg.{{target.namespace}}.svc:8008/health', '--jq', '.state == "running"', '--scenario', 'kill']);
    assert.equal(r.code, 0, r.stderr);
    const text = readFileSync(file, 'utf8');
    const first = text.split('\n')[0]!;
    assert.equal(first, `# yaml-language-server: $schema=${relative(dir, join(ROOT, 'schemas', 'drill.schema.json'))}`);
    const drill = parse(text) as any;
    assert.equal(drill.metadata.name, 'db-drill');
    assert.deepEqual(drill.spec.targets.victim, { namespaces: ['db'], pod: '^pg-\\d+$', containers: ['^postgres$'], percent: 34, spread: 'zone' });
    assert.equal(drill.spec.probes.health.jq, '.state == "running"');
    assert.deepEqual(drill.spec.steps.map((s: any) => s.signal ?? s.wait ?? s.probe), ['health', 'SIGKILL', 'health', 'health']);
    const host = parse((await runCli(['init', '-', '--cmdline', '--name m[0-9]', '--no-input'])).stdout) as any;
    assert.deepEqual(host.spec.targets.victim.processes, { cmdline: '--name m[0-9]' }, 'a --cmdline means the host template');
    const schemaFlag = await runCli(['init', '-', '--schema', 'https://example.com/drill.json']);
    assert.match(schemaFlag.stdout, /^# yaml-language-server: \$schema=https:\/\/example\.com\/drill\.json\n/);
  });

  it('never overwrites a file without --force; rejects contradictory flags (exit 2)', async () => {
    const file = join(dir, 'exists.yaml');
    writeFileSync(file, 'mine\n');
    const r = await runCli(['init', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /exists\.yaml exists; --force overwrites it/);
    assert.equal(readFileSync(file, 'utf8'), 'mine\n');
    const forced = await runCli(['init', file, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(readFileSync(file, 'utf8'), /^# yaml-language-server/);
    // Default file name: NAME.yaml, in the working directory.
    const byName = await runCli(['init', '--name', 'named-drill'], { cwd: dir });
    assert.equal(byName.code, 0, byName.stderr);
    assert.ok(existsSync(join(dir, 'named-drill.yaml')));
    assert.equal((await runCli(['init', '--name', 'named-drill'], { cwd: dir })).code, 2);
    const both = await runCli(['init', '-', '--count', '1', '--percent', '50']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give one of --count and --percent/);
    assert.equal((await runCli(['init', '-', '--count', 'zero'])).code, 2);
    assert.equal((await runCli(['init', '-', '--template', 'redis'])).code, 2);
    // Values that make an invalid drill: nothing is written, exit 1.
    const invalid = join(dir, 'invalid.yaml');
    const bad = await runCli(['init', invalid, '--pod', '(']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /spec\.targets\.victim\.pod: /);
    assert.ok(!existsSync(invalid));
  });

  it('asks for what the flags leave out on a terminal; Enter takes the default', async () => {
    const r = await onTerminal(
      ['init', 'asked.yaml', '--namespace', 'etcd'],
      [
        [/template \(etcd, freeze-guard, host\) \[etcd\]: $/, ''],
        [/drill name \[etcd-member-failure\]: $/, 'Bad Name'],
        [/drill name \[etcd-member-failure\]: $/, 'my-etcd-drill'],
        [/pod name regex \[\^etcd-\\d\+\$\]: $/, ''],
        [/container name regex \[\^etcd\$\]: $/, '^etcd$'],
        [/how many to pick \(N, or N% of the matches\) \[1\]: $/, '34%'],
        [/probe URL \[http:\/\/\{\{target\.pod\}\}\.etcd\.\{\{target\.namespace\}\}\.svc\.cluster\.local:2379\/health\]: $/, ''],
        [/jq filter that must be true on its JSON answer \[\.health == "true"\]: $/, ''],
        [/scenario \(freeze, kill, freeze-then-kill\) \[freeze-then-kill\]: $/, 'freeze'],
        [/freeze for \[30s\]: $/, '45s'],
      ],
      dir,
    );
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /lowercase letters, digits/, 'a bad answer is asked again');
    assert.doesNotMatch(r.output, /^namespace \[/m, 'a value given as a flag is not asked');
    const drill = parse(readFileSync(join(dir, 'asked.yaml'), 'utf8')) as any;
    assert.equal(drill.metadata.name, 'my-etcd-drill');
    assert.deepEqual(drill.spec.targets.victim, { namespaces: ['etcd'], pod: '^etcd-\\d+$', containers: ['^etcd$'], percent: 34 });
    assert.ok(drill.spec.steps.some((s: any) => s.sleep === '45s'));
    assert.equal((await runCli(['validate', join(dir, 'asked.yaml')])).code, 0);
  });

  it('asks the host questions for the host template, and Ctrl-D cancels without writing', async () => {
    const r = await onTerminal(
      ['init', 'host.yaml', '--template', 'host', '--scenario', 'kill', '--probe-url', 'http://127.0.0.1:{{target.labels.port}}/health'],
      [
        [/drill name \[host-member-failure\]: $/, ''],
        [/command line regex of the processes \[\^etcd \.\*--name\]: $/, 'my-server --port'],
        [/how many to pick .*: $/, '2'],
        [/jq filter .*: $/, '.ok'],
      ],
      dir,
    );
    assert.equal(r.code, 0, r.output);
    const drill = parse(readFileSync(join(dir, 'host.yaml'), 'utf8')) as any;
    assert.deepEqual(drill.spec.targets.victim, { processes: { cmdline: 'my-server --port' }, count: 2 });
    assert.equal(drill.spec.probes.health.jq, '.ok');

    const cancelled = await onTerminal(['init', 'cancelled.yaml'], [[/template .*: $/, '\x04']], dir);
    assert.equal(cancelled.code, 1, cancelled.output);
    assert.match(cancelled.output, /cancelled; nothing was written/);
    assert.ok(!existsSync(join(dir, 'cancelled.yaml')));
  });

  it('does not ask when stdin is not a terminal, or with --no-input', async () => {
    const r = await runCli(['init', '-']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /\[etcd\]/);
    assert.equal((parse(r.stdout) as any).metadata.name, 'etcd-member-failure');
    const q = await onTerminal(['init', 'quiet.yaml', '--no-input'], [], dir);
    assert.equal(q.code, 0, q.output);
    assert.doesNotMatch(q.output, /\]: /);
  });
});
