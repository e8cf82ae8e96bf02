// Freeze means frozen, on a real containerd: a container whose shell loop keeps forking, frozen by signal or by the
// cgroup freezer, with an exec started into it while it is held. An independent observer polls the container's
// cgroup.procs and /proc/PID/stat the whole time: every process in it stays stopped (T) or frozen, and all run after.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig } from '../daemon/config.js';
import { startAgent, type Agent } from '../daemon/agent.js';
import { silentLogger } from '../lib/logger.js';
import { startContainerd, type ContainerdTestbed } from './harness/containerd.js';
import { testbedSkipReason } from './harness/requirements.js';
import { procState, waitFor } from './harness/processes.js';

const TOKEN = 'frozen-token';
/** A container whose processes come and go: a shell loop starting short-lived children, two at a time. */
const FORKING = ['sh', '-c', 'while :; do sleep 0 & sleep 0 & wait; done'];
/** How long a process may be in the cgroup before it must be seen stopped: the re-scan interval (50 ms) + a busy 2-core machine. */
const CATCH_MS = 400;

function cgroupDir(controller: 'pids' | 'freezer', pid: number): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]!.split(',').includes(controller))!;
  return `/sys/fs/cgroup/${controller}${line.split(':')[2]!}`;
}

function members(dir: string): number[] {
  try {
    return readFileSync(`${dir}/cgroup.procs`, 'utf8').trim().split('\n').filter((l) => l !== '').map(Number);
  } catch {
    return [];
  }
}

/**
 * Polls the cgroup every few ms for `ms`: a process seen longer than CATCH_MS in a state other than `held` is a
 * violation (a newcomer gets CATCH_MS to be caught). Returns the violations and how many distinct pids it saw.
 */
