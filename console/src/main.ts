// The console's shell: the login screen until a token is accepted, then the views, chosen by the URL's hash
// (#fleet, #targets, #drills, #runs, #runs/ID, #faults) so that a view can be bookmarked and Back works.
import { h, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { forgetToken, getJson, savedToken, saveToken, Unauthorized } from './api.js';
import { Login } from './login.js';
import { Fleet } from './fleet-view.js';
import { Targets } from './targets-view.js';
import { Drills } from './drills-view.js';
import { RunsRoute } from './runs-view.js';
import { Faults } from './faults-view.js';
import './style.css';

const VIEWS = {
  fleet: { title: 'Fleet', view: Fleet },
  targets: { title: 'Targets', view: Targets },
  drills: { title: 'Drills', view: Drills },
  runs: { title: 'Runs', view: RunsRoute },
  faults: { title: 'Faults', view: Faults },
} as const;
type ViewName = keyof typeof VIEWS;
// The hash's first segment names the view; the rest (#runs/ID) is handed to it as `param`.
const viewOf = (hash: string): ViewName => (Object.hasOwn(VIEWS, hash.slice(1).split('/')[0]!) ? (hash.slice(1).split('/')[0] as ViewName) : 'fleet');
const paramOf = (hash: string): string | undefined => hash.slice(1).split('/')[1];

function useHash(): string {
  const [view, setView] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setView(location.hash);
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return view;
}

function App() {
  const hash = useHash();
  const view = viewOf(hash);
  const [token, setToken] = useState<string | null>(savedToken());
  const [message, setMessage] = useState<string | null>(null);
  // The token's role (GET /v1/whoami): a viewer sees every action disabled; the API refuses them anyway.
  const [readOnly, setReadOnly] = useState(false);
  useEffect(() => {
    if (token === null) return;
    getJson<{ role: string }>('v1/whoami', token).then(
      (w) => setReadOnly(w.role !== 'operator'),
      (err: unknown) => (err instanceof Unauthorized ? undefined : setReadOnly(false)),
    );
  }, [token]);
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
    h('header', null, h('h1', null, 'eris'), h('nav', { 'aria-label': 'Views' }, ...(Object.keys(VIEWS) as ViewName[]).map((name) => h('a', { href: `#${name}`, 'aria-current': name === view ? 'page' : undefined }, VIEWS[name].title))), readOnly ? h('p', { class: 'read-only', role: 'note' }, 'read-only token: actions are disabled') : null, h('button', { type: 'button', onClick: () => logout(null) }, 'Log out')),
    h('main', null, h(VIEWS[view].view, { token, readOnly, param: paramOf(hash), onUnauthorized: () => logout('The coordinator refused this token. Log in again.') })),
  );
}

render(h(App, null), document.getElementById('app')!);
