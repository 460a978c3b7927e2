// Inbound mutual TLS over real sockets: PERMISSIVE (TLS with Istio's ALPN and
// plaintext side by side), STRICT (TLS only), the verified client identity in
// XFCC, openssl s_client, certificate rotation and secrets that are not there.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { waitFor } from '@mesh/testing';
import { exchange, startHarness, staticCluster, type Harness } from './listener-test-harness.ts';
import { DEFAULT_SECRET, ISTIO_ALPN, ROOTCA_SECRET, TestSecrets, downstreamTls, testCa, type Leaf, type TestCa } from './testing/tls-fixtures.ts';
import { connectionInfo } from './connection-info.ts';

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const SERVER_ID = 'spiffe://cluster.local/ns/default/sa/productpage';
const CLIENT_ID = 'spiffe://cluster.local/ns/default/sa/sleep';

/** An inbound HTTP connection manager as Istio writes it (XFCC APPEND_FORWARD with subject, dns, uri). */
function inboundHcm(cluster: string): object {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typedConfig: {
      '@type': HCM_TYPE,
      statPrefix: 'inbound_0.0.0.0_9080',
      forwardClientCertDetails: 'APPEND_FORWARD',
      setCurrentClientCertDetails: { subject: { value: true }, dns: true, uri: true },
      routeConfig: { name: 'inbound', virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }] },
      httpFilters: [{ name: 'envoy.filters.http.router', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
    },
  };
}

const TLS_INSPECTOR = { name: 'envoy.filters.listener.tls_inspector', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } };
const HTTP_INSPECTOR = { name: 'envoy.filters.listener.http_inspector', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector' } };

function inboundListener(name: string, mode: 'PERMISSIVE' | 'STRICT', cluster: string): object {
  const tlsChain = {
    name: 'tls',
    filterChainMatch: mode === 'PERMISSIVE' ? { transportProtocol: 'tls', applicationProtocols: ISTIO_ALPN } : { transportProtocol: 'tls' },
    transportSocket: downstreamTls({ alpn: ['h2', 'http/1.1'] }),
    filters: [inboundHcm(cluster)],
  };
  const plainChain = { name: 'plaintext', filterChainMatch: { transportProtocol: 'raw_buffer' }, filters: [inboundHcm(cluster)] };
  return {
    name,
    address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
    statPrefix: name,
    listenerFilters: [TLS_INSPECTOR, HTTP_INSPECTOR],
    filterChains: mode === 'PERMISSIVE' ? [tlsChain, plainChain] : [tlsChain],
  };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The request headers the app saw. */
  seen: Record<string, string>;
  alpn: string | false | null;
  serverCert: X509Certificate | undefined;
}

/** A GET over TLS (a fresh connection, or the one `agent` keeps) with Istio's client ALPN. */
function tlsGet(port: number, opts: { ca: string; client?: Leaf; alpn?: string[]; headers?: Record<string, string>; agent?: http.Agent }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const fresh = () =>
      tls.connect({
        host: '127.0.0.1',
        port,
        ca: opts.ca,
        ...(opts.client ? { cert: opts.client.cert, key: opts.client.key } : {}),
        ALPNProtocols: opts.alpn ?? ['istio-peer-exchange', 'istio', 'istio-http/1.1', 'http/1.1'],
        checkServerIdentity: () => undefined,
      });
    let agent = opts.agent;
    if (agent === undefined) {
      agent = new http.Agent({ keepAlive: false });
      agent.createConnection = fresh as never;
    }
    const req = http.request({ host: '127.0.0.1', port, path: '/', headers: opts.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      const socket = res.socket as tls.TLSSocket;
      const alpn = socket.alpnProtocol;
      const serverCert = socket.getPeerX509Certificate();
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          seen: res.statusCode === 200 ? (JSON.parse(body) as Record<string, string>) : {},
          alpn,
          serverCert,
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A keep-alive agent whose one connection is TLS with this client's certificate; `serials` lists the server certificate of each connection it opened. */
function tlsAgent(port: number, ca: string, client: Leaf): http.Agent & { serials: string[] } {
  const agent = Object.assign(new http.Agent({ keepAlive: true, maxSockets: 1 }), { serials: [] as string[] });
  agent.createConnection = (() => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, cert: client.cert, key: client.key, ALPNProtocols: ['istio', 'istio-http/1.1', 'http/1.1'], checkServerIdentity: () => undefined });
    s.once('secureConnect', () => agent.serials.push(s.getPeerX509Certificate()?.serialNumber ?? ''));
    return s;
  }) as never;
  return agent;
}

/** Resolves once a TLS connection is refused (error or close before any response), with what the client saw. */
function tlsRefused(port: number, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, checkServerIdentity: () => undefined, ALPNProtocols: ['istio', 'http/1.1'], ...opts }, () => {
      s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    });
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('error', (e: Error & { code?: string }) => resolve(`error ${e.code ?? e.message}${got ? ` after ${got}` : ''}`));
    s.on('close', () => resolve(`closed${got ? ` after ${got}` : ''}`));
  });
}

