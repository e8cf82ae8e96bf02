// Probes against real local HTTP and HTTPS servers: status, jq verdicts, timeouts, refused connections, TLS, waitFor.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ValidationError } from '../lib/errors.js';
import { JqPool } from '../coordinator/probes/jq.js';
import { ProbeRunner, type ProbeResult } from '../coordinator/probes/runner.js';
import { ProbePolicy } from '../coordinator/probes/policy.js';
import { parseProbeSpec, renderProbe, validateProbe, type ProbeSpecInput, type RenderedProbe } from '../coordinator/probes/spec.js';
import { findExecutable } from './harness/requirements.js';

interface Answer {
  status?: number;
  body?: string;
  /** Wait before sending the headers. */
  delayMs?: number;
  /** Send the headers, then wait this long before the body. */
  bodyDelayMs?: number;
  contentType?: string;
}

type Handler = (req: http.IncomingMessage, body: string) => Answer;

/** A real server on 127.0.0.1 whose answers the test sets per path. */
function startServer(routes: Map<string, Handler>, tls?: { key: string; cert: string }): Promise<http.Server> {
  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const handler = routes.get(path);
      const answer = handler ? handler(req, Buffer.concat(chunks).toString('utf8')) : { status: 404, body: '{"error":"no route"}' };
      const send = () => {
        res.writeHead(answer.status ?? 200, { 'content-type': answer.contentType ?? 'application/json' });
        if (answer.bodyDelayMs) {
          res.flushHeaders();
          setTimeout(() => res.end(answer.body ?? ''), answer.bodyDelayMs).unref();
        } else {
          res.end(answer.body ?? '');
        }
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
      else send();
    });
  };
  const server = tls ? https.createServer(tls, handle) : http.createServer(handle);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function stopServer(server: http.Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

const port = (server: http.Server) => (server.address() as AddressInfo).port;

describe('ProbeRunner on a real HTTP server', () => {
  const routes = new Map<string, Handler>();
  let server: http.Server;
  let base: string;
  let pool: JqPool;
  let runner: ProbeRunner;

  const probe = (input: Omit<ProbeSpecInput, 'url'> & { path: string }): RenderedProbe => {
    const { path, ...rest } = input;
    return renderProbe(parseProbeSpec({ url: `${base}${path}`, ...rest }), null);
  };

  before(async () => {
    routes.set('/health', () => ({ body: '{"health":"true","reason":""}' }));
    routes.set('/unhealthy', () => ({ body: '{"health":"false","reason":"RAFT NO LEADER"}' }));
    routes.set('/members', () => ({
      body: JSON.stringify({ members: [{ name: 'etcd-0', healthy: true }, { name: 'etcd-1', healthy: false }, { name: 'etcd-2', healthy: true }] }),
    }));
    routes.set('/members-ok', () => ({ body: JSON.stringify({ members: [{ healthy: true }, { healthy: true }, { healthy: true }] }) }));
    routes.set('/unavailable', () => ({ status: 503, body: '{"health":"false"}' }));
    routes.set('/no-content', () => ({ status: 204 }));
    routes.set('/html', () => ({ status: 200, body: '<html><body>502 Bad Gateway</body></html>', contentType: 'text/html' }));
    routes.set('/slow', () => ({ delayMs: 5_000, body: '{"health":"true"}' }));
    routes.set('/slow-body', () => ({ bodyDelayMs: 5_000, body: '{"health":"true"}' }));
    routes.set('/echo', (req, body) => ({ body: JSON.stringify({ method: req.method, headers: req.headers, body, url: req.url }) }));
    server = await startServer(routes);
    base = `http://127.0.0.1:${port(server)}`;
    pool = new JqPool();
    runner = new ProbeRunner({ jq: pool, policy: new ProbePolicy({ allow: ['loopback'] }) });
  });

  after(async () => {
    await stopServer(server);
    await pool.close();
  });

  it('passes when the status matches and the jq filter emits true', async () => {
    const result = await runner.run(probe({ path: '/health', jq: '.health == "true"' }));
    assert.equal(result.ok, true, result.reason);
    assert.equal(result.status, 200);
    assert.deepEqual(result.output, [true]);
    assert.equal(result.reason, undefined);
    assert.ok(result.latencyMs >= 0 && result.latencyMs < 1_000);
    assert.ok(Math.abs(result.at - Date.now()) < 5_000);
  });

  it('passes on status alone without a jq filter, and accepts a status class', async () => {
    assert.equal((await runner.run(probe({ path: '/health' }))).ok, true);
    const noContent = await runner.run(probe({ path: '/no-content', expectStatus: '2xx' }));
    assert.equal(noContent.ok, true, noContent.reason);
    assert.equal(noContent.status, 204);
  });

  it('fails with "jq output false" when the filter emits false', async () => {
    const result = await runner.run(probe({ path: '/unhealthy', jq: '.health == "true"' }));
    assert.equal(result.ok, false);
    assert.equal(result.status, 200);
    assert.equal(result.reason, 'jq output false');
    assert.deepEqual(result.output, [false]);
  });

  it('fails on a non-boolean output, even one that looks true', async () => {
    const text = await runner.run(probe({ path: '/health', jq: '.health' }));
    assert.equal(text.ok, false);
    assert.equal(text.reason, 'jq output "true"');
    const one = await runner.run(probe({ path: '/health', jq: '1' }));
    assert.equal(one.reason, 'jq output 1');
    const nil = await runner.run(probe({ path: '/health', jq: '.missing' }));
    assert.equal(nil.reason, 'jq output null');
  });

  it('needs every one of several outputs to be true, and at least one output', async () => {
    const mixed = await runner.run(probe({ path: '/members', jq: '.members[] | .healthy' }));
    assert.equal(mixed.ok, false);
    assert.equal(mixed.reason, 'jq output #2 of 3 is false (all must be true)');
    assert.deepEqual(mixed.output, [true, false, true]);
    const allTrue = await runner.run(probe({ path: '/members-ok', jq: '.members[] | .healthy' }));
    assert.equal(allTrue.ok, true, allTrue.reason);
    assert.deepEqual(allTrue.output, [true, true, true]);
    const none = await runner.run(probe({ path: '/members', jq: '.members[] | select(.name == "etcd-9") | .healthy' }));
    assert.equal(none.ok, false);
    assert.equal(none.reason, 'jq produced no output');
    assert.deepEqual(none.output, []);
  });

  it('reports a jq runtime error with jq\'s message', async () => {
    const result = await runner.run(probe({ path: '/health', jq: '.health | .[0]' }));
    assert.equal(result.ok, false);
    assert.equal(result.status, 200);
    assert.equal(result.reason, 'jq error: Cannot index string with number (0)');
    const custom = await runner.run(probe({ path: '/health', jq: 'error("member is learner")' }));
    assert.equal(custom.reason, 'jq error: member is learner');
  });

  it('fails with "body is not JSON" for an HTML answer', async () => {
    const result = await runner.run(probe({ path: '/html', jq: '.health == "true"' }));
    assert.equal(result.ok, false);
    assert.equal(result.status, 200);
    assert.match(result.reason ?? '', /^body is not JSON \(.*starts with "<html><body>502 Bad Gateway/);
    const empty = await runner.run(probe({ path: '/no-content', expectStatus: 204, jq: '.' }));
    assert.equal(empty.reason, 'body is not JSON (empty)');
  });

  it('fails on a status mismatch without running jq', async () => {
    const result = await runner.run(probe({ path: '/unavailable', jq: '.health == "false"' }));
    assert.equal(result.ok, false);
    assert.equal(result.status, 503);
    assert.equal(result.reason, 'status 503 not in [200]');
    assert.equal(result.output, undefined);
    const classes = await runner.run(probe({ path: '/unavailable', expectStatus: [200, '3xx'] }));
    assert.equal(classes.reason, 'status 503 not in [200, 3xx]');
    assert.equal((await runner.run(probe({ path: '/unavailable', expectStatus: '5xx' }))).ok, true);
  });

  it('times out waiting for the headers, and waiting for the body', async () => {
    const headers = await runner.run(probe({ path: '/slow', timeout: '150ms' }));
    assert.equal(headers.ok, false);
    assert.equal(headers.reason, 'timeout after 150 ms');
    assert.equal(headers.status, undefined);
    assert.ok(headers.latencyMs >= 140 && headers.latencyMs < 1_000, `latency ${headers.latencyMs}`);
    const body = await runner.run(probe({ path: '/slow-body', timeout: '150ms', jq: '.health == "true"' }));
    assert.equal(body.ok, false);
    assert.equal(body.reason, 'timeout after 150 ms');
  });

  it('reports a refused connection', async () => {
    const closed = await startServer(new Map());
    const deadPort = port(closed);
    await stopServer(closed);
    const result = await runner.run(renderProbe(parseProbeSpec({ url: `http://127.0.0.1:${deadPort}/health` }), null));
    assert.equal(result.ok, false);
    assert.equal(result.reason, 'connection refused');
    assert.equal(result.status, undefined);
  });

  it('sends method, headers and body with placeholders filled per target', async () => {
    const spec = parseProbeSpec({
      url: `${base}/echo?member={{target.pod}}&ns={{ target.namespace }}`,
      method: 'post',
      headers: { 'x-node': '{{target.node}}', 'x-app': '{{target.labels.app.kubernetes.io/name}}' },
      body: { member: '{{target.pod}}', zone: '{{target.zone}}', n: 3 },
      jq: '.',
    });
    const target = {
      cluster: 'lab',
      namespace: 'db',
      pod: 'etcd-1',
      container: 'etcd',
      node: 'node-b',
      zone: 'zone-a',
      labels: { 'app.kubernetes.io/name': 'etcd' },
    };
    // The echo server answers with what it received; `.` emits it (an object, so the probe itself fails).
    const echo = await runner.run(renderProbe(spec, target, 'probes.member'));
    assert.equal(echo.ok, false);
    const request = echo.output?.[0] as { method: string; url: string; headers: Record<string, string>; body: string };
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/echo?member=etcd-1&ns=db');
    assert.equal(request.headers['x-node'], 'node-b');
    assert.equal(request.headers['x-app'], 'etcd');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.match(request.headers['user-agent'] ?? '', /^eris-probe\//);
    assert.deepEqual(JSON.parse(request.body), { member: 'etcd-1', zone: 'zone-a', n: 3 });
  });

  it('rejects with the signal\'s reason when aborted', async () => {
    const controller = new AbortController();
    const pending = runner.run(probe({ path: '/slow', timeout: '3s' }), controller.signal);
    setTimeout(() => controller.abort(new Error('drill aborted')), 50);
    await assert.rejects(pending, /drill aborted/);
  });

  it('names jq\'s own message when a drill\'s filter does not compile (pool and in-thread)', async () => {
    for (const jq of [pool, undefined]) {
      await assert.rejects(
        validateProbe({ url: `${base}/health`, jq: '.health == "true" |' }, { path: 'probes.etcd', ...(jq ? { jq } : {}) }),
        (error: unknown) => {
          assert.ok(error instanceof ValidationError);
          assert.equal(error.path, 'probes.etcd.jq');
          assert.match(error.message, /^probes\.etcd\.jq: invalid jq filter: jq: error: syntax error, unexpected end of file/);
          assert.match(error.message, /line 1, column \d+/);
          assert.match(error.message, /jq: 1 compile error/);
          return true;
        },
      );
    }
    await assert.rejects(validateProbe({ url: `${base}/health`, jq: '.a | no_such_fn(1)' }, { jq: pool }), /no_such_fn\/1 is not defined/);
    const ok = await validateProbe({ url: `${base}/health`, jq: 'until(false; .)' }, { jq: pool }); // compiled, never run
    assert.equal(ok.jq, 'until(false; .)');
  });

  describe('waitFor', () => {
    /** Answers from a script, one entry per request; the last entry repeats. */
    const scripted = (path: string, healthy: boolean[]) => {
      let i = 0;
      routes.set(path, () => {
        const ok = healthy[Math.min(i++, healthy.length - 1)];
        return { body: JSON.stringify({ health: ok ? 'true' : 'false' }) };
      });
      return () => i;
    };

    it('until fail, consecutive 2: a single failure is not enough', async () => {
      const count = scripted('/flaky-down', [true, true, false, true, false, false, true]);
      const seen: ProbeResult[] = [];
      const outcome = await runner.waitFor(probe({ path: '/flaky-down', jq: '.health == "true"' }), {
        until: 'fail',
        consecutive: 2,
        timeoutMs: 5_000,
        intervalMs: 20,
        onResult: (r) => seen.push(r),
      });
      assert.equal(outcome.reached, true);
      assert.deepEqual(outcome.results.map((r) => r.ok), [true, true, false, true, false, false]);
      assert.equal(seen.length, 6);
      assert.equal(count(), 6);
      assert.ok(outcome.reachedAt !== undefined && outcome.reachedAt >= outcome.results[5]!.at);
      assert.ok(outcome.elapsedMs >= 5 * 20 - 5, `elapsed ${outcome.elapsedMs}`); // 6 starts, 20 ms apart
    });

    it('until pass, consecutive 2, after the service comes back', async () => {
      scripted('/flaky-up', [false, false, true, false, true, true]);
      const outcome = await runner.waitFor(probe({ path: '/flaky-up', jq: '.health == "true"' }), {
        until: 'pass',
        consecutive: 2,
        timeoutMs: 5_000,
        intervalMs: 20,
      });
      assert.equal(outcome.reached, true);
      assert.deepEqual(outcome.results.map((r) => r.ok), [false, false, true, false, true, true]);
      assert.equal(outcome.results[0]!.reason, 'jq output false');
    });

    it('gives up at the deadline', async () => {
      const outcome = await runner.waitFor(probe({ path: '/unhealthy', jq: '.health == "true"' }), {
        until: 'pass',
        timeoutMs: 300,
        intervalMs: 50,
      });
      assert.equal(outcome.reached, false);
      assert.equal(outcome.reachedAt, undefined);
      assert.ok(outcome.results.length >= 3 && outcome.results.length <= 7, `${outcome.results.length} results`);
      // The 300 ms deadline plus room for a busy, shared machine.
      assert.ok(outcome.elapsedMs < 550, `elapsed ${outcome.elapsedMs}`);
    });

    it('abandons a probe still in flight at the deadline instead of overrunning it', async () => {
      const outcome = await runner.waitFor(probe({ path: '/slow', timeout: '2s' }), { until: 'fail', timeoutMs: 200 });
      assert.equal(outcome.reached, false);
      assert.equal(outcome.results.length, 0);
      assert.ok(outcome.elapsedMs >= 195 && outcome.elapsedMs < 600, `elapsed ${outcome.elapsedMs}`);
    });

    it('counts a timeout as a failure (the frozen-member case)', async () => {
      const outcome = await runner.waitFor(probe({ path: '/slow', timeout: '100ms' }), { until: 'fail', timeoutMs: 2_000, consecutive: 2, intervalMs: 10 });
      assert.equal(outcome.reached, true);
      assert.deepEqual(outcome.results.map((r) => r.reason), ['timeout after 100 ms', 'timeout after 100 ms']);
    });

    it('rejects when its signal aborts', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('stop')), 100);
      await assert.rejects(
        runner.waitFor(probe({ path: '/unhealthy', jq: '.health == "true"' }), { until: 'pass', timeoutMs: 5_000, intervalMs: 30, signal: controller.signal }),
        /stop/,
      );
    });

    it('rejects bad options', async () => {
      await assert.rejects(runner.waitFor(probe({ path: '/health' }), { until: 'pass', timeoutMs: 100, consecutive: 0 }), ValidationError);
    });
  });
});

describe('ProbeRunner on a real HTTPS server with a self-signed certificate', { skip: findExecutable('openssl') ? undefined : 'needs openssl' }, () => {
  let dir: string;
  let server: http.Server;
  let pool: JqPool;
  let runner: ProbeRunner;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eris-probes-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: 'ignore' });
    const routes = new Map<string, Handler>([['/health', () => ({ body: '{"health":"true"}' })]]);
    server = await startServer(routes, { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') });
    pool = new JqPool();
    runner = new ProbeRunner({ jq: pool, policy: new ProbePolicy({ allow: ['loopback'] }) });
  });

  after(async () => {
    await stopServer(server);
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const https = (insecureSkipVerify: boolean) =>
    renderProbe(parseProbeSpec({ url: `https://127.0.0.1:${port(server)}/health`, jq: '.health == "true"', insecureSkipVerify }), null);

  it('refuses the certificate by default', async () => {
    const result = await runner.run(https(false));
    assert.equal(result.ok, false);
    assert.equal(result.status, undefined);
    assert.match(result.reason ?? '', /^tls: self[- ]signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)$/);
  });

  it('accepts it with insecureSkipVerify', async () => {
    const result = await runner.run(https(true));
    assert.equal(result.ok, true, result.reason);
    assert.deepEqual(result.output, [true]);
  });

  it('does not let one insecure probe relax the next one (no shared agent)', async () => {
    assert.equal((await runner.run(https(true))).ok, true);
    assert.equal((await runner.run(https(false))).ok, false);
  });
});
