import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RouteTable, type ForwardAction, type RedirectAction } from './route-table.ts';
import type { RequestHead } from './matchers.ts';
import { compileFullMatch } from './regex.ts';
import { TYPE_URLS, decodeMessage, encodeMessage } from '@mesh/xds';

function req(authority: string, path = '/', headers: Record<string, string> = {}, method = 'GET'): RequestHead {
  return { authority, path, method, scheme: 'http', headers };
}

const to = (cluster: string) => ({ cluster });

function table(virtualHosts: any[], extra: Record<string, unknown> = {}, random?: () => number): RouteTable {
  return new RouteTable({ name: 'r', virtualHosts, ...extra }, random ? { random } : {});
}

/** Which virtual host (by name) and which route (by name) a request lands on. */
function hit(t: RouteTable, r: RequestHead): string | undefined {
  const m = t.route(r);
  return m ? `${m.virtualHost.name}/${m.route.name}` : undefined;
}

describe('virtual host selection by domain', () => {
  const t = table([
    { name: 'exact', domains: ['www.foo.com'], routes: [{ name: 'r', match: { prefix: '/' }, route: to('a') }] },
    { name: 'suffix', domains: ['*.foo.com'], routes: [{ name: 'r', match: { prefix: '/' }, route: to('b') }] },
    { name: 'longer-suffix', domains: ['*.bar.foo.com'], routes: [{ name: 'r', match: { prefix: '/' }, route: to('c') }] },
    { name: 'prefix', domains: ['foo.*'], routes: [{ name: 'r', match: { prefix: '/' }, route: to('d') }] },
    { name: 'with-port', domains: ['svc.ns:8080'], routes: [{ name: 'r', match: { prefix: '/' }, route: to('e') }] },
    { name: 'default', domains: ['*'], routes: [{ name: 'r', match: { prefix: '/' }, route: to('f') }] },
  ]);

  it('prefers exact, then the longest *.suffix, then prefix.*, then *', () => {
    assert.equal(hit(t, req('www.foo.com')), 'exact/r');
    assert.equal(hit(t, req('api.foo.com')), 'suffix/r');
    assert.equal(hit(t, req('x.bar.foo.com')), 'longer-suffix/r');
    assert.equal(hit(t, req('foo.org')), 'prefix/r');
    assert.equal(hit(t, req('elsewhere.net')), 'default/r');
  });

  it('matches the Host header case-insensitively', () => {
    assert.equal(hit(t, req('WWW.Foo.COM')), 'exact/r');
  });

  it('does not let a wildcard match the empty string', () => {
    assert.equal(hit(t, req('.foo.com')), 'default/r');
    assert.equal(hit(t, req('foo.')), 'default/r');
  });

  it('matches a host with a port exactly, and falls back to the bare host before *', () => {
    assert.equal(hit(t, req('svc.ns:8080')), 'with-port/r');
    assert.equal(hit(t, req('svc.ns:9090')), 'default/r');
    assert.equal(hit(t, req('www.foo.com:80')), 'exact/r');
    assert.equal(hit(t, req('api.foo.com:443')), 'suffix/r');
  });

  it('strips the port first when ignorePortInHostMatching is set', () => {
    const t2 = table([{ name: 'v', domains: ['svc.ns'], routes: [{ name: 'r', match: { prefix: '/' }, route: to('a') }] }], { ignorePortInHostMatching: true });
    assert.equal(hit(t2, req('svc.ns:1234')), 'v/r');
  });

  it('answers nothing when no virtual host matches and there is no *', () => {
    const t2 = table([{ name: 'v', domains: ['only.this'], routes: [{ name: 'r', match: { prefix: '/' }, route: to('a') }] }]);
    assert.equal(t2.route(req('other')), undefined);
  });

  it('rejects a domain used by two virtual hosts, naming the field', () => {
    assert.throws(
      () => table([
        { name: 'a', domains: ['x.com'], routes: [] },
        { name: 'b', domains: ['X.com'], routes: [] },
      ]),
      /RouteConfiguration r: virtualHosts\[1\]\.domains: domain "x\.com" is already used by virtual host a/,
    );
  });
});

