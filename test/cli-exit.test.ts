// The exit-code table (cli/exit.ts): the same text in `eris --help` and the README, and the real binary exiting
// with each code for each case the table names, against a coordinator + host-mode agent + sample members.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErisClient } from '../sdk/index.js';
import { EXIT, exitTableText } from '../cli/exit.js';
import { freePort } from './harness/ports.js';
import { waitFor } from './harness/processes.js';
import { ROOT, assertBuilt, collect, memberDrillYaml, runCli, spawnCli, startSampleCluster, stoppedMembers, type SampleCluster } from './cli-harness.js';

describe('eris exit codes', () => {
  let cluster: SampleCluster;
  let dir: string;
  let auth: string[];
  const drill = (name: string, steps: string, cmdline = `--tag ${cluster.tag}`) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, memberDrillYaml({ name, cmdline, steps }));
    return file;
  };

  before(async () => {
    assertBuilt();
    cluster = await startSampleCluster('cli-exit');
    dir = mkdtempSync(join(tmpdir(), 'eris-cli-exit-'));
    auth = ['--coordinator', cluster.url, '--token', cluster.token];
  });
  after(async () => {
    await cluster?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the table is defined once: --help, run --help and the README print the same text', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, EXIT.ok);
    assert.ok(help.stdout.includes(exitTableText()), help.stdout);
    assert.ok((await runCli(['run', '--help'])).stdout.includes(exitTableText()));
    assert.ok(readFileSync(join(ROOT, 'README.md'), 'utf8').includes(exitTableText()), 'README.md holds the table');
  });

  it('0: a run passed; --version', async () => {
    assert.equal((await runCli(['--version'])).code, EXIT.ok);
    await cluster.healthy();
    const r = await runCli(['run', drill('exit-passes', '    - probe: health\n      target: member\n'), ...auth]);
    assert.equal(r.code, EXIT.ok, `${r.stdout}\n${r.stderr}`);
  });

  it('1: a failed run, an invalid file, a drill the coordinator refuses (422), a selection that matches nothing, a run aborted by SIGTERM', async () => {
    await cluster.healthy();
    const fails = await runCli(['run', drill('exit-fails', '    - signal: SIGSTOP\n      target: member\n      lease: 30s\n    - wait: health\n      target: member\n      until: pass\n      consecutive: 3\n      timeout: 1s\n'), ...auth]);
    assert.equal(fails.code, EXIT.failed, `${fails.stdout}\n${fails.stderr}`);
    await waitFor(() => stoppedMembers(cluster).length === 0, 5000, 'resumed after the failed run');

    const invalid = join(dir, 'invalid.yaml');
    writeFileSync(invalid, 'apiVersion: eris.dev/v1alpha1\nkind: Drill\n');
    assert.equal((await runCli(['validate', invalid])).code, EXIT.failed);
    assert.equal((await runCli(['run', invalid, ...auth])).code, EXIT.failed);

    // Valid to `eris validate`, refused by the coordinator's probe policy (422): invalid for this coordinator → 1.
    const refusedFile = drill('exit-refused', '    - probe: health\n      target: member\n');
    writeFileSync(refusedFile, readFileSync(refusedFile, 'utf8').replace(/url: .*/, 'url: http://169.254.169.254/health'));
    const refused = await runCli(['run', refusedFile, ...auth]);
    assert.equal(refused.code, EXIT.failed, `${refused.stdout}\n${refused.stderr}`);
    assert.match(refused.stderr, /ERIS_ERR_PROBE_POLICY/);

    const nothing = await runCli(['run', drill('exit-nothing', '    - probe: health\n      target: member\n', '--tag no-such-member-anywhere'), ...auth]);
    assert.equal(nothing.code, EXIT.failed, `${nothing.stdout}\n${nothing.stderr}`);
    assert.match(nothing.stdout + nothing.stderr, /ERIS_ERR_NO_TARGETS/);

    const child = spawnCli(['run', drill('exit-aborted', '    - signal: SIGSTOP\n      target: member\n      lease: 60s\n    - sleep: 60s\n'), ...auth]);
    const result = collect(child, 30_000);
    child.stdin!.end();
    await waitFor(() => /SIGSTOP ok on/.test(result.output().stdout), 15_000, 'the member to be frozen');
    child.kill('SIGTERM');
    const aborted = await result;
    assert.equal(aborted.code, EXIT.failed, `${aborted.stdout}\n${aborted.stderr}`);
    assert.equal(aborted.signal, null, 'eris handled the signal and exited on its own');
    assert.deepEqual(stoppedMembers(cluster), []);
  });

  it('2: a bad flag, a missing file, no coordinator, a refused token, an unknown id', async () => {
    assert.equal((await runCli(['runs', 'ls', '--bogus'])).code, EXIT.usage);
    assert.equal((await runCli(['validate', join(dir, 'missing.yaml')])).code, EXIT.usage);
    assert.equal((await runCli(['agents', '--coordinator', `http://127.0.0.1:${await freePort()}`])).code, EXIT.usage);
    assert.equal((await runCli(['agents', '--coordinator', cluster.url, '--token', 'wrong-token'])).code, EXIT.usage);
    assert.equal((await runCli(['runs', 'show', 'ffffffff', ...auth])).code, EXIT.usage);
  });

  it('3: the report of a run that is still running', async () => {
    const client = new ErisClient({ baseUrl: cluster.url, token: cluster.token });
    const run = await client.runs.start({ spec: { apiVersion: 'eris.dev/v1alpha1', kind: 'Drill', metadata: { name: 'exit-running' }, spec: { targets: { m: { processes: { cmdline: `--tag ${cluster.tag}` }, count: 1 } }, steps: [{ sleep: '30s' }] } } });
    try {
      const r = await runCli(['runs', 'report', run.id, ...auth]);
      assert.equal(r.code, EXIT.notFinished, r.stderr);
      assert.match(r.stderr, /has no report yet/);
    } finally {
      await client.runs.abort(run.id);
      await client.runs.wait(run.id);
    }
  });
});
