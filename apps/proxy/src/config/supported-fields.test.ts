// Nothing the proxy receives is ignored: what it does not implement is NACKed
// with the resource and the field; what our pilot sends is accepted. Resources
// are built as the generated (typed) input messages and round-tripped through
// protobuf, so the proxy sees exactly what a decoded xDS resource looks like.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdsClient,
  AdsServer,
  Snapshot,
  SnapshotCache,
  TYPE_URLS,
  decodeMessage,
  encodeMessage,
  type Cluster,
  type Cluster__Output,
  type ClusterLoadAssignment,
  type HttpConnectionManager,
  type Listener,
  type Route,
  type RouteConfiguration,
  type XdsSnapshot,
} from '@mesh/xds';
import { waitFor } from '@mesh/testing';
import { SnapshotCompiler, snapshotFromResources } from './snapshot-compiler.ts';
import { fieldTable } from './supported-fields.ts';
import { startTestProxy, testLog } from '../test-fixtures.ts';

const HCM_URL = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ADS = { ads: {}, resourceApiVersion: 'V3' as const };
const SVC = 'reviews.default.svc.cluster.local';

/** Encoded and decoded again: what the AdsClient hands the proxy. */
function overXds<T extends object>(typeUrl: string, message: T): object {
  return decodeMessage(typeUrl, encodeMessage(typeUrl, message));
}

// ---------------------------------------------------------------------------
// Resources shaped as our pilot generates them (apps/pilot/src/generators/*,
// model/destination-rules.ts, model/virtual-services.ts), with every option it
// can emit.

function hcm(routeConfigName: string, extra: Partial<HttpConnectionManager> = {}): HttpConnectionManager {
  return {
    statPrefix: `outbound_${routeConfigName}`,
    rds: { configSource: ADS, routeConfigName },
    httpFilters: [
      { name: 'envoy.filters.http.fault', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault' } },
      { name: 'envoy.filters.http.router', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
    ],
    normalizePath: { value: true },
    ...extra,
  };
}

function listener(name: string, config: HttpConnectionManager): Listener {
  return {
    name,
    address: { socketAddress: { address: '127.0.0.1', portValue: 15001 } },
    trafficDirection: 'OUTBOUND',
    filterChains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typedConfig: { '@type': HCM_URL, ...config } as never }] }],
  };
}

const pilotListeners: Listener[] = [
  listener('virtualOutbound', hcm('outbound_http')),
  listener('0.0.0.0_80', hcm('http.80', { useRemoteAddress: { value: true } })),
  {
    name: '0.0.0.0_9000',
    address: { socketAddress: { address: '127.0.0.1', portValue: 9000 } },
    trafficDirection: 'OUTBOUND',
    filterChains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.tcp_proxy',
            typedConfig: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
              statPrefix: 'outbound_0.0.0.0_9000',
              weightedClusters: { clusters: [{ name: `outbound|9000||${SVC}`, weight: 50 }, { name: `outbound|9000|v1|${SVC}`, weight: 50 }] },
            } as never,
          },
        ],
      },
    ],
  },
];

