// Envoy's RBAC filters as pilot configures them for AuthorizationPolicy:
// real HTTP requests and TCP connections through listeners built from Envoy
// resources (round-tripped through the protos, as ADS delivers them).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { buildCertificate, createCa, createIssuer, generateKeyPair, privateKeyToPem, spkiOf } from '@mesh/pki';
import { normalize } from '@mesh/xds';
import { SnapshotCompiler, snapshotFromResources } from '../config/snapshot-compiler.ts';
import { filterTestListener, TCP_PROXY_TYPE, exchange, startHarness, startRecorder, staticCluster, type Harness, type Recorder } from '../listener/listener-test-harness.ts';
import { checkNetworkRbac, peerIdentityOf } from './rbac.ts';
import { compileNetworkRbac } from '../config/rbac-config.ts';
import { TestSecrets, downstreamTls, testCa, type Leaf, type TestCa } from '../listener/testing/tls-fixtures.ts';

const HTTP_RBAC_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';
const NETWORK_RBAC_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC';

type Json = Record<string, unknown>;

function httpRbac(action: 'ALLOW' | 'DENY' | 'LOG', policies: Record<string, Json>, extra: Json = {}): Json {
  return { name: 'envoy.filters.http.rbac', typedConfig: { '@type': HTTP_RBAC_TYPE, rules: { action, policies }, ...extra } };
}

const anyone = [{ any: true }];
const method = (m: string) => ({ header: { name: ':method', stringMatch: { exact: m } } });
const pathPrefix = (p: string) => ({ urlPath: { path: { prefix: p } } });


function tcpListener(name: string, rbacFilters: Json[], cluster: string): Json {
  return normalize('envoy.config.listener.v3.Listener', {
    name,
    address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
    filterChains: [{ filters: [...rbacFilters, { name: 'envoy.filters.network.tcp_proxy', typedConfig: { '@type': TCP_PROXY_TYPE, statPrefix: name, cluster } }] }],
  });
}

function networkRbac(action: 'ALLOW' | 'DENY', policies: Record<string, Json>): Json {
  return { name: 'envoy.filters.network.rbac', typedConfig: { '@type': NETWORK_RBAC_TYPE, statPrefix: 'tcp.', rules: { action, policies } } };
}

interface Reply {
  status: number;
  body: string;
}

