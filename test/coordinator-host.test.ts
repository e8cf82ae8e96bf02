// The coordinator with a real agent in host mode: the agent dials in, selection picks from what it reports, a
// drill freezes a member of a sample cluster, sees its probe fail, kills it, and sees it recover after a restart.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAgentConfig } from '../daemon/config.js';
import { startAgent, type Agent } from '../daemon/agent.js';
import { loadCoordinatorConfig } from '../coordinator/config.js';
import { startCoordinator, type Coordinator } from '../coordinator/server.js';
import { silentLogger } from '../lib/logger.js';
import { freePort } from './harness/ports.js';
import { findExecutable, testbedSkipReason } from './harness/requirements.js';
import { isRunning, killTree, procState, waitFor } from './harness/processes.js';
import { conformanceOf, conformingFetch } from './harness/openapi-conformance.js';

const TOKEN = 'coord-host-token';
const MEMBER = fileURLToPath(new URL('../cli/demo/sample-member.ts', import.meta.url));

describe('coordinator + agent in host mode', () => {
  let coordinator: Coordinator;
  let agent: Agent;
  let dir: string;
  const members = new Map<string, { port: number; child: ChildProcess }>();
  let supervising = true;
  const tag = `eris-sample-${process.pid}`;

  // Every answer is checked against the coordinator's OpenAPI document.
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await conformingFetch(`${coordinator.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text };
  };

  // Plays systemd: restarts a member that died.
  const startMember = (name: string, port: number, peers: number[]) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MEMBER, '--name', name, '--port', String(port), '--peers', peers.join(','), '--tag', tag], {
      stdio: 'ignore',
    });
    members.set(name, { port, child });
    child.once('exit', () => {
      if (supervising && members.get(name)?.child === child) setTimeout(() => supervising && startMember(name, port, peers), 300);
    });
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-coord-host-'));
    coordinator = await startCoordinator(loadCoordinatorConfig({ listen: '127.0.0.1:0', token: TOKEN, dataDir: join(dir, 'coord'), probeAllow: 'loopback' }, {}), { logger: silentLogger() });
    agent = await startAgent(
      loadAgentConfig({ listen: '127.0.0.1:0', token: TOKEN, stateDir: join(dir, 'agent'), noCri: true, hostProcesses: true, coordinator: coordinator.linkUrl, cluster: 'lab', nodeName: 'node-1', zone: 'z1' }, {}),
      { logger: silentLogger() },
    );
    const ports = [await freePort(), await freePort(), await freePort()];
    ports.forEach((port, i) => startMember(`m${i}`, port, ports.filter((p) => p !== port)));
    await waitFor(async () => (await api('GET', '/v1/agents')).body.agents?.length === 1, 10000, 'the agent to register');
    await waitFor(async () => {
      const checks = await Promise.all(ports.map((p) => fetch(`http://127.0.0.1:${p}/health`).then((r) => r.ok, () => false)));
      return checks.every(Boolean);
    }, 20000, 'sample members up');
  });

  after(async () => {
    supervising = false;
    for (const { child } of members.values()) child.kill('SIGKILL');
    await agent?.close();
    await coordinator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  after(async () => {
    // The streams' events were checked as they were read; any that did not match the document fail here.
    if (coordinator) await (await conformanceOf(coordinator.url)).settle();
  });

  it('lists the agent and answers /healthz, /openapi.json and the drill schema', async () => {
    const agents = (await api('GET', '/v1/agents')).body.agents;
    assert.equal(agents[0].id, 'lab/node-1');
    assert.equal(agents[0].zone, 'z1');
    assert.equal((await fetch(`${coordinator.url}/healthz`)).status, 200);
    const doc = (await (await fetch(`${coordinator.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    assert.ok(doc.paths['/v1/runs/{id}/events']);
    const schema = (await (await fetch(`${coordinator.url}/v1/schemas/drill.json`)).json()) as { $defs: { step: { anyOf: unknown[] } } };
    assert.equal(schema.$defs.step.anyOf.length, 6);
    assert.equal((await fetch(`${coordinator.url}/v1/agents`)).status, 401);
  });

  it('previews a selection without touching anything', async () => {
    const res = await api('POST', '/v1/selections', { processes: { cmdline: `--tag ${tag}` }, count: 1, seed: 7 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.matched.length, 3);
    assert.equal(res.body.picked.length, 1);
    assert.equal(res.body.picked[0].kind, 'process');
    assert.match(res.body.picked[0].labels.port, /^\d+$/);
    const again = await api('POST', '/v1/selections', { processes: { cmdline: `--tag ${tag}` }, count: 1, seed: 7 });
    assert.deepEqual(again.body.picked[0].pid, res.body.picked[0].pid, 'same seed, same pick');
    for (const m of res.body.matched) assert.ok(isRunning(m.pid));
    const empty = await api('POST', '/v1/selections', { processes: { cmdline: 'no-such-process-anywhere-xyz' } });
    assert.equal(empty.status, 422);
    assert.equal(empty.body.error.code, 'ERIS_ERR_NO_TARGETS');
    const bad = await api('POST', '/v1/selections', { processes: { cmdline: '(' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.path, /^target\.processes\.cmdline/);
  });

  it('places and resumes an immediate fault', async () => {
    const res = await api('POST', '/v1/faults', { target: { processes: { cmdline: `--name m0 .*--tag ${tag}` } }, signal: 'SIGSTOP', lease: '30s' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const pid = res.body.parts[0].fault.targets[0].processes[0].pid;
    assert.equal(procState(pid), 'T');
    const resumed = await api('DELETE', `/v1/faults/${res.body.id}`);
    assert.equal(resumed.body.parts[0].fault.state, 'resumed');
    await waitFor(() => isRunning(pid), 2000, 'resumed');
  });

  it('runs the node-failure drill: freeze, detect, kill, recover', async () => {
    const drill = {
      apiVersion: 'eris.dev/v1alpha1',
      kind: 'Drill',
      metadata: { name: 'sample-node-failure' },
      spec: {
        targets: {
          member: { processes: { cmdline: `--tag ${tag}` }, count: 1 },
          all: { processes: { cmdline: `--tag ${tag}` } },
        },
        probes: {
          health: { url: 'http://127.0.0.1:{{target.labels.port}}/health', jq: '.health == "true"', timeout: '500ms', interval: '100ms' },
        },
        steps: [
          { name: 'steady state', probe: 'health', target: 'all' },
          { name: 'freeze one member', signal: 'SIGSTOP', target: 'member', lease: '60s' },
          { name: 'its probe fails', wait: 'health', target: 'member', until: 'fail', timeout: '10s' },
          { name: 'kill it', signal: 'SIGKILL', target: 'member' },
          { name: 'it recovers', wait: 'health', target: 'member', until: 'pass', timeout: '60s', consecutive: 2 },
        ],
      },
    };
    const started = await api('POST', '/v1/runs', { spec: drill, seed: 'host-test' });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const id = started.body.id;
    // Live events over SSE until the run ends.
    const sse = await conformingFetch(`${coordinator.url}/v1/runs/${id}/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await sse.text();
    assert.match(text, /event: step/);
    assert.match(text, /event: probe/);
    assert.match(text, /event: run\n/);
    const run = (await api('GET', `/v1/runs/${id}`)).body;
    assert.equal(run.status, 'passed', JSON.stringify(run.result?.error ?? run.result?.steps));
    const report = (await api('GET', `/v1/runs/${id}/report`)).body;
    assert.equal(report.timeline.length, 1);
    const t = report.timeline[0];
    assert.deepEqual(t.injected.map((i: { signal: string }) => i.signal), ['SIGSTOP', 'SIGKILL']);
    assert.ok(t.timeToDetectMs >= 0 && t.timeToDetectMs < 10000, `detect ${t.timeToDetectMs}`);
    assert.ok(t.timeToRecoverMs > 0 && t.timeToRecoverMs < 60000, `recover ${t.timeToRecoverMs}`);
    const junit = await conformingFetch(`${coordinator.url}/v1/runs/${id}/report?format=junit`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const xml = await junit.text();
    assert.match(xml, /<testsuite name="sample-node-failure"/);
    assert.match(xml, /failures="0"/);
    const metrics = await (await fetch(`${coordinator.url}/metrics`)).text();
    assert.match(metrics, /eris_runs_total\{drill="sample-node-failure",status="passed"\} 1/);
    assert.match(metrics, /eris_agents_connected\{cluster="lab"\} 1/);
    assert.match(metrics, /eris_time_to_detect_seconds_count\{drill="sample-node-failure",cluster="lab",group="member",signal="SIGSTOP"\} 1/);
    if (findExecutable('promtool')) {
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
      assert.equal(lint.status, 0, `promtool: ${lint.stdout}${lint.stderr}`);
    } else assert.ok(testbedSkipReason({ tools: ['promtool'], root: false }) !== undefined);
  });

  it('a SIGSTOP / sleep / SIGCONT drill on a busy process tree passes every time, and leaves no fault active', async () => {
    // Children come and go (a worker pool): a child gone before or right after its signal is no failure.
    const busyTag = `eris-busy-${process.pid}`;
    const busy = spawn('sh', ['-c', `while :; do sleep 0.001 & sleep 0.001 & wait; done # ${busyTag}`], { stdio: 'ignore', detached: true });
    try {
      const drill = {
        apiVersion: 'eris.dev/v1alpha1',
        kind: 'Drill',
        metadata: { name: 'busy-pause' },
        spec: {
          targets: { pool: { processes: { cmdline: busyTag } } },
          steps: [
            { name: 'freeze', signal: 'SIGSTOP', target: 'pool', lease: '30s' },
            { sleep: '100ms' },
            { name: 'thaw', signal: 'SIGCONT', target: 'pool' },
          ],
        },
      };
      const statuses: string[] = [];
      for (let i = 0; i < 12; i++) {
        const started = await api('POST', '/v1/runs', { spec: drill });
        assert.equal(started.status, 201, JSON.stringify(started.body));
        await waitFor(async () => (await api('GET', `/v1/runs/${started.body.id}`)).body.status !== 'running', 10000, 'run end');
        const run = (await api('GET', `/v1/runs/${started.body.id}`)).body;
        statuses.push(run.status === 'passed' ? 'passed' : `${run.status}: ${JSON.stringify(run.result?.error)}`);
        // The SIGCONT step ended the run's SIGSTOP fault on purpose: not reported as ended early.
        const events = await (await conformingFetch(`${coordinator.url}/v1/runs/${started.body.id}/events`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
        assert.doesNotMatch(events, /endedEarly/);
      }
      assert.deepEqual(statuses.filter((s) => s !== 'passed'), []);
      assert.ok(isRunning(busy.pid!));
      // The SIGCONT steps ended the SIGSTOP faults they undid: none reads active on a running tree.
      assert.deepEqual(agent.faults.active().filter((f) => f.targets.some((t) => t.process?.pid === busy.pid)), []);
    } finally {
      killTree(busy.pid!);
    }
  });

  it('a SIGCONT step ends the SIGSTOP fault it resumes there, while the run goes on', async () => {
    const drill = {
      apiVersion: 'eris.dev/v1alpha1',
      kind: 'Drill',
      metadata: { name: 'stop-cont-wait' },
      spec: {
        targets: { member: { processes: { cmdline: `--name m2 .*--tag ${tag}` } } },
        steps: [
          { name: 'freeze', signal: 'SIGSTOP', target: 'member', lease: '60s' },
          { name: 'thaw', signal: 'SIGCONT', target: 'member' },
          { name: 'the run goes on', sleep: '3s' },
        ],
      },
    };
    const started = await api('POST', '/v1/runs', { spec: drill });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const id = started.body.id as string;
    // Read the live stream up to the end of the SIGCONT step.
    const res = await fetch(`${coordinator.url}/v1/runs/${id}/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const events: Array<{ event: string; data: any }> = [];
    let buffer = '';
    const thawEnded = () => events.some((e) => e.event === 'step' && e.data.path === 'steps[1]' && e.data.status !== 'running');
    while (!thawEnded()) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      const blocks = buffer.split('\n\n');
      buffer = blocks.pop()!;
      for (const block of blocks) {
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
    await reader.cancel();
    const thaw = events.find((e) => e.event === 'step' && e.data.path === 'steps[1]' && e.data.status !== 'running')!;
    assert.equal(thaw?.data.status, 'passed', JSON.stringify(events.filter((e) => e.event === 'step')));
    const stop = events.find((e) => e.event === 'fault' && e.data.signal === 'SIGSTOP' && e.data.result === 'ok')!.data;
    const cont = events.find((e) => e.event === 'fault' && e.data.signal === 'SIGCONT')!.data;
    // The SIGSTOP fault's end is recorded within the SIGCONT step, not at the run's end.
    const ended = events.find((e) => e.event === 'fault' && e.data.faultId === stop.faultId && e.data.endedBy === 'sigcont');
    assert.ok(ended, JSON.stringify(events.filter((e) => e.event === 'fault')));
    assert.equal(ended.data.state, 'resumed');
    assert.equal(ended.data.resumedBy, cont.faultId);
    assert.ok(ended.data.at >= stop.at && ended.data.at <= thaw.data.endedAt, `ended at ${ended.data.at}, thaw step ended ${thaw.data.endedAt}`);
    // The run is still going (its sleep step), and the fault is over: the agent holds nothing, its lease is off.
    assert.equal((await api('GET', `/v1/runs/${id}`)).body.status, 'running');
    const fault = agent.faults.get(stop.faultId);
    assert.equal(fault.state, 'resumed');
    assert.equal(fault.resumeReason, 'sigcont');
    assert.deepEqual(agent.faults.active().filter((f) => f.id === stop.faultId), []);
    // At the end the run has nothing left to resume, and no early end is reported.
    await waitFor(async () => (await api('GET', `/v1/runs/${id}`)).body.status !== 'running', 10000, 'run end');
    const report = (await api('GET', `/v1/runs/${id}/report`)).body;
    assert.equal(report.status, 'passed');
    assert.equal(report.resumed.faults, 0);
    const all = await (await conformingFetch(`${coordinator.url}/v1/runs/${id}/events`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    assert.doesNotMatch(all, /endedEarly/);
    assert.doesNotMatch(all, /event: resumed/);
  });

  it('an agent that grants shorter leases refuses a SIGSTOP step naming the step\'s lease, not its own leaseSeconds', async () => {
    const tight = await startAgent(
      loadAgentConfig({ listen: '127.0.0.1:0', token: TOKEN, stateDir: join(dir, 'agent-tight'), noCri: true, hostProcesses: true, coordinator: coordinator.linkUrl, cluster: 'tight', nodeName: 'node-2', leaseDefaultSeconds: 10, leaseMaxSeconds: 30 }, {}),
      { logger: silentLogger() },
    );
    try {
      await waitFor(async () => (await api('GET', '/v1/agents')).body.agents?.length === 2, 10000, 'the second agent to register');
      const drill = {
        apiVersion: 'eris.dev/v1alpha1',
        kind: 'Drill',
        metadata: { name: 'lease-too-long' },
        spec: {
          targets: { member: { clusters: ['tight'], processes: { cmdline: `--name m2 .*--tag ${tag}` } } },
          steps: [{ signal: 'SIGSTOP', target: 'member', lease: '90s' }],
        },
      };
      const started = await api('POST', '/v1/runs', { spec: drill });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      await waitFor(async () => (await api('GET', `/v1/runs/${started.body.id}`)).body.status !== 'running', 10000, 'run end');
      const run = (await api('GET', `/v1/runs/${started.body.id}`)).body;
      assert.equal(run.status, 'failed');
      assert.match(run.result.error.message, /tight\/node-2: agent tight\/node-2: steps\[0\]\.lease: must be at most 30s \(this agent's --lease-max 30\)/);
      assert.doesNotMatch(run.result.error.message, /leaseSeconds/);
      assert.equal(run.result.steps[0].error.message, run.result.error.message);
    } finally {
      await tight.close();
      await waitFor(async () => (await api('GET', '/v1/agents')).body.agents?.length === 1, 10000, 'the second agent to leave');
    }
  });

  it('a failing step fails the run and resumes what it stopped', async () => {
    const drill = {
      apiVersion: 'eris.dev/v1alpha1',
      kind: 'Drill',
      metadata: { name: 'fails' },
      spec: {
        targets: { member: { processes: { cmdline: `--name m1 .*--tag ${tag}` } } },
        probes: { health: { url: 'http://127.0.0.1:{{target.labels.port}}/health', jq: '.health == "true"', timeout: '300ms', interval: '100ms' } },
        steps: [
          { signal: 'SIGSTOP', target: 'member', lease: '60s' },
          // Expects the frozen member to stay healthy: it cannot.
          { wait: 'health', target: 'member', until: 'pass', timeout: '1s' },
        ],
      },
    };
    const started = await api('POST', '/v1/runs', { spec: drill });
    await waitFor(async () => (await api('GET', `/v1/runs/${started.body.id}`)).body.status !== 'running', 10000, 'run end');
    const run = (await api('GET', `/v1/runs/${started.body.id}`)).body;
    assert.equal(run.status, 'failed');
    assert.equal(run.result.resumed.faults, 1);
    // Confirmed from the process's state after the resume, not from the agent's ack.
    assert.equal(run.result.resumed.confirmed, 1);
    assert.equal(run.result.resumed.seen.stopped, 0);
    assert.ok(run.result.resumed.seen.running >= 1, JSON.stringify(run.result.resumed));
    const pid = run.result.timeline[0].target.pid;
    await waitFor(() => isRunning(pid), 2000, 'resumed after the failed run');
  });

  it('aborting a run resumes everything at once', async () => {
    const drill = {
      apiVersion: 'eris.dev/v1alpha1',
      kind: 'Drill',
      metadata: { name: 'aborted' },
      spec: {
        targets: { member: { processes: { cmdline: `--name m2 .*--tag ${tag}` } } },
        steps: [{ signal: 'SIGSTOP', target: 'member', lease: '60s' }, { sleep: '60s' }],
      },
    };
    const started = await api('POST', '/v1/runs', { spec: drill });
    await waitFor(async () => (await api('GET', '/v1/faults')).status === 200 && coordinator.fleet.activeFaults().length > 0, 5000, 'fault placed');
    const pid = coordinator.fleet.activeFaults()[0]!.fault.targets[0]!.processes[0]!.pid;
    assert.equal(procState(pid), 'T');
    const abort = await api('POST', `/v1/runs/${started.body.id}/abort`);
    assert.equal(abort.status, 202);
    await waitFor(async () => (await api('GET', `/v1/runs/${started.body.id}`)).body.status === 'aborted', 5000, 'aborted');
    assert.ok(isRunning(pid));
  });

  it('rejects bad drills with the path of the problem', async () => {
    const base = { apiVersion: 'eris.dev/v1alpha1', kind: 'Drill', metadata: { name: 'bad' } };
    const cases: Array<[unknown, string]> = [
      [{ ...base, spec: { targets: { m: { percent: 150 } }, steps: [{ sleep: '1s' }] } }, 'spec.targets.m.percent'],
      [{ ...base, spec: { targets: { m: {} }, steps: [{ wait: 'nope', until: 'fail', timeout: '1s' }] } }, 'spec.steps[0].wait'],
      [{ ...base, spec: { targets: { m: {} }, probes: { p: { url: 'http://x/', jq: '.a ==' } }, steps: [{ probe: 'p' }] } }, 'spec.probes.p.jq'],
      [{ ...base, spec: { targets: { m: {} }, steps: [{ wait: 'p', until: 'fail' }] } }, 'spec.steps[0].timeout'],
      [{ ...base, spec: { targets: { m: {} }, steps: [{ signal: 'SIGSTOP', target: 'x' }] } }, 'spec.steps[0].target'],
      [{ ...base, spec: { targets: { m: { pod: '(' } }, steps: [{ sleep: '1s' }] } }, 'spec.targets.m.pod'],
    ];
    for (const [spec, path] of cases) {
      const res = await api('POST', '/v1/runs', { spec });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.path, path, res.body.error.message);
    }
  });

  it('runs parallel branches together, and a guard that trips aborts the run and resumes everything', async () => {
    const member = (name: string) => ({ processes: { cmdline: `--name ${name} .*--tag ${tag}` } });
    const probes = { health: { url: 'http://127.0.0.1:{{target.labels.port}}/health', jq: '.health == "true"', timeout: '300ms', interval: '100ms' } };
    const parallel = {
      apiVersion: 'eris.dev/v1alpha1',
      kind: 'Drill',
      metadata: { name: 'parallel' },
      spec: {
        targets: { a: member('m0'), b: member('m1') },
        probes,
        steps: [
          {
            parallel: [
              { steps: [{ signal: 'SIGSTOP', target: 'a', lease: '30s' }, { wait: 'health', target: 'a', until: 'fail', timeout: '5s' }] },
              { steps: [{ signal: 'SIGSTOP', target: 'b', lease: '30s' }, { wait: 'health', target: 'b', until: 'fail', timeout: '5s' }] },
            ],
          },
        ],
      },
    };
    const p = await api('POST', '/v1/runs', { spec: parallel });
    await waitFor(async () => (await api('GET', `/v1/runs/${p.body.id}`)).body.status !== 'running', 15000, 'parallel run end');
    const report = (await api('GET', `/v1/runs/${p.body.id}/report`)).body;
    assert.equal(report.status, 'passed', JSON.stringify(report.error));
    const [a, b] = report.timeline;
    // Both branches froze their member before either saw it fail: they ran together.
    assert.ok(Math.abs(a.injected[0].at - b.injected[0].at) < 1000, `injections ${a.injected[0].at} / ${b.injected[0].at}`);
    assert.ok(a.timeToDetectMs !== undefined && b.timeToDetectMs !== undefined);
    for (const t of report.timeline) await waitFor(() => isRunning(t.target.pid), 2000, 'resumed after the run');

    const guarded = {
      apiVersion: 'eris.dev/v1alpha1',
      kind: 'Drill',
      metadata: { name: 'guarded' },
      spec: {
        targets: { victim: member('m2') },
        probes,
        steps: [
          {
            guard: 'health',
            target: 'victim',
            consecutive: 2,
            // Freezing the guarded member itself: the guard must trip long before the sleep ends.
            steps: [{ signal: 'SIGSTOP', target: 'victim', lease: '60s' }, { sleep: '30s' }],
          },
        ],
      },
    };
    const started = Date.now();
    const g = await api('POST', '/v1/runs', { spec: guarded });
    await waitFor(async () => (await api('GET', `/v1/runs/${g.body.id}`)).body.status !== 'running', 10000, 'guarded run end');
    const run = (await api('GET', `/v1/runs/${g.body.id}`)).body;
    assert.equal(run.status, 'failed');
    assert.equal(run.result.error.code, 'ERIS_ERR_GUARD_TRIPPED');
    assert.ok(Date.now() - started < 10000);
    await waitFor(() => isRunning(run.result.timeline[0].target.pid), 2000, 'the guarded member resumed');
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await fetch(`${coordinator.url}/docs`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /swagger/i);
  });
});
