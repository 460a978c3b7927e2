// Listener lifecycle as LDS changes, and config swaps under traffic.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { freePort, waitFor } from '@mesh/testing';
import { edsCluster, endpoints, httpListener, request, routeConfig, startTestProxy, startUpstream, vhost, type TestProxy, type Upstream } from '../test-fixtures.ts';
import { exchange, hcm, staticCluster, startHarness, startRecorder, tcpProxy, type Harness, type Recorder } from './listener-test-harness.ts';

function resources(opts: { listeners: Array<{ name: string; port: number }>; cluster: string; ports: Record<string, number> }) {
  return {
    listeners: opts.listeners.map((l) => httpListener(l.name, l.port, 'routes')),
    routes: [routeConfig('routes', [vhost('all', ['*'], [{ match: { prefix: '/' }, route: { cluster: opts.cluster, timeout: { seconds: 10 } } }])])],
    clusters: Object.keys(opts.ports).map((n) => edsCluster(n)),
    endpoints: Object.entries(opts.ports).map(([n, p]) => endpoints(n, [p])),
  };
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
}

describe('listeners follow LDS', () => {
  let proxy: TestProxy;
  let v1: Upstream;
  let v2: Upstream;
  let slow: Upstream;
  let portA: number;
  let portB: number;

  before(async () => {
    v1 = await startUpstream('v1');
    v2 = await startUpstream('v2');
    slow = await startUpstream('slow', (_req, res) => {
      setTimeout(() => res.end('slow done'), 300).unref();
      return true;
    });
    proxy = await startTestProxy();
    portA = await freePort();
    portB = await freePort();
  });

  after(async () => {
    await proxy.close();
    await Promise.all([v1.close(), v2.close(), slow.close()]);
  });

  it('binds an added listener without disturbing open connections on the others', async () => {
    const ports = { v1: v1.port, v2: v2.port, slow: slow.port };
    await proxy.apply(resources({ listeners: [{ name: 'a', port: portA }], cluster: 'v1', ports }));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const first = await request(portA, { agent });
    assert.equal(first.json().upstream, 'v1');
    const socketsBefore = proxy.proxy.stats.httpPrefix('a').cxTotal;

    await proxy.apply(resources({ listeners: [{ name: 'a', port: portA }, { name: 'b', port: portB }], cluster: 'v1', ports }));
    assert.equal((await request(portB)).json().upstream, 'v1');
    const again = await request(portA, { agent });
    assert.equal(again.json().upstream, 'v1');
    assert.equal(proxy.proxy.stats.httpPrefix('a').cxTotal, socketsBefore, 'the keep-alive connection on a was reused, not reopened');
    agent.destroy();
  });

  it('drains a removed listener: in-flight requests finish, new connections are refused', async () => {
    const ports = { v1: v1.port, v2: v2.port, slow: slow.port };
    await proxy.apply(resources({ listeners: [{ name: 'a', port: portA }, { name: 'b', port: portB }], cluster: 'slow', ports }));
    const inflight = request(portB);
    await waitFor('the slow request to reach the upstream', () => slow.seen.length > 0);
    await proxy.apply(resources({ listeners: [{ name: 'a', port: portA }], cluster: 'slow', ports }));
    assert.equal(await connectionRefused(portB), true);
    const r = await inflight;
    assert.equal(r.status, 200);
    assert.equal(r.body, 'slow done');
    assert.equal(r.headers.connection, 'close', 'a draining listener closes connections after their response');
  });

  it('moves a listener to a new port when its address changes', async () => {
    const ports = { v1: v1.port, v2: v2.port, slow: slow.port };
    const portC = await freePort();
    await proxy.apply(resources({ listeners: [{ name: 'a', port: portC }], cluster: 'v1', ports }));
    assert.equal((await request(portC)).json().upstream, 'v1');
    assert.equal(await connectionRefused(portA), true);
    portA = portC;
  });

  it('loses no request while configs are swapped under traffic, and in-flight requests finish on the old config', async () => {
    const ports = { v1: v1.port, v2: v2.port, slow: slow.port };
    await proxy.apply(resources({ listeners: [{ name: 'a', port: portA }], cluster: 'slow', ports }));
    const slowRequest = request(portA);
    await waitFor('the slow request to be in flight', () => proxy.proxy.stats.cluster('slow').rqActive > 0);

    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    let stop = false;
    const results: number[] = [];
    const seenUpstreams = new Set<string>();
    const load = Array.from({ length: 8 }, async () => {
      while (!stop) {
        const r = await request(portA, { agent });
        results.push(r.status);
        if (r.status === 200 && r.body.startsWith('{')) seenUpstreams.add(r.json().upstream);
      }
    });
    for (let i = 0; i < 20; i++) {
      // The slow request's cluster is gone from these snapshots: its pool closes gracefully.
      await proxy.apply(resources({ listeners: [{ name: 'a', port: portA }], cluster: i % 2 === 0 ? 'v1' : 'v2', ports: { v1: v1.port, v2: v2.port } }));
      await new Promise((r) => setTimeout(r, 10));
    }
    stop = true;
    await Promise.all(load);
    agent.destroy();
    const slowReply = await slowRequest;
    assert.equal(slowReply.body, 'slow done', 'the request started on the old route finished there');
    assert.ok(results.length > 50, `traffic flowed during the swaps (${results.length} requests)`);
    assert.deepEqual([...new Set(results)], [200], 'every request succeeded');
    assert.deepEqual([...seenUpstreams].sort(), ['v1', 'v2']);
  });
});

