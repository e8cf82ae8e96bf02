// Simulated agents for bench/coordinator-fleet.bench.ts: N plain `ws` clients in one process (the benchmark forks
// several and splits the fleet between them), each speaking the agent link of lib/link/protocol.ts — a `hello` with
// an inventory of `containers` containers (each in its own pod), then a `reply` (preceded by a
// `fault` event, as the real agent sends) to every `command`. Nothing is signalled: a fault.create is answered
// with a minimal Fault as if every process had been stopped and verified. Not a benchmark itself; the benchmark
// forks it and drives it over IPC.
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { LINK_PATH, LINK_PROTOCOL, type AgentHello, type AgentMessage, type Command, type CoordinatorMessage } from '../lib/link/protocol.js';
import type { Fault } from '../daemon/faults/manager.js';
import type { FaultRequestInput } from '../daemon/faults/request.js';
import type { ContainerInfo } from '../daemon/types.js';

export type SimControl =
  | { op: 'connect'; url: string; token: string; indices: number[]; batch: number; cluster: string; namespace: string; containers: number }
  | { op: 'mark' }
  | { op: 'stats' }
  | { op: 'disconnect' }
  | { op: 'exit' };

export type SimReport =
  | { type: 'connected'; count: number; ms: number; failed: number }
  | { type: 'stats'; commands: number; firstNs: string; lastNs: string; lastReplyNs: string; byOp: Record<string, number> }
  | { type: 'disconnected' }
  | { type: 'error'; message: string };

interface SimAgent {
  index: number;
  socket: WebSocket;
  containers: ContainerInfo[];
  coordinatorId: string | null;
  faults: Map<string, Fault>;
}

const agents: SimAgent[] = [];
let commands = 0;
let firstNs = 0n;
let lastNs = 0n;
let lastReplyNs = 0n;
let byOp: Record<string, number> = {};

const send = (process as unknown as { send(m: SimReport): void }).send.bind(process);

function containerOf(index: number, j: number, namespace: string): ContainerInfo {
  const uid = `00000000-0000-4000-8000-${String(index).padStart(9, '0')}${String(j).padStart(3, '0')}`;
  return {
    id: `sim${String(index).padStart(5, '0')}c${String(j).padStart(3, '0')}`.padEnd(64, '0'),
    name: 'app',
    image: 'eris.local/sim:1',
    state: 'running',
    restartCount: 0,
    initPid: 100_000 + index * 1000 + j,
    createdAt: Date.now(),
    pod: {
      id: `sandbox${String(index).padStart(5, '0')}c${String(j).padStart(3, '0')}`.padEnd(64, '0'),
      name: `sim-${index}-${j}`,
      namespace,
      uid,
      labels: { app: 'sim', 'io.kubernetes.pod.name': `sim-${index}-${j}`, 'io.kubernetes.pod.namespace': namespace, 'io.kubernetes.pod.uid': uid },
    },
  };
}

function faultFor(a: SimAgent, request: FaultRequestInput): Fault {
  const now = Date.now();
  const signal = String(request.signal).toUpperCase().replace(/^(SIG)?/, 'SIG') as Fault['signal'];
  const lease = signal === 'SIGSTOP' ? (request.leaseSeconds ?? 60) : undefined;
  const ids = (request.target as { containerIds?: string[] }).containerIds;
  const hit = ids ? a.containers.filter((c) => ids.includes(c.id)) : a.containers;
  return {
    id: crypto.randomUUID(),
    signal,
    scope: request.scope ?? 'all',
    state: signal === 'SIGSTOP' ? 'active' : 'done',
    result: 'ok',
    createdAt: now,
    durationMs: 0.05,
    ...(lease !== undefined ? { leaseSeconds: lease, leaseExpiresAt: now + lease * 1000 } : {}),
    requestedBy: `coordinator:${a.coordinatorId}`,
    ...(a.coordinatorId ? { owner: a.coordinatorId } : {}),
    ...(request.labels ? { labels: request.labels } : {}),
    targets: hit.map((c) => ({
      kind: 'container' as const,
      container: { id: c.id, name: c.name, namespace: c.pod.namespace, pod: c.pod.name, podUid: c.pod.uid },
      processes: [{ pid: c.initPid, startTime: '123456', ok: true, verified: true, method: 'pidfd' as const }],
    })),
  };
}

