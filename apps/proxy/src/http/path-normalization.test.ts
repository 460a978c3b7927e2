// Envoy's path normalization (normalize_path, merge_slashes,
// path_with_escaped_slashes_action) as Istio's pathNormalization levels use it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { normalizePath, PATH_REJECTED, removeDotSegments, type PathNormalizationOptions } from './path-normalization.ts';

const NONE: PathNormalizationOptions = { normalizePath: false, mergeSlashes: false, escapedSlashes: 'KEEP_UNCHANGED' };
const BASE: PathNormalizationOptions = { normalizePath: true, mergeSlashes: false, escapedSlashes: 'KEEP_UNCHANGED' };
const MERGE: PathNormalizationOptions = { ...BASE, mergeSlashes: true };
const DECODE: PathNormalizationOptions = { ...MERGE, escapedSlashes: 'UNESCAPE_AND_FORWARD' };

describe('path normalization', () => {
  it('returns the very same string when nothing changes (the fast path)', () => {
    for (const p of ['/', '/api/v1/users', '/index.html?x=/../y', '/a-b_c~d', '/v1.2/x']) {
      assert.equal(normalizePath(p, MERGE), p);
    }
    assert.equal(normalizePath('*', MERGE), '*');
  });

  const cases: Array<[string, PathNormalizationOptions, string | typeof PATH_REJECTED]> = [
    // BASE: RFC 3986 §6.2.2
    ['/public/../admin', BASE, '/admin'],
    ['/public/%2e%2e/admin', BASE, '/admin'],
    ['/public/%2E%2e/admin', BASE, '/admin'],
    ['/public/.%2e/admin', BASE, '/admin'],
    ['/a/./b/.', BASE, '/a/b/'],
    ['/a/b/..', BASE, '/a/'],
    ['/../../etc/passwd', BASE, '/etc/passwd'],
    ['/..', BASE, '/'],
    ['/%61dmin', BASE, '/admin'],
    ['/%7euser/%41%42', BASE, '/~user/AB'],
    ['/a%2fb', BASE, '/a%2Fb'], // reserved: kept escaped, hex upper-cased
    ['/a%3fb%3Fc', BASE, '/a%3Fb%3Fc'],
    ['/%25%32%65', BASE, '/%252e'], // decoded once only: %25 stays, %32 -> 2, %65 -> e
    ['/a\\..\\admin', BASE, '/admin'], // backslash is a separator
    ['/a%5cb', BASE, '/a%5Cb'],
    ['/a b"<>', BASE, '/a b%22%3C%3E'], // (the codec already refuses the space)
    ['/caf\u00e9', BASE, '/caf%E9'],
    ['/a%00b', BASE, PATH_REJECTED],
    ['/100%', BASE, '/100%'],
    ['/%zz', BASE, '/%zz'],
    ['/a//b', BASE, '/a//b'],
    ['/a/../b?q=/../%2e%2e', BASE, '/b?q=/../%2e%2e'],
    // MERGE_SLASHES
    ['//admin', MERGE, '/admin'],
    ['/a///b//', MERGE, '/a/b/'],
    ['/a//..//b', MERGE, '/a/b'],
    ['/a?x=//y', MERGE, '/a?x=//y'],
    ['/public/..%2fadmin', MERGE, '/public/..%2Fadmin'],
    // DECODE_AND_MERGE_SLASHES (UNESCAPE_AND_FORWARD)
    ['/public/..%2fadmin', DECODE, '/admin'],
    ['/public/..%5Cadmin', DECODE, '/admin'],
    ['/a%2F%2Fb', DECODE, '/a/b'],
    // merge_slashes alone
    ['//a//b', { ...NONE, mergeSlashes: true }, '/a/b'],
    ['/a/../b', { ...NONE, mergeSlashes: true }, '/a/../b'],
  ];
  for (const [input, options, expected] of cases) {
    const name = `${options === BASE ? 'BASE' : options === MERGE ? 'MERGE_SLASHES' : options === DECODE ? 'DECODE_AND_MERGE_SLASHES' : 'merge only'}: ${input}`;
    it(name, () => assert.deepEqual(normalizePath(input, options), expected));
  }

  it('escaped slashes: REJECT_REQUEST, UNESCAPE_AND_REDIRECT, KEEP_UNCHANGED', () => {
    assert.equal(normalizePath('/a%2Fb', { ...MERGE, escapedSlashes: 'REJECT_REQUEST' }), PATH_REJECTED);
    assert.equal(normalizePath('/a%5cb', { ...MERGE, escapedSlashes: 'REJECT_REQUEST' }), PATH_REJECTED);
    assert.equal(normalizePath('/ab?x=%2F', { ...MERGE, escapedSlashes: 'REJECT_REQUEST' }), '/ab?x=%2F', 'the query is not the path');
    assert.deepEqual(normalizePath('/x/..%2Fadmin?q=1', { ...MERGE, escapedSlashes: 'UNESCAPE_AND_REDIRECT' }), { redirect: '/admin?q=1' });
    assert.equal(normalizePath('/a/b', { ...MERGE, escapedSlashes: 'UNESCAPE_AND_REDIRECT' }), '/a/b', 'no escaped slash: no redirect');
    assert.deepEqual(normalizePath('/a%2Fb', { ...NONE, escapedSlashes: 'UNESCAPE_AND_FORWARD' }), '/a/b');
  });

  it('removeDotSegments follows RFC 3986 §5.2.4 examples', () => {
    assert.equal(removeDotSegments('/a/b/c/./../../g'), '/a/g');
    assert.equal(removeDotSegments('/mid/content=5/../6'), '/mid/6');
  });

  it('is idempotent, keeps the query, never leaves a dot segment or escapes a slash (property)', () => {
    const segment = fc.constantFrom('a', 'B', '.', '..', '%2e', '%2E%2e', '', '%2f', '%5C', '%41', '%7e', '%25', '\\', 'x.y', '%', '%zz', '~');
    const target = fc.tuple(fc.array(segment, { maxLength: 12 }), fc.option(fc.constantFrom('q=/../%2e', 'a=1', ''), { nil: undefined })).map(([segs, q]) => '/' + segs.join('/') + (q === undefined ? '' : '?' + q));
    fc.assert(
      fc.property(target, (t) => {
        const once = normalizePath(t, DECODE);
        if (typeof once !== 'string') return true;
        assert.equal(normalizePath(once, DECODE), once, 'idempotent');
        const q = t.indexOf('?');
        if (q >= 0) assert.ok(once.endsWith(t.slice(q)), 'the query is untouched');
        const p = once.split('?')[0];
        assert.ok(p.startsWith('/'));
        assert.ok(!/(^|\/)\.\.?(\/|$)/.test(p), `a dot segment is left in ${p}`);
        assert.ok(!/\/\//.test(p), 'slashes merged');
        assert.ok(!/%2f|%5c|\\/i.test(p), 'no escaped or back slash left');
        return true;
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
  });
});
