// Mutual TLS between workloads (pilot's half of docs/pilot-sidecars.md,
// "Mutual TLS"): PeerAuthentication → a sidecar's inbound chains, auto mTLS
// and DestinationRule tls → clusters, tlsMode → endpoint metadata. Every
// resource is checked after encoding and decoding through Envoy's protos.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG_TYPE_URLS, TYPE_URLS, normalize } from '@mesh/xds';
import { generateSnapshot } from './generators/index.ts';
import { capturedSidecar, gateway, generate, grpcClient, push, res, sidecar } from './test-support.ts';
import type { Proxy } from './model/proxy.ts';

const HOST = 'reviews.default.svc.cluster.local';
const SDS = {
  apiConfigSource: { apiType: 'GRPC', transportApiVersion: 'V3', grpcServices: [{ envoyGrpc: { clusterName: 'sds-grpc' } }], setNodeOnFirstMessageOnly: true },
  initialFetchTimeout: { seconds: '0' },
  resourceApiVersion: 'V3',
};
const ALL_ALPN = ['istio-peer-exchange', 'istio', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2'];
const TLS_SOCKET = 'envoy.transport_sockets.tls';

/** The proxy's resources as it receives them (encoded and decoded through Envoy's protos), by name; nothing left out. */
function wire(p: ReturnType<typeof push>, proxy: Proxy) {
  const snap = generateSnapshot(p, proxy, { privilegedPortOffset: 8000, log: { error: (m, f) => assert.fail(`${m} ${JSON.stringify(f)}`) } });
  assert.deepEqual(p.issues.filter((i) => i.category === 'internal' || i.category === 'invalid'), [], 'every resource encodes');
  assert.deepEqual(snap.consistencyErrors(), []);
  const g = generate(p, proxy);
  const index = (type: string, list: object[], key: 'name' | 'clusterName' = 'name') => new Map<string, any>(list.map((o) => [(o as any)[key], normalize(type, o)]));
  return { listeners: index(TYPE_URLS.listener, g.listeners), clusters: index(TYPE_URLS.cluster, g.clusters), endpoints: index(TYPE_URLS.endpoint, g.endpoints, 'clusterName') };
}

const peer = (name: string, spec: Record<string, unknown>, namespace = 'default') => res('PeerAuthentication', name, spec, namespace);

/** A local-mode workload's Sidecar (no capture): HTTP 15081 → 9081, TCP 15082 → 9082, sniffed 15083 → 9083. */
const localSidecar = () =>
  res('Sidecar', 'sleep', {
    workloadSelector: { labels: { app: 'sleep' } },
    ingress: [
      { port: { number: 15081, name: 'http', protocol: 'HTTP' }, defaultEndpoint: '127.0.0.1:9081', captureMode: 'NONE' },
      { port: { number: 15082, name: 'tcp', protocol: 'TCP' }, defaultEndpoint: '127.0.0.1:9082', captureMode: 'NONE' },
      { port: { number: 15083, name: 'web' }, defaultEndpoint: '127.0.0.1:9083', captureMode: 'NONE' },
    ],
    egress: [{ port: { number: 15181, protocol: 'HTTP', name: 'http' }, bind: '127.0.0.1', captureMode: 'NONE', hosts: ['./*'] }],
  });

/** The chains of a listener as [name, match, transport socket type, what the chain forwards with]. */
function chains(l: any): Array<[string, unknown, string | undefined, string]> {
  return l.filterChains.map((c: any) => [c.name, c.filterChainMatch ?? {}, c.transportSocket?.typedConfig?.['@type']?.split('.').pop(), c.filters.map((f: any) => f.name.split('.').pop()).join(',')]);
}

const downstream = (c: any) => normalize(CONFIG_TYPE_URLS.downstreamTlsContext, c.transportSocket.typedConfig);
const upstream = (ts: any) => normalize(CONFIG_TYPE_URLS.upstreamTlsContext, ts.typedConfig);

describe('PeerAuthentication: a local-mode sidecar (Sidecar ingress listeners, no capture)', () => {
  it('without any policy (PERMISSIVE): mTLS chains on the ALPN mesh clients offer, other TLS passed through on TCP ports, plaintext; tls_inspector first', () => {
    const w = wire(push([localSidecar()]), sidecar());
    const http = w.listeners.get('127.0.0.1_15081');
    assert.deepEqual(http.listenerFilters.map((f: any) => f.name), ['envoy.filters.listener.tls_inspector']);
    assert.deepEqual(chains(http), [
      ['127.0.0.1_15081-mtls', { transportProtocol: 'tls', applicationProtocols: ALL_ALPN }, 'DownstreamTlsContext', 'http_connection_manager'],
      ['127.0.0.1_15081', { transportProtocol: 'raw_buffer' }, undefined, 'http_connection_manager'],
    ]);
    assert.equal(http.defaultFilterChain, undefined, 'TLS that is not a mesh client finds no chain on an HTTP port');
    assert.deepEqual(downstream(http.filterChains[0]), {
      commonTlsContext: {
        tlsCertificateSdsSecretConfigs: [{ name: 'default', sdsConfig: SDS }],
        combinedValidationContext: { defaultValidationContext: {}, validationContextSdsSecretConfig: { name: 'ROOTCA', sdsConfig: SDS } },
        alpnProtocols: ['h2', 'http/1.1'],
      },
      requireClientCertificate: { value: true },
    });
    for (const c of http.filterChains) {
      const hcm = c.filters[0].typedConfig;
      assert.equal(hcm.forwardClientCertDetails, 'APPEND_FORWARD');
      assert.deepEqual(hcm.setCurrentClientCertDetails, { subject: { value: true }, dns: true, uri: true });
    }

    const tcp = w.listeners.get('127.0.0.1_15082');
    assert.deepEqual(chains(tcp), [
      ['127.0.0.1_15082-mtls', { transportProtocol: 'tls', applicationProtocols: ALL_ALPN }, 'DownstreamTlsContext', 'tcp_proxy'],
      ['127.0.0.1_15082-tls-passthrough', { transportProtocol: 'tls' }, undefined, 'tcp_proxy'],
      ['127.0.0.1_15082', { transportProtocol: 'raw_buffer' }, undefined, 'tcp_proxy'],
    ]);
    assert.equal(downstream(tcp.filterChains[0]).commonTlsContext.alpnProtocols, undefined, 'no ALPN on TCP chains');

    const sniffed = w.listeners.get('127.0.0.1_15083');
    assert.deepEqual(sniffed.listenerFilters.map((f: any) => f.name), ['envoy.filters.listener.tls_inspector', 'envoy.filters.listener.http_inspector']);
    assert.deepEqual(chains(sniffed), [
      ['127.0.0.1_15083-http-mtls', { transportProtocol: 'tls', applicationProtocols: ['istio-http/1.0', 'istio-http/1.1', 'istio-h2'] }, 'DownstreamTlsContext', 'http_connection_manager'],
      ['127.0.0.1_15083-tcp-mtls', { transportProtocol: 'tls', applicationProtocols: ['istio-peer-exchange', 'istio'] }, 'DownstreamTlsContext', 'tcp_proxy'],
      ['127.0.0.1_15083-tcp-tls-passthrough', { transportProtocol: 'tls' }, undefined, 'tcp_proxy'],
      ['127.0.0.1_15083-http', { applicationProtocols: ['http/1.1', 'h2c'], transportProtocol: 'raw_buffer' }, undefined, 'http_connection_manager'],
      ['127.0.0.1_15083-tcp', { transportProtocol: 'raw_buffer' }, undefined, 'tcp_proxy'],
    ]);
    // Outbound (egress) HCMs keep Envoy's default (SANITIZE): a client cannot forge XFCC.
    const egress = w.listeners.get('127.0.0.1_15181').filterChains[0].filters[0].typedConfig;
    assert.equal(egress.forwardClientCertDetails, undefined);
    assert.equal(egress.setCurrentClientCertDetails, undefined);
  });

  it('STRICT mesh-wide (root namespace, no selector): only the mTLS chain, matched on transport protocol tls alone; plaintext finds no chain', () => {
    const w = wire(push([localSidecar(), peer('default', { mtls: { mode: 'STRICT' } }, 'istio-system')]), sidecar());
    assert.deepEqual(chains(w.listeners.get('127.0.0.1_15081')), [['127.0.0.1_15081-mtls', { transportProtocol: 'tls' }, 'DownstreamTlsContext', 'http_connection_manager']]);
    assert.deepEqual(chains(w.listeners.get('127.0.0.1_15082')), [['127.0.0.1_15082-mtls', { transportProtocol: 'tls' }, 'DownstreamTlsContext', 'tcp_proxy']]);
    assert.deepEqual(chains(w.listeners.get('127.0.0.1_15083')), [
      ['127.0.0.1_15083-http-mtls', { transportProtocol: 'tls', applicationProtocols: ['istio-http/1.0', 'istio-http/1.1', 'istio-h2'] }, 'DownstreamTlsContext', 'http_connection_manager'],
      ['127.0.0.1_15083-tcp-mtls', { transportProtocol: 'tls' }, 'DownstreamTlsContext', 'tcp_proxy'],
    ]);
    for (const name of ['127.0.0.1_15081', '127.0.0.1_15082', '127.0.0.1_15083']) assert.equal(w.listeners.get(name).defaultFilterChain, undefined);
  });

  it('a namespace STRICT policy with a workload DISABLE override: the workload is plaintext only, exactly as without mTLS; other workloads are STRICT', () => {
    const p = push([localSidecar(), peer('ns', { mtls: { mode: 'STRICT' } }), peer('legacy-off', { selector: { matchLabels: { track: 'legacy' } }, mtls: { mode: 'DISABLE' } })]);
    const w = wire(p, sidecar({ LABELS: { app: 'sleep', track: 'legacy' } }));
    const http = w.listeners.get('127.0.0.1_15081');
    assert.equal(http.listenerFilters, undefined, 'no tls_inspector');
    assert.deepEqual(chains(http), [['127.0.0.1_15081', {}, undefined, 'http_connection_manager']]);
    const sniffed = w.listeners.get('127.0.0.1_15083');
    assert.deepEqual(sniffed.listenerFilters.map((f: any) => f.name), ['envoy.filters.listener.http_inspector']);
    assert.deepEqual(chains(sniffed), [['127.0.0.1_15083-http', { applicationProtocols: ['http/1.1', 'h2c'] }, undefined, 'http_connection_manager']]);
    assert.equal(sniffed.defaultFilterChain.name, '127.0.0.1_15083-tcp');
    // Another workload of the namespace (not track: legacy) gets the namespace's STRICT.
    const other = wire(p, sidecar());
    assert.deepEqual(chains(other.listeners.get('127.0.0.1_15081')).map((c) => c[1]), [{ transportProtocol: 'tls' }]);
  });

  it('portLevelMtls (workload ports) overrides the workload mode per port; UNSET inherits from the level above', () => {
    const p = push([
      localSidecar(),
      peer('mesh', { mtls: { mode: 'STRICT' } }, 'istio-system'),
      peer('ns', { mtls: { mode: 'UNSET' } }),
      peer('sleep', { selector: { matchLabels: { app: 'sleep' } }, mtls: {}, portLevelMtls: { 15082: { mode: 'DISABLE' }, 15083: { mode: 'PERMISSIVE' }, 15081: { mode: 'UNSET' } } }),
    ]);
    const w = wire(p, sidecar());
    const matches = (port: number) => chains(w.listeners.get(`127.0.0.1_${port}`)).map((c) => c[1]);
    assert.deepEqual(matches(15081), [{ transportProtocol: 'tls' }], 'UNSET port → the workload mode, itself UNSET → namespace UNSET → mesh STRICT');
    assert.deepEqual(matches(15082), [{}], 'DISABLE');
    assert.equal(matches(15083).length, 5, 'PERMISSIVE: mTLS HTTP and TCP, other TLS, plaintext HTTP and TCP');
  });

  it('the oldest policy of a level wins (the other is reported); selector policies in the root namespace are ignored; an unknown mode is enforced as STRICT', () => {
    const p = push([
      localSidecar(),
      peer('old', { selector: { matchLabels: { app: 'sleep' } }, mtls: { mode: 'DISABLE' } }),
      peer('new', { selector: { matchLabels: { app: 'sleep' } }, mtls: { mode: 'STRICT' } }),
      peer('root-selector', { selector: { matchLabels: { app: 'sleep' } }, mtls: { mode: 'STRICT' } }, 'istio-system'),
    ]);
    const w = wire(p, sidecar());
    assert.deepEqual(chains(w.listeners.get('127.0.0.1_15081')).map((c) => c[1]), [{}]);
    assert.ok(p.issues.some((i) => i.kind === 'PeerAuthentication' && i.name === 'new' && i.category === 'conflict' && /default\/old \(older\) applies/.test(i.message)), JSON.stringify(p.issues));

    const bad = push([localSidecar(), peer('typo', { mtls: { mode: 'STRICTLY' } })]);
    generate(bad, sidecar());
    assert.deepEqual(
      bad.issues.filter((i) => i.kind === 'PeerAuthentication' && i.category !== 'unsupported').map((i) => [i.severity, i.field, i.message]),
      [['error', 'spec.mtls.mode', '"STRICTLY" is not one of UNSET, DISABLE, PERMISSIVE, STRICT; it is enforced as STRICT']],
    );
    assert.deepEqual(chains(generate(bad, sidecar()).listeners.find((l: any) => l.name === '127.0.0.1_15081')).map((c) => c[1]), [{ transportProtocol: 'tls' }]);
  });

  it('does not touch gateways', () => {
    const p = push([
      peer('mesh', { mtls: { mode: 'STRICT' } }, 'istio-system'),
      res('Gateway', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] }),
    ]);
    const l = wire(p, gateway()).listeners.get('0.0.0.0_80');
    assert.deepEqual(chains(l), [[undefined, {}, undefined, 'http_connection_manager']]);
    assert.equal(l.listenerFilters, undefined);
    assert.equal(l.filterChains[0].filters[0].typedConfig.forwardClientCertDetails, undefined);
  });
});

