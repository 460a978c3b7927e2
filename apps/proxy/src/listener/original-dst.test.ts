// The sidecar's transparent-capture path as Istio configures Envoy:
// virtualOutbound (use_original_dst) hands each redirected connection to the
// listener of its original destination (bind_to_port: false 0.0.0.0_<port>,
// or an exact ip_port one), else serves it itself: its default chain's
// tcp_proxy to PassthroughCluster (ORIGINAL_DST) or BlackHoleCluster. The
// kernel's SO_ORIGINAL_DST is replaced by an injected resolver keyed by the
// client's source address (any 127/8 address works on loopback).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Socket } from 'node:net';
import { freePort, waitFor } from '@mesh/testing';
import { endpoints, edsCluster, routeConfig, startUpstream, vhost, type Upstream } from '../test-fixtures.ts';
import type { Destination } from './original-destination.ts';
import { exchange, hcm, staticCluster, startHarness, startRecorder, tcpProxy, type Harness, type Recorder } from './listener-test-harness.ts';

const PASSTHROUGH = { name: 'PassthroughCluster', type: 'ORIGINAL_DST', lbPolicy: 'CLUSTER_PROVIDED', connectTimeout: { seconds: 1 } };
const BLACKHOLE = { name: 'BlackHoleCluster', type: 'STATIC', connectTimeout: { seconds: 1 } };

