// The `eris` commands that read the coordinator (agents, targets, faults, runs, drills), contexts and tokens, and
// --help on every command: the real binary as a subprocess against a coordinator + host-mode agent.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ErisClient } from '../sdk/index.js';
import { isRunning, procState, waitFor } from './harness/processes.js';
import { assertBuilt, collect, runCli, sampleDrillYaml, spawnCli, startSampleCluster, stoppedMembers, type SampleCluster } from './cli-harness.js';

describe('eris --help', () => {
  before(assertBuilt);

  it('every command and subcommand has --help, and exits 0', async () => {
    const seen: string[] = [];
    const visit = async (path: string[]) => {
      const r = await runCli([...path, '--help']);
      assert.equal(r.code, 0, `${path.join(' ')} --help: ${r.stderr}`);
      assert.match(r.stdout, /^Usage: eris/m, path.join(' '));
      seen.push(path.join(' '));
      // The Commands: section ends at the first blank line (help text after it may be indented too).
      const commands = r.stdout.split(/^Commands:$/m)[1]?.split(/\n\s*\n/)[0];
      if (!commands) return;
      for (const m of commands.matchAll(/^ {2}([a-z][a-z-]*)(\|[a-z]+)?\b/gm)) if (m[1] !== 'help') await visit([...path, m[1]!]);
    };
    await visit([]);
    for (const expected of ['init', 'validate', 'run', 'runs ls', 'runs show', 'runs watch', 'runs abort', 'runs report', 'drills push', 'targets', 'agents', 'faults ls', 'faults rm', 'schema', 'context use', 'context ls', 'agent', 'coordinator']) {
      assert.ok(seen.includes(expected), `eris ${expected} --help (seen: ${seen.join(', ')})`);
    }
  });

  it('an unknown command or option is a usage error (exit 2)', async () => {
    const r = await runCli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
    const o = await runCli(['runs', 'ls', '--frob']);
    assert.equal(o.code, 2);
    assert.match(o.stderr, /unknown option '--frob'/);
    const v = await runCli(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^\d+\.\d+\.\d+/);
  });
});

