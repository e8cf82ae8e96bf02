// Fleet: every agent the coordinator knows, grouped cluster → node, refreshed every few seconds.
import { h } from 'preact';
import { useState } from 'preact/hooks';
import type { Agent } from './api.js';
import { ago, groupByCluster } from './fleet.js';
import { ResumeAll } from './resume-all-view.js';
import { usePolling } from './use-polling.js';

export function Fleet(props: { token: string; onUnauthorized: () => void; readOnly?: boolean }) {
  const [tick, setTick] = useState(0);
  const { data, error, at: now } = usePolling<{ agents: Agent[] }>('v1/agents', props.token, props.onUnauthorized, [tick]);
  const agents = data?.agents ?? null;

  if (agents === null) return h('section', { 'aria-busy': 'true' }, error ?? 'Loading the fleet…');
  return h(
    'section',
    { 'aria-labelledby': 'fleet-title' },
    h('h2', { id: 'fleet-title' }, `Fleet (${agents.length} agent${agents.length === 1 ? '' : 's'})`),
    h(ResumeAll, { token: props.token, onUnauthorized: props.onUnauthorized, onDone: () => setTick((t) => t + 1), readOnly: props.readOnly === true }),
    error === null ? null : h('p', { role: 'alert', class: 'error' }, error),
    agents.length === 0 ? h('p', null, 'No agent is connected.') : null,
    ...groupByCluster(agents).map((g) =>
      h(
        'div',
        { class: 'cluster', 'data-cluster': g.cluster },
        h('h3', null, `Cluster ${g.cluster}`, h('span', { class: 'muted' }, ` · ${g.agents.length} node(s) · ${g.activeFaults} active fault(s)`)),
        h(
          'table',
          null,
          h('caption', { class: 'sr-only' }, `Nodes of cluster ${g.cluster}`),
          h('thead', null, h('tr', null, ...['Node', 'Connected', 'Zone', 'Version', 'Runtime', 'Containers', 'Last seen', 'Active faults'].map((t) => h('th', { scope: 'col' }, t)))),
          h(
            'tbody',
            null,
            ...g.agents.map((a) =>
              h(
                'tr',
                { 'data-agent': a.id },
                h('th', { scope: 'row' }, a.node),
                h('td', null, h('span', { class: 'ok' }, '● connected'), h('span', { class: 'muted' }, ` since ${new Date(a.connectedAt).toLocaleTimeString()}`)),
                h('td', null, a.zone ?? '—'),
                h('td', null, a.version),
                h('td', null, a.runtime ?? (a.hostProcesses ? 'host' : '—')),
                h('td', null, String(a.containers)),
                h('td', null, ago(a.lastSeenAt, now)),
                h('td', { class: a.activeFaults > 0 ? 'warn' : '' }, String(a.activeFaults)),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}
