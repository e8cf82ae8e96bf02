// The fleet: agents that dialled in, what runs on their nodes, and commands routed to the agent owning a target.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../lib/logger.js';
import { authenticate } from '../../lib/auth.js';
import type { Principal } from '../auth/roles.js';
import { ErisError, NotFoundError, TimeoutError, UnavailableError } from '../../lib/errors.js';
import {
  CLOSE,
  LINK_MAX_PAYLOAD,
  LINK_PATH,
  LINK_FEATURES,
  LINK_PROTOCOL,
  agentHelloSchema,
  agentUpdateSchema,
  checkLinkValue,
  closeReason,
  commandResultSchemas,
  parseLinkMessage,
  type AgentHello,
  type AgentIdentity,
  type AgentUpdate,
  type Command,
  type CoordinatorMessage,
  type HostProcessInfo,
  type ProcessRef,
  type ProcessState,
} from '../../lib/link/protocol.js';
import type { Fault } from '../../daemon/faults/manager.js';
import type { FaultRequestInput } from '../../daemon/faults/request.js';
import type { ContainerInfo } from '../../daemon/types.js';
import type { TargetRecord } from '../selection/types.js';
import { cmdlineLabels } from './process-labels.js';
import { certBindingProblem, verifyClientCertificate, type AgentCertBinding } from './client-cert.js';
import { redactCmdline, redactFaultCmdlines, redactLabels } from '../../lib/redact.js';
import { preciseNow } from '../../lib/timers.js';
import { containerRecords } from './target-records.js';

export interface AgentView extends AgentIdentity {
  id: string;
  connectedAt: number;
  lastSeenAt: number;
  containers: number;
  activeFaults: number;
}

