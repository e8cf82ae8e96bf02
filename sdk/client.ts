// A typed client for the eris coordinator's HTTP API: fleet, selections, immediate faults, drills, runs and
// their live events. Non-2xx answers become ErisApiError; a coordinator that cannot be reached, UnavailableError.
import { ErisError, TimeoutError, UnavailableError } from '../lib/errors.js';
import { readSse } from './sse.js';
import {
  RUN_EVENT_TYPES,
  isFinalEvent,
  type AgentView,
  type AuditPage,
  type AuditQuery,
  type DrillInput,
  type DrillSummary,
  type DryRunResult,
  type Health,
  type ImmediateFault,
  type ResumedFault,
  type ResumeAll,
  type ImmediateFaultInput,
  type ReportFormat,
  type RunEvent,
  type RunRecord,
  type RunReport,
  type RunSource,
  type RunSummary,
  type RunsQuery,
  type SavedDrill,
  type SelectionPreview,
  type StartOptions,
  type StoredDrill,
  type TargetFilter,
  type TargetGroupInput,
  type TargetRecord,
  type VersionInfo,
} from './types.js';

export interface ErisClientOptions {
  /** The coordinator, e.g. `http://127.0.0.1:7700` (a path prefix is kept: `https://host/eris`). */
  baseUrl: string;
  /** Bearer token; every call but health() needs one. */
  token?: string;
  /** A fetch implementation (tests, proxies, instrumentation); default: the global fetch. */
  fetch?: typeof fetch;
  /** Per request, connecting included; the events stream is limited only while connecting. Default 30 s. */
  timeoutMs?: number;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface EventsOptions extends RequestOptions {
  /** Start after this sequence number (events up to it are not replayed). Default 0: from the start. */
  after?: number;
  /** How often a dropped stream is re-opened (from the last event seen) before giving up. Default 5. */
  reconnects?: number;
}

export interface WaitOptions extends RequestOptions {
  /** Called with every event while waiting (live progress). */
  onEvent?: (event: RunEvent) => void;
}

/** The coordinator answered with an error: its `{error: {code, message, path}}` body, and the HTTP status. */
export class ErisApiError extends ErisError {
  override readonly code: string;
  override readonly status: number;
  /** `METHOD /path` of the request that failed. */
  readonly request: string;

