// The agent's link to its coordinator: dials out over WebSocket, registers, takes commands, reports results,
// reconnects with backoff and jitter, and resumes the coordinator's faults when it is gone too long.
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import type { Logger } from '../../lib/logger.js';
import { ErisError } from '../../lib/errors.js';
import { clip } from '../../lib/text.js';
import { parseOrThrow } from '../../lib/validation.js';
import { compileUserRegex, type UserRegex } from '../../lib/user-regex.js';
import { redactCmdline } from '../../lib/redact.js';
import {
  CLOSE,
  LINK_MAX_PAYLOAD,
  LINK_PATH,
  LINK_FEATURES,
  LINK_PROTOCOL,
  closeReason,
  coordinatorMessageSchema,
  parseLinkMessage,
  type AgentIdentity,
  type AgentMessage,
  type Command,
  type ProcessRef,
} from '../../lib/link/protocol.js';
import type { Fault, FaultManager } from '../faults/manager.js';
import { faultRequestSchema } from '../faults/request.js';
import type { ContainerInfo } from '../types.js';
import type { HostProcessInfo } from '../proc/host-processes.js';
import { ClockOffset } from './clock.js';
import { preciseNow } from '../../lib/timers.js';
import { FireCancelledError, FireScheduler } from './fire-at.js';

export interface LinkOptions extends AgentIdentity {
  /** ws:// or wss:// base URL of the coordinator. */
  url: string;
  token: string;
  faults: FaultManager;
  inventory: { list(): readonly ContainerInfo[]; onChange(listener: () => void): () => void } | null;
  listProcesses: (pattern: UserRegex) => HostProcessInfo[];
  /** The state letter of that process (PID + start time) now, or null when it is gone. */
  processState: (process: ProcessRef) => string | null;
  logger: Logger;
  /** How long the coordinator may be gone before its faults are resumed (dead man's switch). */
  graceMs: number;
  backoff?: { initialMs: number; maxMs: number };
  /** Test seam. */
  createSocket?: (url: string, token: string) => WebSocket;
  /** TLS: accept a self-signed coordinator certificate (testing only). */
  insecureSkipVerify?: boolean;
  /**
   * TLS on a wss:// link: the CA bundle that signed the coordinator's certificate, and the client certificate and key
   * presented for mTLS. Read at every dial, so certificates rotated on disk (a Kubernetes Secret) are picked up.
   */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /**
   * The agent pings the coordinator this often and drops a link that has not answered for three intervals: a
   * coordinator that vanished without closing the connection must still trip the dead man's switch. Default 5 s.
   */
  heartbeatMs?: number;
}

export class CoordinatorLink {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  private coordinatorId: string | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly unsubscribe: Array<() => void> = [];
  /**
   * The latest state of each fault that changed while no coordinator listened (the link cut, the coordinator
   * restarting). The hello carries only active faults, so without these a fault the dead man's switch or a lease
   * ended offline would stay `active` in the coordinator's record forever. Sent after the next welcome.
   */
  private readonly undelivered = new Map<string, Fault>();
  /** The last reason the link failed, so a reason repeated at every retry is logged once at warn. */
  private lastProblem: string | null = null;
  /** The coordinator's clock (from clock exchanges) and the faults waiting for their fire time (fire-at.ts). */
  private readonly clock = new ClockOffset();
  private readonly fires = new FireScheduler(this.clock);
  private coordinatorFeatures: readonly string[] = [];
  private clockTimer: NodeJS.Timeout | null = null;
  connected = false;

  constructor(private readonly o: LinkOptions) {}

  start(): void {
    this.unsubscribe.push(this.o.faults.onChange((fault) => this.sendFault(fault)));
    if (this.o.inventory) {
      const inventory = this.o.inventory;
      this.unsubscribe.push(inventory.onChange(() => this.send({ type: 'inventory', containers: [...inventory.list()] })));
    }
    this.connect();
  }

