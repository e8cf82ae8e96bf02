// Calls to the coordinator's /v1 API with the token typed at login. The token lives in sessionStorage only:
// it is gone when the tab closes, and never written anywhere that outlives the tab.
const KEY = 'eris.token';

export function savedToken(): string | null {
  return sessionStorage.getItem(KEY);
}
export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}
export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

/** The coordinator refused the token (401): the console goes back to the login screen. */
export class Unauthorized extends Error {}

/** Relative to the page: `v1/agents` from `/` is /v1/agents, also behind a path prefix. */
export async function getJson<T>(path: string, token: string): Promise<T> {
  return callJson<T>('GET', path, token);
}

export async function callJson<T>(method: string, path: string, token: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, document.baseURI), { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (res.status === 401) throw new Unauthorized('the coordinator refused this token');
  const answer = (await res.json().catch(() => null)) as (T & { error?: { message?: string; code?: string } }) | null;
  if (!res.ok) throw new HttpError(res.status, answer?.error?.message ?? `${path}: HTTP ${res.status}`);
  return answer as T;
}

/** A non-2xx answer other than 401; status lets a caller accept e.g. 409 (already ended). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** One agent as GET /v1/agents returns it (coordinator/api/schemas.ts agentSchema). */
export interface Agent {
  id: string;
  cluster: string;
  node: string;
  zone: string | null;
  version: string;
  runtime: string | null;
  hostProcesses: boolean;
  connectedAt: number;
  lastSeenAt: number;
  containers: number;
  activeFaults: number;
}
