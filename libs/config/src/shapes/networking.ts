// Field shapes of the networking.istio.io messages. Each shape is typed
// against its interface in types/networking.ts, so the compiler keeps the
// two in step: a field added to one and not the other does not typecheck.
import type * as N from '../types/networking.ts';
import { SIMPLE_LB_VALUES } from '../types/networking.ts';
import {
  bool,
  bytes,
  double,
  duration,
  enumOf,
  int32,
  labels,
  list,
  map,
  message,
  str,
  strings,
  uint32,
  uint64,
  type MessageShape,
} from '../shape.ts';

type Inner<T> = NonNullable<T>;

export const PercentShape: MessageShape<N.Percent> = { name: 'Percent', fields: { value: double } };
export const PortSelectorShape: MessageShape<N.PortSelector> = { name: 'PortSelector', fields: { number: uint32 } };
export const DestinationShape: MessageShape<N.Destination> = {
  name: 'Destination',
  fields: { host: str, subset: str, port: message(() => PortSelectorShape) },
};
export const WorkloadSelectorShape: MessageShape<N.WorkloadSelector> = { name: 'WorkloadSelector', fields: { labels } };
export const StringMatchShape: MessageShape<N.StringMatch> = {
  name: 'StringMatch',
  fields: { exact: str, prefix: str, regex: str },
  oneofs: [['exact', 'prefix', 'regex']],
};
const stringMatch = message(() => StringMatchShape);

// ---------------------------------------------------------------- VirtualService

const HeaderOperationsShape: MessageShape<N.HeaderOperations> = {
  name: 'HeaderOperations',
  fields: { set: map(str), add: map(str), remove: strings },
};
const HeadersShape: MessageShape<N.Headers> = {
  name: 'Headers',
  fields: { request: message(() => HeaderOperationsShape), response: message(() => HeaderOperationsShape) },
};
const headers = message(() => HeadersShape);

const HTTPMatchRequestShape: MessageShape<N.HTTPMatchRequest> = {
  name: 'HTTPMatchRequest',
  fields: {
    name: str,
    uri: stringMatch,
    scheme: stringMatch,
    method: stringMatch,
    authority: stringMatch,
    headers: map(stringMatch),
    port: uint32,
    sourceLabels: labels,
    gateways: strings,
    queryParams: map(stringMatch),
    ignoreUriCase: bool,
    withoutHeaders: map(stringMatch),
    sourceNamespace: str,
    statPrefix: str,
  },
};

const HTTPRouteDestinationShape: MessageShape<N.HTTPRouteDestination> = {
  name: 'HTTPRouteDestination',
  fields: { destination: message(() => DestinationShape), weight: int32, headers },
};
const RouteDestinationShape: MessageShape<N.RouteDestination> = {
  name: 'RouteDestination',
  fields: { destination: message(() => DestinationShape), weight: int32 },
};

const HTTPRedirectShape: MessageShape<N.HTTPRedirect> = {
  name: 'HTTPRedirect',
  fields: {
    uri: str,
    authority: str,
    port: uint32,
    derivePort: enumOf(['FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT']),
    scheme: str,
    redirectCode: uint32,
  },
  oneofs: [['port', 'derivePort']],
};

const HTTPBodyShape: MessageShape<N.HTTPBody> = { name: 'HTTPBody', fields: { string: str, bytes }, oneofs: [['string', 'bytes']] };
const HTTPDirectResponseShape: MessageShape<N.HTTPDirectResponse> = {
  name: 'HTTPDirectResponse',
  fields: { status: uint32, body: message(() => HTTPBodyShape) },
};

const RegexRewriteShape: MessageShape<N.RegexRewrite> = { name: 'RegexRewrite', fields: { match: str, rewrite: str } };
const HTTPRewriteShape: MessageShape<N.HTTPRewrite> = {
  name: 'HTTPRewrite',
  fields: { uri: str, authority: str, uriRegexRewrite: message(() => RegexRewriteShape) },
};