  constructor(status: number, body: { code: string; message: string; path?: string; details?: Record<string, unknown> }, request: string) {
    super(body.message, { ...(body.path !== undefined ? { path: body.path } : {}), ...(body.details !== undefined ? { details: body.details } : {}) });
    this.code = body.code;
    this.status = status;
    this.request = request;
  }
}

type Query = Record<string, string | number | boolean | undefined>;

interface CallOptions extends RequestOptions {
  query?: Query;
  body?: unknown;
  /** Sent as is with this content type (YAML); otherwise `body` is JSON. */
  rawBody?: { text: string; contentType: string };
  /** Answer as text instead of JSON. */
  text?: boolean;
}

const FINISHED = new Set(['passed', 'failed', 'aborted', 'interrupted', 'error']);

export class ErisClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(options: ErisClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch (cause) {
      throw new ErisError(`baseUrl: not a URL: ${JSON.stringify(options.baseUrl)}`, { path: 'baseUrl', cause });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ErisError(`baseUrl: must be http:// or https://, got ${url.protocol}//`, { path: 'baseUrl' });
    this.baseUrl = url.href.replace(/\/+$/, '');
    this.token = options.token;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** GET /healthz (no token needed). */
  health(o?: RequestOptions): Promise<Health> {
    return this.call('GET', '/healthz', o);
  }

  version(o?: RequestOptions): Promise<VersionInfo> {
    return this.call('GET', '/v1/version', o);
  }

  async agents(o?: RequestOptions): Promise<AgentView[]> {
    return (await this.call<{ agents: AgentView[] }>('GET', '/v1/agents', o)).agents;
  }

  /** Every container of every agent, filtered (exact cluster and namespace, pod and container regexes, label selector). */
  async targets(filter: TargetFilter = {}, o?: RequestOptions): Promise<TargetRecord[]> {
    return (await this.call<{ targets: TargetRecord[] }>('GET', '/v1/targets', { ...o, query: { ...filter } })).targets;
  }

  /** What a target group matches and picks right now; touches nothing. */
  preview(group: TargetGroupInput, o?: RequestOptions): Promise<SelectionPreview> {
    return this.call('POST', '/v1/selections', { ...o, body: group });
  }

  readonly faults = {
    /** Freeze, kill or resume these now (POST /v1/faults). */
    create: (input: ImmediateFaultInput, o?: RequestOptions): Promise<ImmediateFault> => this.call('POST', '/v1/faults', { ...o, body: input }),
    list: async (o?: RequestOptions): Promise<ImmediateFault[]> => (await this.call<{ faults: ImmediateFault[] }>('GET', '/v1/faults', o)).faults,
    get: (id: string, o?: RequestOptions): Promise<ImmediateFault> => this.call('GET', `/v1/faults/${enc(id)}`, o),
    /** Resumes what the fault stopped (idempotent). */
    resume: (id: string, o?: RequestOptions): Promise<ResumedFault> => this.call('DELETE', `/v1/faults/${enc(id)}`, o),
    /** Emergency: abort every running run and resume every active fault in the token's scope, in one audited call. */
    resumeAll: (o?: RequestOptions): Promise<ResumeAll> => this.call('POST', '/v1/resume-all', o),
  };

  /** The audit trail, newest first (GET /v1/audit); page on with `cursor: page.nextCursor`. */
  audit(query: AuditQuery = {}, o?: RequestOptions): Promise<AuditPage> {
    const time = (t: number | Date | string) => (t instanceof Date ? t.getTime() : t);
    return this.call('GET', '/v1/audit', {
      ...o,
      query: {
        ...(query.since !== undefined ? { since: time(query.since) } : {}),
        ...(query.until !== undefined ? { until: time(query.until) } : {}),
        ...(query.actor !== undefined ? { actor: query.actor } : {}),
        ...(query.action !== undefined ? { action: query.action } : {}),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      },
    });
  }

  readonly drills = {
    /** Stores a drill under its metadata.name: an object, or YAML text (kept as written). */
    save: (drill: DrillInput | Record<string, unknown> | string, o?: RequestOptions): Promise<SavedDrill> =>
      this.call('POST', '/v1/drills', typeof drill === 'string' ? { ...o, rawBody: { text: drill, contentType: 'application/yaml' } } : { ...o, body: drill }),
    list: async (o?: RequestOptions): Promise<DrillSummary[]> => (await this.call<{ drills: DrillSummary[] }>('GET', '/v1/drills', o)).drills,
    get: (name: string, o?: RequestOptions): Promise<StoredDrill> => this.call('GET', `/v1/drills/${enc(name)}`, o),
    delete: (name: string, o?: RequestOptions): Promise<{ deleted: string }> => this.call('DELETE', `/v1/drills/${enc(name)}`, o),
  };

  readonly runs = {
    start: ((source: RunSource, options: StartOptions = {}, o?: RequestOptions) =>
      this.call('POST', '/v1/runs', {
        ...o,
        body: { ...source, ...(options.seed !== undefined ? { seed: options.seed } : {}), ...(options.dryRun ? { dryRun: true } : {}) },
      })) as {
      /** Previews what each group would hit; nothing is touched. */
      (source: RunSource, options: StartOptions & { dryRun: true }, o?: RequestOptions): Promise<DryRunResult>;
      /** Starts a run; follow it with events() or wait(). */
      (source: RunSource, options?: StartOptions & { dryRun?: false }, o?: RequestOptions): Promise<RunRecord>;
    },
    list: async (query: RunsQuery = {}, o?: RequestOptions): Promise<RunSummary[]> =>
      (await this.call<{ runs: RunSummary[] }>('GET', '/v1/runs', { ...o, query: { ...query } })).runs,
    get: (id: string, o?: RequestOptions): Promise<RunRecord> => this.call('GET', `/v1/runs/${enc(id)}`, o),
    /** Asks the coordinator to abort; the run ends (everything resumed) shortly after. 409 when it is not running. */
    abort: (id: string, o?: RequestOptions): Promise<{ id: string; status: 'aborting' }> => this.call('POST', `/v1/runs/${enc(id)}/abort`, o),
    report: ((id: string, format: ReportFormat = 'json', o?: RequestOptions) =>
      this.call('GET', `/v1/runs/${enc(id)}/report`, { ...o, query: { format }, text: format === 'junit' })) as {
      (id: string, format?: 'json', o?: RequestOptions): Promise<RunReport>;
      /** JUnit XML: one testcase per step and per target. */
      (id: string, format: 'junit', o?: RequestOptions): Promise<string>;
    },
    /** The run's events, replayed then live; the iteration ends with the `run` event that ends the run. */
    events: (id: string, options: EventsOptions = {}): AsyncIterable<RunEvent> => this.streamEvents(id, options),
    /** Follows the run until it ends and returns its report. */
    wait: async (id: string, options: WaitOptions = {}): Promise<RunReport> => {
      for await (const event of this.streamEvents(id, options.signal ? { signal: options.signal } : {})) {
        options.onEvent?.(event);
        if (isFinalEvent(event)) return event.data.report;
      }
      return this.runs.report(id, 'json', options.signal ? { signal: options.signal } : {});
    },
  };

  private async *streamEvents(id: string, options: EventsOptions): AsyncGenerator<RunEvent> {
    const path = `/v1/runs/${enc(id)}/events`;
    const sub = options.signal ? { signal: options.signal } : {};
    let after = options.after ?? 0;
    let retries = options.reconnects ?? 5;
    let opened = false;
    for (;;) {
      const stop = new AbortController();
      const onAbort = () => stop.abort(options.signal?.reason);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      let dropped: unknown = null;
      try {
        let res: Response;
        try {
          res = await this.open('GET', path, { query: { after }, signal: stop.signal }, 'text/event-stream');
        } catch (error) {
          // The first connection's failure is the caller's to see; a reconnect to a restarting coordinator is retried.
          if (!opened || !(error instanceof UnavailableError || error instanceof TimeoutError)) throw error;
          dropped = error;
          res = null as never;
        }
        if (dropped === null) {
          opened = true;
          try {
            for await (const message of readSse(res.body!)) {
              if (!(RUN_EVENT_TYPES as readonly string[]).includes(message.event)) continue;
              const data = message.data === '' ? {} : (JSON.parse(message.data) as Record<string, unknown>);
              const seq = message.id === null ? null : Number(message.id);
              if (seq !== null) after = Math.max(after, seq);
              const event = { type: message.event, seq, data } as RunEvent;
              yield event;
              if (isFinalEvent(event)) return;
            }
          } catch (error) {
            if (options.signal?.aborted) throw options.signal.reason ?? error;
            if (error instanceof SyntaxError) throw new ErisError(`GET ${path}: an event is not JSON: ${error.message}`, { cause: error });
            dropped = error;
          }
        }
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
        stop.abort();
      }
      if (dropped === null) {
        // The stream ended without the final event: the run ended without one (its coordinator restarted:
        // `interrupted`), or the server closed early and the run goes on.
        const run = await this.runs.get(id, sub);
        if (FINISHED.has(run.status)) return;
      }
      if (retries-- <= 0) throw new UnavailableError(`the event stream of run ${id} at ${this.baseUrl} keeps dropping`, { cause: dropped });
      await sleep(500, options.signal);
    }
  }

  private async call<T>(method: string, path: string, o: CallOptions = {}): Promise<T> {
    const text = await this.exchange(method, path, o, o.text ? '*/*' : 'application/json');
    if (o.text) return text as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new ErisError(`${method} ${path}: the coordinator at ${this.baseUrl} answered with something that is not JSON`, { cause });
    }
  }

  /** A request whose whole answer is read under the timeout. */
  private async exchange(method: string, path: string, o: CallOptions, accept: string): Promise<string> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
    try {
      const res = await this.open(method, path, { ...o, signal }, accept);
      return await res.text();
    } catch (cause) {
      if (cause instanceof ErisError) throw cause;
      throw this.networkError(`${method} ${path}`, cause, o.signal, timeout);
    }
  }