function get(port: number, path: string, options: { method?: string; headers?: Record<string, string>; localAddress?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false, localAddress: options.localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP RBAC filter', () => {
  let h: Harness;
  let app: http.Server;
  let seen = 0;

  before(async () => {
    app = http.createServer((_req, res) => {
      seen++;
      res.end('app says hi');
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    h = startHarness();
    await h.apply({
      clusters: [staticCluster('app', (app.address() as AddressInfo).port)],
      listeners: [
        // productpage-viewer: GET on anything; plus reads of /api/ by POST from nobody.
        filterTestListener('viewer', [httpRbac('ALLOW', { 'ns[default]-policy[viewer]-rule[0]': { permissions: [{ andRules: { rules: [method('GET'), pathPrefix('/public/')] } }], principals: anyone } })]),
        // DENY runs before ALLOW: /public/secret is denied although the ALLOW policy would let it through.
        filterTestListener('deny-first', [
          httpRbac('DENY', { 'deny-secret': { permissions: [{ urlPath: { path: { exact: '/public/secret' } } }], principals: anyone } }),
          httpRbac('ALLOW', { 'allow-public': { permissions: [pathPrefix('/public/')], principals: anyone } }),
        ]),
        // allow-nothing: an ALLOW filter without policies.
        filterTestListener('nothing', [{ name: 'envoy.filters.http.rbac', typedConfig: { '@type': HTTP_RBAC_TYPE, rules: { action: 'ALLOW' } } }]),
        // ipBlocks: only 127.0.0.2/32 may pass.
        filterTestListener('ipblocks', [httpRbac('ALLOW', { ip: { permissions: anyone, principals: [{ directRemoteIp: { addressPrefix: '127.0.0.2', prefixLen: { value: 32 } } }] } })]),
        // deny-method-get with `when: request.headers[x-token] notValues [admin]`.
        filterTestListener('header', [
          httpRbac('DENY', {
            'deny-get': {
              permissions: [{ andRules: { rules: [method('GET')] } }],
              principals: [{ andIds: { ids: [{ notId: { header: { name: 'x-token', stringMatch: { exact: 'admin' } } } }] } }],
            },
          }),
        ]),
        // Requires an authenticated peer: plaintext never is.
        filterTestListener('mtls-only', [httpRbac('ALLOW', { peers: { permissions: anyone, principals: [{ authenticated: { principalName: { prefix: 'spiffe://cluster.local/' } } }] } })]),
        // AUDIT: action LOG allows everything and counts what it would log.
        filterTestListener('audit', [httpRbac('LOG', { 'audit-admin': { permissions: [pathPrefix('/admin')], principals: anyone } })]),
        // requestPrincipals without a JWT filter: the istio_authn metadata is never there.
        filterTestListener('jwt', [
          httpRbac('ALLOW', {
            jwt: { permissions: anyone, principals: [{ metadata: { filter: 'istio_authn', path: [{ key: 'request.auth.principal' }], value: { stringMatch: { safeRegex: { regex: '.+' } } } } }] },
          }),
        ]),
      ],
    });
  });

  after(async () => {
    await h.close();
    await new Promise<void>((r) => app.close(() => r()));
  });

  it('lets through what an ALLOW policy matches and answers everything else 403 "RBAC: access denied"', async () => {
    const port = h.port('viewer');
    const ok = await get(port, '/public/index.html?x=1');
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'app says hi');
    const before = seen;
    const post = await get(port, '/public/index.html', { method: 'POST' });
    assert.equal(post.status, 403);
    assert.equal(post.body, 'RBAC: access denied');
    const other = await get(port, '/private');
    assert.equal(other.status, 403);
    assert.equal(seen, before, 'denied requests never reach the application');
    const stats = h.stats.httpPrefix('viewer').rbac;
    assert.equal(stats.get('rbac.allowed'), 1);
    assert.equal(stats.get('rbac.denied'), 2);
  });

  it('matches the path without its query string', async () => {
    // A query that looks like an allowed path does not make a denied path allowed.
    assert.equal((await get(h.port('viewer'), '/private?/public/')).status, 403);
  });

  it('runs DENY before ALLOW', async () => {
    const port = h.port('deny-first');
    assert.equal((await get(port, '/public/page')).status, 200);
    assert.equal((await get(port, '/public/secret')).status, 403);
    assert.equal((await get(port, '/other')).status, 403);
  });

  it('denies everything with an ALLOW filter that has no policies (allow-nothing)', async () => {
    const r = await get(h.port('nothing'), '/');
    assert.equal(r.status, 403);
    assert.equal(r.body, 'RBAC: access denied');
  });

  it('matches the client address against ipBlocks (direct_remote_ip)', async () => {
    const port = h.port('ipblocks');
    assert.equal((await get(port, '/', { localAddress: '127.0.0.2' })).status, 200);
    assert.equal((await get(port, '/', { localAddress: '127.0.0.3' })).status, 403);
  });

  it('evaluates header conditions (deny GET unless x-token is admin)', async () => {
    const port = h.port('header');
    assert.equal((await get(port, '/')).status, 403);
    assert.equal((await get(port, '/', { headers: { 'x-token': 'guest' } })).status, 403);
    assert.equal((await get(port, '/', { headers: { 'x-token': 'admin' } })).status, 200);
    assert.equal((await get(port, '/', { method: 'POST' })).status, 200);
  });

  it('never treats a plaintext peer as authenticated', async () => {
    assert.equal((await get(h.port('mtls-only'), '/')).status, 403);
  });

  it('allows everything under LOG and counts what matched', async () => {
    const port = h.port('audit');
    assert.equal((await get(port, '/admin/x')).status, 200);
    assert.equal((await get(port, '/home')).status, 200);
    const stats = h.stats.httpPrefix('audit').rbac;
    assert.equal(stats.get('rbac.logged'), 1);
    assert.equal(stats.get('rbac.not_logged'), 1);
    assert.equal(stats.get('rbac.denied'), undefined);
  });

  it('denies a request-principal rule when no filter authenticated a request token', async () => {
    assert.equal((await get(h.port('jwt'), '/', { headers: { authorization: 'Bearer forged' } })).status, 403);
  });
});

describe('network RBAC filter', () => {
  let h: Harness;
  let upstream: Recorder;

  before(async () => {
    upstream = await startRecorder({ echo: true });
    h = startHarness();
    await h.apply({
      clusters: [staticCluster('echo', upstream.port)],
      listeners: [
        tcpListener('tcp-denied', [networkRbac('DENY', { 'deny-9000': { permissions: [{ destinationPortRange: { start: 1, end: 65535 } }], principals: anyone } })], 'echo'),
        tcpListener('tcp-allowed', [networkRbac('ALLOW', { from2: { permissions: anyone, principals: [{ directRemoteIp: { addressPrefix: '127.0.0.2', prefixLen: { value: 32 } } }] } })], 'echo'),
      ],
    });
  });

  after(async () => {
    await h.close();
    await upstream.close();
  });

  it('closes a denied connection before anything is opened upstream', async () => {
    const before = upstream.peers.length;
    const r = await exchange(h.port('tcp-denied'), 'hello');
    assert.equal(r.closed, true);
    assert.equal(r.got.length, 0);
    assert.equal(upstream.peers.length, before, 'no upstream connection was made');
    assert.equal(h.stat('tcp.rbac.denied'), 1);
  });

  it('proxies an allowed connection and closes the others', async () => {
    const ok = await exchange(h.port('tcp-allowed'), 'ping', { localAddress: '127.0.0.2', until: (b) => b.toString() === 'ping' });
    assert.equal(ok.got.toString(), 'ping');
    const denied = await exchange(h.port('tcp-allowed'), 'ping', { localAddress: '127.0.0.4' });
    assert.equal(denied.closed, true);
    assert.equal(denied.got.length, 0);
    assert.equal(h.stat('tcp.rbac.allowed'), 1);
  });
});

describe('RBAC configuration', () => {
  const compile = (listener: Json) => new SnapshotCompiler().compile(snapshotFromResources({ listeners: [listener], clusters: [staticCluster('app', 1)] }));

  it('NACKs a CEL condition, naming the field', () => {
    const c = compile(filterTestListener('cel', [httpRbac('ALLOW', { p: { permissions: anyone, principals: anyone, condition: { constExpr: { boolValue: true } } } })]));
    assert.equal(c.errors.length, 1);
    assert.match(c.errors[0], /httpFilters\[0\]\.typedConfig\.rules\.policies\["p"\]: field condition is not supported/);
  });

  it('NACKs the matcher API and filter_state principals', () => {
    const m = compile(filterTestListener('m', [{ name: 'envoy.filters.http.rbac', typedConfig: { '@type': HTTP_RBAC_TYPE, matcher: { onNoMatch: { action: { name: 'x' } } } } }]));
    assert.match(m.errors.join('\n'), /field matcher is not supported/);
    const f = compile(filterTestListener('f', [httpRbac('DENY', { p: { permissions: anyone, principals: [{ filterState: { key: 'k', stringMatch: { exact: 'v' } } }] } })]));
    assert.match(f.errors.join('\n'), /principals\[0\]: field filterState is not supported/);
  });

  it('NACKs a network RBAC filter in front of an HTTP connection manager', () => {
    const l = normalize('envoy.config.listener.v3.Listener', {
      name: 'mixed',
      address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
      filterChains: [{ filters: [networkRbac('DENY', {}), (filterTestListener('x', []) as { filterChains: Array<{ filters: Json[] }> }).filterChains[0].filters[0]] }],
    });
    assert.match(compile(l).errors.join('\n'), /network RBAC filter in front of the HTTP connection manager is not supported/);
  });
});

describe('peer identity', () => {
  it('is the verified client certificate\'s URI SAN, and nothing on plaintext', async () => {
    const ca = createCa({ subject: { commonName: 'test root' }, ttlMs: 3_600_000 });
    const issuer = createIssuer(ca.certPem, ca.privateKey);
    const leaf = (uri: string) => {
      const { privateKey } = generateKeyPair('ec-p256');
      const certPem = buildCertificate(
        { spki: spkiOf(privateKey), subject: {}, sans: { uris: [uri] }, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 3_600_000), keyUsage: ['digitalSignature', 'keyEncipherment'], extKeyUsage: ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'] },
        issuer,
      );
      return { cert: certPem, key: privateKeyToPem(privateKey) };
    };
    const server = leaf('spiffe://cluster.local/ns/default/sa/productpage');
    const client = leaf('spiffe://cluster.local/ns/default/sa/sleep');
    const deny = compileNetworkRbac(
      normalize('envoy.extensions.filters.network.rbac.v3.RBAC', {
        statPrefix: 'tcp.',
        rules: { action: 'ALLOW', policies: { sleep: { permissions: anyone, principals: [{ authenticated: { principalName: { exact: 'spiffe://cluster.local/ns/default/sa/sleep' } } }] } } },
      }),
      'test',
    );
    const decisions: boolean[] = [];
    const identities: unknown[] = [];
    const tlsServer = tls.createServer({ ...server, ca: ca.certPem, requestCert: true, rejectUnauthorized: false }, (s) => {
      identities.push(peerIdentityOf(s));
      decisions.push(checkNetworkRbac([deny], s, new Map()));
      s.end();
    });
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
    const port = (tlsServer.address() as AddressInfo).port;
    const connect = (opts: tls.ConnectionOptions) =>
      new Promise<void>((resolve) => {
        const c = tls.connect({ host: '127.0.0.1', port, ca: ca.certPem, checkServerIdentity: () => undefined, ...opts }, () => c.resume());
        c.on('close', () => resolve());
        c.on('error', () => resolve());
      });
    try {
      await connect(client);
      await connect({});
      // A certificate from another CA does not verify: not authenticated either.
      const other = createCa({ subject: { commonName: 'other root' }, ttlMs: 3_600_000 });
      const { privateKey } = generateKeyPair('ec-p256');
      const forged = buildCertificate(
        { spki: spkiOf(privateKey), subject: {}, sans: { uris: ['spiffe://cluster.local/ns/default/sa/sleep'] }, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 3_600_000), keyUsage: ['digitalSignature'], extKeyUsage: ['1.3.6.1.5.5.7.3.2'] },
        createIssuer(other.certPem, other.privateKey),
      );
      await connect({ cert: forged, key: privateKeyToPem(privateKey) });
    } finally {
      await new Promise<void>((r) => tlsServer.close(() => r()));
    }
    assert.deepEqual(identities[0], { uriSans: ['spiffe://cluster.local/ns/default/sa/sleep'], dnsSans: [], subject: '' });
    assert.equal(identities[1], undefined);
    assert.equal(identities[2], undefined);
    assert.deepEqual(decisions, [true, false, false]);
    const plain = new net.Socket();
    assert.equal(peerIdentityOf(plain), undefined);
    plain.destroy();
  });
});

