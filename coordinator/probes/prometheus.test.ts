import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { prometheusQueryUrl, prometheusResult, promqlEscape } from './prometheus.js';
import { parseProbeSpec, renderProbe } from './spec.js';

describe('prometheus probe kind', () => {
  it('builds the instant-query URL, keeping a path prefix', () => {
    assert.equal(prometheusQueryUrl('http://p:9090', 'up == 1'), 'http://p:9090/api/v1/query?query=up+%3D%3D+1');
    assert.equal(prometheusQueryUrl('http://p/prom/', 'up'), 'http://p/prom/api/v1/query?query=up');
  });

  it('fills placeholders PromQL-string-escaped: a label value cannot close its literal', () => {
    assert.equal(promqlEscape(`a"b'c\\d\ne`), `a\\"b\\'c\\\\d\\ne`);
    const spec = parseProbeSpec({ prometheus: { url: 'http://p:9090', query: 'up{pod="{{target.pod}}"}' } });
    const rendered = renderProbe(spec, { pod: 'x"} or vector(1) #' }, 'probe');
    assert.equal(new URL(rendered.url).searchParams.get('query'), 'up{pod="x\\"} or vector(1) #"}');
    assert.equal(rendered.prometheus, true);
  });

  it('hands jq data.result, and fails with Prometheus\'s own error text', () => {
    assert.deepEqual(prometheusResult(200, '{"status":"success","data":{"resultType":"vector","result":[]}}'), { input: '[]' });
    assert.deepEqual(prometheusResult(400, '{"status":"error","errorType":"bad_data","error":"parse error"}'), { reason: 'prometheus: bad_data: parse error' });
    assert.deepEqual(prometheusResult(503, 'down'), { reason: 'prometheus: status 503, body is not JSON' });
    assert.deepEqual(prometheusResult(200, '{"status":"success"}'), { reason: 'prometheus: not a query API answer (no data.result)' });
  });
});
