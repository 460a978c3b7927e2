// Envoy's upstream_http_protocol_options auto_sni / auto_san_validation over
// real TLS: the SNI of an upstream connection is the request's host, the
// certificate must be valid for that host, and connections are pooled per
// host name (a connection opened for one name never carries another's request).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { authorityHost, certificateMatchesHost, MAX_AUTO_SNI_POOLS_PER_HOST } from './host.ts';
import { startHarness, staticCluster, type Harness } from '../listener/listener-test-harness.ts';
import { testCa, type TestCa } from '../listener/testing/tls-fixtures.ts';

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function listener(name: string, cluster: string): object {
  return {
    name,
    address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
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

/** A TLS-originating cluster to `port` verifying with `ca`, its context's sni `configured.example.com`, with the given auto options. */
function tlsCluster(name: string, port: number, ca: string, auto: Record<string, unknown> | undefined): object {
  return {
    ...staticCluster(name, port),
    transportSocket: {
      name: 'envoy.transport_sockets.tls',
      typedConfig: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        commonTlsContext: { validationContext: { trustedCa: { inlineString: ca } } },
        sni: 'configured.example.com',
      },
    },
    ...(auto
      ? {
          typedExtensionProtocolOptions: {
            [HTTP_OPTIONS]: { '@type': `type.googleapis.com/${HTTP_OPTIONS}`, upstreamHttpProtocolOptions: auto, explicitHttpConfig: { httpProtocolOptions: {} } },
          },
        }
      : {}),
  };
}

interface Answer {
  status: number;
  /** The SNI the upstream was asked for, and which of its connections took the request (absent for a local reply). */
  sni?: string | false;
  conn?: number;
  host?: string;
}

/** One downstream connection reused across requests (so what an upstream pool reuses is not tied to downstream connections). */
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(port: number, host: string, extra: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent, headers: { host, ...extra } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          resolve(status === 200 ? { status, ...(JSON.parse(body) as Omit<Answer, 'status'>) } : { status });
        });
      })
      .on('error', reject);
  });
}

