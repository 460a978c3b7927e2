// The CORS filter as Istio configures it (an empty Cors filter after the fault
// filter, a CorsPolicy per route in typed_per_filter_config): real HTTP through
// a proxy fed resources round-tripped through Envoy's protos.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalize } from '@mesh/xds';
import { SnapshotCompiler, snapshotFromResources } from '../config/snapshot-compiler.ts';
import { FAULT, ROUTER, edsCluster, endpoints, httpListener, request, routeConfig, startTestProxy, startUpstream, vhost, type TestProxy, type Upstream } from '../test-fixtures.ts';

const CORS = { name: 'envoy.filters.http.cors', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' } };
const POLICY_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';
const policy = (config: Record<string, unknown>) => ({ 'envoy.filters.http.cors': { '@type': POLICY_TYPE, ...config } });

// What pilot sends for Istio's corsPolicy task (allowOrigins exact, methods, headers, maxAge 24h, credentials).
const ISTIO_TASK = {
  allowOriginStringMatch: [{ exact: 'https://example.com' }, { safeRegex: { regex: 'https://.*\\.trusted\\.example' } }],
  allowMethods: 'POST,GET',
  allowHeaders: 'X-Foo-Bar',
  exposeHeaders: 'X-Expose',
  maxAge: '86400',
  allowCredentials: { value: true },
  forwardNotMatchingPreflights: { value: true },
};

const listener = (name: string, filters: object[]) => normalize('envoy.config.listener.v3.Listener', httpListener(name, 0, 'routes', { httpFilters: filters }));

describe('CORS filter', () => {
  let proxy: TestProxy;
  let up: Upstream;
  let port: number;

  before(async () => {
    up = await startUpstream('up');
    proxy = await startTestProxy();
    await proxy.apply({
      listeners: [listener('main', [FAULT, CORS, ROUTER]), listener('nofilter', [FAULT, ROUTER])],
      routes: [
        normalize(
          'envoy.config.route.v3.RouteConfiguration',
          routeConfig('routes', [
            vhost('all', ['*'], [
              { match: { prefix: '/cors' }, route: { cluster: 'up' }, typedPerFilterConfig: policy(ISTIO_TASK) },
              { match: { prefix: '/ignore' }, route: { cluster: 'up' }, typedPerFilterConfig: policy({ ...ISTIO_TASK, allowCredentials: { value: false }, forwardNotMatchingPreflights: { value: false } }) },
              { match: { prefix: '/star' }, route: { cluster: 'up' }, typedPerFilterConfig: policy({ allowOriginStringMatch: [{ exact: '*' }] }) },
              { match: { prefix: '/off' }, route: { cluster: 'up' }, typedPerFilterConfig: policy({ ...ISTIO_TASK, filterEnabled: { defaultValue: { numerator: 0 } } }) },
              { match: { prefix: '/' }, route: { cluster: 'up' } },
            ]),
            vhost('vhost-policy', ['vh.example'], [{ match: { prefix: '/' }, route: { cluster: 'up' } }], { typedPerFilterConfig: policy({ allowOriginStringMatch: [{ prefix: 'https://vh' }] }) }),
          ]),
        ),
      ],
      clusters: [edsCluster('up')],
      endpoints: [endpoints('up', [up.port])],
    });
    port = proxy.port('main');
  });

  after(async () => {
    await proxy.close();
    await up.close();
  });

  const preflight = (path: string, origin: string, p = port) =>
    request(p, { path, method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-foo-bar' } });
  const cors = (h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).filter(([k]) => k.startsWith('access-control-')));

  it('answers a preflight from an allowed origin itself: 200 with the origin, methods, headers, max age and credentials', async () => {
    const before = up.seen.length;
    const r = await preflight('/cors/x', 'https://example.com');
    assert.equal(r.status, 200);
    assert.deepEqual(cors(r.headers), {
      'access-control-allow-origin': 'https://example.com',
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'POST,GET',
      'access-control-allow-headers': 'X-Foo-Bar',
      'access-control-max-age': '86400',
    });
    assert.equal(r.body, '');
    // A regex origin matches too.
    assert.equal((await preflight('/cors/x', 'https://app.trusted.example')).headers['access-control-allow-origin'], 'https://app.trusted.example');
    assert.equal(up.seen.length, before, 'the upstream never saw the preflights');
  });

  it('adds Access-Control-Allow-Origin, -Allow-Credentials and -Expose-Headers to the upstream response of an allowed origin', async () => {
    const r = await request(port, { path: '/cors/data', headers: { origin: 'https://example.com' } });
    assert.equal(r.status, 200);
    assert.equal(r.json().upstream, 'up');
    assert.deepEqual(cors(r.headers), {
      'access-control-allow-origin': 'https://example.com',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'X-Expose',
    });
  });

  it('gives a disallowed origin no CORS headers, and forwards its preflight upstream (forwardNotMatchingPreflights)', async () => {
    const simple = await request(port, { path: '/cors/data', headers: { origin: 'https://evil.example' } });
    assert.equal(simple.status, 200);
    assert.deepEqual(cors(simple.headers), {});
    const before = up.seen.length;
    const pre = await preflight('/cors/x', 'https://evil.example');
    assert.equal(pre.json().method, 'OPTIONS', 'the upstream answered');
    assert.deepEqual(cors(pre.headers), {});
    assert.equal(up.seen.length, before + 1);
  });

  it('answers a disallowed preflight 200 without CORS headers when forwardNotMatchingPreflights is false', async () => {
    const before = up.seen.length;
    const pre = await preflight('/ignore', 'https://evil.example');
    assert.equal(pre.status, 200);
    assert.equal(pre.body, '');
    assert.deepEqual(cors(pre.headers), {});
    assert.equal(up.seen.length, before);
    // An allowed origin without credentials gets no -Allow-Credentials.
    assert.deepEqual(Object.keys(cors((await preflight('/ignore', 'https://example.com')).headers)).sort(), [
      'access-control-allow-headers',
      'access-control-allow-methods',
      'access-control-allow-origin',
      'access-control-max-age',
    ]);
  });

  it('leaves requests without Origin, OPTIONS without Access-Control-Request-Method, and routes without a policy alone', async () => {
    assert.deepEqual(cors((await request(port, { path: '/cors/data' })).headers), {});
    const options = await request(port, { path: '/cors/data', method: 'OPTIONS', headers: { origin: 'https://example.com' } });
    assert.equal(options.json().method, 'OPTIONS', 'not a preflight: routed upstream');
    assert.equal(options.headers['access-control-allow-origin'], 'https://example.com');
    assert.deepEqual(cors((await request(port, { path: '/plain', headers: { origin: 'https://example.com' } })).headers), {});
  });

  it('allows every origin when a matcher accepts "*"; uses the virtual host policy for routes without one; filter_enabled 0 turns it off', async () => {
    assert.equal((await request(port, { path: '/star', headers: { origin: 'https://any.example' } })).headers['access-control-allow-origin'], 'https://any.example');
    assert.equal((await request(port, { path: '/', headers: { host: 'vh.example', origin: 'https://vh1.example' } })).headers['access-control-allow-origin'], 'https://vh1.example');
    assert.deepEqual(cors((await request(port, { path: '/off', headers: { origin: 'https://example.com' } })).headers), {});
  });

  it('does nothing when the connection manager has no CORS filter', async () => {
    const r = await preflight('/cors/x', 'https://example.com', proxy.port('nofilter'));
    assert.equal(r.json().method, 'OPTIONS');
    assert.deepEqual(cors(r.headers), {});
  });
});

describe('CORS config', () => {
  const compile = (filters: object[], perRoute: Record<string, unknown>) =>
    new SnapshotCompiler().compile(
      snapshotFromResources({
        listeners: [httpListener('l', 0, 'r', { httpFilters: filters })],
        routes: [routeConfig('r', [vhost('v', ['*'], [{ match: { prefix: '/' }, route: { cluster: 'c' }, typedPerFilterConfig: policy(perRoute) }])])],
      }),
    ).errors.join('\n');

  it('NACKs what it does not implement and a filter order it would not follow', () => {
    assert.equal(compile([FAULT, CORS, ROUTER], ISTIO_TASK), '');
    assert.match(compile([FAULT, CORS, ROUTER], { allowPrivateNetworkAccess: { value: true } }), /allowPrivateNetworkAccess is not supported/);
    assert.match(compile([FAULT, CORS, ROUTER], { shadowEnabled: { defaultValue: { numerator: 100 } } }), /shadowEnabled is not supported/);
    assert.match(compile([CORS, FAULT, ROUTER], {}), /after the CORS filter is not supported/);
  });
});
