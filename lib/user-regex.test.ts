import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from './errors.js';
import { REGEX_MAX_LENGTH, REGEX_MAX_PROGRAM, compileUserRegex, userRegexProblem, userRegexSchema } from './user-regex.js';

describe('user regexes (RE2)', () => {
  it('matches unanchored like RegExp.test, the same as RegExp on the patterns drills use', () => {
    const names = ['etcd-0', 'etcd-12', 'etcdctl', 'my-etcd-1', 'ETCD-1', 'etcd-', 'postgres-primary', '', 'etcd-1\n'];
    for (const source of ['^etcd-\\d+$', 'etcd', '^etcd$', 'primary|replica', '(?i)^etcd-[0-9]+$', '^[a-z]+(-[a-z0-9]+)*$', '\\bctl\\b', '^.{0,5}$']) {
      const re = compileUserRegex(source, 'pod');
      const js = new RegExp(source.replace('(?i)', ''), source.startsWith('(?i)') ? 'i' : '');
      for (const name of names) assert.equal(re.test(name), js.test(name), `${source} on ${JSON.stringify(name)}`);
    }
  });

  it('answers the patterns that hang a backtracking engine in milliseconds', () => {
    const cases: Array<[string, string]> = [
      ['(a+)+$', `${'a'.repeat(28)}!`],
      ['(.*a){20}$', `${'a'.repeat(5000)}!`],
      ['^(a|aa)*$', `${'a'.repeat(5000)}!`],
      ['^(\\w+\\s?)*$', `${'word '.repeat(1000)}!`],
    ];
    for (const [source, input] of cases) {
      const re = compileUserRegex(source, 'cmdline');
      const start = performance.now();
      assert.equal(re.test(input), false);
      const ms = performance.now() - start;
      assert.ok(ms < 500, `${source}: ${ms} ms`);
    }
  });

  it('refuses what RE2 does not accept, naming the field and saying why', () => {
    const cases: Array<[string, RegExp]> = [
      ['(', /^query\.pod: not a valid RE2 regular expression: missing closing \)/],
      ['(a)\\1', /invalid escape sequence: `\\1`.*no backreferences or lookaround/],
      ['etcd(?=-0)', /unsupported Perl syntax: `\(\?=`/],
      ['(?<!x)y', /not a valid RE2 regular expression/],
      ['a{1001}', /invalid repeat count/],
      ['x'.repeat(REGEX_MAX_LENGTH + 1), /must be at most 512 characters \(got 513\)/],
      ['[a-z]{600}[0-9]{600}', new RegExp(`too complex: compiles to \\d+ instructions, at most ${REGEX_MAX_PROGRAM}`)],
    ];
    for (const [source, message] of cases) {
      assert.throws(
        () => compileUserRegex(source, 'query.pod'),
        (e: unknown) => e instanceof ValidationError && e.path === 'query.pod' && e.status === 400 && message.test(e.message),
        source.slice(0, 40),
      );
      assert.notEqual(userRegexProblem(source), null);
    }
    assert.equal(userRegexProblem('^etcd-\\d+$'), null);
  });

  it('bounds what an error echoes of a long pattern', () => {
    try {
      compileUserRegex(`(${'x'.repeat(400)}`, 'pod');
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof ValidationError);
      assert.ok(JSON.stringify(e.toJSON()).length < 400, JSON.stringify(e.toJSON()));
    }
  });

  it('is a zod field whose issue carries the reason', () => {
    const r = userRegexSchema.safeParse('(?=x)');
    assert.equal(r.success, false);
    assert.match(r.error!.issues[0]!.message, /not a valid RE2 regular expression/);
    assert.equal(userRegexSchema.safeParse('').error!.issues[0]!.message, 'must not be empty');
    assert.equal(userRegexSchema.parse('^etcd$'), '^etcd$');
  });
});
