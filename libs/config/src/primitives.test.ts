// Durations, regexes, names, paths and hosts: the building blocks of validation.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { durationToProto, parseDuration, parseDurationNanos } from './duration.ts';
import { checkGatewayReference, checkIpOrCidr, checkLabelKey, checkNamespacedHost, checkWildcardHost } from './names.ts';
import { formatPath, parsePath } from './paths.ts';
import { hostCovers, resolveHost } from './hosts.ts';

describe('durations (Go syntax, as Istio reads them)', () => {
  const valid: Array<[string, number]> = [
    ['1s', 1000],
    ['100ms', 100],
    ['1.5s', 1500],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['0', 0],
    ['0s', 0],
    ['250us', 0.25],
    ['250µs', 0.25],
    ['.5s', 500],
    ['1h2m3s4ms', 3_723_004],
  ];
  for (const [text, ms] of valid) it(`"${text}" = ${ms} ms`, () => assert.equal(parseDuration(text), ms));
  for (const text of ['', '1', '10x', 's', '1.s.5', '-1s', '1 s', 'ms', '1d']) {
    it(`"${text}" is rejected`, () => assert.ok('error' in parseDurationNanos(text)));
  }
  it('converts to google.protobuf.Duration', () => {
    assert.deepEqual(durationToProto('1.5s'), { seconds: '1', nanos: 500_000_000 });
    assert.deepEqual(durationToProto('2m'), { seconds: '120', nanos: 0 });
    assert.equal(durationToProto('soon'), undefined);
  });
});


describe('names', () => {
  it('hosts with wildcards', () => {
    for (const ok of ['*', '*.example.com', '*-api.example.com', 'reviews', 'Reviews.Prod.svc.cluster.local', '1.2.3.4']) assert.equal(checkWildcardHost(ok), undefined, ok);
    for (const bad of ['', 'a.*.com', '*a*.com', 'foo..com', 'foo.com.', '-foo.com', 'foo_bar.com', `${'a'.repeat(64)}.com`]) assert.ok(checkWildcardHost(bad), bad);
  });
  it('namespace/host for gateways and sidecars', () => {
    assert.equal(checkNamespacedHost('./*', { allowTilde: false, requireNamespace: true }), undefined);
    assert.equal(checkNamespacedHost('~/*', { allowTilde: true, requireNamespace: true }), undefined);
    assert.ok(checkNamespacedHost('~/*', { allowTilde: false, requireNamespace: true }));
    assert.equal(checkNamespacedHost('prod/*.example.com', { allowTilde: false, requireNamespace: false }), undefined);
    assert.ok(checkNamespacedHost('a/b/c', { allowTilde: false, requireNamespace: false }));
  });
  it('gateway references', () => {
    for (const ok of ['mesh', 'gw', 'istio-system/gw', 'gw.istio-system.svc.cluster.local']) assert.equal(checkGatewayReference(ok), undefined, ok);
    for (const bad of ['a/b/c', 'Istio-System/gw', 'gw!']) assert.ok(checkGatewayReference(bad), bad);
  });
  it('IPs, CIDRs and label keys', () => {
    for (const ok of ['10.0.0.1', '10.0.0.0/8', '::1', '2001:db8::/32']) assert.equal(checkIpOrCidr(ok), undefined, ok);
    for (const bad of ['10.0.0', '10.0.0.0/33', '::1/129', 'host', '10.0.0.0/x']) assert.ok(checkIpOrCidr(bad), bad);
    for (const ok of ['app', 'app.kubernetes.io/name', 'a_b.c-d']) assert.equal(checkLabelKey(ok), undefined, ok);
    for (const bad of ['', '-a', 'Foo.com/x', 'a/']) assert.ok(checkLabelKey(bad), bad);
  });
});

describe('field paths', () => {
  it('format and parse back', () => {
    const cases: Array<[Array<string | number>, string]> = [
      [['spec', 'http', 0, 'route', 1, 'weight'], 'spec.http[0].route[1].weight'],
      [['spec', 'selector', 'matchLabels', 'app.kubernetes.io/name'], 'spec.selector.matchLabels["app.kubernetes.io/name"]'],
      [['spec', 'portLevelMtls', '8080', 'mode'], 'spec.portLevelMtls["8080"].mode'],
      [['headers', 'end-user'], 'headers.end-user'],
      [['a', 'with "quote"'], 'a["with \\"quote\\""]'],
    ];
    for (const [segments, text] of cases) {
      assert.equal(formatPath(segments), text);
      assert.deepEqual(parsePath(text), segments);
    }
    assert.equal(parsePath('a[x]'), undefined);
  });
});

describe('hosts', () => {
  it('resolves short names in the resource namespace', () => {
    assert.equal(resolveHost('reviews', 'prod'), 'reviews.prod.svc.cluster.local');
    assert.equal(resolveHost('reviews.prod', 'default'), 'reviews.prod');
    assert.equal(resolveHost('*', 'prod'), '*');
    assert.equal(resolveHost('10.0.0.1', 'prod'), '10.0.0.1');
  });
  it('wildcard coverage', () => {
    assert.ok(hostCovers('*', 'anything.com'));
    assert.ok(hostCovers('*.example.com', 'a.example.com'));
    assert.ok(hostCovers('*.example.com', '*.a.example.com'));
    assert.ok(!hostCovers('*.example.com', 'example.com'));
    assert.ok(!hostCovers('a.example.com', '*.example.com'));
    assert.ok(hostCovers('Reviews.com', 'reviews.com'));
  });
});