interface AgentSession {
  id: string;
  hello: AgentHello;
  socket: WebSocket;
  connectedAt: number;
  lastSeenAt: number;
  containers: ContainerInfo[];
  activeFaults: Map<string, Fault>;
  /** The token it registered with: another token may not take its place (see register). */
  principal: Principal;
  /** Round trip of the last heartbeat ping (ms), once one came back: what a fire time's lead is sized by. */
  rttMs?: number;
  pending: Map<string, { op: Command['op']; resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>;
}

export interface FleetOptions {
  coordinatorId: string;
  /** Tokens that may register: those with the agent role, each bound to its cluster (and node). */
  principals: readonly Principal[];
  logger: Logger;
  /** Told of each link turned away for who it is (no token, a token without the agent role, outside its binding). */
  onRefused?: (refusal: { code: string; message: string; principal?: Principal; agent?: string }) => void;
  commandTimeoutMs?: number;
  /** Decides whether an active fault an agent reports (after a reconnect or a coordinator restart) should go on. */
  keepFault?: (fault: Fault) => boolean;
  heartbeatMs?: number;
  /** mTLS: every link must present a client certificate the coordinator's client CA signed (coordinator/fleet/client-cert.ts). */
  clientCerts?: { binding: AgentCertBinding };
}

/** The client certificate a link came with, when the coordinator requires them. */
interface LinkCertificate {
  names: string[];
  subject: string;
}

export const agentId = (cluster: string, node: string) => `${cluster}/${node}`;

/** An error an agent answered a command with, re-thrown here with the agent's code and status kept. */
export class AgentCommandError extends ErisError {
  override readonly code: string;
  override readonly status: number;
  constructor(agent: string, wire: { code: string; message: string; path?: string }) {
    super(`agent ${agent}: ${wire.message}`, { ...(wire.path ? { path: wire.path } : {}), details: { agent, agentCode: wire.code } });
    this.code = wire.code;
    this.status = STATUS_BY_CODE[wire.code] ?? 502;
  }
}

/** An agent answered with something the protocol does not allow; its link is closed. */
export class AgentProtocolError extends ErisError {
  override readonly code = 'ERIS_ERR_AGENT_PROTOCOL';
  override readonly status = 502;
}

const STATUS_BY_CODE: Record<string, number> = {
  ERIS_ERR_VALIDATION: 400,
  ERIS_ERR_FORBIDDEN_TARGET: 403,
  ERIS_ERR_NOT_FOUND: 404,
  ERIS_ERR_NO_TARGETS: 422,
  ERIS_ERR_IDENTITY_MISMATCH: 409,
};

export class Fleet {
  private readonly sessions = new Map<string, AgentSession>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: LINK_MAX_PAYLOAD });
  private readonly events = new EventEmitter();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly alive = new WeakSet<WebSocket>();
  private readonly pingSentAt = new WeakMap<WebSocket, number>();
  /** The active faults of agents whose link closed, until they come back: what their next hello must account for. */
  private readonly departed = new Map<string, Map<string, Fault>>();

  constructor(private readonly o: FleetOptions) {
    this.events.setMaxListeners(0);
    // ws ping/pong finds half-open connections (a node that vanished without a FIN).
    this.heartbeat = setInterval(() => {
      for (const s of this.sessions.values()) {
        if (!this.alive.has(s.socket)) {
          s.socket.terminate();
          continue;
        }
        this.alive.delete(s.socket);
        this.pingSentAt.set(s.socket, preciseNow());
        s.socket.ping();
      }
    }, o.heartbeatMs ?? 10_000);
    this.heartbeat.unref();
  }

  /** Hook for the HTTP server's 'upgrade' event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== LINK_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    let certificate: LinkCertificate | null = null;
    if (this.o.clientCerts !== undefined) {
      const verdict = verifyClientCertificate(req);
      if (!verdict.ok) {
        this.o.logger.warn({ code: verdict.code, remote: req.socket.remoteAddress }, `agent link refused: ${verdict.message}`);
        this.o.onRefused?.({ code: verdict.code, message: verdict.message });
        const body = JSON.stringify({ error: { code: verdict.code, message: verdict.message } });
        socket.end(`HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        return;
      }
      certificate = { names: verdict.names, subject: verdict.subject };
    }
    const principal = authenticate(this.o.principals, req.headers.authorization);
    if (principal === null) {
      this.o.onRefused?.({ code: 'ERIS_ERR_UNAUTHORIZED', message: 'agent link without a valid token' });
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n\r\n{"error":{"code":"ERIS_ERR_UNAUTHORIZED","message":"a valid bearer token is required"}}');
      return;
    }
    if (!principal.roles.includes('agent')) {
      const message = `token ${principal.id} has no agent role: it cannot register an agent`;
      this.o.onRefused?.({ code: 'ERIS_ERR_FORBIDDEN_ROLE', message, principal });
      const body = JSON.stringify({ error: { code: 'ERIS_ERR_FORBIDDEN_ROLE', message, details: { needed: 'agent' } } });
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, principal, certificate));
  }

  onChange(listener: (event: { type: 'connected' | 'disconnected' | 'inventory' | 'fault'; agent: string; fault?: Fault }) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  agents(): AgentView[] {
    return [...this.sessions.values()].map((s) => ({
      id: s.id,
      cluster: s.hello.cluster,
      node: s.hello.node,
      zone: s.hello.zone,
      version: s.hello.version,
      runtime: s.hello.runtime,
      hostProcesses: s.hello.hostProcesses,
      connectedAt: s.connectedAt,
      lastSeenAt: s.lastSeenAt,
      containers: s.containers.length,
      activeFaults: [...s.activeFaults.values()].filter((f) => f.state === 'active').length,
    }));
  }

  agentCount(cluster?: string): number {
    return [...this.sessions.values()].filter((s) => cluster === undefined || s.hello.cluster === cluster).length;
  }

  clusters(): string[] {
    return [...new Set([...this.sessions.values()].map((s) => s.hello.cluster))].sort();
  }

  /** Every container of every connected agent, as selection sees it. */
  targets(): TargetRecord[] {
    const out: TargetRecord[] = [];
    for (const s of this.sessions.values()) for (const t of containerRecords(s.hello, s.containers, containerTarget)) out.push(t);
    return out;
  }

  /** Host-mode processes whose command line matches, from every agent that allows them (of the clusters `asked` takes). */
  async processes(cmdline: string, asked: (cluster: string) => boolean = () => true): Promise<TargetRecord[]> {
    const hostAgents = [...this.sessions.values()].filter((s) => s.hello.hostProcesses && asked(s.hello.cluster));
    const lists = await Promise.all(
      hostAgents.map(async (s) => ({ s, list: (await this.command(s.id, { op: 'processes.list', cmdline })) as HostProcessInfo[] })),
    );
    return lists.flatMap(({ s, list }) => list.map((p) => processTarget(s.hello, p)));
  }

  agentFor(target: Pick<TargetRecord, 'cluster' | 'node'>): string {
    const id = agentId(target.cluster, target.node);
    if (!this.sessions.has(id)) throw new UnavailableError(`agent ${id} is not connected`, { details: { agent: id } });
    return id;
  }

  // Faults come back with the command lines of process targets masked (an older agent sends them whole). With
  // `fireAt` (only for an agent that supports it) the agent acts at that time and says when it did (`firedAt`).
  async placeFault(agent: string, request: FaultRequestInput, fireAt?: number): Promise<Fault & { firedAt?: number }> {
    const command: Command = { op: 'fault.create', request, ...(fireAt !== undefined ? { fireAt } : {}) };
    return redactFaultCmdlines((await this.command(agent, command)) as Fault & { firedAt?: number });
  }

  /** Whether the agent announced it acts at a fire time (an older agent would act on arrival). */
  supports(agent: string, feature: string): boolean {
    return this.sessions.get(agent)?.hello.features?.includes(feature) ?? false;
  }

  /** The agent's link round trip from the last heartbeat ping, ms; undefined before one came back. */
  lastRtt(agent: string): number | undefined {
    return this.sessions.get(agent)?.rttMs;
  }

  async resumeFault(agent: string, faultId: string): Promise<Fault> {
    return redactFaultCmdlines((await this.command(agent, { op: 'fault.resume', faultId })) as Fault);
  }

  /** What the agent sees of these processes now: state letters, null for the gone. */
  processStates(agent: string, processes: ProcessRef[]): Promise<ProcessState[]> {
    return this.command(agent, { op: 'processes.state', processes }) as Promise<ProcessState[]>;
  }

  /** Sends a command and waits for the agent's reply (or the timeout). */
  command(agent: string, command: Command, timeoutMs = this.o.commandTimeoutMs ?? 15_000): Promise<unknown> {
    const session = this.sessions.get(agent);
    if (!session) return Promise.reject(new UnavailableError(`agent ${agent} is not connected`, { details: { agent } }));
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        session.pending.delete(id);
        reject(new TimeoutError(`agent ${agent} did not answer ${command.op} within ${timeoutMs} ms`, { details: { agent } }));
      }, timeoutMs);
      session.pending.set(id, { op: command.op, resolve, reject, timer });
      const message: CoordinatorMessage = { type: 'command', id, ...command };
      session.socket.send(JSON.stringify(message));
    });
  }

  activeFaults(agent?: string): Array<{ agent: string; fault: Fault }> {
    const out: Array<{ agent: string; fault: Fault }> = [];
    for (const s of this.sessions.values()) {
      if (agent !== undefined && s.id !== agent) continue;
      for (const f of s.activeFaults.values()) if (f.state === 'active') out.push({ agent: s.id, fault: f });
    }
    return out;
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const s of this.sessions.values()) s.socket.close(CLOSE.shutdown, 'coordinator shutting down');
    this.wss.close();
  }

  private accept(socket: WebSocket, principal: Principal, certificate: LinkCertificate | null): void {
    const tokenId = principal.id;
    this.alive.add(socket);
    let session: AgentSession | null = null;
    // Any frame shows the agent alive, its link pings and our heartbeat's pongs too: an idle agent is not "last seen" minutes ago.
    const seen = () => {
      if (session !== null) session.lastSeenAt = Date.now();
    };
    socket.on('pong', () => {
      this.alive.add(socket);
      const sentAt = this.pingSentAt.get(socket);
      if (session !== null && sentAt !== undefined) session.rttMs = preciseNow() - sentAt;
      seen();
    });
    socket.on('ping', seen);
    const helloTimer = setTimeout(() => socket.close(CLOSE.badHello, 'no hello'), 10_000);
    // Whatever a peer sends, it is checked against the link schemas first; a message that does not fit closes that
    // link (the reason names the field) and nothing else. A throw here would be uncaught: the whole process would go.
    socket.on('message', (data) => {
      try {
        if (session === null) {
          const hello = parseLinkMessage(agentHelloSchema, String(data), 'hello');
          if (!hello.ok) {
            this.refuse(socket, CLOSE.badHello, hello.problem, { tokenId });
            return;
          }
          clearTimeout(helloTimer);
          const refusal = this.certificateProblem(certificate, hello.message) ?? this.bindingProblem(principal, hello.message);
          if (refusal !== null) {
            this.o.logger.warn({ tokenId, agent: agentId(hello.message.cluster, hello.message.node) }, `agent link refused: ${refusal}`);
            this.o.onRefused?.({ code: 'ERIS_ERR_FORBIDDEN_BINDING', message: refusal, principal, agent: agentId(hello.message.cluster, hello.message.node) });
            this.refuse(socket, CLOSE.forbidden, refusal, { tokenId });
            return;
          }
          session = this.register(socket, hello.message, principal);
          return;
        }
        const update = parseLinkMessage(agentUpdateSchema, String(data));
        if (!update.ok) {
          this.refuse(socket, CLOSE.badMessage, update.problem, { tokenId, agent: session.id });
          return;
        }
        session.lastSeenAt = Date.now();
        this.onAgentMessage(session, update.message);
      } catch (err) {
        this.o.logger.error({ err, agent: session?.id, tokenId }, 'failed on a message from an agent: closing its link');
        socket.close(CLOSE.internal, 'internal error');
      }
    });
    socket.on('close', () => {
      clearTimeout(helloTimer);
      if (session === null || this.sessions.get(session.id) !== session) return;
      this.sessions.delete(session.id);
      this.departed.set(session.id, session.activeFaults);
      for (const p of session.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new UnavailableError(`agent ${session.id} disconnected`, { details: { agent: session.id } }));
      }
      this.o.logger.warn({ agent: session.id }, 'agent disconnected');
      this.events.emit('change', { type: 'disconnected', agent: session.id });
    });
    socket.on('error', (err) => this.o.logger.debug({ err: err.message }, 'agent socket error'));
  }

  private refuse(socket: WebSocket, code: number, problem: string, who: { tokenId?: string; agent?: string }): void {
    this.o.logger.warn({ ...who, problem, closeCode: code }, 'agent broke the link protocol: closing its link');
    socket.close(code, closeReason(problem));
  }

  /**
   * Why this token may not register this hello, or null. A token registers only as its bound cluster (and node). A
   * node already connected with another token keeps its link unless the newcomer's token is bound to that very node:
   * a cluster-wide (or legacy) token cannot evict a node's agent and answer its commands in its place.
   */
  private bindingProblem(p: Principal, hello: AgentHello): string | null {
    const id = agentId(hello.cluster, hello.node);
    if (p.agentCluster !== undefined && p.agentCluster !== hello.cluster) return `token ${p.id} is bound to cluster ${p.agentCluster}, not ${hello.cluster}`;
    if (p.agentNode !== undefined && p.agentNode !== hello.node) return `token ${p.id} is bound to node ${p.agentNode}, not ${hello.node}`;
    const previous = this.sessions.get(id);
    if (previous !== undefined && previous.principal.id !== p.id && p.agentNode === undefined) {
      return `${id} is connected with another token; only a token bound to node ${hello.node} may replace it`;
    }
    return null;
  }

  /** Why this link's certificate may not register this hello (binding `node`), or null. */
  private certificateProblem(certificate: LinkCertificate | null, hello: AgentHello): string | null {
    if (certificate === null || this.o.clientCerts?.binding !== 'node') return null;
    return certBindingProblem(certificate.names, certificate.subject, hello.cluster, hello.node);
  }

  private register(socket: WebSocket, hello: AgentHello, principal: Principal): AgentSession {
    const tokenId = principal.id;
    const id = agentId(hello.cluster, hello.node);
    const previous = this.sessions.get(id);
    if (previous) previous.socket.close(CLOSE.replaced, 'replaced by a newer connection of the same node');
    const knownActive = previous?.activeFaults ?? this.departed.get(id) ?? new Map<string, Fault>();
    this.departed.delete(id);
    const now = Date.now();
    const session: AgentSession = {
      id,
      hello,
      socket,
      connectedAt: now,
      lastSeenAt: now,
      containers: hello.containers,
      activeFaults: new Map(hello.activeFaults.map((f) => [f.id, redactFaultCmdlines(f)])),
      principal,
      pending: new Map(),
    };
    this.sessions.set(id, session);
    const welcome: CoordinatorMessage = { type: 'welcome', coordinatorId: this.o.coordinatorId, protocol: LINK_PROTOCOL, features: [LINK_FEATURES.clock] };
    socket.send(JSON.stringify(welcome));
    this.o.logger.info({ agent: id, zone: hello.zone, version: hello.version, containers: hello.containers.length, tokenId, activeFaults: hello.activeFaults.length }, 'agent connected');
    this.events.emit('change', { type: 'connected', agent: id });
    this.endVanished(session, knownActive, now);
    this.reconcile(session);
    return session;
  }

  /**
   * The hello lists every fault the agent holds. One this coordinator last knew as active and the hello leaves out
   * ended while the link was down (an agent restarted on its journal, its watchdog resumed): recorded as resumed, so
   * no run or immediate fault goes on calling it active. A later update from the agent, if any, is more precise.
   */
  private endVanished(session: AgentSession, knownActive: ReadonlyMap<string, Fault>, now: number): void {
    for (const fault of knownActive.values()) {
      if (fault.state !== 'active' || session.activeFaults.has(fault.id)) continue;
      this.o.logger.info({ agent: session.id, faultId: fault.id }, 'a fault ended while the agent was away: recorded as resumed');
      this.events.emit('change', { type: 'fault', agent: session.id, fault: { ...fault, state: 'resumed', resumeReason: 'recovered', resumedAt: now } });
    }
  }

  /** Faults this coordinator placed and no longer wants (its run ended, or it restarted) are resumed. */
  private reconcile(session: AgentSession): void {
    for (const fault of session.activeFaults.values()) {
      if (fault.state !== 'active' || fault.owner !== this.o.coordinatorId) continue;
      if (this.o.keepFault?.(fault) ?? true) continue;
      this.o.logger.warn({ agent: session.id, faultId: fault.id, labels: fault.labels }, 'resuming a fault no run owns any more');
      this.resumeFault(session.id, fault.id).catch((err: unknown) => this.o.logger.error({ err, agent: session.id, faultId: fault.id }, 'reconcile resume failed'));
    }
  }

  private onAgentMessage(session: AgentSession, message: AgentUpdate): void {
    switch (message.type) {
      case 'reply': {
        const pending = session.pending.get(message.id);
        if (!pending) return;
        session.pending.delete(message.id);
        clearTimeout(pending.timer);
        if (!message.ok) {
          pending.reject(new AgentCommandError(session.id, message.error));
          return;
        }
        const result = checkLinkValue(commandResultSchemas[pending.op], message.result, 'result');
        if (result.ok) {
          pending.resolve(result.message);
          return;
        }
        pending.reject(new AgentProtocolError(`agent ${session.id} answered ${pending.op} with ${result.problem}`, { details: { agent: session.id } }));
        this.refuse(session.socket, CLOSE.badMessage, result.problem, { agent: session.id });
        return;
      }
      case 'clock': {
        // Answered at once with this host's time: the agent's estimate of our clock (daemon/link/clock.ts).
        const answer: CoordinatorMessage = { type: 'clock', t0: message.t0, at: preciseNow() };
        session.socket.send(JSON.stringify(answer));
        return;
      }
      case 'inventory':
        session.containers = message.containers;
        this.events.emit('change', { type: 'inventory', agent: session.id });
        return;
      case 'fault': {
        const fault = redactFaultCmdlines(message.fault);
        session.activeFaults.set(fault.id, fault);
        if (fault.state !== 'active') session.activeFaults.delete(fault.id);
        this.events.emit('change', { type: 'fault', agent: session.id, fault });
        return;
      }
    }
  }
}

