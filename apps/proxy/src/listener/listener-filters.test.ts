// tls_inspector and http_inspector on a real listener: the first bytes pick
// the filter chain (SNI, transport protocol, HTTP version or h2c preface) and
// are handed back intact to whoever serves the connection; slow clients meet
// listener_filters_timeout (closed, or passed on as raw bytes with
// continue_on_listener_filters_timeout).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { waitFor } from '@mesh/testing';
import { endpoints, edsCluster, request, routeConfig, startUpstream, vhost, type Upstream } from '../test-fixtures.ts';
import { clientHello } from './client-hello-builder.ts';
import { LISTENER_FILTER_PEEK_LIMIT } from './listener-filters.ts';
import { parseClientHello } from './tls-client-hello.ts';
import { exchange, hcm, staticCluster, startHarness, startRecorder, tcpProxy, type Harness, type Recorder } from './listener-test-harness.ts';

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
const TLS_INSPECTOR = { name: 'envoy.filters.listener.tls_inspector', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } };
const HTTP_INSPECTOR = { name: 'envoy.filters.listener.http_inspector', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector' } };

describe('listener filters pick the chain from the first bytes', () => {
  let h: Harness;
  let web: Upstream;
  let sni: Recorder;
  let h2c: Recorder;
  let fallback: Recorder;
  let wildcard: Recorder;

  before(async () => {
    web = await startUpstream('web');
    sni = await startRecorder({ reply: 'sni-route' });
    h2c = await startRecorder({ reply: 'h2c-route' });
    fallback = await startRecorder({ echo: true });
    wildcard = await startRecorder({ reply: 'wildcard-route' });
    h = startHarness();
    const listener = (name: string, extra: object) => ({
      name,
      address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
      listenerFilters: [TLS_INSPECTOR, HTTP_INSPECTOR],
      filterChains: [
        { name: 'sni-exact', filterChainMatch: { serverNames: ['echo.example'], transportProtocol: 'tls' }, filters: [tcpProxy('sni', 'sni')] },
        { name: 'sni-wildcard', filterChainMatch: { serverNames: ['*.example'], transportProtocol: 'tls' }, filters: [tcpProxy('wildcard', 'wildcard')] },
        { name: 'http', filterChainMatch: { applicationProtocols: ['http/1.1', 'http/1.0'] }, filters: [hcm('inbound_http', 'web')] },
        { name: 'h2c', filterChainMatch: { applicationProtocols: ['h2c'] }, filters: [tcpProxy('h2c', 'h2c')] },
      ],
      defaultFilterChain: { name: 'fallback', filters: [tcpProxy('fallback', 'fallback')] },
      ...extra,
    });
    await h.apply({
      listeners: [
        listener('inspect', {}),
        listener('strict', { listenerFiltersTimeout: { nanos: 150_000_000 } }),
        listener('lenient', { listenerFiltersTimeout: { nanos: 150_000_000 }, continueOnListenerFiltersTimeout: true }),
        {
          name: 'nomatch',
          address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
          filterChains: [{ filterChainMatch: { destinationPort: { value: 1 } }, filters: [tcpProxy('never', 'fallback')] }],
        },
      ],
      routes: [routeConfig('web', [vhost('web', ['*'], [{ match: { prefix: '/' }, route: { cluster: 'web' } }])])],
      clusters: [edsCluster('web'), staticCluster('sni', sni.port), staticCluster('h2c', h2c.port), staticCluster('fallback', fallback.port), staticCluster('wildcard', wildcard.port)],
      endpoints: [endpoints('web', [web.port])],
    });
  });

  after(async () => {
    await h.close();
    await Promise.all([web.close(), sni.close(), h2c.close(), fallback.close(), wildcard.close()]);
  });

  it('HTTP/1.1 goes to the HTTP chain (http_inspector), through its HCM to the upstream', async () => {
    const r = await request(h.port('inspect'), { path: '/hello' });
    assert.equal(r.status, 200);
    assert.equal(r.json().upstream, 'web');
    assert.equal(r.json().url, '/hello');
    assert.equal(h.stats.httpPrefix('inbound_http').cxTotal, 1);
  });

  it('the h2c preface goes to the h2c chain, and reaches it byte for byte', async () => {
    const r = await exchange(h.port('inspect'), PREFACE, { until: (g) => g.toString() === 'h2c-route' });
    assert.equal(r.got.toString(), 'h2c-route');
    assert.equal(h2c.received.at(-1)?.toString(), PREFACE);
  });

  it('bytes sent together with the FIN (a half-closing client) still reach the chain', async () => {
    const before = h2c.received.length;
    const s = net.connect(h.port('inspect'), '127.0.0.1', () => s.end(PREFACE));
    s.on('error', () => {});
    await waitFor('the preface to reach the h2c chain', () => h2c.received.length > before && h2c.received.at(-1)?.toString() === PREFACE);
    s.destroy();
  });

  it('a TLS ClientHello with SNI goes to the SNI chain untouched (passthrough)', async () => {
    const got = await new Promise<string>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port: h.port('inspect'), servername: 'echo.example', ALPNProtocols: ['h2'] });
      s.on('error', () => {});
      // The recorder is no TLS server: its plaintext reply breaks the handshake, proving where the hello went.
      s.on('close', () => resolve(sni.received.at(-1) ? 'sni' : 'none'));
    });
    assert.equal(got, 'sni');
    const hello = parseClientHello(sni.received.at(-1)!);
    assert.deepEqual(hello, { kind: 'tls', serverName: 'echo.example', alpn: ['h2'] }, 'the upstream got the whole ClientHello, as sent');
  });

  it('a TLS ClientHello for another name under *.example takes the wildcard chain', async () => {
    const r = await exchange(h.port('inspect'), clientHello({ serverName: 'api.example' }), { until: (g) => g.toString() === 'wildcard-route' });
    assert.equal(r.got.toString(), 'wildcard-route');
  });

  it('TLS for a name no chain lists, and garbage, go to the default chain with their bytes intact', async () => {
    const hello = clientHello({ serverName: 'other.org' });
    const tlsReply = await exchange(h.port('inspect'), hello, { until: (g) => g.length >= hello.length });
    assert.deepEqual(tlsReply.got, hello, 'echoed by the default chain');
    const garbage = await exchange(h.port('inspect'), '\u0000\u0001 garbage\r\n', { until: (g) => g.length >= 12 });
    assert.equal(garbage.got.toString(), '\u0000\u0001 garbage\r\n');
  });

  it('a ClientHello over 64 KiB is refused (closed) and counted', async () => {
    const big = Buffer.concat([clientHello({ serverName: 'echo.example', extra: [[0x1234, Buffer.alloc(60_000, 1)], [0x1235, Buffer.alloc(10_000, 1)]] })]);
    assert.ok(big.length > 65_536 && big.length < LISTENER_FILTER_PEEK_LIMIT + 10_000);
    const r = await exchange(h.port('inspect'), big);
    assert.equal(r.closed, true);
    assert.equal(r.got.length, 0);
    assert.equal(h.stat('listener.127.0.0.1_0.tls_inspector.client_hello_too_large'), 1);
  });

  it('a slow client is closed at listener_filters_timeout, and counted', async () => {
    const s = net.connect(h.port('strict'), '127.0.0.1');
    s.on('error', () => {});
    s.on('connect', () => s.write('GET /slow'));
    const started = Date.now();
    await new Promise<void>((r) => s.once('close', () => r()));
    assert.ok(Date.now() - started >= 100, 'not before the timeout');
    assert.ok(h.stat('listener.127.0.0.1_0.downstream_pre_cx_timeout') >= 1);
  });

  it('with continue_on_listener_filters_timeout the slow client goes on to the default chain, its first bytes intact', async () => {
    const before = h.stat('listener.127.0.0.1_0.downstream_pre_cx_timeout');
    const s = net.connect(h.port('lenient'), '127.0.0.1');
    let got = '';
    s.on('data', (d) => (got += d));
    s.on('connect', () => s.write('GET /slo'));
    await waitFor('the listener filter timeout', () => h.stat('listener.127.0.0.1_0.downstream_pre_cx_timeout') > before);
    s.write('w and more');
    await waitFor('the echo of everything sent', () => got === 'GET /slow and more');
    s.destroy();
  });

  it('no chain matching and no default chain: closed and counted in no_filter_chain_match', async () => {
    const before = h.stat('listener.127.0.0.1_0.no_filter_chain_match');
    const r = await exchange(h.port('nomatch'), 'hello');
    assert.equal(r.closed, true);
    assert.equal(r.got.length, 0);
    assert.equal(h.stat('listener.127.0.0.1_0.no_filter_chain_match'), before + 1);
  });
});

