// A probe as a drill declares it: an HTTP(S) request (or a Prometheus query), the status it must answer, a jq filter.
import { z } from 'zod';
import { ValidationError } from '../../lib/errors.js';
import { formatPath, parseOrThrow } from '../../lib/validation.js';
import { VERSION } from '../../lib/version.js';
import { positiveDuration } from './duration.js';
import { checkJqFilter, type JqPool } from './jq.js';
import { prometheusQueryUrl, promqlEscape } from './prometheus.js';
import { kubernetesRequest, type KubernetesRequest } from './kubernetes.js';

export const PROBE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type ProbeMethod = (typeof PROBE_METHODS)[number];

/** Target fields usable as `{{target.<field>}}`; pod labels are `{{target.labels.<key>}}`. */
export const TARGET_FIELDS = ['pod', 'namespace', 'node', 'cluster', 'container', 'zone'] as const;
export type TargetField = (typeof TARGET_FIELDS)[number];

/** What a probe may be rendered for. Structural, so selection's TargetRecord fits as is. */
export interface ProbeTarget {
  readonly cluster?: string | null;
  readonly namespace?: string | null;
  readonly pod?: string | null;
  readonly container?: string | null;
  readonly node?: string | null;
  readonly zone?: string | null;
  readonly labels?: Readonly<Record<string, string>> | null;
}

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';
/** An exact status code, or a class such as '2xx'. */
export type StatusExpectation = number | StatusClass;

// {{ target.pod }} — spaces inside the braces are allowed.
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const KNOWN_PLACEHOLDERS = [...TARGET_FIELDS.map((f) => `{{target.${f}}}`), '{{target.labels.KEY}}'].join(', ');
// RFC 9110 token.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MANAGED_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection']);

type Placeholder = { readonly field: TargetField } | { readonly label: string };

function parsePlaceholder(key: string): Placeholder | undefined {
  const field = /^target\.([a-z]+)$/.exec(key)?.[1];
  if (field !== undefined && (TARGET_FIELDS as readonly string[]).includes(field)) return { field: field as TargetField };
  const label = /^target\.labels\.([A-Za-z0-9][-A-Za-z0-9_./]*)$/.exec(key)?.[1];
  if (label !== undefined) return { label };
  return undefined;
}

/** What is wrong with the placeholders in `text`, or undefined. */
function placeholderProblem(text: string): string | undefined {
  for (const match of text.matchAll(PLACEHOLDER)) {
    if (parsePlaceholder(match[1]!) === undefined) return `unknown placeholder ${match[0]} (known: ${KNOWN_PLACEHOLDERS})`;
  }
  if (text.replace(PLACEHOLDER, '').includes('{{')) return `unterminated or malformed placeholder in ${JSON.stringify(text)}`;
  return undefined;
}

function urlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    // A placeholder may stand for a host name or a port (`http://127.0.0.1:{{target.labels.port}}/`): check the
    // URL with a stand-in that is valid in both places.
    parsed = new URL(url.replace(PLACEHOLDER, '1'));
  } catch {
    return `not a valid URL: ${JSON.stringify(url)}`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `must be an http:// or https:// URL, got ${parsed.protocol}//`;
  return undefined;
}

const templated = z.string().superRefine((text, ctx) => {
  const problem = placeholderProblem(text);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: text });
});

const STATUS_HINT = 'must be a status code like 200 or a class like "2xx"';

function parseStatus(value: number | string): StatusExpectation | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 100 && value <= 599 ? value : undefined;
  const text = value.trim().toLowerCase();
  if (/^[1-5]xx$/.test(text)) return text as StatusClass;
  if (/^[1-5]\d\d$/.test(text)) return Number(text);
  return undefined;
}

const statusInput = z.union([z.number(), z.string()], { error: STATUS_HINT });
// Hand-rolled rather than nested unions so that an error names the item (`expectStatus[1]`), not "Invalid input".
const expectStatus = z
  .union([statusInput, z.array(statusInput)], { error: `${STATUS_HINT}, or a list of them` })
  .transform((value, ctx): StatusExpectation[] => {
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) ctx.addIssue({ code: 'custom', message: 'must list at least one status', input: value });
    const out: StatusExpectation[] = [];
    list.forEach((item, i) => {
      const parsed = parseStatus(item);
      if (parsed === undefined) {
        ctx.addIssue({ code: 'custom', message: `${STATUS_HINT}, got ${JSON.stringify(item)}`, input: item, path: Array.isArray(value) ? [i] : [] });
      } else {
        out.push(parsed);
      }
    });
    return out;
  });

