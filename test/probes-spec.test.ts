// Probe specs: durations, schema defaults and errors (naming the field), placeholders and rendering.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { ValidationError } from '../lib/errors.js';
import { parseOrThrow } from '../lib/validation.js';
import { duration, formatDuration, parseDuration } from '../coordinator/probes/duration.js';
import { parseProbeSpec, probeUsesTarget, renderProbe, type ProbeTarget } from '../coordinator/probes/spec.js';

const throwsAt = (fn: () => unknown, path: string, message: RegExp) =>
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ValidationError, String(error));
    assert.equal(error.path, path);
    assert.match(error.message, message);
    return true;
  });

describe('durations', () => {
  it('parses units and numbers of seconds to milliseconds', () => {
    const cases: [string | number, number][] = [
      ['500ms', 500], ['2s', 2_000], ['1m30s', 90_000], ['1h', 3_600_000], ['1.5s', 1_500], ['1h2m3s4ms', 3_723_004],
      ['0', 0], [' 2s ', 2_000], ['.5s', 500], [1.5, 1_500], [0, 0], [30, 30_000], [0.0004, 0],
    ];
    for (const [input, ms] of cases) assert.equal(parseDuration(input, 'x'), ms, JSON.stringify(input));
  });

  it('rejects what is not a duration, naming the path', () => {
    throwsAt(() => parseDuration('2', 'probes.a.timeout'), 'probes.a.timeout', /invalid duration "2" \(a string needs a unit/);
    throwsAt(() => parseDuration('1d', 'p'), 'p', /invalid duration "1d": use e\.g\./);
    throwsAt(() => parseDuration('', 'p'), 'p', /invalid duration ""/);
    throwsAt(() => parseDuration('2 s', 'p'), 'p', /invalid duration/);
    throwsAt(() => parseDuration(-1, 'p'), 'p', /invalid duration -1/);
    throwsAt(() => parseDuration(Number.NaN, 'p'), 'p', /invalid duration NaN/);
    throwsAt(() => parseDuration('600h', 'p'), 'p', /too long/); // would overflow setTimeout
  });

  it('is a zod type for other schemas', () => {
    const schema = z.object({ lease: duration });
    assert.deepEqual(parseOrThrow(schema, { lease: '1m' }), { lease: 60_000 });
    assert.throws(() => parseOrThrow(schema, { lease: true }, 'faults'), /^ValidationError: faults\.lease: must be a duration/);
    assert.throws(() => parseOrThrow(schema, { lease: '5 minutes' }, 'faults'), /^ValidationError: faults\.lease: invalid duration "5 minutes"/);
  });

  it('formats back', () => {
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(500), '500ms');
    assert.equal(formatDuration(0), '0s');
  });
});

