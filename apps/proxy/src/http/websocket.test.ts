// WebSocket upgrades through the proxy: Node's WebSocket client, an upstream
// that does the RFC 6455 handshake by hand on node:http's 'upgrade' event and
// echoes frames. Upgrades are allowed by the HCM's upgrade_configs (as Istio
// sets on every HCM), overridden per route, refused with 403 otherwise (as
// Envoy does); a non-101 answer is an ordinary response; an idle tunnel closes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { waitFor } from '@mesh/testing';
import { normalize } from '@mesh/xds';
import { ROUTER, edsCluster, endpoints, httpListener, routeConfig, startTestProxy, vhost, type TestProxy } from '../test-fixtures.ts';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** One unmasked text frame (server to client), payload under 126 bytes. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
}

/** Reads masked client frames (small ones) out of `buf`; returns [opcode, text] pairs and the bytes left. */
function clientFrames(buf: Buffer): { frames: Array<[number, string]>; rest: Buffer } {
  const frames: Array<[number, string]> = [];
  let pos = 0;
  while (buf.length - pos >= 6) {
    const opcode = buf[pos] & 0x0f;
    const len = buf[pos + 1] & 0x7f;
    if (len >= 126 || buf.length - pos < 6 + len) break;
    const mask = buf.subarray(pos + 2, pos + 6);
    const payload = Buffer.from(buf.subarray(pos + 6, pos + 6 + len));
    for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
    frames.push([opcode, payload.toString()]);
    pos += 6 + len;
  }
  return { frames, rest: buf.subarray(pos) };
}

function rawRequest(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(head));
    let data = '';
    s.setEncoding('latin1');
    const done = () => {
      s.destroy();
      resolve(data);
    };
    s.on('data', (d: string) => {
      data += d;
      // One response, framed by its Content-Length (the connection may stay open).
      const end = data.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)\r\n/i.exec(data);
      if (end >= 0 && length !== null && data.length >= end + 4 + Number(length[1])) done();
    });
    s.on('end', done);
    s.on('error', reject);
  });
}

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.addEventListener('open', () => resolve(ws), { once: true });
    ws.addEventListener('error', () => reject(new Error('websocket failed to open')), { once: true });
  });
}

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => ws.addEventListener('message', (e) => resolve(String(e.data)), { once: true }));
}