describe('route matching', () => {
  const routes = [
    { name: 'exact', match: { path: '/exact' }, route: to('a') },
    { name: 'regex', match: { safeRegex: { regex: '/items/[0-9]+' } }, route: to('a') },
    { name: 'nocase', match: { prefix: '/Upper', caseSensitive: { value: false } }, route: to('a') },
    { name: 'separated', match: { pathSeparatedPrefix: '/api' }, route: to('a') },
    {
      name: 'headers',
      match: {
        prefix: '/h',
        headers: [
          { name: 'x-exact', exactMatch: 'yes' },
          { name: 'x-prefix', stringMatch: { prefix: 'pre' } },
          { name: 'x-absent', presentMatch: true, invertMatch: true },
        ],
      },
      route: to('a'),
    },
    { name: 'method', match: { prefix: '/m', headers: [{ name: ':method', stringMatch: { exact: 'POST' } }] }, route: to('a') },
    { name: 'regex-header', match: { prefix: '/rh', headers: [{ name: 'user-agent', safeRegexMatch: { regex: '.*Chrome.*' } }] }, route: to('a') },
    { name: 'range', match: { prefix: '/range', headers: [{ name: 'x-n', rangeMatch: { start: '10', end: '20' } }] }, route: to('a') },
    { name: 'query', match: { prefix: '/q', queryParameters: [{ name: 'v', stringMatch: { exact: '2' } }, { name: 'debug', presentMatch: true }] }, route: to('a') },
    { name: 'catch-all', match: { prefix: '/' }, route: to('b') },
  ];
  const t = table([{ name: 'v', domains: ['*'], routes }]);
  const name = (path: string, headers: Record<string, string> = {}, method = 'GET') => t.route(req('h', path, headers, method))?.route.name;

  it('matches path exactly, ignoring the query string', () => {
    assert.equal(name('/exact'), 'exact');
    assert.equal(name('/exact?x=1'), 'exact');
    assert.equal(name('/exact/more'), 'catch-all');
  });

  it('requires a safe_regex to match the whole path', () => {
    assert.equal(name('/items/42'), 'regex');
    assert.equal(name('/items/42?q'), 'regex');
    assert.equal(name('/items/42x'), 'catch-all');
    assert.equal(name('/x/items/42'), 'catch-all');
  });

  it('compares a prefix case-insensitively when case_sensitive is false', () => {
    assert.equal(name('/upper/x'), 'nocase');
    assert.equal(name('/UPPER'), 'nocase');
  });

  it('matches path_separated_prefix only at a segment boundary', () => {
    assert.equal(name('/api'), 'separated');
    assert.equal(name('/api/v1'), 'separated');
    assert.equal(name('/api?x'), 'separated');
    assert.equal(name('/apiary'), 'catch-all');
  });

  it('checks every header matcher, with invert and presence', () => {
    assert.equal(name('/h', { 'x-exact': 'yes', 'x-prefix': 'prefix' }), 'headers');
    assert.equal(name('/h', { 'x-exact': 'no', 'x-prefix': 'prefix' }), 'catch-all');
    assert.equal(name('/h', { 'x-exact': 'yes', 'x-prefix': 'nope' }), 'catch-all');
    assert.equal(name('/h', { 'x-exact': 'yes', 'x-prefix': 'pre', 'x-absent': '1' }), 'catch-all');
    assert.equal(name('/h', { 'x-prefix': 'pre' }), 'catch-all', 'a missing header does not match');
  });

  it('matches pseudo-headers such as :method', () => {
    assert.equal(name('/m', {}, 'POST'), 'method');
    assert.equal(name('/m', {}, 'GET'), 'catch-all');
  });

  it('matches header regexes and integer ranges (start inclusive, end exclusive)', () => {
    assert.equal(name('/rh', { 'user-agent': 'Mozilla Chrome/120' }), 'regex-header');
    assert.equal(name('/rh', { 'user-agent': 'curl' }), 'catch-all');
    assert.equal(name('/range', { 'x-n': '10' }), 'range');
    assert.equal(name('/range', { 'x-n': '20' }), 'catch-all');
    assert.equal(name('/range', { 'x-n': 'ten' }), 'catch-all');
  });

  it('matches query parameters by value and by presence', () => {
    assert.equal(name('/q?v=2&debug'), 'query');
    assert.equal(name('/q?debug=1&v=2'), 'query');
    assert.equal(name('/q?v=3&debug'), 'catch-all');
    assert.equal(name('/q?v=2'), 'catch-all');
  });

  it('takes the first route that matches, in order', () => {
    const t2 = table([{ name: 'v', domains: ['*'], routes: [{ name: 'first', match: { prefix: '/' }, route: to('a') }, { name: 'second', match: { path: '/x' }, route: to('b') }] }]);
    assert.equal(t2.route(req('h', '/x'))?.route.name, 'first');
  });

  it('rejects an invalid regex with the route configuration, route and field', () => {
    assert.throws(
      () => table([{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: to('a') }, { match: { safeRegex: { regex: '(unclosed' } }, route: to('a') }] }]),
      /RouteConfiguration r: virtualHosts\[0\] \(v\)\.routes\[1\]\.match\.safeRegex\.regex: regex "\(unclosed" does not compile/,
    );
  });

  it('rejects a route without an action', () => {
    assert.throws(() => table([{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' } }] }]), /routes\[0\]: a route needs one of route, redirect or directResponse/);
  });
});

describe('route actions', () => {
  it('spreads weighted clusters by weight (deterministic draws)', () => {
    let i = 0;
    const n = 1000;
    // Evenly spaced draws over [0, 1): the split must equal the weights exactly.
    const random = () => ((i++ % n) + 0.5) / n;
    const t = table(
      [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { weightedClusters: { clusters: [{ name: 'v1', weight: { value: 80 } }, { name: 'v2', weight: { value: 15 } }, { name: 'v3', weight: { value: 5 } }] } } }] }],
      {},
      random,
    );
    const action = t.route(req('h'))!.route.action as ForwardAction;
    const counts: Record<string, number> = {};
    for (let k = 0; k < n; k++) {
      const w = action.pickWeighted()!;
      counts[w.name] = (counts[w.name] ?? 0) + 1;
    }
    assert.deepEqual(counts, { v1: 800, v2: 150, v3: 50 });
  });

  it('spreads weighted clusters within tolerance with Math.random', () => {
    const t = table([{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { weightedClusters: { clusters: [{ name: 'a', weight: { value: 25 } }, { name: 'b', weight: { value: 75 } }] } } }] }]);
    const action = t.route(req('h'))!.route.action as ForwardAction;
    let a = 0;
    for (let k = 0; k < 10_000; k++) if (action.pickWeighted()!.name === 'a') a++;
    assert.ok(a > 2200 && a < 2800, `expected about 2500 picks of a, got ${a}`);
  });

  it('reads timeouts (15 s by default, 0 disables) and retry policies (route beats virtual host)', () => {
    const t = table([
      {
        name: 'v',
        domains: ['*'],
        retryPolicy: { retryOn: '5xx', numRetries: { value: 4 } },
        routes: [
          { name: 'default', match: { path: '/d' }, route: to('a') },
          { name: 'none', match: { path: '/n' }, route: { cluster: 'a', timeout: { seconds: 0 } } },
          { name: 'own', match: { path: '/o' }, route: { cluster: 'a', timeout: { seconds: '2', nanos: 500_000_000 }, retryPolicy: { retryOn: 'connect-failure', perTryTimeout: { nanos: 250_000_000 } } } },
        ],
      },
    ]);
    const action = (p: string) => t.route(req('h', p))!.route.action as ForwardAction;
    assert.equal(action('/d').timeoutMs, 15_000);
    assert.equal(action('/d').retry?.numRetries, 4);
    assert.equal(action('/n').timeoutMs, 0);
    assert.equal(action('/o').timeoutMs, 2_500);
    assert.equal(action('/o').retry?.numRetries, 1);
    assert.equal(action('/o').retry?.perTryTimeoutMs, 250);
    assert.equal(action('/o').retry?.retriableFailure('connect'), true);
    assert.equal(action('/o').retry?.retriableStatus(503, undefined), false);
  });

  it('builds redirect locations with scheme, host, port, path and query rules', () => {
    const t = table([
      {
        name: 'v',
        domains: ['*'],
        routes: [
          { match: { prefix: '/https' }, redirect: { httpsRedirect: true } },
          { match: { prefix: '/old/' }, redirect: { prefixRewrite: '/new/', responseCode: 'FOUND' } },
          { match: { prefix: '/moved' }, redirect: { hostRedirect: 'other.example', pathRedirect: '/landing?from=moved', responseCode: 'PERMANENT_REDIRECT' } },
          { match: { prefix: '/port' }, redirect: { portRedirect: 8443, stripQuery: true } },
          { match: { prefix: '/re' }, redirect: { regexRewrite: { pattern: { regex: '^/re/([a-z]+)$' }, substitution: '/regex/\\1' } } },
        ],
      },
    ]);
    const loc = (path: string, authority = 'shop.example:80') => {
      const m = t.route(req(authority, path))!;
      const a = m.route.action as RedirectAction;
      return [a.status, a.location(req(authority, path), m.route)];
    };
    assert.deepEqual(loc('/https/a?x=1'), [301, 'https://shop.example/https/a?x=1']);
    assert.deepEqual(loc('/old/page?x=1'), [302, 'http://shop.example/new/page?x=1']);
    assert.deepEqual(loc('/moved/x?y=2'), [308, 'http://other.example/landing?from=moved']);
    assert.deepEqual(loc('/port?x=1'), [301, 'http://shop.example:8443/port']);
    assert.deepEqual(loc('/re/abc'), [301, 'http://shop.example/regex/abc']);
  });

  it('reads direct responses and rejects out-of-range statuses', () => {
    const t = table([{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, directResponse: { status: 418, body: { inlineString: 'teapot' } } }] }]);
    const a = t.route(req('h'))!.route.action;
    assert.equal(a.kind, 'direct');
    assert.equal(a.kind === 'direct' && a.body?.toString(), 'teapot');
    assert.throws(() => table([{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, directResponse: { status: 99 } }] }]), /directResponse\.status: must be in \[200, 600\)/);
  });
});

