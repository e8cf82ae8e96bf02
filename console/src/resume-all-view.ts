// The Fleet's emergency button: a native <dialog> opened modal asks for confirmation (focus moves into it, Escape
// cancels, Tab stays inside), then every run is aborted and every active fault resumed (resume-all.ts).
import { h } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { Unauthorized } from './api.js';
import { pending, resumeEverything, type ResumeOutcome } from './resume-all.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function ResumeAll(props: { token: string; onUnauthorized: () => void; onDone: () => void; readOnly?: boolean }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [asking, setAsking] = useState<string>('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ResumeOutcome | null>(null);
  const [error, setError] = useState<string | null>(null);
  const failed = (err: unknown) => {
    if (err instanceof Unauthorized) props.onUnauthorized();
    else setError((err as Error).message);
  };
  const open = async () => {
    setError(null);
    setResult(null);
    try {
      const p = await pending(props.token);
      setAsking(`${plural(p.faults.length, 'active fault')} will be resumed and ${plural(p.runs.length, 'running run')} aborted.`);
      dialog.current?.showModal();
    } catch (err) {
      failed(err);
    }
  };
  const confirm = async () => {
    setBusy(true);
    try {
      setResult(await resumeEverything(props.token));
      dialog.current?.close();
      props.onDone();
    } catch (err) {
      dialog.current?.close();
      failed(err);
    } finally {
      setBusy(false);
    }
  };
  return h(
    'div',
    { class: 'emergency' },
    h('button', { type: 'button', class: 'danger', onClick: open, disabled: props.readOnly === true }, 'Resume everything'),
    result === null
      ? null
      : h(
          'p',
          { role: 'status', class: result.errors.length === 0 ? 'ok' : 'error' },
          `Resumed ${plural(result.faults, 'fault')}, aborted ${plural(result.runs, 'run')}.`,
          ...result.errors.map((e) => h('span', { class: 'error' }, ` ${e}.`)),
        ),
    error === null ? null : h('p', { role: 'alert', class: 'error' }, error),
    h(
      'dialog',
      { ref: dialog, 'aria-labelledby': 'resume-all-title', 'aria-describedby': 'resume-all-what' },
      h('h2', { id: 'resume-all-title' }, 'Resume everything?'),
      h('p', { id: 'resume-all-what' }, asking, ' Every process stopped by eris is continued.'),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', autofocus: true, onClick: () => dialog.current?.close(), disabled: busy }, 'Cancel'),
        h('button', { type: 'button', class: 'danger', onClick: confirm, disabled: busy }, busy ? 'Resuming…' : 'Resume everything now'),
      ),
    ),
  );
}
