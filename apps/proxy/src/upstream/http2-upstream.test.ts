// Clusters that ask for HTTP/2 (Istio's h2UpgradePolicy / gRPC ports) go through undici over h2c.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
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
