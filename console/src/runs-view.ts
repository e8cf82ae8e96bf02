// Runs: the history, newest first — status, drill, when it started, how long, and its slowest time to detect / recover.
import { h } from 'preact';
import { dateTime, duration, type RunSummary } from './runs.js';
import { RunPage } from './run-view.js';
import { usePolling } from './use-polling.js';

export function Runs(props: { token: string; onUnauthorized: () => void }) {
  const { data, error } = usePolling<{ runs: RunSummary[] }>('v1/runs', props.token, props.onUnauthorized);
  const runs = data?.runs ?? null;

  if (runs === null) return h('section', { 'aria-busy': 'true' }, error ?? 'Loading the runs…');
  return h(
    'section',
    { 'aria-labelledby': 'runs-title' },
    h('h2', { id: 'runs-title' }, `Runs (${runs.length})`),
    error === null ? null : h('p', { role: 'alert', class: 'error' }, error),
    runs.length === 0
      ? h('p', null, 'No run yet.')
      : h(
          'table',
          null,
          h('caption', { class: 'sr-only' }, 'Runs, newest first'),
          h('thead', null, h('tr', null, ...['Run', 'Status', 'Drill', 'Started', 'Duration', 'Time to detect', 'Time to recover'].map((t) => h('th', { scope: 'col' }, t)))),
          h(
            'tbody',
            null,
            ...runs.map((r) =>
              h(
                'tr',
                { 'data-run': r.id },
                h('th', { scope: 'row' }, h('a', { href: `#runs/${r.id}` }, r.id)),
                h('td', null, h('span', { class: `status-${r.status}` }, r.status)),
                h('td', null, r.drillName ?? '—'),
                h('td', null, r.startedAt === null ? '—' : dateTime(r.startedAt)),
                h('td', null, r.startedAt === null ? '—' : duration((r.endedAt ?? Date.now()) - r.startedAt)),
                h('td', null, duration(r.timeToDetectMs)),
                h('td', null, duration(r.timeToRecoverMs)),
              ),
            ),
          ),
        ),
  );
}

/** #runs is the history; #runs/ID one run's page. */
export function RunsRoute(props: { token: string; param?: string | undefined; onUnauthorized: () => void; readOnly?: boolean }) {
  return props.param ? h(RunPage, { ...props, id: props.param }) : h(Runs, props);
}