describe('upstream auto SNI and auto SAN validation', () => {
  let ca: TestCa;
  let server: https.Server;
  let serverPort = 0;
  let handshakes = 0;
  let requests = 0;
  let h: Harness;
  const connIds = new WeakMap<object, number>();

  before(async () => {
    ca = testCa('auto sni root');
    // Valid for a.example.com and any single label under wild.example.com.
    const leaf = ca.leaf('spiffe://example.com/upstream', { dns: ['a.example.com', '*.wild.example.com', 'configured.example.com'] });
    server = https.createServer({ cert: leaf.cert, key: leaf.key, keepAliveTimeout: 30_000 }, (req, res) => {
      requests++;
      const socket = req.socket as TLSSocket;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ sni: socket.servername, conn: connIds.get(socket), host: req.headers.host }));
    });
    server.on('secureConnection', (s) => connIds.set(s, ++handshakes));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    serverPort = (server.address() as AddressInfo).port;
    h = startHarness();
    await h.apply({
      listeners: [listener('auto', 'auto'), listener('fixed', 'fixed'), listener('override', 'override'), listener('sni-only', 'sni-only')],
      clusters: [
        tlsCluster('auto', serverPort, ca.certPem, { autoSni: true, autoSanValidation: true }),
        tlsCluster('fixed', serverPort, ca.certPem, undefined),
        tlsCluster('override', serverPort, ca.certPem, { autoSni: true, autoSanValidation: true, overrideAutoSniHeader: 'X-Upstream-Host' }),
        tlsCluster('sni-only', serverPort, ca.certPem, { autoSni: true }),
      ],
    });
  });

  after(async () => {
    agent.destroy();
    await h.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("sends each request's host as the SNI, on connections of its own: a connection opened for one host never carries another's request", async () => {
    const a1 = await get(h.port('auto'), 'a.example.com');
    const b = await get(h.port('auto'), 'b.wild.example.com:8443');
    const a2 = await get(h.port('auto'), 'A.example.com');
    assert.deepEqual([a1.status, a1.sni, a1.host], [200, 'a.example.com', 'a.example.com']);
    assert.deepEqual([b.status, b.sni], [200, 'b.wild.example.com'], 'the port is not part of the SNI');
    assert.notEqual(b.conn, a1.conn, 'b.wild.example.com did not get the connection opened for a.example.com');
    assert.deepEqual([a2.status, a2.sni, a2.conn], [200, 'a.example.com', a1.conn], 'a.example.com again: its own pooled connection');
  });

  it('refuses an upstream certificate not valid for the request host: 503, counted as a SAN failure, nothing sent', async () => {
    const before = requests;
    const failedBefore = h.stat('cluster.auto.ssl.fail_verify_san');
    for (const host of ['evil.example.org', 'x.y.wild.example.com', 'wild.example.com']) {
      const r = await get(h.port('auto'), host);
      assert.equal(r.status, 503, host);
    }
    assert.equal(requests, before, 'no request reached the upstream');
    assert.equal(h.stat('cluster.auto.ssl.fail_verify_san') - failedBefore, 3);
    // The same upstream is fine for a host its certificate names.
    assert.equal((await get(h.port('auto'), 'c.wild.example.com')).status, 200);
  });

  it('without auto_sni the TLS context sni is sent whatever the request host (and no host check is made)', async () => {
    const r1 = await get(h.port('fixed'), 'a.example.com');
    const r2 = await get(h.port('fixed'), 'evil.example.org');
    assert.deepEqual([r1.status, r1.sni], [200, 'configured.example.com']);
    assert.deepEqual([r2.status, r2.sni, r2.conn], [200, 'configured.example.com', r1.conn], 'one pool for every host');
  });

  it('auto_sni without auto_san_validation: the SNI follows the host, the certificate is only checked against the CA', async () => {
    const r = await get(h.port('sni-only'), 'other.example.net');
    assert.deepEqual([r.status, r.sni], [200, 'other.example.net']);
  });

  it('override_auto_sni_header names the host when the request carries it, else the Host is used', async () => {
    const r1 = await get(h.port('override'), 'a.example.com', { 'x-upstream-host': 'd.wild.example.com' });
    assert.deepEqual([r1.status, r1.sni, r1.host], [200, 'd.wild.example.com', 'a.example.com']);
    const r2 = await get(h.port('override'), 'a.example.com');
    assert.deepEqual([r2.status, r2.sni], [200, 'a.example.com']);
    assert.equal((await get(h.port('override'), 'a.example.com', { 'x-upstream-host': 'evil.example.org' })).status, 503, 'checked against the override too');
  });

  it(`keeps at most ${MAX_AUTO_SNI_POOLS_PER_HOST} host names' pools per endpoint: the least recently used one is closed`, async () => {
    const first = await get(h.port('sni-only'), 'h0.wild.example.com');
    assert.equal(first.status, 200);
    for (let i = 1; i <= MAX_AUTO_SNI_POOLS_PER_HOST; i++) assert.equal((await get(h.port('sni-only'), `h${i}.wild.example.com`)).status, 200);
    const again = await get(h.port('sni-only'), 'h0.wild.example.com');
    assert.deepEqual([again.status, again.sni], [200, 'h0.wild.example.com']);
    assert.notEqual(again.conn, first.conn, "h0's pool was closed when the 65th name came: a new connection");
    const recent = await get(h.port('sni-only'), `h${MAX_AUTO_SNI_POOLS_PER_HOST}.wild.example.com`);
    assert.equal(recent.status, 200);
  });

  it('takes the host name from an authority as Envoy does (port and brackets dropped, lower case)', () => {
    assert.equal(authorityHost('A.Example.com:8443'), 'a.example.com');
    assert.equal(authorityHost('[::1]:80'), '::1');
    assert.equal(authorityHost('example.com.'), 'example.com');
    assert.equal(authorityHost(''), undefined);
  });

  it('matches host names against DNS SANs with RFC 6125 wildcards, and IP hosts against IP SANs only', () => {
    const sans = { dns: ['*.a.com', 'b.com'], ip: ['10.0.0.1', '::1'] };
    assert.equal(certificateMatchesHost('x.a.com', sans), true);
    assert.equal(certificateMatchesHost('a.com', sans), false);
    assert.equal(certificateMatchesHost('y.x.a.com', sans), false);
    assert.equal(certificateMatchesHost('B.com', sans), true);
    assert.equal(certificateMatchesHost('10.0.0.1', sans), true);
    assert.equal(certificateMatchesHost('10.0.0.2', { dns: ['10.0.0.2'], ip: [] }), false);
    assert.equal(certificateMatchesHost('0:0::1', sans), true);
    assert.equal(certificateMatchesHost('x.com', { dns: ['*.com'], ip: [] }), false, 'no wildcard directly under a top-level label');
  });
});
