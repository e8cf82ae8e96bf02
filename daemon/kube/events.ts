// A Kubernetes Event (events.k8s.io/v1, which `kubectl get events` lists too) on the pod for each freeze, kill and
// resume of one of its containers. Never in the way of a signal: the fault manager's change listener only queues;
// one request at a time drains the queue; a full queue drops (counted) rather than grow. A 403 turns the feature off
// after one warning naming the missing permission: the faults go on without it.
import { randomBytes } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../lib/logger.js';
import type { KubeConnection } from '../../lib/kube/kubeconfig.js';
import { kubeRequest } from '../../lib/kube/request.js';
import type { Fault } from '../faults/manager.js';

export const KUBE_EVENT_RESULTS = ['sent', 'dropped', 'failed', 'forbidden'] as const;
export const EVENTS_PERMISSION = 'create events.events.k8s.io';
const QUEUE_MAX = 256;
const SEEN_MAX = 4096;

type Phase = 'Freeze' | 'Kill' | 'Resume';
interface Pending {
  namespace: string;
  body: Record<string, unknown>;
}

/** RFC 3339 with microseconds: the API's MicroTime is parsed with exactly six fraction digits. */
const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export class KubeEventRecorder {
  private readonly queue: Pending[] = [];
  /** `faultId:phase` already queued: the manager reports a fault's change more than once. Insertion-ordered, trimmed. */
  private readonly seen = new Set<string>();
  private sending = false;
  private off = false;
  private readonly counter: Counter<'result'>;

  constructor(private readonly o: { kube: KubeConnection; node: string; logger: Logger; registry: Registry; queueMax?: number; timeoutMs?: number }) {
    this.counter = new Counter({ name: 'eris_agent_kube_events_total', help: 'Kubernetes Events on faulted pods, by result (dropped: the queue was full).', labelNames: ['result'], registers: [o.registry] });
    for (const r of KUBE_EVENT_RESULTS) this.counter.inc({ result: r }, 0);
  }

  /** The fault manager's change listener. */
  readonly onFault = (fault: Fault): void => {
    if (this.off) return;
    const phase = phaseOf(fault);
    if (phase === undefined) return;
    const key = `${fault.id}:${phase}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (this.seen.size > SEEN_MAX) this.seen.delete(this.seen.values().next().value!);
    for (const target of fault.targets) {
      const c = target.container;
      if (c === undefined || c.pod === '' || c.namespace === '') continue; // a host process: no pod to record it on
      if (this.queue.length >= (this.o.queueMax ?? QUEUE_MAX)) {
        this.counter.inc({ result: 'dropped' });
        continue;
      }
      this.queue.push({ namespace: c.namespace, body: this.event(fault, phase, c) });
    }
    // Next turn of the event loop: not even the request's TLS setup runs inside the fault manager's emit.
    if (!this.sending) {
      this.sending = true;
      setImmediate(() => void this.drain());
    }
  };

  private event(fault: Fault, phase: Phase, c: NonNullable<Fault['targets'][number]['container']>): Record<string, unknown> {
    const signal = phase === 'Resume' && fault.signal === 'SIGSTOP' ? 'SIGCONT' : fault.signal;
    const parts = [
      `${signal} to container ${c.name} of pod ${c.namespace}/${c.pod}`,
      `asked by ${fault.requestedBy}`,
      // The coordinator labels its faults with the run and step (coordinator/engine/engine.ts); owner = the coordinator.
      ...(fault.labels?.runId !== undefined ? [`run ${fault.labels.runId}${fault.labels.step !== undefined ? ` step ${fault.labels.step}` : ''}`] : []),
      ...(fault.owner !== undefined ? [`owner ${fault.owner}`] : []),
      ...(fault.leaseSeconds !== undefined && phase === 'Freeze' ? [`lease ${fault.leaseSeconds} s`] : []),
      ...(phase === 'Resume' && fault.resumeReason !== undefined ? [`reason ${fault.resumeReason}`] : []),
      `fault ${fault.id}`,
      `result ${fault.result}`,
    ];
    return {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: `${c.pod}.eris-${randomBytes(6).toString('hex')}`, namespace: c.namespace },
      eventTime: microTime(Date.now()),
      reportingController: 'eris-agent',
      reportingInstance: this.o.node.slice(0, 128),
      action: phase,
      reason: `Eris${phase}`,
      type: phase === 'Resume' ? 'Normal' : 'Warning',
      note: parts.join(', ').slice(0, 1024),
      regarding: { apiVersion: 'v1', kind: 'Pod', name: c.pod, namespace: c.namespace, uid: c.podUid, fieldPath: `spec.containers{${c.name}}` },
    };
  }

  private async drain(): Promise<void> {
    try {
      for (let next = this.queue.shift(); next !== undefined && !this.off; next = this.queue.shift()) await this.send(next);
    } finally {
      this.sending = false;
    }
  }

  private async send(p: Pending): Promise<void> {
    try {
      const answer = await kubeRequest(this.o.kube, 'POST', `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(p.namespace)}/events`, p.body, this.o.timeoutMs ?? 5000);
      if (answer.status === 201 || answer.status === 200) return void this.counter.inc({ result: 'sent' });
      if (answer.status === 403) {
        this.off = true;
        this.counter.inc({ result: 'forbidden' }, 1 + this.queue.length);
        this.queue.length = 0;
        this.o.logger.warn({ permission: EVENTS_PERMISSION, status: 403, answer: answer.body.slice(0, 300) }, `kubernetes events: forbidden (the agent's account needs ${EVENTS_PERMISSION}); recording events is off until the agent restarts`);
        return;
      }
      this.counter.inc({ result: 'failed' });
      this.o.logger.debug({ status: answer.status, answer: answer.body.slice(0, 300) }, 'kubernetes event refused');
    } catch (error) {
      this.counter.inc({ result: 'failed' });
      this.o.logger.debug({ err: error instanceof Error ? error.message : String(error) }, 'kubernetes event not sent');
    }
  }
}

/** Which event a fault's change is: its placement (freeze, kill, a SIGCONT's resume) or a SIGSTOP fault's end. */
function phaseOf(fault: Fault): Phase | undefined {
  if (fault.signal === 'SIGKILL') return 'Kill';
  if (fault.signal === 'SIGCONT') return 'Resume';
  if (fault.signal !== 'SIGSTOP') return undefined;
  return fault.state === 'resumed' ? 'Resume' : 'Freeze';
}