const HTTPRetryShape: MessageShape<N.HTTPRetry> = {
  name: 'HTTPRetry',
  fields: { attempts: int32, perTryTimeout: duration, retryOn: str, retryRemoteLocalities: bool, retryIgnorePreviousHosts: bool, backoff: duration },
};

const CorsPolicyShape: MessageShape<N.CorsPolicy> = {
  name: 'CorsPolicy',
  fields: {
    allowOrigin: strings,
    allowOrigins: list(stringMatch),
    allowMethods: strings,
    allowHeaders: strings,
    exposeHeaders: strings,
    maxAge: duration,
    allowCredentials: bool,
    unmatchedPreflights: enumOf(['UNSPECIFIED', 'FORWARD', 'IGNORE']),
  },
  deprecated: { allowOrigin: 'use allowOrigins (a list of exact/prefix/regex matches)' },
};

const DelayShape: MessageShape<N.HTTPFaultInjectionDelay> = {
  name: 'HTTPFaultInjection.Delay',
  fields: { percent: int32, fixedDelay: duration, exponentialDelay: duration, percentage: message(() => PercentShape) },
  oneofs: [['fixedDelay', 'exponentialDelay']],
  deprecated: { percent: 'use percentage.value' },
};
const AbortShape: MessageShape<N.HTTPFaultInjectionAbort> = {
  name: 'HTTPFaultInjection.Abort',
  fields: { httpStatus: int32, grpcStatus: str, http2Error: str, percentage: message(() => PercentShape) },
  oneofs: [['httpStatus', 'grpcStatus', 'http2Error']],
};
const HTTPFaultInjectionShape: MessageShape<N.HTTPFaultInjection> = {
  name: 'HTTPFaultInjection',
  fields: { delay: message(() => DelayShape), abort: message(() => AbortShape) },
};

const HTTPMirrorPolicyShape: MessageShape<N.HTTPMirrorPolicy> = {
  name: 'HTTPMirrorPolicy',
  fields: { destination: message(() => DestinationShape), percentage: message(() => PercentShape) },
};

const DelegateShape: MessageShape<N.Delegate> = { name: 'Delegate', fields: { name: str, namespace: str } };

const HTTPRouteShape: MessageShape<N.HTTPRoute> = {
  name: 'HTTPRoute',
  fields: {
    name: str,
    match: list(message(() => HTTPMatchRequestShape)),
    route: list(message(() => HTTPRouteDestinationShape)),
    redirect: message(() => HTTPRedirectShape),
    directResponse: message(() => HTTPDirectResponseShape),
    delegate: message(() => DelegateShape),
    rewrite: message(() => HTTPRewriteShape),
    timeout: duration,
    retries: message(() => HTTPRetryShape),
    fault: message(() => HTTPFaultInjectionShape),
    mirror: message(() => DestinationShape),
    mirrors: list(message(() => HTTPMirrorPolicyShape)),
    mirrorPercent: uint32,
    mirrorPercentage: message(() => PercentShape),
    corsPolicy: message(() => CorsPolicyShape),
    headers,
  },
  deprecated: { mirrorPercent: 'use mirrorPercentage.value' },
};

const L4MatchAttributesShape: MessageShape<N.L4MatchAttributes> = {
  name: 'L4MatchAttributes',
  fields: { destinationSubnets: strings, port: uint32, sourceLabels: labels, gateways: strings, sourceNamespace: str },
};
const TLSMatchAttributesShape: MessageShape<N.TLSMatchAttributes> = {
  name: 'TLSMatchAttributes',
  fields: { sniHosts: strings, destinationSubnets: strings, port: uint32, sourceLabels: labels, gateways: strings, sourceNamespace: str },
};
const TLSRouteShape: MessageShape<N.TLSRoute> = {
  name: 'TLSRoute',
  fields: { match: list(message(() => TLSMatchAttributesShape)), route: list(message(() => RouteDestinationShape)) },
};
const TCPRouteShape: MessageShape<N.TCPRoute> = {
  name: 'TCPRoute',
  fields: { match: list(message(() => L4MatchAttributesShape)), route: list(message(() => RouteDestinationShape)) },
};

