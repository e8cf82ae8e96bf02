// The real `eris agent` binary: SIGKILLed while it holds a process stopped, restarted, it resumes it from its journal;
// SIGTERM resumes everything before exit.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentProcess } from './harness/agent-process.js';
import { isRunning, procState, spawnTree, waitFor, killTree } from './harness/processes.js';

const TOKEN = 'journal-test-token';

describe('eris agent binary: journal and shutdown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eris-journal-'));
  const trees: number[] = [];
  after(() => {
    for (const pid of trees) killTree(pid);
    rmSync(dir, { recursive: true, force: true });
  });
  const args = ['--state-dir', dir, '--no-cri', '--host-processes', '--lease-default', '300'];

  it('resumes, after a SIGKILL and restart, what the earlier run left stopped', async () => {
    const tree = await spawnTree(2);
    trees.push(tree.pid);
    const first = await startAgentProcess(args, TOKEN);
    const placed = await first.api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [tree.pid] } });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    for (const pid of tree.pids()) assert.equal(procState(pid), 'T');
    assert.match(readFileSync(join(dir, 'journal.jsonl'), 'utf8'), new RegExp(`"faultId":"${placed.body.id}"`));

    await first.stop('SIGKILL');
    // The agent is gone and nothing resumed the tree: it stays stopped.
    await new Promise((r) => setTimeout(r, 200));
    for (const pid of tree.pids()) assert.equal(procState(pid), 'T');

    const second = await startAgentProcess(args, TOKEN);
    try {
      for (const pid of tree.pids()) assert.ok(isRunning(pid), `pid ${pid} resumed at start`);
      const fault = await second.api('GET', `/v1/faults/${placed.body.id}`);
      assert.equal(fault.body.resumeReason, 'recovered');
      const metrics = await (await fetch(`${second.url}/metrics`)).text();
      assert.match(metrics, /eris_journal_recoveries_total\{node="[^"]+"\} 3/);
      assert.equal(readFileSync(join(dir, 'journal.jsonl'), 'utf8'), '', 'journal compacted');
    } finally {
      await second.stop();
    }
  });

  it('leaves alone a journaled PID that now belongs to another process', async () => {
    // A stopped process from the journal exits and its PID is not reused: the recovery must not fail, and
    // a live process whose start time differs is never signalled (identity is PID + start time + cgroup).
    const tree = await spawnTree(1);
    trees.push(tree.pid);
    const first = await startAgentProcess(args, TOKEN);
    const placed = await first.api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [tree.pid] }, scope: 'init' });
    assert.equal(placed.status, 201);
    await first.stop('SIGKILL');
    killTree(tree.pid);
    await waitFor(() => procState(tree.pid) === null || procState(tree.pid) === 'Z', 3000, 'workload gone');
    const second = await startAgentProcess(args, TOKEN);
    try {
      const fault = await second.api('GET', `/v1/faults/${placed.body.id}`);
      assert.equal(fault.body.resumeReason, 'recovered');
      assert.equal(fault.body.targets[0].processes[0].ok, false);
    } finally {
      await second.stop();
    }
  });

  it('starts on a damaged journal, logs the damage and resumes the victims it can still read', async () => {
    // Two victims: one whose record is intact between damaged lines, one whose record is glued to a torn fragment.
    const a = await spawnTree(1);
    const b = await spawnTree(1);
    trees.push(a.pid, b.pid);
    const first = await startAgentProcess(args, TOKEN);
    const fa = await first.api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [a.pid] } });
    const fb = await first.api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [b.pid] } });
    assert.equal(fa.status, 201);
    assert.equal(fb.status, 201);
    await first.stop('SIGKILL');
    const journal = join(dir, 'journal.jsonl');
    const [recordA, recordB] = readFileSync(journal, 'utf8').split('\n').filter((l) => l.includes('"op":"stop"'));
    writeFileSync(
      journal,
      [
        'null',
        '{"op":"stop","faultId":"no-processes","at":1,"leaseExpiresAt":2}',
        '{"op":"stop","faultId":"not-array","at":1,"leaseExpiresAt":2,"processes":7}',
        '{"op":"stop","faultId":"null-entry","at":1,"leaseExpiresAt":2,"processes":[null]}',
        recordA,
        `{"op":"stop","faultId":"torn","processes":[{"pid":12${recordB}`,
        '',
      ].join('\n'),
    );
    for (const pid of [...a.pids(), ...b.pids()]) assert.equal(procState(pid), 'T');

    const second = await startAgentProcess(args, TOKEN);
    try {
      for (const pid of [...a.pids(), ...b.pids()]) assert.ok(isRunning(pid), `pid ${pid} resumed at start`);
      for (const id of [fa.body.id, fb.body.id]) assert.equal((await second.api('GET', `/v1/faults/${id}`)).body.resumeReason, 'recovered');
      const damage = second.logs.filter((l) => l.includes('journal: damaged line skipped'));
      assert.equal(damage.length, 5, damage.join('\n'));
      assert.equal(readFileSync(journal, 'utf8'), '', 'compacted once read');
    } finally {
      await second.stop();
    }
  });

  // SIGHUP too: a terminal closed under a foreground agent must not leave its faults held.
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) it(`resumes every active fault on ${signal} before it exits`, async () => {
    const tree = await spawnTree(2);
    trees.push(tree.pid);
    const agent = await startAgentProcess(args, TOKEN);
    const placed = await agent.api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [tree.pid] } });
    assert.equal(placed.status, 201);
    for (const pid of tree.pids()) assert.equal(procState(pid), 'T');
    const code = await agent.stop(signal);
    assert.equal(code, 0);
    for (const pid of tree.pids()) assert.ok(isRunning(pid), `pid ${pid} running again (/proc)`);
  });
});
