// TLS material resolution (per secret version) and SAN matching, without sockets.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileCluster, transportFor } from '../config/cluster-config.ts';
import { edsCluster } from '../test-fixtures.ts';
import { DEFAULT_SECRET, ROOTCA_SECRET, TestSecrets, autoMtlsMatches, istioMutual, testCa } from '../listener/testing/tls-fixtures.ts';
import { parseSubjectAltName, sanMatches, TlsContexts } from './tls-contexts.ts';
import { StringMatcher } from '../config/matchers.ts';

describe('SAN matching', () => {
  it('splits Node\'s subjectAltName text by type, quoted values included', () => {
    assert.deepEqual(parseSubjectAltName('URI:spiffe://td/ns/a/sa/b, DNS:b.a.svc, DNS:"x, y", IP Address:10.0.0.1, email:a@b'), {
      uri: ['spiffe://td/ns/a/sa/b'],
      dns: ['b.a.svc', 'x, y'],
      email: ['a@b'],
      ip: ['10.0.0.1'],
    });
    assert.deepEqual(parseSubjectAltName(undefined), { uri: [], dns: [], email: [], ip: [] });
  });

  it('any one matcher suffices; untyped matchers see URI and DNS SANs, typed ones only their type', () => {
    const sans = parseSubjectAltName('URI:spiffe://cluster.local/ns/default/sa/reviews, DNS:reviews.default.svc');
    const m = (config: object, type: 'URI_DNS' | 'URI' | 'DNS' = 'URI_DNS') => ({ type, matcher: new StringMatcher(config, 'm') });
    assert.equal(sanMatches([], sans), true);
    assert.equal(sanMatches([m({ exact: 'spiffe://cluster.local/ns/default/sa/reviews' })], sans), true);
    assert.equal(sanMatches([m({ prefix: 'spiffe://cluster.local/ns/default/' })], sans), true);
    assert.equal(sanMatches([m({ suffix: '.default.svc' })], sans), true);
    assert.equal(sanMatches([m({ contains: '/sa/rev' })], sans), true);
    assert.equal(sanMatches([m({ safeRegex: { regex: 'spiffe://cluster\\.local/ns/[^/]+/sa/reviews' } })], sans), true);
    assert.equal(sanMatches([m({ exact: 'reviews.default.svc' }, 'URI')], sans), false);
    assert.equal(sanMatches([m({ exact: 'spiffe://cluster.local/ns/default/sa/ratings' }), m({ exact: 'reviews.default.svc' }, 'DNS')], sans), true);
    assert.equal(sanMatches([m({ exact: 'spiffe://cluster.local/ns/default/sa/ratings' })], sans), false);
  });
});

describe('TLS material', () => {
  const ca = testCa();
  const spec = compileCluster(edsCluster('c', { transportSocket: istioMutual({ sans: ['spiffe://x'] }) })).tls!;

  it('is missing until both secrets are there, then built once per secret version', () => {
    const secrets = new TestSecrets();
    const contexts = new TlsContexts(secrets);
    const missing = contexts.resolve(spec);
    assert.equal(missing.ok, false);
    assert.deepEqual(!missing.ok && missing.why === 'secret_missing' && missing.secret, DEFAULT_SECRET);
    secrets.set(DEFAULT_SECRET, ca.leaf('spiffe://cluster.local/ns/a/sa/b'));
    assert.deepEqual(((r) => !r.ok && r.why === 'secret_missing' && r.secret)(contexts.resolve(spec)), ROOTCA_SECRET);
    secrets.set(ROOTCA_SECRET, { ca: ca.certPem });
    const first = contexts.resolve(spec);
    assert.equal(first.ok, true);
    assert.equal(contexts.resolve(spec), first, 'cached while the versions stay');
    assert.deepEqual(first.ok && first.localUris, ['spiffe://cluster.local/ns/a/sa/b']);
    secrets.set(DEFAULT_SECRET, ca.leaf('spiffe://cluster.local/ns/a/sa/b'));
    const rotated = contexts.resolve(spec);
    assert.notEqual(rotated, first);
    assert.equal(rotated.ok, true);
  });

  it('a key that does not fit its certificate is an unusable context, not a crash', () => {
    const secrets = new TestSecrets();
    const a = ca.leaf('spiffe://a');
    const b = ca.leaf('spiffe://b');
    secrets.set(DEFAULT_SECRET, { cert: a.cert, key: b.key });
    secrets.set(ROOTCA_SECRET, { ca: ca.certPem });
    const r = new TlsContexts(secrets).resolve(spec);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.why, 'invalid');
  });
});

describe('transport socket matches', () => {
  it('picks Istio\'s tlsMode-istio for labelled endpoints and plaintext for the rest (Envoy\'s first-match rule)', () => {
    const spec = compileCluster(edsCluster('c', { transportSocketMatches: autoMtlsMatches(['spiffe://x']) }));
    assert.equal(spec.transportSocketMatches.length, 2);
    assert.equal(transportFor(spec, { tlsMode: 'istio' }), spec.transportSocketMatches[0].tls);
    assert.ok(transportFor(spec, { tlsMode: 'istio' }));
    assert.equal(transportFor(spec, { tlsMode: 'disabled' }), undefined);
    assert.equal(transportFor(spec, undefined), undefined);
  });

  it('with no match the cluster\'s own transport socket applies', () => {
    const spec = compileCluster(
      edsCluster('c', {
        transportSocket: istioMutual({ sans: ['spiffe://x'] }),
        transportSocketMatches: [(autoMtlsMatches(['spiffe://x']) as Array<Record<string, unknown>>)[0]],
      }),
    );
    assert.equal(transportFor(spec, { tlsMode: 'istio' }), spec.transportSocketMatches[0].tls);
    assert.equal(transportFor(spec, {}), spec.tls);
  });
});
