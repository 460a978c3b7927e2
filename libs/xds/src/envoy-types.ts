// Narrow TypeScript views of the Envoy v3 messages pilot builds and the proxy
// reads, in the in-memory shape of docs/xds-representation.md (protobufjs
// plain objects: lowerCamelCase, enums by name, 64-bit ints as strings, Any as
// `{ '@type', ...fields }`). They list only the fields we use; the protos stay
// the source of truth and encoding through them is what proves validity.

export interface Duration {
  seconds?: string | number;
  nanos?: number;
}
export interface UInt32Value {
  value: number;
}
export interface BoolValue {
  value: boolean;
}
export interface DoubleValue {
  value: number;
}
export interface Percent {
  value: number;
}
export interface FractionalPercent {
  numerator?: number;
  denominator?: 'HUNDRED' | 'TEN_THOUSAND' | 'MILLION';
}
export interface TypedAny {
  '@type': string;
  [field: string]: unknown;
}

// --- core -------------------------------------------------------------------
export interface SocketAddress {
  protocol?: 'TCP' | 'UDP';
  address: string;
  portValue?: number;
  namedPort?: string;
  ipv4Compat?: boolean;
}
export interface Address {
  socketAddress?: SocketAddress;
  pipe?: { path: string; mode?: number };
}
export interface ConfigSource {
  ads?: Record<string, never>;
  resourceApiVersion?: 'AUTO' | 'V2' | 'V3';
  initialFetchTimeout?: Duration;
}
export interface Metadata {
  filterMetadata?: Record<string, { fields?: Record<string, unknown> }>;
}
export interface HeaderValueOption {
  header: { key: string; value?: string };
  appendAction?: 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS';
  keepEmptyValue?: boolean;
}
export interface TransportSocket {
  name: string;
  typedConfig?: TypedAny;
}
export interface Locality {
  region?: string;
  zone?: string;
  subZone?: string;
}
export type HealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';

// --- matchers ---------------------------------------------------------------
export interface RegexMatcher {
  googleRe2?: Record<string, never>;
  regex: string;
}
export interface StringMatcher {
  exact?: string;
  prefix?: string;
  suffix?: string;
  contains?: string;
  safeRegex?: RegexMatcher;
  ignoreCase?: boolean;
}
export interface HeaderMatcher {
  name: string;
  stringMatch?: StringMatcher;
  presentMatch?: boolean;
  invertMatch?: boolean;
  treatMissingHeaderAsEmpty?: boolean;
  /** Deprecated in Envoy but still accepted; prefer stringMatch. */
  exactMatch?: string;
  prefixMatch?: string;
  safeRegexMatch?: RegexMatcher;
}
export interface QueryParameterMatcher {
  name: string;
  stringMatch?: StringMatcher;
  presentMatch?: boolean;
}

// --- listener ---------------------------------------------------------------
export interface Filter {
  name: string;
  typedConfig?: TypedAny;
}
export interface FilterChainMatch {
  destinationPort?: UInt32Value;
  serverNames?: string[];
  transportProtocol?: string;
  applicationProtocols?: string[];
  prefixRanges?: Array<{ addressPrefix: string; prefixLen?: UInt32Value }>;
}
export interface FilterChain {
  name?: string;
  filterChainMatch?: FilterChainMatch;
  filters?: Filter[];
  transportSocket?: TransportSocket;
}
export interface ListenerFilter {
  name: string;
  typedConfig?: TypedAny;
}
export interface Listener {
  name: string;
  address?: Address;
  filterChains?: FilterChain[];
  defaultFilterChain?: FilterChain;
  listenerFilters?: ListenerFilter[];
  useOriginalDst?: BoolValue;
  bindToPort?: BoolValue;
  trafficDirection?: 'UNSPECIFIED' | 'INBOUND' | 'OUTBOUND';
  /** Proxyless gRPC clients read their HttpConnectionManager from here. */
  apiListener?: { apiListener: TypedAny };
  metadata?: Metadata;
}

// --- http connection manager ------------------------------------------------
export interface HttpFilter {
  name: string;
  typedConfig?: TypedAny;
  isOptional?: boolean;
  disabled?: boolean;
}
export interface Rds {
  configSource: ConfigSource;
  routeConfigName: string;
}
export interface HttpConnectionManager {
  '@type'?: string;
  statPrefix: string;
  codecType?: 'AUTO' | 'HTTP1' | 'HTTP2' | 'HTTP3';
  rds?: Rds;
  routeConfig?: RouteConfiguration;
  httpFilters?: HttpFilter[];
  useRemoteAddress?: BoolValue;
  xffNumTrustedHops?: number;
  normalizePath?: BoolValue;
  mergeSlashes?: boolean;
  streamIdleTimeout?: Duration;
  requestTimeout?: Duration;
  commonHttpProtocolOptions?: { idleTimeout?: Duration };
  upgradeConfigs?: Array<{ upgradeType: string; enabled?: BoolValue }>;
  forwardClientCertDetails?: string;
  serverName?: string;
  generateRequestId?: BoolValue;
}

