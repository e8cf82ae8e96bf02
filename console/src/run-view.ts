// One run's page (placeholder until the live page lands).
import { h } from 'preact';
export function RunPage(props: { token: string; id: string; onUnauthorized: () => void }) {
  return h('section', null, h('h2', null, `Run ${props.id}`));
}
