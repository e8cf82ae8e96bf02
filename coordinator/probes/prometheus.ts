// The prometheus probe kind: a PromQL instant query whose `data.result` is judged by the probe's jq filter.
// ref: https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries (the answer's envelope)

/** The instant-query URL for a Prometheus base URL (which may carry a path prefix, e.g. http://h/prometheus). */
export function prometheusQueryUrl(base: string, query: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v1/query`;
  url.search = '';
  url.searchParams.set('query', query);
  return url.toString();
}

/**
 * A placeholder value inside a PromQL string literal: escaped as Go/PromQL escapes a "…" or '…' string, so a
 * label value cannot end the literal and change the query. (A `…` raw string has no escapes: do not put
 * placeholders in one.)
 */
export function promqlEscape(value: string): string {
  return value.replace(/[\\"'\n\r\t]/g, (c) => ({ '\\': '\\\\', '"': '\\"', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!);
}

/**
 * What jq reads from a Prometheus answer: `data.result` as Prometheus returns it (a vector or matrix is a list of
 * {metric, value|values}; a scalar or string is [time, "value"]), or why the probe fails: Prometheus's own error
 * text for status "error" (bad PromQL answers 400 with it), else the HTTP status or a body that is not its API.
 */
export function prometheusResult(status: number, body: string): { input: string } | { reason: string } {
  let answer: unknown;
  try {
    answer = JSON.parse(body);
  } catch {
    return { reason: `prometheus: status ${status}, body is not JSON` };
  }
  const envelope = (answer ?? {}) as { status?: unknown; error?: unknown; errorType?: unknown; data?: { result?: unknown } };
  if (envelope.status === 'error') {
    const type = typeof envelope.errorType === 'string' ? `${envelope.errorType}: ` : '';
    return { reason: `prometheus: ${type}${typeof envelope.error === 'string' ? envelope.error : 'error'}` };
  }
  if (status !== 200) return { reason: `prometheus: status ${status}` };
  if (envelope.status !== 'success' || envelope.data === undefined || !('result' in envelope.data)) {
    return { reason: 'prometheus: not a query API answer (no data.result)' };
  }
  return { input: JSON.stringify(envelope.data.result) };
}