export interface TcpProxy {
  '@type'?: string;
  statPrefix: string;
  cluster?: string;
  weightedClusters?: { clusters: Array<{ name: string; weight: number }> };
  idleTimeout?: Duration;
}

// --- routes -----------------------------------------------------------------
export interface RouteConfiguration {
  name: string;
  virtualHosts?: VirtualHost[];
  validateClusters?: BoolValue;
  requestHeadersToAdd?: HeaderValueOption[];
  responseHeadersToAdd?: HeaderValueOption[];
  ignorePortInHostMatching?: boolean;
}
export interface VirtualHost {
  name: string;
  domains: string[];
  routes?: Route[];
  requireTls?: 'NONE' | 'EXTERNAL_ONLY' | 'ALL';
  retryPolicy?: RetryPolicy;
  includeRequestAttemptCount?: boolean;
  typedPerFilterConfig?: Record<string, TypedAny>;
}
export interface RouteMatch {
  prefix?: string;
  path?: string;
  safeRegex?: RegexMatcher;
  pathSeparatedPrefix?: string;
  caseSensitive?: BoolValue;
  headers?: HeaderMatcher[];
  queryParameters?: QueryParameterMatcher[];
  grpc?: Record<string, never>;
}
export interface WeightedClusterEntry {
  name: string;
  weight: UInt32Value;
  requestHeadersToAdd?: HeaderValueOption[];
  requestHeadersToRemove?: string[];
  responseHeadersToAdd?: HeaderValueOption[];
  responseHeadersToRemove?: string[];
}
export interface WeightedCluster {
  clusters: WeightedClusterEntry[];
  /** Deprecated: Envoy now sums the weights. */
  totalWeight?: UInt32Value;
}
export interface RetryPolicy {
  retryOn?: string;
  numRetries?: UInt32Value;
  perTryTimeout?: Duration;
  retryHostPredicate?: Array<{ name: string; typedConfig?: TypedAny }>;
  hostSelectionRetryMaxAttempts?: string | number;
  retriableStatusCodes?: number[];
}
export interface HashPolicy {
  header?: { headerName: string };
  cookie?: { name: string; ttl?: Duration; path?: string };
  connectionProperties?: { sourceIp: boolean };
  queryParameter?: { name: string };
  terminal?: boolean;
}
export interface RequestMirrorPolicy {
  cluster: string;
  runtimeFraction?: { defaultValue: FractionalPercent };
}
export interface RouteAction {
  cluster?: string;
  weightedClusters?: WeightedCluster;
  clusterHeader?: string;
  prefixRewrite?: string;
  regexRewrite?: { pattern: RegexMatcher; substitution: string };
  hostRewriteLiteral?: string;
  autoHostRewrite?: BoolValue;
  timeout?: Duration;
  idleTimeout?: Duration;
  retryPolicy?: RetryPolicy;
  hashPolicy?: HashPolicy[];
  requestMirrorPolicies?: RequestMirrorPolicy[];
  maxStreamDuration?: { maxStreamDuration?: Duration; grpcTimeoutHeaderMax?: Duration };
  cors?: Record<string, unknown>;
}
export interface RedirectAction {
  hostRedirect?: string;
  portRedirect?: number;
  pathRedirect?: string;
  prefixRewrite?: string;
  schemeRedirect?: string;
  httpsRedirect?: boolean;
  responseCode?: 'MOVED_PERMANENTLY' | 'FOUND' | 'SEE_OTHER' | 'TEMPORARY_REDIRECT' | 'PERMANENT_REDIRECT';
  stripQuery?: boolean;
}
export interface DirectResponseAction {
  status: number;
  body?: { inlineString?: string; inlineBytes?: string };
}
export interface Route {
  name?: string;
  match: RouteMatch;
  route?: RouteAction;
  redirect?: RedirectAction;
  directResponse?: DirectResponseAction;
  /** envoy.filters.http.fault per-route config lives here. */
  typedPerFilterConfig?: Record<string, TypedAny>;
  requestHeadersToAdd?: HeaderValueOption[];
  requestHeadersToRemove?: string[];
  responseHeadersToAdd?: HeaderValueOption[];
  responseHeadersToRemove?: string[];
  decorator?: { operation: string };
  metadata?: Metadata;
}

/** envoy.extensions.filters.http.fault.v3.HTTPFault */
export interface HttpFault {
  '@type'?: string;
  delay?: { fixedDelay?: Duration; percentage?: FractionalPercent };
  abort?: { httpStatus?: number; grpcStatus?: number; percentage?: FractionalPercent };
}