describe('PeerAuthentication: a sidecar with traffic capture (virtualInbound)', () => {
  const registry = [
    res('ServiceEntry', 'reviews', {
      hosts: [HOST],
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      ports: [
        { number: 9080, name: 'http', protocol: 'HTTP' },
        { number: 3306, name: 'tcp-db', protocol: 'TCP' },
      ],
      workloadSelector: { labels: { app: 'reviews' } },
    }),
    res('WorkloadEntry', 'reviews-1', { address: '10.1.0.7', labels: { app: 'reviews', 'security.istio.io/tlsMode': 'istio' }, serviceAccount: 'bookinfo-reviews' }),
  ];
  const pod = () => capturedSidecar('10.1.0.7', { app: 'reviews' });

  it('STRICT: per port the mTLS chain on destination port + tls; the passthrough for undeclared ports is mTLS only too', () => {
    const vi = wire(push([...registry, peer('default', { mtls: { mode: 'STRICT' } })]), pod()).listeners.get('virtualInbound');
    assert.deepEqual(chains(vi), [
      ['virtualInbound-blackhole', { destinationPort: { value: 15006 } }, undefined, 'tcp_proxy'],
      ['0.0.0.0_3306-mtls', { destinationPort: { value: 3306 }, transportProtocol: 'tls' }, 'DownstreamTlsContext', 'tcp_proxy'],
      ['0.0.0.0_9080-mtls', { destinationPort: { value: 9080 }, transportProtocol: 'tls' }, 'DownstreamTlsContext', 'http_connection_manager'],
      ['virtualInbound-mtls', { prefixRanges: [{ addressPrefix: '0.0.0.0', prefixLen: { value: 0 } }], transportProtocol: 'tls' }, 'DownstreamTlsContext', 'tcp_proxy'],
    ]);
    assert.deepEqual(vi.listenerFilters.map((f: any) => [f.name, f.filterDisabled]), [
      ['envoy.filters.listener.original_dst', undefined],
      ['envoy.filters.listener.tls_inspector', undefined],
    ]);
  });

  it('a DISABLE port is plaintext and skips the tls_inspector (server-first protocols are not held back); the others keep it', () => {
    const vi = wire(push([...registry, peer('reviews', { selector: { matchLabels: { app: 'reviews' } }, mtls: { mode: 'PERMISSIVE' }, portLevelMtls: { 3306: { mode: 'DISABLE' } } })]), pod()).listeners.get('virtualInbound');
    assert.deepEqual(
      chains(vi).filter((c) => (c[1] as any).destinationPort?.value === 3306),
      [['0.0.0.0_3306', { destinationPort: { value: 3306 } }, undefined, 'tcp_proxy']],
    );
    assert.equal(chains(vi).filter((c) => (c[1] as any).destinationPort?.value === 9080).length, 2);
    assert.deepEqual(vi.listenerFilters[1], { name: 'envoy.filters.listener.tls_inspector', typedConfig: { '@type': CONFIG_TYPE_URLS.tlsInspector }, filterDisabled: { destinationPortRange: { start: 3306, end: 3307 } } });

    const allOff = wire(push([...registry, peer('reviews', { selector: { matchLabels: { app: 'reviews' } }, mtls: { mode: 'DISABLE' }, portLevelMtls: { 9080: { mode: 'STRICT' } } })]), pod()).listeners.get('virtualInbound');
    assert.deepEqual(allOff.listenerFilters[1].filterDisabled, { notMatch: { destinationPortRange: { start: 9080, end: 9081 } } }, 'only the STRICT port is inspected');
    assert.deepEqual(chains(allOff).at(-1), ['virtualInbound', { prefixRanges: [{ addressPrefix: '0.0.0.0', prefixLen: { value: 0 } }] }, undefined, 'tcp_proxy']);
  });
});