  /** Stops dialling; the faults are the caller's to resume (the agent resumes all on shutdown). */
  stop(): void {
    this.stopped = true;
    for (const u of this.unsubscribe.splice(0)) u();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.clockTimer) clearInterval(this.clockTimer);
    this.socket?.close(1001, 'agent shutting down');
    this.socket = null;
  }

  private connect(): void {
    if (this.stopped) return;
    const url = `${this.o.url.replace(/\/$/, '')}${LINK_PATH}`;
    let tls: Record<string, Buffer>;
    try {
      tls = readTlsFiles(this.o.tls);
    } catch (err) {
      this.report('link-tls-files', `cannot read the link's TLS files: ${(err as Error).message}`);
      this.scheduleReconnect();
      return;
    }
    const socket = this.o.createSocket
      ? this.o.createSocket(url, this.o.token)
      : new WebSocket(url, {
          headers: { authorization: `Bearer ${this.o.token}` },
          handshakeTimeout: 5000,
          maxPayload: LINK_MAX_PAYLOAD,
          ...tls,
          ...(this.o.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
        });
    this.socket = socket;
    // The coordinator turned the link away before it opened (token, role, client certificate): its answer says why.
    socket.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body = (body + chunk).slice(0, 4096)));
      res.on('end', () => {
        let reason = body;
        try {
          const parsed = JSON.parse(body) as { error?: { code?: string; message?: string } };
          if (parsed.error?.message !== undefined) reason = `${parsed.error.code ?? 'error'}: ${parsed.error.message}`;
        } catch {
          // not JSON: the body as it is
        }
        this.report(`refused-${res.statusCode}-${reason}`, `the coordinator refused the link (HTTP ${res.statusCode}): ${clip(reason, 500)}`);
        socket.terminate();
      });
    });
    let lastPong = Date.now();
    socket.on('pong', () => (lastPong = Date.now()));
    socket.on('open', () => {
      const every = this.o.heartbeatMs ?? 5000;
      if (this.heartbeat) clearInterval(this.heartbeat);
      this.heartbeat = setInterval(() => {
        if (Date.now() - lastPong > 3 * every) {
          this.o.logger.warn({ silentMs: Date.now() - lastPong }, 'coordinator stopped answering pings: dropping the link');
          socket.terminate();
          return;
        }
        socket.ping();
      }, every);
      this.heartbeat.unref();
      this.send({
        type: 'hello',
        protocol: LINK_PROTOCOL,
        cluster: this.o.cluster,
        node: this.o.node,
        zone: this.o.zone,
        version: this.o.version,
        runtime: this.o.runtime,
        hostProcesses: this.o.hostProcesses,
        containers: [...(this.o.inventory?.list() ?? [])],
        activeFaults: this.o.faults.active(),
        features: [LINK_FEATURES.fireAt],
      });
    });
    socket.on('message', (data) => {
      // A throw here would be uncaught and take the agent — and the leases it enforces — down with it.
      try {
        this.onMessage(socket, String(data));
      } catch (err) {
        this.o.logger.error({ err }, 'failed on a message from the coordinator: dropping the link');
        socket.close(CLOSE.internal, 'internal error');
      }
    });
    socket.on('error', (err) => {
      if (/closed before the connection was established/.test(err.message)) return;
      this.report(`error-${(err as NodeJS.ErrnoException).code ?? err.message}`, `cannot reach the coordinator: ${describeLinkError(err, this.o.url)}`);
    });
    socket.on('close', (code, reason) => {
      if (this.socket !== socket) return;
      if (this.heartbeat) clearInterval(this.heartbeat);
      this.heartbeat = null;
      this.socket = null;
      // A fault still waiting for its fire time is not placed: its coordinator would never hear of it.
      const cancelled = this.fires.cancelAll('the link to the coordinator dropped before the fire time');
      if (cancelled > 0) this.o.logger.warn({ cancelled }, 'link lost: cancelled faults waiting for their fire time');
      this.clock.clear();
      if (this.clockTimer) clearInterval(this.clockTimer);
      this.coordinatorFeatures = [];
      const wasConnected = this.connected;
      this.connected = false;
      if (this.stopped) return;
      if (wasConnected) this.o.logger.warn({ code, reason: reason.toString() }, 'lost the coordinator');
      // Closed before the welcome with a reason: the coordinator refused this hello (its binding, its shape).
      else if (reason.length > 0) this.report(`closed-${code}-${reason.toString()}`, `the coordinator closed the link before welcoming it (${code}): ${clip(reason.toString(), 500)}`);
      this.armDeadMansSwitch();
      this.scheduleReconnect();
    });
  }

  /**
   * Why the link cannot be made, at warn once per distinct reason (at debug while it repeats): an operator sees "the
   * coordinator's certificate is not trusted" at once, without a line per retry.
   */
  private report(key: string, message: string): void {
    if (this.lastProblem === key) {
      this.o.logger.debug({ url: this.o.url }, message);
      return;
    }
    this.lastProblem = key;
    this.o.logger.warn({ url: this.o.url }, message);
  }

  private scheduleReconnect(): void {
    const { initialMs, maxMs } = this.o.backoff ?? { initialMs: 250, maxMs: 10_000 };
    const ceiling = Math.min(maxMs, initialMs * 2 ** this.attempt);
    // Full jitter: a coordinator restart must not be met by every agent of the fleet in the same millisecond.
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.attempt++;
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private armDeadMansSwitch(): void {
    if (this.graceTimer || this.coordinatorId === null) return;
    const owner = this.coordinatorId;
    this.graceTimer = setTimeout(() => {
      this.graceTimer = null;
      const resumed = this.o.faults.resumeOwnedBy(owner, 'coordinator-lost');
      this.o.logger.warn({ coordinatorId: owner, faults: resumed.length, graceMs: this.o.graceMs }, "coordinator gone past the grace period: resumed its faults");
    }, this.o.graceMs);
  }

  private onMessage(socket: WebSocket, text: string): void {
    const parsed = parseLinkMessage(coordinatorMessageSchema, text);
    if (!parsed.ok) {
      // Not a coordinator speaking this protocol: drop the link (the dead man's switch covers its faults) and dial again.
      this.o.logger.warn({ problem: parsed.problem, closeCode: CLOSE.badMessage }, 'coordinator broke the link protocol: closing the link');
      socket.close(CLOSE.badMessage, closeReason(parsed.problem));
      return;
    }
    const message = parsed.message;
    if (message.type === 'welcome') {
      this.connected = true;
      this.attempt = 0;
      this.lastProblem = null;
      if (this.graceTimer) clearTimeout(this.graceTimer);
      this.graceTimer = null;
      if (this.coordinatorId !== null && this.coordinatorId !== message.coordinatorId) {
        // A different coordinator: the one that placed our faults is gone for good.
        const resumed = this.o.faults.resumeOwnedBy(this.coordinatorId, 'coordinator-lost');
        if (resumed.length > 0) this.o.logger.warn({ previous: this.coordinatorId, faults: resumed.length }, 'resumed the faults of a previous coordinator');
      }
      this.coordinatorId = message.coordinatorId;
      this.o.logger.info({ coordinatorId: message.coordinatorId, url: this.o.url, undelivered: this.undelivered.size }, 'connected to the coordinator');
      this.flushUndelivered();
      this.coordinatorFeatures = message.features ?? [];
      // A few exchanges at once: the best round trip of them is the first offset estimate; then one a second, so
      // the window (the last 8) always holds recent exchanges to pick a quick one from.
      for (let i = 0; i < 4; i++) this.syncClock();
      if (this.clockTimer) clearInterval(this.clockTimer);
      this.clockTimer = setInterval(() => this.syncClock(), 1000);
      this.clockTimer.unref();
      return;
    }
    if (message.type === 'clock') {
      this.clock.add(message.t0, message.at, preciseNow());
      return;
    }
    if (message.type === 'command') {
      const { id, type: _type, ...command } = message;
      // fault.create's request is checked by execute (faultRequestSchema): a bad one is answered, not fatal.
      void this.execute(command as Command, id).then(
        (result) => this.send({ type: 'reply', id, ok: true, result }),
        (error: unknown) => this.send({ type: 'reply', id, ok: false, error: toWireError(error) }),
      );
    }
  }

  private async execute(command: Command, commandId: string): Promise<unknown> {
    switch (command.op) {
      case 'ping':
        return { at: Date.now() };
      case 'fault.create': {
        const request = parseOrThrow(faultRequestSchema, command.request);
        const fireAt = command.fireAt;
        let firedAt: number | undefined;
        // With a fire time: checked and resolved now, acting at fireAt; a resume naming this command's id cancels it.
        const beforeAct = fireAt === undefined ? undefined : async () => void (firedAt = await this.fires.wait(commandId, fireAt));
        const fault = await this.o.faults.create({ ...request, owner: this.coordinatorId ?? request.owner }, `coordinator:${this.coordinatorId}`, beforeAct);
        return firedAt === undefined ? fault : { ...fault, firedAt };
      }
      case 'fault.resume':
        // Never delayed: a fault still waiting for its fire time (named by its command's id) is cancelled at once.
        if (this.fires.cancel(command.faultId, 'resumed before its fire time: nothing was stopped')) {
          throw new FireCancelledError('the fault was waiting for its fire time and is cancelled: nothing was stopped', { path: 'faultId' });
        }
        return this.o.faults.resume(command.faultId, 'api');
      case 'processes.state':
        return command.processes.map((p) => ({ ...p, state: this.o.processState(p) }));
      case 'processes.list':
        if (!this.o.hostProcesses) return [];
        // Matched on the real command line; sent with secret-looking values masked.
        return this.o.listProcesses(compileUserRegex(command.cmdline, 'cmdline')).map((p) => ({ ...p, cmdline: redactCmdline(p.cmdline) }));
      default:
        throw new ErisError(`unknown command ${(command as { op: string }).op}`);
    }
  }

  /** One clock exchange, to a coordinator that answers them. */
  private syncClock(): void {
    if (this.connected && this.coordinatorFeatures.includes(LINK_FEATURES.clock)) this.send({ type: 'clock', t0: preciseNow() });
  }

  private send(message: AgentMessage): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  private sendFault(fault: Fault): void {
    // Only once welcomed: a fault message before the hello would break the protocol, and one sent between the hello
    // and the welcome would be answered by nobody if the coordinator refused us.
    if (this.connected && this.send({ type: 'fault', fault })) return;
    this.undelivered.delete(fault.id);
    this.undelivered.set(fault.id, fault);
    // Bounded: the oldest changes go first (a fault still active is in the next hello anyway).
    for (const id of this.undelivered.keys()) {
      if (this.undelivered.size <= MAX_UNDELIVERED) break;
      this.undelivered.delete(id);
    }
  }

  private flushUndelivered(): void {
    const pending = [...this.undelivered.values()];
    this.undelivered.clear();
    for (const fault of pending) this.sendFault(fault);
  }
}

