// A member of the demo's sample cluster: a JSON health endpoint that stops answering when the process is frozen.
// `node sample-member.js --name m0 --port 9001 --peers 9002,9003`
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { name: { type: 'string' }, port: { type: 'string' }, peers: { type: 'string', default: '' }, host: { type: 'string', default: '127.0.0.1' },
    // Only there to make the command line easy to select (--tag DEMO-ID).
    tag: { type: 'string' },
  },
});
const name = values.name ?? 'member';
const port = Number(values.port);
const peers = values.peers.split(',').filter((p) => p !== '').map(Number);

async function peerHealthy(peer: number): Promise<boolean> {
  try {
    const res = await fetch(`http://${values.host}:${peer}/health`, { signal: AbortSignal.timeout(300) });
    return ((await res.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

const server = createServer(async (req, res) => {
  res.setHeader('content-type', 'application/json');
  if (req.url === '/health') {
    res.end(JSON.stringify({ health: 'true', name }));
    return;
  }
  if (req.url === '/metrics') {
    // Something for a Prometheus to scrape (its `up` turns 0 while the member is frozen): the prometheus probe's test.
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(`# HELP sample_member_info The sample member.\n# TYPE sample_member_info gauge\nsample_member_info{name="${name}"} 1\n`);
    return;
  }
  if (req.url === '/cluster') {
    // Like a quorum system: the cluster is healthy while a majority of its members answer.
    const healthy = 1 + (await Promise.all(peers.map(peerHealthy))).filter(Boolean).length;
    const members = peers.length + 1;
    res.end(JSON.stringify({ name, members, healthy, quorum: healthy > members / 2 }));
    return;
  }
  res.statusCode = 404;
  res.end(JSON.stringify({ error: 'not found' }));
});
server.listen(port, values.host);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
