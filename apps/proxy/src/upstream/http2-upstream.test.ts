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