export function containerTarget(hello: Pick<AgentHello, 'cluster' | 'node' | 'zone'>, c: ContainerInfo): TargetRecord {
  return {
    cluster: hello.cluster,
    node: hello.node,
    zone: hello.zone,
    namespace: c.pod.namespace,
    pod: c.pod.name,
    podUid: c.pod.uid,
    container: c.name,
    containerId: c.id,
    labels: c.pod.labels,
    state: c.state,
    kind: 'container',
  };
}

function processTarget(hello: AgentHello, p: HostProcessInfo): TargetRecord {
  // A host process has no pod: it is addressed as cluster/node/-/pid. Its command line and the labels read from it
  // are shown with secret-looking values masked (an older agent sends them whole).
  return {
    cluster: hello.cluster,
    node: hello.node,
    zone: hello.zone,
    namespace: '',
    pod: `pid-${p.pid}`,
    podUid: '',
    container: p.cmdline.split(' ')[0] ?? '',
    containerId: `pid:${p.pid}`,
    labels: redactLabels(cmdlineLabels(p.cmdline.split(' '))),
    state: p.state === 'T' || p.state === 't' ? 'stopped' : 'running',
    kind: 'process',
    pid: p.pid,
    ...(p.startTime !== undefined ? { startTime: p.startTime } : {}),
    cmdline: redactCmdline(p.cmdline),
  };
}

export function ensureAgent(fleet: Fleet, id: string): void {
  if (!fleet.agents().some((a) => a.id === id)) throw new NotFoundError(`no agent ${id}`, { path: 'agent' });
}
