// `eris demo`, the README's first command: the real binary runs the node-failure drill on this machine and cleans
// up after itself (no member left running, none left stopped).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { ERIS_BIN } from './harness/agent-process.js';
import { testbedSkipReason } from './harness/requirements.js';

function runDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ERIS_BIN, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Processes whose command line carries a demo tag (the demo's members); only ever read, never signalled here. */
function demoProcesses(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (/eris-demo-[0-9a-f]{8}/.test(cmdline)) out.push(`${pid} ${cmdline}`);
    } catch {
      // gone
    }
  }
  return out;
}

describe('eris demo', () => {
  it('runs the drill on the sample cluster, reports detect and recover times, leaves nothing behind', async () => {
    const before = demoProcesses();
    const { code, stdout, stderr } = await runDemo([]);
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.match(stdout, /run [0-9a-f-]+ passed/);
    assert.match(stdout, /TIME TO DETECT/);
    assert.match(stdout, /TIME TO RECOVER/);
    assert.match(stdout, /SIGSTOP, SIGKILL/);
    assert.deepEqual(demoProcesses().filter((p) => !before.includes(p)), []);
  });

  it('--etcd runs it against a real 3-member etcd', { skip: testbedSkipReason({ tools: ['etcd'], root: false }) }, async () => {
    const { code, stdout, stderr } = await runDemo(['--etcd', '--json']);
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    const report = JSON.parse(stdout) as { status: string; drill: string; timeline: Array<{ timeToDetectMs: number; timeToRecoverMs: number }> };
    assert.equal(report.status, 'passed');
    assert.equal(report.drill, 'demo-etcd-node-failure');
    assert.ok(report.timeline[0]!.timeToRecoverMs > 0);
    assert.deepEqual(demoProcesses(), []);
  });
});
