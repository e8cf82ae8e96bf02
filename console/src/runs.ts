// Runs: the shapes the console reads (the coordinator's own types, type-only) and the small pure helpers its views share.
import type { StoredRun } from '../../coordinator/store/types.js';
import type { RunEventPayloads } from '../../coordinator/engine/events.js';
import type { RunReport } from '../../coordinator/engine/report.js';

export type { RunReport };
/** One line of GET /v1/runs: the run without spec/result, plus its slowest target's times. */
export type RunSummary = Omit<StoredRun, 'spec' | 'result'> & { timeToDetectMs: number | null; timeToRecoverMs: number | null };
export type RunEventType = keyof RunEventPayloads;
/** One event as the SSE stream sends it: `event:` type, `id:` seq, `data:` {at, ...payload}. */
export type RunEvent = { [K in RunEventType]: { seq: number; type: K; data: RunEventPayloads[K] & { at: number } } }[RunEventType];

/** 1234 → "1.2 s", 65000 → "1 min 5 s"; null → "—". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

export const dateTime = (at: number): string => new Date(at).toLocaleString();

type StepRecord = RunReport['steps'][number];
type TimelineEntry = RunReport['timeline'][number];
type ProbeResult = RunEventPayloads['probe'];

/** What the run page shows, folded from the run's events in order (the stored ones, then live ones). */
export interface RunState {
  steps: Map<string, StepRecord>;
  timeline: Map<string, TimelineEntry>;
  probes: ProbeResult[];
  resumed: RunReport['resumed'] | null;
  status: string | null;
  events: RunEvent[];
}
export const emptyRunState = (): RunState => ({ steps: new Map(), timeline: new Map(), probes: [], resumed: null, status: null, events: [] });

export const targetName = (t: TimelineEntry['target']): string => (t.kind === 'process' ? `${t.node} pid ${t.pid}` : `${t.namespace}/${t.pod}/${t.container}`);
export const phaseOf = (t: TimelineEntry): 'injected' | 'detected' | 'recovered' => (t.recoveredAt !== undefined ? 'recovered' : t.detectedAt !== undefined ? 'detected' : 'injected');

/** A new state with one event folded in (never mutates: Preact compares by identity). */
export function foldEvent(s: RunState, e: RunEvent): RunState {
  const next = { ...s, events: [...s.events, e] };
  if (e.type === 'step') next.steps = new Map(s.steps).set(e.data.path, e.data);
  else if (e.type === 'timeline') next.timeline = new Map(s.timeline).set(`${e.data.group} ${targetName(e.data.target)}`, e.data);
  else if (e.type === 'probe') next.probes = [...s.probes, e.data];
  else if (e.type === 'resumed') next.resumed = e.data;
  else if (e.type === 'run') next.status = e.data.status;
  return next;
}
