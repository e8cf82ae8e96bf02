// The SDK against a real coordinator and host-mode agent: every call, typed events from the SSE stream, errors
// that keep the server's code/path/status, and connection failures that name the URL.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { ErisApiError, ErisClient, ErisError, TimeoutError, UnavailableError, readSse, type RunEvent } from '../sdk/index.js';
import { freePort } from './harness/ports.js';
import { isRunning, procState, waitFor } from './harness/processes.js';
import { conformanceOf, conformingFetch } from './harness/openapi-conformance.js';
import { sampleDrillYaml, startSampleCluster, stoppedMembers, type SampleCluster } from './cli-harness.js';
import { parse } from 'yaml';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(encoder.encode(c));
      controller.close();
    },
  });
}

describe('readSse', () => {
  it('parses events split anywhere, CRLF and CR line ends, comments, multi-line data', async () => {
    const text = ': hello\r\nevent: step\r\nid: 1\r\ndata: {"a":\r\ndata: 1}\r\n\r\nevent: ping\rdata: {}\r\rdata: plain\n\n';
    for (const size of [1, 2, 3, 7, text.length]) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      const got = [];
      for await (const m of readSse(streamOf(chunks))) got.push(m);
      assert.deepEqual(
        got,
        [
          { event: 'step', id: '1', data: '{"a":\n1}' },
          { event: 'ping', id: null, data: '{}' },
          { event: 'message', id: null, data: 'plain' },
        ],
        `chunk size ${size}`,
      );
    }
  });

  it('drops a message the stream cut off before its blank line', async () => {
    const got = [];
    for await (const m of readSse(streamOf(['event: run\ndata: {}\n\nevent: step\ndata: {"x":1}']))) got.push(m.event);
    assert.deepEqual(got, ['run']);
  });
});