  /**
   * Sends a request and returns once the headers are in; non-2xx answers throw ErisApiError, network failures
   * UnavailableError (or TimeoutError). Connecting is always limited by timeoutMs.
   */
  private async open(method: string, path: string, o: CallOptions, accept: string): Promise<Response> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(o.query ?? {})) if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept };
    if (this.token !== undefined && this.token !== '') headers.authorization = `Bearer ${this.token}`;
    let body: string | undefined;
    if (o.rawBody) {
      headers['content-type'] = o.rawBody.contentType;
      body = o.rawBody.text;
    } else if (o.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(o.body);
    }
    const connect = AbortSignal.timeout(this.timeoutMs);
    // Only connecting is raced against `connect`; the caller's signal governs the body too.
    const connecting = new AbortController();
    const onConnectTimeout = () => connecting.abort(connect.reason);
    connect.addEventListener('abort', onConnectTimeout, { once: true });
    const signal = o.signal ? AbortSignal.any([o.signal, connecting.signal]) : connecting.signal;
    let res: Response;
    try {
      res = await this.fetchImpl(url, { method, headers, ...(body !== undefined ? { body } : {}), signal });
    } catch (cause) {
      throw this.networkError(`${method} ${path}`, cause, o.signal, connect);
    } finally {
      connect.removeEventListener('abort', onConnectTimeout);
    }
    if (!res.ok) throw await apiError(res, `${method} ${path}`);
    return res;
  }

  private networkError(what: string, cause: unknown, callerSignal: AbortSignal | undefined, timeout: AbortSignal): unknown {
    if (timeout.aborted && !callerSignal?.aborted) return new TimeoutError(`${what}: the coordinator at ${this.baseUrl} did not answer within ${this.timeoutMs} ms`, { cause });
    if (callerSignal?.aborted || (cause as Error)?.name === 'AbortError') return callerSignal?.reason ?? cause;
    return new UnavailableError(`cannot reach the coordinator at ${this.baseUrl}: ${describeNetworkError(cause)}`, { cause, details: { url: this.baseUrl + what.slice(what.indexOf(' ') + 1) } });
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const enc = encodeURIComponent;

async function apiError(res: Response, what: string): Promise<ErisApiError> {
  const text = await res.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; path?: unknown; details?: unknown } };
    const e = parsed.error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') {
      return new ErisApiError(
        res.status,
        {
          code: e.code,
          message: e.message,
          ...(typeof e.path === 'string' ? { path: e.path } : {}),
          ...(e.details && typeof e.details === 'object' ? { details: e.details as Record<string, unknown> } : {}),
        },
        what,
      );
    }
  } catch {
    // not the coordinator's error body (a proxy's page, …)
  }
  const snippet = text.trim().slice(0, 200);
  return new ErisApiError(res.status, { code: 'ERIS_ERR_HTTP', message: `${what}: HTTP ${res.status} ${res.statusText}${snippet ? `: ${snippet}` : ''}` }, what);
}

// undici puts the reason (ECONNREFUSED, ENOTFOUND, a TLS problem) in the cause of its "fetch failed".
function describeNetworkError(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let i = 0; i < 4 && e instanceof Error; i++) {
    const code = (e as { code?: unknown }).code;
    parts.push(typeof code === 'string' && !e.message.includes(code) ? `${e.message} (${code})` : e.message);
    e = e.cause;
  }
  return parts.filter((p, i) => p !== '' && parts.indexOf(p) === i).join(': ') || String(error);
}