/** The TLS options of one dial, read from the files named by --coordinator-ca, --link-cert and --link-key. */
function readTlsFiles(tls: LinkOptions['tls']): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  if (tls?.caFile !== undefined) out.ca = readFileSync(tls.caFile);
  if (tls?.certFile !== undefined) out.cert = readFileSync(tls.certFile);
  if (tls?.keyFile !== undefined) out.key = readFileSync(tls.keyFile);
  return out;
}

/** A dial error in words an operator can act on: TLS trust problems and plain ws:// against a TLS port named. */
function describeLinkError(err: Error, url: string): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT_ALTNAME/.test(code)) {
    return `the coordinator's certificate is not trusted (${code}: ${err.message}); give its CA with --coordinator-ca`;
  }
  if (/alert|handshake/i.test(err.message) && url.startsWith('wss://')) {
    return `TLS handshake failed (${err.message}): the coordinator may require a client certificate (--link-cert, --link-key)`;
  }
  if (url.startsWith('ws://') && (code === 'ECONNRESET' || /socket hang up|Unexpected server response: 400/.test(err.message))) {
    return `${err.message}: the coordinator may serve TLS only (dial wss://)`;
  }
  return `${code !== '' ? `${code}: ` : ''}${err.message}`;
}

/** Fault changes kept for a coordinator that is away; each is one fault's latest state (~1 KB). */
const MAX_UNDELIVERED = 1000;

// Clipped: a message echoing a user's long input must still fit the link's bounds (lib/link/protocol.ts).
function toWireError(error: unknown): { code: string; message: string; path?: string } {
  if (error instanceof ErisError) return { code: error.code, message: clip(error.message, 2000), ...(error.path ? { path: clip(error.path, 500) } : {}) };
  return { code: 'ERIS_ERR_INTERNAL', message: clip((error as Error)?.message ?? String(error), 2000) };
}
