// tls_inspector's ClientHello parser and http_inspector's request-line check:
// a real ClientHello from Node's TLS client, valid hellos split every way,
// and hostile ones, each broken in exactly one place.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { MAX_CLIENT_HELLO_BYTES, parseClientHello } from './tls-client-hello.ts';
import { MAX_HTTP_INSPECT_BYTES, inspectHttp } from './http-inspector.ts';
import { alpnExtension, clientHello, clientHelloMessage, records, serverNameExtension } from './client-hello-builder.ts';

/** The bytes Node's TLS client sends first (its ClientHello), captured by a plain TCP server. */
async function realClientHello(options: tls.ConnectionOptions): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const got = new Promise<Buffer>((resolve) => {
      server.once('connection', (s) => {
        let buf = Buffer.alloc(0);
        s.on('data', (d: Buffer) => {
          buf = Buffer.concat([buf, d]);
          if (parseClientHello(buf).kind !== 'need-more') {
            resolve(buf);
            s.destroy();
          }
        });
      });
    });
    const client = tls.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, rejectUnauthorized: false, ...options });
    client.on('error', () => {});
    const bytes = await got;
    client.destroy();
    return bytes;
  } finally {
    server.close();
  }
}

describe('tls_inspector: ClientHello parsing', () => {
  it("reads SNI and ALPN from Node's real ClientHello, and needs more for every prefix of it", async () => {
    const hello = await realClientHello({ servername: 'reviews.default.svc.cluster.local', ALPNProtocols: ['h2', 'http/1.1'] });
    assert.deepEqual(parseClientHello(hello), { kind: 'tls', serverName: 'reviews.default.svc.cluster.local', alpn: ['h2', 'http/1.1'] });
    for (let n = 0; n < hello.length; n++) {
      const r = parseClientHello(hello.subarray(0, n));
      assert.equal(r.kind, 'need-more', `prefix of ${n} bytes`);
      assert.ok(r.kind === 'need-more' && r.atLeast > n && r.atLeast <= hello.length);
    }
  });

  it('a ClientHello without SNI or ALPN is TLS with neither', async () => {
    const hello = await realClientHello({});
    const r = parseClientHello(hello);
    assert.equal(r.kind, 'tls');
    assert.ok(r.kind === 'tls' && r.serverName === undefined && r.alpn.length === 0);
  });

  it('reassembles a ClientHello split over many records (down to 1 byte each)', () => {
    const msg = clientHelloMessage({ serverName: 'a.example', alpn: ['istio-peer-exchange', 'istio'] });
    for (const split of [[1], [1, 1, 1, 1, 1], [4], [5, 7, 100], Array(msg.length).fill(1)]) {
      const r = parseClientHello(records(msg, split));
      assert.deepEqual(r, { kind: 'tls', serverName: 'a.example', alpn: ['istio-peer-exchange', 'istio'] }, `split ${split.slice(0, 5)}`);
    }
  });

  it('ignores bytes after the ClientHello (the rest of the flight)', () => {
    const r = parseClientHello(Buffer.concat([clientHello({ serverName: 'x.example' }), Buffer.from('trailing application data')]));
    assert.equal(r.kind === 'tls' && r.serverName, 'x.example');
  });

  it('accepts a hello with no extensions at all (TLS 1.0 style)', () => {
    assert.deepEqual(parseClientHello(clientHello({ noExtensions: true })), { kind: 'tls', serverName: undefined, alpn: [] });
  });

  it('reads an ALPN extension built byte by byte', () => {
    assert.deepEqual(parseClientHello(clientHello({ serverName: 's.example', alpnExt: alpnExtension(['h2']) })), { kind: 'tls', serverName: 's.example', alpn: ['h2'] });
  });

  it('skips unknown extensions and unknown server name types', () => {
    const sn = Buffer.concat([Buffer.from([0x00, 0x0f]), Buffer.from([7, 0x00, 0x02, 0x61, 0x62]), Buffer.from([0, 0x00, 0x07]), Buffer.from('b.local')]);
    const r = parseClientHello(clientHello({ serverNameExt: sn, extra: [[0xfe0d, Buffer.alloc(300, 9)]] }));
    assert.equal(r.kind === 'tls' && r.serverName, 'b.local');
  });

  const notTls: Array<[string, Buffer]> = [
    ['plain HTTP', Buffer.from('GET / HTTP/1.1\r\n\r\n')],
    ['an alert record', Buffer.from([0x15, 3, 3, 0, 2, 2, 40])],
    ['record version 2.0', Buffer.from([0x16, 2, 0, 0, 5, 1, 0, 0, 1, 0])],
    ['record version 3.9', clientHello({ recordVersion: [3, 9] })],
    ['a zero-length record', Buffer.from([0x16, 3, 1, 0, 0, 0x16, 3, 1, 0, 4, 1, 0, 0, 0])],
    ['a record over 2^14', Buffer.concat([Buffer.from([0x16, 3, 1, 0x40, 0x01]), Buffer.alloc(16_385)])],
    ['a ServerHello', Buffer.concat([Buffer.from([0x16, 3, 3, 0, 4]), Buffer.from([2, 0, 0, 0])])],
    ['client_version 2.0', clientHello({ clientVersion: [2, 0] })],
    ['a session id of 33 bytes', clientHello({ sessionIdLength: 33 })],
    ['no cipher suites', clientHello({ cipherSuites: 0 })],
    ['no compression method', clientHello({ compressionMethods: 0 })],
    ['SNI with a NUL byte', clientHello({ serverNameExt: serverNameExtension('evil.com\u0000.good.com') })],
    ['SNI with a space', clientHello({ serverNameExt: serverNameExtension('a b.com') })],
    ['SNI with a trailing dot', clientHello({ serverName: 'a.com.' })],
    ['SNI with an empty label', clientHello({ serverName: 'a..com' })],
    ['an empty SNI', clientHello({ serverNameExt: serverNameExtension('') })],
    ['two host names', clientHello({ serverNameExt: Buffer.concat([Buffer.from([0, 12]), Buffer.from([0, 0, 3]), Buffer.from('a.b'), Buffer.from([0, 0, 3]), Buffer.from('c.d')]) })],
    ['an empty server_name_list', clientHello({ serverNameExt: Buffer.from([0, 0]) })],
    ['a server name longer than its list', clientHello({ serverNameExt: Buffer.from([0, 5, 0, 0, 9, 0x61, 0x62]) })],
    ['bytes after the server_name_list', clientHello({ serverNameExt: Buffer.concat([serverNameExtension('a.b'), Buffer.from([0])]) })],
    ['an empty ALPN protocol', clientHello({ alpnExt: Buffer.from([0, 3, 2, 0x68, 0x32, 0]) })],
    ['an empty ALPN list', clientHello({ alpnExt: Buffer.from([0, 0]) })],
    ['an ALPN name longer than its list', clientHello({ alpnExt: Buffer.from([0, 3, 9, 0x68, 0x32]) })],
    ['the same extension twice', clientHello({ serverName: 'a.b', extra: [[0, serverNameExtension('c.d')]] })],
    ['an extension longer than the extensions block', clientHello({ extra: [[0x1234, Buffer.alloc(4)]] }).subarray(0, -1)],
  ];

  it('says "not TLS" (never throws) for each malformed hello', () => {
    for (const [what, bytes] of notTls) {
      let r: ReturnType<typeof parseClientHello>;
      assert.doesNotThrow(() => (r = parseClientHello(bytes)), what);
      if (what === 'an extension longer than the extensions block') {
        // Truncated: the record says more is coming, so it is a valid prefix.
        assert.equal(r!.kind, 'need-more', what);
        continue;
      }
      assert.equal(r!.kind, 'not-tls', what);
    }
  });

  it('a length field that lies about the message is caught where the message ends', () => {
    const msg = clientHelloMessage({ serverName: 'a.example' });
    // Handshake length one byte short of the body: the body parse runs out inside the extensions.
    const short = Buffer.from(msg);
    short.writeUIntBE(msg.length - 5, 1, 3);
    assert.equal(parseClientHello(records(short)).kind, 'not-tls');
  });

  it(`refuses a ClientHello larger than ${MAX_CLIENT_HELLO_BYTES} bytes as soon as its length says so`, () => {
    const big = clientHelloMessage({ extra: [[0x1234, Buffer.alloc(MAX_CLIENT_HELLO_BYTES, 1)]] });
    assert.deepEqual(parseClientHello(records(big).subarray(0, 9)), { kind: 'too-large' });
    // Just under the bound is fine.
    const fits = clientHelloMessage({ serverName: 'fits.example', extra: [[0x1234, Buffer.alloc(MAX_CLIENT_HELLO_BYTES - 200, 1)]] });
    assert.ok(fits.length <= MAX_CLIENT_HELLO_BYTES);
    assert.equal(parseClientHello(records(fits)).kind, 'tls');
  });
});

