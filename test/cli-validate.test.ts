// `eris validate`: every problem of a drill file at its line and column, JSON for scripts, exit codes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, runCli } from './cli-harness.js';
import { loadCoordinatorConfig } from '../coordinator/config.js';
import { startCoordinator } from '../coordinator/server.js';
import { silentLogger } from '../lib/logger.js';
import { parse as parseYaml } from 'yaml';

const GOOD = `apiVersion: eris.dev/v1alpha1
kind: Drill
metadata:
  name: good
spec:
  targets:
    m:
      pod: ^etcd-\\d+$
      containers: [^etcd$]
      count: 1
  probes:
    health:
      url: http://{{target.pod}}.etcd:2379/health
      jq: .health == "true"
  steps:
    - signal: SIGSTOP
      target: m
    - wait: health
      target: m
      until: fail
      timeout: 10s
`;

// Line numbers below are those of this text.
const BROKEN = `apiVersion: eris.dev/v1alpha1
kind: Drill
metadata:
  name: Broken_Name
spec:
  targets:
    m:
      pod: ^etcd-\\d+$
      percent: 150
      colour: blue
    app.kubernetes.io:
      count: 0
  probes:
    health:
      url: http://{{target.pod}}:2379/health
      jq: '.health =='
  steps:
    - probe: health
      target: m
    - wait: health
      until: fail
    - signal: SIGFOO
      target: m
`;

