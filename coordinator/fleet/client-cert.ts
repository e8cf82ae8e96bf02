// mTLS on the agent link: which agents a client certificate lets in, and as whom. The API and the link share one
// port, and API clients (CLI, SDKs, curl) present no certificate, so the TLS layer asks for one without requiring
// it; the link's upgrade is where a missing or untrusted one is turned away, with the reason in both logs.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** `node`: a certificate names the cluster/node it may register as (CN or URI SAN); `off`: any the CA signed. */
export const AGENT_CERT_BINDINGS = ['node', 'off'] as const;
export type AgentCertBinding = (typeof AGENT_CERT_BINDINGS)[number];

/** The URI SAN scheme of an agent identity: eris-agent://CLUSTER/NODE, or eris-agent://CLUSTER/* for any node. */
export const AGENT_URI_PREFIX = 'eris-agent://';

export type ClientCertVerdict =
  | { ok: true; names: string[]; subject: string }
  | { ok: false; code: 'ERIS_ERR_CLIENT_CERT_REQUIRED' | 'ERIS_ERR_CLIENT_CERT_UNTRUSTED'; message: string };

/** Whether the link's TLS peer presented a certificate the client CA signed, and the identities it names. */
export function verifyClientCertificate(req: IncomingMessage): ClientCertVerdict {
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') {
    return { ok: false, code: 'ERIS_ERR_CLIENT_CERT_REQUIRED', message: 'the agent link needs TLS with a client certificate (dial wss://)' };
  }
  const cert = socket.getPeerCertificate();
  if (cert === null || cert === undefined || Object.keys(cert).length === 0) {
    return { ok: false, code: 'ERIS_ERR_CLIENT_CERT_REQUIRED', message: 'no client certificate: the agent must present one (--link-cert, --link-key) signed by the coordinator\'s --agent-client-ca' };
  }
  const subject = typeof cert.subject?.CN === 'string' ? cert.subject.CN : JSON.stringify(cert.subject ?? {});
  if (socket.authorized !== true) {
    return {
      ok: false,
      code: 'ERIS_ERR_CLIENT_CERT_UNTRUSTED',
      message: `client certificate ${subject} not trusted: ${String(socket.authorizationError ?? 'unknown reason')} (not signed by --agent-client-ca, or expired)`,
    };
  }
  return { ok: true, names: certificateNames(cert.subject?.CN, cert.subjectaltname), subject };
}

/** The agent identities a certificate names: its CN as it is, and URI SANs of the eris-agent scheme without it. */
export function certificateNames(cn: string | string[] | undefined, subjectAltName: string | undefined): string[] {
  const names = new Set<string>();
  for (const c of Array.isArray(cn) ? cn : cn === undefined ? [] : [cn]) names.add(c);
  for (const entry of (subjectAltName ?? '').split(/,\s*/)) {
    if (entry.startsWith(`URI:${AGENT_URI_PREFIX}`)) names.add(entry.slice(`URI:${AGENT_URI_PREFIX}`.length));
  }
  return [...names];
}

/** Why a certificate naming `names` may not register as cluster/node, or null. `CLUSTER/*` stands for any node. */
export function certBindingProblem(names: readonly string[], subject: string, cluster: string, node: string): string | null {
  if (names.includes(`${cluster}/${node}`) || names.includes(`${cluster}/*`)) return null;
  return `client certificate ${subject} names ${names.length === 0 ? 'no agent identity' : names.join(', ')}, not ${cluster}/${node} (CN or URI SAN ${AGENT_URI_PREFIX}${cluster}/${node})`;
}
