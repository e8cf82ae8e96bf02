// The selector's fields (filter + pick), shared by Targets (preview) and Faults (freeze now): the same form, the
// same target group (selection.ts), so what a preview shows is what a freeze hits.
import { h } from 'preact';
import type { SelectionForm } from './selection.js';

type Key = keyof SelectionForm;

/** The Filter and Pick fieldsets; `prefix` keeps the ids unique when two forms are on one page. */
export function selectorFields(form: SelectionForm, setForm: (f: SelectionForm) => void, prefix: string) {
  const set = (k: Key) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement | HTMLSelectElement).value });
  const text = (k: Key, label: string, hint: string) =>
    h('div', { class: 'field' }, h('label', { for: `${prefix}-${k}` }, label), h('input', { id: `${prefix}-${k}`, name: k, value: form[k], placeholder: hint, onInput: set(k) }));
  const choice = (k: Key, label: string, options: readonly string[]) =>
    h('div', { class: 'field' }, h('label', { for: `${prefix}-${k}` }, label), h('select', { id: `${prefix}-${k}`, name: k, value: form[k], onChange: set(k) }, ...options.map((o) => h('option', { value: o }, o))));
  return [
    h(
      'fieldset',
      null,
      h('legend', null, 'Filter'),
      text('cluster', 'Cluster', 'name or /regex/'),
      text('namespace', 'Namespace', 'name or /regex/'),
      text('labels', 'Labels', 'app=etcd,env in (a,b)'),
      text('pod', 'Pod regex', '^etcd-'),
      text('container', 'Container regex', 'etcd'),
      text('cmdline', 'Host process cmdline regex', 'postgres -D'),
    ),
    h(
      'fieldset',
      null,
      h('legend', null, 'Pick'),
      choice('amount', 'How many', ['all', 'count', 'percent']),
      form.amount === 'all' ? null : h('div', { class: 'field' }, h('label', { for: `${prefix}-howMany` }, form.amount === 'count' ? 'Count' : 'Percent'), h('input', { id: `${prefix}-howMany`, name: 'howMany', type: 'number', min: 1, max: form.amount === 'percent' ? 100 : undefined, value: form.howMany, onInput: set('howMany') })),
      choice('placement', 'Placement', ['any', 'spread', 'pack']),
      form.placement === 'any' ? null : choice('topology', 'Across', ['node', 'zone']),
      text('seed', 'Seed', 'random'),
    ),
  ];
}
