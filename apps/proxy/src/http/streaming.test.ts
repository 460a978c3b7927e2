// Bodies and connection edge cases through the whole proxy: retried bodies,
// chunked and close-delimited upstream responses, clients that go away.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { waitFor } from '@mesh/testing';
import { edsCluster, endpoints, httpListener, request, routeConfig, startTestProxy, startUpstream, vhost, type TestProxy, type Upstream } from '../test-fixtures.ts';

describe('streaming and connection edge cases', () => {
  let proxy: TestProxy;
  let failing: Upstream;
  let echo: Upstream;
  let chunky: Upstream;
  let hanging: Upstream;
  let legacy: net.Server;
  let port: number;
  let hangingClosed = 0;

  before(async () => {
    failing = await startUpstream('failing', (_req, res) => {
      res.writeHead(503, { 'content-length': '4' });
      res.end('nope');
      return true;
    });
    echo = await startUpstream('echo');
    chunky = await startUpstream('chunky', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('one,');
      setTimeout(() => {
        res.write('two,');
        res.end('three');
      }, 20);
      return true;
    });
    hanging = await startUpstream('hanging', (req) => {
      req.socket.once('close', () => hangingClosed++);
      return true; // never answers
    });
    legacy = net.createServer((s) => {
      s.once('data', () => s.end('HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the connection closes'));
    });
    await new Promise<void>((r) => legacy.listen(0, '127.0.0.1', r));
    proxy = await startTestProxy({ random: () => 0 });
    await proxy.apply({
      listeners: [httpListener('main', 0, 'routes')],
      routes: [
        routeConfig('routes', [
          vhost('all', ['*'], [
            { match: { prefix: '/retry-body' }, route: { cluster: 'failing-then-echo', retryPolicy: { retryOn: '5xx', numRetries: { value: 1 }, retryBackOff: { baseInterval: { nanos: 1_000_000 } } } } },
            { match: { prefix: '/chunky' }, route: { cluster: 'chunky' } },
            { match: { prefix: '/legacy' }, route: { cluster: 'legacy' } },
            { match: { prefix: '/hang' }, route: { cluster: 'hanging', timeout: { seconds: 30 } } },
          ]),
        ]),
      ],
      clusters: ['failing-then-echo', 'chunky', 'legacy', 'hanging'].map((n) => edsCluster(n)),
      endpoints: [
        endpoints('failing-then-echo', [failing.port, echo.port]),
        endpoints('chunky', [chunky.port]),
        endpoints('legacy', [(legacy.address() as net.AddressInfo).port]),
        endpoints('hanging', [hanging.port]),
      ],
    });
    port = proxy.port('main');
  });

  after(async () => {
    await proxy.close();
    await Promise.all([failing.close(), echo.close(), chunky.close(), hanging.close()]);
    legacy.close();
  });

  it('sends the whole request body again when it retries', async () => {
    const body = 'payload-'.repeat(10_000);
    const r = await request(port, { path: '/retry-body', method: 'PUT', headers: { 'content-type': 'text/plain' }, body });
    assert.equal(r.status, 200);
    assert.equal(r.json().upstream, 'echo');
    assert.equal(r.json().body, body);
    assert.equal(failing.seen.at(-1)!.body, body, 'the first try got the body too');
  });

  it('relays a chunked upstream response as it streams', async () => {
    const r = await request(port, { path: '/chunky' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'one,two,three');
    assert.equal(r.headers['transfer-encoding'], 'chunked');
  });

  it('relays a close-delimited HTTP/1.0 upstream response', async () => {
    const r = await request(port, { path: '/legacy' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'until the connection closes');
  });

  it('cancels the upstream request when the client goes away', async () => {
    const s = net.connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor('the request to reach the upstream', () => hanging.seen.length > 0 || proxy.proxy.stats.cluster('hanging').rqActive > 0);
    const closedBefore = hangingClosed;
    s.destroy();
    await waitFor('the upstream connection to be cut', () => hangingClosed > closedBefore);
    await waitFor('the request to be counted as a downstream disconnect', () => proxy.proxy.stats.cluster('hanging').istio.get(0)?.get('DC')?.requests === 1);
    assert.equal(proxy.proxy.stats.cluster('hanging').rqActive, 0);
  });
});
