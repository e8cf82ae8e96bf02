// Targets: filter the fleet's containers and host processes and preview a selection — exactly who a drill or a
// fault with these settings would hit. POST /v1/selections only picks; nothing is signalled. The form does not
// validate itself: the coordinator's errors name the field and the rule, the same as for a drill.
import { h } from 'preact';
import { useState } from 'preact/hooks';
import { callJson, Unauthorized } from './api.js';
import { emptyForm, keyOf, targetGroup, type Preview, type SelectionForm } from './selection.js';
import { selectorFields } from './selector-fields.js';

export function Targets(props: { token: string; onUnauthorized: () => void }) {
  const [form, setForm] = useState<SelectionForm>(emptyForm);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      setPreview(await callJson<Preview>('POST', 'v1/selections', props.token, targetGroup(form)));
      setError(null);
    } catch (err) {
      if (err instanceof Unauthorized) return props.onUnauthorized();
      setPreview(null);
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const picked = new Set(preview?.picked.map(keyOf) ?? []);
  return h(
    'section',
    { 'aria-labelledby': 'targets-title' },
    h('h2', { id: 'targets-title' }, 'Targets'),
    h(
      'form',
      { 'aria-label': 'Selection', class: 'selection', noValidate: true, onSubmit: submit },
      ...selectorFields(form, setForm, 't'),
      h('button', { type: 'submit', disabled: busy }, busy ? 'Previewing…' : 'Preview selection'),
    ),
    error === null ? null : h('p', { role: 'alert', class: 'error' }, error),
    preview === null
      ? null
      : h(
          'div',
          { class: 'preview' },
          h('p', { role: 'status' }, `${preview.picked.length} of ${preview.matched.length} matched would be hit (seed ${preview.seed}). Nothing was signalled.`),
          h(
            'table',
            null,
            h('caption', { class: 'sr-only' }, 'Matched targets; the picked ones are marked'),
            h('thead', null, h('tr', null, ...['Would be hit', 'Cluster', 'Node', 'Zone', 'Namespace', 'Pod', 'Container / process', 'State'].map((t) => h('th', { scope: 'col' }, t)))),
            h(
              'tbody',
              null,
              ...preview.matched.map((t) => {
                const hit = picked.has(keyOf(t));
                return h(
                  'tr',
                  { class: hit ? 'picked' : '', 'data-picked': String(hit), 'data-target': keyOf(t) },
                  h('td', null, hit ? '● yes' : 'no'),
                  h('td', null, t.cluster),
                  h('td', null, t.node),
                  h('td', null, t.zone ?? '—'),
                  h('td', null, t.namespace || '—'),
                  h('td', null, t.pod || '—'),
                  h('th', { scope: 'row' }, t.kind === 'process' ? `pid ${t.pid ?? '?'} ${t.cmdline ?? ''}` : t.container),
                  h('td', null, t.state),
                );
              }),
            ),
          ),
        ),
  );
}
