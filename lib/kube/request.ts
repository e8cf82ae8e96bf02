// One request to a Kubernetes API server over node:https with a KubeConnection (kubeconfig.ts / in-cluster.ts).
// Deliberately not @kubernetes/client-node: the agent must stay small in memory (≤ 48 MiB) and uses two calls.
import { request as httpsRequest } from 'node:https';
import { connectionToken } from './in-cluster.js';
import type { KubeConnection } from './kubeconfig.js';

export interface KubeAnswer {
  status: number;
  body: string;
}

/** Sends `body` as JSON; resolves with any status (the caller judges it), rejects on a network error or the timeout. */
export function kubeRequest(kube: KubeConnection, method: string, path: string, body?: unknown, timeoutMs = 5000): Promise<KubeAnswer> {
  const url = new URL(kube.server + path);
  const token = connectionToken(kube);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method,
        timeout: timeoutMs,
        rejectUnauthorized: !kube.insecureSkipVerify,
        ...(kube.ca !== undefined ? { ca: kube.ca } : {}),
        ...(kube.cert !== undefined && kube.key !== undefined ? { cert: kube.cert, key: kube.key } : {}),
        headers: {
          accept: 'application/json',
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`kubernetes: no answer from ${kube.server} in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
