// Faults: the immediate faults still holding something (who placed them, what, how long their lease has left), a
// confirmed resume for each, and "freeze now": the Targets view's selector plus a lease and an action, sent as
// POST /v1/faults. The coordinator audits each (fault.create, fault.resume) and validates the form.
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { callJson, Unauthorized } from './api.js';
import { emptyForm, targetGroup, type SelectionForm } from './selection.js';
import { selectorFields } from './selector-fields.js';
import { isActive, leaseLeft, leaseText, type ImmediateFault } from './faults.js';

export function Faults(props: { token: string; onUnauthorized: () => void; readOnly?: boolean }) {
  const [faults, setFaults] = useState<ImmediateFault[] | null>(null);
  const [form, setForm] = useState<SelectionForm>(emptyForm);
  const [lease, setLease] = useState('60s');
  const [signal, setSignal] = useState<'SIGSTOP' | 'SIGKILL'>('SIGSTOP');
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const [now, setNow] = useState(Date.now());

  const fail = (err: unknown) => (err instanceof Unauthorized ? props.onUnauthorized() : setMessage({ error: true, text: (err as Error).message }));
  const load = () =>
    callJson<{ faults: ImmediateFault[] }>('GET', 'v1/faults', props.token).then((r) => {
      setFaults(r.faults.filter(isActive));
      setNow(Date.now());
    }, fail);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 2000);
    return () => clearInterval(timer);
  }, [props.token]);

  const freeze = async (e: Event) => {
    e.preventDefault();
    if (signal === 'SIGKILL' && !confirm('Kill (SIGKILL) everything this selection picks, now?')) return;
    try {
      const f = await callJson<ImmediateFault & { errors: { agent: string; message: string }[] }>('POST', 'v1/faults', props.token, { target: targetGroup(form), signal, ...(lease.trim() ? { lease: lease.trim() } : {}) });
      setMessage({ error: f.errors.length > 0, text: `Fault ${f.id.slice(0, 8)}: ${signal} on ${f.targets.length} target(s)${f.errors.length ? `; ${f.errors.map((x) => `${x.agent}: ${x.message}`).join('; ')}` : ''}.` });
      await load();
    } catch (err) {
      fail(err);
    }
  };
  const resume = async (f: ImmediateFault) => {
    if (!confirm(`Resume fault ${f.id.slice(0, 8)} (${f.targets.length} target(s))?`)) return;
    try {
      const r = await callJson<{ resume: { confirmed: boolean } }>('DELETE', `v1/faults/${encodeURIComponent(f.id)}`, props.token);
      setMessage({ error: !r.resume.confirmed, text: `Fault ${f.id.slice(0, 8)}: ${r.resume.confirmed ? 'resumed' : 'resumed, but a process was still seen stopped'}.` });
      await load();
    } catch (err) {
      fail(err);
    }
  };

  const off = props.readOnly === true;
  return h(
    'section',
    { 'aria-labelledby': 'faults-title' },
    h('h2', { id: 'faults-title' }, `Immediate faults (${faults?.length ?? '…'} active)`),
    message === null ? null : h('p', { role: message.error ? 'alert' : 'status', class: message.error ? 'error' : '' }, message.text),
    h(
      'table',
      null,
      h('caption', { class: 'sr-only' }, 'Active immediate faults'),
      h('thead', null, h('tr', null, ...['Fault', 'Placed by', 'Action', 'Targets', 'Lease left', 'Placed at', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        null,
        ...(faults ?? []).map((f) =>
          h(
            'tr',
            { 'data-fault': f.id },
            h('th', { scope: 'row' }, f.id.slice(0, 8)),
            h('td', null, f.createdBy ?? '—'),
            h('td', null, f.signal),
            h('td', null, f.targets.join(', ')),
            h('td', null, leaseText(leaseLeft(f, now))),
            h('td', null, new Date(f.createdAt).toLocaleTimeString()),
            h('td', null, h('button', { type: 'button', disabled: off, 'aria-label': `Resume fault ${f.id.slice(0, 8)}`, onClick: () => void resume(f) }, 'Resume')),
          ),
        ),
      ),
    ),
    h(
      'form',
      { 'aria-label': 'Freeze now', class: 'selection', noValidate: true, onSubmit: freeze },
      h('h3', null, 'Freeze now'),
      ...selectorFields(form, setForm, 'f'),
      h(
        'fieldset',
        null,
        h('legend', null, 'Fault'),
        h('div', { class: 'field' }, h('label', { for: 'f-signal' }, 'Action'), h('select', { id: 'f-signal', name: 'signal', value: signal, onChange: (e: Event) => setSignal((e.target as HTMLSelectElement).value as 'SIGSTOP' | 'SIGKILL') }, h('option', { value: 'SIGSTOP' }, 'SIGSTOP (freeze)'), h('option', { value: 'SIGKILL' }, 'SIGKILL'))),
        h('div', { class: 'field' }, h('label', { for: 'f-lease' }, 'Lease'), h('input', { id: 'f-lease', name: 'lease', value: lease, placeholder: '60s', onInput: (e: Event) => setLease((e.target as HTMLInputElement).value) })),
      ),
      h('button', { type: 'submit', disabled: off }, signal === 'SIGSTOP' ? 'Freeze now' : 'Kill now'),
    ),
  );
}
