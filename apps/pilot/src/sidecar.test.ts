// Sidecars as Istio configures them: traffic capture (virtualOutbound /
// virtualInbound and per-port listeners), protocol selection, the Sidecar
// resource (selection, egress hosts scoping, ingress/egress listeners without
// capture) and exportTo. Every resource is checked as a proxy receives it:
// encoded through Envoy's protos and decoded again.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadResources, toConfigResource } from '@mesh/config';
import type { ConfigResource } from '@mesh/contracts';
import { CONFIG_TYPE_URLS, TYPE_URLS, normalize } from '@mesh/xds';
import { generateSnapshot } from './generators/index.ts';
import { proxyFromNode, proxyShapeKey } from './model/proxy.ts';
import { parse as parseYaml } from 'yaml';
import { capturedSidecar, gateway, generate, push, res, sidecar, testLog } from './test-support.ts';

/** Istio YAML, validated by @mesh/config as galley would, as pilot reads it from NATS. */
function yaml(text: string): ConfigResource[] {
  const r = loadResources(text);
  assert.deepEqual(
    r.rejected.map((x) => `${x.id}: ${x.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`),
    [],
  );
  return r.accepted.map((a, i) => ({ ...toConfigResource(a.resource), metadata: { ...toConfigResource(a.resource).metadata, creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() } }));
}

/** The proxy's resources encoded and decoded through Envoy's protos (a misspelt field cannot survive), by name. */
function wire(p: ReturnType<typeof push>, proxy: ReturnType<typeof sidecar>) {
  const snap = generateSnapshot(p, proxy, { privilegedPortOffset: 8000, log: { error: (m, f) => assert.fail(`${m} ${JSON.stringify(f)}`) } });
  assert.deepEqual(p.issues.filter((i) => i.category === 'internal'), [], 'every resource encodes');
  assert.deepEqual(snap.consistencyErrors(), [], 'every route table and EDS cluster a listener or cluster names is served');
  const g = generate(p, proxy);
  const index = (type: string, list: object[], key: 'name' | 'clusterName' = 'name') => new Map<string, any>(list.map((o) => [(o as any)[key], normalize(type, o)]));
  return {
    listeners: index(TYPE_URLS.listener, g.listeners),
    routes: index(TYPE_URLS.route, g.routes),
    clusters: index(TYPE_URLS.cluster, g.clusters),
    endpoints: index(TYPE_URLS.endpoint, g.endpoints, 'clusterName'),
  };
}

const tcpCluster = (filter: any) => filter.typedConfig.cluster;

const MESH = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http}]
  workloadSelector: {labels: {app: reviews}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-v1, namespace: default}
spec: {address: 10.1.0.7, labels: {app: reviews, version: v1}, ports: {http: 9081}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: echo, namespace: default}
spec:
  hosts: [echo.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 7070, name: grpc-echo}, {number: 8000, name: web}]
  endpoints: [{address: 10.1.0.8}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: mysql, namespace: default}
spec:
  hosts: [mysql.default.svc.cluster.local]
  addresses: [240.0.0.10]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 3306, name: tcp-mysql, protocol: TCP}]
  endpoints: [{address: 10.1.0.9}, {address: 10.1.0.7}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: cache, namespace: default}
spec:
  hosts: [cache.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 6379, name: redis}]
  endpoints: [{address: 10.1.0.10}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: external-api, namespace: default}
spec:
  hosts: [api.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: https, protocol: TLS}]