function execute(a: SimAgent, command: Command): unknown {
  switch (command.op) {
    case 'ping':
      return { at: Date.now() };
    case 'processes.list':
      return [];
    case 'processes.state':
      // After a resume the coordinator asks what state the processes are in: running again (S, sleeping).
      return command.processes.map((p) => ({ ...p, state: 'S' }));
    case 'fault.create': {
      const fault = faultFor(a, command.request);
      if (fault.state === 'active') a.faults.set(fault.id, fault);
      reply(a, { type: 'fault', fault });
      return fault;
    }
    case 'fault.resume': {
      const fault = a.faults.get(command.faultId);
      if (!fault) throw Object.assign(new Error(`no fault ${command.faultId}`), { code: 'ERIS_ERR_NOT_FOUND' });
      a.faults.delete(fault.id);
      const resumed: Fault = { ...fault, state: 'resumed', resumedAt: Date.now(), resumeReason: 'api' };
      reply(a, { type: 'fault', fault: resumed });
      return resumed;
    }
  }
}

function reply(a: SimAgent, message: AgentMessage): void {
  if (a.socket.readyState === WebSocket.OPEN) a.socket.send(JSON.stringify(message));
}

function onMessage(a: SimAgent, text: string): void {
  const message = JSON.parse(text) as CoordinatorMessage;
  if (message.type === 'welcome') {
    a.coordinatorId = message.coordinatorId;
    return;
  }
  if (message.type !== 'command') return;
  const t = process.hrtime.bigint();
  if (commands === 0) firstNs = t;
  lastNs = t;
  commands++;
  const { id, type: _type, ...command } = message;
  byOp[command.op] = (byOp[command.op] ?? 0) + 1;
  try {
    reply(a, { type: 'reply', id, ok: true, result: execute(a, command as Command) });
  } catch (error) {
    reply(a, { type: 'reply', id, ok: false, error: { code: (error as { code?: string }).code ?? 'ERIS_ERR_INTERNAL', message: (error as Error).message } });
  }
  lastReplyNs = process.hrtime.bigint();
}

function connectOne(index: number, url: string, token: string, cluster: string, namespace: string, containers: number): Promise<SimAgent> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace(/\/$/, '')}${LINK_PATH}`, { headers: { authorization: `Bearer ${token}` }, handshakeTimeout: 20_000 });
    const a: SimAgent = { index, socket, containers: Array.from({ length: containers }, (_, j) => containerOf(index, j, namespace)), coordinatorId: null, faults: new Map() };
    socket.once('open', () => {
      const hello: AgentHello = {
        type: 'hello',
        protocol: LINK_PROTOCOL,
        cluster,
        node: `sim-node-${String(index).padStart(5, '0')}`,
        zone: `zone-${index % 3}`,
        version: 'sim',
        runtime: 'containerd 1.6.20 (simulated)',
        hostProcesses: false,
        containers: a.containers,
        activeFaults: [],
      };
      socket.send(JSON.stringify(hello));
    });
    socket.on('message', (data) => {
      const wasWelcomed = a.coordinatorId !== null;
      onMessage(a, String(data));
      if (!wasWelcomed && a.coordinatorId !== null) resolve(a);
    });
    socket.once('error', reject);
    socket.once('close', (code) => {
      if (a.coordinatorId === null) reject(new Error(`closed before welcome (${code})`));
    });
  });
}

process.on('message', (raw) => {
  const m = raw as SimControl;
  void (async () => {
    switch (m.op) {
      case 'connect': {
        const started = performance.now();
        let failed = 0;
        for (let i = 0; i < m.indices.length; i += m.batch) {
          const settled = await Promise.allSettled(
            m.indices.slice(i, i + m.batch).map((index) => connectOne(index, m.url, m.token, m.cluster, m.namespace, m.containers)),
          );
          for (const s of settled) {
            if (s.status === 'fulfilled') agents.push(s.value);
            else failed++;
          }
        }
        send({ type: 'connected', count: agents.length, ms: performance.now() - started, failed });
        return;
      }
      case 'mark':
        commands = 0;
        firstNs = lastNs = lastReplyNs = 0n;
        byOp = {};
        send({ type: 'stats', commands, firstNs: '0', lastNs: '0', lastReplyNs: '0', byOp });
        return;
      case 'stats':
        send({ type: 'stats', commands, firstNs: String(firstNs), lastNs: String(lastNs), lastReplyNs: String(lastReplyNs), byOp });
        return;
      case 'disconnect': {
        const closing = agents.splice(0).map((a) => new Promise<void>((resolve) => {
          if (a.socket.readyState === WebSocket.CLOSED) return resolve();
          a.socket.once('close', () => resolve());
          a.socket.close(1001, 'simulation over');
        }));
        await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 10_000))]);
        send({ type: 'disconnected' });
        return;
      }
      case 'exit':
        for (const a of agents) a.socket.terminate();
        process.exit(0);
    }
  })().catch((error: unknown) => send({ type: 'error', message: (error as Error).stack ?? String(error) }));
});
process.on('disconnect', () => process.exit(0));
