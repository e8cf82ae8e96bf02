// A SIGSTOP that reaches a process in D (uninterruptible sleep) is only taken when the process wakes, after the
// fault's verification gave up: the fault fails, and what it sent must be undone, or the process stops later with
// nothing holding it (no lease, nothing in the journal). The D state comes from the kernel's v1 freezer: the test
// freezes a cgroup of its own with its own `sleep` in it.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig } from '../daemon/config.js';
import { startAgent, type Agent } from '../daemon/agent.js';
import { silentLogger } from '../lib/logger.js';
import { procState, waitFor } from './harness/processes.js';

const FREEZER = '/sys/fs/cgroup/freezer';

describe('a SIGSTOP fault that saw nothing stop undoes what it sent', { skip: existsSync(`${FREEZER}/cgroup.procs`) && process.getuid?.() === 0 ? undefined : 'needs root and the v1 freezer' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'eris-unverified-'));
  const cgroup = `${FREEZER}/eris-test-unverified-${process.pid}`;
  let agent: Agent | undefined;
  let victim: ChildProcess | undefined;
  after(async () => {
    await agent?.close();
    try {
      writeFileSync(`${cgroup}/freezer.state`, 'THAWED');
    } catch {
      // not created
    }
    victim?.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    try {
      rmdirSync(cgroup);
    } catch {
      // not created
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('a process in D takes the SIGSTOP after the fault failed: the fault sent SIGCONT too, so it runs once it wakes', async () => {
    mkdirSync(cgroup);
    victim = spawn('sleep', ['1000'], { stdio: 'ignore' });
    writeFileSync(`${cgroup}/cgroup.procs`, String(victim.pid));
    writeFileSync(`${cgroup}/freezer.state`, 'FROZEN');
    await waitFor(() => procState(victim!.pid!) === 'D', 2000, 'the victim in D');
    agent = await startAgent(loadAgentConfig({ listen: '127.0.0.1:0', token: 'sigstop-unverified-token', stateDir: dir, noCri: true, hostProcesses: true }, {}), { logger: silentLogger() });
    const fault = await agent.faults.create({ signal: 'SIGSTOP', target: { pids: [victim.pid!] }, scope: 'init', method: 'signal', leaseSeconds: 60, override: [] }, 'test');
    assert.equal(fault.result, 'failed', 'not seen stopped within the verification');
    assert.equal(fault.state, 'failed');
    assert.deepEqual(fault.targets[0]!.processes[0]!.resume, { ok: true });
    writeFileSync(`${cgroup}/freezer.state`, 'THAWED');
    await waitFor(() => procState(victim!.pid!) === 'S', 2000, 'the victim awake');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(procState(victim.pid!), 'S', 'running, not stopped with nothing holding it');
  });
});