const templatedUrl = templated.superRefine((url, ctx) => {
  const problem = urlProblem(url);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: url });
});

/** A PromQL instant query; jq reads the answer's `data.result`. */
export const prometheusProbeSchema = z.strictObject({
  /** The Prometheus server's base URL (http(s), may carry a path prefix); the probe policy applies to it. */
  url: templatedUrl,
  /** PromQL; placeholders are filled PromQL-string-escaped (put them inside "…" or '…'). */
  query: templated.pipe(z.string().trim().min(1, 'must not be empty')),
});

const K8S_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const k8sName = (what: string) => templated.pipe(z.string().min(1).max(253)).refine((v) => v.includes('{{') || K8S_NAME.test(v), `must be a Kubernetes ${what} (lowercase letters, digits, '-', '.')`);

/** A GET through the Kubernetes API of the probe's cluster (the coordinator's --kubeconfig); jq reads the object or list. */
export const kubernetesProbeSchema = z.strictObject({
  /** The eris cluster = the kubeconfig context. Default: the cluster of the target the probe is evaluated for. */
  cluster: z.string().min(1).optional(),
  /** `v1` for core resources (pods, services), else GROUP/VERSION such as `apps/v1`. */
  apiVersion: z.string().regex(/^(v1|[a-z0-9.-]+\/v[0-9a-z]+)$/, 'must be v1 or GROUP/VERSION such as apps/v1'),
  /** The resource's plural, lowercase name as the API spells it: `statefulsets`, `pods`. */
  resource: z.string().regex(/^[a-z][a-z0-9]*$/, 'must be the plural resource name, e.g. statefulsets'),
  /** Omit for cluster-scoped resources (nodes); may use placeholders. */
  namespace: k8sName('namespace').optional(),
  /** Omit to GET the list (then `labelSelector` may narrow it); may use placeholders. */
  name: k8sName('name').optional(),
  /** With no `name`: a label selector such as `app=etcd`. */
  labelSelector: templated.pipe(z.string().min(1)).optional(),
});

