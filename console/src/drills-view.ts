// Drills: the stored drills, new ones from the templates `eris init` writes (GET /v1/drill-templates), and an
// editor whose problems come from the coordinator (the checks of `eris validate`). Dry run shows each group's
// picks; Save stores the drill; Run starts it and goes to the run's page. The editor is its own lazily loaded chunk.
import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { callJson, getJson, HttpError, savedToken, Unauthorized } from './api.js';
import type { Check, DrillEditor } from './editor.js';

interface StoredDrill {
  name: string;
  spec: unknown;
  yaml?: string | null;
  updatedAt: number;
}
interface Template {
  name: string;
  yaml: string;
}
interface DryRun {
  drill: string;
  groups: Record<string, { wanted: number; matched: number; seed: string; picked: Array<{ key: string; cluster: string; node: string; pod?: string | null; container?: string | null; pid?: number | null; cmdline?: string | null }> }>;
}

/** POSTs the YAML text as it is (the coordinator places problems by line and column in it). */
async function postYaml<T>(path: string, text: string): Promise<T> {
  const res = await fetch(new URL(path, document.baseURI), { method: 'POST', headers: { authorization: `Bearer ${savedToken() ?? ''}`, 'content-type': 'application/yaml' }, body: text });
  if (res.status === 401) throw new Unauthorized('the coordinator refused this token');
  const answer = (await res.json().catch(() => null)) as (T & { error?: { message?: string } }) | null;
  if (!res.ok) throw new HttpError(res.status, answer?.error?.message ?? `${path}: HTTP ${res.status}`);
  return answer as T;
}

