// `eris freeze|kill|resume` (immediate faults from selector flags) and `eris run NAME` (a stored drill), through the
// real binary against a coordinator + host-mode agent + sample members; process states read from /proc.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRunning, procState, waitFor } from './harness/processes.js';
import { assertBuilt, collect, runCli, sampleDrillYaml, spawnCli, startSampleCluster, stoppedMembers, type SampleCluster } from './cli-harness.js';

describe('eris freeze, kill, resume; eris run NAME', () => {
  let cluster: SampleCluster;
  let dir: string;
  let auth: string[];
  // `[-]` so that the regex does not match the eris command line that carries it (eris never signals itself).
  const m0 = () => ['--cmdline', `[-]-name m0 .*--tag ${cluster.tag}`];
  const pidOf = (name: string) => cluster.members.get(name)!.child.pid!;

  before(async () => {
    assertBuilt();
    cluster = await startSampleCluster('cli-faults');
    dir = mkdtempSync(join(tmpdir(), 'eris-cli-faults-'));
    auth = ['--coordinator', cluster.url, '--token', cluster.token];
  });
  after(async () => {
    await cluster?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('freeze stops the selected process with a lease; faults rm SHORT-ID resumes it', async () => {
    const r = await runCli(['freeze', ...m0(), '--lease', '30s', ...auth]);
    assert.equal(r.code, 0, r.stderr);
    const id = /^fault ([0-9a-f]{8}): SIGSTOP on 1 target/m.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    assert.match(r.stdout, new RegExp(`resume it: eris faults rm ${id}`));
    assert.equal(procState(pidOf('m0')), 'T');
    const rm = await runCli(['faults', 'rm', id!, ...auth]);
    assert.equal(rm.code, 0, rm.stderr);
    await waitFor(() => isRunning(pidOf('m0')), 2000, 'm0 resumed');
  });

  it('resume ends faults by id prefix or --all', async () => {
    const r1 = await runCli(['freeze', ...m0(), '--lease', '30s', ...auth]);
    assert.equal(r1.code, 0, r1.stdout);
    assert.equal(procState(pidOf('m0')), 'T');
    const id = /^fault ([0-9a-f]{8})/m.exec(r1.stdout)![1]!;
    const r = await runCli(['resume', id.slice(0, 6), ...auth]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^fault ${id}: resumed \\(seen: [1-9]\\d* running`, 'm'));
    await waitFor(() => isRunning(pidOf('m0')), 2000, 'm0 continued');
    assert.equal((await runCli(['freeze', ...m0(), '--lease', '30s', ...auth])).code, 0);
    const all = await runCli(['resume', '--all', ...auth]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /resumed/);
    await waitFor(() => isRunning(pidOf('m0')), 2000, 'm0 continued');
    assert.equal((await runCli(['resume', '--all', ...auth])).stdout, 'no active faults, no running runs\n');
    assert.equal((await runCli(['resume', ...auth])).code, 2);
  });

  for (const signal of ['SIGTERM', 'SIGHUP'] as const) it(`freeze --wait holds until ${signal}, then resumes and exits 0`, async () => {
    const child = spawnCli(['freeze', ...m0(), '--lease', '60s', '--wait', ...auth]);
    const result = collect(child, 20_000);
    child.stdin!.end();
    try {
      await waitFor(() => /holding it until/.test(result.output().stdout), 10_000, 'the freeze');
      assert.equal(procState(pidOf('m0')), 'T');
      child.kill(signal);
      const r = await result;
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /: resumed \(seen: [1-9]\d* running/);
      assert.ok(isRunning(pidOf('m0')), 'm0 running (/proc)');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await result;
    }
  });

  it('freeze --wait resumes by itself when the lease ends', async () => {
    const r = await runCli(['freeze', ...m0(), '--lease', '1s', '--wait', ...auth], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.ok(isRunning(pidOf('m0')));
  });

  it('kill --count 1 kills one member (the supervisor restarts it)', async () => {
    await cluster.healthy();
    const before = cluster.pids();
    const r = await runCli(['kill', '--cmdline', `[-]-tag ${cluster.tag}`, '--count', '1', ...auth]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /SIGKILL on 1 target/);
    await waitFor(() => cluster.pids().filter((p) => !before.includes(p)).length === 1, 10_000, 'one member restarted');
    await cluster.healthy();
  });

  it('usage errors name the flag (exit 2)', async () => {
    const none = await runCli(['freeze', ...auth]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /give a selector: --cmdline/);
    const both = await runCli(['freeze', '--cmdline', 'x', '--pod', 'y', ...auth]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--cmdline: host processes have no namespace, pod/);
    const lease = await runCli(['freeze', ...m0(), '--lease', 'soon', ...auth]);
    assert.equal(lease.code, 2);
    assert.match(lease.stderr, /lease/);
    // Above the agents' default --lease-max: refused by the coordinator naming the request's `lease` (as a drill's
    // validator does), before any agent is asked; nothing is frozen.
    const long = await runCli(['freeze', ...m0(), '--lease', '2h', ...auth]);
    assert.equal(long.code, 2, long.stdout);
    assert.match(long.stderr, /ERIS_ERR_VALIDATION.*lease: must be at most 15m/);
    assert.doesNotMatch(long.stderr, /leaseSeconds/);
    assert.deepEqual(stoppedMembers(cluster), []);
    // A selector whose only match is eris itself (this CLI) matches nothing: eris is never a host target.
    const self = await runCli(['freeze', '--cmdline', 'freeze --cmdline', ...auth]);
    assert.notEqual(self.code, 0, self.stdout);
    assert.match(`${self.stdout}${self.stderr}`, /no targets? match/i);
    assert.deepEqual(stoppedMembers(cluster), []);
  });

  it('run NAME starts a drill stored with drills push', async () => {
    await cluster.healthy();
    const file = join(dir, 'stored.yaml');
    writeFileSync(file, sampleDrillYaml(cluster, { name: 'cli-stored-run' }));
    assert.equal((await runCli(['drills', 'push', file, ...auth])).code, 0);
    const dry = await runCli(['run', 'cli-stored-run', '--dry-run', ...auth]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /dry run of drill cli-stored-run/);
    const r = await runCli(['run', 'cli-stored-run', ...auth], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /run [0-9a-f-]{36} passed in/);
    const missing = await runCli(['run', 'no-such-drill', ...auth]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /ERIS_ERR_NOT_FOUND/);
  });
});