export const VirtualServiceShape: MessageShape<N.VirtualServiceSpec> = {
  name: 'VirtualService',
  fields: {
    hosts: strings,
    gateways: strings,
    http: list(message(() => HTTPRouteShape)),
    tls: list(message(() => TLSRouteShape)),
    tcp: list(message(() => TCPRouteShape)),
    exportTo: strings,
  },
};

// ---------------------------------------------------------------- DestinationRule

const HTTPCookieShape: MessageShape<N.HTTPCookie> = { name: 'HTTPCookie', fields: { name: str, path: str, ttl: duration } };
const RingHashShape: MessageShape<Inner<N.ConsistentHashLB['ringHash']>> = { name: 'RingHash', fields: { minimumRingSize: uint64 } };
const MagLevShape: MessageShape<Inner<N.ConsistentHashLB['maglev']>> = { name: 'MagLev', fields: { tableSize: uint64 } };
const ConsistentHashLBShape: MessageShape<N.ConsistentHashLB> = {
  name: 'ConsistentHashLB',
  fields: {
    httpHeaderName: str,
    httpCookie: message(() => HTTPCookieShape),
    useSourceIp: bool,
    httpQueryParameterName: str,
    ringHash: message(() => RingHashShape),
    maglev: message(() => MagLevShape),
    minimumRingSize: uint64,
  },
  oneofs: [
    ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'],
    ['ringHash', 'maglev'],
  ],
  deprecated: { minimumRingSize: 'use ringHash.minimumRingSize' },
};

type Distribute = Inner<N.LocalityLoadBalancerSetting['distribute']>[number];
type Failover = Inner<N.LocalityLoadBalancerSetting['failover']>[number];
const DistributeShape: MessageShape<Distribute> = { name: 'LocalityLoadBalancerSetting.Distribute', fields: { from: str, to: map(uint32) } };
const FailoverShape: MessageShape<Failover> = { name: 'LocalityLoadBalancerSetting.Failover', fields: { from: str, to: str } };
const LocalityLoadBalancerSettingShape: MessageShape<N.LocalityLoadBalancerSetting> = {
  name: 'LocalityLoadBalancerSetting',
  fields: {
    distribute: list(message(() => DistributeShape)),
    failover: list(message(() => FailoverShape)),
    failoverPriority: strings,
    enabled: bool,
  },
};

export const LoadBalancerSettingsShape: MessageShape<N.LoadBalancerSettings> = {
  name: 'LoadBalancerSettings',
  fields: {
    simple: enumOf(SIMPLE_LB_VALUES),
    consistentHash: message(() => ConsistentHashLBShape),
    localityLbSetting: message(() => LocalityLoadBalancerSettingShape),
    warmupDurationSecs: duration,
  },
  oneofs: [['simple', 'consistentHash']],
};