async function observe(dir: string, ms: number, held: (state: string) => boolean): Promise<{ violations: string[]; seen: number }> {
  const firstSeen = new Map<number, number>();
  const violations: string[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    for (const pid of members(dir)) {
      const now = Date.now();
      if (!firstSeen.has(pid)) firstSeen.set(pid, now);
      const state = procState(pid);
      if (state !== null && state !== 'Z' && !held(state) && now - firstSeen.get(pid)! > CATCH_MS) violations.push(`pid ${pid} in state ${state} ${now - firstSeen.get(pid)!} ms after it appeared`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return { violations, seen: firstSeen.size };
}

describe('freeze means frozen (real containerd)', { skip: testbedSkipReason(['containerd', 'ctr', 'runc']) }, () => {
  let bed: ContainerdTestbed;
  let agent: Agent;
  let stateDir: string;
  const execs: ChildProcess[] = [];
  const execErrors = new Map<string, string>();

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${agent.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as any };
  };
  /** `ctr task exec` into the container: runc joins a new process to its cgroup from outside (a kubelet exec probe does the same). */
  const execInto = (containerId: string, id: string): ChildProcess => {
    const child = spawn('ctr', ['-a', bed.socket, '-n', 'k8s.io', 'tasks', 'exec', '--exec-id', id, containerId, 'sh', '-c', 'sleep 1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { execErrors.set(id, (execErrors.get(id) ?? '') + d); });
    execs.push(child);
    return child;
  };
  const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

  before(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'eris-frozen-'));
    bed = await startContainerd({ name: 'frozen' });
    for (const name of ['fork-signal', 'fork-freezer', 'fork-kill']) {
      await bed.cri.runPod({ name, namespace: 'work', labels: { app: name }, containers: [{ name: 'loop', command: FORKING }] });
    }
    const config = loadAgentConfig({ listen: '127.0.0.1:0', token: TOKEN, stateDir, criSocket: bed.socket, inventoryIntervalSeconds: 0.5 }, {});
    agent = await startAgent(config, { logger: silentLogger() });
  });

  after(async () => {
    // ctr processes are ours (spawned above), signalled by their PID only.
    for (const child of execs) if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
    await agent?.close();
    await bed?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('signal: a forking container and an exec into it stay stopped (T) for the hold, caught processes are journaled, all run after', async () => {
    const target = { selector: { namespace: 'work', pod: '^fork-signal$' } };
    const frozen = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target, leaseSeconds: 30 });
    assert.equal(frozen.status, 201, JSON.stringify(frozen.body));
    assert.equal(frozen.body.result, 'ok', JSON.stringify(frozen.body.targets));
    assert.equal(frozen.body.method, 'signal');
    const t = frozen.body.targets[0];
    const dir = cgroupDir('pids', t.processes[0].pid);
    const exec = execInto(t.container.id, 'probe-1');
    const seen = await observe(dir, 2000, (s) => s === 'T' || s === 't');
    assert.deepEqual(seen.violations, []);

    const fault = (await api('GET', `/v1/faults/${frozen.body.id}`)).body;
    const late = fault.targets[0].processes.filter((p: any) => p.appearedLater);
    assert.ok(late.length >= 1, `the exec's process was caught: ${JSON.stringify(fault.targets[0].processes)}`);
    assert.ok(late.every((p: any) => p.ok), JSON.stringify(late));
    // Written down before it was stopped, so a restarted agent resumes it too.
    const journaled = readFileSync(join(stateDir, 'journal.jsonl'), 'utf8').split('\n').filter((l) => l.includes(frozen.body.id)).flatMap((l) => JSON.parse(l).processes ?? []).map((p: any) => p.pid);
    for (const p of late) assert.ok(journaled.includes(p.pid), `pid ${p.pid} journaled`);

    const resumed = await api('DELETE', `/v1/faults/${frozen.body.id}`);
    assert.equal(resumed.body.state, 'resumed');
    for (const p of resumed.body.targets[0].processes.filter((x: any) => x.appearedLater)) assert.equal(p.resume?.ok, true, JSON.stringify(p));
    assert.equal(await exited(exec), 0, 'the exec finished once resumed');
    await waitFor(() => members(dir).every((pid) => procState(pid) !== 'T'), 3000, 'every process of the container running again');
  });

  it('freezer (v1): the cgroup is FROZEN, its processes in D; runc refuses an exec into it; SIGCONT does not thaw it; the end thaws it', async () => {
    const target = { selector: { namespace: 'work', pod: '^fork-freezer$' } };
    const frozen = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target, method: 'freezer', leaseSeconds: 30 });
    assert.equal(frozen.status, 201, JSON.stringify(frozen.body));
    assert.equal(frozen.body.result, 'ok', JSON.stringify(frozen.body.targets));
    assert.equal(frozen.body.method, 'freezer');
    const t = frozen.body.targets[0];
    assert.equal(t.freezer.version, 1);
    const freezerDir = cgroupDir('freezer', t.processes[0].pid);
    assert.equal(t.freezer.dir, freezerDir);
    assert.equal(readFileSync(`${freezerDir}/freezer.state`, 'utf8').trim(), 'FROZEN');
    // runc sees the frozen cgroup as a paused container and refuses the exec at once (an exec probe fails fast
    // instead of timing out, as it does against a SIGSTOPped container).
    const refused = execInto(t.container.id, 'probe-2');
    assert.notEqual(await exited(refused), 0);
    assert.match(execErrors.get('probe-2') ?? '', /paused container/);
    // v1 freezer: tasks sit in the refrigerator, which /proc shows as D (uninterruptible), not T.
    const seen = await observe(freezerDir, 1500, (s) => s === 'D');
    assert.deepEqual(seen.violations, []);

    const cont = await api('POST', '/v1/faults', { signal: 'SIGCONT', target });
    assert.equal(cont.status, 201);
    assert.equal(readFileSync(`${freezerDir}/freezer.state`, 'utf8').trim(), 'FROZEN', 'SIGCONT does not thaw a frozen cgroup');
    assert.equal((await api('GET', `/v1/faults/${frozen.body.id}`)).body.state, 'active');

    const resumed = await api('DELETE', `/v1/faults/${frozen.body.id}`);
    assert.equal(resumed.body.state, 'resumed');
    assert.ok(resumed.body.targets[0].processes.every((p: any) => !p.ok || p.resume?.ok === true), JSON.stringify(resumed.body.targets[0].processes));
    assert.equal(readFileSync(`${freezerDir}/freezer.state`, 'utf8').trim(), 'THAWED');
    const exec = execInto(t.container.id, 'probe-3');
    assert.equal(await exited(exec), 0, `an exec runs once thawed: ${execErrors.get('probe-3')}`);
    await waitFor(() => members(freezerDir).every((pid) => procState(pid) !== 'D'), 3000, 'every process of the container running again');
  });

  it('freezer (v1) then SIGKILL: the kill ends the freeze so it lands, and the container is gone', async () => {
    const target = { selector: { namespace: 'work', pod: '^fork-kill$' } };
    const frozen = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target, method: 'freezer', leaseSeconds: 30 });
    assert.equal(frozen.body.result, 'ok', JSON.stringify(frozen.body));
    const killed = await api('POST', '/v1/faults', { signal: 'SIGKILL', target });
    assert.equal(killed.body.result, 'ok', JSON.stringify(killed.body.targets));
    const after = (await api('GET', `/v1/faults/${frozen.body.id}`)).body;
    assert.equal(after.state, 'resumed');
    assert.equal(after.resumeReason, 'processes-gone');
    // Dead: gone, or a zombie its parent (the container's init or shim) has not reaped yet.
    for (const p of frozen.body.targets[0].processes) assert.ok([null, 'Z'].includes(procState(p.pid)), `pid ${p.pid} gone (state ${procState(p.pid)})`);
  });

  it('refuses the freezer where it has no meaning, naming the field', async () => {
    const target = { selector: { namespace: 'work', pod: '^fork-signal$' } };
    const kill = await api('POST', '/v1/faults', { signal: 'SIGKILL', target, method: 'freezer' });
    assert.equal(kill.status, 400);
    assert.equal(kill.body.error.path, 'method');
    const init = await api('POST', '/v1/faults', { signal: 'SIGSTOP', target, method: 'freezer', scope: 'init' });
    assert.equal(init.status, 400);
    assert.equal(init.body.error.path, 'scope');
  });
});
