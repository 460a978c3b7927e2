// Outbound mutual TLS over real sockets: Istio's auto mTLS (transport socket
// matches picked by EDS metadata), SAN checks, certificate rotation, missing
// secrets, and a TCP proxy originating mTLS to an inbound listener that
// terminates it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { edsCluster } from '../test-fixtures.ts';
import { offeredAlpn } from './host.ts';
import { exchange, startHarness, startRecorder, type Harness, type Recorder } from '../listener/listener-test-harness.ts';
import { DEFAULT_SECRET, ROOTCA_SECRET, TestSecrets, autoMtlsMatches, downstreamTls, istioMutual, lbEndpoint, testCa, type Leaf, type TestCa } from '../listener/testing/tls-fixtures.ts';

const CLIENT_ID = 'spiffe://cluster.local/ns/default/sa/sleep';
const REVIEWS_ID = 'spiffe://cluster.local/ns/default/sa/reviews';
const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

function outboundListener(name: string, cluster: string): object {
  return {
    name,
    address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
    statPrefix: name,
    filterChains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typedConfig: {
              '@type': HCM_TYPE,
              statPrefix: name,
              routeConfig: { name, virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }] },
              httpFilters: [{ name: 'envoy.filters.http.router', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
            },
          },
        ],
      },
    ],
  };
}

function get(port: number): Promise<{ status: number; body: string; json: () => Record<string, string> }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, json: () => JSON.parse(body) as Record<string, string> }));
      })
      .on('error', reject);
  });
}

interface MtlsApp {
  readonly port: number;
  /** ALPN lists clients offered. */
  readonly offered: string[][];
  /** TCP connections accepted (before any TLS). */
  connections: number;
  requests: number;
  close(): Promise<void>;
}