`;

describe('sidecars with traffic capture (INTERCEPTION_MODE REDIRECT)', () => {
  const p = push(yaml(MESH));
  const w = wire(p, capturedSidecar('10.1.0.5'));

  it('has no translation issues', () => {
    assert.deepEqual(p.issues, []);
  });

  it('gets virtualOutbound on 0.0.0.0:15001 with use_original_dst, a loop-breaking blackhole chain and a passthrough default chain (ALLOW_ANY)', () => {
    const vo = w.listeners.get('virtualOutbound');
    assert.deepEqual(vo.address, { socketAddress: { address: '0.0.0.0', portValue: 15001 } });
    assert.deepEqual(vo.useOriginalDst, { value: true });
    assert.equal(vo.trafficDirection, 'OUTBOUND');
    assert.deepEqual(vo.filterChains[0].filterChainMatch, { destinationPort: { value: 15001 } });
    assert.equal(tcpCluster(vo.filterChains[0].filters[0]), 'BlackHoleCluster');
    assert.equal(vo.defaultFilterChain.filters[0].typedConfig['@type'], CONFIG_TYPE_URLS.tcpProxy);
    assert.equal(tcpCluster(vo.defaultFilterChain.filters[0]), 'PassthroughCluster');
    assert.equal(w.routes.get('outbound_http'), undefined, 'no explicit-proxy route table');
  });

  it('gets an HTTP listener 0.0.0.0_<port> (not bound) per HTTP port with RDS <port>, codec AUTO and WebSocket upgrades', () => {
    for (const port of [9080, 7070]) {
      const l = w.listeners.get(`0.0.0.0_${port}`);
      assert.deepEqual(l.address, { socketAddress: { address: '0.0.0.0', portValue: port } });
      assert.deepEqual(l.bindToPort, { value: false });
      const hcm = l.filterChains[0].filters[0].typedConfig;
      assert.equal(hcm['@type'], CONFIG_TYPE_URLS.httpConnectionManager);
      assert.equal(hcm.statPrefix, `outbound_0.0.0.0_${port}`);
      assert.equal(hcm.rds.routeConfigName, String(port));
      assert.equal(hcm.codecType, 'AUTO');
      assert.deepEqual(hcm.upgradeConfigs, [{ upgradeType: 'websocket' }]);
    }
  });

  it("names route <port>'s virtual hosts as Istio (host:port; host, host:port, short names) and ends with allow_any", () => {
    const rc = w.routes.get('9080');
    assert.deepEqual(rc.virtualHosts.map((v: any) => v.name), ['reviews.default.svc.cluster.local:9080', 'allow_any']);
    assert.deepEqual(rc.virtualHosts[0].domains, [
      'reviews.default.svc.cluster.local',
      'reviews.default.svc.cluster.local:9080',
      'reviews',
      'reviews:9080',
      'reviews.default',
      'reviews.default:9080',
      'reviews.default.svc',
      'reviews.default.svc:9080',
    ]);
    assert.equal(rc.virtualHosts[0].routes[0].route.cluster, 'outbound|9080||reviews.default.svc.cluster.local');
    assert.deepEqual(rc.virtualHosts[1].domains, ['*']);
    assert.equal(rc.virtualHosts[1].routes[0].route.cluster, 'PassthroughCluster');
  });

  it('selects protocols as Istio: grpc-* gets HTTP/2 upstream, an unknown name is sniffed, redis and tcp-* are TCP, TLS goes by SNI', () => {
    const grpc = w.clusters.get('outbound|7070||echo.default.svc.cluster.local');
    const opts = grpc.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    assert.equal(opts['@type'], CONFIG_TYPE_URLS.httpProtocolOptions);
    assert.deepEqual(opts.explicitHttpConfig, { http2ProtocolOptions: {} });

    // "web" names no protocol: HTTP/1.1 and h2c are routed, anything else is proxied as TCP.
    const sniffed = w.listeners.get('0.0.0.0_8000');
    assert.deepEqual(sniffed.listenerFilters.map((f: any) => f.name), ['envoy.filters.listener.http_inspector']);
    assert.deepEqual(sniffed.filterChains[0].filterChainMatch, { applicationProtocols: ['http/1.1', 'h2c'] });
    assert.equal(sniffed.filterChains[0].filters[0].typedConfig.rds.routeConfigName, '8000');
    assert.equal(tcpCluster(sniffed.defaultFilterChain.filters[0]), 'outbound|8000||echo.default.svc.cluster.local');
    assert.ok(w.routes.get('8000').virtualHosts.some((v: any) => v.name === 'echo.default.svc.cluster.local:8000'));
    // As Istio: a sniffed port keeps the client's protocol upstream (HTTP/1.1 stays HTTP/1.1, h2c stays HTTP/2).
    assert.deepEqual(w.clusters.get('outbound|8000||echo.default.svc.cluster.local').typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].useDownstreamProtocolConfig, { httpProtocolOptions: {}, http2ProtocolOptions: {} });

    // TCP with a VIP: <VIP>_<port>; without: 0.0.0.0_<port>.
    const mysql = w.listeners.get('240.0.0.10_3306');
    assert.deepEqual(mysql.address, { socketAddress: { address: '240.0.0.10', portValue: 3306 } });
    assert.deepEqual(mysql.bindToPort, { value: false });
    assert.equal(tcpCluster(mysql.filterChains[0].filters[0]), 'outbound|3306||mysql.default.svc.cluster.local');
    assert.equal(mysql.filterChains[0].filters[0].typedConfig.statPrefix, 'outbound|3306||mysql.default.svc.cluster.local');
    assert.equal(tcpCluster(w.listeners.get('0.0.0.0_6379').filterChains[0].filters[0]), 'outbound|6379||cache.default.svc.cluster.local');

    // TLS passthrough: tls_inspector, one chain per host by server name, else passthrough.
    const tls = w.listeners.get('0.0.0.0_443');
    assert.deepEqual(tls.listenerFilters.map((f: any) => f.name), ['envoy.filters.listener.tls_inspector']);
    assert.deepEqual(tls.filterChains[0].filterChainMatch, { serverNames: ['api.example.com'] });
    assert.equal(tcpCluster(tls.filterChains[0].filters[0]), 'outbound|443||api.example.com');
    assert.equal(tcpCluster(tls.defaultFilterChain.filters[0]), 'PassthroughCluster');
  });

  it("gets Istio's PassthroughCluster (original destination of the connection), BlackHoleCluster and InboundPassthroughClusterIpv4 (from 127.0.0.6)", () => {
    assert.deepEqual(w.clusters.get('PassthroughCluster'), { name: 'PassthroughCluster', type: 'ORIGINAL_DST', lbPolicy: 'CLUSTER_PROVIDED', connectTimeout: { seconds: '10' } });
    assert.deepEqual(w.clusters.get('BlackHoleCluster'), { name: 'BlackHoleCluster', type: 'STATIC', connectTimeout: { seconds: '10' } });
    assert.deepEqual(w.clusters.get('InboundPassthroughClusterIpv4'), {
      name: 'InboundPassthroughClusterIpv4',
      type: 'ORIGINAL_DST',
      lbPolicy: 'CLUSTER_PROVIDED',
      connectTimeout: { seconds: '10' },
      upstreamBindConfig: { sourceAddress: { address: '127.0.0.6', portValue: 0 } },
    });
  });

  it('gets virtualInbound on 0.0.0.0:15006 with only the blackhole and passthrough chains (mTLS, other TLS, plaintext: PERMISSIVE) when it runs no service instance', () => {
    const vi = w.listeners.get('virtualInbound');
    assert.deepEqual(vi.address, { socketAddress: { address: '0.0.0.0', portValue: 15006 } });
    assert.equal(vi.trafficDirection, 'INBOUND');
    assert.deepEqual(vi.listenerFilters.map((f: any) => f.name), ['envoy.filters.listener.original_dst', 'envoy.filters.listener.tls_inspector']);
    assert.deepEqual(vi.filterChains.map((c: any) => c.name), ['virtualInbound-blackhole', 'virtualInbound-mtls', 'virtualInbound-tls-passthrough', 'virtualInbound']);
    assert.deepEqual(vi.filterChains[3].filterChainMatch, { prefixRanges: [{ addressPrefix: '0.0.0.0', prefixLen: { value: 0 } }], transportProtocol: 'raw_buffer' });
    for (const c of vi.filterChains.slice(1)) assert.equal(tcpCluster(c.filters[0]), 'InboundPassthroughClusterIpv4');
  });

  it("gives inbound HTTP routes Istio's inbound retry policy (reset-before-request, 2 retries), except on gRPC ports", () => {
    const echo = wire(p, capturedSidecar('10.1.0.8', { app: 'echo' }));
    const routeOf = (port: number) => {
      const chain = echo.listeners.get('virtualInbound').filterChains.find((c: any) => c.filterChainMatch?.destinationPort?.value === port && !c.name.endsWith('-mtls') && c.filters[0].name === 'envoy.filters.network.http_connection_manager');
      return chain.filters[0].typedConfig.routeConfig.virtualHosts[0].routes[0].route;
    };
    assert.deepEqual(routeOf(8000).retryPolicy, { retryOn: 'reset-before-request', numRetries: { value: 2 } }, 'a sniffed port');
    assert.equal(routeOf(7070).retryPolicy, undefined, 'grpc-echo');
  });

  it("builds inbound chains for the proxy's own instances (WorkloadEntry address = its IP) on the instance ports, to inbound|<port>|| clusters", () => {
    const own = wire(p, capturedSidecar('10.1.0.7', { app: 'reviews', version: 'v1' }));
    const vi = own.listeners.get('virtualInbound');
    // No PeerAuthentication: PERMISSIVE, mTLS and plaintext chains per port (mtls.test.ts has the details).
    assert.deepEqual(vi.filterChains.map((c: any) => [c.name, c.filterChainMatch?.destinationPort?.value]), [
      ['virtualInbound-blackhole', 15006],
      ['0.0.0.0_3306-mtls', 3306],
      ['0.0.0.0_3306-tls-passthrough', 3306],
      ['0.0.0.0_3306', 3306],
      ['0.0.0.0_9081-mtls', 9081],
      ['0.0.0.0_9081', 9081],
      ['virtualInbound-mtls', undefined],
      ['virtualInbound-tls-passthrough', undefined],
      ['virtualInbound', undefined],
    ]);
    const http = vi.filterChains[5].filters[0].typedConfig;
    assert.equal(http.statPrefix, 'inbound_0.0.0.0_9081');
    assert.deepEqual(http.upgradeConfigs, [{ upgradeType: 'websocket' }]);
    assert.equal(http.rds, undefined);
    assert.deepEqual(http.routeConfig.virtualHosts, [{ name: 'inbound|http|9081', domains: ['*'], routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster: 'inbound|9081||', timeout: { seconds: '0' }, retryPolicy: { retryOn: 'reset-before-request', numRetries: { value: 2 } } } }] }]);
    assert.equal(tcpCluster(vi.filterChains[3].filters[0]), 'inbound|3306||');
    // Istio >= 1.10: on to the original destination (the instance IP), from 127.0.0.6.
    assert.deepEqual(own.clusters.get('inbound|9081||'), {
      name: 'inbound|9081||',
      type: 'ORIGINAL_DST',
      lbPolicy: 'CLUSTER_PROVIDED',
      connectTimeout: { seconds: '10' },
      upstreamBindConfig: { sourceAddress: { address: '127.0.0.6', portValue: 0 } },
    });
    assert.notEqual(proxyShapeKey(capturedSidecar('10.1.0.7', { app: 'reviews', version: 'v1' })), proxyShapeKey(capturedSidecar('10.1.0.5', { app: 'reviews', version: 'v1' })));
  });

  it("also finds instances by the ServiceEntry's workloadSelector in the proxy's namespace, and sniffs inbound ports without a protocol", () => {
    const p2 = push(
      yaml(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: web, namespace: shop}
spec:
  hosts: [web.shop.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: web, targetPort: 8080}]
  workloadSelector: {labels: {app: web}}
`),
    );
    const vi = wire(p2, capturedSidecar('10.2.0.1', { app: 'web' }, 'shop')).listeners.get('virtualInbound');
    assert.deepEqual(vi.listenerFilters.map((f: any) => f.name), ['envoy.filters.listener.original_dst', 'envoy.filters.listener.tls_inspector', 'envoy.filters.listener.http_inspector']);
    // Only connections to the sniffed port wait for the inspector (a server-first TCP port elsewhere must not).
    assert.deepEqual(vi.listenerFilters[2].filterDisabled, { notMatch: { destinationPortRange: { start: 8080, end: 8081 } } });
    // PERMISSIVE (no PeerAuthentication): mTLS HTTP and TCP by the ALPN mesh clients offer, other TLS passed through, then plaintext as before.
    assert.deepEqual(vi.filterChains.map((c: any) => c.filterChainMatch), [
      { destinationPort: { value: 15006 } },
      { destinationPort: { value: 8080 }, transportProtocol: 'tls', applicationProtocols: ['istio-http/1.0', 'istio-http/1.1', 'istio-h2'] },
      { destinationPort: { value: 8080 }, transportProtocol: 'tls', applicationProtocols: ['istio-peer-exchange', 'istio'] },
      { destinationPort: { value: 8080 }, transportProtocol: 'tls' },
      { applicationProtocols: ['http/1.1', 'h2c'], destinationPort: { value: 8080 }, transportProtocol: 'raw_buffer' },
      { destinationPort: { value: 8080 }, transportProtocol: 'raw_buffer' },
      { prefixRanges: [{ addressPrefix: '0.0.0.0', prefixLen: { value: 0 } }], transportProtocol: 'tls', applicationProtocols: ['istio-peer-exchange', 'istio', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2'] },
      { prefixRanges: [{ addressPrefix: '0.0.0.0', prefixLen: { value: 0 } }], transportProtocol: 'tls' },
      { prefixRanges: [{ addressPrefix: '0.0.0.0', prefixLen: { value: 0 } }], transportProtocol: 'raw_buffer' },
    ]);
    const other = wire(p2, capturedSidecar('10.2.0.2', { app: 'web' }, 'other')).listeners.get('virtualInbound');
    assert.equal(other.filterChains.length, 4, 'a workload of another namespace is not an instance: the blackhole and passthrough chains only');
  });

  it('shifts TCP traffic by the weights of a VirtualService tcp route', () => {
    const p2 = push([
      ...yaml(MESH),
      ...yaml(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: mysql, namespace: default}
spec:
  host: mysql
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: mysql, namespace: default}
spec:
  hosts: [mysql]
  tcp:
  - match: [{port: 3306}]
    route:
    - destination: {host: mysql, subset: v1}
      weight: 80
    - destination: {host: mysql, subset: v2}
      weight: 20
`),
    ]);
    const tcp = wire(p2, capturedSidecar()).listeners.get('240.0.0.10_3306').filterChains[0].filters[0].typedConfig;
    assert.equal(tcp.statPrefix, '240.0.0.10_3306');
    assert.deepEqual(tcp.weightedClusters, {
      clusters: [
        { name: 'outbound|3306|v1|mysql.default.svc.cluster.local', weight: 80 },
        { name: 'outbound|3306|v2|mysql.default.svc.cluster.local', weight: 20 },
      ],
    });
  });
});

describe('outboundTrafficPolicy', () => {
  it('REGISTRY_ONLY (mesh config) black-holes unknown destinations: virtualOutbound, the TLS default chain and block_all 502', () => {
    const p = push(yaml(MESH), { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
    const w = wire(p, capturedSidecar());
    assert.equal(tcpCluster(w.listeners.get('virtualOutbound').defaultFilterChain.filters[0]), 'BlackHoleCluster');
    assert.equal(tcpCluster(w.listeners.get('0.0.0.0_443').defaultFilterChain.filters[0]), 'BlackHoleCluster');
    const last = w.routes.get('9080').virtualHosts.at(-1);
    assert.equal(last.name, 'block_all');
    assert.equal(last.routes[0].directResponse.status, 502);
  });

  it("a Sidecar's outboundTrafficPolicy overrides the mesh's", () => {
    const p = push([
      ...yaml(MESH),
      ...yaml(`
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
`),
    ]);
    const w = wire(p, capturedSidecar());
    assert.equal(tcpCluster(w.listeners.get('virtualOutbound').defaultFilterChain.filters[0]), 'BlackHoleCluster');
    assert.equal(w.routes.get('9080').virtualHosts.at(-1).name, 'block_all');
    // Proxies of other namespaces keep the mesh's ALLOW_ANY.
    assert.equal(tcpCluster(wire(p, capturedSidecar('10.9.0.1', { app: 'x' }, 'other')).listeners.get('virtualOutbound').defaultFilterChain.filters[0]), 'PassthroughCluster');
  });
});

// The examples of istio.io's Sidecar reference page.
const ISTIO_SIDECAR_DOCS = `
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: default
  namespace: istio-config
spec:
  egress:
  - hosts:
    - "./*"
    - "istio-system/*"
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: default
  namespace: prod-us1
spec:
  egress:
  - hosts:
    - "prod-us2/*"
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: ratings
  namespace: prod-us1
spec:
  workloadSelector:
    labels:
      app: ratings
  ingress:
  - port:
      number: 9080
      protocol: HTTP
      name: somename
    defaultEndpoint: unix:///var/run/someuds.sock
  egress:
  - port:
      number: 9080
      protocol: HTTP
      name: egresshttp
    hosts:
    - "prod-us1/*"
  - hosts:
    - "istio-system/*"
`;

const svcYaml = (name: string, ns: string, port = 9080, extra = '') => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: ${ns}}
spec:
  hosts: [${name}.${ns}.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: ${port}, name: http}]
  endpoints: [{address: 10.3.0.1}]
${extra}
---`;

describe("Istio's Sidecar resource", () => {
  const services = yaml(
    [svcYaml('details', 'prod-us1'), svcYaml('reviews', 'prod-us2'), svcYaml('istiod', 'istio-system', 15010), svcYaml('other', 'other-ns'), svcYaml('productpage', 'bookinfo')].join('\n'),
  );
  const p = push([...services, ...yaml(ISTIO_SIDECAR_DOCS)], { rootNamespace: 'istio-config' });
  const hostsIn = (w: ReturnType<typeof wire>) => ({
    clusters: [...w.clusters.keys()].filter((c) => c.startsWith('outbound|')).sort(),
    endpoints: [...w.endpoints.keys()].sort(),
    vhosts: [...w.routes.values()].flatMap((rc: any) => rc.virtualHosts.map((v: any) => v.name)).filter((n: string) => n.includes('.')).sort(),
  });

  it('selects by workloadSelector first, then the namespace Sidecar, then the root namespace (mesh rootNamespace)', () => {
    assert.equal(p.sidecarFor(capturedSidecar('10.0.0.1', { app: 'ratings' }, 'prod-us1'))?.name, 'ratings');
    assert.equal(p.sidecarFor(capturedSidecar('10.0.0.2', { app: 'details' }, 'prod-us1'))?.name, 'default');
    assert.equal(p.sidecarFor(capturedSidecar('10.0.0.2', { app: 'details' }, 'prod-us1'))?.namespace, 'prod-us1');
    assert.equal(p.sidecarFor(capturedSidecar('10.0.0.3', { app: 'productpage' }, 'bookinfo'))?.namespace, 'istio-config');
    assert.equal(p.sidecarFor(gateway()), undefined, 'gateways get no Sidecar');
    // Without mesh rootNamespace, istio-system is the root: istio-config's Sidecar is just that namespace's.
    assert.equal(push([...services, ...yaml(ISTIO_SIDECAR_DOCS)]).sidecarFor(capturedSidecar('10.0.0.3', { app: 'productpage' }, 'bookinfo')), undefined);
  });

  it('scopes CDS, EDS and RDS to the egress hosts: a service outside them is absent', () => {
    // Root default: "./*" (the proxy's own namespace) and istio-system.
    assert.deepEqual(hostsIn(wire(p, capturedSidecar('10.0.0.3', { app: 'productpage' }, 'bookinfo'))), {
      clusters: ['outbound|15010||istiod.istio-system.svc.cluster.local', 'outbound|9080||productpage.bookinfo.svc.cluster.local'],
      endpoints: ['outbound|15010||istiod.istio-system.svc.cluster.local', 'outbound|9080||productpage.bookinfo.svc.cluster.local'],
      vhosts: ['istiod.istio-system.svc.cluster.local:15010', 'productpage.bookinfo.svc.cluster.local:9080'],
    });
    // prod-us1's namespace default: only prod-us2.
    assert.deepEqual(hostsIn(wire(p, capturedSidecar('10.0.0.2', { app: 'details' }, 'prod-us1'))).clusters, ['outbound|9080||reviews.prod-us2.svc.cluster.local']);
  });

  it('builds the egress listener with a port for its hosts, the catch-all for the rest, and the ingress listener to the unix socket', () => {
    const w = wire(p, capturedSidecar('10.0.0.1', { app: 'ratings' }, 'prod-us1'));
    assert.deepEqual(hostsIn(w).clusters, ['outbound|15010||istiod.istio-system.svc.cluster.local', 'outbound|9080||details.prod-us1.svc.cluster.local']);
    assert.deepEqual(w.routes.get('9080').virtualHosts.map((v: any) => v.name), ['details.prod-us1.svc.cluster.local:9080', 'allow_any']);
    assert.ok(w.listeners.get('0.0.0.0_15010'), 'the catch-all egress listener serves istio-system');
    const vi = w.listeners.get('virtualInbound');
    assert.deepEqual(vi.filterChains.map((c: any) => c.filterChainMatch?.destinationPort?.value), [15006, 9080, 9080, undefined, undefined, undefined]);
    assert.deepEqual(w.clusters.get('inbound|9080||').loadAssignment.endpoints[0].lbEndpoints[0].endpoint.address, { pipe: { path: '/var/run/someuds.sock' } });
    assert.equal(w.clusters.get('inbound|9080||').type, 'STATIC');
  });

  it("serves a VM without iptables (the reference page's captureMode NONE example): ingress bound on the instance IP to 127.0.0.1:8080, egress bound on 127.0.0.1:3306", () => {
    const p2 = push(
      yaml(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: external-svc-mysql, namespace: ns1}
spec:
  hosts: [mysql.foo.com]
  ports: [{number: 3306, name: mysql, protocol: MYSQL}]
  location: MESH_EXTERNAL
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: no-ip-tables
  namespace: prod-us1
spec:
  workloadSelector:
    labels:
      app: productpage
  ingress:
  - port:
      number: 9080 # binds to proxy_instance_ip:9080 (0.0.0.0:9080, if no unicast IP is available for the instance)
      protocol: HTTP
      name: somename
    defaultEndpoint: 127.0.0.1:8080
    captureMode: NONE # not needed if metadata is set for entire proxy
  egress:
  - port:
      number: 3306
      protocol: MYSQL
      name: egressmysql
    captureMode: NONE # not needed if metadata is set for entire proxy
    bind: 127.0.0.1
    hosts:
    - "*/mysql.foo.com"
`),
    );
    for (const proxy of [capturedSidecar('10.4.0.1', { app: 'productpage' }, 'prod-us1'), capturedSidecar('10.4.0.1', { app: 'productpage' }, 'prod-us1', { INTERCEPTION_MODE: 'NONE' })]) {
      const w = wire(p2, proxy);
      const ingress = w.listeners.get('10.4.0.1_9080');
      assert.deepEqual(ingress.address, { socketAddress: { address: '10.4.0.1', portValue: 9080 } });
      assert.equal(ingress.bindToPort, undefined, 'bound (Envoy default)');
      const hcm = ingress.filterChains[0].filters[0].typedConfig;
      assert.equal(hcm.statPrefix, 'inbound_10.4.0.1_9080');
      assert.equal(hcm.routeConfig.virtualHosts[0].routes[0].route.cluster, 'inbound|9080||');
      assert.deepEqual(w.clusters.get('inbound|9080||').loadAssignment.endpoints[0].lbEndpoints[0].endpoint.address, { socketAddress: { address: '127.0.0.1', portValue: 8080 } });
      const egress = w.listeners.get('127.0.0.1_3306');
      assert.deepEqual(egress.address, { socketAddress: { address: '127.0.0.1', portValue: 3306 } });
      assert.equal(tcpCluster(egress.filterChains[0].filters[0]), 'outbound|3306||mysql.foo.com');
      assert.deepEqual([...w.clusters.keys()].filter((c) => c.startsWith('outbound|')), ['outbound|3306||mysql.foo.com']);
    }
    assert.deepEqual(p2.issues, []);
  });

  it('gives a local-mode workload (no capture) HTTP egress on bind:port routing every imported service by Host, and no compatibility listener', () => {
    const p2 = push([
      ...yaml(svcYaml('hello', 'default', 80) + svcYaml('world', 'default', 8080)),
      ...yaml(`
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: sleep, namespace: default}
spec:
  workloadSelector: {labels: {app: sleep}}
  ingress:
  - port: {number: 15080, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:9090
  egress:
  - port: {number: 15001, protocol: HTTP, name: http-egress}
    bind: 127.0.0.1
    hosts: ["./*"]
`),
    ]);
    const w = wire(p2, sidecar());
    assert.deepEqual([...w.listeners.keys()].sort(), ['127.0.0.1_15001', '127.0.0.1_15080']);
    assert.equal(w.listeners.get('127.0.0.1_15001').filterChains[0].filters[0].typedConfig.rds.routeConfigName, '127.0.0.1:15001');
    const rc = w.routes.get('127.0.0.1:15001');
    assert.deepEqual(rc.virtualHosts.map((v: any) => [v.name, v.domains.includes(v.name.split('.')[0])]), [
      ['hello.default.svc.cluster.local:80', true],
      ['world.default.svc.cluster.local:8080', true],
      ['allow_any', false],
    ]);
    // Without capture, PassthroughCluster takes the destination from x-envoy-original-dst-host.
    assert.deepEqual(w.clusters.get('PassthroughCluster').originalDstLbConfig, { useHttpHeader: true });
    assert.equal(w.clusters.get('InboundPassthroughClusterIpv4'), undefined);
    assert.deepEqual(w.clusters.get('inbound|15080||').loadAssignment.endpoints[0].lbEndpoints[0].endpoint.address, { socketAddress: { address: '127.0.0.1', portValue: 9090 } });
  });

  it('reports what it cannot honour as translation issues naming the Sidecar and field', () => {
    // Not through galley's validation: galley now refuses `ingress[].tls` (an error finding); pilot must still
    // report it if such a resource reaches it (stored before that, or by another writer).
    const p2 = push([
      res(
        'Sidecar',
        'partial',
        parseYaml(`
  ingress:
  - port: {number: 9443, protocol: HTTPS, name: https}
    defaultEndpoint: 127.0.0.1:8443
    tls: {mode: SIMPLE, serverCertificate: /etc/certs/c.pem, privateKey: /etc/certs/k.pem}
  - port: {number: 9090, protocol: HTTP, name: http}
    captureMode: NONE
  egress:
  - hosts: ["./*"]
  outboundTrafficPolicy:
    mode: ALLOW_ANY
    egressProxy: {host: egress.example.com, port: {number: 443}}
  inboundConnectionPool: {tcp: {maxConnections: 10}}
`),
      ),
    ]);
    wire(p2, sidecar());
    const issues = p2.issues.map((i) => `${i.severity} ${i.category} ${i.kind} ${i.namespace}/${i.name} ${i.field}`);
    assert.deepEqual(issues.sort(), [
      'error invalid Sidecar default/partial spec.ingress[1].defaultEndpoint',
      'error unsupported Sidecar default/partial spec.ingress[0].tls',
      'warning unsupported Sidecar default/partial spec.egress[0]',
      'warning unsupported Sidecar default/partial spec.inboundConnectionPool',
      'warning unsupported Sidecar default/partial spec.outboundTrafficPolicy.egressProxy',
    ]);
  });

  it('reports a second Sidecar without workloadSelector in a namespace as a conflict and applies the oldest', () => {
    const p2 = push(
      yaml(`
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: first, namespace: default}
spec: {egress: [{hosts: ["./*"]}]}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: second, namespace: default}
spec: {egress: [{hosts: ["*/*"]}]}
`),
    );
    assert.equal(p2.sidecarFor(capturedSidecar())?.name, 'first');
    assert.deepEqual(p2.issues.map((i) => `${i.category} ${i.name} ${i.field}`), ['conflict second spec.workloadSelector']);
  });
});

describe('exportTo', () => {
  const configs = () =>
    yaml(
      svcYaml('private', 'team-a', 80, '  exportTo: ["."]') +
        svcYaml('shared', 'team-a', 80) +
        `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shared-local, namespace: team-a}
spec:
  hosts: [shared.team-a.svc.cluster.local]
  exportTo: ["."]
  http: [{route: [{destination: {host: shared.team-a.svc.cluster.local}}], timeout: 3s}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: shared-b, namespace: team-b}
spec:
  host: shared.team-a.svc.cluster.local
  exportTo: ["."]
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
`,
    );

  it('limits ServiceEntries, VirtualServices and DestinationRules to the namespaces they are exported to', () => {
    const p = push(configs());
    const a = wire(p, capturedSidecar('10.5.0.1', { app: 'a' }, 'team-a'));
    const b = wire(p, capturedSidecar('10.5.0.2', { app: 'b' }, 'team-b'));
    assert.ok(a.clusters.has('outbound|80||private.team-a.svc.cluster.local'));
    assert.equal(b.clusters.has('outbound|80||private.team-a.svc.cluster.local'), false);
    assert.equal(b.endpoints.has('outbound|80||private.team-a.svc.cluster.local'), false);
    const route = (w: ReturnType<typeof wire>) => w.routes.get('80').virtualHosts.find((v: any) => v.name === 'shared.team-a.svc.cluster.local:80').routes[0].route;
    assert.deepEqual(route(a).timeout, { seconds: '3' }, 'the VirtualService applies in its namespace');
    assert.deepEqual(route(b).timeout, { seconds: '0' }, 'and not in another: the default route');
    // The DestinationRule of team-b applies to team-b's proxies only (Istio's lookup: the proxy's namespace first).
    assert.equal(b.clusters.get('outbound|80||shared.team-a.svc.cluster.local').lbPolicy, 'RANDOM');
    assert.equal(a.clusters.get('outbound|80||shared.team-a.svc.cluster.local').lbPolicy, 'LEAST_REQUEST', "Istio's default");
    assert.deepEqual(p.issues, []);
  });

  it("takes the mesh config's default<Kind>ExportTo when a resource sets none", () => {
    const p = push(configs(), { defaultServiceExportTo: ['.'] });
    assert.equal(wire(p, capturedSidecar('10.5.0.2', { app: 'b' }, 'team-b')).clusters.has('outbound|80||shared.team-a.svc.cluster.local'), false);
    const bad = push(configs(), { defaultVirtualServiceExportTo: ['Not A Namespace'] });
    assert.deepEqual(bad.issues.map((i) => `${i.kind} ${i.field}`), ['MeshConfig defaultVirtualServiceExportTo[0]']);
  });

  it('applies to gateways: a VirtualService exported only to its own namespace is not served by a gateway of another', () => {
    const gw = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: site, namespace: web}
spec:
  hosts: [site.example.com]
  gateways: [istio-system/gw]
  exportTo: [EXPORT]
  http: [{route: [{destination: {host: site.web.svc.cluster.local}}]}]
`;
    const names = (exportTo: string) => wire(push(yaml(gw.replace('EXPORT', exportTo))), gateway()).routes.get('http.80').virtualHosts.map((v: any) => v.name);
    assert.deepEqual(names('"."'), ['blackhole:80']);
    assert.deepEqual(names('istio-system'), ['site.example.com:80']);
  });
});

describe('proxy metadata', () => {
  const node = (metadata: Record<string, unknown>) => proxyFromNode({ id: 'sidecar~10.0.0.1~a-1.ns~ns.svc.cluster.local', metadata }, { bindHost: '127.0.0.1', outboundPort: 15001 });

  it("parses INTERCEPTION_MODE (REDIRECT when absent, Istio's default), INBOUND_PORT and INSTANCE_IPS", () => {
    assert.equal(node({}).interceptionMode, 'REDIRECT');
    assert.equal(node({ INTERCEPTION_MODE: 'NONE' }).interceptionMode, 'NONE');
    assert.equal(node({ INTERCEPTION_MODE: 'TPROXY' }).interceptionMode, 'TPROXY');
    assert.equal(node({}).inboundPort, 15006);
    assert.equal(node({ INBOUND_PORT: '16006' }).inboundPort, 16006);
    assert.deepEqual(node({}).ips, ['10.0.0.1']);
    assert.deepEqual(node({ INSTANCE_IPS: '10.0.0.2,fd00::2, junk' }).ips, ['10.0.0.2', 'fd00::2']);
  });

  it('puts what changes the configuration into proxyShapeKey (interception mode, IPs, labels)', () => {
    const base = node({ LABELS: { app: 'a' } });
    assert.equal(proxyShapeKey(base), proxyShapeKey(node({ LABELS: { app: 'a' } })));
    assert.notEqual(proxyShapeKey(base), proxyShapeKey(node({ LABELS: { app: 'a' }, INTERCEPTION_MODE: 'NONE' })));
    assert.notEqual(proxyShapeKey(base), proxyShapeKey(node({ LABELS: { app: 'b' } })));
    assert.notEqual(proxyShapeKey(base), proxyShapeKey(node({ LABELS: { app: 'a' }, INSTANCE_IPS: '10.0.0.9' })));
  });

  it('listens on INBOUND_PORT and OUTBOUND_PORT under capture', () => {
    const w = wire(push(yaml(MESH)), capturedSidecar('10.1.0.5', { app: 'x' }, 'default', { INBOUND_PORT: '16006', OUTBOUND_PORT: '16001' }));
    assert.equal(w.listeners.get('virtualInbound').address.socketAddress.portValue, 16006);
    assert.equal(w.listeners.get('virtualOutbound').address.socketAddress.portValue, 16001);
    assert.deepEqual(w.listeners.get('virtualOutbound').filterChains[0].filterChainMatch, { destinationPort: { value: 16001 } });
  });

  it('keeps the compatibility mode for INTERCEPTION_MODE NONE without a Sidecar', () => {
    const w = wire(push(yaml(MESH)), sidecar());
    assert.deepEqual([...w.listeners.keys()], ['virtualOutbound']);
    assert.equal(w.listeners.get('virtualOutbound').useOriginalDst, undefined);
    assert.deepEqual([...w.routes.keys()], ['outbound_http']);
    testLog.debug('compatibility mode checked');
  });
});

describe('listener collisions', () => {
  it('leaves out (and reports) an ingress listener bound where an egress listener already is', () => {
    const p = push(
      yaml(`
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: clash, namespace: default}
spec:
  ingress:
  - port: {number: 15001, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:9090
    bind: 127.0.0.1
  egress:
  - port: {number: 15001, protocol: HTTP, name: http-egress}
    bind: 127.0.0.1
    hosts: ["./*"]
`),
    );
    const w = wire(p, sidecar());
    assert.deepEqual([...w.listeners.keys()], ['127.0.0.1_15001']);
    assert.equal(w.listeners.get('127.0.0.1_15001').trafficDirection, 'OUTBOUND');
    assert.deepEqual(p.issues.map((i) => `${i.severity} ${i.category} ${i.kind} ${i.name} ${i.field}`), ['error conflict Sidecar clash spec.ingress[0]']);
  });
});

describe('docs/pilot-sidecars.md', () => {
  it("serves the local-mode recipe as documented: ingress 127.0.0.1_15081 → 127.0.0.1:9081, egress HTTP proxy 127.0.0.1_15181, endpoints on the sidecar's port", async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../../docs/pilot-sidecars.md', import.meta.url), 'utf8');
    const block = /```yaml\n([\s\S]*?)```/.exec(doc)![1];
    const p = push(yaml(block));
    const proxy = capturedSidecar('127.0.0.1', { app: 'hello', version: 'v1' }, 'default', { INTERCEPTION_MODE: 'NONE' });
    const w = wire(p, proxy);
    assert.deepEqual([...w.listeners.keys()].sort(), ['127.0.0.1_15081', '127.0.0.1_15181']);
    assert.deepEqual(w.clusters.get('inbound|15081||').loadAssignment.endpoints[0].lbEndpoints[0].endpoint.address, { socketAddress: { address: '127.0.0.1', portValue: 9081 } });
    const vh = w.routes.get('127.0.0.1:15181').virtualHosts[0];
    assert.equal(vh.name, 'hello.default.svc.cluster.local:80');
    assert.ok(vh.domains.includes('hello') && vh.domains.includes('hello:80'));
    assert.equal(w.endpoints.get('outbound|80||hello.default.svc.cluster.local').endpoints[0].lbEndpoints[0].endpoint.address.socketAddress.portValue, 15081);
    assert.deepEqual(p.issues, []);
  });
});

