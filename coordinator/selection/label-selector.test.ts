import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../lib/errors.js';
import { formatLabelSelector, matchesLabels, parseLabelSelector, tryParseLabelSelector, type LabelRequirement } from './label-selector.js';

describe('label selector parser: valid', () => {
  const cases: Array<[string, LabelRequirement[]]> = [
    ['', []],
    ['   ', []],
    ['app=etcd', [{ key: 'app', operator: 'equals', value: 'etcd' }]],
    ['app==etcd', [{ key: 'app', operator: 'equals', value: 'etcd' }]],
    ['tier!=x', [{ key: 'tier', operator: 'notEquals', value: 'x' }]],
    ['env in (a,b)', [{ key: 'env', operator: 'in', values: ['a', 'b'] }]],
    ['env in(a)', [{ key: 'env', operator: 'in', values: ['a'] }]],
    ['env notin ( a , b )', [{ key: 'env', operator: 'notIn', values: ['a', 'b'] }]],
    ['!legacy', [{ key: 'legacy', operator: 'doesNotExist' }]],
    ['! legacy', [{ key: 'legacy', operator: 'doesNotExist' }]],
    ['has', [{ key: 'has', operator: 'exists' }]],
    ['a=', [{ key: 'a', operator: 'equals', value: '' }]],
    ['a=,b', [{ key: 'a', operator: 'equals', value: '' }, { key: 'b', operator: 'exists' }]],
    ['app.kubernetes.io/name=etcd', [{ key: 'app.kubernetes.io/name', operator: 'equals', value: 'etcd' }]],
    [
      'app=etcd,tier!=x,env in (a,b),!legacy,has',
      [
        { key: 'app', operator: 'equals', value: 'etcd' },
        { key: 'tier', operator: 'notEquals', value: 'x' },
        { key: 'env', operator: 'in', values: ['a', 'b'] },
        { key: 'legacy', operator: 'doesNotExist' },
        { key: 'has', operator: 'exists' },
      ],
    ],
    [' app = etcd , has ', [{ key: 'app', operator: 'equals', value: 'etcd' }, { key: 'has', operator: 'exists' }]],
  ];
  for (const [input, want] of cases) {
    test(JSON.stringify(input), () => assert.deepEqual(parseLabelSelector(input), want));
  }

  test('format round-trips', () => {
    const text = 'app=etcd,tier!=x,env in (a,b),env notin (c),!legacy,has';
    assert.equal(formatLabelSelector(parseLabelSelector(text)), text);
  });
});

describe('label selector parser: invalid, errors name the 1-based column', () => {
  const cases: Array<[string, number, RegExp]> = [
    [',', 1, /expected a label key, found ","/],
    ['app=etcd,', 10, /expected a label key, found end of input/],
    ['app=etcd,,b', 10, /expected a label key, found ","/],
    ['env in (a,b', 12, /expected "," or "\)"/],
    ['env in (a,', 11, /expected a label value, found end of input/],
    ['env in ()', 9, /"in" needs at least one value/],
    ['env in a', 8, /expected "\(" after "in"/],
    ['env notin', 10, /expected "\(" after "notin"/],
    ['app etcd', 5, /expected an operator/],
    ['app>1', 4, /operator ">" is not supported/],
    ['app<1', 4, /operator "<" is not supported/],
    ['!app=x', 5, /"!app" takes no operator/],
    ['in=x', 1, /found the keyword "in"/],
    ['app=a b', 7, /expected "," or end of input, found "b"/],
    ['app=-x', 5, /label value "-x" must consist of/],
    ['-app=x', 1, /label key name "-app" must consist of/],
    ['a/b/c', 1, /more than one "\/"/],
    ['Example.com/x', 1, /prefix "Example.com" must be a DNS subdomain/],
    ['/x', 1, /empty prefix/],
    [`a=${'v'.repeat(64)}`, 3, /longer than 63/],
    ['app===x', 6, /expected a label value, found "="/],
    ['x=(a)', 3, /expected a label value, found "\("/],
  ];
  for (const [input, column, message] of cases) {
    test(JSON.stringify(input), () => {
      const r = tryParseLabelSelector(input);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.error.column, column, r.error.message);
      assert.match(r.error.message, message);
    });
  }

  test('parseLabelSelector throws a ValidationError with the path and the column', () => {
    assert.throws(
      () => parseLabelSelector('env in (a', 'targets.member.labels'),
      (e: unknown) =>
        e instanceof ValidationError &&
        e.path === 'targets.member.labels' &&
        e.message.startsWith('targets.member.labels: column 10: ') &&
        e.details?.['column'] === 10,
    );
  });
});

describe('label matching (Kubernetes semantics)', () => {
  const labels = { app: 'etcd', env: 'prod', empty: '' };
  const cases: Array<[string, boolean]> = [
    ['', true],
    ['app=etcd', true],
    ['app=redis', false],
    ['app!=redis', true],
    ['app!=etcd', false],
    ['missing!=x', true], // != matches an absent key
    ['missing=x', false],
    ['env in (prod,dev)', true],
    ['env in (dev)', false],
    ['missing in (x)', false],
    ['env notin (dev)', true],
    ['env notin (prod)', false],
    ['missing notin (x)', true], // notin matches an absent key
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['empty=', true],
    ['empty', true],
    ['app=etcd,env=dev', false],
    ['app=etcd,env in (prod),!legacy,empty', true],
  ];
  for (const [selector, want] of cases) {
    test(`${JSON.stringify(selector)} → ${want}`, () => assert.equal(matchesLabels(parseLabelSelector(selector), labels), want));
  }

  test('inherited object properties are not labels', () => {
    assert.equal(matchesLabels(parseLabelSelector('constructor'), {}), false);
    assert.equal(matchesLabels(parseLabelSelector('!toString'), {}), true);
  });
});
