// The console's shell: the login screen until a token is accepted, then the views (Fleet for now).
import { h, render } from 'preact';
import { useState } from 'preact/hooks';
import { forgetToken, savedToken, saveToken } from './api.js';
import { Login } from './login.js';
import { Fleet } from './fleet-view.js';
import './style.css';

function App() {
  const [token, setToken] = useState<string | null>(savedToken());
  const [message, setMessage] = useState<string | null>(null);
  if (token === null) {
    return h(Login, {
      message,
      onLogin: (t: string) => {
        saveToken(t);
        setMessage(null);
        setToken(t);
      },
    });
  }
  const logout = (why: string | null) => {
    forgetToken();
    setMessage(why);
    setToken(null);
  };
  return h(
    'div',
    { class: 'shell' },
    h('header', null, h('h1', null, 'eris'), h('nav', { 'aria-label': 'Views' }, h('a', { href: '#fleet', 'aria-current': 'page' }, 'Fleet')), h('button', { type: 'button', onClick: () => logout(null) }, 'Log out')),
    h('main', null, h(Fleet, { token, onUnauthorized: () => logout('The coordinator refused this token. Log in again.') })),
  );
}

render(h(App, null), document.getElementById('app')!);
