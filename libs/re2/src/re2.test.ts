import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkRegex, toJsRegExp, toJsSubstitution } from './re2.ts';

describe('regexes (RE2, full match)', () => {
  it('accepts RE2 syntax that JavaScript spells differently, and the JS equivalent behaves the same', () => {
    const cases: Array<[string, string[], string[]]> = [
      ['/api/v[0-9]+/.*', ['/api/v1/x'], ['/api/vx/', 'x/api/v1/']],
      ['(?i)/Admin', ['/admin', '/ADMIN'], ['/admins']],
      ['(?P<ver>v[12])/.*', ['v1/a'], ['v3/a']],
      ['[[:digit:]]+', ['123'], ['12a']],
      ['\\Qa.b\\E', ['a.b'], ['axb']],
      ['\\pL+', ['abc'], ['ab1']],
      ['\\Afoo\\z', ['foo'], ['foo\n']],
    ];
    for (const [pattern, matching, notMatching] of cases) {
      assert.equal(checkRegex(pattern), undefined, pattern);
      const re = toJsRegExp(pattern);
      for (const s of matching) assert.ok(re.test(s), `${pattern} should match ${JSON.stringify(s)}`);
      for (const s of notMatching) assert.ok(!re.test(s), `${pattern} should not match ${JSON.stringify(s)}`);
    }
  });
  it('rejects what RE2 does not support', () => {
    assert.match(checkRegex('foo(?=bar)')!, /lookahead/);
    assert.match(checkRegex('(?<=a)b')!, /lookbehind/);
    assert.match(checkRegex('(a)\\1')!, /backreference/);
    assert.match(checkRegex('(?>a)')!, /atomic/);
    assert.match(checkRegex('[a-')!, /does not compile/);
    assert.throws(() => toJsRegExp('(?!x)'), /lookahead/);
  });
  it('accepts escapes that RE2 allows but Unicode-mode JavaScript does not', () => {
    assert.equal(checkRegex('/a\\-b'), undefined);
    assert.ok(toJsRegExp('/a\\-b').test('/a-b'));
  });
});

describe('regex rewrites (search and substitution)', () => {
  it('replaces every match and turns RE2 group references into JavaScript ones', () => {
    const re = toJsRegExp('/v([0-9]+)/', { fullMatch: false, extraFlags: 'g' });
    assert.equal('/v1/a/v2/b'.replace(re, toJsSubstitution('/version-\\1/')), '/version-1/a/version-2/b');
    assert.equal('a'.replace(toJsRegExp('a', { fullMatch: false }), toJsSubstitution('$1 cost')), '$1 cost');
  });
});