describe('WebSocket upgrades through the proxy', () => {
  let proxy: TestProxy;
  let upstream: http.Server;
  let upstreamPort: number;
  const upstreamSockets = new Set<net.Socket>();
  const seenHeaders: http.IncomingHttpHeaders[] = [];

  before(async () => {
    upstream = http.createServer((req, res) => {
      // A plain request (or an upgrade the server declines): an ordinary response.
      res.writeHead(404, { 'content-type': 'text/plain', 'content-length': '9' });
      res.end('no socket');
    });
    upstream.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
      seenHeaders.push(req.headers);
      if (req.url === '/declined') {
        socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 8\r\ncontent-type: text/plain\r\n\r\ndeclined');
        return;
      }
      upstreamSockets.add(socket);
      socket.once('close', () => upstreamSockets.delete(socket));
      const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}${GUID}`).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      let pending: Buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        const { frames, rest } = clientFrames(Buffer.concat([pending, chunk]));
        pending = rest;
        for (const [opcode, text] of frames) {
          if (opcode === 8) socket.end(Buffer.from([0x88, 0])); // close
          else if (opcode === 1) socket.write(textFrame(`echo:${text}`));
        }
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamPort = (upstream.address() as AddressInfo).port;
    proxy = await startTestProxy();
    const routes = (name: string) =>
      routeConfig(name, [
        vhost('all', ['*'], [
          { match: { prefix: '/no-ws' }, route: { cluster: 'ws', upgradeConfigs: [{ upgradeType: 'websocket', enabled: { value: false } }] } },
          { match: { prefix: '/' }, route: { cluster: 'ws' } },
        ]),
      ]);
    await proxy.apply({
      listeners: [
        httpListener('ws', 0, 'ws-routes', { upgradeConfigs: [{ upgradeType: 'websocket' }] }),
        httpListener('plain', 0, 'plain-routes'),
        httpListener('idle', 0, 'ws-routes', { upgradeConfigs: [{ upgradeType: 'websocket' }], streamIdleTimeout: { nanos: 300_000_000 } }),
        normalize(
          'envoy.config.listener.v3.Listener',
          httpListener('cors', 0, 'cors-routes', { upgradeConfigs: [{ upgradeType: 'websocket' }], httpFilters: [{ name: 'envoy.filters.http.cors', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' } }, ROUTER] }),
        ),
      ],
      routes: [
        routes('ws-routes'),
        normalize(
          'envoy.config.route.v3.RouteConfiguration',
          routeConfig('cors-routes', [
            vhost('all', ['*'], [
              {
                match: { prefix: '/' },
                route: { cluster: 'ws' },
                responseHeadersToAdd: [{ header: { key: 'x-route', value: 'ws' } }],
                typedPerFilterConfig: { 'envoy.filters.http.cors': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy', allowOriginStringMatch: [{ exact: 'https://app.example' }], exposeHeaders: 'x-route' } },
              },
            ]),
          ]),
        ),
        routeConfig('plain-routes', [vhost('all', ['*'], [{ match: { prefix: '/x' }, route: { cluster: 'ws' } }, { match: { prefix: '/' }, route: { cluster: 'ws', upgradeConfigs: [{ upgradeType: 'websocket' }] } }])])],
      clusters: [edsCluster('ws')],
      endpoints: [endpoints('ws', [upstreamPort])],
    });
  });

  after(async () => {
    await proxy.close();
    for (const s of upstreamSockets) s.destroy();
    await new Promise<void>((r) => upstream.close(() => r()));
  });

  it('a WebSocket handshake and messages both ways through the tunnel', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${proxy.port('ws')}/chat`);
    try {
      const answer = nextMessage(ws);
      ws.send('hello');
      assert.equal(await answer, 'echo:hello');
      const second = nextMessage(ws);
      ws.send('again');
      assert.equal(await second, 'echo:again');
      const seen = seenHeaders.at(-1)!;
      assert.equal(seen.upgrade, 'websocket');
      assert.match(String(seen.connection), /upgrade/i);
      assert.ok(seen['x-request-id'], 'the upgrade request is an ordinary proxied request otherwise');
    } finally {
      const closed = once(ws, 'close');
      ws.close();
      await closed;
    }
  });

  it('the 101 passes the response filters: CORS headers for an allowed origin, route response headers', async () => {
    const head = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(proxy.port('cors'), '127.0.0.1', () =>
        socket.write('GET /chat HTTP/1.1\r\nHost: app\r\nOrigin: https://app.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'),
      );
      let data = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => {
        data += d;
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.destroy();
        resolve(data.slice(0, end + 2).toLowerCase());
      });
      socket.on('error', reject);
    });
    assert.match(head, /^http\/1\.1 101 /);
    assert.match(head, /\r\naccess-control-allow-origin: https:\/\/app\.example\r\n/);
    assert.match(head, /\r\naccess-control-expose-headers: x-route\r\n/);
    assert.match(head, /\r\nx-route: ws\r\n/);
    assert.match(head, /\r\nupgrade: websocket\r\n/);
    assert.doesNotMatch(head, /connection: close/);
  });

  it('the access log and stats see a 101', async () => {
    const before = proxy.proxy.stats.httpPrefix('ws').rqClass[1];
    const ws = await openSocket(`ws://127.0.0.1:${proxy.port('ws')}/count`);
    const closed = once(ws, 'close');
    ws.close();
    await closed;
    await waitFor('the exchange to finish', () => proxy.proxy.stats.httpPrefix('ws').rqClass[1] > before);
    assert.equal(proxy.proxy.stats.httpPrefix('ws').rqClass[1], before + 1);
  });

  it('an upgrade the connection manager does not allow is refused with 403', async () => {
    // The 'plain' listener's HCM has no upgrade_configs; its '/x' route says nothing either.
    const reply = await rawRequest(proxy.port('plain'), 'GET /x HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    assert.match(reply, /^HTTP\/1\.1 403 /);
  });

  it('a route can enable an upgrade the connection manager does not, and disable one it does', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${proxy.port('plain')}/routed`);
    const answer = nextMessage(ws);
    ws.send('route-level');
    assert.equal(await answer, 'echo:route-level');
    const closed = once(ws, 'close');
    ws.close();
    await closed;
    const reply = await rawRequest(proxy.port('ws'), 'GET /no-ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    assert.match(reply, /^HTTP\/1\.1 403 /);
  });

  it('an upstream that answers the upgrade with something else: an ordinary response', async () => {
    const reply = await rawRequest(proxy.port('ws'), 'GET /declined HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    assert.match(reply, /^HTTP\/1\.1 400 /);
    assert.match(reply, /\r\n\r\ndeclined$/);
  });

  it('Upgrade: h2c is not an upgrade: the request is served as HTTP/1.1', async () => {
    const reply = await rawRequest(proxy.port('plain'), 'GET /x HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\nConnection: close\r\n\r\n');
    assert.match(reply, /^HTTP\/1\.1 404 /);
    assert.match(reply, /no socket$/);
  });

  it('a tunnel with no traffic either way closes after the stream idle timeout', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${proxy.port('idle')}/quiet`);
    const started = Date.now();
    await once(ws, 'close');
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 5_000, `closed after ${took} ms`);
  });
});
