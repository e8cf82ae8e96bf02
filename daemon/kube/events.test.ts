// The Event queue when the API server is slow: a loopback TCP server that accepts and never answers (a TLS
// handshake that never ends). The fault manager's listener must return at once; past the bound, events are dropped
// and counted. The real API server path is test/agent-kube-events.test.ts.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { Registry } from 'prom-client';
import { silentLogger } from '../../lib/logger.js';
import { KubeEventRecorder } from './events.js';
import type { Fault } from '../faults/manager.js';

const fault = (i: number): Fault => ({
  id: `f-${i}`, signal: 'SIGSTOP', scope: 'all', state: 'active', result: 'ok', createdAt: Date.now(), durationMs: 1, leaseSeconds: 30, requestedBy: 'alice',
  targets: [{ kind: 'container', container: { id: `c${i}`, name: 'app', namespace: 'work', pod: `web-${i}`, podUid: `uid-${i}` }, processes: [] }],
});

describe('kubernetes events queue', () => {
  const sockets: Socket[] = [];
  const server = createServer((s) => void sockets.push(s));
  after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });

  it('never waits for the API server: a full queue drops and counts, and a change seen twice is one event', async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const registry = new Registry();
    const recorder = new KubeEventRecorder({ kube: { context: 'x', server: `https://127.0.0.1:${port}`, token: 't', insecureSkipVerify: true }, node: 'n', logger: silentLogger(), registry, queueMax: 2, timeoutMs: 60_000 });
    const t0 = performance.now();
    for (let i = 0; i < 6; i++) recorder.onFault(fault(i));
    recorder.onFault(fault(5)); // the manager reports a fault's change more than once
    const ms = performance.now() - t0;
    assert.ok(ms < 200, `six faults queued in ${ms.toFixed(1)} ms`);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(sockets.length, 1, 'one request at a time, started after the listener returned');
    // Two queued (the first then in flight, never answered), four dropped.
    const text = await registry.getSingleMetricAsString('eris_agent_kube_events_total');
    assert.match(text, /result="dropped"} 4/);
    assert.match(text, /result="sent"} 0/);
  });
});
