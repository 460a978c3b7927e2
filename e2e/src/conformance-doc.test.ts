import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { currentConformanceDoc, renderConformanceDoc, testNames } from './conformance-doc.ts';

describe('docs/conformance.md', () => {
  it('lists every case of the conformance suite (run `npm run docs` after adding or renaming one)', () => {
    assert.equal(currentConformanceDoc(), renderConformanceDoc());
  });

  it('reads test names written with any quote, escapes included', () => {
    assert.deepEqual(testNames(`it('a: b', x); it("c: \\"d\\"", y); it(\`e: it's\`, z)`), ['a: b', 'c: "d"', "e: it's"]);
    assert.throws(() => testNames('it(`f: ${x}`, y)'), /cannot be listed/);
  });
});