describe('RBAC over mutual TLS (the peer\'s SPIFFE id)', () => {
  const SLEEP = 'spiffe://cluster.local/ns/default/sa/sleep';
  const TLS_INSPECTOR = { name: 'envoy.filters.listener.tls_inspector', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } };
  const fromSleep = [{ authenticated: { principalName: { exact: SLEEP } } }];
  let h: Harness;
  let app: http.Server;
  let echo: Recorder;
  let ca: TestCa;
  let sleep: Leaf;
  let other: Leaf;

  /** A STRICT inbound listener: TLS only, the chain's filters as given. */
  const strict = (name: string, filters: Json[]) =>
    normalize('envoy.config.listener.v3.Listener', {
      name,
      address: { socketAddress: { address: '127.0.0.1', portValue: 0 } },
      listenerFilters: [TLS_INSPECTOR],
      filterChains: [{ filterChainMatch: { transportProtocol: 'tls' }, transportSocket: downstreamTls({ alpn: ['h2', 'http/1.1'] }), filters }],
    });

  before(async () => {
    app = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    echo = await startRecorder({ echo: true });
    ca = testCa('cluster.local');
    sleep = ca.leaf(SLEEP);
    other = ca.leaf('spiffe://cluster.local/ns/default/sa/other');
    const secrets = new TestSecrets();
    secrets.setWorkload(ca.leaf('spiffe://cluster.local/ns/default/sa/productpage'), ca.certPem);
    h = startHarness({ secrets });
    const httpChain = (filterTestListener('x', [httpRbac('ALLOW', { sleep: { permissions: anyone, principals: fromSleep } })]) as { filterChains: Array<{ filters: Json[] }> }).filterChains[0].filters;
    await h.apply({
      clusters: [staticCluster('app', (app.address() as AddressInfo).port), staticCluster('echo', echo.port)],
      listeners: [
        strict('mtls-http', httpChain),
        strict('mtls-tcp', [networkRbac('ALLOW', { sleep: { permissions: anyone, principals: fromSleep } }), { name: 'envoy.filters.network.tcp_proxy', typedConfig: { '@type': TCP_PROXY_TYPE, statPrefix: 'mtls-tcp', cluster: 'echo' } }]),
      ],
    });
  });

  after(async () => {
    await h.close();
    await echo.close();
    await new Promise<void>((r) => app.close(() => r()));
  });

  const tlsGet = (port: number, client: Leaf) =>
    new Promise<Reply>((resolve, reject) => {
      // Istio's client ALPN (https hands it to tls.connect).
      const options: https.RequestOptions & Pick<tls.ConnectionOptions, 'ALPNProtocols'> = {
        host: '127.0.0.1',
        port,
        path: '/',
        agent: false,
        ca: ca.certPem,
        cert: client.cert,
        key: client.key,
        ALPNProtocols: ['istio', 'istio-http/1.1', 'http/1.1'],
        checkServerIdentity: () => undefined,
      };
      const req = https.request(
        options,
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
        },
      );
      req.on('error', reject);
      req.end();
    });

  it('HTTP: allows the principal the policy names and denies another verified workload', async () => {
    const port = h.port('mtls-http');
    assert.deepEqual(await tlsGet(port, sleep), { status: 200, body: 'ok' });
    assert.deepEqual(await tlsGet(port, other), { status: 403, body: 'RBAC: access denied' });
  });

  it('TCP: proxies the named principal and closes another before connecting upstream', async () => {
    const port = h.port('mtls-tcp');
    const talk = (client: Leaf) =>
      new Promise<string>((resolve) => {
        let got = '';
        const s = tls.connect({ host: '127.0.0.1', port, ca: ca.certPem, cert: client.cert, key: client.key, ALPNProtocols: ['istio'], checkServerIdentity: () => undefined }, () => s.write('ping'));
        s.on('data', (d: Buffer) => {
          got += d.toString();
          if (got === 'ping') s.end();
        });
        s.on('error', () => resolve(`closed:${got}`));
        s.on('close', () => resolve(got === 'ping' ? got : `closed:${got}`));
      });
    assert.equal(await talk(sleep), 'ping');
    const before = echo.peers.length;
    assert.equal(await talk(other), 'closed:');
    assert.equal(echo.peers.length, before, 'the denied connection never reached the upstream');
  });
});
