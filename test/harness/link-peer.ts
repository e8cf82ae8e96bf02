// One hand-driven end of the agent link over a real WebSocket: a scripted (or hostile) agent dialling a real
// coordinator, or a scripted (or hostile) coordinator that a real agent dials.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { LINK_PATH, LINK_PROTOCOL } from '../../lib/link/protocol.js';
import type { ContainerInfo } from '../../daemon/types.js';

export interface LinkPeer {
  socket: WebSocket;
  /** Sends a value as JSON, or a string as it is (for malformed JSON). */
  send(message: unknown): void;
  /** The next message the other end sends, parsed. */
  next(timeoutMs?: number): Promise<any>;
  /** Resolves when the other end closes the link, with its close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
}

function peer(socket: WebSocket): LinkPeer {
  const inbox: unknown[] = [];
  const waiting: Array<(m: unknown) => void> = [];
  socket.on('message', (data) => {
    const m = JSON.parse(String(data)) as unknown;
    const w = waiting.shift();
    if (w) w(m);
    else inbox.push(m);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return {
    socket,
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    next: (timeoutMs = 5000) =>
      inbox.length > 0
        ? Promise.resolve(inbox.shift())
        : new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no message within ${timeoutMs} ms`)), timeoutMs);
            waiting.push((m) => {
              clearTimeout(timer);
              resolve(m);
            });
          }),
    closed,
  };
}

/** Dials a coordinator's link as an agent would (ws://HOST:PORT, bearer token); resolves once open. */
export async function dialCoordinator(linkUrl: string, token: string): Promise<LinkPeer> {
  const socket = new WebSocket(`${linkUrl}${LINK_PATH}`, { headers: { authorization: `Bearer ${token}` } });
  const p = peer(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return p;
}

/** A valid hello of a node with the given containers. */
export function hello(cluster: string, node: string, containers: ContainerInfo[] = [], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'hello', protocol: LINK_PROTOCOL, cluster, node, zone: null, version: 'test', runtime: null, hostProcesses: false, containers, activeFaults: [], ...extra };
}

/** A running container as an agent reports it. */
export function container(pod: string, name: string, namespace = 'default'): ContainerInfo {
  return {
    id: `${pod}-${name}`.padEnd(64, '0').slice(0, 64),
    name,
    image: 'test',
    state: 'running',
    restartCount: 0,
    initPid: 0,
    createdAt: 0,
    pod: { id: `sandbox-${pod}`, name: pod, namespace, uid: `uid-${pod}`, labels: {} },
  };
}

export interface FakeCoordinator {
  /** ws://127.0.0.1:PORT, for an agent's --coordinator. */
  url: string;
  /** The next agent that dials in. */
  nextAgent(timeoutMs?: number): Promise<LinkPeer>;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 for agents, as a coordinator does, and hands each link to the test. */
export async function fakeCoordinator(): Promise<FakeCoordinator> {
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server, path: LINK_PATH });
  const arrived: LinkPeer[] = [];
  const waiting: Array<(p: LinkPeer) => void> = [];
  wss.on('connection', (socket) => {
    const p = peer(socket);
    const w = waiting.shift();
    if (w) w(p);
    else arrived.push(p);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    nextAgent: (timeoutMs = 10_000) =>
      arrived.length > 0
        ? Promise.resolve(arrived.shift()!)
        : new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no agent dialled in within ${timeoutMs} ms`)), timeoutMs);
            waiting.push((p) => {
              clearTimeout(timer);
              resolve(p);
            });
          }),
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