/** A workload behind mTLS: requires a mesh client certificate and answers with the client's identity; closes each connection after its response. */
async function startMtlsApp(ca: TestCa, id: string): Promise<MtlsApp> {
  const leaf = ca.leaf(id);
  const app: MtlsApp = { port: 0, offered: [], connections: 0, requests: 0, close: async () => {} };
  const server = https.createServer(
    {
      cert: leaf.cert,
      key: leaf.key,
      ca: ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
      ALPNCallback: ({ protocols }) => {
        app.offered.push(protocols);
        return protocols.includes('http/1.1') ? 'http/1.1' : undefined;
      },
    },
    (req, res) => {
      app.requests++;
      const peer = (req.socket as TLSSocket).getPeerX509Certificate();
      res.setHeader('connection', 'close');
      res.end(JSON.stringify({ upstream: 'mtls', peer: peer?.subjectAltName ?? '', serial: peer?.serialNumber ?? '' }));
    },
  );
  server.on('connection', () => app.connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(app, {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}

describe('upstream mutual TLS', () => {
  let ca: TestCa;
  let client: Leaf;
  let secrets: TestSecrets;
  let h: Harness;
  let mtls: MtlsApp;
  let plain: http.Server;
  let plainPort: number;
  let plainRequests = 0;

  before(async () => {
    ca = testCa('cluster.local');
    client = ca.leaf(CLIENT_ID);
    secrets = new TestSecrets();
    secrets.setWorkload(client, ca.certPem);
    mtls = await startMtlsApp(ca, REVIEWS_ID);
    plain = http.createServer((_req, res) => {
      plainRequests++;
      res.end(JSON.stringify({ upstream: 'plain' }));
    });
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    plainPort = (plain.address() as AddressInfo).port;
    h = startHarness({ secrets });
    await h.apply({
      listeners: [outboundListener('auto', 'reviews'), outboundListener('only-mtls', 'mtls'), outboundListener('wrong-san', 'wrong-san')],
      clusters: [
        edsCluster('reviews', { transportSocketMatches: autoMtlsMatches([REVIEWS_ID]) }),
        edsCluster('mtls', { transportSocket: istioMutual({ sans: [REVIEWS_ID] }) }),
        edsCluster('wrong-san', { transportSocket: istioMutual({ sans: ['spiffe://cluster.local/ns/default/sa/ratings'] }) }),
      ],
      endpoints: [
        { clusterName: 'reviews', endpoints: [{ lbEndpoints: [lbEndpoint(mtls.port, true), lbEndpoint(plainPort, false)] }] },
        { clusterName: 'mtls', endpoints: [{ lbEndpoints: [lbEndpoint(mtls.port, false)] }] },
        { clusterName: 'wrong-san', endpoints: [{ lbEndpoints: [lbEndpoint(mtls.port, false)] }] },
      ],
    });
  });

  after(async () => {
    await h.close();
    await mtls.close();
    await new Promise<void>((r) => plain.close(() => r()));
  });

  it('sends mTLS to the endpoint labelled tlsMode: istio and plaintext to the other, in one cluster', async () => {
    const seen = new Map<string, Record<string, string>>();
    for (let i = 0; i < 4; i++) {
      const r = await get(h.port('auto'));
      assert.equal(r.status, 200, r.body);
      seen.set(r.json().upstream, r.json());
    }
    assert.deepEqual([...seen.keys()].sort(), ['mtls', 'plain']);
    assert.equal(seen.get('mtls')!.peer, `URI:${CLIENT_ID}`);
    // Istio's istio.alpn list for an HTTP/1.1 pool (the cluster configures istio-peer-exchange, istio).
    assert.deepEqual(mtls.offered.at(-1), ['istio-http/1.1', 'istio', 'http/1.1']);
    assert.ok(plainRequests >= 2);
    assert.equal(h.stat('cluster.reviews.ssl.handshake') >= 2, true);
  });

  it('a rotated client certificate is used by new upstream connections', async () => {
    const before = await get(h.port('only-mtls'));
    assert.equal(before.json().serial, client.serial);
    const rotated = ca.leaf(CLIENT_ID);
    secrets.set(DEFAULT_SECRET, { cert: rotated.cert, key: rotated.key });
    // The upstream closes each connection after its response, so this request opens a new one.
    const after = await get(h.port('only-mtls'));
    assert.equal(after.status, 200);
    assert.equal(after.json().serial, rotated.serial);
    assert.equal(after.json().peer, `URI:${CLIENT_ID}`);
  });

  it('refuses an upstream whose certificate SAN is not the expected service account: 503, counted, nothing sent', async () => {
    const requests = mtls.requests;
    const r = await get(h.port('wrong-san'));
    assert.equal(r.status, 503);
    assert.match(r.body, /upstream connect error/);
    assert.ok(h.stat('cluster.wrong-san.ssl.fail_verify_san') >= 1);
    assert.equal(mtls.requests, requests);
  });

  it('a client certificate that has not arrived refuses the connection: 503, never plaintext to the mTLS endpoint', async () => {
    const lonely = new TestSecrets();
    lonely.set(ROOTCA_SECRET, { ca: ca.certPem });
    const h2 = startHarness({ secrets: lonely });
    try {
      await h2.apply({
        listeners: [outboundListener('waiting', 'mtls')],
        clusters: [edsCluster('mtls', { transportSocket: istioMutual({ sans: [REVIEWS_ID] }) })],
        endpoints: [{ clusterName: 'mtls', endpoints: [{ lbEndpoints: [lbEndpoint(mtls.port, true)] }] }],
      });
      const connections = mtls.connections;
      const r = await get(h2.port('waiting'));
      assert.equal(r.status, 503);
      assert.equal(h2.stat('cluster.mtls.ssl.secret_missing') >= 1, true);
      assert.equal(mtls.connections, connections, 'not even a TCP connection was made');
      lonely.set(DEFAULT_SECRET, { cert: client.cert, key: client.key });
      assert.equal((await get(h2.port('waiting'))).status, 200);
    } finally {
      await h2.close();
    }
  });
});

describe('tcp_proxy over mutual TLS, proxy to proxy', () => {
  let ca: TestCa;
  let h: Harness;
  let echo: Recorder;

  before(async () => {
    ca = testCa('cluster.local');
    const secrets = new TestSecrets();
    // One proxy plays both sidecars: its workload certificate is the server's and the client's.
    secrets.setWorkload(ca.leaf(REVIEWS_ID), ca.certPem);
    echo = await startRecorder({ echo: true });
    h = startHarness({ secrets });
    const inbound = {
      name: 'inbound',
      address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
      statPrefix: 'inbound',
      listenerFilters: [{ name: 'envoy.filters.listener.tls_inspector', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } }],
      // STRICT on a TCP port: TLS only, no ALPN of the server's own.
      filterChains: [{ filterChainMatch: { transportProtocol: 'tls' }, transportSocket: downstreamTls(), filters: [tcp('inbound', 'app')] }],
    };
    await h.apply({ listeners: [inbound], clusters: [edsCluster('app')], endpoints: [{ clusterName: 'app', endpoints: [{ lbEndpoints: [lbEndpoint(echo.port, false)] }] }] });
    const outbound = { name: 'outbound', address: { socketAddress: { address: '127.0.0.1', portValue: 0 } }, statPrefix: 'outbound', filterChains: [{ filters: [tcp('outbound', 'to-inbound')] }] };
    await h.apply({
      listeners: [inbound, outbound],
      clusters: [edsCluster('app'), edsCluster('to-inbound', { transportSocket: istioMutual({ sans: [REVIEWS_ID] }) })],
      endpoints: [
        { clusterName: 'app', endpoints: [{ lbEndpoints: [lbEndpoint(echo.port, false)] }] },
        { clusterName: 'to-inbound', endpoints: [{ lbEndpoints: [lbEndpoint(h.port('inbound'), true)] }] },
      ],
    });
  });

  after(async () => {
    await h.close();
    await echo.close();
  });

  it('carries bytes plaintext → outbound (originates mTLS with the Istio ALPN) → inbound (terminates it) → app', async () => {
    const r = await exchange(h.port('outbound'), 'ping over mtls', { until: (got) => got.toString() === 'ping over mtls' });
    assert.equal(r.got.toString(), 'ping over mtls');
    assert.equal(echo.received.at(-1)?.toString(), 'ping over mtls');
    assert.equal(h.stat('listener.inbound.ssl.handshake'), 1);
    assert.equal(h.stat('cluster.to-inbound.ssl.handshake'), 1);
  });

  it('the inbound TLS chain refuses a plaintext peer', async () => {
    const r = await exchange(h.port('inbound'), 'plaintext');
    assert.equal(r.closed, true);
    assert.equal(r.got.length, 0);
  });
});

function tcp(statPrefix: string, cluster: string): object {
  return { name: 'envoy.filters.network.tcp_proxy', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', statPrefix, cluster } };
}

describe('the ALPN an upstream TLS connection offers', () => {
  it("offers Istio's istio.alpn lists on HTTP pools to a mesh mTLS upstream, so a sniffed inbound port tells HTTP from TCP", () => {
    const mesh = ['istio-peer-exchange', 'istio'];
    assert.deepEqual(offeredAlpn(mesh, 'http/1.1'), ['istio-http/1.1', 'istio', 'http/1.1']);
    assert.deepEqual(offeredAlpn(mesh, 'h2'), ['istio-h2', 'istio', 'h2']);
    assert.deepEqual(offeredAlpn(mesh, undefined), mesh, 'tcp_proxy offers the configured list');
  });
  it('adds the pool protocol after a configured list that is not Istio mTLS', () => {
    assert.deepEqual(offeredAlpn(['h2'], 'h2'), ['h2']);
    assert.deepEqual(offeredAlpn([], 'http/1.1'), ['http/1.1']);
    assert.deepEqual(offeredAlpn(['foo'], 'h2'), ['foo', 'h2']);
  });
});

describe('HTTP sidecar to sidecar over mutual TLS (HTTP/1.1 and HTTP/2 pools)', () => {
  let ca: TestCa;
  let h: Harness;
  let app: http.Server;

  before(async () => {
    ca = testCa('cluster.local');
    const secrets = new TestSecrets();
    secrets.setWorkload(ca.leaf(REVIEWS_ID), ca.certPem);
    app = http.createServer((req, res) => res.end(JSON.stringify({ headers: req.headers })));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const appPort = (app.address() as AddressInfo).port;
    h = startHarness({ secrets });
    const inboundHcm = {
      name: 'envoy.filters.network.http_connection_manager',
      typedConfig: {
        '@type': HCM_TYPE,
        statPrefix: 'inbound',
        forwardClientCertDetails: 'APPEND_FORWARD',
        setCurrentClientCertDetails: { subject: { value: true }, dns: true, uri: true },
        routeConfig: { name: 'inbound', virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'app' } }] }] },
        httpFilters: [{ name: 'envoy.filters.http.router', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
      },
    };
    const inbound = {
      name: 'inbound',
      address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
      statPrefix: 'inbound',
      listenerFilters: [{ name: 'envoy.filters.listener.tls_inspector', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } }],
      filterChains: [
        {
          // Only what istio.alpn offers for HTTP: a client offering the TCP list would find no chain.
          filterChainMatch: { transportProtocol: 'tls', applicationProtocols: ['istio-http/1.0', 'istio-http/1.1', 'istio-h2'] },
          transportSocket: downstreamTls({ alpn: ['h2', 'http/1.1'] }),
          filters: [inboundHcm],
        },
      ],
    };
    const clusters = [edsCluster('app')];
    const eps = [{ clusterName: 'app', endpoints: [{ lbEndpoints: [lbEndpoint(appPort, false)] }] }];
    await h.apply({ listeners: [inbound], clusters, endpoints: eps });
    await h.apply({
      listeners: [inbound, outboundListener('out-h1', 'to-h1'), outboundListener('out-h2', 'to-h2'), outboundListener('out-new', 'to-new')],
      clusters: [
        ...clusters,
        edsCluster('to-h1', { transportSocketMatches: autoMtlsMatches([REVIEWS_ID]) }),
        edsCluster('to-h2', { transportSocketMatches: autoMtlsMatches([REVIEWS_ID]), http2ProtocolOptions: {} }),
        // A new sidecar-to-sidecar connection per request.
        edsCluster('to-new', { transportSocketMatches: autoMtlsMatches([REVIEWS_ID]), maxRequestsPerConnection: { value: 1 } }),
      ],
      endpoints: [
        ...eps,
        { clusterName: 'to-h1', endpoints: [{ lbEndpoints: [lbEndpoint(h.port('inbound'), true)] }] },
        { clusterName: 'to-h2', endpoints: [{ lbEndpoints: [lbEndpoint(h.port('inbound'), true)] }] },
        { clusterName: 'to-new', endpoints: [{ lbEndpoints: [lbEndpoint(h.port('inbound'), true)] }] },
      ],
    });
  });

  after(async () => {
    await h.close();
    await new Promise<void>((r) => app.close(() => r()));
  });

  for (const [listener, protocol] of [
    ['out-h1', 'HTTP/1.1'],
    ['out-h2', 'HTTP/2'],
  ] as const) {
    it(`${protocol}: the app behind the inbound sidecar sees the caller's SPIFFE id in XFCC`, async () => {
      const r = await get(h.port(listener));
      assert.equal(r.status, 200, r.body);
      const xfcc = (r.json() as unknown as { headers: Record<string, string> }).headers['x-forwarded-client-cert'];
      assert.match(xfcc, new RegExp(`^By=${REVIEWS_ID};Hash=[0-9a-f]{64};Subject="";URI=${REVIEWS_ID}$`));
      const chain = [...h.listeners.listeners.get('inbound')!.chains.values()][0];
      if (protocol === 'HTTP/2') assert.ok((chain.h1!.h2?.connections.size ?? 0) >= 1, 'the inbound side serves the connection as HTTP/2');
    });
  }

  it("new upstream connections resume the TLS session (no full handshake), and the server still sees the caller's verified identity", async () => {
    for (let i = 0; i < 4; i++) {
      const r = await get(h.port('out-new'));
      assert.equal(r.status, 200, r.body);
      const xfcc = (r.json() as unknown as { headers: Record<string, string> }).headers['x-forwarded-client-cert'];
      assert.match(xfcc, new RegExp(`;URI=${REVIEWS_ID}$`), `request ${i}: ${xfcc}`);
    }
    assert.ok(h.stat('cluster.to-new.ssl.handshake') >= 4, 'one connection per request');
    assert.ok(h.stat('cluster.to-new.ssl.session_reused') >= 2, `resumed: ${h.stat('cluster.to-new.ssl.session_reused')}`);
  });
});