describe('probe spec schema', () => {
  it('fills the defaults', () => {
    const spec = parseProbeSpec({ url: 'http://127.0.0.1:2379/health' });
    assert.deepEqual(spec, {
      url: 'http://127.0.0.1:2379/health',
      method: 'GET',
      timeout: 2_000,
      interval: 500,
      expectStatus: [200],
      insecureSkipVerify: false,
      redact: false,
    });
  });

  it('normalises methods, statuses and durations', () => {
    const spec = parseProbeSpec({
      url: 'https://es:9200/_cluster/health',
      method: 'head',
      timeout: 1.5,
      interval: '1m',
      expectStatus: ['2XX', 301, '404'],
      insecureSkipVerify: true,
    });
    assert.equal(spec.method, 'HEAD');
    assert.equal(spec.timeout, 1_500);
    assert.equal(spec.interval, 60_000);
    assert.deepEqual(spec.expectStatus, ['2xx', 301, 404]);
    assert.deepEqual(parseProbeSpec({ url: 'http://x', expectStatus: '5xx' }).expectStatus, ['5xx']);
  });

  it('names the field in every error', () => {
    const at = 'probes.etcd';
    throwsAt(() => parseProbeSpec({ url: 'ftp://x/health' }, at), `${at}.url`, /must be an http:\/\/ or https:\/\/ URL, got ftp:/);
    throwsAt(() => parseProbeSpec({ url: 'not a url' }, at), `${at}.url`, /not a valid URL/);
    throwsAt(() => parseProbeSpec({ url: 'http://x', timeout: '2' }, at), `${at}.timeout`, /invalid duration "2"/);
    throwsAt(() => parseProbeSpec({ url: 'http://x', interval: '0s' }, at), `${at}.interval`, /longer than 0 ms/);
    throwsAt(() => parseProbeSpec({ url: 'http://x', method: 'FETCH' }, at), `${at}.method`, /must be one of GET, HEAD/);
    throwsAt(() => parseProbeSpec({ url: 'http://x', expectStatus: 'ok' }, at), `${at}.expectStatus`, /status code like 200/);
    throwsAt(() => parseProbeSpec({ url: 'http://x', expectStatus: [] }, at), `${at}.expectStatus`, /./);
    throwsAt(() => parseProbeSpec({ url: 'http://x', expectStatus: [200, 99] }, at), `${at}.expectStatus[1]`, /status code/);
    throwsAt(() => parseProbeSpec({ url: 'http://x', jq: '  ' }, at), `${at}.jq`, /must not be empty/);
    throwsAt(() => parseProbeSpec({ url: 'http://x', tiemout: '1s' }, at), at, /Unrecognized key.*tiemout/);
    throwsAt(() => parseProbeSpec({ url: 'http://x', headers: { 'bad name': 'v' } }, at), `${at}.headers.bad name`, /header name/);
    throwsAt(() => parseProbeSpec({ url: 'http://x', headers: { 'Content-Length': '3' } }, at), `${at}.headers.Content-Length`, /set by eris/);
    throwsAt(() => parseProbeSpec({ url: 'http://x', headers: { a: 'x\r\nInjected: 1' } }, at), `${at}.headers.a`, /CR, LF/);
  });

  it('rejects contradictory options instead of guessing', () => {
    throwsAt(() => parseProbeSpec({ url: 'http://x', method: 'HEAD', jq: '.ok' }, 'p'), 'p.jq', /HEAD answer has no body/);
    throwsAt(() => parseProbeSpec({ url: 'http://x', method: 'HEAD', body: 'x' }, 'p'), 'p.body', /HEAD request has no body/);
    throwsAt(() => parseProbeSpec({ url: 'http://x', insecureSkipVerify: true }, 'p'), 'p.insecureSkipVerify', /https:\/\/ URLs only/);
  });

  it('checks placeholders when the drill is loaded', () => {
    throwsAt(() => parseProbeSpec({ url: 'http://{{target.host}}:2379/health' }, 'p'), 'p.url', /unknown placeholder \{\{target\.host\}\} \(known: \{\{target\.pod\}\}/);
    throwsAt(() => parseProbeSpec({ url: 'http://{{pod}}/' }, 'p'), 'p.url', /unknown placeholder \{\{pod\}\}/);
    throwsAt(() => parseProbeSpec({ url: 'http://{{target.pod}/' }, 'p'), 'p.url', /malformed placeholder/);
    throwsAt(() => parseProbeSpec({ url: 'http://x', headers: { h: '{{target.nod}}' } }, 'p'), 'p.headers.h', /unknown placeholder/);
    throwsAt(() => parseProbeSpec({ url: 'http://x', method: 'POST', body: { a: ['{{target.podd}}'] } }, 'p'), 'p.body.a[0]', /unknown placeholder/);
  });
});

describe('rendering probes for a target', () => {
  const target: ProbeTarget & { podUid: string; state: string } = {
    cluster: 'lab east',
    namespace: 'db',
    pod: 'etcd-0',
    container: 'etcd',
    node: 'node-a',
    zone: null,
    labels: { app: 'etcd', 'app.kubernetes.io/instance': 'main' },
    podUid: 'u-1',
    state: 'running',
  };

  it('fills every known placeholder, URL-encoding in the URL only', () => {
    const spec = parseProbeSpec({
      url: 'http://{{target.pod}}.{{target.namespace}}.svc:2379/health?c={{target.cluster}}&n={{target.node}}&k={{target.container}}&l={{target.labels.app.kubernetes.io/instance}}',
      method: 'PUT',
      headers: { 'X-Cluster': '{{target.cluster}}' },
      body: 'member={{target.pod}}',
    });
    assert.equal(probeUsesTarget(spec), true);
    const rendered = renderProbe(spec, target);
    assert.equal(rendered.url, 'http://etcd-0.db.svc:2379/health?c=lab%20east&n=node-a&k=etcd&l=main');
    assert.equal(rendered.headers['X-Cluster'], 'lab east');
    assert.equal(rendered.body, 'member=etcd-0');
    assert.equal(rendered.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(rendered.method, 'PUT');
  });

  it('serialises a JSON body with content-type json (unless the probe sets one)', () => {
    const rendered = renderProbe(parseProbeSpec({ url: 'http://x/q', method: 'POST', body: { query: { term: { pod: '{{target.pod}}' } }, size: 0 } }), target);
    assert.equal(rendered.body, '{"query":{"term":{"pod":"etcd-0"}},"size":0}');
    assert.equal(rendered.headers['content-type'], 'application/json');
    const own = renderProbe(parseProbeSpec({ url: 'http://x/q', method: 'POST', headers: { 'Content-Type': 'application/x-ndjson' }, body: [1] }), null);
    assert.equal(own.headers['Content-Type'], 'application/x-ndjson');
    assert.equal(own.headers['content-type'], undefined);
    assert.equal(renderProbe(parseProbeSpec({ url: 'http://x', body: null }), null).body, undefined);
  });

  it('errors name the field for a missing label or field, and for no target', () => {
    const label = parseProbeSpec({ url: 'http://x/{{target.labels.tier}}' });
    throwsAt(() => renderProbe(label, target, 'probes.member'), 'probes.member.url', /\{\{target\.labels\.tier\}\}: target db\/etcd-0 container etcd in cluster lab east has no label "tier"/);
    const zone = parseProbeSpec({ url: 'http://x/', headers: { 'x-zone': '{{target.zone}}' } });
    throwsAt(() => renderProbe(zone, target, 'probes.member'), 'probes.member.headers.x-zone', /\{\{target\.zone\}\} has no value/);
    const pod = parseProbeSpec({ url: 'http://{{target.pod}}:2379/health' });
    throwsAt(() => renderProbe(pod, null, 'probes.cluster'), 'probes.cluster.url', /uses \{\{target\.pod\}\} but the probe has no target/);
  });

  it('renders a probe without placeholders with or without a target', () => {
    const spec = parseProbeSpec({ url: 'http://127.0.0.1:2379/health', jq: '.health == "true"' });
    assert.equal(probeUsesTarget(spec), false);
    assert.equal(renderProbe(spec, null).url, 'http://127.0.0.1:2379/health');
    assert.equal(renderProbe(spec, target).headers['accept'], 'application/json');
  });
});
