// TLS at the gateways: Gateway HTTPS/TLS servers, credentials over SDS (ADS),
// SNI chains, PASSTHROUGH by VirtualService tls routes, and egress TLS
// origination with DestinationRule credentialName. Everything is encoded
// through the real protos (generateSnapshot), as a proxy would receive it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigResource, Credential } from '@mesh/contracts';
import { TYPE_URLS, decodeMessage, encodeMessage } from '@mesh/xds';
import { PushContext } from './model/push-context.ts';
import { proxyFromNode, type Proxy } from './model/proxy.ts';
import { generateSnapshot } from './generators/index.ts';
import { gateway, generate, res, sidecar } from './test-support.ts';

const CERT = (n: string) => `-----BEGIN CERTIFICATE-----\n${n}\n-----END CERTIFICATE-----\n`;
const KEY = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n';
const cred = (name: string, parts: Partial<Credential>, namespace = 'istio-system'): [string, Credential] => [`${namespace}.${name}`, { namespace, name, ...parts }];

function pushWith(configs: ConfigResource[], credentials: Array<[string, Credential]>): PushContext {
  return new PushContext({ configs, credentials: new Map(credentials) }, { domainSuffix: 'cluster.local', version: 'test' });
}

const httpbin = [
  res('ServiceEntry', 'httpbin', { hosts: ['httpbin.default.svc.cluster.local'], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 8000, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '127.0.0.1', ports: { http: 9000 } }] }),
];
const gw = (servers: unknown[], name = 'gw', namespace = 'istio-system') => res('Gateway', name, { selector: { istio: 'ingressgateway' }, servers }, namespace);
const vsTo = (name: string, hosts: string[], gateways = ['istio-system/gw']) => res('VirtualService', name, { hosts, gateways, http: [{ route: [{ destination: { host: 'httpbin.default.svc.cluster.local', port: { number: 8000 } } }] }] });
const issues = (p: PushContext) => p.issues.map((i) => `${i.severity} ${i.kind} ${i.namespace}/${i.name} ${i.field}: ${i.message}`);
const noRemoteIssues = (p: PushContext) => p.issues.filter((i) => i.severity === 'error');

/** The encoded and decoded snapshot of a proxy: what goes on the wire, with the secrets. */
function wire(p: PushContext, proxy: Proxy) {
  const snap = generateSnapshot(p, proxy, { privilegedPortOffset: 8000, log: { error: (m) => assert.fail(m) } });
  const decode = (t: string) => new Map([...snap.type(t).resources].map(([n, r]) => [n, decodeMessage(t, r.wire.value) as any]));
  return { listeners: decode(TYPE_URLS.listener), routes: decode(TYPE_URLS.route), clusters: decode(TYPE_URLS.cluster), secrets: decode(TYPE_URLS.secret) };
}

function gatewayIn(namespace: string): Proxy {
  return proxyFromNode({ id: `router~127.0.0.1~ingress.${namespace}~${namespace}.svc.cluster.local`, metadata: { LABELS: { istio: 'ingressgateway' } } }, { bindHost: '127.0.0.1', outboundPort: 15001 });
}