function openssl(args: string[], input: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
    p.stdin.end(input);
  });
}

describe('downstream mutual TLS', () => {
  let app: http.Server;
  let appPort: number;
  let ca: TestCa;
  let serverLeaf: Leaf;
  let clientLeaf: Leaf;
  let secrets: TestSecrets;
  let h: Harness;
  let dir: string;

  before(async () => {
    // The workload: answers with the request headers it received.
    app = http.createServer((req, res) => res.end(JSON.stringify(req.headers)));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    appPort = (app.address() as AddressInfo).port;
    ca = testCa('cluster.local');
    serverLeaf = ca.leaf(SERVER_ID);
    clientLeaf = ca.leaf(CLIENT_ID, { dns: ['sleep.default.svc'], commonName: 'sleep' });
    secrets = new TestSecrets();
    secrets.setWorkload(serverLeaf, ca.certPem);
    h = startHarness({ secrets });
    await h.apply({
      listeners: [inboundListener('permissive', 'PERMISSIVE', 'app'), inboundListener('strict', 'STRICT', 'app')],
      clusters: [staticCluster('app', appPort)],
    });
    dir = mkdtempSync(join(tmpdir(), 'downstream-tls-'));
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    writeFileSync(join(dir, 'client.pem'), clientLeaf.cert);
    writeFileSync(join(dir, 'client.key'), clientLeaf.key);
  });

  after(async () => {
    await h.close();
    await new Promise<void>((r) => app.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('PERMISSIVE: a client with a mesh certificate and Istio ALPN gets through; the app sees XFCC with its SPIFFE id', async () => {
    const r = await tlsGet(h.port('permissive'), { ca: ca.certPem, client: clientLeaf, headers: { 'x-forwarded-client-cert': 'By=spiffe://upstream;URI=spiffe://earlier' } });
    assert.equal(r.status, 200);
    assert.equal(r.alpn, 'http/1.1', 'the server picks http/1.1 from istio-peer-exchange, istio, istio-http/1.1, http/1.1');
    assert.equal(r.serverCert?.subjectAltName, `URI:${SERVER_ID}`);
    const hash = createHash('sha256').update(new X509Certificate(clientLeaf.cert).raw).digest('hex');
    // APPEND_FORWARD keeps what came in and appends this hop's element.
    assert.equal(
      r.seen['x-forwarded-client-cert'],
      `By=spiffe://upstream;URI=spiffe://earlier,By=${SERVER_ID};Hash=${hash};Subject="CN=sleep,O=mesh";URI=${CLIENT_ID};DNS=sleep.default.svc`,
    );
    assert.equal(r.seen['x-forwarded-proto'], 'https');
  });

  it('PERMISSIVE: a plaintext client also gets through, and an XFCC it sends is removed', async () => {
    const res = await new Promise<{ status: number; seen: Record<string, string> }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: h.port('permissive'), path: '/', agent: false, headers: { 'x-forwarded-client-cert': `URI=${CLIENT_ID}` } }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, seen: JSON.parse(body) as Record<string, string> }));
        })
        .on('error', reject);
    });
    assert.equal(res.status, 200);
    assert.equal(res.seen['x-forwarded-client-cert'], undefined, 'a plaintext peer cannot claim an identity');
  });

  it('accepts a TCP-only client ALPN (istio-peer-exchange, istio) without an alert, answering without ALPN', async () => {
    const r = await tlsGet(h.port('permissive'), { ca: ca.certPem, client: clientLeaf, alpn: ['istio-peer-exchange', 'istio'] });
    assert.equal(r.status, 200);
    assert.equal(r.alpn, false);
  });

  it('serves HTTP/2 when ALPN negotiates h2, with the same identity', async () => {
    // node:http2 would offer only h2, which Istio's chain match does not take: the socket offers Istio's ALPN too.
    const port = h.port('permissive');
    const session = http2.connect(`https://127.0.0.1:${port}`, {
      createConnection: () =>
        tls.connect({ host: '127.0.0.1', port, ca: ca.certPem, cert: clientLeaf.cert, key: clientLeaf.key, ALPNProtocols: ['istio-h2', 'h2'], checkServerIdentity: () => undefined }),
    });
    try {
      const seen = await new Promise<Record<string, string>>((resolve, reject) => {
        const req = session.request({ ':path': '/' });
        let body = '';
        req.on('data', (c: Buffer) => (body += c));
        req.on('end', () => resolve(JSON.parse(body) as Record<string, string>));
        req.on('error', reject);
        req.end();
      });
      assert.equal((session.socket as tls.TLSSocket).alpnProtocol, 'h2');
      assert.match(seen['x-forwarded-client-cert'], new RegExp(`;URI=${CLIENT_ID};`));
    } finally {
      session.close();
    }
  });

  it('STRICT: plaintext finds no chain and is closed', async () => {
    const before = h.stat('listener.strict.no_filter_chain_match');
    const r = await exchange(h.port('strict'), 'GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    assert.equal(r.closed, true);
    assert.equal(r.got.length, 0);
    assert.equal(h.stat('listener.strict.no_filter_chain_match'), before + 1);
  });

  it('refuses a client without a certificate, or with one another CA signed', async () => {
    const noCert = h.stat('listener.strict.ssl.fail_verify_no_cert');
    const refused = await tlsRefused(h.port('strict'), { ca: ca.certPem });
    assert.doesNotMatch(refused, /HTTP\/1\.1 200/);
    await waitFor('fail_verify_no_cert counted', () => h.stat('listener.strict.ssl.fail_verify_no_cert') === noCert + 1);

    const other = testCa('attacker').leaf(CLIENT_ID);
    const verifyError = h.stat('listener.strict.ssl.fail_verify_error');
    const refused2 = await tlsRefused(h.port('strict'), { ca: ca.certPem, cert: other.cert, key: other.key });
    assert.doesNotMatch(refused2, /HTTP\/1\.1 200/);
    await waitFor('fail_verify_error counted', () => h.stat('listener.strict.ssl.fail_verify_error') === verifyError + 1);
  });

  it('openssl s_client: refused without a client certificate; with one it sees the SPIFFE certificate and gets an answer', async () => {
    const port = h.port('strict');
    const request = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    const without = await openssl(['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', join(dir, 'ca.pem'), '-alpn', 'istio,http/1.1', '-ign_eof'], request);
    assert.doesNotMatch(without.out, /HTTP\/1\.1 200/);
    assert.match(without.out, /alert|certificate required|errno|error/i);

    const withCert = await openssl(
      ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', join(dir, 'ca.pem'), '-cert', join(dir, 'client.pem'), '-key', join(dir, 'client.key'), '-alpn', 'istio,http/1.1', '-showcerts', '-ign_eof'],
      request,
    );
    assert.match(withCert.out, /Verify return code: 0 \(ok\)/);
    assert.match(withCert.out, /HTTP\/1\.1 200/);
    const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(withCert.out)?.[0];
    assert.equal(new X509Certificate(pem!).subjectAltName, `URI:${SERVER_ID}`);
  });

  it('exposes the verified peer on the connection (peerPrincipal)', async () => {
    const listener = h.listeners.listeners.get('strict')!;
    const chain = [...listener.chains.values()][0];
    const agent = tlsAgent(h.port('strict'), ca.certPem, clientLeaf);
    try {
      assert.equal((await tlsGet(0, { ca: ca.certPem, agent })).status, 200);
      const conn = [...chain.h1!.connections][0];
      const info = connectionInfo(conn.socket);
      assert.equal(info?.peerPrincipal, CLIENT_ID);
      assert.deepEqual(info?.peerDnsSans, ['sleep.default.svc']);
      assert.deepEqual(info?.localUriSans, [SERVER_ID]);
    } finally {
      agent.destroy();
    }
  });

  it('a rotated certificate is served to new connections while an open one keeps working', async () => {
    const port = h.port('strict');
    const agent = tlsAgent(port, ca.certPem, clientLeaf);
    try {
      assert.equal((await tlsGet(0, { ca: ca.certPem, agent })).status, 200);
      assert.deepEqual(agent.serials, [serverLeaf.serial]);
      const rotated = ca.leaf(SERVER_ID);
      secrets.set(DEFAULT_SECRET, { cert: rotated.cert, key: rotated.key });
      const fresh = await tlsGet(port, { ca: ca.certPem, client: clientLeaf });
      assert.equal(fresh.status, 200);
      assert.equal(fresh.serverCert?.serialNumber, rotated.serial);
      // The connection opened before the rotation is still served, on its old certificate.
      assert.equal((await tlsGet(0, { ca: ca.certPem, agent })).status, 200);
      assert.deepEqual(agent.serials, [serverLeaf.serial], 'the same connection, on its old certificate');
    } finally {
      agent.destroy();
    }
  });

  it('a secret that has not arrived refuses the connection (never plaintext); it serves once the secret arrives', async () => {
    const lonely = new TestSecrets();
    const h2 = startHarness({ secrets: lonely });
    try {
      await h2.apply({ listeners: [inboundListener('waiting', 'PERMISSIVE', 'app')], clusters: [staticCluster('app', appPort)] });
      const port = h2.port('waiting');
      const refused = await tlsRefused(port, { ca: ca.certPem, cert: clientLeaf.cert, key: clientLeaf.key });
      assert.doesNotMatch(refused, /HTTP/);
      assert.equal(h2.stat('listener.waiting.ssl.secret_missing'), 1);
      // Only the trust bundle: still refused.
      lonely.set(ROOTCA_SECRET, { ca: ca.certPem });
      assert.doesNotMatch(await tlsRefused(port, { ca: ca.certPem, cert: clientLeaf.cert, key: clientLeaf.key }), /HTTP/);
      lonely.setWorkload(serverLeaf, ca.certPem);
      assert.equal((await tlsGet(port, { ca: ca.certPem, client: clientLeaf })).status, 200);
    } finally {
      await h2.close();
    }
  });

  it('a handshake that stalls is cut after the chain\'s transport_socket_connect_timeout', async () => {
    // A real ClientHello, then silence.
    const hello = await new Promise<Buffer>((resolve) => {
      const sink = net.createServer((s) => s.once('data', (d: Buffer) => (resolve(d), s.destroy(), sink.close())));
      sink.listen(0, '127.0.0.1', () => {
        const c = tls.connect({ host: '127.0.0.1', port: (sink.address() as AddressInfo).port, ALPNProtocols: ['istio', 'http/1.1'] });
        c.on('error', () => {});
      });
    });
    const h4 = startHarness({ secrets });
    try {
      const l = inboundListener('stall', 'STRICT', 'app') as { filterChains: Array<Record<string, unknown>> };
      l.filterChains[0].transportSocketConnectTimeout = { nanos: 200_000_000 };
      await h4.apply({ listeners: [l], clusters: [staticCluster('app', appPort)] });
      const started = Date.now();
      const r = await exchange(h4.port('stall'), hello);
      assert.equal(r.closed, true);
      assert.ok(Date.now() - started < 5_000, 'cut by the 200 ms bound, not the 15 s listener filter timeout');
      await waitFor('handshake_timeout counted', () => h4.stat('listener.stall.ssl.handshake_timeout') === 1);
    } finally {
      await h4.close();
    }
  });

  it('a client certificate whose SAN the chain does not accept is refused', async () => {
    const h3 = startHarness({ secrets });
    try {
      const l = inboundListener('picky', 'STRICT', 'app') as { filterChains: Array<{ transportSocket: object }> };
      l.filterChains[0].transportSocket = downstreamTls({ alpn: ['http/1.1'], sanExact: ['spiffe://cluster.local/ns/default/sa/reviews'] });
      await h3.apply({ listeners: [l], clusters: [staticCluster('app', appPort)] });
      const refused = await tlsRefused(h3.port('picky'), { ca: ca.certPem, cert: clientLeaf.cert, key: clientLeaf.key });
      assert.doesNotMatch(refused, /HTTP\/1\.1 200/);
      await waitFor('fail_verify_san counted', () => h3.stat('listener.picky.ssl.fail_verify_san') === 1);
    } finally {
      await h3.close();
    }
  });
});
