// The HTTP/1.1 codec on raw sockets: what it accepts, what it refuses, and framing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { waitFor } from '@mesh/testing';
import { H1Server, type H1Request, type H1Response } from './h1-server.ts';

/** Sends raw bytes, returns everything the server wrote until it closed or `until` matched. */
function exchange(port: number, raw: string, until?: RegExp, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, timeoutMs);
    s.setEncoding('latin1');
    s.on('data', (d) => {
      out += d;
      if (until && until.test(out)) done();
    });
    s.on('end', done);
    s.on('error', reject);
    s.write(raw);
  });
}

describe('HTTP/1.1 server codec', () => {
  let server: H1Server;
  let port: number;
  const seen: H1Request[] = [];

  before(async () => {
    server = new H1Server(async (req: H1Request, res: H1Response) => {
      seen.push(req);
      const body = req.body();
      let text = '';
      try {
        if (body) for await (const c of body) text += c;
      } catch {
        return; // a malformed body: the codec has answered 400 already
      }
      if (req.url === '/chunked-response') {
        res.writeHead(200, ['content-type', 'text/plain']);
        res.write(Buffer.from('hello '));
        res.end(Buffer.from('world'));
        return;
      }
      const payload = Buffer.from(JSON.stringify({ method: req.method, url: req.url, version: req.httpVersion, headers: req.headers, body: text }));
      res.writeHead(200, ['content-type', 'application/json', 'content-length', String(payload.length)]);
      res.end(payload);
    }, { acceptHttp10: true, defaultHostForHttp10: 'legacy.example' });
    await new Promise<void>((r) => server.net.listen(0, '127.0.0.1', r));
    port = server.address().port;
  });

  after(() => {
    for (const c of server.connections) c.socket.destroy();
    server.net.close();
  });

  const json = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));

  it('parses a request with lower-cased headers and joined duplicates', async () => {
    const out = await exchange(port, 'GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Multi: 1\r\nx-multi: 2\r\nCookie: a=1\r\nCookie: b=2\r\nConnection: close\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 200 OK\r\n/);
    const r = json(out);
    assert.equal(r.url, '/a?b=1');
    assert.equal(r.headers['x-multi'], '1, 2');
    assert.equal(r.headers.cookie, 'a=1; b=2');
    assert.match(out, /\r\nconnection: close\r\n/);
    assert.match(out, /\r\ndate: /);
  });

  it('reads Content-Length and chunked request bodies', async () => {
    const a = json(await exchange(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello'));
    assert.equal(a.body, 'hello');
    const b = json(await exchange(port, 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n'));
    assert.equal(b.body, 'hello world');
  });

  it('answers pipelined requests in order on one connection', async () => {
    const out = await exchange(port, 'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const urls = [...out.matchAll(/"url":"(\/\d)"/g)].map((m) => m[1]);
    assert.deepEqual(urls, ['/1', '/2', '/3']);
  });

  it('frames a response without a length as chunked', async () => {
    const out = await exchange(port, 'GET /chunked-response HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(out, /transfer-encoding: chunked\r\n(connection: close\r\n)?\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n$/);
  });

  it('closes an HTTP/1.0 connection unless keep-alive is asked for', async () => {
    const out = await exchange(port, 'GET /old HTTP/1.0\r\n\r\n');
    assert.equal(json(out).version, '1.0');
    assert.equal(json(out).headers.host, 'legacy.example', 'default_host_for_http_10');
    assert.match(out, /connection: close/);
    const ka = await exchange(port, 'GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', /\}$/);
    assert.match(ka, /connection: keep-alive/);
  });

  it('sends 100 Continue when the client expects it', async () => {
    const out = await exchange(port, 'POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
    assert.match(out, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
  });

  for (const [name, raw, status] of [
    ['Content-Length and Transfer-Encoding together', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
    ['two different Content-Length values', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 400],
    ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
    ['a missing Host in HTTP/1.1', 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n', 400],
    ['obsolete line folding', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  continued\r\n\r\n', 400],
    ['a space before the colon', 'GET / HTTP/1.1\r\nHost : x\r\n\r\n', 400],
    ['a control character in a value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n', 400],
    ['a bad chunk size', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
    ['an unknown transfer coding', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', 501],
    ['chunked not last', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', 400],
    ['an invalid Host', 'GET / HTTP/1.1\r\nHost: a@b\r\n\r\n', 400],
    ['101 header lines', `GET / HTTP/1.1\r\nHost: x\r\n${'X-A: 1\r\n'.repeat(100)}\r\n`, 431],
    ['an unsupported HTTP version', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505],
    ['a bad request line', 'GET/HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ] as const) {
    it(`refuses ${name} with ${status} and closes`, async () => {
      const before = seen.length;
      const out = await exchange(port, raw);
      assert.match(out, new RegExp(`^HTTP/1\\.1 ${status} `));
      assert.match(out, /connection: close/);
      if (!name.includes('chunk size')) assert.equal(seen.length, before, 'the request never reached the handler');
    });
  }

  it('refuses a request head over the size limit with 431', async () => {
    const out = await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`);
    assert.match(out, /^HTTP\/1\.1 431 /);
  });
});

/** Resolves when `s` closes; with what it received. */
function closed(s: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (out += d));
    s.on('error', () => {});
    s.once('close', () => resolve(out));
  });
}

async function connect(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => s.once('connect', resolve));
  return s;
}

describe('HTTP/1.1 server codec: bounds, timeouts, ownership', () => {
  let server: H1Server;
  let port: number;
  let mode: 'never' | 'throw' | 'big' | 'read-then-answer' = 'never';
  const errors: unknown[] = [];
  const writable: number[] = [];
  let uncaught = 0;
  const onUncaught = () => uncaught++;

  before(async () => {
    process.on('uncaughtException', onUncaught);
    server = new H1Server(
      (req, res) => {
        if (mode === 'throw') throw new Error('handler bug');
        if (mode === 'big') {
          writable.push(req.socket.writableLength);
          res.writeHead(200, ['content-length', String(64 * 1024)]);
          res.end(Buffer.alloc(64 * 1024, 'x'));
          return;
        }
        if (mode === 'read-then-answer') {
          req.body()?.resume();
          return; // answered by the stream idle timeout
        }
        // 'never': the response never comes (and nobody reads the body)
      },
      {
        headTimeoutMs: 300,
        keepAliveTimeoutMs: 300,
        streamIdleTimeoutMs: 300,
        closeGraceMs: 100,
        bufferLimitBytes: 64 * 1024,
        maxConnections: 4,
        onHandlerError: (err) => errors.push(err),
      },
    );
    await new Promise<void>((r) => server.net.listen(0, '127.0.0.1', r));
    port = server.address().port;
  });

  after(() => {
    process.off('uncaughtException', onUncaught);
    for (const c of server.connections) c.socket.destroy();
    server.net.close();
    assert.equal(uncaught, 0, 'no uncaught exception');
  });

  it('a request head that never completes gets 408 from the codec bound (no request_headers_timeout set)', async () => {
    const s = await connect(port);
    const done = closed(s);
    s.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const out = await done;
    assert.match(out, /^HTTP\/1\.1 408 /);
    assert.ok(server.stats.rqHeaderTimeout >= 1);
  });

  it('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const before = server.stats.cxIdleTimeout;
    const s = await connect(port);
    assert.equal(await closed(s), '');
    assert.equal(server.stats.cxIdleTimeout, before + 1);
  });

  it('no bytes on an active stream: 504 stream timeout when the request is complete, 408 while its body is coming', async () => {
    mode = 'never';
    let s = await connect(port);
    let done = closed(s);
    s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(await done, /^HTTP\/1\.1 504 [\s\S]*stream timeout$/);
    mode = 'read-then-answer';
    s = await connect(port);
    done = closed(s);
    s.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
    assert.match(await done, /^HTTP\/1\.1 408 [\s\S]*stream timeout$/);
  });

  it('pipelined bytes while a response is pending stop being read at the buffer limit', async () => {
    mode = 'never';
    const pausedBefore = server.stats.flowControlPausedReading;
    const s = await connect(port);
    s.on('error', () => {});
    const chunk = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(1000));
    for (let i = 0; i < 40; i++) s.write(chunk); // ~1 MB, far over the 64 KiB limit
    await waitFor('the connection to pause', () => server.stats.flowControlPausedReading > pausedBefore);
    const conn = [...server.connections].find((c) => c.socket.remotePort === s.localPort)!;
    assert.ok(conn.bufferedBytes <= 64 * 1024 + 64 * 1024, `held ${conn.bufferedBytes} bytes`); // the limit + one socket read
    assert.ok(conn.socket.isPaused());
    s.destroy();
  });

  it('a client pipelining without reading its responses: the codec stops answering until they drain', async () => {
    mode = 'big';
    writable.length = 0;
    const pausedBefore = server.stats.flowControlPausedReading;
    const s = await connect(port);
    s.on('error', () => {});
    s.pause(); // never reads
    s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(2000));
    await waitFor('the connection to pause', () => server.stats.flowControlPausedReading > pausedBefore);
    assert.ok(writable.length < 2000, 'not every request was answered into an unread socket');
    assert.ok(Math.max(...writable) <= 64 * 1024 + 64 * 1024 + 1024, `up to ${Math.max(...writable)} bytes queued`);
    s.destroy();
  });

  it('a handler that throws: 500, reported, counted, the server keeps serving', async () => {
    mode = 'throw';
    const s = await connect(port);
    const done = closed(s);
    s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(await done, /^HTTP\/1\.1 500 /);
    assert.equal((errors.at(-1) as Error).message, 'handler bug');
    assert.ok(server.stats.handlerErrors >= 1);
  });

  it('a request body destroyed with nobody reading it does not throw out of the process', async () => {
    mode = 'never';
    let req: H1Request | undefined;
    const got = new Promise<void>((resolve) => {
      const prev = server.handler;
      server.handler = (r, res) => {
        req = r as H1Request;
        r.body(); // made, never read, no 'error' listener of the handler's own
        server.handler = prev;
        resolve();
        void res;
      };
    });
    const s = await connect(port);
    const done = closed(s);
    s.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    await got;
    s.write('zz\r\n');
    assert.match(await done, /^HTTP\/1\.1 400 /);
    assert.ok(req!.error, 'the request knows why it failed');
    await new Promise((r) => setImmediate(r));
    assert.equal(uncaught, 0);
  });

  it('refuses connections over maxConnections by closing them, counted', async () => {
    mode = 'never';
    await waitFor('earlier connections to close', () => server.connections.size === 0);
    const before = server.stats.cxOverflow;
    const held = await Promise.all([connect(port), connect(port), connect(port), connect(port)]);
    const extra = net.connect(port, '127.0.0.1');
    const out = await closed(extra);
    assert.equal(out, '');
    await waitFor('the refusal to be counted', () => server.stats.cxOverflow > before);
    assert.equal(server.stats.cxOverflow, before + 1, `${server.connections.size} connections open`);
    for (const s of held) s.destroy();
    await waitFor('the held connections to close', () => server.connections.size === 0);
  });

  it('HTTP/1.0 is refused with 426 unless accepted', async () => {
    const s = await connect(port);
    const done = closed(s);
    s.write('GET / HTTP/1.0\r\nHost: x\r\n\r\n');
    assert.match(await done, /^HTTP\/1\.1 426 /);
  });

  it('timers are bounded: the sweep stops when the last connection is gone', async () => {
    await waitFor('connections to close', () => server.connections.size === 0);
    const s = await connect(port);
    s.destroy();
    await waitFor('the connection to be forgotten', () => server.connections.size === 0);
  });
});

describe('HTTP/1.1 server codec: body fragments', () => {
  it('a body of thousands of one-byte chunks reaches the reader as a few buffers, not one object per chunk', async () => {
    let pieces = 0;
    let body = '';
    const server = new H1Server(async (req, res) => {
      for await (const c of req.body()!) {
        pieces++;
        body += c;
      }
      res.end(Buffer.from('ok'));
    });
    await new Promise<void>((r) => server.net.listen(0, '127.0.0.1', r));
    try {
      const out = await exchange(server.address().port, `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${'1\r\nx\r\n'.repeat(10_000)}0\r\n\r\n`);
      assert.match(out, /^HTTP\/1\.1 200 /);
      assert.equal(body, 'x'.repeat(10_000));
      assert.ok(pieces < 100, `${pieces} pieces`);
    } finally {
      server.net.close();
    }
  });
});
