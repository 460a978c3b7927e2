// Clusters that ask for HTTP/2 (Istio's h2UpgradePolicy / gRPC ports) go through undici over h2c.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { edsCluster, endpoints, httpListener, request, routeConfig, startTestProxy, vhost, type TestProxy } from '../test-fixtures.ts';

describe('HTTP/2 upstreams', () => {
  let proxy: TestProxy;
  let server: http2.Http2Server;

  before(async () => {
    server = http2.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ protocol: req.httpVersion, path: req.url, host: req.headers[':authority'] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    proxy = await startTestProxy();
    const h2 = {
      typedExtensionProtocolOptions: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          explicitHttpConfig: { http2ProtocolOptions: {} },
        },
      },
    };
    await proxy.apply({
      listeners: [httpListener('main', 0, 'routes')],
      routes: [routeConfig('routes', [vhost('all', ['*'], [{ match: { prefix: '/' }, route: { cluster: 'grpcish' } }])])],
      clusters: [edsCluster('grpcish', h2)],
      endpoints: [endpoints('grpcish', [(server.address() as AddressInfo).port])],
    });
  });

  after(async () => {
    await proxy.close();
    server.close();
  });

  it('forwards an HTTP/1.1 request to an h2c upstream', async () => {
    const r = await request(proxy.port('main'), { path: '/svc/Method', headers: { host: 'svc.ns:50051' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { protocol: '2.0', path: '/svc/Method', host: 'svc.ns:50051' });
  });
});

describe("use_downstream_protocol_config (Istio's sniffed ports, DestinationRule useClientProtocol)", () => {
  let proxy: TestProxy;
  let server: net.Server;
  const h2 = http2.createServer((req, res) => res.end(JSON.stringify({ protocol: req.httpVersion })));

  before(async () => {
    // One upstream that speaks both, told apart by the HTTP/2 preface (allowHTTP1 only works over TLS). An
    // HTTP/1.1 request is answered by hand with the version from its request line.
    server = net.createServer((socket) =>
      socket.once('data', (first) => {
        if (first.subarray(0, 3).toString() === 'PRI') {
          socket.pause();
          socket.unshift(first);
          h2.emit('connection', socket);
          return;
        }
        const version = /^[A-Z]+ \S+ HTTP\/(\d\.\d)\r\n/.exec(first.toString('latin1'))?.[1] ?? 'unknown';
        const body = JSON.stringify({ protocol: version });
        socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    proxy = await startTestProxy();
    const downstream = {
      typedExtensionProtocolOptions: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          useDownstreamProtocolConfig: { httpProtocolOptions: {}, http2ProtocolOptions: {} },
        },
      },
    };
    await proxy.apply({
      listeners: [httpListener('main', 0, 'routes', { codecType: 'AUTO' })],
      routes: [routeConfig('routes', [vhost('all', ['*'], [{ match: { prefix: '/' }, route: { cluster: 'sniffed' } }])])],
      clusters: [edsCluster('sniffed', downstream)],
      endpoints: [endpoints('sniffed', [(server.address() as AddressInfo).port])],
    });
  });

  after(async () => {
    await proxy.close();
    server.close();
  });

  it('sends an HTTP/1.1 request upstream as HTTP/1.1', async () => {
    const r = await request(proxy.port('main'), { path: '/' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { protocol: '1.1' });
  });

  it('sends an HTTP/2 request upstream as HTTP/2 (a gRPC client on an unnamed port keeps HTTP/2 end to end)', async () => {
    const session = http2.connect(`http://127.0.0.1:${proxy.port('main')}`);
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const req = session.request({ ':path': '/' });
        let b = '';
        req.setEncoding('utf8').on('data', (d) => (b += d));
        req.on('end', () => resolve(b));
        req.on('error', reject);
      });
      assert.deepEqual(JSON.parse(body), { protocol: '2.0' });
    } finally {
      session.close();
    }
  });
});

describe('an HTTP/2 upstream that refuses a stream (RST_STREAM REFUSED_STREAM): the retry policy decides', () => {
  let proxy: TestProxy;
  let server: http2.Http2Server;
  // Streams the upstream saw, by the test's request id; the first of each id is refused.
  const seen = new Map<string, number>();

  before(async () => {
    server = http2.createServer();
    server.on('stream', (stream, headers) => {
      const id = String(headers['x-test-id']);
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      if (n === 1) {
        // Node reports a stream closed with an error code as an 'error' on the server's own stream too.
        stream.on('error', () => {});
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      stream.respond({ ':status': 200 });
      stream.end(`served on stream ${n}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    proxy = await startTestProxy({ random: () => 0 });
    const h2 = {
      typedExtensionProtocolOptions: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          explicitHttpConfig: { http2ProtocolOptions: {} },
        },
      },
    };
    const retry = (on: string) => ({ retryOn: on, numRetries: { value: 2 }, retryBackOff: { baseInterval: { nanos: 1_000_000 } } });
    await proxy.apply({
      listeners: [httpListener('main', 0, 'routes')],
      routes: [
        routeConfig('routes', [
          vhost('all', ['*'], [
            { match: { prefix: '/refused-stream' }, route: { cluster: 'h2', retryPolicy: retry('refused-stream') } },
            { match: { prefix: '/reset' }, route: { cluster: 'h2', retryPolicy: retry('reset') } },
            { match: { prefix: '/retriable-4xx' }, route: { cluster: 'h2', retryPolicy: retry('retriable-4xx') } },
            { match: { prefix: '/none' }, route: { cluster: 'h2' } },
          ]),
        ]),
      ],
      clusters: [edsCluster('h2', h2)],
      endpoints: [endpoints('h2', [(server.address() as AddressInfo).port])],
    });
  });

  after(async () => {
    await proxy.close();
    server.close();
  });

  for (const [path, method] of [
    ['/refused-stream', 'GET'],
    ['/refused-stream', 'POST'],
    ['/reset', 'GET'],
  ] as const) {
    it(`retryOn ${path.slice(1)}: a ${method} refused once is retried and answered 200`, async () => {
      const id = `${path}-${method}`;
      const r = await request(proxy.port('main'), { path, method, headers: { 'x-test-id': id }, body: method === 'POST' ? 'payload' : undefined });
      assert.equal(r.status, 200);
      assert.equal(r.body, 'served on stream 2');
      assert.equal(seen.get(id), 2);
    });
  }

  it('retryOn retriable-4xx or no retry policy: the refused stream is not re-sent; 503 "remote refused stream reset" with flag UR', async () => {
    for (const path of ['/retriable-4xx', '/none']) {
      const r = await request(proxy.port('main'), { path, headers: { 'x-test-id': path } });
      assert.equal(r.status, 503, path);
      assert.equal(r.body, 'upstream connect error or disconnect/reset before headers. reset reason: remote refused stream reset', path);
      assert.equal(seen.get(path), 1, `${path}: the upstream saw the request once`);
    }
    assert.equal(proxy.proxy.stats.cluster('h2').rqRetry, 3, 'only the three retriable refusals were retried');
  });
});
