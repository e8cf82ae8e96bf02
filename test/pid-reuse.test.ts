// PID reuse on demand: the agent runs in a PID namespace of its own (`unshare --pid --fork --mount-proc`), where the
// test decides which pid the next process gets (`/proc/sys/kernel/ns_last_pid`, written from inside with nsenter).
// A drill picks a victim by its command line and stops it under a lease; while the fault is active and before the
// drill's next command (a SIGKILL for the group it picked) is sent, the victim dies and its pid is given to a new
// process, which the test stops itself. Neither the lease's SIGCONT (agent and watchdog), nor the in-flight SIGKILL,
// which names the pid the coordinator picked with its start time, may reach the new process.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCoordinatorProcess, startErisProcess, type ErisProcess } from './harness/agent-process.js';
import { freePort } from './harness/ports.js';
import { childrenOf, procState, waitFor } from './harness/processes.js';
import { testbedSkipReason } from './harness/requirements.js';

const TOKEN = 'pid-reuse-token';
/** The pid (inside the namespace) the victim gets, and then the process that reuses it. */
const NS_PID = 300;
const LEASE_MS = 2000;
const WATCHDOG_GRACE_S = 1;

/** The host pid of the process with pid `nsPid` in the PID namespace of `nsInit` (NSpid in /proc/PID/status). */
function hostPidOf(nsInit: number, nsPid: number): number | null {
  const ns = readlinkSync(`/proc/${nsInit}/ns/pid`);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) !== ns) continue;
      const line = readFileSync(`/proc/${name}/status`, 'utf8').split('\n').find((l) => l.startsWith('NSpid:'));
      const ids = line?.split(/\s+/).slice(1).map(Number) ?? [];
      if (ids[ids.length - 1] === nsPid) return Number(name);
    } catch {
      // exited meanwhile
    }
  }
  return null;
}

function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