describe('virtualOutbound: use_original_dst hand-off (injected original destinations)', () => {
  let h: Harness;
  let reviews: Upstream;
  let echo: Recorder;
  let exact: Recorder;
  /** source address of the client → the destination it "was going to" before the redirect. */
  const redirects = new Map<string, Destination>();
  const seenBy: string[] = [];

  let directPort: number;
  const resources = (defaultCluster: string) => ({
    listeners: [
      {
        // A bound HTTP listener (served directly by its chain's server) can be a hand-off target too.
        name: 'direct',
        address: { socketAddress: { address: '127.0.0.1', portValue: directPort } },
        filterChains: [{ filters: [hcm('direct_http', '9080')] }],
      },
      {
        name: 'virtualOutbound',
        address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
        useOriginalDst: { value: true },
        trafficDirection: 'OUTBOUND',
        defaultFilterChain: { name: 'virtualOutbound-catchall-tcp', filters: [tcpProxy(defaultCluster, defaultCluster)] },
      },
      {
        name: '0.0.0.0_9080',
        address: { socketAddress: { address: '0.0.0.0', portValue: 9080 } },
        bindToPort: { value: false },
        listenerFilters: [{ name: 'envoy.filters.listener.http_inspector', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector' } }],
        filterChains: [
          {
            filterChainMatch: { prefixRanges: [{ addressPrefix: '10.0.0.0', prefixLen: { value: 24 } }], applicationProtocols: ['http/1.1', 'h2c'] },
            filters: [hcm('outbound_0.0.0.0_9080', '9080')],
          },
        ],
      },
      {
        name: '10.0.0.5_9080',
        address: { socketAddress: { address: '10.0.0.5', portValue: 9080 } },
        bindToPort: { value: false },
        filterChains: [{ filters: [tcpProxy('outbound|9080||db', 'outbound|9080||db')] }],
      },
    ],
    routes: [routeConfig('9080', [vhost('reviews:9080', ['*'], [{ match: { prefix: '/' }, route: { cluster: 'outbound|9080||reviews' } }])])],
    clusters: [edsCluster('outbound|9080||reviews'), staticCluster('outbound|9080||db', exact.port), PASSTHROUGH, BLACKHOLE],
    endpoints: [endpoints('outbound|9080||reviews', [reviews.port])],
  });

  before(async () => {
    reviews = await startUpstream('reviews');
    echo = await startRecorder({ echo: true });
    exact = await startRecorder({ reply: 'db says hi' });
    directPort = await freePort();
    h = startHarness({
      originalDestination: (s: Socket) => {
        seenBy.push(s.remoteAddress ?? '');
        return redirects.get(s.remoteAddress ?? '');
      },
    });
    await h.apply(resources('PassthroughCluster'));
  });

  after(async () => {
    await h.close();
    await Promise.all([reviews.close(), echo.close(), exact.close()]);
  });

  it('keeps bind_to_port: false listeners (not bound, not counted as unbound)', () => {
    assert.equal(h.listeners.listeners.get('0.0.0.0_9080')?.state, 'virtual');
    assert.equal(h.listeners.listeners.get('10.0.0.5_9080')?.state, 'virtual');
    assert.deepEqual(h.listeners.unbound(), []);
    assert.equal(h.listeners.boundCount(), 2);
  });

  it('a connection to 10.0.0.1:9080 reaches 0.0.0.0_9080, whose HTTP chain routes it to the real upstream', async () => {
    redirects.set('127.0.0.2', { address: '10.0.0.1', port: 9080 });
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: h.port('virtualOutbound'), localAddress: '127.0.0.2', path: '/reviews/1', headers: { host: 'reviews:9080' }, agent: false }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(b));
      });
      req.on('error', reject);
      req.end();
    });
    const json = JSON.parse(body);
    assert.equal(json.upstream, 'reviews');
    assert.equal(json.url, '/reviews/1');
    assert.equal(h.stat('listener.127.0.0.1_0.original_dst_handoff'), 1);
    assert.equal(h.stats.httpPrefix('outbound_0.0.0.0_9080').cxTotal, 1, "counted under the chain's HCM stat prefix");
  });

  it('hands off to a bound listener of the destination too, counting the connection once', async () => {
    redirects.set('127.0.0.8', { address: '127.0.0.1', port: directPort });
    const r = await exchange(h.port('virtualOutbound'), 'GET /direct HTTP/1.1\r\nHost: reviews\r\nConnection: close\r\n\r\n', { localAddress: '127.0.0.8' });
    assert.match(r.got.toString(), /^HTTP\/1\.1 200 /);
    assert.match(r.got.toString(), /"upstream":"reviews"/);
    assert.equal(h.stats.httpPrefix('direct_http').cxTotal, 1);
    await waitFor('the connection to be closed everywhere', () => h.stat(`listener.127.0.0.1_${directPort}.downstream_cx_active`) === 0);
    assert.equal(h.stat(`listener.127.0.0.1_${directPort}.downstream_cx_total`), 1);
    assert.equal(h.stats.httpPrefix('direct_http').cxActive, 0);
  });

  it('an exact ip:port listener wins over the wildcard one', async () => {
    redirects.set('127.0.0.3', { address: '10.0.0.5', port: 9080 });
    const r = await exchange(h.port('virtualOutbound'), 'ping', { localAddress: '127.0.0.3', until: (g) => g.toString() === 'db says hi' });
    assert.equal(r.got.toString(), 'db says hi');
    assert.equal(exact.received.at(-1)?.toString(), 'ping');
  });

  it('an unknown destination stays on virtualOutbound: its tcp_proxy takes PassthroughCluster to the original destination', async () => {
    redirects.set('127.0.0.4', { address: '127.0.0.1', port: echo.port });
    const r = await exchange(h.port('virtualOutbound'), 'through to where it was going', { localAddress: '127.0.0.4', until: (g) => g.length >= 29 });
    assert.equal(r.got.toString(), 'through to where it was going');
    const passthrough = h.clusters.get('PassthroughCluster')!;
    assert.equal(passthrough.originalDstHostCount, 1, 'a host made on demand for the destination');
    assert.equal(h.stat('tcp.PassthroughCluster.downstream_cx_total'), 1);
  });

  it('a connection that was not redirected has no original destination: PassthroughCluster has no host, the connection closes', async () => {
    const r = await exchange(h.port('virtualOutbound'), 'nowhere', { localAddress: '127.0.0.9' });
    assert.equal(r.closed, true);
    assert.equal(r.got.length, 0);
    assert.equal(h.stat('tcp.PassthroughCluster.upstream_cx_none_healthy'), 1);
  });

  it('0.0.0.0_9080 with no chain for the destination closes the connection and counts no_filter_chain_match', async () => {
    redirects.set('127.0.0.5', { address: '10.0.1.1', port: 9080 });
    const r = await exchange(h.port('virtualOutbound'), 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { localAddress: '127.0.0.5' });
    assert.equal(r.closed, true);
    assert.equal(r.got.length, 0);
    assert.equal(h.stat('listener.0.0.0.0_9080.no_filter_chain_match'), 1);
  });

  it('REGISTRY_ONLY: BlackHoleCluster closes unknown destinations at once, and counts them', async () => {
    await h.apply(resources('BlackHoleCluster'));
    redirects.set('127.0.0.6', { address: '127.0.0.1', port: echo.port });
    const before = echo.received.length;
    const r = await exchange(h.port('virtualOutbound'), 'let me out', { localAddress: '127.0.0.6' });
    assert.equal(r.closed, true);
    assert.equal(r.got.length, 0);
    assert.equal(echo.received.length, before, 'nothing reached the destination');
    assert.equal(h.stat('tcp.BlackHoleCluster.upstream_cx_none_healthy'), 1);
    // Known destinations still go through.
    redirects.set('127.0.0.7', { address: '10.0.0.5', port: 9080 });
    assert.equal((await exchange(h.port('virtualOutbound'), 'x', { localAddress: '127.0.0.7', until: (g) => g.length >= 10 })).got.toString(), 'db says hi');
  });

  it('asked the original_dst resolver once per accepted connection', () => {
    assert.deepEqual(seenBy.slice(0, 3), ['127.0.0.2', '127.0.0.8', '127.0.0.3']);
  });
});

