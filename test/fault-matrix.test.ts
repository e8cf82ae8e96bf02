// The fault matrix: seeded random scenarios over real processes this test starts (host mode), each a SIGSTOP placed
// on the agent, through the coordinator, or by a drill, combined with one or two of: agent SIGKILL + restart (with or
// without a damaged journal), agent SIGKILL never restarted, coordinator SIGKILL + restart, run abort, an overlapping
// fault on the same target, an explicit SIGCONT, a target exiting mid-fault, the agent's link going silent (the
// coordinator hung for 1–3 s), the agent's link cut (a real cable pulled: see below); a forking workload for half.
// A scenario with a link cut runs the agent in a network namespace of its own and the coordinator in the LAN's
// (test/harness/netns.ts), the agent dialling it through its veth; the cut sets the veth's bridge end down for
// 0.3–4 s, or for the rest of the fault, and then up again. The agent still sees the targets: a network namespace
// hides sockets, not processes.
// Lease expiry ends whatever nothing else ends. An independent /proc observer (a worker thread polling every 5 ms)
// watches the target's tree and a bystander the whole time. After each scenario:
//  - no process stopped past its fault's lease + watchdog grace (+ TOLERANCE_MS), none left stopped at the end;
//  - the bystander (a process outside the targets, trapping SIGCONT/USR1/TERM/HUP) never stopped nor signalled;
//  - every SIGSTOP verdict is `ok` and each process it calls verified was seen stopped by the observer;
//  - a drill's run reaches a final status, its fault recorded (after a coordinator restart too);
//  - the journal is consistent: once every fault ended, no stop is left open in it;
//  - after a link cut, the agent is back on the coordinator and the coordinator's record of the fault agrees with the
//    agent's (not `active` once the agent ended it offline).
// ERIS_MATRIX_SCENARIOS (default 24) and ERIS_MATRIX_SEED (default "8") choose the run; the report is printed.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentProcess, startCoordinatorProcess, type ErisProcess } from './harness/agent-process.js';
import { freePort } from './harness/ports.js';
import { killTree, waitFor } from './harness/processes.js';
import { ProcObserver } from './harness/proc-observer.js';
import { Journal } from '../daemon/faults/journal.js';
import { startContainerd, type ContainerdTestbed } from './harness/containerd.js';
import { testbedSkipReason } from './harness/requirements.js';
import { createLan, type Lan } from './harness/netns.js';

const SCENARIOS = Number(process.env.ERIS_MATRIX_SCENARIOS ?? 24);
/** Container rounds: 4 seeded scenarios each, method × (agent killed and never restarted, or restarted on a damaged journal); the first round has every combination. */
const CONTAINER_ROUNDS = Number(process.env.ERIS_MATRIX_CONTAINER_ROUNDS ?? 1);
const SEED = process.env.ERIS_MATRIX_SEED ?? '8';
const TOKEN = 'matrix-token';
const WATCHDOG_GRACE_MS = 1000;
const COORDINATOR_GRACE_S = 2;
/** Observer polling, process start-up and scheduling on a busy 2-core machine. */
const TOLERANCE_MS = 1000;

const PATHS = ['agent', 'coordinator', 'drill'] as const;
type FaultPath = (typeof PATHS)[number];
const PERTURBATIONS = ['agent-kill-restart', 'agent-kill-never', 'coordinator-kill-restart', 'link-silent', 'link-cut', 'abort', 'overlap', 'sigcont', 'target-exits'] as const;
type Perturbation = (typeof PERTURBATIONS)[number];

interface Scenario {
  id: number;
  path: FaultPath;
  workload: 'sleepers' | 'forking';
  leaseMs: number;
  perturbations: Perturbation[];
  journalDamage: boolean;
  /** Drill only: how long the drill sleeps after its SIGSTOP (the run's end resumes it). */
  drillSleepMs: number;
  /** With a link cut: how long the cable stays out; null = past the fault's end (restored only for the record check). */
  linkCutMs: number | null;
}

interface Outcome {
  scenario: Scenario;
  failures: string[];
  /** Longest a target process stayed stopped, and how far past its fault's lease end the last one ran on stopped. */
  longestStopMs: number;
  pastLeaseMs: number;
  durationMs: number;
  /** With a link cut: how long after the cable came back the agent was registered again. */
  reconnectMs: number | null;
}