describe('listener bind failures', () => {
  let proxy: TestProxy;
  let blocker: net.Server;
  let port: number;
  let up: Upstream;

  before(async () => {
    up = await startUpstream('up');
    port = await freePort();
    blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    proxy = await startTestProxy();
  });

  after(async () => {
    await proxy.close();
    await up.close();
    blocker.close();
  });

  it('reports not ready while a listener cannot bind, and binds once the port frees', async () => {
    await proxy.apply({ ...resources({ listeners: [{ name: 'busy', port }], cluster: 'up', ports: { up: up.port } }) });
    const r = proxy.proxy.readiness();
    assert.equal(r.ready, false);
    assert.match(r.reason, /busy: .*EADDRINUSE/);
    await new Promise<void>((res) => blocker.close(() => res()));
    await waitFor('the listener to bind after the port freed', () => proxy.proxy.readiness().ready, { timeoutMs: 8_000 });
    assert.equal((await request(port)).json().upstream, 'up');
  });
});

describe('filter chains across LDS updates (a listener with listener filters)', () => {
  let h: Harness;
  let v1: Upstream;
  let v2: Upstream;
  let echo: Recorder;

  const resources = (opts: { cluster: string; withHttp: boolean; extraChain: boolean }) => ({
    listeners: [
      {
        name: 'inbound',
        address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
        listenerFilters: [{ name: 'envoy.filters.listener.http_inspector' }],
        filterChains: [
          ...(opts.withHttp ? [{ name: 'http', filterChainMatch: { applicationProtocols: ['http/1.1'] }, filters: [hcm('inbound_http', 'routes')] }] : []),
          ...(opts.extraChain ? [{ name: 'h2c', filterChainMatch: { applicationProtocols: ['h2c'] }, filters: [tcpProxy('h2c', 'echo')] }] : []),
        ],
        defaultFilterChain: { filters: [tcpProxy('echo', 'echo')] },
      },
    ],
    routes: [routeConfig('routes', [vhost('all', ['*'], [{ match: { prefix: '/' }, route: { cluster: opts.cluster } }])])],
    clusters: [edsCluster('v1'), edsCluster('v2'), staticCluster('echo', echo.port)],
    endpoints: [endpoints('v1', [v1.port]), endpoints('v2', [v2.port])],
  });

  before(async () => {
    v1 = await startUpstream('v1');
    v2 = await startUpstream('v2');
    echo = await startRecorder({ echo: true });
    h = startHarness();
    await h.apply(resources({ cluster: 'v1', withHttp: true, extraChain: false }));
  });

  after(async () => {
    await h.close();
    await Promise.all([v1.close(), v2.close(), echo.close()]);
  });

  it('a chain that stays keeps its connections through an update; a removed chain drains them', async () => {
    const port = h.port('inbound');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal((await request(port, { agent })).json().upstream, 'v1');
    const opened = h.stats.httpPrefix('inbound_http').cxTotal;

    await h.apply(resources({ cluster: 'v2', withHttp: true, extraChain: true }));
    assert.equal(h.port('inbound'), port, 'the same socket');
    assert.equal((await request(port, { agent })).json().upstream, 'v2', 'the new routes apply on the kept connection');
    assert.equal(h.stats.httpPrefix('inbound_http').cxTotal, opened, 'the keep-alive connection was reused, not reopened');

    const socket = [...h.listeners.listeners.get('inbound')!.connections][0];
    await h.apply(resources({ cluster: 'v2', withHttp: false, extraChain: true }));
    await waitFor('the idle connection of the removed HTTP chain to close', () => socket.destroyed);
    agent.destroy();
    // Without the HTTP chain, HTTP bytes take the default chain (the echo).
    const r = await exchange(port, 'GET / HTTP/1.1\r\n\r\n', { until: (g) => g.length >= 18 });
    assert.equal(r.got.toString(), 'GET / HTTP/1.1\r\n\r\n');
  });
});