describe('eris validate', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  before(() => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'eris-cli-validate-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('says ok and exits 0 for a valid drill', async () => {
    const good = file('good.yaml', GOOD);
    const r = await runCli(['validate', good]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, `${good}: ok (drill good)\n`);
    assert.equal(r.stderr, '');
  });

  it('reports every problem as FILE:LINE:COL: PATH: message, exit 1', async () => {
    const broken = file('broken.yaml', BROKEN);
    const r = await runCli(['validate', broken]);
    assert.equal(r.code, 1);
    const lines = r.stdout.trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => l.slice(broken.length + 1).split(': ')[0]),
      [
        '4:9', // metadata.name: the value
        '9:16', // spec.targets.m.percent
        '10:7', // spec.targets.m.colour: the unknown key itself
        '12:14', // a group name with dots: app.kubernetes.io
        '16:11', // jq, compiled by jq
        '20:7', // a missing key: the step that should hold it
        '20:7', // a reference problem, reported beside the schema's: the {{target.*}} probe's step has no target
        '22:15', // signal
      ],
      r.stdout,
    );
    assert.equal(lines[0], `${broken}:4:9: metadata.name: must be a lowercase name (a-z, 0-9, "-", "_", "."), 1..63 characters`);
    assert.match(r.stdout, /:9:16: spec\.targets\.m\.percent: must be 1\.\.100$/m);
    assert.match(r.stdout, /:10:7: spec\.targets\.m\.colour: unknown key "colour"$/m);
    assert.match(r.stdout, /:12:14: spec\.targets\.app\.kubernetes\.io\.count: must be at least 1$/m);
    assert.match(r.stdout, /:16:11: spec\.probes\.health\.jq: invalid jq filter: .*syntax error/m);
    assert.match(r.stdout, /:20:7: spec\.steps\[1\]\.timeout: required \(a duration: /m);
    assert.match(r.stdout, /:22:15: spec\.steps\[2\]\.signal: must be one of /m);
    assert.match(r.stderr, /^8 problems in 1 of 1 file$/m);
  });

  it('reports reference problems (targets, probes) once the schema passes', async () => {
    const refs = file(
      'refs.yaml',
      GOOD.replace('      target: m\n    - wait: health\n      target: m', '      target: nope\n    - wait: missing\n      target: m').replace(
        'steps:\n',
        'steps:\n    - probe: health\n',
      ),
    );
    const r = await runCli(['validate', refs]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /refs\.yaml:16:7: spec\.steps\[0\]\.target: probe "health" uses \{\{target\.\*\}\}: name the target group/);
    assert.match(r.stdout, /refs\.yaml:18:15: spec\.steps\[1\]\.target: no target group "nope" \(groups: m\)/);
    assert.match(r.stdout, /refs\.yaml:19:13: spec\.steps\[2\]\.wait: no probe "missing" \(probes: health\)/);
  });

  it('reports reference problems beside schema problems, in one run', async () => {
    const both = file('both.yaml', GOOD.replace('    - wait: health\n', '    - wait: helth\n').replace('count: 1', 'count: 0'));
    const r = await runCli(['validate', both]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /both\.yaml:\d+:\d+: spec\.targets\.m\.count: must be at least 1/);
    assert.match(r.stdout, /both\.yaml:\d+:\d+: spec\.steps\[\d\]\.wait: no probe "helth" \(probes: health\)/);
  });

  it('a lease above the agents\' longest and a wait without timeout: the same messages from the CLI and the coordinator', async () => {
    const coordinator = await startCoordinator(loadCoordinatorConfig({ listen: '127.0.0.1:0', token: 'validate-token', dataDir: join(dir, 'coord') }, {}), { logger: silentLogger() });
    try {
      const cases = [
        { text: GOOD.replace('      target: m\n    - wait', '      target: m\n      lease: 2h\n    - wait'), path: 'spec.steps[0].lease', message: "must be at most 15m (the agents' longest lease, --lease-max 900)" },
        { text: GOOD.replace('      timeout: 10s\n', ''), path: 'spec.steps[1].timeout', message: 'required (a duration: use e.g. "500ms", "2s", "1m30s", "1h", or a number of seconds)' },
      ];
      for (const [i, c] of cases.entries()) {
        const r = await runCli(['validate', file(`bounds-${i}.yaml`, c.text)]);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stdout, new RegExp(`: ${c.path.replace(/[[\].]/g, '\\$&')}: ${c.message.replace(/[()[\].*+?"]/g, '\\$&')}\n`));
        const res = await fetch(`${coordinator.url}/v1/drills`, {
          method: 'POST',
          headers: { authorization: 'Bearer validate-token', 'content-type': 'application/json' },
          body: JSON.stringify(parseYaml(c.text)),
        });
        assert.equal(res.status, 400);
        const { error } = (await res.json()) as { error: { code: string; message: string; path: string } };
        assert.deepEqual(error.path, c.path);
        assert.equal(error.message, `${c.path}: ${c.message}`);
      }
      // The longest lease the agents grant by default still passes.
      const r = await runCli(['validate', file('lease-15m.yaml', cases[0]!.text.replace('lease: 2h', 'lease: 15m'))]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    } finally {
      await coordinator.close();
    }
  });

  it('warns of probes and target groups no step uses, and still exits 0; errors still exit 1', async () => {
    const unused = GOOD.replace('  probes:\n', '  probes:\n    spare:\n      url: http://etcd:2379/health\n').replace('      count: 1\n', '      count: 1\n    app.kubernetes.io:\n      count: 1\n');
    const path = file('unused.yaml', unused);
    const r = await runCli(['validate', path]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(
      r.stdout,
      `${path}:11:5: spec.targets.app.kubernetes.io: warning: target group "app.kubernetes.io" is not used by any step\n` +
        `${path}:14:5: spec.probes.spare: warning: probe "spare" is not used by steadyState or any step\n` +
        `${path}: ok (drill good)\n`,
    );
    const json = JSON.parse((await runCli(['validate', '--json', path])).stdout) as { ok: boolean; warnings: Array<{ path: string; line: number }> };
    assert.equal(json.ok, true);
    assert.deepEqual(json.warnings.map((w) => [w.path, w.line]), [['spec.targets.app.kubernetes.io', 11], ['spec.probes.spare', 14]]);
    // A probe named only by steadyState or a guard, a group only by a wait's target: used.
    const used = unused.replace('  steps:\n', '  steadyState: [spare]\n  steps:\n').replace('    - wait: health\n      target: m\n', '    - wait: health\n      target: app.kubernetes.io\n');
    const u = await runCli(['validate', file('used.yaml', used)]);
    assert.equal(u.code, 0, u.stdout);
    assert.doesNotMatch(u.stdout, /warning/);
    // Warnings beside an error: the error decides the exit code.
    const bad = await runCli(['validate', path, file('bad.yaml', GOOD.replace('count: 1', 'count: 0'))]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /warning: probe "spare"/);
    assert.match(bad.stdout, /bad\.yaml:\d+:\d+: spec\.targets\.m\.count: must be at least 1/);
  });

  it('points at YAML syntax errors', async () => {
    const bad = file('syntax.yaml', 'apiVersion: eris.dev/v1alpha1\nkind: Drill\nmetadata:\n  name: [oops\n');
    const r = await runCli(['validate', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /syntax\.yaml:\d+:\d+: \(yaml\): /);
    const dup = file('dup.yaml', 'kind: Drill\nkind: Drill\n');
    const d = await runCli(['validate', dup]);
    assert.match(d.stdout, /dup\.yaml:2:1: \(yaml\): Map keys must be unique/);
    const empty = file('empty.yaml', '');
    assert.match((await runCli(['validate', empty])).stdout, /empty\.yaml:1:1: \(root\): /);
    // Found by fuzz-http: an alias to no anchor parses, then failed only when read (a stack trace, a 500).
    const alias = await runCli(['validate', file('alias.yaml', 'kind: Drill\nmetadata: *nowhere\n')]);
    assert.equal(alias.code, 1, alias.stderr);
    assert.match(alias.stdout, /alias\.yaml:2:11: \(yaml\): Unresolved alias .*: nowhere/);
  });

  it('--json prints the problems for scripts', async () => {
    const broken = file('broken.yaml', BROKEN);
    const good = file('good.yaml', GOOD);
    const r = await runCli(['validate', '--json', good, broken]);
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout) as { ok: boolean; files: Array<{ file: string; ok: boolean; name?: string }>; problems: Array<{ file: string; line: number; column: number; path: string; message: string }> };
    assert.equal(out.ok, false);
    assert.deepEqual(out.files, [
      { file: good, ok: true, name: 'good' },
      { file: broken, ok: false },
    ]);
    assert.equal(out.problems.length, 8);
    assert.deepEqual(out.problems[1], { file: broken, line: 9, column: 16, path: 'spec.targets.m.percent', message: 'must be 1..100' });
    const ok = JSON.parse((await runCli(['validate', '--json', good])).stdout);
    assert.deepEqual(ok, { ok: true, files: [{ file: good, ok: true, name: 'good' }], problems: [], warnings: [] });
  });

  it('reads stdin as "-"; a missing file or no file is a usage error (exit 2)', async () => {
    const r = await runCli(['validate', '-'], { input: GOOD });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.stdout, '-: ok (drill good)\n');
    const missing = await runCli(['validate', join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*nope\.yaml: no such file/);
    const none = await runCli(['validate']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /missing required argument 'files'/);
  });
});