describe('original_dst without a way to read original destinations', () => {
  let h: Harness;
  before(() => {
    h = startHarness({ originalDestinationAvailability: () => ({ ok: false, reason: 'SO_ORIGINAL_DST addon not built' }) });
  });
  after(() => h.close());

  it('refuses the listener loudly (not ready, with the reason) instead of serving the wrong destination', async () => {
    await h.apply({
      listeners: [
        {
          name: 'virtualInbound',
          address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
          listenerFilters: [{ name: 'envoy.filters.listener.original_dst' }],
          filterChains: [{ filters: [tcpProxy('InboundPassthroughClusterIpv4', 'InboundPassthroughClusterIpv4')] }],
        },
      ],
      clusters: [{ ...PASSTHROUGH, name: 'InboundPassthroughClusterIpv4', upstreamBindConfig: { sourceAddress: { address: '127.0.0.6', portValue: 0 } } }],
    });
    const l = h.listeners.listeners.get('virtualInbound')!;
    assert.equal(l.state, 'failed');
    assert.deepEqual(h.listeners.unbound(), ['virtualInbound: the original_dst listener filter cannot read original destinations: SO_ORIGINAL_DST addon not built']);
  });
});

describe('virtualInbound: InboundPassthroughClusterIpv4 binds 127.0.0.6', () => {
  let h: Harness;
  let app: Recorder;
  before(async () => {
    app = await startRecorder({ echo: true });
    h = startHarness({ originalDestination: () => ({ address: '127.0.0.1', port: app.port }) });
    await h.apply({
      listeners: [
        {
          name: 'virtualInbound',
          address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
          listenerFilters: [{ name: 'envoy.filters.listener.original_dst' }, { name: 'envoy.filters.listener.tls_inspector' }, { name: 'envoy.filters.listener.http_inspector' }],
          listenerFiltersTimeout: { nanos: 200_000_000 },
          continueOnListenerFiltersTimeout: true,
          filterChains: [{ name: 'virtualInbound-catchall-tcp', filterChainMatch: { transportProtocol: 'raw_buffer' }, filters: [tcpProxy('InboundPassthroughClusterIpv4', 'InboundPassthroughClusterIpv4')] }],
        },
      ],
      clusters: [{ ...PASSTHROUGH, name: 'InboundPassthroughClusterIpv4', upstreamBindConfig: { sourceAddress: { address: '127.0.0.6', portValue: 0 } } }],
    });
  });
  after(async () => {
    await h.close();
    await app.close();
  });

  it('passes the connection to the original destination from 127.0.0.6', async () => {
    const r = await exchange(h.port('virtualInbound'), 'inbound bytes', { until: (g) => g.length >= 13 });
    assert.equal(r.got.toString(), 'inbound bytes');
    await waitFor('the app to see the connection', () => app.received.length > 0);
    const cluster = h.clusters.get('InboundPassthroughClusterIpv4')!;
    assert.equal(cluster.spec.sourceAddress, '127.0.0.6');
    assert.deepEqual(app.peers, ['127.0.0.6'], 'the app sees the connection come from 127.0.0.6');
    // "inbound bytes" could still be the start of a request line ("inbound bytes HTTP/1.1"): http_inspector
    // waits for more, and continue_on_listener_filters_timeout lets the connection go on as raw bytes.
    assert.equal(h.stat('listener.127.0.0.1_0.downstream_pre_cx_timeout'), 1);
  });
});

describe("virtualInbound HTTP: an inbound cluster's upstream_bind_config (Istio's inbound|PORT|| from 127.0.0.6)", () => {
  let h: Harness;
  let app: http.Server;
  let appPort = 0;
  before(async () => {
    // The app answers with the address the request came from.
    app = http.createServer((req, res) => res.end(req.socket.remoteAddress));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    appPort = (app.address() as { port: number }).port;
    h = startHarness({ originalDestination: () => ({ address: '127.0.0.1', port: appPort }) });
    await h.apply({
      listeners: [
        {
          name: 'virtualInbound',
          address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
          listenerFilters: [{ name: 'envoy.filters.listener.original_dst' }, { name: 'envoy.filters.listener.http_inspector' }],
          filterChains: [{ name: 'inbound-http', filterChainMatch: { applicationProtocols: ['http/1.1', 'h2c'] }, filters: [hcm('inbound_0.0.0.0_9080', 'inbound|9080||')] }],
        },
      ],
      routes: [routeConfig('inbound|9080||', [vhost('inbound|http|9080', ['*'], [{ match: { prefix: '/' }, route: { cluster: 'inbound|9080||' } }])])],
      clusters: [{ ...PASSTHROUGH, name: 'inbound|9080||', upstreamBindConfig: { sourceAddress: { address: '127.0.0.6', portValue: 0 } } }],
    });
  });
  after(async () => {
    await h.close();
    await new Promise((r) => app.close(r));
  });

  it('connects to the app from 127.0.0.6, the source the capture rules let through (no loop back into 15006)', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: h.port('virtualInbound'), path: '/', agent: false }, (res) => {
          let b = '';
          res.setEncoding('utf8').on('data', (d) => (b += d));
          res.on('end', () => resolve(`${res.statusCode} ${b}`));
        })
        .on('error', reject);
    });
    assert.equal(body, '200 127.0.0.6');
  });
});