/** mulberry32 over a string hash: the same seed, the same scenarios. */
function random(seed: string): () => number {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 3432918353), (h = (h << 13) | (h >>> 19));
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function plan(id: number, rand: () => number): Scenario {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const path = pick(PATHS);
  const allowed = PERTURBATIONS.filter((p) => (!p.startsWith('coordinator') && !p.startsWith('link-')) || path !== 'agent').filter((p) => p !== 'abort' || path === 'drill');
  const perturbations: Perturbation[] = [];
  // The link cut is the scenario this matrix exists to cover with a real network: a third of the linked scenarios.
  if (path !== 'agent' && rand() < 0.33) perturbations.push('link-cut');
  const want = rand() < 0.4 ? 2 : 1;
  while (perturbations.length < want) {
    const p = pick(allowed);
    const clash = perturbations.includes(p) || (p.startsWith('agent-kill') && perturbations.some((q) => q.startsWith('agent-kill')));
    if (!clash) perturbations.push(p);
  }
  const leaseMs = 1200 + Math.floor(rand() * 1300);
  return {
    id,
    path,
    workload: rand() < 0.5 ? 'sleepers' : 'forking',
    leaseMs,
    perturbations,
    journalDamage: perturbations.includes('agent-kill-restart') && rand() < 0.6,
    drillSleepMs: Math.floor(leaseMs * (0.5 + rand())),
    linkCutMs: rand() < 0.3 ? null : 300 + Math.floor(rand() * 3700),
  };
}

