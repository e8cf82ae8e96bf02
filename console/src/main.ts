// The console's shell: the login screen until a token is accepted, then the views, chosen by the URL's hash
// (#fleet, #targets) so that a view can be bookmarked and Back works.
import { h, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { forgetToken, savedToken, saveToken } from './api.js';
import { Login } from './login.js';
import { Fleet } from './fleet-view.js';
import { Targets } from './targets-view.js';
import { Drills } from './drills-view.js';
import './style.css';

const VIEWS = { fleet: { title: 'Fleet', view: Fleet }, targets: { title: 'Targets', view: Targets }, drills: { title: 'Drills', view: Drills } } as const;
type ViewName = keyof typeof VIEWS;
const viewOf = (hash: string): ViewName => (Object.hasOwn(VIEWS, hash.slice(1)) ? (hash.slice(1) as ViewName) : 'fleet');

function useHashView(): ViewName {
  const [view, setView] = useState(viewOf(location.hash));
  useEffect(() => {
    const onChange = () => setView(viewOf(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return view;
}

function App() {
  const view = useHashView();
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
    h('header', null, h('h1', null, 'eris'), h('nav', { 'aria-label': 'Views' }, ...(Object.keys(VIEWS) as ViewName[]).map((name) => h('a', { href: `#${name}`, 'aria-current': name === view ? 'page' : undefined }, VIEWS[name].title))), h('button', { type: 'button', onClick: () => logout(null) }, 'Log out')),
    h('main', null, h(VIEWS[view].view, { token, onUnauthorized: () => logout('The coordinator refused this token. Log in again.') })),
  );
}

render(h(App, null), document.getElementById('app')!);