describe('http_inspector: protocol detection', () => {
  it('detects HTTP/1.1, HTTP/1.0 and the h2c preface, and needs more for their prefixes', () => {
    const cases: Array<[string, string]> = [
      ['GET /a?b=c HTTP/1.1\r\nHost: x\r\n\r\n', 'http/1.1'],
      ['POST http://x.example/ HTTP/1.0\r\n', 'http/1.0'],
      ['OPTIONS * HTTP/1.1\r\n', 'http/1.1'],
      ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'h2c'],
    ];
    for (const [text, protocol] of cases) {
      const b = Buffer.from(text, 'latin1');
      assert.deepEqual(inspectHttp(b), { kind: 'http', protocol }, text);
      const end = protocol === 'h2c' ? b.length : b.indexOf('\n') + 1;
      for (let n = 0; n < end; n++) assert.equal(inspectHttp(b.subarray(0, n)).kind, 'need-more', `${JSON.stringify(text)} cut at ${n}`);
    }
  });

  it('says "not HTTP" for anything else', () => {
    for (const text of ['\u0016\u0003\u0001', 'SSH-2.0-OpenSSH\r\n', ' GET / HTTP/1.1\r\n', 'GET  / HTTP/1.1\r\n', 'GET / HTTP/2.0\r\n', 'GET / HTTP/1.1\n', 'GET /\u0000 HTTP/1.1\r\n', 'GE(T / HTTP/1.1\r\n', 'PRI * HTTP/2.0\r\n\r\nXX']) {
      assert.equal(inspectHttp(Buffer.from(text, 'latin1')).kind, 'not-http', JSON.stringify(text));
    }
  });

  it(`gives up on a request line longer than ${MAX_HTTP_INSPECT_BYTES} bytes`, () => {
    assert.equal(inspectHttp(Buffer.from(`GET /${'a'.repeat(MAX_HTTP_INSPECT_BYTES)} HTTP/1.1\r\n`)).kind, 'not-http');
    assert.equal(inspectHttp(Buffer.from('G'.repeat(MAX_HTTP_INSPECT_BYTES + 10))).kind, 'not-http');
  });
});