export function Drills(props: { token: string; onUnauthorized: () => void; readOnly?: boolean }) {
  const [drills, setDrills] = useState<StoredDrill[]>([]);
  const [templates, setTemplates] = useState<Template[]>([]);
  const [template, setTemplate] = useState('host');
  const [check, setCheck] = useState<Check | null>(null);
  const [dry, setDry] = useState<DryRun | null>(null);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const [ready, setReady] = useState(false);
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<DrillEditor | null>(null);
  const parse = useRef<((text: string) => unknown) | null>(null);

  const fail = (err: unknown) => {
    if (err instanceof Unauthorized) return props.onUnauthorized();
    setMessage({ text: (err as Error).message, error: true });
  };
  const refresh = () => getJson<{ drills: StoredDrill[] }>('v1/drills', props.token).then((d) => setDrills(d.drills), fail);

  useEffect(() => {
    void refresh();
    getJson<{ templates: Template[] }>('v1/drill-templates', props.token).then((t) => setTemplates(t.templates), fail);
    let gone = false;
    void Promise.all([import('./editor.js'), import('yaml'), getJson<Record<string, unknown>>('v1/schemas/drill.json', props.token)]).then(([m, y, schema]) => {
      if (gone || !host.current) return;
      parse.current = (text) => y.parse(text);
      editor.current = m.createEditor({
        parent: host.current,
        doc: '',
        schema,
        // A failed check (401, the coordinator gone) is said above the editor; the marks then stay empty.
        validate: (text) => postYaml<Check>('v1/drills/validate', text).catch((err: unknown) => (fail(err), { ok: false, problems: [], warnings: [] })),
        onChange: () => setDry(null),
        onChecked: setCheck,
      });
      setReady(true);
    }, fail);
    return () => {
      gone = true;
      editor.current?.destroy();
    };
  }, []);

  const load = (text: string) => {
    editor.current?.setText(text);
    setMessage(null);
    setDry(null);
  };
  const open = async (name: string) => {
    try {
      const d = await getJson<StoredDrill>(`v1/drills/${encodeURIComponent(name)}`, props.token);
      const y = await import('yaml');
      load(d.yaml ?? y.stringify(d.spec));
    } catch (err) {
      fail(err);
    }
  };
  const act = (what: () => Promise<void>) => async () => {
    setBusy(true);
    try {
      await what();
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };
  const spec = () => parse.current!(editor.current!.text());
  const dryRun = act(async () => {
    setDry(await callJson<DryRun>('POST', 'v1/runs', props.token, { spec: spec(), dryRun: true }));
    setMessage(null);
  });
  const save = act(async () => {
    const saved = await postYaml<{ name: string }>('v1/drills', editor.current!.text());
    setMessage({ text: `Saved drill ${saved.name}.`, error: false });
    await refresh();
  });
  const run = act(async () => {
    const started = await callJson<{ id: string }>('POST', 'v1/runs', props.token, { spec: spec() });
    location.hash = `#runs/${started.id}`;
  });

  return h(
    'section',
    { 'aria-labelledby': 'drills-title', class: 'drills' },
    h('h2', { id: 'drills-title' }, 'Drills'),
    h(
      'div',
      { class: 'drills-layout' },
      h(
        'aside',
        { 'aria-label': 'Drill list' },
        h('h3', null, 'Stored'),
        drills.length === 0 ? h('p', { class: 'muted' }, 'No stored drill yet.') : h('ul', null, ...drills.map((d) => h('li', null, h('button', { type: 'button', class: 'link', onClick: () => void open(d.name) }, d.name)))),
        h('h3', null, 'New'),
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'd-template' }, 'Template'),
          h('select', { id: 'd-template', value: template, onChange: (e: Event) => setTemplate((e.target as HTMLSelectElement).value) }, ...templates.map((t) => h('option', { value: t.name }, t.name))),
        ),
        h('button', { type: 'button', disabled: !ready, onClick: () => load(templates.find((t) => t.name === template)?.yaml ?? '') }, 'New from template'),
      ),
      h(
        'div',
        { class: 'drill-edit' },
        h('div', { ref: host, class: 'editor' }),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', disabled: busy || !ready, onClick: dryRun }, 'Dry run'),
          h('button', { type: 'button', disabled: busy || !ready || props.readOnly === true, onClick: save }, 'Save'),
          h('button', { type: 'button', class: 'danger', disabled: busy || !ready || props.readOnly === true, onClick: run }, 'Run'),
        ),
        message === null ? null : h('p', { role: message.error ? 'alert' : 'status', class: message.error ? 'error' : 'ok' }, message.text),
        check === null
          ? null
          : h(
              'div',
              { 'aria-label': 'Problems', role: 'region', class: 'problems' },
              check.ok ? h('p', { class: 'ok' }, `Valid${check.name ? ` (drill ${check.name})` : ''}.`) : null,
              h('ul', null, ...check.problems.map((p) => h('li', { class: 'error' }, `${p.line}:${p.column}: ${p.path}: ${p.message}`)), ...check.warnings.map((p) => h('li', { class: 'warn' }, `${p.line}:${p.column}: ${p.path}: warning: ${p.message}`))),
            ),
        dry === null
          ? null
          : h(
              'div',
              { class: 'preview', 'aria-label': 'Dry run', role: 'region' },
              h('p', { role: 'status' }, `Dry run of ${dry.drill}: nothing was signalled.`),
              h(
                'table',
                null,
                h('caption', { class: 'sr-only' }, 'What each target group would pick'),
                h('thead', null, h('tr', null, ...['Group', 'Picked', 'Cluster', 'Node', 'Target'].map((t) => h('th', { scope: 'col' }, t)))),
                h(
                  'tbody',
                  null,
                  ...Object.entries(dry.groups).flatMap(([group, g]) =>
                    g.picked.map((t) => h('tr', { class: 'picked' }, h('td', null, group), h('td', null, `${g.picked.length} of ${g.matched}`), h('td', null, t.cluster), h('td', null, t.node), h('td', null, t.pid != null ? `${t.pid} ${t.cmdline ?? ''}` : `${t.pod ?? ''}/${t.container ?? ''}`))),
                  ),
                ),
              ),
            ),
      ),
    ),
  );
}