/** Fisher–Yates with the seeded generator. */
function shuffle<T>(list: readonly T[], rand: () => number): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runScenario(s: Scenario, rand: () => number): Promise<Outcome> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), `eris-matrix-${s.id}-`));
  const agentDir = join(dir, 'agent');
  const tag = `eris-matrix-${process.pid}-${s.id}`;
  const trapFile = join(dir, 'bystander-signals');
  writeFileSync(trapFile, '');
  const failures: string[] = [];
  const fail = (what: string) => failures.push(what);
  const observer = new ProcObserver();
  const spawned: ChildProcess[] = [];
  // Held in an object: the restarts below replace them from inside closures.
  const live: { agent: ErisProcess | null; coordinator: ErisProcess | null } = { agent: null, coordinator: null };
  const port = s.path === 'agent' ? 0 : await freePort();
  // A link that can be cut: the coordinator on a LAN namespace, the agent on a node namespace, a veth between them.
  // 10.<net>.0.0/24 with net from the scenario's seed: private, and only ever inside namespaces this test made.
  const lan: Lan | null = s.perturbations.includes('link-cut') ? createLan(100 + Math.floor(rand() * 150)) : null;
  let agentNs: string | undefined;
  try {
    agentNs = lan?.addNode('agent').ns;
  } catch (error) {
    lan?.destroy();
    throw error;
  }
  const coordinatorHost = lan?.address ?? '127.0.0.1';
  const agentArgs = [
    '--state-dir', agentDir, '--no-cri', '--host-processes', '--watchdog-grace', String(WATCHDOG_GRACE_MS / 1000), '--lease-max', '60',
    ...(s.path === 'agent' ? [] : ['--coordinator', `ws://${coordinatorHost}:${port}`, '--cluster', 'lab', '--node-name', 'n1', '--coordinator-grace', String(COORDINATOR_GRACE_S), '--coordinator-heartbeat', '0.25']),
  ];
  const startAgent = async () => {
    live.agent = await startAgentProcess(agentArgs, TOKEN, {}, agentNs);
  };
  const startCoordinator = async () => {
    live.coordinator = await startCoordinatorProcess(['--listen', `${coordinatorHost}:${port}`, '--data-dir', join(dir, 'coordinator')], TOKEN, {}, lan?.ns);
  };
  /** When the cable went back in (null: never cut, or still out). */
  let linkRestoredAt: number | null = null;
  let linkDown = false;
  const restoreLink = () => {
    if (!linkDown) return;
    lan!.setNodeLink('agent', true);
    linkDown = false;
    linkRestoredAt = Date.now();
  };
  let reconnectMs: number | null = null;
  /** [fault upper-bound creation time, lease] of every SIGSTOP placed: bounds how long anything may stay stopped. */
  const holds: Array<{ createdBy: number; leaseMs: number }> = [];
  /** SIGSTOP verdicts to check against the observer. */
  const verdicts: Array<{ what: string; fault: any }> = [];
  let runId: string | null = null;

  try {
    // The workload (targets) and a bystander that must never be touched; both ours, signalled by PID only.
    const script = s.workload === 'sleepers' ? `sleep 1000 & sleep 1000 & wait # ${tag}` : `while :; do sleep 0.05 & wait; done # ${tag}`;
    const target = spawn('sh', ['-c', script], { stdio: 'ignore', detached: true });
    const bystander = spawn('sh', ['-c', `trap 'echo signalled >> ${trapFile}' CONT USR1 TERM HUP; while :; do sleep 0.1; done # eris-matrix-bystander`], { stdio: 'ignore', detached: true });
    spawned.push(target, bystander);
    observer.watch([target.pid!, bystander.pid!]);
    await sleep(150);

    if (s.path !== 'agent') await startCoordinator();
    await startAgent();
    if (live.coordinator) await waitFor(async () => (await live.coordinator!.api('GET', '/v1/agents')).body.agents?.length === 1, 10000, 'agent registered');

    // The fault.
    const leaseS = s.leaseMs / 1000;
    if (s.path === 'agent') {
      const r = await live.agent!.api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [target.pid!] }, leaseSeconds: leaseS });
      if (r.status !== 201) fail(`agent fault: ${r.status} ${JSON.stringify(r.body)}`);
      else verdicts.push({ what: 'agent fault', fault: r.body });
      holds.push({ createdBy: Date.now(), leaseMs: s.leaseMs });
    } else if (s.path === 'coordinator') {
      const r = await live.coordinator!.api('POST', '/v1/faults', { target: { processes: { cmdline: tag } }, signal: 'SIGSTOP', lease: `${s.leaseMs}ms` });
      if (r.status !== 201 || r.body.parts?.length !== 1) fail(`coordinator fault: ${r.status} ${JSON.stringify(r.body)}`);
      else verdicts.push({ what: 'coordinator fault', fault: r.body.parts[0].fault });
      holds.push({ createdBy: Date.now(), leaseMs: s.leaseMs });
    } else {
      const drill = {
        apiVersion: 'eris.dev/v1alpha1',
        kind: 'Drill',
        metadata: { name: `matrix-${s.id}` },
        spec: { targets: { victim: { processes: { cmdline: tag } } }, steps: [{ signal: 'SIGSTOP', target: 'victim', lease: `${s.leaseMs}ms` }, { sleep: `${s.drillSleepMs}ms` }] },
      };
      const r = await live.coordinator!.api('POST', '/v1/runs', { spec: drill });
      if (r.status !== 201) fail(`run: ${r.status} ${JSON.stringify(r.body)}`);
      runId = r.body.id;
      // The fault is placed some time after the run starts: its creation is bounded by when the observer first sees the stop.
      await waitFor(async () => (await observer.report()).some((p) => p.pid === target.pid && p.stops.length > 0), 5000, 'the drill to stop the target').catch(() => fail('the drill never stopped the target'));
      const firstStop = (await observer.report()).find((p) => p.pid === target.pid)?.stops[0]?.[0] ?? Date.now();
      holds.push({ createdBy: firstStop, leaseMs: s.leaseMs });
    }

    // The perturbations, each at a random moment inside the lease (not before 300 ms: the verdict is checked first).
    const events = s.perturbations.map((p) => ({ p, at: 300 + Math.floor(rand() * Math.max(100, s.leaseMs - 500)) })).sort((a, b) => a.at - b.at);
    const t0 = Date.now();
    for (const { p, at } of events) {
      await sleep(Math.max(0, t0 + at - Date.now()));
      switch (p) {
        case 'agent-kill-restart':
          await live.agent!.stop('SIGKILL');
          if (s.journalDamage) appendFileSync(join(agentDir, 'journal.jsonl'), `{"op":"stop","faultId":"torn\nnull\n{"op":"stop","faultId":"bad","at":1,"leaseExpiresAt":2,"processes":[null]}\n\u0000\u0000garbage`);
          await startAgent();
          break;
        case 'agent-kill-never':
          await live.agent!.stop('SIGKILL');
          live.agent = null;
          break;
        case 'link-cut':
          // The cable is pulled: no FIN, no RST, packets just go nowhere. The agent's heartbeat drops the link after
          // three missed pongs, its dead man's switch resumes after the grace; its dials fail until the cable is back.
          lan!.setNodeLink('agent', false);
          linkDown = true;
          if (s.linkCutMs !== null) {
            await sleep(s.linkCutMs);
            restoreLink();
          }
          break;
        case 'link-silent': {
          // The link goes silent: the coordinator (ours) hangs for 1–3 s, then goes on. Past the agent's 3 missed
          // heartbeats (0.75 s) and its grace (2 s), the agent resumes that coordinator's faults itself.
          const pid = live.coordinator!.child.pid!;
          process.kill(pid, 'SIGSTOP');
          try {
            await sleep(1000 + Math.floor(rand() * 2000));
          } finally {
            process.kill(pid, 'SIGCONT');
          }
          break;
        }
        case 'coordinator-kill-restart':
          await live.coordinator!.stop('SIGKILL');
          await sleep(300);
          await startCoordinator();
          break;
        case 'abort':
          if (runId !== null) await live.coordinator!.api('POST', `/v1/runs/${runId}/abort`);
          break;
        case 'overlap': {
          // A second SIGSTOP on the same target straight to the agent, with its own lease (shorter or longer).
          if (live.agent === null) break;
          const lease = Math.round(s.leaseMs * (0.5 + rand()));
          const r = await live.agent.api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { pids: [target.pid!] }, leaseSeconds: lease / 1000 });
          if (r.status !== 201) fail(`overlapping fault: ${r.status} ${JSON.stringify(r.body)}`);
          else if (r.body.result !== 'ok') fail(`overlapping fault: ${r.body.result}`);
          holds.push({ createdBy: Date.now(), leaseMs: lease });
          break;
        }
        case 'sigcont':
          if (live.agent !== null) await live.agent.api('POST', '/v1/faults', { signal: 'SIGCONT', target: { pids: [target.pid!] } });
          break;
        case 'target-exits': {
          // One of the target's processes dies mid-fault (ours, by PID).
          const child = (await observer.report()).find((p) => p.root === target.pid && p.pid !== target.pid && p.state !== null);
          if (child) process.kill(child.pid, 'SIGKILL');
          break;
        }
      }
    }

    // Past the last bound: everything must run again by then.
    const bound = Math.max(...holds.map((h) => h.createdBy + h.leaseMs)) + WATCHDOG_GRACE_MS + TOLERANCE_MS;
    await sleep(Math.max(0, bound - Date.now()) + 100);
    const seen = await observer.report();
    const bystanderPids = new Set(seen.filter((p) => p.root === bystander.pid).map((p) => p.pid));
    let longestStopMs = 0;
    let lastStopEnd = 0;
    for (const p of seen) {
      if (bystanderPids.has(p.pid)) {
        if (p.stops.length > 0) fail(`bystander pid ${p.pid} was stopped`);
        continue;
      }
      for (const [from, to] of p.stops) {
        longestStopMs = Math.max(longestStopMs, to - from);
        lastStopEnd = Math.max(lastStopEnd, to);
        if (to > bound) fail(`pid ${p.pid} stopped until ${to - bound} ms past lease + grace`);
      }
      if (p.state === 'T' || p.state === 't') fail(`pid ${p.pid} still stopped at the end`);
    }
    if (readFileSync(trapFile, 'utf8') !== '') fail(`the bystander was signalled: ${readFileSync(trapFile, 'utf8').trim()}`);

    // A cable left out for the whole fault goes back in now; the agent must find its way back to the coordinator.
    if (lan !== null) {
      restoreLink();
      const since = linkRestoredAt!;
      try {
        await waitFor(async () => ((await live.coordinator!.api('GET', '/v1/agents', undefined, 2000)).body.agents ?? []).some((a: { connectedAt: number }) => a.connectedAt >= since), 30000, 'the agent back on the coordinator');
        const agents = (await live.coordinator!.api('GET', '/v1/agents')).body.agents as Array<{ connectedAt: number }>;
        reconnectMs = Math.max(...agents.map((a) => a.connectedAt)) - since;
      } catch {
        fail('the agent never came back after the link was restored');
      }
    }

    // Verdicts against what the observer saw.
    for (const { what, fault } of verdicts) {
      if (fault.result !== 'ok') fail(`${what}: result ${fault.result}`);
      for (const t of fault.targets) {
        for (const proc of t.processes) {
          if (!proc.ok || !proc.verified || proc.alreadyGone || proc.exited) continue;
          const rec = seen.find((r) => r.pid === proc.pid && r.startTime === proc.startTime);
          if (!rec || rec.stops.length === 0) fail(`${what}: pid ${proc.pid} verified stopped, never seen stopped (${JSON.stringify(proc)})`);
        }
      }
    }

    // An agent for the journal check: the one never restarted comes back now (its watchdog already resumed).
    if (live.agent === null) await startAgent();
    await waitFor(async () => (await live.agent!.api('GET', '/v1/faults?state=active')).body.faults?.length === 0, 5000, 'no active fault').catch(() => fail('faults still active at the end'));
    const open = new Journal(agentDir).pending();
    if (open.length > 0) fail(`journal: ${open.length} stop(s) left open: ${open.map((o) => o.faultId).join(', ')}`);

    // The coordinator's record of an immediate fault agrees with the agent: nothing it calls active once all ended
    // (a fault the agent ended while the link was out reaches the coordinator after the reconnect).
    if (s.path === 'coordinator' && live.coordinator !== null) {
      let stale: string[] = [];
      await waitFor(async () => {
        const faults = ((await live.coordinator!.api('GET', '/v1/faults')).body.faults ?? []) as Array<{ parts: Array<{ fault: { id: string; state: string } }> }>;
        stale = faults.flatMap((f) => f.parts.filter((p) => p.fault.state === 'active').map((p) => p.fault.id));
        return stale.length === 0;
      }, 5000, 'the coordinator to record every fault ended').catch(() => fail(`coordinator record: fault(s) ${stale.join(', ')} still active after the agent ended them`));
    }

    if (runId !== null) {
      const final = ['passed', 'failed', 'aborted', 'interrupted'];
      let status = '';
      await waitFor(async () => final.includes((status = (await live.coordinator!.api('GET', `/v1/runs/${runId}`)).body.status)), 15000, 'the run to end').catch(() => fail(`run status ${status}`));
      const events = await live.coordinator!.api('GET', `/v1/runs/${runId}/events?follow=false`);
      const text = typeof events.body === 'string' ? events.body : JSON.stringify(events.body);
      if (!text.includes('event: fault')) fail('the run record lost its fault');
      for (const m of text.matchAll(/event: fault\ndata: (.*)/g)) {
        const e = JSON.parse(m[1]!) as { signal?: string; result?: string; endedEarly?: boolean };
        if (e.signal === 'SIGSTOP' && e.result !== undefined && e.result !== 'ok') fail(`drill fault result ${e.result}`);
      }
    }
    const leaseEnd = Math.max(...holds.map((h) => h.createdBy + h.leaseMs));
    return { scenario: s, failures, longestStopMs, pastLeaseMs: Math.max(0, lastStopEnd - leaseEnd), durationMs: Date.now() - started, reconnectMs };
  } finally {
    await live.agent?.stop('SIGTERM');
    await live.coordinator?.stop('SIGTERM');
    for (const c of spawned) if (c.pid !== undefined) killTree(c.pid);
    await observer.close();
    // A watchdog this scenario left (its agent SIGKILLed) has exited by now; if not, it is ours: end it by its PID.
    const wdFile = join(agentDir, 'watchdog.pid');
    if (existsSync(wdFile)) {
      const { pid, startTime } = JSON.parse(readFileSync(wdFile, 'utf8')) as { pid: number; startTime: string };
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] === startTime) process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    lan?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe(`fault matrix (${SCENARIOS} scenarios, seed ${SEED})`, () => {
  const outcomes: Outcome[] = [];
  after(() => {
    const failed = outcomes.filter((o) => o.failures.length > 0);
    const cuts = outcomes.filter((o) => o.scenario.perturbations.includes('link-cut'));
    const lines = [
      `fault matrix: ${outcomes.length} scenarios, seed ${SEED}, ${failed.length} failed`,
      ...outcomes.map((o) => `  #${o.scenario.id} ${o.scenario.path} ${o.scenario.workload} lease ${o.scenario.leaseMs} ms [${o.scenario.perturbations.map((p) => (p === 'link-cut' ? `link-cut ${o.scenario.linkCutMs === null ? 'past the fault' : `${o.scenario.linkCutMs} ms`}` : p)).join(', ')}${o.scenario.journalDamage ? ', journal-damage' : ''}] → ${o.failures.length === 0 ? 'ok' : o.failures.join('; ')} (longest stop ${o.longestStopMs} ms, ${o.pastLeaseMs} ms past lease${o.reconnectMs === null ? '' : `, back ${o.reconnectMs} ms after the link`}, ${(o.durationMs / 1000).toFixed(1)} s)`),
      `link cuts: ${cuts.length} (${cuts.filter((o) => o.scenario.linkCutMs === null).length} past the fault's end), ${cuts.filter((o) => o.failures.length > 0).length} failed; slowest reconnect after the link came back ${Math.max(0, ...cuts.map((o) => o.reconnectMs ?? 0))} ms`,
      `worst: longest stop ${Math.max(0, ...outcomes.map((o) => o.longestStopMs))} ms; latest resume past a lease's end ${Math.max(0, ...outcomes.map((o) => o.pastLeaseMs))} ms (bound: watchdog grace ${WATCHDOG_GRACE_MS} ms + ${TOLERANCE_MS} ms tolerance)`,
    ];
    for (const l of lines) console.log(`# ${l}`);
  });

  const rand = random(SEED);
  const scenarios = Array.from({ length: SCENARIOS }, (_, i) => plan(i + 1, rand));
  for (const s of scenarios) {
    it(`#${s.id} ${s.path} (${s.workload}, lease ${s.leaseMs} ms): ${s.perturbations.join(' + ')}${s.journalDamage ? ' + damaged journal' : ''}`, async () => {
      const outcome = await runScenario(s, random(`${SEED}/${s.id}`));
      outcomes.push(outcome);
      assert.deepEqual(outcome.failures, []);
    });
  }
});