describe('client side: auto mutual TLS and DestinationRule tls', () => {
  const service = (extra: Record<string, unknown> = {}) =>
    res('ServiceEntry', 'reviews', {
      hosts: [HOST],
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      ports: [{ number: 9080, name: 'http', protocol: 'HTTP' }],
      workloadSelector: { labels: { app: 'reviews' } },
      ...extra,
    });
  const workloads = [
    res('WorkloadEntry', 'reviews-v1', { address: '10.1.0.7', labels: { app: 'reviews', version: 'v1', 'security.istio.io/tlsMode': 'istio' }, serviceAccount: 'bookinfo-reviews' }),
    res('WorkloadEntry', 'reviews-v2', { address: '10.1.0.8', labels: { app: 'reviews', version: 'v2', 'security.istio.io/tlsMode': 'istio' }, serviceAccount: 'reviews-v2' }),
    res('WorkloadEntry', 'reviews-legacy', { address: '10.1.0.9', labels: { app: 'reviews', version: 'v1' } }),
  ];
  const dr = (spec: Record<string, unknown>) => res('DestinationRule', 'reviews', { host: HOST, ...spec });
  const mtlsContext = (sans: string[], sni: string) => ({
    commonTlsContext: {
      tlsCertificateSdsSecretConfigs: [{ name: 'default', sdsConfig: SDS }],
      combinedValidationContext: {
        defaultValidationContext: sans.length ? { matchSubjectAltNames: sans.map((exact) => ({ exact })) } : {},
        validationContextSdsSecretConfig: { name: 'ROOTCA', sdsConfig: SDS },
      },
      alpnProtocols: ['istio-peer-exchange', 'istio'],
    },
    sni,
  });
  const SANS = ['spiffe://cluster.local/ns/default/sa/bookinfo-reviews', 'spiffe://cluster.local/ns/default/sa/reviews-v2'];

  it('without a DestinationRule: transportSocketMatches (tlsMode istio → ISTIO_MUTUAL with the SANs of the service accounts and the cluster SNI; else raw_buffer), for sidecars and gateways', () => {
    const p = push([service(), ...workloads]);
    for (const proxy of [sidecar(), capturedSidecar(), gateway()]) {
      const c = wire(p, proxy).clusters.get(`outbound|9080||${HOST}`);
      assert.equal(c.transportSocket, undefined);
      assert.deepEqual(
        c.transportSocketMatches.map((m: any) => [m.name, m.match, m.transportSocket.name]),
        [
          ['tlsMode-istio', { fields: { tlsMode: { stringValue: 'istio' } } }, TLS_SOCKET],
          ['tlsMode-disabled', {}, 'envoy.transport_sockets.raw_buffer'],
        ],
      );
      assert.deepEqual(upstream(c.transportSocketMatches[0].transportSocket), mtlsContext(SANS, `outbound_.9080_._.${HOST}`));
      assert.equal(c.transportSocketMatches[1].transportSocket.typedConfig['@type'], 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer');
    }
  });

  it('EDS: endpoints of workloads labelled security.istio.io/tlsMode istio carry envoy.transport_socket_match {tlsMode: istio}; others none', () => {
    const w = wire(push([service(), ...workloads]), sidecar());
    const eps = w.endpoints.get(`outbound|9080||${HOST}`).endpoints.flatMap((l: any) => l.lbEndpoints);
    assert.deepEqual(
      eps.map((e: any) => [e.endpoint.address.socketAddress.address, e.metadata]),
      [
        ['10.1.0.7', { filterMetadata: { 'envoy.transport_socket_match': { fields: { tlsMode: { stringValue: 'istio' } } } } }],
        ['10.1.0.8', { filterMetadata: { 'envoy.transport_socket_match': { fields: { tlsMode: { stringValue: 'istio' } } } } }],
        ['10.1.0.9', undefined],
      ],
    );
  });

  it('takes the trust domain from the mesh config, adds the ServiceEntry subjectAltNames, and sends an empty SAN list when no identity is known', () => {
    const p = push([service({ subjectAltNames: ['spiffe://other.example/ns/x/sa/y'] }), ...workloads], { trustDomain: 'corp.example' });
    const c = wire(p, sidecar()).clusters.get(`outbound|9080||${HOST}`);
    assert.deepEqual(upstream(c.transportSocketMatches[0].transportSocket).commonTlsContext.combinedValidationContext.defaultValidationContext.matchSubjectAltNames, [
      { exact: 'spiffe://corp.example/ns/default/sa/bookinfo-reviews' },
      { exact: 'spiffe://corp.example/ns/default/sa/reviews-v2' },
      { exact: 'spiffe://other.example/ns/x/sa/y' },
    ]);
    const anon = wire(push([service(), workloads[2]]), sidecar()).clusters.get(`outbound|9080||${HOST}`);
    assert.deepEqual(upstream(anon.transportSocketMatches[0].transportSocket), mtlsContext([], `outbound_.9080_._.${HOST}`));
  });

  it('no auto mTLS with enableAutoMtls false, to MESH_EXTERNAL services, to a namespace whose policy is DISABLE, nor for proxyless gRPC clients', () => {
    const none = (p: ReturnType<typeof push>, proxy: Proxy = sidecar()) => {
      const c = wire(p, proxy).clusters.get(`outbound|9080||${HOST}`);
      assert.equal(c.transportSocketMatches, undefined);
      assert.equal(c.transportSocket, undefined);
    };
    none(push([service(), ...workloads], { enableAutoMtls: false }));
    none(push([service({ location: 'MESH_EXTERNAL' }), ...workloads]));
    none(push([service(), ...workloads, peer('ns', { mtls: { mode: 'DISABLE' } })]));
    const p = push([service(), ...workloads]);
    none(p, grpcClient());
    const eds = generate(p, grpcClient()).endpoints.find((e: any) => e.clusterName === `outbound|9080||${HOST}`) as any;
    assert.ok(eds.endpoints[0].lbEndpoints.every((e: any) => e.metadata === undefined), 'proxyless EDS is unchanged');
  });

  it('DestinationRule ISTIO_MUTUAL: the ISTIO_MUTUAL context as the transport socket for every endpoint (subset SNI; sni and subjectAltNames overrides)', () => {
    const p = push([
      service(),
      ...workloads,
      dr({
        trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL', sni: 'reviews.custom', subjectAltNames: ['spiffe://cluster.local/ns/default/sa/reviews-v2'] } } },
        ],
      }),
    ]);
    const w = wire(p, sidecar());
    const base = w.clusters.get(`outbound|9080||${HOST}`);
    assert.equal(base.transportSocketMatches, undefined);
    assert.equal(base.transportSocket.name, TLS_SOCKET);
    assert.deepEqual(upstream(base.transportSocket), mtlsContext(SANS, `outbound_.9080_._.${HOST}`));
    assert.deepEqual(upstream(w.clusters.get(`outbound|9080|v1|${HOST}`).transportSocket), mtlsContext(SANS, `outbound_.9080_.v1_.${HOST}`));
    assert.deepEqual(upstream(w.clusters.get(`outbound|9080|v2|${HOST}`).transportSocket), mtlsContext(['spiffe://cluster.local/ns/default/sa/reviews-v2'], 'reviews.custom'));
  });

  it('DestinationRule DISABLE: plaintext, no matches; port-level and subset-level tls decide for their clusters', () => {
    const p = push([
      service({ ports: [{ number: 9080, name: 'http', protocol: 'HTTP' }, { number: 9443, name: 'tcp', protocol: 'TCP' }] }),
      ...workloads,
      dr({
        trafficPolicy: { tls: { mode: 'DISABLE' }, portLevelSettings: [{ port: { number: 9443 }, tls: { mode: 'ISTIO_MUTUAL' } }] },
        subsets: [{ name: 'v2', labels: { version: 'v2' }, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }],
      }),
    ]);
    const w = wire(p, sidecar());
    const plain = w.clusters.get(`outbound|9080||${HOST}`);
    assert.equal(plain.transportSocket, undefined);
    assert.equal(plain.transportSocketMatches, undefined);
    assert.equal(w.clusters.get(`outbound|9443||${HOST}`).transportSocket.name, TLS_SOCKET);
    assert.equal(upstream(w.clusters.get(`outbound|9080|v2|${HOST}`).transportSocket).sni, `outbound_.9080_.v2_.${HOST}`);
  });

  it('DestinationRule SIMPLE and MUTUAL: UpstreamTlsContext with file data sources, sni and subjectAltNames; insecureSkipVerify leaves validation out', () => {
    const p = push([
      service(),
      ...workloads,
      dr({
        trafficPolicy: { tls: { mode: 'MUTUAL', caCertificates: '/etc/ca.pem', clientCertificate: '/etc/cert.pem', privateKey: '/etc/key.pem', sni: 'reviews.example', subjectAltNames: ['reviews.example'] } },
        subsets: [
          { name: 'v1', labels: { version: 'v1' }, trafficPolicy: { tls: { mode: 'SIMPLE', caCertificates: '/etc/ca.pem' } } },
          { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { tls: { mode: 'SIMPLE', insecureSkipVerify: true, caCertificates: '/etc/ca.pem', subjectAltNames: ['x'] } } },
        ],
      }),
    ]);
    const w = wire(p, sidecar());
    const mutual = w.clusters.get(`outbound|9080||${HOST}`);
    assert.equal(mutual.transportSocketMatches, undefined, 'no auto mTLS when the rule sets tls');
    assert.deepEqual(upstream(mutual.transportSocket), {
      commonTlsContext: {
        tlsCertificates: [{ certificateChain: { filename: '/etc/cert.pem' }, privateKey: { filename: '/etc/key.pem' } }],
        validationContext: { trustedCa: { filename: '/etc/ca.pem' }, matchSubjectAltNames: [{ exact: 'reviews.example' }] },
      },
      sni: 'reviews.example',
    });
    assert.deepEqual(upstream(w.clusters.get(`outbound|9080|v1|${HOST}`).transportSocket), { commonTlsContext: { validationContext: { trustedCa: { filename: '/etc/ca.pem' } } } });
    assert.deepEqual(upstream(w.clusters.get(`outbound|9080|v2|${HOST}`).transportSocket), { commonTlsContext: {} });
  });
});
