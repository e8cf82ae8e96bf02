// Every drill in examples/ passes `eris validate` (the real binary), and points editors at the committed schema.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ROOT, assertBuilt, runCli } from './cli-harness.js';

const EXAMPLES = join(ROOT, 'examples');
const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).sort();

describe('examples/', () => {
  before(assertBuilt);

  it('holds the drills the docs promise', () => {
    for (const name of ['etcd-one-member.yaml', 'etcd-two-members-one-zone.yaml', 'etcd-two-zones.yaml', 'freeze-30s-guarded.yaml', 'host-processes.yaml']) {
      assert.ok(files.includes(name), name);
    }
  });

  for (const name of files) {
    it(`eris validate examples/${name}`, async () => {
      const r = await runCli(['validate', `examples/${name}`]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /: ok \(drill [a-z0-9-]+\)\n$/);
      const text = readFileSync(join(EXAMPLES, name), 'utf8');
      const schema = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text);
      assert.ok(schema, 'starts with the yaml-language-server line');
      assert.ok(existsSync(resolve(dirname(join(EXAMPLES, name)), schema[1]!)), `${schema[1]} exists`);
      assert.equal((parse(text) as { metadata: { name: string } }).metadata.name, name.replace(/\.yaml$/, ''), 'named after its file');
    });
  }

  it('all at once, and --json', async () => {
    const r = await runCli(['validate', '--json', ...files.map((f) => `examples/${f}`)]);
    assert.equal(r.code, 0, r.stdout);
    const out = JSON.parse(r.stdout) as { ok: boolean; files: unknown[]; problems: unknown[]; warnings: unknown[] };
    assert.equal(out.ok, true);
    assert.equal(out.files.length, files.length);
    assert.deepEqual(out.problems, []);
    assert.deepEqual(out.warnings, [], 'every probe and target group an example defines is used');
  });

  it('say what the issue asks of them', () => {
    const load = (name: string) => parse(readFileSync(join(EXAMPLES, name), 'utf8')) as any;
    const one = load('etcd-one-member.yaml');
    assert.equal(one.spec.targets.member.pod, '^etcd-\\d+$');
    assert.deepEqual(one.spec.targets.member.containers, ['^etcd$']);
    assert.equal(one.spec.targets.member.count, 1);
    assert.match(one.spec.probes['member-health'].url, /\{\{target\.pod\}\}\.[a-z-]+\.\{\{target\.namespace\}\}\.svc/);
    assert.deepEqual(one.spec.steps.map((s: any) => s.signal ?? (s.wait ? `wait ${s.until} ${s.timeout}` : s.probe ? 'probe' : '?')), ['probe', 'SIGSTOP', 'wait fail 10s', 'SIGKILL', 'wait pass 120s']);
    assert.equal(load('etcd-two-members-one-zone.yaml').spec.targets.members.pack, 'zone');
    assert.equal(load('etcd-two-members-one-zone.yaml').spec.targets.members.count, 2);
    assert.equal(load('etcd-two-zones.yaml').spec.targets.members.spread, 'zone');
    const guarded = load('freeze-30s-guarded.yaml').spec.steps[0];
    assert.ok(guarded.guard);
    assert.ok(guarded.steps.some((s: any) => s.sleep === '30s'));
    const host = load('host-processes.yaml');
    assert.ok(host.spec.targets.member.processes.cmdline);
    assert.match(host.spec.probes['member-health'].url, /\{\{target\.labels\.[a-z-]+\.port\}\}/);
  });
});