describe('eris agents, targets, faults, runs, drills, context', () => {
  let cluster: SampleCluster;
  let client: ErisClient;
  let dir: string;
  let auth: string[];

  before(async () => {
    assertBuilt();
    cluster = await startSampleCluster('cli-cmds');
    client = new ErisClient({ baseUrl: cluster.url, token: cluster.token });
    dir = mkdtempSync(join(tmpdir(), 'eris-cli-cmds-'));
    auth = ['--coordinator', cluster.url, '--token', cluster.token];
  });
  after(async () => {
    await cluster?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('agents: a table, or JSON', async () => {
    const r = await runCli(['agents', ...auth]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ID\s+ZONE\s+VERSION\s+RUNTIME\s+HOST PROCESSES\s+CONTAINERS\s+ACTIVE FAULTS/m);
    assert.match(r.stdout, /^lab\/node-1\s+z1\s+\d+\.\d+\.\d+\s+-\s+yes\s+0\s+0/m);
    for (const flag of ['--json', '--output=json']) {
      const j = await runCli(['agents', flag, ...auth]);
      assert.equal(j.code, 0, j.stderr);
      const agents = JSON.parse(j.stdout);
      assert.equal(agents[0].id, 'lab/node-1');
    }
  });

  it('targets: containers only (a host-mode agent has none), filters pass through', async () => {
    const r = await runCli(['targets', '--namespace', 'default', ...auth]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'no targets match\n');
    const j = await runCli(['targets', '--json', ...auth]);
    assert.deepEqual(JSON.parse(j.stdout), []);
    const bad = await runCli(['targets', '--pod', '(', ...auth]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /ERIS_ERR_VALIDATION: query\.pod: not a valid RE2 regular expression/);
  });

  it('targets --cmdline: the host processes it matches, from the host-mode agent; filters and bad regexes as for containers', async () => {
    // `m\\d` does not match its own text: this CLI's command line (which carries the regex) is not listed.
    const cmdline = `--name m\\d .*--tag ${cluster.tag}`;
    const r = await runCli(['targets', '--cmdline', cmdline, ...auth]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^CLUSTER\/NODE\s+ZONE\s+PID\s+STATE\s+LABELS\s+COMMAND$/m);
    for (const [name, { child }] of cluster.members) {
      assert.match(r.stdout, new RegExp(`^lab/node-1\\s+z1\\s+${child.pid}\\s+running\\s+\\S*name=${name}\\S*\\s+\\S+ .*--name ${name} .*--tag ${cluster.tag}`, 'm'));
    }
    const j = await runCli(['targets', '--cmdline', cmdline, '--json', ...auth]);
    const listed = JSON.parse(j.stdout) as { kind: string; pid: number }[];
    assert.deepEqual(listed.map((t) => t.pid).sort((a, b) => a - b), cluster.pids().sort((a, b) => a - b));
    assert.ok(listed.every((t) => t.kind === 'process'));
    const one = JSON.parse((await runCli(['targets', '--cmdline', cmdline, '--labels', 'name=m1', '--json', ...auth])).stdout) as { pid: number }[];
    assert.deepEqual(one.map((t) => t.pid), [cluster.members.get('m1')!.child.pid]);
    assert.equal((await runCli(['targets', '--cmdline', cmdline, '--cluster', 'elsewhere', ...auth])).stdout, 'no targets match\n');
    const bad = await runCli(['targets', '--cmdline', '(', ...auth]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /ERIS_ERR_VALIDATION: query\.cmdline: not a valid RE2 regular expression/);
    const help = await runCli(['targets', '--help']);
    assert.match(help.stdout, /--cmdline <regex>\s+list host processes whose command line matches/);
  });

  it('targets --cmdline never lists eris itself: not the CLI whose argv carries the regex; an unrelated eris.js is listed', async () => {
    // An ordinary program that happens to be called eris.js (not part of the eris package): a name is not enough.
    const decoyDir = mkdtempSync(join(tmpdir(), 'eris-decoy-'));
    writeFileSync(join(decoyDir, 'eris.js'), 'setInterval(() => {}, 1000);\n');
    const decoy = spawn(process.execPath, [join(decoyDir, 'eris.js'), '--tag', cluster.tag], { stdio: 'ignore' });
    try {
      await waitFor(() => procState(decoy.pid!) !== null, 5000, 'the decoy started');
      // The regex is a plain substring of this CLI's own command line (and of its --json run's).
      const regex = `--tag ${cluster.tag}`;
      const j = await runCli(['targets', '--cmdline', regex, '--json', ...auth]);
      assert.equal(j.code, 0, j.stderr);
      const listed = (JSON.parse(j.stdout) as { pid: number }[]).map((t) => t.pid).sort((a, b) => a - b);
      assert.deepEqual(listed, [...cluster.pids(), decoy.pid!].sort((a, b) => a - b));
      const r = await runCli(['targets', '--cmdline', regex, ...auth]);
      assert.doesNotMatch(r.stdout, /targets --cmdline/);
    } finally {
      decoy.kill('SIGKILL');
      rmSync(decoyDir, { recursive: true, force: true });
    }
  });

  it('faults ls, show and rm (resume)', async () => {
    const empty = await runCli(['faults', 'ls', ...auth]);
    assert.equal(empty.stdout, 'no faults\n');
    const fault = await client.faults.create({ target: { processes: { cmdline: `--name m0 .*--tag ${cluster.tag}` } }, signal: 'SIGSTOP', lease: '30s' });
    const pid = fault.parts[0]!.fault.targets[0]!.processes[0]!.pid;
    try {
      assert.equal(procState(pid), 'T');
      const ls = await runCli(['faults', 'ls', ...auth]);
      assert.match(ls.stdout, new RegExp(`^${fault.id}\\s+SIGSTOP\\s+active\\s+1`, 'm'));
      const show = await runCli(['faults', 'show', fault.id, ...auth]);
      assert.match(show.stdout, new RegExp(`pid ${pid} \\(\\S+\\)\\s+lab/node-1\\s+active\\s+ok`));
      const rm = await runCli(['faults', 'rm', fault.id, ...auth]);
      assert.equal(rm.code, 0, rm.stderr);
      // The member's own children may join the hold while it lasts (re-scan), so it is at least the member.
      assert.match(rm.stdout, new RegExp(`^${fault.id}: resumed \\(seen: [1-9]\\d* running, 0 gone\\)\\n$`));
      await waitFor(() => isRunning(pid), 2000, 'resumed');
      const json = JSON.parse((await runCli(['faults', 'ls', '--json', ...auth])).stdout);
      assert.equal(json[0].parts[0].fault.state, 'resumed');
      const missing = await runCli(['faults', 'rm', 'no-such-fault', ...auth]);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /ERIS_ERR_NOT_FOUND: no fault no-such-fault/);
    } finally {
      await client.faults.resume(fault.id).catch(() => undefined);
    }
  });

  it('short ids: runs show and faults show|rm take any unique prefix; an ambiguous one is a clear usage error', async () => {
    // SIGCONT faults touch nothing; enough of them that two share a first character (17 would force it).
    const ids: string[] = [];
    while (!ids.some((id, i) => ids.findIndex((o) => o[0] === id[0]) !== i)) {
      ids.push((await client.faults.create({ target: { processes: { cmdline: `--name m0 .*--tag ${cluster.tag}` } }, signal: 'SIGCONT' })).id);
    }
    const shared = ids.find((id, i) => ids.findIndex((o) => o[0] === id[0]) !== i)![0]!;
    const short = ids[0]!.slice(0, 8);
    const show = await runCli(['faults', 'show', short, ...auth]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`^${ids[0]}\\s+SIGCONT`, 'm'));
    const ambiguous = await runCli(['faults', 'show', shared, ...auth]);
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.stderr, new RegExp(`ERIS_ERR_AMBIGUOUS_ID: fault id ${shared} is ambiguous: \\d+ faults start with it .*give more characters`));
    const none = await runCli(['faults', 'rm', 'zzzz', ...auth]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /ERIS_ERR_NOT_FOUND: no fault zzzz/);
    assert.equal((await runCli(['faults', 'rm', short, ...auth])).code, 0);

    await cluster.healthy();
    const run = await client.runs.start({ spec: { apiVersion: 'eris.dev/v1alpha1', kind: 'Drill', metadata: { name: 'cli-short' }, spec: { targets: { m: { processes: { cmdline: `--tag ${cluster.tag}` }, count: 1 } }, steps: [{ sleep: '10ms' }] } } });
    await client.runs.wait(run.id);
    const runShow = await runCli(['runs', 'show', run.id.slice(0, 8), '--json', ...auth]);
    assert.equal(runShow.code, 0, runShow.stderr);
    assert.equal(JSON.parse(runShow.stdout).id, run.id);
    assert.equal(JSON.parse((await runCli(['runs', 'report', run.id.slice(0, 6), ...auth])).stdout).id, run.id);
  });

  it('drills push, ls, show, rm', async () => {
    const file = join(dir, 'stored.yaml');
    writeFileSync(file, sampleDrillYaml(cluster, { name: 'cli-stored' }));
    const push = await runCli(['drills', 'push', file, ...auth]);
    assert.equal(push.code, 0, push.stderr);
    assert.equal(push.stdout, 'stored drill cli-stored\n');
    assert.match((await runCli(['drills', 'ls', ...auth])).stdout, /^cli-stored\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);
    assert.equal((await runCli(['drills', 'show', 'cli-stored', ...auth])).stdout, readFileSync(file, 'utf8'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: eris.dev/v1alpha1\nkind: Drill\n');
    const refused = await runCli(['drills', 'push', bad, ...auth]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /bad\.yaml:1:1: metadata: /);
    const rm = await runCli(['drills', 'rm', 'cli-stored', ...auth]);
    assert.equal(rm.stdout, 'deleted drill cli-stored\n');
    assert.equal((await runCli(['drills', 'rm', 'cli-stored', ...auth])).code, 2);
  });

  it('runs ls, show, report (JSON and JUnit, to a file), abort, watch', async () => {
    await cluster.healthy();
    const drill = sampleDrillYaml(cluster, { name: 'cli-runs' });
    const run = await client.runs.start({ spec: (await import('yaml')).parse(drill) as Record<string, unknown> }, { seed: 'runs' });
    // watch follows a run already started, like `eris run` does.
    const watch = await runCli(['runs', 'watch', run.id, '--no-live', ...auth]);
    assert.equal(watch.code, 0, `${watch.stdout}\n${watch.stderr}`);
    assert.match(watch.stdout, /run [0-9a-f-]{36} passed in/);
    assert.match(watch.stdout, /TIME TO DETECT\s+TIME TO RECOVER/);

    const ls = await runCli(['runs', 'ls', '--drill', 'cli-runs', ...auth]);
    assert.match(ls.stdout, /^ID\s+DRILL\s+STATUS\s+STARTED\s+DURATION/m);
    assert.match(ls.stdout, new RegExp(`^${run.id}\\s+cli-runs\\s+passed\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s`, 'm'));
    const lsJson = JSON.parse((await runCli(['runs', 'ls', '--json', '--status', 'passed', '--limit', '5', ...auth])).stdout);
    assert.ok(lsJson.some((r: { id: string }) => r.id === run.id));
    assert.equal((await runCli(['runs', 'ls', '--limit', '0', ...auth])).code, 2);
    assert.equal((await runCli(['runs', 'ls', '--status', 'nope', ...auth])).code, 2);

    const show = await runCli(['runs', 'show', run.id, ...auth]);
    assert.match(show.stdout, /passed in .* \(drill cli-runs, seed runs\)/);
    assert.match(show.stdout, /member\s+SIGSTOP, SIGKILL\s+[\d.]+ m?s\s+[\d.]+ m?s/);
    assert.equal(JSON.parse((await runCli(['runs', 'show', run.id, '--json', ...auth])).stdout).result.status, 'passed');

    const report = JSON.parse((await runCli(['runs', 'report', run.id, ...auth])).stdout);
    assert.equal(report.id, run.id);
    const junitFile = join(dir, 'junit.xml');
    const junit = await runCli(['runs', 'report', run.id, '--format', 'junit', '--file', junitFile, ...auth]);
    assert.equal(junit.code, 0, junit.stderr);
    assert.match(readFileSync(junitFile, 'utf8'), /<testsuite name="cli-runs"/);

    const notRunning = await runCli(['runs', 'abort', run.id, ...auth]);
    assert.equal(notRunning.code, 2);
    assert.match(notRunning.stderr, /ERIS_ERR_CONFLICT: run .* is not running \(passed\)/);

    const long = await client.runs.start({
      spec: {
        apiVersion: 'eris.dev/v1alpha1',
        kind: 'Drill',
        metadata: { name: 'cli-abort' },
        spec: { targets: { m: { processes: { cmdline: `--name m2 .*--tag ${cluster.tag}` } } }, steps: [{ signal: 'SIGSTOP', target: 'm', lease: '60s' }, { sleep: '60s' }] },
      },
    });
    await waitFor(() => stoppedMembers(cluster).length === 1, 5000, 'member frozen');
    const abort = await runCli(['runs', 'abort', long.id, ...auth]);
    assert.equal(abort.stdout, `run ${long.id}: aborting\n`);
    assert.equal((await client.runs.wait(long.id)).status, 'aborted');
    assert.deepEqual(stoppedMembers(cluster), []);
  });

  it('finds the coordinator and token from flags, env, token files and contexts', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `# the lab\ncli:${cluster.token}\n`);
    // Flags before the subcommand, env vars, a token file.
    assert.equal((await runCli(['--coordinator', cluster.url, '--token-file', tokenFile, 'agents', '--json'])).code, 0);
    assert.equal((await runCli(['agents', '--json'], { env: { ERIS_COORDINATOR: cluster.url, ERIS_TOKEN_FILE: tokenFile } })).code, 0);
    assert.equal((await runCli(['agents', '--json'], { env: { ERIS_COORDINATOR: cluster.url, ERIS_TOKEN: cluster.token } })).code, 0);
    // A flag wins over the environment.
    const wrong = await runCli(['agents', '--token', 'wrong'], { env: { ERIS_COORDINATOR: cluster.url, ERIS_TOKEN: cluster.token } });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /ERIS_ERR_UNAUTHORIZED/);
    const both = await runCli(['agents', '--token', 'a', '--token-file', tokenFile]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give one of --token and --token-file/);
    const missingFile = await runCli(['agents', '--token-file', join(dir, 'nope')]);
    assert.equal(missingFile.code, 2);
    assert.match(missingFile.stderr, /token file .*nope/);
    const badUrl = await runCli(['agents', '--coordinator', 'ftp://x']);
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /--coordinator: not an http\(s\) URL/);

    // Contexts.
    const config = join(dir, 'contexts.yaml');
    const env = { ERIS_CONFIG: config };
    assert.match((await runCli(['context', 'ls'], { env })).stdout, /no contexts/);
    assert.equal((await runCli(['context', 'add', 'lab', '--coordinator', cluster.url, '--token-file', tokenFile], { env })).code, 0);
    // --url is kept as an alias; neither given is a usage error naming the flag.
    const noUrl = await runCli(['context', 'add', 'x'], { env });
    assert.equal(noUrl.code, 2);
    assert.match(noUrl.stderr, /--coordinator: required/);
    assert.equal((await runCli(['context', 'add', 'elsewhere', '--url', 'http://127.0.0.1:9'], { env })).code, 0);
    const ls = await runCli(['context', 'ls'], { env });
    assert.match(ls.stdout, new RegExp(`^\\*\\s+lab\\s+${cluster.url.replace(/[.]/g, '\\.')}\\s+tokenFile`, 'm'), 'the first context becomes current');
    assert.match(ls.stdout, /^\s+elsewhere\s+http:\/\/127\.0\.0\.1:9\s+-/m);
    assert.equal((await runCli(['agents', '--json'], { env })).code, 0, 'the current context is used');
    assert.equal((await runCli(['--context', 'elsewhere', 'agents'], { env })).code, 2);
    assert.equal((await runCli(['agents'], { env: { ...env, ERIS_CONTEXT: 'elsewhere' } })).code, 2);
    const current = await runCli(['--context', 'elsewhere', 'context', 'current'], { env });
    assert.equal(current.stdout, 'http://127.0.0.1:9 (from context elsewhere, no token)\n');
    assert.equal((await runCli(['context', 'use', 'elsewhere'], { env })).stdout, 'current context: elsewhere\n');
    assert.match(readFileSync(config, 'utf8'), /^current: elsewhere$/m);
    // The environment names a coordinator: it wins over the current context, not over an explicit --context.
    assert.equal((await runCli(['agents', '--json'], { env: { ...env, ERIS_COORDINATOR: cluster.url, ERIS_TOKEN: cluster.token } })).code, 0);
    const unknown = await runCli(['--context', 'nope', 'agents'], { env });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no context "nope" .*\(contexts: lab, elsewhere\)/);
    assert.equal((await runCli(['context', 'use', 'nope'], { env })).code, 2);
    assert.equal((await runCli(['context', 'rm', 'elsewhere'], { env })).code, 0);
    assert.doesNotMatch(readFileSync(config, 'utf8'), /elsewhere/);
  });

  it('runs watch on a run that has already ended replays it and exits with its result', async () => {
    const runs = await client.runs.list({ status: 'aborted', limit: 1 });
    const r = await runCli(['runs', 'watch', runs[0]!.id, ...auth]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /run [0-9a-f-]{36} aborted in/);
    // Nothing was left waiting.
    const child = spawnCli(['runs', 'watch', runs[0]!.id, '--json', ...auth]);
    const done = collect(child, 10_000);
    child.stdin!.end();
    const j = await done;
    assert.equal(JSON.parse(j.stdout).status, 'aborted');
  });
});
