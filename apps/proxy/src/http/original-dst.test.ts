// ORIGINAL_DST clusters pick the downstream connection's original destination
// (restored by the original_dst listener filter), as Envoy does: the request's
// Host says nothing about where a captured connection was going.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { H1Server } from './h1-server.ts';
import { Exchange, onDownstreamSocketClose, type ActiveHttpConfig, type ExchangeContext } from './exchange.ts';
import { HcmConfig } from '../config/hcm-config.ts';
import { setOriginalDestination } from '../listener/original-destination.ts';
import { request, ROUTER, startTestProxy, startUpstream, type TestProxy, type Upstream } from '../test-fixtures.ts';

describe('ORIGINAL_DST clusters and the restored destination', () => {
  let proxy: TestProxy;
  let captured: Upstream;
  let other: Upstream;
  let h1: H1Server;
  let front: net.Server;
  let port: number;

  before(async () => {
    captured = await startUpstream('captured');
    other = await startUpstream('other');
    // The cluster manager of a real proxy holds the ORIGINAL_DST cluster.
    proxy = await startTestProxy();
    await proxy.apply({
      listeners: [],
      routes: [],
      clusters: [{ name: 'PassthroughCluster', type: 'ORIGINAL_DST', lbPolicy: 'CLUSTER_PROVIDED', connectTimeout: { seconds: 1 } }],
      endpoints: [],
    });
    const hcm = new HcmConfig(
      {
        statPrefix: 'odst',
        routeConfig: { name: 'r', virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'PassthroughCluster' } }] }] },
        httpFilters: [ROUTER],
      } as never,
      'hcm',
    );
    const cfg: ActiveHttpConfig = { hcm, routes: hcm.inlineRoutes!, stats: proxy.proxy.stats.httpPrefix('odst'), accessLog: undefined };
    const ctx: ExchangeContext = { listenerName: 'odst', clusters: proxy.proxy.clusters, random: Math.random, draining: false };
    h1 = new H1Server((req, res) => new Exchange(ctx, cfg, req, res).start());
    // A capturing listener: the original_dst filter restored where the connection was going (the 'captured' upstream).
    front = net.createServer((socket) => {
      setOriginalDestination(socket, { address: '127.0.0.1', port: captured.port });
      socket.on('close', onDownstreamSocketClose);
      h1.net.emit('connection', socket);
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    port = (front.address() as AddressInfo).port;
  });

  after(async () => {
    front.close();
    for (const c of h1.connections) c.socket.destroy();
    await proxy.close();
    await Promise.all([captured.close(), other.close()]);
  });

  it('sends the request to the restored original destination, whatever its Host says', async () => {
    const r = await request(port, { path: '/where', headers: { host: `127.0.0.1:${other.port}` } });
    assert.equal(r.status, 200);
    assert.equal(r.json().upstream, 'captured');
    assert.equal(r.json().headers.host, `127.0.0.1:${other.port}`);
  });
});