const fault = (f: object) => ({ 'envoy.filters.http.fault': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault', ...f } as never });
const DEFAULT_RETRY = { retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', numRetries: { value: 2 } };

const pilotRoutes: Route[] = [
  {
    name: 'a',
    match: {
      safeRegex: { regex: '/r/[0-9]+' },
      caseSensitive: { value: false },
      headers: [
        { name: 'x-a', stringMatch: { prefix: 'p' } },
        { name: 'x-b', presentMatch: true },
        { name: 'x-c', stringMatch: { exact: 'no' }, invertMatch: true },
        { name: ':method', stringMatch: { exact: 'GET' } },
      ],
      queryParameters: [{ name: 'q', stringMatch: { exact: '1' } }, { name: 'p', presentMatch: true }],
    },
    route: {
      weightedClusters: {
        clusters: [
          { name: `outbound|80|v1|${SVC}`, weight: { value: 70 }, requestHeadersToAdd: [{ header: { key: 'e', value: '5' }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' }] },
          { name: `outbound|80|v3|${SVC}`, weight: { value: 30 } },
        ],
      },
      hashPolicy: [{ connectionProperties: { sourceIp: true } }],
      prefixRewrite: '/x',
      hostRewriteLiteral: 'other',
      timeout: { seconds: 3 },
      retryPolicy: { numRetries: { value: 3 }, retriableStatusCodes: [503], retryOn: '5xx,retriable-status-codes', perTryTimeout: { seconds: 1 } },
      requestMirrorPolicies: [{ cluster: `outbound|80|v2|${SVC}`, runtimeFraction: { defaultValue: { numerator: 100000, denominator: 'MILLION' } } }],
    },
    requestHeadersToAdd: [{ header: { key: 'a', value: '1' }, appendAction: 'APPEND_IF_EXISTS_OR_ADD' }],
    requestHeadersToRemove: ['c'],
    responseHeadersToAdd: [{ header: { key: 'd', value: '4' }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
    typedPerFilterConfig: fault({
      delay: { fixedDelay: { seconds: 1 }, percentage: { numerator: 50000, denominator: 'MILLION' } },
      abort: { percentage: { numerator: 10000, denominator: 'MILLION' }, httpStatus: 503 },
    }),
  },
  {
    name: 'b',
    match: { prefix: '/re' },
    route: {
      cluster: `outbound|80||${SVC}`,
      hashPolicy: [{ cookie: { name: 'user', path: '/', ttl: { seconds: 10 } } }, { header: { headerName: 'x-user' } }, { queryParameter: { name: 'q' } }],
      regexRewrite: { pattern: { regex: '^/re/(.*)$' }, substitution: '/\\1' },
      timeout: { seconds: 0 },
      retryPolicy: DEFAULT_RETRY,
    },
    typedPerFilterConfig: fault({ abort: { percentage: { numerator: 10000, denominator: 'MILLION' }, grpcStatus: 14 } }),
  },
  { name: 'c', match: { path: '/redir' }, redirect: { pathRedirect: '/new', hostRedirect: 'x.com', schemeRedirect: 'https', portRedirect: 8443, responseCode: 'PERMANENT_REDIRECT' } },
  { name: 'd', match: { path: '/direct' }, directResponse: { status: 418, body: { inlineString: 'teapot' } } },
  { name: 'e', match: { path: '/directb' }, directResponse: { status: 200, body: { inlineBytes: Buffer.from('hi') } } },
  { name: 'default', match: { prefix: '/' }, route: { cluster: `outbound|80||${SVC}`, timeout: { seconds: 0 }, retryPolicy: DEFAULT_RETRY } },
];

const pilotRouteConfigs: RouteConfiguration[] = [
  {
    name: 'outbound_http',
    virtualHosts: [
      { name: `${SVC}:80`, domains: [SVC, `${SVC}:80`, 'reviews', 'reviews:80'], routes: pilotRoutes },
      { name: 'allow_any', domains: ['*'], routes: [{ name: 'allow_any', match: { prefix: '/' }, route: { cluster: 'PassthroughCluster', timeout: { seconds: 0 } } }] },
    ],
    validateClusters: { value: false },
  },
  {
    name: 'http.80',
    virtualHosts: [{ name: 'shop.example.com:80', domains: ['shop.example.com', 'shop.example.com:*'], requireTls: 'ALL', routes: [pilotRoutes[5]] }],
    validateClusters: { value: false },
  },
];

const outlier = {
  consecutive_5xx: { value: 1 },
  enforcingConsecutive_5xx: { value: 100 },
  consecutiveGatewayFailure: { value: 2 },
  enforcingConsecutiveGatewayFailure: { value: 100 },
  splitExternalLocalOriginErrors: true,
  consecutiveLocalOriginFailure: { value: 3 },
  enforcingSuccessRate: { value: 0 },
  interval: { seconds: 1 },
  baseEjectionTime: { seconds: 180 },
  maxEjectionPercent: { value: 100 },
};
const limits = { maxConnections: { value: 10 }, maxPendingRequests: { value: 5 }, maxRequests: { value: 50 }, maxRetries: { value: 2 }, trackRemaining: true };

function edsCluster(name: string, extra: Partial<Cluster> = {}): Cluster {
  return {
    name,
    connectTimeout: { seconds: 2 },
    lbPolicy: 'ROUND_ROBIN',
    circuitBreakers: { thresholds: [limits] },
    type: 'EDS',
    edsClusterConfig: { edsConfig: ADS, serviceName: name },
    ...extra,
  };
}

const httpOptions = {
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
    '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
    commonHttpProtocolOptions: { maxRequestsPerConnection: { value: 10 }, idleTimeout: { seconds: 30 } },
    explicitHttpConfig: { http2ProtocolOptions: {} },
  } as never,
};

const pilotClusters: Cluster[] = [
  edsCluster(`outbound|80||${SVC}`, {
    upstreamConnectionOptions: { tcpKeepalive: { keepaliveProbes: { value: 3 }, keepaliveTime: { value: 60 }, keepaliveInterval: { value: 10 } } },
    outlierDetection: outlier,
    commonLbConfig: { healthyPanicThreshold: { value: 20 } },
    typedExtensionProtocolOptions: httpOptions,
  }),
  edsCluster(`outbound|80|v1|${SVC}`, { lbPolicy: 'RING_HASH', ringHashLbConfig: { minimumRingSize: { value: 2048 } } }),
  edsCluster(`outbound|80|v2|${SVC}`, {
    lbPolicy: 'LEAST_REQUEST',
    transportSocket: {
      name: 'envoy.transport_sockets.tls',
      typedConfig: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        commonTlsContext: { validationContext: { trustedCa: { inlineString: 'CA' }, matchTypedSubjectAltNames: [{ sanType: 'DNS', matcher: { exact: 'reviews.example' } }] } },
        sni: 'reviews.example',
      } as never,
    },
  }),
  edsCluster(`outbound|80|v3|${SVC}`, {
    transportSocket: {
      name: 'envoy.transport_sockets.tls',
      typedConfig: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        commonTlsContext: { validationContext: { trustedCa: { inlineString: 'CA' } }, tlsCertificates: [{ certificateChain: { inlineString: 'C' }, privateKey: { inlineString: 'K' } }] },
      } as never,
    },
    typedExtensionProtocolOptions: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicitHttpConfig: { httpProtocolOptions: {} },
      } as never,
    },
  }),
  edsCluster(`outbound|8080||${SVC}`, { lbPolicy: 'MAGLEV', maglevLbConfig: { tableSize: { value: 1031 } } }),
  {
    name: 'outbound|443||api.example.com',
    connectTimeout: { seconds: 10 },
    lbPolicy: 'ROUND_ROBIN',
    circuitBreakers: { thresholds: [limits] },
    type: 'STRICT_DNS',
    loadAssignment: {
      clusterName: 'outbound|443||api.example.com',
      endpoints: [{ locality: {}, lbEndpoints: [{ endpoint: { address: { socketAddress: { address: 'api.example.com', portValue: 443 } } } }], loadBalancingWeight: { value: 1 } }],
    },
    dnsLookupFamily: 'V4_ONLY',
    respectDnsTtl: true,
  },
  { name: 'outbound|80||none.example.com', connectTimeout: { seconds: 10 }, lbPolicy: 'CLUSTER_PROVIDED', type: 'ORIGINAL_DST' },
  { name: 'BlackHoleCluster', type: 'STATIC', connectTimeout: { seconds: 10 } },
  { name: 'PassthroughCluster', type: 'ORIGINAL_DST', lbPolicy: 'CLUSTER_PROVIDED', connectTimeout: { seconds: 10 }, originalDstLbConfig: { useHttpHeader: true } },
];

const pilotEndpoints: ClusterLoadAssignment[] = [
  {
    clusterName: `outbound|80||${SVC}`,
    endpoints: [
      { locality: { region: 'r', zone: 'z', subZone: 's' }, lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '10.0.0.1', portValue: 80 } } }, loadBalancingWeight: { value: 3 } }], loadBalancingWeight: { value: 3 } },
      { locality: {}, lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '10.0.0.2', portValue: 80 } } } }], loadBalancingWeight: { value: 1 } },
    ],
  },
];