describe('protocol selection', () => {
  it("reads the protocol field, then Kubernetes' appProtocol, then the port name prefix, else sniffs", async () => {
    const { portProtocol } = await import('./model/services.ts');
    assert.deepEqual(
      [
        portProtocol('http', 'tcp-x'),
        portProtocol(undefined, 'x', 'kubernetes.io/h2c'),
        portProtocol(undefined, 'x', 'grpc'),
        portProtocol(undefined, 'http2-api'),
        portProtocol(undefined, 'grpc-web'),
        portProtocol(undefined, 'grpc-web-ui'),
        portProtocol(undefined, 'grpc'),
        portProtocol(undefined, 'HTTP'),
        portProtocol(undefined, 'httpx'),
        portProtocol(undefined, 'mongo-db'),
        portProtocol(undefined, 'port-8000'),
      ],
      ['HTTP', 'HTTP2', 'GRPC', 'HTTP2', 'GRPC-WEB', 'GRPC-WEB', 'GRPC', 'HTTP', 'AUTO', 'MONGO', 'AUTO'],
    );
  });

  it('reports captureMode IPTABLES on a workload without capture, and binds the listener', () => {
    const p = push(
      yaml(`
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: vm, namespace: default}
spec:
  ingress:
  - port: {number: 15080, protocol: TCP, name: tcp}
    defaultEndpoint: 127.0.0.1:5432
    captureMode: IPTABLES
`),
    );
    const w = wire(p, sidecar());
    assert.equal(tcpCluster(w.listeners.get('127.0.0.1_15080').filterChains[0].filters[0]), 'inbound|15080||');
    assert.deepEqual(p.issues.map((i) => `${i.category} ${i.field}`), ['unsupported spec.ingress[0].captureMode']);
  });
});
