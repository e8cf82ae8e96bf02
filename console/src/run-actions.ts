// A run's actions: Abort (asked in a modal <dialog>; the run's end resumes everything it stopped) while it runs, and
// its report as JSON or JUnit once it ended (fetched with the token, then saved from a blob: no token in a URL).
import { h } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { callJson, Unauthorized } from './api.js';

async function download(token: string, id: string, format: 'json' | 'junit'): Promise<void> {
  const res = await fetch(new URL(`v1/runs/${encodeURIComponent(id)}/report?format=${format}`, document.baseURI), { headers: { authorization: `Bearer ${token}` } });
  if (res.status === 401) throw new Unauthorized('the coordinator refused this token');
  if (!res.ok) throw new Error(`report of run ${id}: HTTP ${res.status}`);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await res.blob());
  a.download = `${id}.${format === 'junit' ? 'junit.xml' : 'json'}`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

export function RunActions(props: { token: string; id: string; live: boolean; ended: boolean; onUnauthorized: () => void; readOnly?: boolean }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [aborting, setAborting] = useState(false);
  const failed = (err: unknown) => (err instanceof Unauthorized ? props.onUnauthorized() : setError((err as Error).message));
  const abort = async () => {
    setAborting(true);
    dialog.current?.close();
    await callJson('POST', `v1/runs/${encodeURIComponent(props.id)}/abort`, props.token).catch(failed);
  };
  return h(
    'div',
    { class: 'run-actions' },
    props.live ? h('button', { type: 'button', class: 'danger', disabled: aborting || props.readOnly === true, onClick: () => dialog.current?.showModal() }, aborting ? 'Aborting…' : 'Abort run') : null,
    props.ended ? h('button', { type: 'button', onClick: () => download(props.token, props.id, 'json').catch(failed) }, 'Report (JSON)') : null,
    props.ended ? h('button', { type: 'button', onClick: () => download(props.token, props.id, 'junit').catch(failed) }, 'Report (JUnit)') : null,
    error === null ? null : h('p', { role: 'alert', class: 'error' }, error),
    h(
      'dialog',
      { ref: dialog, 'aria-labelledby': 'abort-title', 'aria-describedby': 'abort-what' },
      h('h2', { id: 'abort-title' }, 'Abort this run?'),
      h('p', { id: 'abort-what' }, 'The run stops at once and every process it stopped is continued.'),
      h('div', { class: 'actions' }, h('button', { type: 'button', autofocus: true, onClick: () => dialog.current?.close() }, 'Cancel'), h('button', { type: 'button', class: 'danger', onClick: abort }, 'Abort now')),
    ),
  );
}
