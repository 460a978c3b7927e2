// HTTP/2 clients (h2c with prior knowledge) through the whole proxy: the same
// routing, retries, timeouts, faults, local replies and stats as HTTP/1.1, on
// the same listener (codec AUTO), and the listener's hand-over contract
// (bytes unshifted, then `net.emit('connection')`) for both protocols.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { waitFor } from '@mesh/testing';
import { H1Server } from './h1-server.ts';
import { H2_CAPS, H2_PREFACE } from './h2-server.ts';
import { codecOptions, HcmConfig } from '../config/hcm-config.ts';
import { edsCluster, endpoints, FAULT, httpListener, request, routeConfig, ROUTER, startTestProxy, startUpstream, vhost, type TestProxy, type Upstream } from '../test-fixtures.ts';

interface H2Reply {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
  trailers: http2.IncomingHttpHeaders | undefined;
}

function h2request(client: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: string | Buffer): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const req = client.request(headers, { endStream: body === undefined });
    let status = 0;
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    req.on('response', (h) => {
      status = Number(h[':status']);
      responseHeaders = h;
    });
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ status, headers: responseHeaders, body: Buffer.concat(chunks).toString(), trailers }));
    req.on('error', reject);
    if (body !== undefined) req.end(body);
  });
}

function connect(port: number): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const c = http2.connect(`http://127.0.0.1:${port}`);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