describe('ErisClient against a coordinator and a host-mode agent', () => {
  let cluster: SampleCluster;
  let client: ErisClient;

  before(async () => {
    cluster = await startSampleCluster('sdk');
    // Every answer the SDK gets is checked against the coordinator's OpenAPI document.
    client = new ErisClient({ baseUrl: cluster.url, token: cluster.token, fetch: conformingFetch });
  });
  after(async () => {
    if (cluster) await (await conformanceOf(cluster.url)).settle();
    await cluster?.close();
  });

  it('answers version, health, agents, targets', async () => {
    const version = await client.version();
    assert.match(version.version, /^\d+\.\d+\.\d+/);
    assert.equal(version.coordinatorId, cluster.coordinator.coordinatorId);
    const health = await new ErisClient({ baseUrl: `${cluster.url}/` }).health();
    assert.deepEqual(health, { status: 'ok', version: version.version, agents: 1 });
    const agents = await client.agents();
    assert.equal(agents.length, 1);
    assert.equal(agents[0]!.id, 'lab/node-1');
    assert.equal(agents[0]!.hostProcesses, true);
    assert.deepEqual(await client.targets({ namespace: 'no-such-namespace' }), []);
  });

  it('previews a selection: same seed, same pick; nothing is touched', async () => {
    const group = { processes: { cmdline: `--tag ${cluster.tag}` }, count: 1, seed: 'preview' };
    const a = await client.preview(group);
    const b = await client.preview(group);
    assert.equal(a.matched.length, 3);
    assert.equal(a.picked.length, 1);
    assert.equal(a.picked[0]!.kind, 'process');
    assert.equal(a.picked[0]!.pid, b.picked[0]!.pid);
    assert.equal(a.seed, 'preview');
    assert.deepEqual(stoppedMembers(cluster), []);
  });

  it('turns an error answer into ErisApiError with code, message, path and status', async () => {
    await assert.rejects(client.preview({ processes: { cmdline: '(' } }), (e: unknown) => {
      assert.ok(e instanceof ErisApiError);
      assert.ok(e instanceof ErisError);
      assert.equal(e.status, 400);
      assert.equal(e.code, 'ERIS_ERR_VALIDATION');
      assert.match(e.path ?? '', /^target\.processes\.cmdline/);
      assert.equal(e.request, 'POST /v1/selections');
      return true;
    });
    await assert.rejects(client.preview({ processes: { cmdline: 'no-such-process-xyz-123' } }), { name: 'ErisApiError', status: 422, code: 'ERIS_ERR_NO_TARGETS' });
    await assert.rejects(client.runs.get('no-such-run'), { status: 404, code: 'ERIS_ERR_NOT_FOUND', path: 'id' });
    await assert.rejects(new ErisClient({ baseUrl: cluster.url }).agents(), { status: 401, code: 'ERIS_ERR_UNAUTHORIZED' });
    await assert.rejects(new ErisClient({ baseUrl: cluster.url, token: 'wrong' }).version(), { status: 401 });
  });

  it('turns a refused connection into UnavailableError naming the URL, and a silent server into TimeoutError', async () => {
    const port = await freePort();
    await assert.rejects(new ErisClient({ baseUrl: `http://127.0.0.1:${port}`, token: 't' }).agents(), (e: unknown) => {
      assert.ok(e instanceof UnavailableError);
      assert.equal(e.code, 'ERIS_ERR_UNAVAILABLE');
      assert.ok(e.message.includes(`http://127.0.0.1:${port}`), e.message);
      assert.match(e.message, /ECONNREFUSED/);
      assert.ok(e.cause, 'the cause is kept');
      return true;
    });
    const silent: Server = createServer(() => {
      // never answers
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const { port: p } = silent.address() as { port: number };
      await assert.rejects(new ErisClient({ baseUrl: `http://127.0.0.1:${p}`, timeoutMs: 200 }).health(), (e: unknown) => e instanceof TimeoutError && e.message.includes(`127.0.0.1:${p}`));
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
    assert.throws(() => new ErisClient({ baseUrl: 'ftp://x' }), /baseUrl/);
  });

  it('places, lists, gets and resumes an immediate fault', async () => {
    const fault = await client.faults.create({ target: { processes: { cmdline: `--name m0 .*--tag ${cluster.tag}` } }, signal: 'stop', lease: '30s' });
    assert.equal(fault.signal, 'SIGSTOP');
    const pid = fault.parts[0]!.fault.targets[0]!.processes[0]!.pid;
    try {
      assert.equal(procState(pid), 'T');
      assert.ok((await client.faults.list()).some((f) => f.id === fault.id));
      assert.equal((await client.faults.get(fault.id)).parts[0]!.fault.state, 'active');
      const resumed = await client.faults.resume(fault.id);
      assert.equal(resumed.parts[0]!.fault.state, 'resumed');
      assert.equal(resumed.resume.confirmed, true);
      assert.deepEqual(resumed.resume.parts[0]!.processes.map((p) => [p.pid, p.seen]), [[pid, 'running']]);
      await waitFor(() => isRunning(pid), 2000, 'resumed');
      await assert.rejects(client.faults.get('nope'), { status: 404 });
    } finally {
      await client.faults.resume(fault.id).catch(() => undefined);
    }
  });

  it('stores drills from YAML text and from objects; lists, gets, deletes them', async () => {
    const yaml = sampleDrillYaml(cluster, { name: 'sdk-stored' });
    const saved = await client.drills.save(yaml);
    assert.equal(saved.name, 'sdk-stored');
    const fromObject = await client.drills.save({ ...(parse(yaml) as Record<string, unknown>), metadata: { name: 'sdk-object' } });
    assert.equal(fromObject.name, 'sdk-object');
    const names = (await client.drills.list()).map((d) => d.name);
    assert.ok(names.includes('sdk-stored') && names.includes('sdk-object'));
    const stored = await client.drills.get('sdk-stored');
    assert.equal(stored.yaml, yaml, 'the YAML is kept as written');
    assert.deepEqual(await client.drills.delete('sdk-object'), { deleted: 'sdk-object' });
    await assert.rejects(client.drills.get('sdk-object'), { status: 404 });
    await assert.rejects(client.drills.save('apiVersion: nope\n'), { status: 400, code: 'ERIS_ERR_VALIDATION', path: 'apiVersion' });
  });

  it('previews a run (dryRun) without touching anything', async () => {
    const preview = await client.runs.start({ drill: 'sdk-stored' }, { dryRun: true });
    assert.equal(preview.dryRun, true);
    assert.equal(preview.groups.member!.wanted, 1);
    assert.equal(preview.groups.all!.matched, 3);
    assert.equal(preview.groups.member!.picked[0]!.kind, 'process');
    assert.match(preview.groups.member!.picked[0]!.key, /^lab\/node-1\//);
    assert.deepEqual(stoppedMembers(cluster), []);
  });

  it('follows a run through typed events until it ends, and fetches its reports', async () => {
    await cluster.healthy();
    const run = await client.runs.start({ drill: 'sdk-stored' }, { seed: 7 });
    assert.equal(run.status, 'running');
    const events: RunEvent[] = [];
    for await (const e of client.runs.events(run.id)) events.push(e);
    const types = new Set(events.map((e) => e.type));
    for (const t of ['run', 'step', 'selection', 'fault', 'probe', 'timeline', 'resumed'] as const) assert.ok(types.has(t), `saw ${t}`);
    const last = events.at(-1)!;
    assert.equal(last.type, 'run');
    if (last.type !== 'run' || last.data.status === 'running') throw new Error('the last event ends the run');
    assert.equal(last.data.status, 'passed', JSON.stringify(last.data.report.steps));
    const seqs = events.filter((e) => e.type !== 'ping').map((e) => e.seq!);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in order');
    assert.equal(new Set(seqs).size, seqs.length, 'no duplicates');
    const first = events[0]!;
    assert.ok(first.type === 'run' && first.data.status === 'running' && first.data.seed === '7');
    const probe = events.find((e) => e.type === 'probe');
    assert.ok(probe && probe.type === 'probe' && typeof probe.data.ok === 'boolean' && typeof probe.data.at === 'number');

    // Replay after a sequence number: only what came later.
    const after = seqs[seqs.length - 3]!;
    const tail: RunEvent[] = [];
    for await (const e of client.runs.events(run.id, { after })) tail.push(e);
    assert.deepEqual(tail.map((e) => e.seq), seqs.slice(-2));

    const report = await client.runs.report(run.id);
    assert.equal(report.status, 'passed');
    assert.equal(report.seed, '7');
    assert.equal(report.timeline.length, 1);
    assert.ok(report.timeline[0]!.timeToRecoverMs! > 0);
    const junit = await client.runs.report(run.id, 'junit');
    assert.match(junit, /^<\?xml/);
    assert.match(junit, /<testsuite name="sample-node-failure"|<testsuite name="sdk-stored"/);
    const listed = await client.runs.list({ drill: 'sdk-stored', status: 'passed', limit: 5 });
    assert.ok(listed.some((r) => r.id === run.id));
    assert.equal((await client.runs.get(run.id)).result?.status, 'passed');
    await assert.rejects(client.runs.abort(run.id), { status: 409, code: 'ERIS_ERR_CONFLICT' });
  });

  it('waits for a run, and an abort resumes what it stopped', async () => {
    await cluster.healthy();
    const spec = {
      apiVersion: 'eris.dev/v1alpha1',
      kind: 'Drill',
      metadata: { name: 'sdk-abort' },
      spec: {
        targets: { member: { processes: { cmdline: `--name m1 .*--tag ${cluster.tag}` } } },
        steps: [{ signal: 'SIGSTOP', target: 'member', lease: '60s' }, { sleep: '60s' }],
      },
    };
    const run = await client.runs.start({ spec });
    const seen: string[] = [];
    const waiting = client.runs.wait(run.id, {
      onEvent: (e) => {
        seen.push(e.type);
        if (e.type === 'fault') client.runs.abort(run.id).catch(() => undefined);
      },
    });
    const report = await waiting;
    assert.equal(report.status, 'aborted');
    assert.equal(report.resumed.faults, 1);
    assert.ok(seen.includes('resumed'));
    await waitFor(() => stoppedMembers(cluster).length === 0, 2000, 'nothing left stopped');
  });

  it('stops following when the caller aborts', async () => {
    await cluster.healthy();
    const spec = {
      apiVersion: 'eris.dev/v1alpha1',
      kind: 'Drill',
      metadata: { name: 'sdk-sleep' },
      spec: { targets: { member: { processes: { cmdline: `--tag ${cluster.tag}` } } }, steps: [{ sleep: '30s' }] },
    };
    const run = await client.runs.start({ spec });
    const stop = new AbortController();
    const got: string[] = [];
    try {
      await assert.rejects(
        (async () => {
          for await (const e of client.runs.events(run.id, { signal: stop.signal })) {
            got.push(e.type);
            if (e.type === 'step') stop.abort(new Error('enough'));
          }
        })(),
        /enough/,
      );
      assert.ok(got.includes('step'));
    } finally {
      await client.runs.abort(run.id);
      await client.runs.wait(run.id);
    }
  });
});
