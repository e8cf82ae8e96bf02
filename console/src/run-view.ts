// One run's page (#runs/ID): its step tree, a per-target timeline, probe results over time and the events log,
// folded from the run's event stream — the stored events, then live ones while it runs. A finished run renders from
// what is stored, the same way.
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson, Unauthorized } from './api.js';
import { readSse } from './sse.js';
import { dateTime, duration, emptyRunState, foldEvent, type RunEvent, type RunState, type RunSummary } from './runs.js';
import { ProbeChart, Timeline } from './timeline.js';
import { RunActions } from './run-actions.js';

type Run = Omit<RunSummary, 'timeToDetectMs' | 'timeToRecoverMs'>;

/** Follows GET v1/runs/ID/events with the token in the Authorization header (see sse.ts), folding each event in. */
function useRunEvents(id: string, token: string, onUnauthorized: () => void): { state: RunState; error: string | null } {
  const [state, setState] = useState<RunState>(emptyRunState);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    setState(emptyRunState());
    (async () => {
      const res = await fetch(new URL(`v1/runs/${encodeURIComponent(id)}/events`, document.baseURI), { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
      if (res.status === 401) throw new Unauthorized('the coordinator refused this token');
      if (!res.ok || res.body === null) throw new Error(`events of run ${id}: HTTP ${res.status}`);
      await readSse(
        res.body,
        (f) => {
          if (f.event === 'ping' || f.id === null) return;
          const e = { seq: Number(f.id), type: f.event, data: JSON.parse(f.data) } as RunEvent;
          setState((s) => foldEvent(s, e));
        },
        abort.signal,
      );
    })().catch((err: unknown) => {
      if (abort.signal.aborted) return;
      if (err instanceof Unauthorized) onUnauthorized();
      else setError((err as Error).message);
    });
    return () => abort.abort();
  }, [id, token]);
  return { state, error };
}

/** A clock that ticks while the run is live, so the axis and durations move. */
function useNow(live: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [live]);
  return now;
}

export function RunPage(props: { token: string; id: string; onUnauthorized: () => void; readOnly?: boolean }) {
  const [run, setRun] = useState<Run | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { state, error: streamError } = useRunEvents(props.id, props.token, props.onUnauthorized);
  const status = state.status ?? run?.status ?? null;
  const live = status === 'running' || status === 'pending';
  const now = useNow(live);
  // The stored run for its header; again once the stream says it ended (endedAt, error).
  useEffect(() => {
    getJson<Run>(`v1/runs/${encodeURIComponent(props.id)}`, props.token).then(setRun, (err: unknown) => (err instanceof Unauthorized ? props.onUnauthorized() : setError((err as Error).message)));
  }, [props.id, props.token, live]);

  if (run === null) return h('section', { 'aria-busy': 'true' }, error ?? 'Loading the run…');
  const from = run.startedAt ?? run.createdAt;
  // The clock ticks twice a second; the latest event may be newer, and must stay on the axis.
  const to = Math.max(from + 1000, live ? Math.max(now, state.events.at(-1)?.data.at ?? 0) : (run.endedAt ?? now));
  const steps = [...state.steps.values()];
  return h(
    'section',
    { 'aria-labelledby': 'run-title', 'data-status': status },
    h('h2', { id: 'run-title' }, `Run ${run.id}`, h('span', { class: 'muted' }, ` · ${run.drillName ?? ''}`)),
    h('p', null, h('span', { class: `status-${status}` }, status), ` · started ${dateTime(from)} · ${duration(to - from)}`, run.error ? h('span', { class: 'error' }, ` · ${(run.error as { message?: string }).message ?? ''}`) : null),
    h(RunActions, { token: props.token, id: run.id, live, ended: run.endedAt !== null && !live, onUnauthorized: props.onUnauthorized, readOnly: props.readOnly === true }),
    [error, streamError].filter(Boolean).map((e) => h('p', { role: 'alert', class: 'error' }, e)),
    h('h3', null, 'Steps'),
    h(
      'ol',
      { class: 'steps' },
      ...steps.map((s) =>
        h(
          'li',
          { 'data-step': s.path, style: { paddingLeft: `${(s.path.split('[').length - 2) * 1.5}rem` } },
          h('span', { class: `status-${s.status}` }, s.status), ` ${s.name} `, h('span', { class: 'muted' }, `(${s.kind}, ${duration(s.durationMs ?? (live ? Math.max(0, to - s.startedAt) : null))})`),
          s.error ? h('span', { class: 'error' }, ` ${s.error.message}`) : null,
        ),
      ),
    ),
    h('h3', null, 'Targets'),
    state.timeline.size === 0 ? h('p', null, 'No fault placed yet.') : h(Timeline, { state, from, to }),
    h('h3', null, 'Probe results'),
    h(ProbeChart, { state, from, to }),
    state.resumed === null
      ? null
      : h('p', { class: 'resumed', role: 'status' }, `Resumed ${state.resumed.faults} fault(s): ${state.resumed.confirmed ?? '?'} confirmed from the processes, ${state.resumed.errors} error(s).`),
    h('h3', { id: 'events-title' }, `Events (${state.events.length})`),
    h(
      'ol',
      { class: 'events', 'aria-labelledby': 'events-title', tabIndex: 0 },
      ...state.events.map((e) => h('li', { 'data-event': e.type }, `+${duration(e.data.at - from)} ${e.type} ${JSON.stringify(e.data)}`)),
    ),
  );
}