describe('what our pilot sends is accepted', () => {
  const compiler = new SnapshotCompiler();
  const decoded = {
    listeners: pilotListeners.map((l) => overXds(TYPE_URLS.listener, l)),
    routes: pilotRouteConfigs.map((r) => overXds(TYPE_URLS.route, r)),
    clusters: pilotClusters.map((c) => overXds(TYPE_URLS.cluster, c)),
    endpoints: pilotEndpoints.map((e) => overXds(TYPE_URLS.endpoint, e)),
  };

  it('validates every type without a NACK', () => {
    compiler.validate(TYPE_URLS.listener, decoded.listeners);
    compiler.validate(TYPE_URLS.route, decoded.routes);
    compiler.validate(TYPE_URLS.cluster, decoded.clusters);
    compiler.validate(TYPE_URLS.endpoint, decoded.endpoints);
  });

  it('compiles them, and lists what it accepts without implementing (never silently)', () => {
    const out = compiler.compile(snapshotFromResources(decoded));
    assert.deepEqual(out.errors, []);
    assert.deepEqual(out.unimplemented.sort(), [
      'Cluster outbound|443||api.example.com.dnsLookupFamily',
      `Cluster outbound|80||${SVC}.upstreamConnectionOptions.tcpKeepalive`,
    ]);
    const c = out.clusters.get(`outbound|80||${SVC}`)!;
    assert.equal(c.outlier?.consecutive5xx, 1);
    assert.equal(c.outlier?.splitExternalLocalOriginErrors, true);
    assert.equal(c.http2, true);
    assert.equal(out.clusters.get(`outbound|8080||${SVC}`)!.maglevTableSize, 1031);
    assert.equal(out.listeners.get('virtualOutbound')!.perConnectionBufferLimitBytes, 1_048_576, "Envoy's default");
    assert.equal(out.listeners.get('virtualOutbound')!.hcm!.pathNormalization.normalizePath, true);
  });
});