describe('HTTP/2 downstream (h2c) through the proxy', () => {
  let proxy: TestProxy;
  let echo: Upstream;
  let failing: Upstream;
  let slow: Upstream;
  let trailing: Upstream;
  let port: number;
  let client: http2.ClientHttp2Session;
  let flakyCalls = 0;
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'proxy-h2-log-'));
  const logFile = path.join(logDir, 'access.log');

  before(async () => {
    echo = await startUpstream('echo');
    failing = await startUpstream('failing', (req, res) => {
      if (req.url === '/flaky' && flakyCalls++ % 2 === 0) {
        res.writeHead(503, { 'content-length': '4' });
        res.end('nope');
        return true;
      }
      return false;
    });
    slow = await startUpstream('slow', () => true); // never answers
    trailing = await startUpstream('trailing', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
      res.write('body, ');
      res.addTrailers({ 'x-checksum': 'abc123' });
      res.end('then trailers');
      return true;
    });
    proxy = await startTestProxy({ random: () => 0 });
    await proxy.apply({
      listeners: [
        httpListener('main', 0, 'routes', {
          httpFilters: [FAULT, ROUTER],
          accessLog: [{ name: 'envoy.access_loggers.file', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog', path: logFile } }],
        }),
      ],
      routes: [
        routeConfig('routes', [
          vhost('all', ['*'], [
            { match: { prefix: '/flaky' }, route: { cluster: 'failing', retryPolicy: { retryOn: '5xx', numRetries: { value: 2 }, retryBackOff: { baseInterval: { nanos: 1_000_000 } } } } },
            { match: { prefix: '/slow' }, route: { cluster: 'slow', timeout: { nanos: 200_000_000 } } },
            { match: { prefix: '/trailers' }, route: { cluster: 'trailing' } },
            { match: { prefix: '/direct' }, directResponse: { status: 418, body: { inlineString: 'teapot' } } },
            {
              match: { prefix: '/fault' },
              route: { cluster: 'echo' },
              typedPerFilterConfig: {
                'envoy.filters.http.fault': {
                  '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
                  abort: { httpStatus: 503, percentage: { numerator: 100, denominator: 'HUNDRED' } },
                },
              },
            },
            { match: { prefix: '/' }, route: { cluster: 'echo' } },
          ]),
          vhost('none', ['nothing.example'], [{ match: { prefix: '/only-here' }, route: { cluster: 'echo' } }]),
        ]),
      ],
      clusters: ['echo', 'failing', 'slow', 'trailing'].map((n) => edsCluster(n)),
      endpoints: [endpoints('echo', [echo.port]), endpoints('failing', [failing.port]), endpoints('slow', [slow.port]), endpoints('trailing', [trailing.port])],
    });
    port = proxy.port('main');
    client = await connect(port);
  });

  after(async () => {
    client?.close();
    await proxy.close();
    await Promise.all([echo.close(), failing.close(), slow.close(), trailing.close()]);
    rmSync(logDir, { recursive: true, force: true });
  });

  it('routes an h2c request to an HTTP/1.1 upstream with :authority as Host, and answers over HTTP/2', async () => {
    const before = proxy.proxy.stats.httpPrefix('main').rqTotal;
    const r = await h2request(client, { ':path': '/hello?x=1', ':authority': 'svc.example:8080', 'x-custom': 'yes' });
    assert.equal(r.status, 200);
    const seen = JSON.parse(r.body);
    assert.equal(seen.url, '/hello?x=1');
    assert.equal(seen.headers.host, 'svc.example:8080');
    assert.equal(seen.headers['x-custom'], 'yes');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.ok(seen.headers['x-request-id']);
    assert.equal(r.headers.server, 'envoy');
    assert.ok(Number(r.headers['x-envoy-upstream-service-time']) >= 0);
    assert.equal(proxy.proxy.stats.httpPrefix('main').rqTotal, before + 1);
  });

  it('writes the same access log line as for HTTP/1.1, with protocol HTTP/2', async () => {
    await h2request(client, { ':path': '/logged-h2', ':authority': 'a', 'user-agent': 'h2-test' });
    await request(port, { path: '/logged-h1', headers: { host: 'a', 'user-agent': 'h1-test' } });
    const lines = await waitFor('both requests in the access log', () => {
      let text = '';
      try {
        text = readFileSync(logFile, 'utf8');
      } catch {
        return undefined;
      }
      const entries = text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const h2 = entries.find((e) => e.path === '/logged-h2');
      const h1 = entries.find((e) => e.path === '/logged-h1');
      return h2 && h1 ? { h2, h1 } : undefined;
    });
    assert.equal(lines.h2.protocol, 'HTTP/2');
    assert.equal(lines.h1.protocol, 'HTTP/1.1');
    for (const e of [lines.h2, lines.h1]) {
      assert.equal(e.response_code, 200);
      assert.equal(e.upstream_cluster, 'echo');
      assert.equal(e.listener, 'main');
    }
    assert.equal(lines.h2.user_agent, 'h2-test');
  });

  it('serves concurrent streams on one connection, each with its own response', async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => h2request(client, { ':path': `/n/${i}`, ':authority': 'a' })));
    replies.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.body).url, `/n/${i}`);
    });
  });

  it('streams a request body upstream', async () => {
    const body = 'x'.repeat(300_000);
    const r = await h2request(client, { ':method': 'POST', ':path': '/upload', ':authority': 'a', 'content-type': 'text/plain' }, body);
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).body.length, body.length);
  });

  it('retries a 5xx and answers the retried response', async () => {
    flakyCalls = 0;
    const r = await h2request(client, { ':path': '/flaky', ':authority': 'a' });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).upstream, 'failing');
    assert.equal(flakyCalls, 2);
  });

  it('answers local replies over HTTP/2: no route 404, direct response, route timeout 504, fault abort 503', async () => {
    const nr = await h2request(client, { ':path': '/x', ':authority': 'nothing.example' });
    assert.equal(nr.status, 404);
    const direct = await h2request(client, { ':path': '/direct', ':authority': 'a' });
    assert.equal(direct.status, 418);
    assert.equal(direct.body, 'teapot');
    const timeout = await h2request(client, { ':path': '/slow', ':authority': 'a' });
    assert.equal(timeout.status, 504);
    assert.equal(timeout.body, 'upstream request timeout');
    const fault = await h2request(client, { ':path': '/fault', ':authority': 'a' });
    assert.equal(fault.status, 503);
    assert.equal(fault.body, 'fault filter abort');
  });

  it("carries an HTTP/1.1 upstream's chunked trailers to an HTTP/2 client, and to an HTTP/1.1 client that sent TE: trailers", async () => {
    const r = await h2request(client, { ':path': '/trailers', ':authority': 'a' });
    assert.equal(r.body, 'body, then trailers');
    assert.equal(r.trailers?.['x-checksum'], 'abc123');
    const h1 = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('GET /trailers HTTP/1.1\r\nHost: a\r\nTE: trailers\r\nConnection: close\r\n\r\n'));
      let data = '';
      s.setEncoding('latin1');
      s.on('data', (d: string) => (data += d));
      s.on('end', () => resolve(data));
      s.on('error', reject);
    });
    assert.match(h1, /\r\n0\r\nx-checksum: abc123\r\n\r\n$/);
    const plain = await request(port, { path: '/trailers', headers: { host: 'a' } });
    assert.equal(plain.body, 'body, then trailers', 'a client that did not ask gets no trailers, the same body');
  });

  it('serves HTTP/1.1 and HTTP/2 on the same listener (codec AUTO)', async () => {
    const r = await request(port, { path: '/h1', headers: { host: 'a' } });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).url, '/h1');
  });

  it('recognises a preface that arrives a few bytes at a time', async () => {
    const s = net.connect(port, '127.0.0.1');
    await once(s, 'connect');
    for (let i = 0; i < H2_PREFACE.length; i += 5) {
      s.write(H2_PREFACE.subarray(i, i + 5));
      await new Promise((r) => setImmediate(r));
    }
    // SETTINGS (empty): the server answers with its own SETTINGS frame (type 4) on stream 0.
    s.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]));
    const [data] = (await once(s, 'data')) as [Buffer];
    assert.equal(data[3], 4, 'a SETTINGS frame');
    s.destroy();
  });

  it('a client resetting a stream cancels its upstream request', async () => {
    const before = proxy.proxy.stats.cluster('slow').rqActive;
    const req = client.request({ ':path': '/slow/cancel', ':authority': 'a' });
    req.on('error', () => {});
    await waitFor('the upstream request to start', () => proxy.proxy.stats.cluster('slow').rqActive > before);
    req.close(http2.constants.NGHTTP2_CANCEL);
    await waitFor('the upstream request to be cancelled', () => proxy.proxy.stats.cluster('slow').rqActive === before);
  });
});