describe('the HTTP chain takes what http_inspector detected (the contract with the HTTP server: unshift, then net.emit("connection"))', () => {
  let h: Harness;
  let web: Upstream;

  before(async () => {
    web = await startUpstream('web');
    h = startHarness();
    await h.apply({
      listeners: [
        {
          name: 'l',
          address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
          listenerFilters: [HTTP_INSPECTOR],
          filterChains: [{ filterChainMatch: { applicationProtocols: ['h2c', 'http/1.1'] }, filters: [hcm('h', 'web')] }],
        },
      ],
      routes: [routeConfig('web', [vhost('web', ['*'], [{ match: { prefix: '/' }, route: { cluster: 'web' } }])])],
      clusters: [edsCluster('web')],
      endpoints: [endpoints('web', [web.port])],
    });
  });

  after(async () => {
    await h.close();
    await web.close();
  });

  it('prior-knowledge h2c and HTTP/1.1 on the same chain both reach the upstream', async () => {
    const client = http2.connect(`http://127.0.0.1:${h.port('l')}`);
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const req = client.request({ ':path': '/over-h2c' });
        let b = '';
        req.setEncoding('utf8');
        req.on('data', (d: string) => (b += d));
        req.on('end', () => resolve(b));
        req.on('error', reject);
        req.end();
      });
      assert.equal(JSON.parse(body).url, '/over-h2c');
    } finally {
      client.close();
    }
    assert.equal((await request(h.port('l'), { path: '/over-h1' })).json().url, '/over-h1');
  });
});
