import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import jsonpatch from 'fast-json-patch';
import { createPatch } from './json-patch.ts';

const roundTrip = (a: unknown, b: unknown) => {
  const ops = createPatch(a, b);
  assert.deepEqual(jsonpatch.applyPatch(structuredClone(a) as object, ops as jsonpatch.Operation[], true, false).newDocument, b);
  return ops;
};

describe('createPatch', () => {
  it('escapes / and ~ in keys (annotation names)', () => {
    const ops = roundTrip({ metadata: { annotations: { 'a~b': '1' } } }, { metadata: { annotations: { 'a~b': '1', 'sidecar.istio.io/status': '{}' } } });
    assert.deepEqual(ops, [{ op: 'add', path: '/metadata/annotations/sidecar.istio.io~1status', value: '{}' }]);
  });

  it('adds a missing object whole', () => {
    assert.deepEqual(roundTrip({ metadata: {} }, { metadata: { labels: { a: 'b' } } }), [{ op: 'add', path: '/metadata/labels', value: { a: 'b' } }]);
  });

  it('writes prepended and appended list items as adds at their index', () => {
    assert.deepEqual(roundTrip({ l: [{ n: 'a' }] }, { l: [{ n: 'init' }, { n: 'a' }] }), [{ op: 'add', path: '/l/0', value: { n: 'init' } }]);
    assert.deepEqual(roundTrip({ l: [{ n: 'a' }] }, { l: [{ n: 'a', p: 1 }, { n: 'proxy' }] }), [
      { op: 'add', path: '/l/0/p', value: 1 },
      { op: 'add', path: '/l/1', value: { n: 'proxy' } },
    ]);
  });

  it('replaces changed scalars, removes dropped keys and shortens lists', () => {
    roundTrip({ a: 1, b: { c: 'x', d: [1, 2, 3] }, e: true }, { a: 2, b: { d: [1] }, e: null });
    roundTrip({ a: [1, { b: 2 }] }, { a: { b: 2 } });
  });

  it('is empty for equal documents', () => {
    assert.deepEqual(createPatch({ a: [1, { b: 'c' }] }, { a: [1, { b: 'c' }] }), []);
  });
});
