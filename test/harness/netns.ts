// Several "nodes" on one machine: network namespaces joined by a bridge that lives in a namespace of its own
// ("lan"), so no address is ever added outside namespaces the test created. Addresses: 10.77.<net>.0/24.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface Lan {
  /** Namespace of the bridge (and of whatever should sit on the LAN itself, e.g. a coordinator). */
  ns: string;
  /** The LAN namespace's own address. */
  address: string;
  nodes: Map<string, { ns: string; address: string }>;
  addNode(name: string): { ns: string; address: string };
  /** Cuts (down) or restores (up) a node's cable: its veth's end on the bridge, so the node sees no carrier. */
  setNodeLink(name: string, up: boolean): void;
  /** argv prefix that runs a command inside a namespace without touching its mounts. */
  exec(ns: string, argv: string[]): string[];
  destroy(): void;
}

export function createLan(net = 77): Lan {
  const id = randomBytes(3).toString('hex');
  const lanNs = `eris-${id}-lan`;
  const created: string[] = [];
  /** Node name → its veth end on the bridge (in the LAN namespace). */
  const ports = new Map<string, string>();
  const lan: Lan = {
    ns: lanNs,
    address: `10.${net}.0.254`,
    nodes: new Map(),
    addNode(name) {
      const index = lan.nodes.size + 1;
      const ns = `eris-${id}-${name}`.slice(0, 30);
      const address = `10.${net}.0.${index}`;
      ip('netns', 'add', ns);
      created.push(ns);
      const inner = `e${id}n${index}`;
      const outer = `e${id}b${index}`;
      ip('link', 'add', inner, 'netns', ns, 'type', 'veth', 'peer', 'name', outer, 'netns', lanNs);
      ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', inner);
      ip('-n', ns, 'link', 'set', inner, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', lanNs, 'link', 'set', outer, 'master', 'br0');
      ip('-n', lanNs, 'link', 'set', outer, 'up');
      const node = { ns, address };
      lan.nodes.set(name, node);
      ports.set(name, outer);
      return node;
    },
    setNodeLink(name, up) {
      const port = ports.get(name);
      if (port === undefined) throw new Error(`no node ${name} on this LAN`);
      ip('-n', lanNs, 'link', 'set', port, up ? 'up' : 'down');
    },
    exec(ns, argv) {
      return ['nsenter', `--net=/run/netns/${ns}`, ...argv];
    },
    destroy() {
      for (const ns of created.reverse()) {
        try {
          ip('netns', 'del', ns);
        } catch {
          // already gone
        }
      }
    },
  };
  try {
    ip('netns', 'add', lanNs);
    created.push(lanNs);
    ip('-n', lanNs, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', lanNs, 'addr', 'add', `${lan.address}/24`, 'dev', 'br0');
    ip('-n', lanNs, 'link', 'set', 'br0', 'up');
    ip('-n', lanNs, 'link', 'set', 'lo', 'up');
  } catch (error) {
    lan.destroy();
    throw error;
  }
  return lan;
}