// --- clusters ---------------------------------------------------------------
export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RING_HASH' | 'RANDOM' | 'MAGLEV' | 'CLUSTER_PROVIDED' | 'LOAD_BALANCING_POLICY_CONFIG';
export type DiscoveryType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS' | 'ORIGINAL_DST';
export interface CircuitBreakerThresholds {
  priority?: 'DEFAULT' | 'HIGH';
  maxConnections?: UInt32Value;
  maxPendingRequests?: UInt32Value;
  maxRequests?: UInt32Value;
  maxRetries?: UInt32Value;
  trackRemaining?: boolean;
}
export interface OutlierDetection {
  consecutive5xx?: UInt32Value;
  consecutiveGatewayFailure?: UInt32Value;
  consecutiveLocalOriginFailure?: UInt32Value;
  interval?: Duration;
  baseEjectionTime?: Duration;
  maxEjectionPercent?: UInt32Value;
  enforcingConsecutive5xx?: UInt32Value;
  enforcingConsecutiveGatewayFailure?: UInt32Value;
  enforcingSuccessRate?: UInt32Value;
  splitExternalLocalOriginErrors?: boolean;
}
export interface Cluster {
  name: string;
  altStatName?: string;
  /** Absent means STATIC (the enum's zero value). */
  type?: DiscoveryType;
  edsClusterConfig?: { edsConfig?: ConfigSource; serviceName?: string };
  connectTimeout?: Duration;
  lbPolicy?: LbPolicy;
  loadAssignment?: ClusterLoadAssignment;
  circuitBreakers?: { thresholds?: CircuitBreakerThresholds[] };
  outlierDetection?: OutlierDetection;
  ringHashLbConfig?: { minimumRingSize?: UInt32Value | string; maximumRingSize?: UInt32Value | string };
  maglevLbConfig?: { tableSize?: UInt32Value | string };
  leastRequestLbConfig?: { choiceCount?: UInt32Value };
  commonLbConfig?: Record<string, unknown>;
  dnsLookupFamily?: 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL';
  dnsRefreshRate?: Duration;
  respectDnsTtl?: boolean;
  transportSocket?: TransportSocket;
  transportSocketMatches?: Array<{ name: string; match?: Record<string, unknown>; transportSocket: TransportSocket }>;
  /** e.g. `envoy.extensions.upstreams.http.v3.HttpProtocolOptions` for HTTP/2 upstreams and idle timeouts. */
  typedExtensionProtocolOptions?: Record<string, TypedAny>;
  /** ORIGINAL_DST: take the destination from `x-envoy-original-dst-host` instead of the socket. */
  originalDstLbConfig?: { useHttpHeader?: boolean; httpHeaderName?: string };
  upstreamConnectionOptions?: { tcpKeepalive?: { keepaliveProbes?: UInt32Value; keepaliveTime?: UInt32Value; keepaliveInterval?: UInt32Value } };
  metadata?: Metadata;
}

// --- endpoints --------------------------------------------------------------
export interface LbEndpoint {
  endpoint?: { address: Address; hostname?: string; healthCheckConfig?: { portValue?: number } };
  healthStatus?: HealthStatus;
  metadata?: Metadata;
  loadBalancingWeight?: UInt32Value;
}
export interface LocalityLbEndpoints {
  locality?: Locality;
  lbEndpoints?: LbEndpoint[];
  loadBalancingWeight?: UInt32Value;
  priority?: number;
}
export interface ClusterLoadAssignment {
  clusterName: string;
  endpoints?: LocalityLbEndpoints[];
  policy?: { overprovisioningFactor?: UInt32Value; dropOverloads?: unknown[] };
}

// --- secrets ----------------------------------------------------------------
export interface DataSource {
  filename?: string;
  inlineBytes?: string;
  inlineString?: string;
}
export interface Secret {
  name: string;
  tlsCertificate?: { certificateChain?: DataSource; privateKey?: DataSource };
  validationContext?: { trustedCa?: DataSource; matchSubjectAltNames?: StringMatcher[] };
}

/** Well-known filter and extension names, as Envoy spells them. */
export const FILTER_NAMES = {
  httpConnectionManager: 'envoy.filters.network.http_connection_manager',
  tcpProxy: 'envoy.filters.network.tcp_proxy',
  router: 'envoy.filters.http.router',
  fault: 'envoy.filters.http.fault',
  rbac: 'envoy.filters.http.rbac',
  jwtAuthn: 'envoy.filters.http.jwt_authn',
  tls: 'envoy.transport_sockets.tls',
  tlsInspector: 'envoy.filters.listener.tls_inspector',
  httpInspector: 'envoy.filters.listener.http_inspector',
  originalDst: 'envoy.filters.listener.original_dst',
  httpProtocolOptions: 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
} as const;

/** `@type` URLs of the typed configs pilot emits. */
export const CONFIG_TYPE_URLS = {
  httpConnectionManager: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  tcpProxy: 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  fault: 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
  rbac: 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
  rbacPerRoute: 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute',
  jwtAuthn: 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
  upstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  downstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
  httpProtocolOptions: 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
  tlsInspector: 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  originalDst: 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst',
} as const;
