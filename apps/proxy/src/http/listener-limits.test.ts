// The listener manager wires the codec's bounds from the HCM and its own
// defaults: a per-listener connection limit (refused connections counted in
// http.<prefix>.downstream_cx_overflow), header limits and timeouts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { waitFor } from '@mesh/testing';
import { DEFAULT_MAX_CONNECTIONS_PER_LISTENER } from '../listener/listener-manager.ts';
import { DEFAULT_CONNECTION_BUFFER_LIMIT } from '../config/listener-config.ts';
import { edsCluster, endpoints, httpListener, request, routeConfig, startTestProxy, startUpstream, vhost, type TestProxy, type Upstream } from '../test-fixtures.ts';

describe('listener limits', () => {
  let proxy: TestProxy;
  let up: Upstream;
  let port: number;

  before(async () => {
    up = await startUpstream('up');
    proxy = await startTestProxy();
    await proxy.apply({
      listeners: [
        httpListener('main', 0, 'routes', {
          streamIdleTimeout: { seconds: 7 },
          requestHeadersTimeout: { seconds: 3 },
          maxRequestHeadersKb: { value: 8 },
          commonHttpProtocolOptions: { maxHeadersCount: { value: 20 } },
          httpProtocolOptions: { acceptHttp_10: true, defaultHostForHttp_10: 'old.example' },
        }),
      ],
      routes: [routeConfig('routes', [vhost('all', ['*'], [{ match: { prefix: '/' }, route: { cluster: 'up' } }])])],
      clusters: [edsCluster('up')],
      endpoints: [endpoints('up', [up.port])],
    });
    port = proxy.port('main');
  });

  after(async () => {
    await proxy.close();
    await up.close();
  });

  it('takes the codec settings from the HCM and the listener defaults', () => {
    const h1 = proxy.proxy.listeners.listeners.get('main')!.h1!;
    assert.equal(h1.maxConnections, DEFAULT_MAX_CONNECTIONS_PER_LISTENER);
    assert.equal(h1.bufferLimitBytes, DEFAULT_CONNECTION_BUFFER_LIMIT);
    assert.equal(h1.streamIdleTimeoutMs, 7_000);
    assert.equal(h1.requestHeadersTimeoutMs, 3_000);
    assert.equal(h1.maxHeaderBytes, 8 * 1024);
    assert.equal(h1.maxHeadersCount, 20);
    assert.equal(h1.acceptHttp10, true);
    assert.equal(h1.defaultHostForHttp10, 'old.example');
  });

  it('refuses connections over the limit, counts them, and serves again once below it', async () => {
    const h1 = proxy.proxy.listeners.listeners.get('main')!.h1!;
    h1.configure({ maxConnections: 2 });
    try {
      const held = await Promise.all([0, 1].map(() => new Promise<net.Socket>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => resolve(s));
      })));
      await waitFor('both connections accepted', () => h1.connections.size === 2);
      const refused = net.connect(port, '127.0.0.1');
      refused.on('error', () => {});
      await new Promise<void>((resolve) => refused.once('close', () => resolve()));
      const text = proxy.proxy.stats.renderText(proxy.proxy);
      assert.match(text, /^http\.main\.downstream_cx_overflow: 1$/m);
      for (const s of held) s.destroy();
      await waitFor('the held connections to close', () => h1.connections.size === 0);
      assert.equal((await request(port, { path: '/after' })).status, 200);
    } finally {
      h1.configure({ maxConnections: DEFAULT_MAX_CONNECTIONS_PER_LISTENER });
    }
  });
});
