import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { edsCluster, endpoints, startTestProxy, type TestProxy } from '../test-fixtures.ts';

describe('TCP proxy listeners', () => {
  let proxy: TestProxy;
  let echo: net.Server;

  before(async () => {
    echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    proxy = await startTestProxy();
    await proxy.apply({
      listeners: [
        {
          name: 'tcp',
          address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
          filterChains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', statPrefix: 'tcp', cluster: 'echo' } }] }],
        },
      ],
      clusters: [edsCluster('echo')],
      endpoints: [endpoints('echo', [(echo.address() as net.AddressInfo).port])],
    });
  });

  after(async () => {
    await proxy.close();
    echo.close();
  });

  it('pipes bytes both ways to a host of the cluster', async () => {
    const s = net.connect(proxy.port('tcp'), '127.0.0.1');
    s.write('ping over tcp');
    const got = await new Promise<string>((resolve) => s.once('data', (d) => resolve(d.toString())));
    s.destroy();
    assert.equal(got, 'ping over tcp');
  });
});
