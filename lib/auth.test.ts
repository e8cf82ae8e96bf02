import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authenticate, parseTokens } from './auth.js';

describe('bearer tokens', () => {
  it('names tokens for logs without revealing them', () => {
    const tokens = parseTokens('# comment\nci:s3cret\n\nplain-token\n');
    assert.equal(tokens.length, 2);
    assert.equal(tokens[0]!.id, 'ci');
    assert.match(tokens[1]!.id, /^sha256:[0-9a-f]{8}$/);
    assert.equal(authenticate(tokens, 'Bearer s3cret')?.id, 'ci');
    assert.equal(authenticate(tokens, 'bearer plain-token')?.id, tokens[1]!.id);
    assert.equal(authenticate(tokens, 'Bearer nope'), null);
    assert.equal(authenticate(tokens, 'Basic s3cret'), null);
    assert.equal(authenticate(tokens, undefined), null);
  });
});

describe('token strength', () => {
  it('refuses a server token under 8 characters, naming the token not the secret; warns under 16', async () => {
    const { checkTokenStrength, serverTokens } = await import('./auth.js');
    const warnings: string[] = [];
    const warn = (_: Record<string, unknown>, message: string) => warnings.push(message);
    assert.throws(() => serverTokens({ token: 'ops:abc', dir: '/nonexistent', generatedName: 'x', host: '127.0.0.1' }, warn), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERIS_ERR_CONFIG');
      assert.match(err.message, /^token: token ops has 3 characters; at least 8 are required/);
      assert.ok(!err.message.includes('abc'));
      return true;
    });
    checkTokenStrength(parseTokens('ci:twelve-chars'), 'tokenFile', warn);
    assert.deepEqual(warnings, ['token ci is short (12 characters): use at least 16']);
    checkTokenStrength(parseTokens('a-generated-looking-token-0123456789'), 'token', warn);
    assert.equal(warnings.length, 1);
  });
});