describe('Gateway HTTPS servers (Secure Gateways)', () => {
  const simple = { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['httpbin.example.com'], tls: { mode: 'SIMPLE', credentialName: 'httpbin-credential' } };

  it('terminates SIMPLE TLS with the credential served as SDS secret kubernetes://<name> to that gateway, routing by its own route table', () => {
    const p = pushWith([...httpbin, gw([simple]), vsTo('httpbin', ['httpbin.example.com'])], [cred('httpbin-credential', { cert: CERT('leaf'), key: KEY })]);
    const w = wire(p, gateway());
    const l = w.listeners.get('0.0.0.0_443');
    assert.equal(l.address.socketAddress.portValue, 8443);
    assert.deepEqual(l.listenerFilters.map((f: any) => f.name), ['envoy.filters.listener.tls_inspector']);
    assert.equal(l.filterChains.length, 1);
    const chain = l.filterChains[0];
    assert.deepEqual(chain.filterChainMatch.serverNames, ['httpbin.example.com']);
    const ctx = chain.transportSocket.typedConfig;
    assert.equal(ctx['@type'], 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext');
    assert.deepEqual(ctx.commonTlsContext.tlsCertificateSdsSecretConfigs, [{ name: 'kubernetes://httpbin-credential', sdsConfig: { ads: {}, resourceApiVersion: 'V3' } }]);
    assert.deepEqual(ctx.commonTlsContext.alpnProtocols, ['h2', 'http/1.1']);
    assert.equal(ctx.commonTlsContext.tlsParams.tlsMinimumProtocolVersion, 'TLSv1_2');
    assert.equal(ctx.requireClientCertificate, undefined);
    const hcm = chain.filters[0].typedConfig;
    assert.equal(hcm.rds.routeConfigName, 'https.443.https.gw.istio-system');
    // Gateways sanitize x-forwarded-client-cert (the default), unlike sidecar inbound.
    assert.equal(hcm.forwardClientCertDetails, undefined);
    const rc = w.routes.get('https.443.https.gw.istio-system');
    assert.deepEqual(rc.virtualHosts.map((v: any) => v.domains), [['httpbin.example.com', 'httpbin.example.com:*']]);
    assert.equal(rc.virtualHosts[0].routes[0].route.cluster, 'outbound|8000||httpbin.default.svc.cluster.local');
    const secret = w.secrets.get('kubernetes://httpbin-credential');
    assert.equal(secret.tlsCertificate.certificateChain.inlineString, CERT('leaf'));
    assert.equal(secret.tlsCertificate.privateKey.inlineString, KEY);
    assert.deepEqual(noRemoteIssues(p), []);
  });

  it('never gives a credential to a sidecar or to a gateway of another namespace; there the server refuses connections and the issue is reported', () => {
    const p = pushWith([...httpbin, gw([simple]), vsTo('httpbin', ['httpbin.example.com'])], [cred('httpbin-credential', { cert: CERT('leaf'), key: KEY })]);
    const side = wire(p, sidecar());
    assert.deepEqual([...side.secrets.keys()].filter((n) => n.startsWith('kubernetes://')), []);
    const other = wire(p, gatewayIn('other'));
    assert.deepEqual([...other.secrets.keys()].filter((n) => n.startsWith('kubernetes://')), []);
    const chain = other.listeners.get('0.0.0.0_443').filterChains[0];
    assert.deepEqual(chain.filterChainMatch.serverNames, ['httpbin.example.com']);
    assert.equal(chain.transportSocket, undefined);
    assert.equal(chain.filters[0].typedConfig.cluster, 'BlackHoleCluster');
    assert.ok(issues(p).some((i) => /^error Gateway istio-system\/gw spec\.servers\[0\]\.tls\.credentialName: no credential httpbin-credential/.test(i)), issues(p).join('\n'));
  });

  it('MUTUAL: client certificates required and verified against kubernetes://<name>-cacert (the ca.crt of the credential, else of <name>-cacert), with the SAN matchers', () => {
    const mutual = (credentialName: string) => ({
      port: { number: 443, name: `https-${credentialName}`, protocol: 'HTTPS' },
      hosts: [`${credentialName}.example.com`],
      tls: { mode: 'MUTUAL', credentialName, subjectAltNames: ['spiffe://client'], minProtocolVersion: 'TLSV1_3', cipherSuites: ['ECDHE-ECDSA-AES128-GCM-SHA256'] },
    });
    const p = pushWith(
      [...httpbin, gw([mutual('one'), mutual('two'), mutual('three')]), vsTo('all', ['one.example.com', 'two.example.com', 'three.example.com'])],
      [cred('one', { cert: CERT('one'), key: KEY, ca: CERT('ca-one') }), cred('two', { cert: CERT('two'), key: KEY }), cred('two-cacert', { ca: CERT('ca-two') }), cred('three', { cert: CERT('three'), key: KEY })],
    );
    const w = wire(p, gateway());
    const chains = w.listeners.get('0.0.0.0_443').filterChains;
    assert.deepEqual(chains.map((c: any) => c.filterChainMatch.serverNames), [['one.example.com'], ['two.example.com'], ['three.example.com']]);
    for (const [i, name] of ['one', 'two'].entries()) {
      const ctx = chains[i].transportSocket.typedConfig;
      assert.equal(ctx.requireClientCertificate.value, true);
      assert.deepEqual(ctx.commonTlsContext.combinedValidationContext, {
        defaultValidationContext: { matchSubjectAltNames: [{ exact: 'spiffe://client' }] },
        validationContextSdsSecretConfig: { name: `kubernetes://${name}-cacert`, sdsConfig: { ads: {}, resourceApiVersion: 'V3' } },
      });
      assert.deepEqual(ctx.commonTlsContext.tlsParams, { tlsMinimumProtocolVersion: 'TLSv1_3', cipherSuites: ['ECDHE-ECDSA-AES128-GCM-SHA256'] });
    }
    assert.equal(w.secrets.get('kubernetes://one-cacert').validationContext.trustedCa.inlineString, CERT('ca-one'));
    assert.equal(w.secrets.get('kubernetes://two-cacert').validationContext.trustedCa.inlineString, CERT('ca-two'));
    // No CA anywhere: refused, never served without client verification.
    assert.equal(chains[2].transportSocket, undefined);
    assert.equal(chains[2].filters[0].typedConfig.cluster, 'BlackHoleCluster');
    assert.ok(issues(p).some((i) => /spec\.servers\[2\]\.tls\.credentialName: MUTUAL needs a CA/.test(i)));
    assert.equal(w.secrets.has('kubernetes://three'), false);
  });

  it('several servers on one port by SNI, `*` as the chain without an SNI condition; a host claimed twice is a reported conflict, not an Envoy rejection', () => {
    const server = (hosts: string[], credentialName: string) => ({ port: { number: 443, name: `https-${credentialName}`, protocol: 'HTTPS' }, hosts, tls: { mode: 'SIMPLE', credentialName } });
    const p = pushWith(
      [...httpbin, gw([server(['a.example.com'], 'a'), server(['b.example.com', 'a.example.com'], 'b'), server(['*'], 'any')]), vsTo('all', ['*.example.com'])],
      [cred('a', { cert: CERT('a'), key: KEY }), cred('b', { cert: CERT('b'), key: KEY }), cred('any', { cert: CERT('any'), key: KEY })],
    );
    const w = wire(p, gateway());
    const chains = w.listeners.get('0.0.0.0_443').filterChains;
    assert.deepEqual(chains.map((c: any) => c.filterChainMatch?.serverNames ?? []), [['a.example.com'], ['b.example.com'], []]);
    assert.deepEqual(chains.map((c: any) => c.transportSocket.typedConfig.commonTlsContext.tlsCertificateSdsSecretConfigs[0].name), ['kubernetes://a', 'kubernetes://b', 'kubernetes://any']);
    assert.ok(issues(p).some((i) => /spec\.servers\[1\]: SNI a\.example\.com on port 443 is already served/.test(i)));
    // Each server's own route table: the wildcard VirtualService host narrowed to the server's hosts.
    assert.deepEqual(w.routes.get('https.443.https-a.gw.istio-system').virtualHosts[0].domains, ['a.example.com', 'a.example.com:*']);
    assert.deepEqual(w.routes.get('https.443.https-any.gw.istio-system').virtualHosts[0].domains, ['*.example.com', '*.example.com:*']);
  });

  it('ISTIO_MUTUAL serves the gateway workload certificate and requires a mesh client certificate (agent SDS default/ROOTCA)', () => {
    const p = pushWith([...httpbin, gw([{ port: { number: 15443, name: 'https-mesh', protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: 'ISTIO_MUTUAL' } }]), vsTo('all', ['*'])], []);
    const ctx = wire(p, gateway()).listeners.get('0.0.0.0_15443').filterChains[0].transportSocket.typedConfig;
    assert.equal(ctx.requireClientCertificate.value, true);
    assert.equal(ctx.commonTlsContext.tlsCertificateSdsSecretConfigs[0].name, 'default');
    assert.equal(ctx.commonTlsContext.tlsCertificateSdsSecretConfigs[0].sdsConfig.apiConfigSource.grpcServices[0].envoyGrpc.clusterName, 'sds-grpc');
    assert.equal(ctx.commonTlsContext.combinedValidationContext.validationContextSdsSecretConfig.name, 'ROOTCA');
  });

  it('a TLS server in SIMPLE mode terminates into the tcp route; OPTIONAL_MUTUAL verifies a client certificate without requiring one', () => {
    const p = pushWith(
      [
        res('ServiceEntry', 'db', { hosts: ['db.default.svc.cluster.local'], location: 'MESH_EXTERNAL', resolution: 'STATIC', ports: [{ number: 5432, name: 'tcp', protocol: 'TCP' }], endpoints: [{ address: '127.0.0.1', ports: { tcp: 5433 } }] }),
        gw([
          { port: { number: 5432, name: 'tls-db', protocol: 'TLS' }, hosts: ['db.example.com'], tls: { mode: 'SIMPLE', credentialName: 'db' } },
          { port: { number: 8443, name: 'https-opt', protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: 'OPTIONAL_MUTUAL', credentialName: 'db' } },
        ]),
        res('VirtualService', 'db', { hosts: ['*'], gateways: ['istio-system/gw'], tcp: [{ match: [{ port: 5432 }], route: [{ destination: { host: 'db.default.svc.cluster.local' } }] }] }),
      ],
      [cred('db', { cert: CERT('db'), key: KEY, ca: CERT('clients') })],
    );
    const w = wire(p, gateway());
    const db = w.listeners.get('0.0.0.0_5432').filterChains[0];
    assert.deepEqual(db.filterChainMatch.serverNames, ['db.example.com']);
    assert.equal(db.transportSocket.typedConfig.commonTlsContext.alpnProtocols, undefined);
    assert.equal(db.filters.at(-1).typedConfig.cluster, 'outbound|5432||db.default.svc.cluster.local');
    const opt = w.listeners.get('0.0.0.0_8443').filterChains[0].transportSocket.typedConfig;
    assert.equal(opt.requireClientCertificate, undefined);
    assert.equal(opt.commonTlsContext.combinedValidationContext.validationContextSdsSecretConfig.name, 'kubernetes://db-cacert');
  });

  it('httpsRedirect on the HTTP server makes its virtual hosts require TLS (301 to https)', () => {
    const p = pushWith([...httpbin, gw([{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['httpbin.example.com'], tls: { httpsRedirect: true } }, simple]), vsTo('httpbin', ['httpbin.example.com'])], [cred('httpbin-credential', { cert: CERT('leaf'), key: KEY })]);
    const w = wire(p, gateway());
    assert.equal(w.routes.get('http.80').virtualHosts[0].requireTls, 'ALL');
    assert.equal(w.routes.get('https.443.https.gw.istio-system').virtualHosts[0].requireTls, undefined);
  });

  it('a port with both a plain HTTP and a TLS server serves HTTP only and reports the TLS server', () => {
    const p = pushWith([...httpbin, gw([{ port: { number: 8080, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }, { ...simple, port: { number: 8080, name: 'https', protocol: 'HTTPS' } }]), vsTo('all', ['*'])], [cred('httpbin-credential', { cert: CERT('leaf'), key: KEY })]);
    const l = generate(p, gateway()).listeners.find((x: any) => x.name === '0.0.0.0_8080') as any;
    assert.equal(l.filterChains.length, 1);
    assert.equal(l.filterChains[0].transportSocket, undefined);
    assert.ok(issues(p).some((i) => /^error Gateway istio-system\/gw spec\.servers\[1\]\.port: port 8080 also has a plain HTTP server/.test(i)));
  });
});

describe('Gateway TLS PASSTHROUGH (VirtualService tls routes)', () => {
  it('routes untouched TLS by SNI to the tls route destinations with tcp_proxy', () => {
    const p = pushWith(
      [
        res('ServiceEntry', 'nginx', { hosts: ['nginx.example.com'], location: 'MESH_EXTERNAL', resolution: 'STATIC', ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], endpoints: [{ address: '127.0.0.1', ports: { tls: 9443 } }] }),
        gw([{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['nginx.example.com', 'other.example.com'], tls: { mode: 'PASSTHROUGH' } }]),
        res('VirtualService', 'nginx', { hosts: ['nginx.example.com'], gateways: ['istio-system/gw'], tls: [{ match: [{ port: 443, sniHosts: ['nginx.example.com'] }], route: [{ destination: { host: 'nginx.example.com', port: { number: 443 } } }] }] }),
      ],
      [],
    );
    const w = wire(p, gateway());
    const l = w.listeners.get('0.0.0.0_443');
    assert.deepEqual(l.listenerFilters.map((f: any) => f.name), ['envoy.filters.listener.tls_inspector']);
    assert.equal(l.filterChains.length, 1);
    assert.deepEqual(l.filterChains[0].filterChainMatch.serverNames, ['nginx.example.com']);
    assert.equal(l.filterChains[0].transportSocket, undefined);
    assert.equal(l.filterChains[0].filters.at(-1).typedConfig.cluster, 'outbound|443||nginx.example.com');
    // The cluster does not originate TLS: the client's own TLS goes through.
    assert.equal(w.clusters.get('outbound|443||nginx.example.com').transportSocket, undefined);
    assert.deepEqual(noRemoteIssues(p), []);
  });

  it('rejects (as a translation issue) a tls route whose sniHosts are not the VirtualService hosts', () => {
    const p = pushWith([gw([{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['*'], tls: { mode: 'PASSTHROUGH' } }]), res('VirtualService', 'bad', { hosts: ['a.example.com'], gateways: ['istio-system/gw'], tls: [{ match: [{ sniHosts: ['b.example.com'] }], route: [{ destination: { host: 'b.example.com' } }] }] })], []);
    assert.ok(issues(p).some((i) => /VirtualService default\/bad spec\.tls\[0\]\.match\[0\]\.sniHosts: b\.example\.com is not one of the VirtualService's hosts/.test(i)), issues(p).join('\n'));
  });
});

describe('Egress TLS origination with DestinationRule credentialName', () => {
  const external = res('ServiceEntry', 'external', { hosts: ['api.example.com'], location: 'MESH_EXTERNAL', resolution: 'STATIC', ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }], endpoints: [{ address: '127.0.0.1', ports: { https: 9443 } }] });
  const dr = (tls: Record<string, unknown>) => res('DestinationRule', 'api', { host: 'api.example.com', trafficPolicy: { tls } });

  it('at a gateway: UpstreamTlsContext with the client certificate and CA over SDS; a sidecar gets the cluster without endpoints', () => {
    const p = pushWith([external, dr({ mode: 'MUTUAL', credentialName: 'client-credential', sni: 'api.example.com', subjectAltNames: ['api.example.com'] })], [cred('client-credential', { cert: CERT('client'), key: KEY, ca: CERT('server-ca') })]);
    const g = wire(p, gateway());
    const ctx = g.clusters.get('outbound|443||api.example.com').transportSocket.typedConfig;
    assert.equal(ctx['@type'], 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext');
    assert.equal(ctx.sni, 'api.example.com');
    assert.equal(ctx.commonTlsContext.tlsCertificateSdsSecretConfigs[0].name, 'kubernetes://client-credential');
    assert.deepEqual(ctx.commonTlsContext.combinedValidationContext.defaultValidationContext, { matchSubjectAltNames: [{ exact: 'api.example.com' }] });
    assert.equal(ctx.commonTlsContext.combinedValidationContext.validationContextSdsSecretConfig.name, 'kubernetes://client-credential-cacert');
    assert.deepEqual([...g.secrets.keys()].filter((n) => n.startsWith('kubernetes://')).sort(), ['kubernetes://client-credential', 'kubernetes://client-credential-cacert']);
    const s = wire(p, sidecar());
    const closed = s.clusters.get('outbound|443||api.example.com');
    assert.equal(closed.type, 'STATIC');
    assert.equal(closed.transportSocket, undefined);
    assert.equal(closed.loadAssignment, undefined);
    assert.deepEqual([...s.secrets.keys()].filter((n) => n.startsWith('kubernetes://')), []);
    assert.ok(issues(p).some((i) => /^error DestinationRule default\/api spec\.trafficPolicy\.tls\.credentialName: credentialName is read at gateways only/.test(i)));
  });

  it('SIMPLE without a CA in the credential fails closed at the gateway too (unless insecureSkipVerify)', () => {
    const p = pushWith([external, dr({ mode: 'SIMPLE', credentialName: 'no-ca' })], [cred('no-ca', { cert: CERT('c'), key: KEY })]);
    const c = wire(p, gateway()).clusters.get('outbound|443||api.example.com');
    assert.equal(c.type, 'STATIC');
    assert.equal(c.transportSocket, undefined);
    assert.ok(issues(p).some((i) => /tls\.credentialName: neither credential no-ca nor no-ca-cacert/.test(i)));
    const skip = pushWith([external, dr({ mode: 'SIMPLE', credentialName: 'no-ca', insecureSkipVerify: true })], [cred('no-ca', { cert: CERT('c'), key: KEY })]);
    const ctx = wire(skip, gateway()).clusters.get('outbound|443||api.example.com').transportSocket.typedConfig;
    assert.deepEqual(ctx.commonTlsContext, {});
    // Every secret-referencing resource round-trips through the protos.
    encodeMessage(TYPE_URLS.cluster, generate(skip, gateway()).clusters.find((x: any) => x.name === 'outbound|443||api.example.com')!);
  });
});
