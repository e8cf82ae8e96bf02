// `eris run` as a subprocess against a real coordinator + host-mode agent + sample cluster: dry run, a full run
// with its summary and JUnit file, failures and their exit codes, the live view on a terminal, and Ctrl-C.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunReport } from '../sdk/index.js';
import { freePort } from './harness/ports.js';
import { waitFor } from './harness/processes.js';
import { BIN, assertBuilt, cleanEnv, collect, runCli, sampleDrillYaml, spawnCli, startSampleCluster, stoppedMembers, type SampleCluster } from './cli-harness.js';

describe('eris run', () => {
  let cluster: SampleCluster;
  let dir: string;
  let drill: string;
  const auth = () => ['--coordinator', cluster.url, '--token', cluster.token];
  const api = async (path: string) => (await fetch(`${cluster.url}${path}`, { headers: { authorization: `Bearer ${cluster.token}` } })).json() as Promise<any>;

  before(async () => {
    assertBuilt();
    cluster = await startSampleCluster('cli-run');
    dir = mkdtempSync(join(tmpdir(), 'eris-cli-run-'));
    drill = join(dir, 'sample.yaml');
    writeFileSync(drill, sampleDrillYaml(cluster));
  });
  after(async () => {
    await cluster?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--dry-run prints which process each group would hit and touches nothing', async () => {
    const r = await runCli(['run', drill, '--dry-run', ...auth()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dry run of drill sample-node-failure: nothing was touched/);
    // The seed is printed, and giving it back repeats the picks exactly.
    const seed = /^seed (\S+): the same picks again with --seed \1$/m.exec(r.stdout)?.[1];
    assert.ok(seed, r.stdout);
    const again = await runCli(['run', drill, '--dry-run', '--seed', seed!, ...auth()]);
    assert.equal(again.stdout, r.stdout);
    assert.match(r.stdout, /GROUP\s+PICKS\s+CLUSTER\/NODE\s+ZONE\s+CONTAINER \/ PROCESS/);
    assert.match(r.stdout, /^member\s+1 of 3\s+lab\/node-1\s+z1\s+pid \d+ .*--tag/m);
    assert.match(r.stdout, /^all\s+3 of 3\s+lab\/node-1/m);
    const pids = [...r.stdout.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    assert.equal(pids.length, 4);
    for (const pid of pids) assert.ok(cluster.pids().includes(pid), `pid ${pid} is a member`);
    assert.deepEqual(stoppedMembers(cluster), []);
    assert.equal((await api('/v1/runs')).runs.length, 0, 'no run recorded');

    const json = await runCli(['run', drill, '--dry-run', '--json', ...auth()]);
    assert.equal(json.code, 0, json.stderr);
    const preview = JSON.parse(json.stdout);
    assert.equal(preview.dryRun, true);
    assert.equal(preview.groups.member.picked.length, 1);
    assert.equal(preview.groups.all.matched, 3);
  });

  it('runs the drill: progress, summary with time to detect and to recover, JUnit, exit 0', async () => {
    await cluster.healthy();
    const junit = join(dir, 'report.xml');
    const r = await runCli(['run', drill, '--seed', 'cli', '--junit', junit, ...auth()]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    // Plain lines (stdout is a pipe): each step, the pick, the faults, the detect and recover marks.
    assert.match(r.stdout, /run [0-9a-f-]{36} started \(drill sample-node-failure\)/);
    assert.match(r.stdout, /\[\d\d:\d\d\.\d\] ✔ freeze one member passed/);
    // Targets named as users know them: a host process by its labels (its --name), with its pid and node.
    assert.match(r.stdout, /member: picked 1 of 3 \(seed cli\/member\): name=m\d \(pid \d+\) on node-1/);
    assert.match(r.stdout, /SIGSTOP ok on name=m\d \(pid \d+\) on node-1/);
    assert.match(r.stdout, /SIGKILL ok on name=m\d \(pid \d+\) on node-1/);
    assert.match(r.stdout, /probe health name=m\d \(pid \d+\) on node-1: fail/);
    assert.doesNotMatch(r.stdout, /pid-\d+|lab\/node-1 pid/);
    assert.match(r.stdout, /detected after [\d.]+ (ms|s)/);
    assert.match(r.stdout, /recovered after [\d.]+ (ms|s) \(outage/);
    // The summary.
    assert.match(r.stdout, /run [0-9a-f-]{36} passed in [\d.]+ s \(drill sample-node-failure, seed cli\)/);
    assert.match(r.stdout, /TARGET\s+GROUP\s+INJECTED\s+TIME TO DETECT\s+TIME TO RECOVER\s+OUTAGE/);
    const row = /name=m\d \(pid \d+\) on node-1\s+member\s+SIGSTOP, SIGKILL\s+([\d.]+ m?s)\s+([\d.]+ m?s)/.exec(r.stdout);
    assert.ok(row, r.stdout);
    // Said once (the summary), and no "ended before the run did" line for the SIGKILL step's fault.
    assert.equal(r.stdout.match(/resumed 1 fault/g)?.length, 1, r.stdout);
    assert.doesNotMatch(r.stdout, /ended before the run did/);
    const xml = readFileSync(junit, 'utf8');
    assert.match(xml, /<testsuite name="sample-node-failure"/);
    assert.match(xml, /failures="0"/);
    assert.match(xml, /time to recover [\d.]+ ms/);
    assert.deepEqual(stoppedMembers(cluster), []);
  });

  it('--json prints the report for scripts (progress on stderr)', async () => {
    await cluster.healthy();
    const r = await runCli(['run', drill, '--json', ...auth()]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as RunReport;
    assert.equal(report.status, 'passed');
    assert.equal(report.timeline.length, 1);
    assert.ok(report.timeline[0]!.timeToDetectMs! >= 0);
    assert.ok(report.timeline[0]!.timeToRecoverMs! > 0);
    // The target's labels and place as fields; killed and restarted by its supervisor, it is reported under the pid
    // it has now (the one it was picked with kept in earlierPids).
    const target = report.timeline[0]!.target;
    const name = target.labels?.name;
    assert.match(name ?? '', /^m\d$/);
    assert.equal(target.labels?.tag, cluster.tag);
    assert.deepEqual([target.kind, target.cluster, target.node], ['process', 'lab', 'node-1']);
    assert.equal(target.pid, cluster.members.get(name!)!.child.pid, 'the current pid');
    assert.equal(target.earlierPids?.length, 1);
    assert.notEqual(target.earlierPids![0], target.pid);
    assert.equal(target.name, `name=${name} (pid ${target.pid}) on node-1`);
    assert.match(r.stderr, /started \(drill sample-node-failure\)/);
  });

  it('a failed drill exits 1 and says which step failed', async () => {
    await cluster.healthy();
    const failing = join(dir, 'failing.yaml');
    // The frozen member is expected to stay healthy: it cannot.
    writeFileSync(
      failing,
      sampleDrillYaml(cluster, { name: 'cli-fails' })
        .replace(/until: fail\n      timeout: 10s/, 'until: pass\n      consecutive: 3\n      timeout: 1s'),
    );
    const r = await runCli(['run', failing, '--no-live', ...auth()]);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /✘ its probe fails failed/);
    assert.match(r.stdout, /run [0-9a-f-]{36} failed in/);
    assert.match(r.stdout, /ERIS_ERR_STEP_FAILED: steps\[2\]: probe health did not pass/);
    await waitFor(() => stoppedMembers(cluster).length === 0, 2000, 'resumed after the failed run');
  });

  it('an invalid file exits 1 before anything is sent', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, sampleDrillYaml(cluster, { name: 'bad' }).replace('count: 1', 'count: 0'));
    const before = (await api('/v1/runs')).runs.length;
    const r = await runCli(['run', bad, ...auth()]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:11:14: spec\\.targets\\.member\\.count: must be at least 1`));
    assert.equal((await api('/v1/runs')).runs.length, before);
  });

  it('usage and connection errors exit 2', async () => {
    const port = await freePort();
    const refused = await runCli(['run', drill, '--coordinator', `http://127.0.0.1:${port}`]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, new RegExp(`ERIS_ERR_UNAVAILABLE: cannot reach the coordinator at http://127\\.0\\.0\\.1:${port}`));
    const noToken = await runCli(['run', drill, '--dry-run', '--coordinator', cluster.url]);
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /ERIS_ERR_UNAUTHORIZED/);
    assert.match(noToken.stderr, /--token-file/);
    const missing = await runCli(['run', join(dir, 'missing.yaml'), ...auth()]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*missing\.yaml: no such file/);
    const unknownFlag = await runCli(['run', drill, '--bogus']);
    assert.equal(unknownFlag.code, 2);
    assert.match(unknownFlag.stderr, /unknown option '--bogus'/);
  });

  // Ctrl-C, a CI job's timeout (SIGTERM) and a closed terminal (SIGHUP) must all abort: anything else leaves the
  // members frozen until the drill's own later step.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) it(`${signal} aborts the run, waits until everything is resumed, prints the summary and exits 1`, async () => {
    await cluster.healthy();
    const long = join(dir, 'long.yaml');
    writeFileSync(
      long,
      `apiVersion: eris.dev/v1alpha1
kind: Drill
metadata:
  name: cli-interrupted-${signal.toLowerCase()}
spec:
  targets:
    members:
      processes:
        cmdline: --tag ${cluster.tag}
      count: 2
  steps:
    - name: freeze two members
      signal: SIGSTOP
      target: members
      lease: 120s
    - name: stay frozen
      sleep: 120s
`,
    );
    const child = spawnCli(['run', long, ...auth()]);
    const result = collect(child, 30_000);
    child.stdin!.end();
    try {
      await waitFor(() => /SIGSTOP ok on/.test(result.output().stdout), 15_000, 'the members to be frozen');
      assert.equal(stoppedMembers(cluster).length, 2, 'two members frozen');
      child.kill(signal);
      const r = await result;
      assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /aborting run [0-9a-f-]{36}/);
      // One agent, one fault for both processes.
      assert.match(r.stdout, /resumed 1 fault\n/);
      assert.match(r.stdout, /run [0-9a-f-]{36} aborted in/);
      const id = /run ([0-9a-f-]{36}) started/.exec(r.stdout)![1]!;
      const run = await api(`/v1/runs/${id}`);
      assert.equal(run.status, 'aborted');
      assert.equal(run.result.resumed.faults, 1);
      assert.deepEqual(run.result.timeline.map((t: any) => t.injected[0].signal), ['SIGSTOP', 'SIGSTOP']);
      assert.deepEqual(stoppedMembers(cluster), [], 'no member left in state T');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await result;
    }
  });

  it('on a terminal, shows a live view redrawn in place, then the summary', async () => {
    await cluster.healthy();
    // util-linux `script` gives the CLI a pseudo-terminal; -e returns its exit code.
    const env = cleanEnv({ COLUMNS: '120', TERM: 'xterm' });
    const command = [process.execPath, BIN, 'run', drill, ...auth()].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const r = await collect(child, 60_000);
    assert.equal(r.code, 0, r.stdout);
    assert.ok(r.stdout.includes('\x1b[?25l'), 'hides the cursor while drawing');
    assert.match(r.stdout, /\r\x1b\[\d+A\x1b\[0J/, 'redraws in place');
    assert.ok(r.stdout.includes('\x1b[?25h'), 'shows the cursor again');
    assert.match(r.stdout, /drill sample-node-failure\s+run [0-9a-f]{8}\s+seed \S+\s+\d\d:\d\d\.\d/);
    assert.match(r.stdout, /targets\r?\n\s+member\s+name=m\d \(pid \d+\) on node-1/);
    assert.match(r.stdout, /probes\r?\n\s+health/);
    assert.match(r.stdout, /TIME TO DETECT\s+TIME TO RECOVER/);
    assert.match(r.stdout, /passed in/);
  });

  it('on a terminal, cuts table lines to its width with "…"; piped, prints them whole', async () => {
    const env = cleanEnv({ COLUMNS: '60', TERM: 'xterm' });
    const command = [process.execPath, BIN, 'run', drill, '--dry-run', ...auth()].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const r = await collect(spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] }), 30_000);
    assert.equal(r.code, 0, r.stdout);
    const rows = r.stdout.split(/\r?\n/).filter((l) => /lab\/node-1\s+z1\s+pid/.test(l));
    assert.equal(rows.length, 4, r.stdout);
    for (const row of rows) {
      assert.ok(row.length <= 60, `${JSON.stringify(row)} fits 60 columns`);
      assert.ok(row.endsWith('…'), `${JSON.stringify(row)} is cut with …`);
    }
    const piped = await runCli(['run', drill, '--dry-run', ...auth()], { env: { COLUMNS: '60' } });
    const whole = piped.stdout.split('\n').filter((l) => /lab\/node-1\s+z1\s+pid/.test(l));
    assert.equal(whole.length, 4);
    for (const row of whole) assert.match(row, /--tag \S+$/, 'piped output keeps the whole command line');
  });
});
