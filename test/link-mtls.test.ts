// TLS and mTLS on the agent link, with certificates this test makes (openssl): the real `eris coordinator` with
// --agent-client-ca, and real `eris agent`s dialling wss:// with --coordinator-ca, --link-cert, --link-key. The agent
// with the right certificate registers; without one, with one from another CA, or naming another node, it is turned
// away with the reason in both logs; plain ws:// to the TLS port fails with a hint in both logs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startAgentProcess, startCoordinatorProcess, type ErisProcess } from './harness/agent-process.js';
import { waitFor } from './harness/processes.js';
import { assertBuilt } from './cli-harness.js';
import { testbedSkipReason } from './harness/requirements.js';
import { loadAgentConfig } from '../daemon/config.js';
import { loadCoordinatorConfig } from '../coordinator/config.js';
import { LINK_PATH } from '../lib/link/protocol.js';

const TOKEN = 'link-mtls-token-0123456789';

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A CA (NAME-ca.pem, NAME-ca.key) in dir. */
function makeCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=${name} test CA`, '-keyout', `${name}-ca.key`, '-out', `${name}-ca.pem`]);
}

/** A leaf (NAME.pem, NAME.key) signed by the CA, with the given subject CN and subjectAltName extension. */
function makeLeaf(dir: string, ca: string, name: string, cn: string, san: string, usage: 'serverAuth' | 'clientAuth'): void {
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`);
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${cn.replace(/\//g, '\\/')}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}-ca.pem`, '-CAkey', `${ca}-ca.key`, '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
}

const logText = (p: ErisProcess) => p.logs.join('\n');

describe('mTLS on the agent link', { skip: testbedSkipReason({ tools: ['openssl'], root: false }) }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'eris-mtls-'));
  const f = (name: string) => join(dir, name);
  let coordinator: ErisProcess;
  let linkUrl: string;
  const agents: ErisProcess[] = [];

  before(async () => {
    assertBuilt();
    makeCa(dir, 'fleet');
    makeCa(dir, 'other');
    makeLeaf(dir, 'fleet', 'server', 'eris-coordinator', 'IP:127.0.0.1,DNS:localhost', 'serverAuth');
    makeLeaf(dir, 'fleet', 'n1', 'lab/n1', 'URI:eris-agent://lab/n1', 'clientAuth');
    makeLeaf(dir, 'fleet', 'any-lab', 'lab-agents', 'URI:eris-agent://lab/*', 'clientAuth');
    makeLeaf(dir, 'fleet', 'n2', 'lab/n2', 'URI:eris-agent://lab/n2', 'clientAuth');
    makeLeaf(dir, 'other', 'stranger', 'lab/n1', 'URI:eris-agent://lab/n1', 'clientAuth');
    coordinator = await startCoordinatorProcess(
      ['--listen', '127.0.0.1:0', '--data-dir', f('coordinator'), '--tls-cert', f('server.pem'), '--tls-key', f('server.key'), '--agent-client-ca', f('fleet-ca.pem')],
      TOKEN,
    );
    linkUrl = coordinator.url.replace(/^https:/, 'wss:');
  });

  after(async () => {
    for (const a of agents) await a.stop('SIGTERM');
    await coordinator?.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  const startAgent = async (node: string, tls: string[], url = linkUrl): Promise<ErisProcess> => {
    const agent = await startAgentProcess(['--state-dir', f(`agent-${node}-${agents.length}`), '--no-cri', '--host-processes', '--coordinator', url, '--cluster', 'lab', '--node-name', node, ...tls], TOKEN);
    agents.push(agent);
    return agent;
  };
  const withCa = ['--coordinator-ca', f('fleet-ca.pem')];

  it('an agent with a certificate the client CA signed, naming its cluster/node, registers', async () => {
    const agent = await startAgent('n1', [...withCa, '--link-cert', f('n1.pem'), '--link-key', f('n1.key')]);
    await waitFor(() => logText(agent).includes('connected to the coordinator'), 10000, 'the agent connected');
    await waitFor(() => logText(coordinator).includes('"agent":"lab/n1"') && logText(coordinator).includes('agent connected'), 5000, 'the coordinator registered lab/n1');
    // A cluster-wide certificate (eris-agent://lab/*) registers any node of lab.
    const other = await startAgent('n9', [...withCa, '--link-cert', f('any-lab.pem'), '--link-key', f('any-lab.key')]);
    await waitFor(() => logText(other).includes('connected to the coordinator'), 10000, 'the cluster-wide certificate connected');
  });

  it('without a client certificate: refused, the reason in both logs', async () => {
    const agent = await startAgent('n3', withCa);
    await waitFor(() => /the coordinator refused the link \(HTTP 401\): ERIS_ERR_CLIENT_CERT_REQUIRED: no client certificate/.test(logText(agent)), 10000, 'the agent logs why');
    assert.match(logText(coordinator), /agent link refused: no client certificate/);
    assert.ok(!logText(agent).includes('connected to the coordinator'));
  });

  it('with a certificate from another CA: refused, the reason in both logs', async () => {
    const agent = await startAgent('n1', [...withCa, '--link-cert', f('stranger.pem'), '--link-key', f('stranger.key')]);
    await waitFor(() => /refused the link \(HTTP 401\): ERIS_ERR_CLIENT_CERT_UNTRUSTED: client certificate lab\/n1 not trusted/.test(logText(agent)), 10000, 'the agent logs why');
    assert.match(logText(coordinator), /agent link refused: client certificate lab\/n1 not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
  });

  it('with a certificate naming another node: refused at the hello, the reason in both logs', async () => {
    const agent = await startAgent('n4', [...withCa, '--link-cert', f('n2.pem'), '--link-key', f('n2.key')]);
    await waitFor(() => /closed the link before welcoming it \(4403\): client certificate lab\/n2 names lab\/n2, not lab\/n4/.test(logText(agent)), 10000, 'the agent logs why');
    assert.match(logText(coordinator), /agent link refused: client certificate lab\/n2 names lab\/n2, not lab\/n4/);
  });

  it("an agent that does not trust the coordinator's certificate says so", async () => {
    const agent = await startAgent('n5', ['--link-cert', f('n1.pem'), '--link-key', f('n1.key')]);
    await waitFor(() => /the coordinator's certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED/.test(logText(agent)) && /--coordinator-ca/.test(logText(agent)), 10000, 'the agent logs why');
  });

  it('plain ws:// to the TLS port fails, with a hint in both logs', async () => {
    const agent = await startAgent('n6', [], linkUrl.replace(/^wss:/, 'ws:'));
    await waitFor(() => /the coordinator may serve TLS only \(dial wss:\/\/\)/.test(logText(agent)), 10000, 'the agent logs a hint');
    await waitFor(() => /the client spoke plain HTTP\/ws:\/\/ to the TLS port/.test(logText(coordinator)), 5000, 'the coordinator logs it');
  });

  it('handshake cost: wss:// with a client certificate against plain ws:// (upgrade accepted, per link)', async () => {
    const plain = await startCoordinatorProcess(['--listen', '127.0.0.1:0', '--data-dir', f('plain')], TOKEN);
    try {
      const dial = async (url: string, options: WebSocket.ClientOptions): Promise<number> => {
        const t0 = performance.now();
        const ws = new WebSocket(`${url}${LINK_PATH}`, { headers: { authorization: `Bearer ${TOKEN}` }, ...options });
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        });
        const ms = performance.now() - t0;
        ws.terminate();
        return ms;
      };
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const { readFileSync } = await import('node:fs');
      const mtls = { ca: readFileSync(f('fleet-ca.pem')), cert: readFileSync(f('n1.pem')), key: readFileSync(f('n1.key')) };
      const rounds = 30;
      const tlsTimes: number[] = [];
      const plainTimes: number[] = [];
      for (let i = 0; i < rounds; i++) {
        tlsTimes.push(await dial(linkUrl, mtls));
        plainTimes.push(await dial(plain.url.replace(/^http:/, 'ws:'), {}));
      }
      console.log(`# link handshake (median of ${rounds}): mTLS ${median(tlsTimes).toFixed(2)} ms, plain ws ${median(plainTimes).toFixed(2)} ms`);
      assert.equal(tlsTimes.length, rounds);
      assert.ok(median(tlsTimes) < 1000, `an mTLS handshake takes ${median(tlsTimes)} ms`);
    } finally {
      await plain.stop('SIGTERM');
    }
  });

  it('flags are checked once, at start, each error naming its flag', () => {
    const agent = (extra: Record<string, unknown>) => () =>
      loadAgentConfig({ listen: '127.0.0.1:0', token: TOKEN, stateDir: f('cfg'), noCri: true, hostProcesses: true, cluster: 'lab', coordinator: linkUrl, ...extra }, {});
    assert.throws(agent({ linkCert: f('n1.pem') }), /linkKey: --link-cert and --link-key go together/);
    assert.throws(agent({ coordinator: 'ws://127.0.0.1:1', coordinatorCa: f('fleet-ca.pem') }), /coordinatorCa: --coordinator-ca needs a TLS link \(--coordinator wss:\/\/HOST:PORT\), not ws:\/\/127\.0\.0\.1:1/);
    assert.throws(agent({ coordinatorCa: f('missing.pem') }), /coordinatorCa: --coordinator-ca .*missing\.pem cannot be read/);
    assert.throws(agent({ coordinatorCa: f('n1.key') }), /coordinatorCa: --coordinator-ca .* holds no PEM certificate/);
    assert.throws(agent({ linkCert: f('n1.pem'), linkKey: f('n2.key') }), /linkKey: --link-key .*n2\.key is not the key of --link-cert/);
    assert.throws(agent({ coordinatorCa: f('fleet-ca.pem'), coordinatorInsecure: true }), /coordinatorCa: --coordinator-ca and --coordinator-insecure contradict/);
    assert.doesNotThrow(agent({ coordinatorCa: f('fleet-ca.pem'), linkCert: f('n1.pem'), linkKey: f('n1.key') }));

    const coord = (extra: Record<string, unknown>) => () => loadCoordinatorConfig({ listen: '127.0.0.1:0', token: TOKEN, dataDir: f('cfg-c'), storePath: ':memory:', ...extra }, {});
    assert.throws(coord({ agentClientCa: f('fleet-ca.pem') }), /agentClientCa: --agent-client-ca needs --tls-cert and --tls-key/);
    assert.throws(coord({ tlsCert: f('server.pem'), tlsKey: f('server.key'), agentClientCa: f('nope.pem') }), /agentClientCa: --agent-client-ca .*nope\.pem cannot be read/);
    assert.throws(coord({ tlsCert: f('server.pem'), tlsKey: f('n1.key') }), /tlsKey: --tls-key .* is not the key of --tls-cert/);
    assert.throws(coord({ tlsCert: f('server.pem'), tlsKey: f('server.key'), agentClientCa: f('fleet-ca.pem'), agentCertBinding: 'cn' }), /agentCertBinding: /);
  });
});