export const probeSpecSchema = z
  .strictObject({
    /** http(s) URL; may use {{target.pod}}, {{target.namespace}}, … and {{target.labels.KEY}}. Give this or `prometheus`. */
    url: templatedUrl.optional(),
    /** Instead of `url`: a PromQL instant query, judged by `jq` on its `data.result`. */
    prometheus: prometheusProbeSchema.optional(),
    /** Instead of `url`: an object (or list) read through the Kubernetes API, judged by `jq`. */
    kubernetes: kubernetesProbeSchema.optional(),
    /** HTTP method, GET by default (case-insensitive). */
    method: z
      .string()
      .transform((m) => m.toUpperCase())
      .pipe(z.enum(PROBE_METHODS, { error: `must be one of ${PROBE_METHODS.join(', ')}` }))
      .default('GET'),
    /** Request headers; values may use placeholders. Content-Length, Transfer-Encoding, Connection are eris's. */
    headers: z
      .record(z.string(), templated.refine((value) => !/[\r\n\0]/.test(value), 'header values cannot contain CR, LF or NUL'))
      // Names checked here, not by a key schema: zod reports a bad key only as "Invalid key in record".
      .superRefine((headers, ctx) => {
        for (const name of Object.keys(headers)) {
          if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'not a valid HTTP header name' });
          else if (MANAGED_HEADERS.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', path: [name], message: 'is set by eris, not by the probe' });
        }
      })
      .optional(),
    /** A string is sent as is; any other JSON value is serialised (content-type application/json). null = no body. */
    body: z.json().optional(),
    /** Per request, headers and body included. Default '2s'. */
    timeout: positiveDuration.default(2_000),
    /** Between the starts of two polls (waitFor, continuous checks). Default '500ms'. */
    interval: positiveDuration.default(500),
    /** Status code(s) or classes the answer must have. Default 200. */
    expectStatus: expectStatus.default([200]),
    /** jq filter on the JSON body; the probe passes only if it emits at least one value and all are `true`. */
    jq: z.string().trim().min(1, 'must not be empty (omit it to check the status only)').optional(),
    /** Accept any TLS certificate (self-signed cluster endpoints). https:// only. Default false. */
    insecureSkipVerify: z.boolean().default(false),
    /**
     * Keep what the answer said out of run events and reports: a failure says only why (`jq output not true`,
     * `body is not JSON`), never the jq output or the start of the body. Default false.
     */
    redact: z.boolean().default(false),
  })
  .superRefine((spec, ctx) => {
    const kinds = (['url', 'prometheus', 'kubernetes'] as const).filter((k) => spec[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({ code: 'custom', path: kinds.length === 0 ? ['url'] : [kinds[1]!], message: kinds.length === 0 ? 'required (or give `prometheus` or `kubernetes`)' : `give one of \`url\`, \`prometheus\` and \`kubernetes\`, not ${kinds.map((k) => `\`${k}\``).join(' and ')}` });
      return;
    }
    const kind = kinds[0];
    if (kind !== 'url') {
      if (spec.method !== 'GET') ctx.addIssue({ code: 'custom', path: ['method'], message: `a ${kind} probe is a GET of its API` });
      if (spec.body !== undefined) ctx.addIssue({ code: 'custom', path: ['body'], message: `a ${kind} probe sends no body` });
    }
    if (kind === 'kubernetes') {
      if (spec.headers !== undefined) ctx.addIssue({ code: 'custom', path: ['headers'], message: 'a kubernetes probe authenticates as the kubeconfig says; it takes no headers' });
      if (spec.insecureSkipVerify) ctx.addIssue({ code: 'custom', path: ['insecureSkipVerify'], message: 'TLS to the API server is the kubeconfig\'s (insecure-skip-tls-verify there)' });
      if (spec.kubernetes!.name !== undefined && spec.kubernetes!.labelSelector !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['kubernetes', 'labelSelector'], message: 'narrows a list: give it without `name`' });
      }
    }
    if (spec.method === 'HEAD' && spec.body !== undefined && spec.body !== null) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: 'a HEAD request has no body' });
    }
    if (spec.method === 'HEAD' && spec.jq !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['jq'], message: 'a HEAD answer has no body for jq to read; use GET' });
    }
    if (spec.insecureSkipVerify && !/^https:/i.test(spec.url ?? spec.prometheus?.url ?? '')) {
      ctx.addIssue({ code: 'custom', path: ['insecureSkipVerify'], message: 'applies to https:// URLs only' });
    }
    if (spec.body !== undefined) {
      for (const [where, text] of jsonStrings(spec.body, ['body'])) {
        const problem = placeholderProblem(text);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', path: where, message: problem });
      }
    }
  });

export type ProbeSpecInput = z.input<typeof probeSpecSchema>;
export type ProbeSpec = z.output<typeof probeSpecSchema>;

/** A probe with its placeholders filled, headers completed and body serialised: what ProbeRunner runs. */
export interface RenderedProbe {
  readonly rendered: true;
  readonly url: string;
  readonly method: ProbeMethod;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  /** ms */
  readonly timeout: number;
  /** ms */
  readonly interval: number;
  readonly expectStatus: readonly StatusExpectation[];
  readonly jq: string | undefined;
  readonly insecureSkipVerify: boolean;
  readonly redact: boolean;
  /** The answer is a Prometheus query API envelope: jq reads its `data.result` (coordinator/probes/prometheus.ts). */
  readonly prometheus: boolean;
  /** A GET through the API server of a cluster (coordinator/probes/kubernetes.ts); `url` is then only its path. */
  readonly kubernetes?: KubernetesRequest;
}

/** Validates a probe (schema only; see validateProbe for the jq filter). Errors name the field under `path`. */
export function parseProbeSpec(input: unknown, path = 'probe'): ProbeSpec {
  return parseOrThrow(probeSpecSchema, input, path);
}

/**
 * Validates a probe completely, as a drill loader should: the schema, then the jq filter compiled by jq
 * itself (through `jq` when given, else on the calling thread — see checkJqFilter). Errors name the field.
 */
export async function validateProbe(input: unknown, options: { path?: string; jq?: JqPool } = {}): Promise<ProbeSpec> {
  const path = options.path ?? 'probe';
  const spec = parseProbeSpec(input, path);
  if (spec.jq !== undefined) {
    if (options.jq !== undefined) await options.jq.compile(spec.jq, `${path}.jq`);
    else await checkJqFilter(spec.jq, `${path}.jq`);
  }
  return spec;
}

/** Whether the probe uses {{target.…}} placeholders (then it must be rendered once per target). */
export function probeUsesTarget(spec: ProbeSpec): boolean {
  return placeholdersOf(spec).length > 0;
}

/**
 * Fills the placeholders for `target` and prepares the request. Values are URL-encoded in the URL and used
 * verbatim in headers and body (placeholders are not expanded in the jq filter). Throws a ValidationError
 * naming the field for an unknown placeholder, a field or label the target does not have, or placeholders
 * used with no target at all.
 */
export function renderProbe(spec: ProbeSpec, target: ProbeTarget | null, path = 'probe'): RenderedProbe {
  const used = placeholdersOf(spec);
  if (target === null && used.length > 0) {
    const first = used[0]!;
    const where = `${path}.${first.where}`;
    throw new ValidationError(`${where}: uses ${first.text} but the probe has no target to fill it from`, { path: where });
  }
  const fill = (text: string, where: string, encode: (value: string) => string): string =>
    text.replace(PLACEHOLDER, (whole, key: string) => encode(resolvePlaceholder(whole, key, target, `${path}.${where}`)));

  if (spec.kubernetes !== undefined) return renderKubernetes(spec, target, path, fill);
  const urlField = spec.prometheus !== undefined ? 'prometheus.url' : 'url';
  let url = fill(spec.prometheus?.url ?? spec.url ?? '', urlField, encodeURIComponent);
  const problem = urlProblem(url);
  if (problem !== undefined) throw new ValidationError(`${path}.${urlField}: after filling placeholders: ${problem}`, { path: `${path}.${urlField}` });
  if (spec.prometheus !== undefined) url = prometheusQueryUrl(url, fill(spec.prometheus.query, 'prometheus.query', promqlEscape));

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    const filled = fill(value, `headers.${name}`, (v) => v);
    if (/[\r\n\0]/.test(filled)) {
      throw new ValidationError(`${path}.headers.${name}: value contains CR, LF or NUL after filling placeholders`, { path: `${path}.headers.${name}` });
    }
    headers[name] = filled;
  }
  const has = (name: string) => Object.keys(headers).some((h) => h.toLowerCase() === name);

  let body: string | undefined;
  if (typeof spec.body === 'string') {
    body = fill(spec.body, 'body', (v) => v);
    if (!has('content-type')) headers['content-type'] = 'text/plain; charset=utf-8';
  } else if (spec.body !== undefined && spec.body !== null) {
    body = JSON.stringify(mapJsonStrings(spec.body, ['body'], (text, where) => fill(text, formatPath(where), (v) => v)));
    if (!has('content-type')) headers['content-type'] = 'application/json';
  }
  if (!has('user-agent')) headers['user-agent'] = `eris-probe/${VERSION}`;
  if ((spec.jq !== undefined || spec.prometheus !== undefined) && !has('accept')) headers['accept'] = 'application/json';

  return {
    rendered: true,
    url,
    method: spec.method,
    headers,
    body,
    timeout: spec.timeout,
    interval: spec.interval,
    expectStatus: spec.expectStatus,
    jq: spec.jq,
    insecureSkipVerify: spec.insecureSkipVerify,
    redact: spec.redact,
    prometheus: spec.prometheus !== undefined,
  };
}

function renderKubernetes(
  spec: ProbeSpec,
  target: ProbeTarget | null,
  path: string,
  fill: (text: string, where: string, encode: (value: string) => string) => string,
): RenderedProbe {
  const k = spec.kubernetes!;
  const cluster = k.cluster ?? (typeof target?.cluster === 'string' && target.cluster !== '' ? target.cluster : undefined);
  if (cluster === undefined) {
    throw new ValidationError(`${path}.kubernetes.cluster: required when the probe has no target to take the cluster from`, { path: `${path}.kubernetes.cluster` });
  }
  const same = (v: string) => v;
  const request = kubernetesRequest({
    cluster,
    apiVersion: k.apiVersion,
    resource: k.resource,
    ...(k.namespace !== undefined ? { namespace: fill(k.namespace, 'kubernetes.namespace', same) } : {}),
    ...(k.name !== undefined ? { name: fill(k.name, 'kubernetes.name', same) } : {}),
    ...(k.labelSelector !== undefined ? { labelSelector: fill(k.labelSelector, 'kubernetes.labelSelector', same) } : {}),
  });
  return {
    rendered: true,
    url: request.path,
    method: 'GET',
    headers: { accept: 'application/json', 'user-agent': `eris-probe/${VERSION}` },
    body: undefined,
    timeout: spec.timeout,
    interval: spec.interval,
    expectStatus: [200],
    jq: spec.jq,
    insecureSkipVerify: false,
    redact: spec.redact,
    prometheus: false,
    kubernetes: request,
  };
}

function resolvePlaceholder(whole: string, key: string, target: ProbeTarget | null, where: string): string {
  const placeholder = parsePlaceholder(key);
  if (placeholder === undefined) {
    throw new ValidationError(`${where}: unknown placeholder ${whole} (known: ${KNOWN_PLACEHOLDERS})`, { path: where });
  }
  if (target === null) throw new ValidationError(`${where}: uses ${whole} but the probe has no target to fill it from`, { path: where });
  if ('field' in placeholder) {
    const value = target[placeholder.field];
    if (typeof value !== 'string' || value === '') {
      throw new ValidationError(`${where}: ${whole} has no value: target ${describeTarget(target)} has no ${placeholder.field}`, {
        path: where,
      });
    }
    return value;
  }
  const value = target.labels?.[placeholder.label];
  if (typeof value !== 'string') {
    throw new ValidationError(`${where}: ${whole}: target ${describeTarget(target)} has no label "${placeholder.label}"`, {
      path: where,
      details: { labels: Object.keys(target.labels ?? {}) },
    });
  }
  return value;
}

function describeTarget(target: ProbeTarget): string {
  const name = [target.namespace, target.pod].filter((p) => typeof p === 'string' && p !== '').join('/');
  const container = target.container ? ` container ${target.container}` : '';
  return `${name || '(unnamed)'}${container}${target.cluster ? ` in cluster ${target.cluster}` : ''}`;
}

interface UsedPlaceholder {
  readonly where: string;
  readonly text: string;
}

function placeholdersOf(spec: ProbeSpec): UsedPlaceholder[] {
  const used: UsedPlaceholder[] = [];
  const scan = (text: string, where: string) => {
    for (const match of text.matchAll(PLACEHOLDER)) used.push({ where, text: match[0] });
  };
  if (spec.url !== undefined) scan(spec.url, 'url');
  for (const key of ['namespace', 'name', 'labelSelector'] as const) {
    const value = spec.kubernetes?.[key];
    if (value !== undefined) scan(value, `kubernetes.${key}`);
  }
  if (spec.prometheus !== undefined) {
    scan(spec.prometheus.url, 'prometheus.url');
    scan(spec.prometheus.query, 'prometheus.query');
  }
  for (const [name, value] of Object.entries(spec.headers ?? {})) scan(value, `headers.${name}`);
  if (spec.body !== undefined) for (const [where, text] of jsonStrings(spec.body, ['body'])) scan(text, formatPath(where));
  return used;
}

type Json = z.infer<ReturnType<typeof z.json>>;

/** Every string value in a JSON value with its path (object keys are not templated). */
function jsonStrings(value: Json, path: (string | number)[]): [(string | number)[], string][] {
  const out: [(string | number)[], string][] = [];
  mapJsonStrings(value, path, (text, where) => {
    out.push([where, text]);
    return text;
  });
  return out;
}

function mapJsonStrings(value: Json, path: (string | number)[], map: (text: string, where: (string | number)[]) => string): Json {
  if (typeof value === 'string') return map(value, path);
  if (Array.isArray(value)) return value.map((item, i) => mapJsonStrings(item, [...path, i], map));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [key, item] of Object.entries(value)) out[key] = mapJsonStrings(item as Json, [...path, key], map);
    return out;
  }
  return value;
}