describe('the listener hand-over contract (unshifted bytes, then net.emit("connection"))', () => {
  let h1: H1Server;
  let front: net.Server;
  let port: number;

  before(async () => {
    h1 = new H1Server((req, res) => {
      const body = Buffer.from(`${req.httpVersion} ${req.method} ${req.url} ${req.headers.host}`);
      res.writeHead(200, ['content-length', String(body.length)]);
      res.end(body);
    });
    // A listener that inspects the first bytes (as http_inspector does), puts them back and hands the socket over.
    front = net.createServer((socket) => {
      socket.once('data', (first: Buffer) => {
        socket.pause();
        socket.unshift(first);
        h1.net.emit('connection', socket);
      });
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    port = (front.address() as AddressInfo).port;
  });

  after(() => {
    front.close();
    for (const c of h1.connections) c.socket.destroy();
  });

  it('HTTP/1.1 behind an inspecting listener', async () => {
    const r = await request(port, { path: '/one', headers: { host: 'h1.example' } });
    assert.equal(r.body, '1.1 GET /one h1.example');
  });

  it('h2c behind an inspecting listener: node:http2 reads the bytes already unshifted', async () => {
    const c = await connect(port);
    try {
      const r = await h2request(c, { ':path': '/two', ':authority': 'h2.example' });
      assert.equal(r.status, 200);
      assert.equal(r.body, '2 GET /two h2.example');
    } finally {
      c.close();
    }
  });

  it('drain sends HTTP/2 clients a GOAWAY (NO_ERROR)', async () => {
    const c = await connect(port);
    try {
      const r = await h2request(c, { ':path': '/before-drain', ':authority': 'a' });
      assert.equal(r.status, 200);
      const goaway = once(c, 'goaway');
      for (const conn of h1.connections) conn.draining = true; // what H1Server.drain() does to each connection
      const [code] = (await goaway) as [number];
      assert.equal(code, http2.constants.NGHTTP2_NO_ERROR);
    } finally {
      c.destroy();
    }
  });

  it('codec HTTP1 serves a preface as a (bad) HTTP/1.1 request; codec HTTP2 refuses HTTP/1.1', async () => {
    h1.configure({ codecType: 'HTTP1' });
    try {
      const s = net.connect(port, '127.0.0.1');
      await once(s, 'connect');
      s.write(H2_PREFACE);
      const [data] = (await once(s, 'data')) as [Buffer];
      assert.match(data.toString('latin1'), /^HTTP\/1\.1 505 /);
      s.destroy();
      h1.configure({ codecType: 'HTTP2' });
      const t = net.connect(port, '127.0.0.1');
      await once(t, 'connect');
      t.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      t.on('data', () => {});
      t.on('error', () => {});
      await once(t, 'close');
    } finally {
      h1.configure({ codecType: 'AUTO' });
    }
  });
});

describe('http2_protocol_options and codec_type', () => {
  const base = {
    statPrefix: 'x',
    routeConfig: { name: 'r', virtualHosts: [] },
    httpFilters: [ROUTER],
  };

  it('compiles codec_type and the HTTP/2 settings, capping what would be unbounded', () => {
    const hcm = new HcmConfig(
      { ...base, codecType: 'HTTP2', http2ProtocolOptions: { maxConcurrentStreams: { value: 100_000 }, initialStreamWindowSize: { value: 1 << 20 }, initialConnectionWindowSize: { value: 1 << 30 } } } as never,
      'hcm',
    );
    assert.equal(hcm.codecType, 'HTTP2');
    assert.equal(hcm.http2.maxConcurrentStreams, H2_CAPS.maxConcurrentStreams);
    assert.equal(hcm.http2.initialStreamWindowSize, 1 << 20);
    assert.equal(hcm.http2.initialConnectionWindowSize, H2_CAPS.initialConnectionWindowSize);
    const options = codecOptions(hcm);
    assert.equal(options.codecType, 'HTTP2');
    assert.equal(options.http2, hcm.http2);
    assert.equal(options.maxHeaderBytes, 60 * 1024);
  });

  it('NACKs HTTP/2 options it does not implement, and HTTP/3, by name', () => {
    assert.throws(() => new HcmConfig({ ...base, http2ProtocolOptions: { allowConnect: true } } as never, 'hcm'), /hcm\.http2ProtocolOptions: field allowConnect is not supported/);
    assert.throws(() => new HcmConfig({ ...base, codecType: 'HTTP3' } as never, 'hcm'), /codecType/);
    assert.throws(() => new HcmConfig({ ...base, http2ProtocolOptions: { initialStreamWindowSize: { value: 100 } } } as never, 'hcm'), /initialStreamWindowSize/);
  });

  it('a server advertises the configured settings to HTTP/2 clients', async () => {
    const h1 = new H1Server((_req, res) => res.end(Buffer.from('ok')), { http2: { maxConcurrentStreams: 3, initialStreamWindowSize: 200_000, initialConnectionWindowSize: 1 << 20, hpackTableSize: 4096 } });
    await new Promise<void>((r) => h1.net.listen(0, '127.0.0.1', r));
    const c = http2.connect(`http://127.0.0.1:${(h1.net.address() as AddressInfo).port}`);
    try {
      const [settings] = (await once(c, 'remoteSettings')) as [http2.Settings];
      assert.equal(settings.maxConcurrentStreams, 3);
      assert.equal(settings.initialWindowSize, 200_000);
      assert.equal(settings.maxHeaderListSize, 60 * 1024);
      // The connection window comes as a WINDOW_UPDATE on stream 0.
      await waitFor('the connection window', () => c.state.remoteWindowSize === 1 << 20);
    } finally {
      c.close();
      h1.net.close();
      for (const conn of h1.connections) conn.socket.destroy();
    }
  });
});
