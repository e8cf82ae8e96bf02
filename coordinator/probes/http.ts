// One probe request over node:http / node:https: a fresh connection each time, no redirects, bounded body.
import http from 'node:http';
import https from 'node:https';
import type { RenderedProbe } from './spec.js';
import { ProbePolicyError, type ProbePolicy } from './policy.js';
import { connectionToken } from '../../lib/kube/in-cluster.js';
import type { KubeConnection } from '../../lib/kube/kubeconfig.js';

// Why not global fetch: (1) skipping TLS verification needs undici's Agent, which Node 20 does not export
// (the `undici` package would be a second copy of undici beside the bundled one); (2) fetch pools
// keep-alive connections, and a chaos probe must see what a NEW client sees: a pooled socket to a
// SIGKILLed member fails with "other side closed" instead of "connection refused", and a pooled socket
// hides a listener that no longer accepts. `agent: false` opens and closes one connection per probe.

export interface ProbeResponse {
  status: number;
  body: Buffer;
}

/** The body grew past the limit; the request was cut. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/**
 * Sends the request; resolves once the whole body is read. Rejects on network errors, on `signal`, and with a
 * ProbePolicyError before connecting to a destination the policy refuses (the URL's host, or any address its name
 * resolves to). A redirect is never followed: the 3xx is the answer judged.
 */
export function sendProbeRequest(
  probe: RenderedProbe,
  signal: AbortSignal,
  maxBodyBytes: number,
  policy: ProbePolicy,
  /** An operator-configured API server (--kubeconfig): `probe.url` is a path on it; the drill-author policy does not apply. */
  kube?: KubeConnection,
): Promise<ProbeResponse> {
  return new Promise<ProbeResponse>((resolve, reject) => {
    const url = new URL(kube !== undefined ? `${kube.server}${probe.url}` : probe.url);
    const refused = kube !== undefined ? null : policy.urlProblem(url);
    if (refused !== null) {
      reject(new ProbePolicyError(`refused by the probe policy: ${refused}`));
      return;
    }
    const secure = url.protocol === 'https:';
    const headers: Record<string, string> = { ...probe.headers, ...(probe.body !== undefined ? { 'content-length': String(Buffer.byteLength(probe.body)) } : {}) };
    let token: string | undefined;
    try {
      token = kube !== undefined ? connectionToken(kube) : undefined;
    } catch (error) {
      reject(new Error(`service-account token: ${error instanceof Error ? error.message : String(error)}`));
      return;
    }
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    const options: https.RequestOptions = {
      // A literal address was judged above; a name is judged on every address it resolves to, when it is resolved.
      ...(kube !== undefined ? {} : { lookup: policy.lookupFor(url.hostname) }),
      method: probe.method,
      headers,
      agent: false,
      signal,
      ...(secure ? { rejectUnauthorized: !(kube?.insecureSkipVerify ?? probe.insecureSkipVerify) } : {}),
      ...(kube?.ca !== undefined ? { ca: kube.ca } : {}),
      ...(kube?.cert !== undefined ? { cert: kube.cert, key: kube.key } : {}),
    };
    const request = (secure ? https : http).request(url, options, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes) {
          request.destroy(new BodyTooLargeError(`body larger than ${maxBodyBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => {
        done = true;
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) });
      });
      response.on('error', reject);
      // A destroyed request (abort, timeout, too large) closes the response without 'end'.
      response.on('close', () => {
        if (!done) reject(request.errored ?? new Error('connection closed before the body was complete'));
      });
    });
    request.on('error', reject);
    request.end(probe.body);
  });
}

const NETWORK_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host lookup failed (EAI_AGAIN)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connect timed out (ETIMEDOUT)',
  HPE_INVALID_CONSTANT: 'invalid HTTP answer',
};

/**
 * Node ≥ 24 appends advice for its own command line to certificate errors ("; if the root CA is installed locally,
 * try running Node.js with --use-system-ca"): it is about the coordinator's runtime, not the probe, so it is cut.
 */
function withoutRuntimeHint(message: string): string {
  return message.replace(/; if the root CA is installed locally, .*$/, '');
}

/** A short reason for a failed request: `connection refused`, `tls: self-signed certificate`, … */
export function describeNetworkError(error: unknown): string {
  // Happy eyeballs (autoSelectFamily) reports an AggregateError with one error per address tried.
  const inner = error instanceof AggregateError && error.errors.length > 0 ? error.errors[0] : error;
  const code = (inner as { code?: unknown } | null)?.code ?? (error as { code?: unknown } | null)?.code;
  const message = inner instanceof Error ? inner.message : String(inner);
  if (inner instanceof BodyTooLargeError || inner instanceof ProbePolicyError) return message;
  if (/socket hang up/i.test(message)) return 'connection closed without an answer';
  if (typeof code === 'string') {
    const known = NETWORK_REASONS[code];
    if (known !== undefined) return known;
    if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) return `tls: ${withoutRuntimeHint(message)} (${code})`;
    if (code.startsWith('HPE_')) return `invalid HTTP answer: ${message}`;
    return `${message} (${code})`;
  }
  return message;
}