describe('PID reuse while a fault is active and a command is in flight', { skip: testbedSkipReason(['unshare', 'nsenter']) }, () => {
  let dir: string;
  let port: number;
  let coordinator: ErisProcess;
  let agent: ErisProcess;
  let nsInit: number;
  const spawned: ChildProcess[] = [];

  /** Runs `sleep ARG` as pid NS_PID inside the namespace, under a shell that waits for it (and so reaps it). */
  const sleepAtNsPid = async (arg: string): Promise<number> => {
    const script = `echo ${NS_PID - 1} > /proc/sys/kernel/ns_last_pid; sleep ${arg} & wait`;
    const child = spawn('nsenter', ['-t', String(nsInit), '-p', '-m', 'sh', '-c', script], { stdio: 'ignore' });
    spawned.push(child);
    let host: number | null = null;
    await waitFor(() => (host = hostPidOf(nsInit, NS_PID)) !== null && readFileSync(`/proc/${host}/cmdline`, 'utf8') === `sleep\0${arg}\0`, 5000, `sleep ${arg} as pid ${NS_PID} in the namespace`);
    return host!;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-pid-reuse-'));
    port = await freePort();
    coordinator = await startCoordinatorProcess(['--listen', `127.0.0.1:${port}`, '--data-dir', join(dir, 'coordinator')], TOKEN);
    // The namespace's init is a shell waiting for the agent; --kill-child ends the namespace (all of it) with unshare.
    agent = await startErisProcess(
      ['agent', '--listen', '127.0.0.1:0', '--state-dir', join(dir, 'agent'), '--no-cri', '--host-processes', '--coordinator', `ws://127.0.0.1:${port}`, '--cluster', 'lab', '--node-name', 'ns1', '--coordinator-heartbeat', '0.25', '--watchdog-grace', String(WATCHDOG_GRACE_S)],
      { token: TOKEN, env: { ERIS_AGENT_TOKEN: TOKEN }, ready: 'eris-agent listening', prefix: ['unshare', '--pid', '--fork', '--kill-child', '--mount-proc', 'sh', '-c', '"$@"; :', 'ns-init'] },
    );
    nsInit = childrenOf(agent.child.pid!)[0]!;
    assert.ok(nsInit > 0, 'the namespace init');
    await waitFor(async () => (await coordinator.api('GET', '/v1/agents')).body.agents?.length === 1, 10000, 'agent registered');
  });

  after(async () => {
    for (const c of spawned) if (c.exitCode === null) c.kill('SIGKILL');
    // unshare's --kill-child takes the namespace's init, and with it every process in the namespace.
    await agent?.stop('SIGKILL');
    await coordinator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the lease never resumes, and the drill\'s next command never kills, the process that took the victim\'s pid', async () => {
    const victim = await sleepAtNsPid('1234567');
    const victimStart = startTimeOf(victim)!;
    const drill = {
      apiVersion: 'eris.dev/v1alpha1',
      kind: 'Drill',
      metadata: { name: 'pid-reuse' },
      spec: {
        targets: { victim: { processes: { cmdline: '^sleep 1234567$' } } },
        steps: [{ signal: 'SIGSTOP', target: 'victim', lease: `${LEASE_MS}ms` }, { sleep: `${LEASE_MS + WATCHDOG_GRACE_S * 1000 + 1000}ms` }, { signal: 'SIGKILL', target: 'victim' }],
      },
    };
    const run = await coordinator.api('POST', '/v1/runs', { spec: drill });
    const debugRun = async () => JSON.stringify({ faults: (await agent.api('GET', '/v1/faults')).body, run: (await coordinator.api('GET', `/v1/runs/${run.body.id}`)).body }).slice(0, 5000);
    assert.equal(run.status, 201, JSON.stringify(run.body));
    await waitFor(() => procState(victim) === 'T', 5000, 'the drill to stop the victim');
    await waitFor(async () => (await agent.api('GET', '/v1/faults')).body.faults?.[0]?.state === 'active', 5000, 'the fault active').catch(async (e) => assert.fail(`${e}: ${await debugRun()}`));

    // The victim dies (ours: by its host pid) and is reaped; its pid goes to a new process, which we stop ourselves.
    process.kill(victim, 'SIGKILL');
    await waitFor(() => startTimeOf(victim) !== victimStart, 3000, 'the victim reaped');
    const reused = await sleepAtNsPid('7654321');
    assert.notEqual(startTimeOf(reused), victimStart);
    process.kill(reused, 'SIGSTOP');
    await waitFor(() => procState(reused) === 'T', 2000, 'the new process stopped by the test');

    const final = ['passed', 'failed', 'aborted', 'interrupted'];
    let status = '';
    await waitFor(async () => final.includes((status = (await coordinator.api('GET', `/v1/runs/${run.body.id}`)).body.status)), 15000, 'the run to end');
    // Past the lease (agent), lease + grace (watchdog) and the SIGKILL step: the new process is alive and still stopped.
    const debug = async () => JSON.stringify({ status, faults: (await agent.api('GET', '/v1/faults')).body, report: (await coordinator.api('GET', `/v1/runs/${run.body.id}/report?format=json`)).body }).slice(0, 6000);
    assert.equal(procState(reused), 'T', `neither resumed nor killed: ${await debug()}`);
    assert.equal(status, 'failed', 'the SIGKILL step found its target gone');
    const report = (await coordinator.api('GET', `/v1/runs/${run.body.id}/report?format=json`)).body;
    assert.match(JSON.stringify(report), /gone/);
    // What the agent did at the lease's end: the victim's identity no longer exists, so nothing was signalled.
    const faults = (await agent.api('GET', '/v1/faults')).body.faults as any[];
    const stop = faults.find((f) => f.signal === 'SIGSTOP');
    assert.equal(stop.resumeReason, 'lease');
    assert.equal(stop.targets[0].processes[0].resume.ok, true, 'gone counts as resumed');
    assert.ok(stop.targets[0].processes[0].resume.error?.code === 'ESRCH' || stop.targets[0].processes[0].resume.error?.code === 'ERIS_ERR_IDENTITY_MISMATCH', JSON.stringify(stop.targets[0].processes[0]));
    process.kill(reused, 'SIGCONT');
  });
});
