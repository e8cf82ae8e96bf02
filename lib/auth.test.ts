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
