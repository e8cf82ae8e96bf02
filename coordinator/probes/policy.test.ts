import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProbePolicy, ProbePolicyError } from './policy.js';
import { sendProbeRequest } from './http.js';
import { renderProbe, parseProbeSpec } from './spec.js';
import { checkProbeDestinations } from './destinations.js';
import type { Drill } from '../drill/schema.js';

const secure = new ProbePolicy();
const problem = (url: string, policy = secure) => policy.urlProblem(new URL(url));

describe('probe policy', () => {
  it('refuses the metadata address in every spelling', () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://2852039166/', // decimal
      'http://0xa9fea9fe/', // hex
      'http://0xa9.0xfe.0xa9.0xfe/',
      'http://0251.0376.0251.0376/', // octal
      'http://169.254.43518/', // a.b.c16
      'http://169.16689662/', // a.b24
      'http://[::ffff:169.254.169.254]/', // IPv4-mapped
      'http://[::ffff:a9fe:a9fe]/',
      'http://[::ffff:0:a9fe:a9fe]/', // IPv4-translated
      'http://[64:ff9b::a9fe:a9fe]/', // NAT64
      'http://[2002:a9fe:a9fe::1]/', // 6to4
      'http://[::169.254.169.254]/', // IPv4-compatible
      'http://[fd00:ec2::254]/', // AWS IPv6
      'http://[FD00:EC2:0::254]/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://METADATA.GOOGLE.INTERNAL./',
      'https://100.100.100.200/',
    ]) {
      assert.match(problem(url) ?? 'allowed', /cloud metadata/, url);
    }
  });

  it('refuses loopback, link-local and unspecified addresses in any spelling', () => {
    for (const [url, kind] of [
      ['http://127.0.0.1:7701/v1/faults', 'loopback'],
      ['http://127.1/', 'loopback'],
      ['http://2130706433/', 'loopback'],
      ['http://0x7f000001/', 'loopback'],
      ['http://017700000001/', 'loopback'],
      ['http://[::1]/', 'loopback'],
      ['http://[::ffff:127.0.0.1]/', 'loopback'],
      ['http://169.254.10.1/', 'link-local'],
      ['http://[fe80::1]/', 'link-local'],
      ['http://[febf::1]/', 'link-local'],
      ['http://0.0.0.0/', 'unspecified'],
      ['http://0/', 'unspecified'],
      ['http://[::]/', 'unspecified'],
    ] as const) {
      assert.match(problem(url) ?? 'allowed', new RegExp(`is a ${kind} address`), url);
    }
    assert.match(problem('file:///etc/passwd')!, /must be an http:\/\/ or https:\/\/ URL/);
    assert.match(problem('gopher://x/')!, /must be an http/);
  });

  it('lets ordinary destinations through', () => {
    for (const url of ['http://10.0.0.5:2379/health', 'https://etcd.prod.svc:2379/', 'http://192.168.1.1/', 'http://[2001:db8::1]/', 'http://169.255.0.1/', 'http://fe80.example.com/']) {
      assert.equal(problem(url), null, url);
    }
  });

  it('an allow list opens categories, ranges, addresses and names; metadata only when named', () => {
    const loopback = new ProbePolicy({ allow: ['loopback'] });
    assert.equal(problem('http://127.0.0.1:9/', loopback), null);
    assert.equal(problem('http://[::1]/', loopback), null);
    assert.match(problem('http://169.254.1.1/', loopback)!, /link-local/);
    const linkLocal = new ProbePolicy({ allow: ['link-local', '169.254.0.0/16'] });
    assert.equal(problem('http://169.254.1.1/', linkLocal), null);
    assert.match(problem('http://169.254.169.254/', linkLocal)!, /cloud metadata.*--probe-allow 169\.254\.169\.254/, 'a range does not open metadata');
    assert.equal(problem('http://169.254.169.254/', new ProbePolicy({ allow: ['169.254.169.254'] })), null);
    assert.equal(problem('http://[::ffff:169.254.169.254]/', new ProbePolicy({ allow: ['169.254.169.254/32'] })), null);
    assert.equal(problem('http://metadata.google.internal/', new ProbePolicy({ allow: ['metadata.google.internal'] })), null);
    assert.equal(problem('http://127.0.0.2/', new ProbePolicy({ allow: ['127.0.0.2'] })), null);
    assert.match(problem('http://127.0.0.3/', new ProbePolicy({ allow: ['127.0.0.2'] }))!, /loopback/);
  });

  it('refuses a bad allow entry at start, naming it', () => {
    assert.throws(() => new ProbePolicy({ allow: ['loopback', 'not a host!'] }), { code: 'ERIS_ERR_CONFIG', path: 'probeAllow[1]' });
    assert.throws(() => new ProbePolicy({ allow: ['10.0.0.0/33'] }), /probeAllow\[0\]/);
  });

  it('refuses at request time before connecting: a literal address, and a name that resolves to loopback', async () => {
    let connections = 0;
    const server = createServer((_req, res) => res.end('{}'));
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const send = (url: string, policy: ProbePolicy) => sendProbeRequest(renderProbe(parseProbeSpec({ url }), null), AbortSignal.timeout(2000), 1024, policy);
      await assert.rejects(send(`http://127.0.0.1:${port}/`, secure), (e: unknown) => e instanceof ProbePolicyError && /127\.0\.0\.1 is a loopback address/.test(e.message));
      // `localhost` passes the URL check (a name); its DNS answer is judged by the lookup the connection uses.
      await assert.rejects(send(`http://localhost:${port}/`, secure), /refused by the probe policy: localhost resolves to .* is a loopback address/);
      assert.equal(connections, 0, 'nothing reached the server');
      assert.equal((await send(`http://localhost:${port}/`, new ProbePolicy({ allow: ['loopback'] }))).status, 200);
      assert.equal((await send(`http://localhost:${port}/`, new ProbePolicy({ allow: ['localhost'] }))).status, 200, 'a name allowed by name');
      assert.equal(connections, 2);
    } finally {
      server.close();
    }
  });

  it('checks a drill\'s probes when it is stored: literal, metadata name, and what a name resolves to now', async () => {
    const drill = (url: string) => ({ spec: { probes: { health: parseProbeSpec({ url }) } } }) as unknown as Drill;
    const never = async () => ['203.0.113.7'];
    await assert.rejects(checkProbeDestinations(drill('http://0xa9fea9fe/'), secure, never), { code: 'ERIS_ERR_PROBE_POLICY', path: 'spec.probes.health.url' });
    await assert.rejects(checkProbeDestinations(drill('http://metadata.google.internal/'), secure, never), /cloud metadata host/);
    await assert.rejects(checkProbeDestinations(drill('http://rebind.example/'), secure, async () => ['203.0.113.7', '169.254.169.254']), /rebind\.example resolves to 169\.254\.169\.254 is a cloud metadata address/);
    await checkProbeDestinations(drill('http://db.example:2379/'), secure, never);
    // A host filled per target is judged at request time.
    await checkProbeDestinations(drill('http://{{target.labels.host}}:2379/'), secure, never);
    // A name that does not resolve yet is left to the request-time check.
    await checkProbeDestinations(drill('http://later.example/'), secure, async () => Promise.reject(new Error('ENOTFOUND')));
  });
});