describe('a field the proxy does not implement is NACKed with its name', () => {
  const compiler = new SnapshotCompiler();
  const nack = (typeUrl: string, message: object, expected: RegExp) => assert.throws(() => compiler.validate(typeUrl, [overXds(typeUrl, message)]), expected);

  it('Cluster', () => {
    nack(
      TYPE_URLS.cluster,
      edsCluster('outbound|80||x', { healthChecks: [{ timeout: { seconds: 1 }, interval: { seconds: 5 }, tcpHealthCheck: {} }] }),
      /^Error: Cluster outbound\|80\|\|x: field healthChecks is not supported by this proxy$/,
    );
    nack(TYPE_URLS.cluster, edsCluster('c', { outlierDetection: { monitors: [{ name: 'm' }] } }), /Cluster c\.outlierDetection: field monitors is not supported by this proxy/);
    nack(TYPE_URLS.cluster, edsCluster('c', { lbSubsetConfig: { fallbackPolicy: 'ANY_ENDPOINT' } }), /Cluster c: field lbSubsetConfig is not supported/);
    nack(TYPE_URLS.cluster, edsCluster('c', { circuitBreakers: { thresholds: [{ retryBudget: {} }] } }), /Cluster c\.circuitBreakers\.thresholds\[0\]: field retryBudget is not supported/);
    nack(
      TYPE_URLS.cluster,
      edsCluster('c', { typedExtensionProtocolOptions: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { ...(httpOptions as any)['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'], explicitHttpConfig: { http2ProtocolOptions: { maxConcurrentStreams: { value: 5 } } } } } }),
      /Cluster c\.typedExtensionProtocolOptions\["envoy\.extensions\.upstreams\.http\.v3\.HttpProtocolOptions"\]\.explicitHttpConfig\.http2ProtocolOptions: field maxConcurrentStreams is not supported/,
    );
  });

  it('security settings it cannot apply are refused, never dropped', () => {
    const tls = (commonTlsContext: object) =>
      edsCluster('c', { transportSocket: { name: 'tls', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', commonTlsContext } as never } });
    nack(TYPE_URLS.cluster, tls({ validationContext: { trustedCa: { inlineString: 'CA' }, matchTypedSubjectAltNames: [{ sanType: 'OTHER_NAME', matcher: { prefix: 'r' } }] } }), /matchTypedSubjectAltNames\[0\]\.sanType: must be DNS, URI, EMAIL or IP_ADDRESS/);
    nack(TYPE_URLS.cluster, tls({ validationContext: { matchSubjectAltNames: [{ exact: 'spiffe://td/ns/a/sa/b' }] } }), /validationContext: SAN matchers need trusted CAs/);
    nack(TYPE_URLS.cluster, tls({ tlsParams: { tlsMinimumProtocolVersion: 'TLSv1_0' } }), /tlsParams\.tlsMinimumProtocolVersion: TLSv1_0 is not supported/);
    nack(TYPE_URLS.cluster, tls({ tlsParams: { cipherSuites: ['NOT-A-CIPHER'] } }), /tlsParams\.cipherSuites: OpenSSL accepts none of them/);
    nack(TYPE_URLS.cluster, tls({ validationContext: { verifyCertificateSpki: ['x'] } }), /validationContext: field verifyCertificateSpki is not supported/);
    nack(
      TYPE_URLS.cluster,
      tls({ tlsCertificateSdsSecretConfigs: [{ name: 'default', sdsConfig: { apiConfigSource: { apiType: 'GRPC', grpcServices: [{ envoyGrpc: { clusterName: 'elsewhere' } }] } } }] }),
      /tlsCertificateSdsSecretConfigs\[0\]\.sdsConfig\.apiConfigSource\.grpcServices\[0\]\.envoyGrpc\.clusterName: only the agent's SDS cluster sds-grpc/,
    );
    const downstream = (ctx: object) => ({
      ...listener('l', hcm('r')),
      filterChains: [{ ...(listener('l', hcm('r')) as any).filterChains[0], transportSocket: { name: 'envoy.transport_sockets.tls', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', ...ctx } } }],
    });
    nack(TYPE_URLS.listener, downstream({ commonTlsContext: { tlsCertificates: [{ certificateChain: { inlineString: 'C' }, privateKey: { inlineString: 'K' } }] }, requireSni: { value: true } }), /DownstreamTlsContext|typedConfig: field requireSni is not supported/);
    nack(TYPE_URLS.listener, downstream({ commonTlsContext: { tlsCertificates: [{ certificateChain: { inlineString: 'C' }, privateKey: { inlineString: 'K' } }] }, requireClientCertificate: { value: true } }), /requireClientCertificate: requiring a client certificate needs a validation context/);
    nack(TYPE_URLS.listener, downstream({ commonTlsContext: {} }), /a server needs a certificate/);
  });

  it('HttpConnectionManager (inside a Listener)', () => {
    nack(TYPE_URLS.listener, listener('l', hcm('r', { via: 'mesh' })), /^Error: Listener l\.filterChains\[0\]\.filters\[0\]\.typedConfig: field via is not supported by this proxy$/);
    nack(TYPE_URLS.listener, listener('l', hcm('r', { commonHttpProtocolOptions: { headersWithUnderscoresAction: 'REJECT_REQUEST' } })), /typedConfig\.commonHttpProtocolOptions: field headersWithUnderscoresAction is not supported/);
    nack(TYPE_URLS.listener, listener('l', hcm('r', { requestTimeout: { seconds: 5 } })), /typedConfig: field requestTimeout is not supported/);
    nack(TYPE_URLS.listener, { ...listener('l', hcm('r')), listenerFilters: [{ name: 'envoy.filters.listener.proxy_protocol' }] }, /^Error: Listener l\.listenerFilters\[0\]: unsupported listener filter envoy\.filters\.listener\.proxy_protocol/);
    nack(TYPE_URLS.listener, { ...listener('l', hcm('r')), listenerFilters: [{ name: 'envoy.filters.listener.tls_inspector', configDiscovery: { configSource: { ads: {} } } }] }, /^Error: Listener l\.listenerFilters\[0\]: field configDiscovery is not supported/);
    nack(
      TYPE_URLS.listener,
      listener('l', hcm('r', { httpFilters: [{ name: 'envoy.filters.http.router', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router', suppressEnvoyHeaders: true } as never }] })),
      /typedConfig\.httpFilters\[0\]\.typedConfig: field suppressEnvoyHeaders is not supported/,
    );
  });

  it('RouteConfiguration, Route and RouteAction', () => {
    const rc = (route: Route): RouteConfiguration => ({ name: 'r', virtualHosts: [{ name: 'v', domains: ['*'], routes: [route] }] });
    nack(TYPE_URLS.route, rc({ match: { prefix: '/' }, route: { cluster: 'c', hedgePolicy: { hedgeOnPerTryTimeout: true } } }), /^Error: RouteConfiguration r: virtualHosts\[0\] \(v\)\.routes\[0\]\.route: field hedgePolicy is not supported by this proxy$/);
    nack(TYPE_URLS.route, rc({ match: { prefix: '/', tlsContext: { presented: { value: true } } }, route: { cluster: 'c' } }), /routes\[0\]\.match: field tlsContext is not supported/);
    nack(TYPE_URLS.route, rc({ match: { prefix: '/' }, route: { cluster: 'c', retryPolicy: { retryOn: '5xx', retryHostPredicate: [{ name: 'envoy.retry_host_predicates.omit_canary_hosts' }] } } }), /retryHostPredicate\[0\]: retry host predicate envoy\.retry_host_predicates\.omit_canary_hosts is not supported/);
    nack(TYPE_URLS.route, rc({ match: { prefix: '/' }, route: { cluster: 'c' }, typedPerFilterConfig: { 'envoy.filters.http.rbac': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute' } as never } }), /per-route config for filter envoy\.filters\.http\.rbac is not supported/);
    nack(TYPE_URLS.route, { ...rc({ match: { prefix: '/' }, route: { cluster: 'c' } }), internalOnlyHeaders: ['x-internal'] }, /^Error: RouteConfiguration r: field internalOnlyHeaders is not supported/);
    nack(TYPE_URLS.route, { ...rc({ match: { prefix: '/' }, route: { cluster: 'c' } }), validateClusters: { value: true } }, /validateClusters: true is not supported/);
  });

  it('ClusterLoadAssignment', () => {
    nack(TYPE_URLS.endpoint, { clusterName: 'c', endpoints: [], policy: { overprovisioningFactor: { value: 140 } } }, /^Error: ClusterLoadAssignment c: field policy is not supported/);
    nack(
      TYPE_URLS.endpoint,
      { clusterName: 'c', endpoints: [{ lbEndpoints: [{ endpoint: { address: { pipe: { path: '/tmp/s' } } } }] }] },
      /ClusterLoadAssignment c\.endpoints\[0\]\.lbEndpoints\[0\]\.endpoint\.address: field pipe is not supported/,
    );
  });

  it('the tables are typed: a name the proto does not have fails tsc', () => {
    // @ts-expect-error consecutive5xx is not a field of OutlierDetection (the proto says consecutive_5xx).
    fieldTable<Cluster__Output>('envoy.config.cluster.v3.Cluster', { implemented: ['consecutive5xx'] });
  });
});

describe('a NACK over ADS leaves the previous config in effect', () => {
  it('rejects a Cluster with healthChecks, naming it, and keeps serving the previous Cluster', async () => {
    const cache = new SnapshotCache();
    const nacks: string[] = [];
    const server = new AdsServer({ cache, log: testLog, hooks: { onNack: (_s, _t, _v, _n, error) => nacks.push(error) } });
    const port = await server.listen('127.0.0.1', 0);
    const proxy = await startTestProxy();
    const node = { id: 'sidecar~127.0.0.1~app.default~default.svc.cluster.local' };
    const client = new AdsClient({ target: `127.0.0.1:${port}`, node, log: testLog, validate: proxy.proxy.validate, backoff: { initialMs: 50, maxMs: 200 } });
    after(async () => {
      await client.stop();
      await server.close(100);
      await proxy.close();
    });
    let last: XdsSnapshot | undefined;
    client.on('snapshot', (s) => {
      last = s;
      void proxy.proxy.apply(s);
    });
    const snapshot = (version: string, cluster: Cluster) =>
      Snapshot.build(version, {
        [TYPE_URLS.listener]: [{ ...listener('l', hcm('r')), address: { socketAddress: { address: '127.0.0.1', portValue: 0 } } }],
        [TYPE_URLS.route]: [{ name: 'r', virtualHosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c' } }] }] }],
        [TYPE_URLS.cluster]: [cluster],
        [TYPE_URLS.endpoint]: [{ clusterName: 'c', endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: 9 } } } }] }] }],
      });
    cache.set(node.id, snapshot('1', edsCluster('c', { outlierDetection: outlier })));
    client.start();
    await waitFor('the first config to apply', () => proxy.proxy.compiled?.clusters.get('c') !== undefined);
    const applied = proxy.proxy.compiled!.clusters.get('c')!;
    assert.equal(applied.outlier?.consecutive5xx, 1);

    cache.set(node.id, snapshot('2', edsCluster('c', { connectTimeout: { seconds: 7 }, healthChecks: [{ timeout: { seconds: 1 }, interval: { seconds: 5 }, tcpHealthCheck: {} }] })));
    await waitFor('the NACK', () => nacks.length > 0);
    assert.match(nacks[0], /Cluster c: field healthChecks is not supported by this proxy/);
    assert.equal(last!.versions[TYPE_URLS.cluster], '1', 'the client keeps the last accepted version');
    assert.equal(proxy.proxy.compiled!.clusters.get('c'), applied, 'the proxy still runs the previous cluster');
    assert.equal(proxy.proxy.compiled!.clusters.get('c')!.connectTimeoutMs, 2_000);
  });
});