const TcpKeepaliveShape: MessageShape<Inner<N.TCPSettings['tcpKeepalive']>> = {
  name: 'TcpKeepalive',
  fields: { probes: uint32, time: duration, interval: duration },
};
const TCPSettingsShape: MessageShape<N.TCPSettings> = {
  name: 'ConnectionPoolSettings.TCPSettings',
  fields: {
    maxConnections: int32,
    connectTimeout: duration,
    tcpKeepalive: message(() => TcpKeepaliveShape),
    maxConnectionDuration: duration,
    idleTimeout: duration,
  },
};
const HTTPSettingsShape: MessageShape<N.HTTPSettings> = {
  name: 'ConnectionPoolSettings.HTTPSettings',
  fields: {
    http1MaxPendingRequests: int32,
    http2MaxRequests: int32,
    maxRequestsPerConnection: int32,
    maxRetries: int32,
    idleTimeout: duration,
    h2UpgradePolicy: enumOf(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE']),
    useClientProtocol: bool,
    maxConcurrentStreams: int32,
  },
};
export const ConnectionPoolSettingsShape: MessageShape<N.ConnectionPoolSettings> = {
  name: 'ConnectionPoolSettings',
  fields: { tcp: message(() => TCPSettingsShape), http: message(() => HTTPSettingsShape) },
};

const OutlierDetectionShape: MessageShape<N.OutlierDetection> = {
  name: 'OutlierDetection',
  fields: {
    splitExternalLocalOriginErrors: bool,
    consecutiveLocalOriginFailures: uint32,
    consecutiveGatewayErrors: uint32,
    consecutive5xxErrors: uint32,
    consecutiveErrors: int32,
    interval: duration,
    baseEjectionTime: duration,
    maxEjectionPercent: int32,
    minHealthPercent: int32,
  },
  deprecated: { consecutiveErrors: 'use consecutive5xxErrors (or consecutiveGatewayErrors)' },
};

const ClientTLSSettingsShape: MessageShape<N.ClientTLSSettings> = {
  name: 'ClientTLSSettings',
  fields: {
    mode: enumOf(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']),
    clientCertificate: str,
    privateKey: str,
    caCertificates: str,
    credentialName: str,
    subjectAltNames: strings,
    sni: str,
    insecureSkipVerify: bool,
    caCrl: str,
  },
};

const PortTrafficPolicyShape: MessageShape<N.PortTrafficPolicy> = {
  name: 'TrafficPolicy.PortTrafficPolicy',
  fields: {
    port: message(() => PortSelectorShape),
    loadBalancer: message(() => LoadBalancerSettingsShape),
    connectionPool: message(() => ConnectionPoolSettingsShape),
    outlierDetection: message(() => OutlierDetectionShape),
    tls: message(() => ClientTLSSettingsShape),
  },
};
const TunnelSettingsShape: MessageShape<N.TunnelSettings> = {
  name: 'TrafficPolicy.TunnelSettings',
  fields: { protocol: str, targetHost: str, targetPort: uint32 },
};
const ProxyProtocolShape: MessageShape<N.ProxyProtocol> = { name: 'TrafficPolicy.ProxyProtocol', fields: { version: enumOf(['V1', 'V2']) } };

export const TrafficPolicyShape: MessageShape<N.TrafficPolicy> = {
  name: 'TrafficPolicy',
  fields: {
    loadBalancer: message(() => LoadBalancerSettingsShape),
    connectionPool: message(() => ConnectionPoolSettingsShape),
    outlierDetection: message(() => OutlierDetectionShape),
    tls: message(() => ClientTLSSettingsShape),
    portLevelSettings: list(message(() => PortTrafficPolicyShape)),
    tunnel: message(() => TunnelSettingsShape),
    proxyProtocol: message(() => ProxyProtocolShape),
  },
};

const SubsetShape: MessageShape<N.Subset> = {
  name: 'Subset',
  fields: { name: str, labels, trafficPolicy: message(() => TrafficPolicyShape) },
};

export const DestinationRuleShape: MessageShape<N.DestinationRuleSpec> = {
  name: 'DestinationRule',
  fields: {
    host: str,
    trafficPolicy: message(() => TrafficPolicyShape),
    subsets: list(message(() => SubsetShape)),
    exportTo: strings,
    workloadSelector: message(() => WorkloadSelectorShape),
  },
};

// ---------------------------------------------------------------- Gateway

const PortShape: MessageShape<N.Port> = { name: 'Port', fields: { number: uint32, protocol: str, name: str, targetPort: uint32 } };
const TLS_VERSIONS = ['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'];
export const ServerTLSSettingsShape: MessageShape<N.ServerTLSSettings> = {
  name: 'ServerTLSSettings',
  fields: {
    httpsRedirect: bool,
    mode: enumOf(['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL']),
    serverCertificate: str,
    privateKey: str,
    caCertificates: str,
    caCrl: str,
    credentialName: str,
    credentialNames: strings,
    subjectAltNames: strings,
    verifyCertificateSpki: strings,
    verifyCertificateHash: strings,
    minProtocolVersion: enumOf(TLS_VERSIONS),
    maxProtocolVersion: enumOf(TLS_VERSIONS),
    cipherSuites: strings,
  },
};
const ServerShape: MessageShape<N.Server> = {
  name: 'Server',
  fields: {
    port: message(() => PortShape),
    bind: str,
    hosts: strings,
    tls: message(() => ServerTLSSettingsShape),
    defaultEndpoint: str,
    name: str,
  },
};
export const GatewayShape: MessageShape<N.GatewaySpec> = {
  name: 'Gateway',
  fields: { servers: list(message(() => ServerShape)), selector: labels },
};

// ---------------------------------------------------------------- ServiceEntry / WorkloadEntry

export const WorkloadEntryShape: MessageShape<N.WorkloadEntrySpec> = {
  name: 'WorkloadEntry',
  fields: {
    address: str,
    ports: map(uint32),
    labels,
    network: str,
    locality: str,
    weight: uint32,
    serviceAccount: str,
  },
};
const ServicePortShape: MessageShape<N.ServicePort> = {
  name: 'ServicePort',
  fields: { number: uint32, protocol: str, name: str, targetPort: uint32 },
};
export const ServiceEntryShape: MessageShape<N.ServiceEntrySpec> = {
  name: 'ServiceEntry',
  fields: {
    hosts: strings,
    addresses: strings,
    ports: list(message(() => ServicePortShape)),
    location: enumOf(['MESH_EXTERNAL', 'MESH_INTERNAL']),
    resolution: enumOf(['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN']),
    endpoints: list(message(() => WorkloadEntryShape)),
    workloadSelector: message(() => WorkloadSelectorShape),
    exportTo: strings,
    subjectAltNames: strings,
  },
};

// ---------------------------------------------------------------- Sidecar

const SidecarPortShape: MessageShape<N.SidecarPort> = {
  name: 'SidecarPort',
  fields: { number: uint32, protocol: str, name: str, targetPort: uint32 },
};
const CAPTURE_MODES = ['DEFAULT', 'IPTABLES', 'NONE'];
const IstioIngressListenerShape: MessageShape<N.IstioIngressListener> = {
  name: 'IstioIngressListener',
  fields: {
    port: message(() => SidecarPortShape),
    bind: str,
    captureMode: enumOf(CAPTURE_MODES),
    defaultEndpoint: str,
    tls: message(() => ServerTLSSettingsShape),
    connectionPool: message(() => ConnectionPoolSettingsShape),
  },
};
const IstioEgressListenerShape: MessageShape<N.IstioEgressListener> = {
  name: 'IstioEgressListener',
  fields: { port: message(() => SidecarPortShape), bind: str, captureMode: enumOf(CAPTURE_MODES), hosts: strings },
};
const OutboundTrafficPolicyShape: MessageShape<N.OutboundTrafficPolicy> = {
  name: 'OutboundTrafficPolicy',
  fields: { mode: enumOf(['REGISTRY_ONLY', 'ALLOW_ANY']), egressProxy: message(() => DestinationShape) },
};
export const SidecarShape: MessageShape<N.SidecarSpec> = {
  name: 'Sidecar',
  fields: {
    workloadSelector: message(() => WorkloadSelectorShape),
    ingress: list(message(() => IstioIngressListenerShape)),
    egress: list(message(() => IstioEgressListenerShape)),
    inboundConnectionPool: message(() => ConnectionPoolSettingsShape),
    outboundTrafficPolicy: message(() => OutboundTrafficPolicyShape),
  },
};
