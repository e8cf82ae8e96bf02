// The token login screen: the token is typed once and kept for this tab only (sessionStorage).
import { h } from 'preact';
import { useState } from 'preact/hooks';

export function Login(props: { message: string | null; onLogin: (token: string) => void }) {
  const [value, setValue] = useState('');
  return h(
    'main',
    { class: 'login' },
    h(
      'form',
      {
        'aria-label': 'Log in',
        onSubmit: (e: Event) => {
          e.preventDefault();
          if (value.trim() !== '') props.onLogin(value.trim());
        },
      },
      h('h1', null, 'eris console'),
      props.message === null ? null : h('p', { role: 'alert', class: 'error' }, props.message),
      h('label', { for: 'token' }, 'API token'),
      h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, autofocus: true, value, onInput: (e: Event) => setValue((e.target as HTMLInputElement).value) }),
      h('button', { type: 'submit' }, 'Log in'),
    ),
  );
}
