// The HTTP path end to end over real sockets: a proxy in-process, real
// upstream servers, requests from a real client.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { freePort } from '@mesh/testing';
import { edsCluster, endpoints, httpListener, request, routeConfig, startTestProxy, startUpstream, vhost, type TestProxy, type Upstream } from '../test-fixtures.ts';

describe('routing and local replies', () => {
  let proxy: TestProxy;
  let a: Upstream;
  let b: Upstream;
  let port: number;
  let deadPort: number;

  before(async () => {
    a = await startUpstream('a', (req, res) => {
      if (req.url !== '/headers') return false;
      const payload = JSON.stringify({ upstream: 'a', headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream-internal': 'leak', 'x-served-by': 'upstream', 'keep-alive': 'timeout=99', 'x-hop': '1', connection: 'x-hop' });
      res.end(payload);
      return true;
    });
    b = await startUpstream('b');
    deadPort = await freePort();
    proxy = await startTestProxy();
    await proxy.apply({
      listeners: [httpListener('main', 0, 'routes', { useRemoteAddress: { value: true } })],
      routes: [
        routeConfig(
          'routes',
          [
            vhost('shop', ['shop.example', 'shop.example:*'], [
              { name: 'api-v2', match: { prefix: '/api/v2/' }, route: { cluster: 'b', prefixRewrite: '/v2/' } },
              { name: 'regex', match: { prefix: '/users/' }, route: { cluster: 'a', regexRewrite: { pattern: { regex: '^/users/([0-9]+)/profile$' }, substitution: '/profiles/\\1' } } },
              { name: 'host', match: { prefix: '/host' }, route: { cluster: 'a', hostRewriteLiteral: 'internal.a' } },
              { name: 'teapot', match: { path: '/teapot' }, directResponse: { status: 418, body: { inlineString: "I'm a teapot" } } },
              { name: 'old', match: { prefix: '/old' }, redirect: { pathRedirect: '/new', responseCode: 'FOUND' } },
              { name: 'empty', match: { prefix: '/empty' }, route: { cluster: 'empty' } },
              { name: 'dead', match: { prefix: '/dead' }, route: { cluster: 'dead' } },
              { name: 'missing', match: { prefix: '/missing' }, route: { cluster: 'no-such-cluster' } },
              {
                name: 'headers',
                match: { prefix: '/headers' },
                route: { cluster: 'a' },
                requestHeadersToAdd: [{ header: { key: 'x-route', value: 'headers' } }, { header: { key: 'x-client', value: '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%' } }],
                requestHeadersToRemove: ['x-secret'],
                responseHeadersToAdd: [{ header: { key: 'x-served-by', value: 'mesh' }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
                responseHeadersToRemove: ['x-upstream-internal'],
              },
              { name: 'a', match: { prefix: '/' }, route: { cluster: 'a' } },
            ], { requestHeadersToAdd: [{ header: { key: 'x-vhost', value: 'shop' } }] }),
          ],
          { responseHeadersToAdd: [{ header: { key: 'x-table', value: 'routes' } }] },
        ),
      ],
      clusters: [edsCluster('a'), edsCluster('b'), edsCluster('empty'), edsCluster('dead')],
      endpoints: [endpoints('a', [a.port]), endpoints('b', [b.port]), endpoints('empty', []), endpoints('dead', [deadPort])],
    });
    port = proxy.port('main');
  });

  after(async () => {
    await proxy.close();
    await a.close();
    await b.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => request(port, { path, headers: { host: 'shop.example', ...headers } });

  it('forwards to the route cluster with Envoy proxy headers', async () => {
    const r = await get('/hello?x=1', { 'x-forwarded-for': '203.0.113.9' });
    assert.equal(r.status, 200);
    const seen = r.json();
    assert.equal(seen.upstream, 'a');
    assert.equal(seen.url, '/hello?x=1');
    assert.equal(seen.headers.host, 'shop.example');
    assert.equal(seen.headers['x-forwarded-for'], '203.0.113.9,127.0.0.1', 'edge proxies append the peer address');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.match(seen.headers['x-request-id'], /^[0-9a-f-]{36}$/);
    assert.equal(seen.headers['x-vhost'], 'shop');
    assert.match(String(r.headers['x-envoy-upstream-service-time']), /^\d+$/);
    assert.equal(r.headers.server, 'envoy', 'the server header is overwritten as Envoy does by default');
    assert.equal(r.headers['x-table'], 'routes');
  });

  it('strips hop-by-hop request headers, including those named by Connection', async () => {
    const r = await get('/hop', { connection: 'x-private, keep-alive', 'x-private': 'secret', 'keep-alive': 'timeout=5', 'proxy-connection': 'keep-alive' });
    const h = r.json().headers;
    assert.equal(h['x-private'], undefined);
    assert.equal(h['proxy-connection'], undefined);
    assert.equal(h['keep-alive'], undefined);
  });

  it('rewrites a matched prefix and keeps the original path in x-envoy-original-path', async () => {
    const r = await get('/api/v2/items?q=1');
    assert.equal(r.json().upstream, 'b');
    assert.equal(r.json().url, '/v2/items?q=1');
    assert.equal(r.json().headers['x-envoy-original-path'], '/api/v2/items?q=1');
  });

  it('rewrites with a regex and its capture groups', async () => {
    const r = await get('/users/42/profile');
    assert.equal(r.json().url, '/profiles/42');
  });

  it('rewrites the host', async () => {
    assert.equal((await get('/host')).json().headers.host, 'internal.a');
  });

  it('adds and removes request and response headers at every level', async () => {
    const r = await get('/headers', { 'x-secret': 'hide me' });
    const h = r.json().headers;
    assert.equal(h['x-route'], 'headers');
    assert.equal(h['x-vhost'], 'shop');
    assert.equal(h['x-client'], '127.0.0.1');
    assert.equal(h['x-secret'], undefined);
    assert.equal(r.headers['x-served-by'], 'mesh', 'OVERWRITE_IF_EXISTS_OR_ADD replaces the upstream value');
    assert.equal(r.headers['x-table'], 'routes');
    assert.equal(r.headers['x-upstream-internal'], undefined);
    assert.notEqual(r.headers['keep-alive'], 'timeout=99', "the upstream's hop-by-hop keep-alive is not relayed");
    assert.equal(r.headers['x-hop'], undefined, 'headers the upstream named in Connection are hop-by-hop');
  });

  it('answers a direct response', async () => {
    const r = await get('/teapot');
    assert.equal(r.status, 418);
    assert.equal(r.body, "I'm a teapot");
    assert.equal(r.headers['content-type'], 'text/plain');
  });

  it('redirects', async () => {
    const r = await get('/old?x=1');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, 'http://shop.example/new?x=1');
    assert.equal(r.body, '');
  });

  it('answers 404 with an empty body when no route matches', async () => {
    const r = await request(port, { path: '/', headers: { host: 'unknown.example' } });
    assert.equal(r.status, 404);
    assert.equal(r.body, '');
  });

  it('answers 503 "no healthy upstream" for a cluster without endpoints', async () => {
    const r = await get('/empty');
    assert.equal(r.status, 503);
    assert.equal(r.body, 'no healthy upstream');
  });

  it('answers 503 with the upstream connect error when nothing listens on the endpoint', async () => {
    const r = await get('/dead');
    assert.equal(r.status, 503);
    assert.equal(r.body, 'upstream connect error or disconnect/reset before headers. reset reason: connection failure');
  });

  it('answers 503 when the route names an unknown cluster', async () => {
    const r = await get('/missing');
    assert.equal(r.status, 503);
  });

  it('streams request and response bodies', async () => {
    const body = 'x'.repeat(256 * 1024);
    const r = await request(port, { path: '/upload', method: 'POST', headers: { host: 'shop.example', 'content-type': 'text/plain' }, body });
    assert.equal(r.status, 200);
    assert.equal(r.json().body.length, body.length);
    assert.equal(r.json().method, 'POST');
  });

  it('serves several requests on one keep-alive connection', async () => {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => (data += d));
    socket.write('GET /one HTTP/1.1\r\nHost: shop.example\r\n\r\nGET /two HTTP/1.1\r\nHost: shop.example\r\n\r\n');
    const deadline = Date.now() + 5_000;
    while ((data.match(/HTTP\/1\.1 200/g) ?? []).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    socket.destroy();
    assert.equal((data.match(/HTTP\/1\.1 200/g) ?? []).length, 2);
    assert.ok(data.indexOf('"url":"/one"') < data.indexOf('"url":"/two"'), 'responses come back in request order');
  });
});

describe('explicit proxy (absolute-form request URIs)', () => {
  let proxy: TestProxy;
  let svc: Upstream;

  before(async () => {
    svc = await startUpstream('reviews');
    proxy = await startTestProxy();
    await proxy.apply({
      listeners: [httpListener('virtualOutbound', 0, 'outbound_http')],
      routes: [
        routeConfig('outbound_http', [
          vhost('reviews.default.svc.cluster.local:9080', ['reviews.default.svc.cluster.local', 'reviews.default.svc.cluster.local:9080', 'reviews', 'reviews:9080'], [
            { match: { prefix: '/' }, route: { cluster: 'outbound|9080||reviews.default.svc.cluster.local' } },
          ]),
          vhost('allow_any', ['*'], [{ name: 'allow_any', match: { prefix: '/' }, route: { cluster: 'PassthroughCluster', timeout: { seconds: 0 } } }]),
        ]),
      ],
      clusters: [
        edsCluster('outbound|9080||reviews.default.svc.cluster.local'),
        { name: 'PassthroughCluster', type: 'ORIGINAL_DST', lbPolicy: 'CLUSTER_PROVIDED', connectTimeout: { seconds: 10 }, originalDstLbConfig: { useHttpHeader: true } },
      ],
      endpoints: [endpoints('outbound|9080||reviews.default.svc.cluster.local', [svc.port])],
    });
  });

  after(async () => {
    await proxy.close();
    await svc.close();
  });

  it('routes GET http://host:port/path by the URI authority, like an HTTP proxy', async () => {
    const r = await request(proxy.port('virtualOutbound'), { path: 'http://reviews:9080/ratings/1?x=y', headers: { host: 'wrong.example' } });
    assert.equal(r.status, 200);
    assert.equal(r.json().upstream, 'reviews');
    assert.equal(r.json().url, '/ratings/1?x=y', 'the upstream gets origin-form');
    assert.equal(r.json().headers.host, 'reviews:9080');
  });

  it('passes requests for unknown hosts through to where they were going (PassthroughCluster)', async () => {
    const r = await request(proxy.port('virtualOutbound'), { path: `http://127.0.0.1:${svc.port}/direct` });
    assert.equal(r.status, 200);
    assert.equal(r.json().url, '/direct');
    const viaHeader = await request(proxy.port('virtualOutbound'), { path: '/h', headers: { host: 'unknown.example', 'x-envoy-original-dst-host': `127.0.0.1:${svc.port}` } });
    assert.equal(viaHeader.json().url, '/h');
  });

  it('routes by the Host header for origin-form requests', async () => {
    const r = await request(proxy.port('virtualOutbound'), { path: '/x', headers: { host: 'reviews.default.svc.cluster.local:9080' } });
    assert.equal(r.json().upstream, 'reviews');
  });
});

describe('timeouts and retries', () => {
  let proxy: TestProxy;
  let slow: Upstream;
  let flaky: Upstream;
  let healthy: Upstream;
  let resetting: Upstream;
  let port: number;
  let deadPort: number;

  before(async () => {
    // Reads the request, then drops the connection without an answer.
    resetting = await startUpstream('resetting', (req) => {
      req.socket.destroy();
      return true;
    });
    slow = await startUpstream('slow', (_req, res) => {
      setTimeout(() => res.end('late'), 1_000).unref();
      return true;
    });
    flaky = await startUpstream('flaky', (_req, res) => {
      res.writeHead(503);
      res.end('unavailable');
      return true;
    });
    healthy = await startUpstream('healthy');
    deadPort = await freePort();
    proxy = await startTestProxy({ random: () => 0 });
    const retry = (on: string, extra: Record<string, unknown> = {}) => ({ retryOn: on, numRetries: { value: 2 }, retryBackOff: { baseInterval: { nanos: 1_000_000 } }, ...extra });
    await proxy.apply({
      listeners: [httpListener('main', 0, 'routes')],
      routes: [
        routeConfig('routes', [
          vhost('all', ['*'], [
            { match: { prefix: '/timeout' }, route: { cluster: 'slow', timeout: { nanos: 200_000_000 } } },
            { match: { prefix: '/per-try' }, route: { cluster: 'slow-then-healthy', timeout: { seconds: 5 }, retryPolicy: retry('5xx', { perTryTimeout: { nanos: 150_000_000 } }) } },
            { match: { prefix: '/retry-503' }, route: { cluster: 'flaky-then-healthy', retryPolicy: retry('retriable-status-codes', { retriableStatusCodes: [503] }) } },
            { match: { prefix: '/no-retry' }, route: { cluster: 'flaky-then-healthy' } },
            { match: { prefix: '/connect' }, route: { cluster: 'dead-then-healthy', retryPolicy: retry('connect-failure') } },
            { match: { prefix: '/exhausted' }, route: { cluster: 'flaky', retryPolicy: retry('5xx') } },
            { match: { prefix: '/rq-timeout' }, route: { cluster: 'slow' } },
            { match: { prefix: '/before-request/connect' }, route: { cluster: 'dead-then-healthy-2', retryPolicy: retry('reset-before-request') } },
            { match: { prefix: '/before-request/sent' }, route: { cluster: 'resetting-then-healthy', retryPolicy: retry('reset-before-request') } },
            { match: { prefix: '/reset/sent' }, route: { cluster: 'resetting-then-healthy-2', retryPolicy: retry('reset') } },
            { match: { prefix: '/retry-5xx' }, route: { cluster: 'per-try-header', timeout: { seconds: 5 }, retryPolicy: retry('5xx') } },
            { match: { prefix: '/full' }, route: { cluster: 'full' } },
          ], { includeRequestAttemptCount: true }),
        ]),
      ],
      clusters: [
        ...['slow', 'slow-then-healthy', 'per-try-header', 'flaky-then-healthy', 'dead-then-healthy', 'dead-then-healthy-2', 'resetting-then-healthy', 'resetting-then-healthy-2', 'flaky'].map((n) => edsCluster(n)),
        // A circuit breaker that lets nothing through.
        edsCluster('full', { circuitBreakers: { thresholds: [{ maxRequests: { value: 0 } }] } }),
      ],
      endpoints: [
        endpoints('slow', [slow.port]),
        // random() = 0 starts round robin at the first endpoint, so the first try hits the bad one.
        endpoints('slow-then-healthy', [slow.port, healthy.port]),
        endpoints('per-try-header', [slow.port, healthy.port]),
        endpoints('flaky-then-healthy', [flaky.port, healthy.port]),
        endpoints('dead-then-healthy', [deadPort, healthy.port]),
        endpoints('dead-then-healthy-2', [deadPort, healthy.port]),
        endpoints('resetting-then-healthy', [resetting.port, healthy.port]),
        endpoints('resetting-then-healthy-2', [resetting.port, healthy.port]),
        endpoints('flaky', [flaky.port]),
        endpoints('full', [healthy.port]),
      ],
    });
    port = proxy.port('main');
  });

  after(async () => {
    await proxy.close();
    await Promise.all([slow.close(), flaky.close(), healthy.close(), resetting.close()]);
  });

  it('answers 504 "upstream request timeout" when the route timeout expires', async () => {
    const started = Date.now();
    const r = await request(port, { path: '/timeout' });
    assert.equal(r.status, 504);
    assert.equal(r.body, 'upstream request timeout');
    assert.ok(Date.now() - started < 900, 'the proxy did not wait for the upstream');
  });

  it('retries on a second endpoint after a per-try timeout', async () => {
    const r = await request(port, { path: '/per-try' });
    assert.equal(r.status, 200);
    assert.equal(r.json().upstream, 'healthy');
  });

  it('retries a retriable status code on another endpoint', async () => {
    const before = flaky.seen.length;
    const r = await request(port, { path: '/retry-503' });
    assert.equal(r.status, 200);
    assert.equal(r.json().upstream, 'healthy');
    assert.equal(flaky.seen.length, before + 1, 'the first try went to the failing endpoint');
  });

  it('passes the upstream 503 through without a retry policy', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 4; i++) statuses.add((await request(port, { path: '/no-retry' })).status);
    assert.ok(statuses.has(503), 'round robin reaches the failing endpoint and its answer is relayed');
  });

  it('retries a connect failure on another endpoint', async () => {
    const r = await request(port, { path: '/connect' });
    assert.equal(r.status, 200);
    assert.equal(r.json().upstream, 'healthy');
  });

  it('relays the last response once retries are exhausted, and counts the retries', async () => {
    const before = flaky.seen.length;
    const r = await request(port, { path: '/exhausted' });
    assert.equal(r.status, 503);
    assert.equal(r.body, 'unavailable');
    assert.equal(flaky.seen.length - before, 3, 'one try and two retries');
    assert.ok(proxy.proxy.stats.cluster('flaky').rqRetry >= 2);
    // include_request_attempt_count: each try tells the upstream which one it is, whatever the client sent.
    assert.deepEqual(
      flaky.seen.slice(before).map((s) => s.headers['x-envoy-attempt-count']),
      ['1', '2', '3'],
    );
  });

  it('takes the route timeout from x-envoy-upstream-rq-timeout-ms of an internal request, and does not forward it', async () => {
    const started = Date.now();
    const r = await request(port, { path: '/rq-timeout', headers: { 'x-envoy-upstream-rq-timeout-ms': '150' } });
    assert.equal(r.status, 504);
    assert.equal(r.body, 'upstream request timeout');
    assert.ok(Date.now() - started < 900, 'the header bounded the wait');
    const seen = slow.seen.at(-1)!;
    assert.equal(seen.headers['x-envoy-upstream-rq-timeout-ms'], undefined);
    // An external request (a forwarded chain of two) loses the header: the upstream's late answer arrives.
    const external = await request(port, { path: '/rq-timeout', headers: { 'x-envoy-upstream-rq-timeout-ms': '150', 'x-forwarded-for': '203.0.113.1,203.0.113.2' } });
    assert.equal(external.status, 200);
    assert.equal(external.body, 'late');
  });

  it('takes the per-try timeout from x-envoy-upstream-rq-per-try-timeout-ms of an internal request: retried on the next host, not forwarded', async () => {
    // The route retries 5xx with no per-try timeout of its own: only the header makes the slow host's try time out.
    const r = await request(port, { path: '/retry-5xx', headers: { 'x-envoy-upstream-rq-per-try-timeout-ms': '150' } });
    assert.equal(r.status, 200);
    assert.equal(r.json().upstream, 'healthy');
    assert.equal(r.json().headers['x-envoy-attempt-count'], '2');
    assert.equal(r.json().headers['x-envoy-upstream-rq-per-try-timeout-ms'], undefined);
    // Without retries the timed-out try is the answer: 504 well before the slow host's 1 s.
    const started = Date.now();
    const single = await request(port, { path: '/rq-timeout', headers: { 'x-envoy-upstream-rq-per-try-timeout-ms': '150' } });
    assert.equal(single.status, 504);
    assert.ok(Date.now() - started < 900);
    // From an external client the header is dropped: the slow host (next in round robin) answers.
    const external = await request(port, { path: '/retry-5xx', headers: { 'x-envoy-upstream-rq-per-try-timeout-ms': '150', 'x-forwarded-for': '203.0.113.1,203.0.113.2' } });
    assert.equal(external.body, 'late');
  });

  it('reset-before-request (Istio\'s inbound policy) retries a connect failure, never a request the upstream received', async () => {
    const connect = await request(port, { path: '/before-request/connect' });
    assert.equal(connect.status, 200);
    assert.equal(connect.json().upstream, 'healthy');
    const seen = resetting.seen.length;
    const sent = await request(port, { path: '/before-request/sent', method: 'POST', body: 'once' });
    assert.equal(sent.status, 503);
    assert.match(sent.body, /reset reason: connection termination$/);
    assert.equal(resetting.seen.length, seen + 1, 'the upstream saw the request once');
    // retryOn reset does send it again (to the healthy host).
    const reset = await request(port, { path: '/reset/sent', method: 'POST', body: 'twice' });
    assert.equal(reset.status, 200);
    assert.equal(reset.json().upstream, 'healthy');
  });

  it('sheds a request over the circuit breaker with 503 and x-envoy-overloaded: true', async () => {
    const r = await request(port, { path: '/full' });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-envoy-overloaded'], 'true');
    assert.equal(proxy.proxy.stats.cluster('full').rqPendingOverflow, 1);
  });
});

describe('load balancing', () => {
  let proxy: TestProxy;
  let ups: Upstream[];
  let port: number;

  before(async () => {
    // A first attempt (x-envoy-attempt-count: 1, sent on the retry.example virtual host only) gets a 503.
    ups = await Promise.all(
      ['e1', 'e2', 'e3'].map((n) =>
        startUpstream(n, (req, res) => {
          if (req.headers['x-envoy-attempt-count'] !== '1') return false;
          res.writeHead(503);
          res.end();
          return true;
        }),
      ),
    );
    proxy = await startTestProxy();
    const hashedRetry = (predicate: boolean) => ({
      cluster: 'ring',
      hashPolicy: [{ header: { headerName: 'x-user' } }],
      retryPolicy: { retryOn: '5xx', numRetries: { value: 1 }, retryBackOff: { baseInterval: { nanos: 1_000_000 } }, ...(predicate ? { retryHostPredicate: [{ name: 'envoy.retry_host_predicates.previous_hosts' }], hostSelectionRetryMaxAttempts: '5' } : {}) },
    });
    await proxy.apply({
      listeners: [httpListener('main', 0, 'routes')],
      routes: [
        routeConfig('routes', [
          vhost('retry', ['retry.example'], [
            { match: { prefix: '/same' }, route: hashedRetry(false) },
            { match: { prefix: '/other' }, route: hashedRetry(true) },
          ], { includeRequestAttemptCount: true }),
          vhost('all', ['*'], [
            { match: { prefix: '/weighted' }, route: { cluster: 'weighted' } },
            { match: { prefix: '/unhealthy' }, route: { cluster: 'mixed-health' } },
            { match: { prefix: '/sticky' }, route: { cluster: 'ring', hashPolicy: [{ cookie: { name: 'user', ttl: { seconds: 3600 }, path: '/sticky' } }] } },
            { match: { prefix: '/session' }, route: { cluster: 'ring', hashPolicy: [{ cookie: { name: 'session', ttl: {} } }] } },
            { match: { prefix: '/' }, route: { cluster: 'rr' } },
          ]),
        ]),
      ],
      clusters: [edsCluster('rr'), edsCluster('weighted'), edsCluster('mixed-health'), edsCluster('ring', { lbPolicy: 'RING_HASH' })],
      endpoints: [
        endpoints('rr', ups.map((u) => u.port)),
        endpoints('ring', ups.map((u) => u.port)),
        endpoints('weighted', [{ port: ups[0].port, weight: 3 }, { port: ups[1].port, weight: 1 }]),
        endpoints('mixed-health', [{ port: ups[0].port }, { port: ups[1].port, health: 'UNHEALTHY' }, { port: ups[2].port }]),
      ],
    });
    port = proxy.port('main');
  });

  after(async () => {
    await proxy.close();
    await Promise.all(ups.map((u) => u.close()));
  });

  it('a retry on a consistent-hash route goes back to the hashed host without previous_hosts (as Istio sends it); with it, retries move', async () => {
    const users = Array.from({ length: 10 }, (_, i) => `user-${i}`);
    const firstTry = (path: string, user: string) => ups.find((u) => u.seen.some((r) => r.url === path && r.headers['x-user'] === user && r.headers['x-envoy-attempt-count'] === '1'))!.name;
    for (const user of users) {
      const same = await request(port, { path: '/same', headers: { host: 'retry.example', 'x-user': user } });
      assert.equal(same.status, 200);
      assert.equal(same.json().upstream, firstTry('/same', user), `${user}: the retry stayed on the hashed host`);
    }
    // A host-selection retry walks on to the ring's next entries (as Envoy's ring does), which may belong to the same
    // host: over ten users, retries move (all ten staying would take every walk of four entries to stay on one host).
    let moved = 0;
    for (const user of users) {
      const other = await request(port, { path: '/other', headers: { host: 'retry.example', 'x-user': user } });
      assert.equal(other.status, 200);
      if (other.json().upstream !== firstTry('/other', user)) moved++;
    }
    assert.ok(moved > 0, 'previous_hosts moved no retry off the hashed host');
  });

  async function spread(path: string, n: number): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const who = (await request(port, { path })).json().upstream;
      counts[who] = (counts[who] ?? 0) + 1;
    }
    return counts;
  }

  it('round robin spreads requests evenly over the endpoints', async () => {
    assert.deepEqual(await spread('/', 9), { e1: 3, e2: 3, e3: 3 });
  });

  it('weighs round robin by load_balancing_weight', async () => {
    assert.deepEqual(await spread('/weighted', 8), { e1: 6, e2: 2 });
  });

  it('generates the hash cookie with its ttl and path when the request has none, and the cookie then keeps the host', async () => {
    for (let i = 0; i < 4; i++) {
      const first = await request(port, { path: '/sticky' });
      const cookie = String(first.headers['set-cookie']);
      assert.match(cookie, /^user="[0-9a-f]{16}"; Max-Age=3600; Path=\/sticky; HttpOnly$/);
      const value = cookie.slice(0, cookie.indexOf(';'));
      for (let j = 0; j < 5; j++) {
        const again = await request(port, { path: '/sticky', headers: { cookie: `other=1; ${value}` } });
        assert.equal(again.json().upstream, first.json().upstream, 'the cookie hashes to the host that answered the first request');
        assert.equal(again.headers['set-cookie'], undefined, 'a request that has the cookie gets none');
      }
    }
    // A zero ttl makes it a session cookie (no Max-Age).
    assert.match(String((await request(port, { path: '/session' })).headers['set-cookie']), /^session="[0-9a-f]{16}"; HttpOnly$/);
  });

  it('skips endpoints EDS marks unhealthy', async () => {
    const counts = await spread('/unhealthy', 6);
    assert.equal(counts.e2, undefined);
    assert.equal(counts.e1, 3);
    assert.equal(counts.e3, 3);
  });
});