// The same invariants on a real containerd: a container whose shell loop keeps forking, hung by `signal` or by the
// v1 `freezer`, an exec started into it mid-fault, and the agent SIGKILLed (never restarted: its watchdog resumes or
// thaws; or restarted on a damaged journal: the journal does). The observer reads the container's cgroup.procs (an
// exec joins it from outside the init's tree) and, for the freezer, the cgroup's freezer.state.
describe('fault matrix on containerd', { skip: testbedSkipReason(['containerd', 'ctr', 'runc']) }, () => {
  let bed: ContainerdTestbed;
  const outcomes: Array<{ name: string; failures: string[]; longestStopMs: number; pastLeaseMs: number }> = [];
  after(async () => {
    await bed?.stop();
    for (const o of outcomes) console.log(`# containerd ${o.name} → ${o.failures.length === 0 ? 'ok' : o.failures.join('; ')} (longest hold ${o.longestStopMs} ms, ${o.pastLeaseMs} ms past lease)`);
  });

  const cgroupDir = (controller: string, pid: number): string => {
    const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller))!;
    return `/sys/fs/cgroup/${controller}${line.split(':')[2]!}`;
  };

  it('signal + the container replaced mid-fault (kubelet restarts it): the new container is never stopped, the old fault ends by its lease', async () => {
    bed ??= await startContainerd({ name: 'matrix' });
    const pod = 'matrix-replaced';
    const dir = mkdtempSync(join(tmpdir(), 'eris-matrix-replaced-'));
    const agentDir = join(dir, 'agent');
    const failures: string[] = [];
    const observer = new ProcObserver();
    let agent: ErisProcess | null = null;
    const leaseMs = 2000;
    try {
      await bed.cri.runPod({ name: pod, namespace: 'matrix', labels: { app: pod }, containers: [{ name: 'loop', command: ['sh', '-c', 'while :; do sleep 0 & sleep 0 & wait; done'] }] });
      agent = await startAgentProcess(['--state-dir', agentDir, '--cri-socket', bed.socket, '--inventory-interval', '0.5', '--watchdog-grace', String(WATCHDOG_GRACE_MS / 1000)], TOKEN);
      const r = await agent.api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { selector: { namespace: 'matrix', pod: `^${pod}$` } }, leaseSeconds: leaseMs / 1000 });
      const placedBy = Date.now();
      if (r.status !== 201 || r.body.result !== 'ok') failures.push(`fault: ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
      const oldDir = cgroupDir('pids', r.body.targets[0].processes[0].pid);
      observer.watchCgroup(oldDir);
      await sleep(300);
      // The runtime kills the stopped container and starts a new one (a new cgroup, new processes).
      const newId = await bed.cri.restartContainer(pod, 'loop');
      const status = await bed.ctr(['tasks', 'ls']);
      const newInit = Number(new RegExp(`${newId}\\s+(\\d+)`).exec(status.stdout)?.[1]);
      if (!(newInit > 0)) failures.push(`no task for the new container: ${status.stdout}`);
      else observer.watchCgroup(cgroupDir('pids', newInit));
      const bound = placedBy + leaseMs + WATCHDOG_GRACE_MS + TOLERANCE_MS;
      await sleep(Math.max(0, bound - Date.now()) + 100);
      const seen = await observer.report();
      for (const p of seen) {
        const isNew = p.root !== oldDir;
        for (const [, to] of p.stops) {
          if (isNew) failures.push(`pid ${p.pid} of the new container was stopped`);
          if (to > bound) failures.push(`pid ${p.pid} stopped until ${to - bound} ms past lease + grace`);
        }
        if (p.state === 'T') failures.push(`pid ${p.pid} still stopped at the end`);
      }
      const fault = (await agent.api('GET', `/v1/faults/${r.body.id}`)).body;
      if (fault.state !== 'resumed') failures.push(`the old fault is ${fault.state}`);
      if ((fault.targets[0].processes as any[]).some((p) => p.appearedLater)) failures.push('the hold stopped a process of another container');
      if (new Journal(agentDir).pending().length > 0) failures.push('journal: a stop left open');
      assert.deepEqual(failures, []);
    } finally {
      await agent?.stop('SIGTERM');
      await observer.close();
      await bed.cri.removePod(pod).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Drawn from the seed like the host scenarios: 4 a round, each a method × how the agent dies; the first round is
  // forced to hold every combination once, so the default run still covers them all.
  const containerRand = random(`${SEED}/containerd`);
  const combos = (['signal', 'freezer'] as const).flatMap((method) => (['agent-kill-never', 'agent-kill-restart'] as const).map((kill) => ({ method, kill })));
  const cases = Array.from({ length: CONTAINER_ROUNDS }, (_, round) =>
    round === 0
      ? shuffle(combos, containerRand).map((c) => ({ ...c, round, leaseMs: 1500 + Math.floor(containerRand() * 1000) }))
      : combos.map(() => ({ ...combos[Math.floor(containerRand() * combos.length)]!, round, leaseMs: 1500 + Math.floor(containerRand() * 1000) })),
  ).flat();
  let n = 0;
  for (const c of cases) {
    const name = `${c.method} + exec + ${c.kill}${c.kill === 'agent-kill-restart' ? ' + damaged journal' : ''}, lease ${c.leaseMs} ms${CONTAINER_ROUNDS > 1 ? ` (round ${c.round + 1})` : ''}`;
    it(name, async () => {
      bed ??= await startContainerd({ name: 'matrix' });
      const pod = `matrix-${++n}`;
      const dir = mkdtempSync(join(tmpdir(), `eris-matrix-ctr-${n}-`));
      const agentDir = join(dir, 'agent');
      const failures: string[] = [];
      const observer = new ProcObserver();
      const args = ['--state-dir', agentDir, '--cri-socket', bed.socket, '--inventory-interval', '0.5', '--watchdog-grace', String(WATCHDOG_GRACE_MS / 1000)];
      let agent: ErisProcess | null = null;
      let exec: ChildProcess | null = null;
      const leaseMs = c.leaseMs;
      let longestStopMs = 0;
      let pastLeaseMs = 0;
      let freezerDir: string | null = null;
      try {
        await bed.cri.runPod({ name: pod, namespace: 'matrix', labels: { app: pod }, containers: [{ name: 'loop', command: ['sh', '-c', 'while :; do sleep 0 & sleep 0 & wait; done'] }] });
        agent = await startAgentProcess(args, TOKEN);
        const r = await agent.api('POST', '/v1/faults', { signal: 'SIGSTOP', target: { selector: { namespace: 'matrix', pod: `^${pod}$` } }, method: c.method, leaseSeconds: leaseMs / 1000 });
        const placedBy = Date.now();
        if (r.status !== 201 || r.body.result !== 'ok') failures.push(`fault: ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
        const init = r.body.targets?.[0]?.processes?.[0]?.pid as number;
        const containerId = r.body.targets?.[0]?.container?.id as string;
        freezerDir = cgroupDir('freezer', init);
        observer.watchCgroup(cgroupDir('pids', init), c.method === 'freezer' ? freezerDir : null);
        await sleep(300);
        exec = spawn('ctr', ['-a', bed.socket, '-n', 'k8s.io', 'tasks', 'exec', '--exec-id', `x${n}`, containerId, 'sh', '-c', 'sleep 0.3'], { stdio: 'ignore' });
        await sleep(300);
        await agent.stop('SIGKILL');
        agent = null;
        if (c.kill === 'agent-kill-restart') {
          appendFileSync(join(agentDir, 'journal.jsonl'), `{"op":"stop","faultId":"torn\nnull\n{"op":"stop","faultId":"bad","at":1,"leaseExpiresAt":2,"processes":[null]}\n`);
          agent = await startAgentProcess(args, TOKEN);
        }
        const bound = placedBy + leaseMs + WATCHDOG_GRACE_MS + TOLERANCE_MS;
        await sleep(Math.max(0, bound - Date.now()) + 100);
        const seen = await observer.report();
        for (const p of seen) {
          for (const [from, to] of p.stops) {
            longestStopMs = Math.max(longestStopMs, to - from);
            pastLeaseMs = Math.max(pastLeaseMs, to - (placedBy + leaseMs));
            if (to > bound) failures.push(`pid ${p.pid} held until ${to - bound} ms past lease + grace`);
          }
          if (p.state === 'T' || p.state === 'frozen') failures.push(`pid ${p.pid} still held (${p.state}) at the end`);
        }
        if (readFileSync(`${freezerDir!}/freezer.state`, 'utf8').trim() !== 'THAWED') failures.push('the container is still frozen');
        for (const t of r.body.targets ?? []) {
          for (const proc of t.processes) {
            if (!proc.ok || !proc.verified || proc.alreadyGone || proc.exited) continue;
            const rec = seen.find((x) => x.pid === proc.pid && x.startTime === proc.startTime);
            if (rec !== undefined && rec.stops.length === 0) failures.push(`pid ${proc.pid} verified held, never seen held`);
          }
        }
        agent ??= await startAgentProcess(args, TOKEN);
        const open = new Journal(agentDir).pending();
        if (open.length > 0) failures.push(`journal: ${open.length} stop(s) left open`);
        outcomes.push({ name, failures, longestStopMs, pastLeaseMs });
        assert.deepEqual(failures, []);
      } finally {
        if (exec !== null && exec.exitCode === null) exec.kill('SIGKILL');
        await agent?.stop('SIGTERM');
        await observer.close();
        // Thawed before removal, whatever happened above (our container's cgroup): a frozen task cannot take the kill.
        if (freezerDir !== null) {
          try {
            writeFileSync(`${freezerDir}/freezer.state`, 'THAWED');
          } catch {
            // gone
          }
        }
        await bed.cri.removePod(pod).catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
