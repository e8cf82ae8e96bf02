import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokensFile, principalsFrom } from './tokens-file.js';
import { can, inScope, requirePermission } from './roles.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const HASH = sha('a-long-enough-secret-0001');

describe('tokens file', () => {
  it('turns entries into principals with roles, scopes and bindings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eris-tokens-'));
    try {
      writeFileSync(join(dir, 'ci.secret'), '# the CI token\nci-secret-long-enough-0123\n');
      writeFileSync(join(dir, 'tokens.json'), JSON.stringify({
        tokens: [
          { id: 'ci', role: 'operator', secretFile: 'ci.secret', clusters: ['prod'], namespaces: ['etcd'] },
          { id: 'agents', role: 'agent', sha256: HASH, cluster: 'prod', node: 'n1' },
        ],
      }));
      const [ci, agent] = loadTokensFile(join(dir, 'tokens.json'));
      assert.deepEqual(ci!.secretHash, Buffer.from(sha('ci-secret-long-enough-0123'), 'hex'));
      assert.deepEqual(ci!.roles, ['operator']);
      assert.ok(can(ci!, 'operate') && can(ci!, 'read'));
      assert.ok(inScope(ci!, { cluster: 'prod', namespace: 'etcd' }));
      assert.ok(!inScope(ci!, { cluster: 'prod', namespace: 'kube-system' }));
      assert.ok(!inScope(ci!, { cluster: 'dev', namespace: 'etcd' }));
      assert.ok(!inScope(ci!, { cluster: 'prod', namespace: '' }), 'a namespace-scoped token does not reach host processes');
      assert.equal(agent!.agentCluster, 'prod');
      assert.equal(agent!.agentNode, 'n1');
      assert.ok(!can(agent!, 'read'));
      assert.throws(() => requirePermission(agent!, 'read', 'GET /v1/agents'), { code: 'ERIS_ERR_FORBIDDEN_ROLE', details: { needed: 'viewer', roles: ['agent'], tokenId: 'agents' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['no tokens', { tokens: [] }, /^tokensFile: tokens: must hold at least one token/],
    ['an unknown role', { tokens: [{ id: 'a', role: 'admin', sha256: HASH }] }, /^tokensFile: tokens\[0\]\.role: must be one of agent, operator, viewer/],
    ['neither secret', { tokens: [{ id: 'a', role: 'viewer' }] }, /^tokensFile: tokens\[0\]\.secretFile: give exactly one of secretFile or sha256/],
    ['a bad hash', { tokens: [{ id: 'a', role: 'viewer', sha256: 'abc' }] }, /^tokensFile: tokens\[0\]\.sha256: must be 64 hex digits/],
    ['an unbound agent', { tokens: [{ id: 'a', role: 'agent', sha256: HASH }] }, /^tokensFile: tokens\[0\]\.cluster: an agent token is bound to a cluster/],
    ['a node on a viewer', { tokens: [{ id: 'a', role: 'viewer', sha256: HASH, node: 'n' }] }, /^tokensFile: tokens\[0\]\.node: is for agent tokens/],
    ['clusters on an agent', { tokens: [{ id: 'a', role: 'agent', sha256: HASH, cluster: 'c', clusters: ['c'] }] }, /^tokensFile: tokens\[0\]\.clusters: is for operator and viewer/],
    ['an unknown field', { tokens: [{ id: 'a', role: 'viewer', sha256: HASH, roles: ['x'] }] }, /^tokensFile: tokens\[0\]: Unrecognized key: "roles"/],
    ['a duplicate id', { tokens: [{ id: 'a', role: 'viewer', sha256: HASH }, { id: 'a', role: 'viewer', sha256: sha('other-secret-long-enough') }] }, /^tokensFile: tokens\[1\]\.id: a is used twice/],
    ['one secret twice', { tokens: [{ id: 'a', role: 'viewer', sha256: HASH }, { id: 'b', role: 'operator', sha256: HASH }] }, /^tokensFile: tokens\[1\]: same secret as token a/],
  ];
  for (const [what, raw, message] of bad) {
    it(`refuses ${what}, naming the field`, () => {
      assert.throws(() => principalsFrom(raw, '/nonexistent'), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ERIS_ERR_CONFIG');
        assert.match(err.message, message);
        return true;
      });
    });
  }

  it('refuses a short secret in a secretFile, and a missing file, naming the entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eris-tokens-'));
    try {
      writeFileSync(join(dir, 'short'), 'abc\n');
      assert.throws(() => principalsFrom({ tokens: [{ id: 'a', role: 'viewer', secretFile: 'short' }] }, dir), /^ConfigError: tokensFile: tokens\[0\]\.secretFile: the secret in .*short is shorter than 16/);
      assert.throws(() => principalsFrom({ tokens: [{ id: 'a', role: 'viewer', secretFile: 'missing' }] }, dir), /tokens\[0\]\.secretFile: cannot read .*missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
