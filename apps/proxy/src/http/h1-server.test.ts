// The HTTP/1.1 codec on raw sockets: what it accepts, what it refuses, and framing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
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
    });
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