describe('RE2 translation', () => {
  it('keeps RE2 meaning for flags, anchors, named groups and POSIX classes', () => {
    assert.ok(compileFullMatch('(?i)abc', 'p').test('ABC'));
    assert.ok(compileFullMatch('\\Afoo\\z', 'p').test('foo'));
    assert.deepEqual({ ...compileFullMatch('(?P<id>[0-9]+)', 'p').exec('123')?.groups }, { id: '123' });
    assert.ok(compileFullMatch('[[:alpha:]]+[[:digit:]]', 'p').test('abc1'));
    assert.ok(compileFullMatch('[^[:space:]]+', 'p').test('abc'));
    assert.ok(compileFullMatch('\\Qa.b\\E', 'p').test('a.b'));
    assert.ok(!compileFullMatch('\\Qa.b\\E', 'p').test('axb'));
  });

  it('refuses what RE2 refuses, naming the field', () => {
    assert.throws(() => compileFullMatch('(a)\\1', 'Route x.match.safeRegex.regex'), /Route x\.match\.safeRegex\.regex: regex "\(a\)\\1" is not valid RE2 \(Envoy's regex engine\): backreference \\1 is not supported by RE2/);
    assert.throws(() => compileFullMatch('foo(?=bar)', 'f'), /lookahead \(\?=\.\.\.\) \/ \(\?!\.\.\.\) is not supported by RE2/);
  });
});

describe('RouteMatch.dynamicMetadata (JWT claim routing at gateways)', () => {
  // The shapes pilot emits for `@request.auth.claims.*` (apps/pilot/src/generators/claim-routes.test.ts), through the real protos.
  const JWT = 'envoy.filters.http.jwt_authn';
  const claim = (iss: string, path: string[], value: object, invert = false) => ({ filter: JWT, path: [iss, ...path].map((key) => ({ key })), value, ...(invert ? { invert: true } : {}) });
  const decoded = (routes: any[]) =>
    new RouteTable(decodeMessage(TYPE_URLS.route, encodeMessage(TYPE_URLS.route, { name: 'http.80', virtualHosts: [{ name: 'gw', domains: ['*'], routes }] })));
  const withMetadata = (metadata: Record<string, Record<string, unknown>> | undefined, headers: Record<string, string> = {}) => ({ ...req('gw.example.com', '/', headers), dynamicMetadata: metadata });
  const name = (t: RouteTable, r: ReturnType<typeof withMetadata>) => t.route(r)?.route.name;

  const t = decoded([
    { name: 'group1.string', match: { prefix: '/', dynamicMetadata: [claim('issuer-a', ['groups'], { stringMatch: { exact: 'group1' } })] }, route: to('v2') },
    { name: 'group1.list', match: { prefix: '/', dynamicMetadata: [claim('issuer-a', ['groups'], { listMatch: { oneOf: { stringMatch: { exact: 'group1' } } } })] }, route: to('v2') },
    { name: 'nested', match: { prefix: '/', dynamicMetadata: [claim('issuer-a', ['nested', 'key'], { stringMatch: { prefix: 'adm' } }), claim('issuer-a', ['email'], { presentMatch: true })] }, route: to('admin') },
    { name: 'rest', match: { prefix: '/' }, route: to('v1') },
  ]);

  it("selects a route on the verified payload's claim: a string, or a list holding a matching string", () => {
    assert.equal(name(t, withMetadata({ [JWT]: { 'issuer-a': { sub: 'u', groups: 'group1' } } })), 'group1.string');
    assert.equal(name(t, withMetadata({ [JWT]: { 'issuer-a': { groups: ['group2', 'group1'] } } })), 'group1.list');
    assert.equal(name(t, withMetadata({ [JWT]: { 'issuer-a': { groups: ['group2'] } } })), 'rest');
    // Another issuer's payload does not count for issuer-a's routes.
    assert.equal(name(t, withMetadata({ [JWT]: { 'issuer-b': { groups: 'group1' } } })), 'rest');
  });

  it('reads nested claims, and every matcher of a route must hold (AND)', () => {
    assert.equal(name(t, withMetadata({ [JWT]: { 'issuer-a': { nested: { key: 'admin' }, email: 'a@b' } } })), 'nested');
    assert.equal(name(t, withMetadata({ [JWT]: { 'issuer-a': { nested: { key: 'admin' } } } })), 'rest');
    assert.equal(name(t, withMetadata({ [JWT]: { 'issuer-a': { nested: 'admin', email: 'a@b' } } })), 'rest');
  });

  it('never matches without verified metadata, and a request header named like the claim does not help', () => {
    assert.equal(name(t, withMetadata(undefined, { '@request.auth.claims.groups': 'group1', groups: 'group1' })), 'rest');
    assert.equal(name(t, withMetadata({})), 'rest');
    // A plain RequestHead (no dynamicMetadata at all) is routed as before.
    assert.equal(t.route(req('gw.example.com'))?.route.name, 'rest');
  });

  it('invert: the route holds when the claim does not match in any shape (withoutHeaders), including without a token', () => {
    const inv = decoded([
      {
        name: 'not-banned',
        match: {
          prefix: '/',
          dynamicMetadata: [claim('issuer-a', ['groups'], { stringMatch: { exact: 'banned' } }, true), claim('issuer-a', ['groups'], { listMatch: { oneOf: { stringMatch: { exact: 'banned' } } } }, true)],
        },
        route: to('v1'),
      },
      { name: 'banned', match: { prefix: '/' }, directResponse: { status: 403 } },
    ]);
    assert.equal(name(inv, withMetadata(undefined)), 'not-banned');
    assert.equal(name(inv, withMetadata({ [JWT]: { 'issuer-a': { groups: ['ok'] } } })), 'not-banned');
    assert.equal(name(inv, withMetadata({ [JWT]: { 'issuer-a': { groups: 'banned' } } })), 'banned');
    assert.equal(name(inv, withMetadata({ [JWT]: { 'issuer-a': { groups: ['x', 'banned'] } } })), 'banned');
  });

  it('rejects (NACKs) a metadata matcher it cannot evaluate, naming the field', () => {
    assert.throws(
      () => decoded([{ name: 'r', match: { prefix: '/', dynamicMetadata: [{ filter: JWT, path: [{ key: 'iss' }], value: { doubleMatch: { exact: 1 } } }] }, route: to('a') }]),
      /dynamicMetadata\[0\]\.value.*doubleMatch/,
    );
    assert.throws(() => decoded([{ name: 'r', match: { prefix: '/', dynamicMetadata: [{ path: [{ key: 'iss' }], value: { presentMatch: true } }] }, route: to('a') }]), /dynamicMetadata\[0\]\.filter/);
  });
});
