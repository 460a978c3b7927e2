// Specs of networking.istio.io resources (v1alpha3, v1beta1 and v1 share one
// schema), as they look after validation: camelCase field names, durations as
// Go-style strings ("5s", "100ms"; see parseDuration), enums as their names.
// Fields the API marks REQUIRED (and validation enforces) are not optional.
// Reference: https://istio.io/latest/docs/reference/config/networking/

export type Labels = Record<string, string>;
/** Go-style duration string: "1s", "100ms", "1m30s". */
export type Duration = string;

export interface Percent {
  /** 0..100 */
  value?: number;
}

export interface PortSelector {
  number?: number;
}

export interface Destination {
  host: string;
  subset?: string;
  port?: PortSelector;
}

export interface WorkloadSelector {
  labels?: Labels;
}

/** Exactly one of the three is set. */
export interface StringMatch {
  exact?: string;
  prefix?: string;
  /** RE2 syntax; the whole value must match. */
  regex?: string;
}

// ---------------------------------------------------------------- VirtualService

export interface VirtualServiceSpec {
  /** Empty only for a delegate VirtualService (referenced from another one's http[].delegate). */
  hosts?: string[];
  /** `mesh` (the default when empty), `name` or `namespace/name` of Gateways. */
  gateways?: string[];
  http?: HTTPRoute[];
  tls?: TLSRoute[];
  tcp?: TCPRoute[];
  exportTo?: string[];
}

export interface HTTPRoute {
  name?: string;
  match?: HTTPMatchRequest[];
  route?: HTTPRouteDestination[];
  redirect?: HTTPRedirect;
  directResponse?: HTTPDirectResponse;
  delegate?: Delegate;
  rewrite?: HTTPRewrite;
  timeout?: Duration;
  retries?: HTTPRetry;
  fault?: HTTPFaultInjection;
  mirror?: Destination;
  mirrors?: HTTPMirrorPolicy[];
  /** Deprecated: use mirrorPercentage. */
  mirrorPercent?: number;
  mirrorPercentage?: Percent;
  corsPolicy?: CorsPolicy;
  headers?: Headers;
}

export interface Delegate {
  name?: string;
  namespace?: string;
}

export interface HeaderOperations {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface Headers {
  request?: HeaderOperations;
  response?: HeaderOperations;
}

export interface HTTPMatchRequest {
  name?: string;
  uri?: StringMatch;
  scheme?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  /** An empty StringMatch checks that the header is present. */
  headers?: Record<string, StringMatch>;
  port?: number;
  sourceLabels?: Labels;
  gateways?: string[];
  /** exact or regex only (Istio does not support prefix here). */
  queryParams?: Record<string, StringMatch>;
  ignoreUriCase?: boolean;
  withoutHeaders?: Record<string, StringMatch>;
  sourceNamespace?: string;
  statPrefix?: string;
}

export interface HTTPRouteDestination {
  destination: Destination;
  /** A relative proportion (>= 0): the destination gets weight/(sum of the weights); with several destinations the sum must be above 0. */
  weight?: number;
  headers?: Headers;
}

export interface RouteDestination {
  destination: Destination;
  weight?: number;
}

export interface L4MatchAttributes {
  destinationSubnets?: string[];
  port?: number;
  sourceLabels?: Labels;
  gateways?: string[];
  sourceNamespace?: string;
}

export interface TLSMatchAttributes {
  sniHosts: string[];
  destinationSubnets?: string[];
  port?: number;
  sourceLabels?: Labels;
  gateways?: string[];
  sourceNamespace?: string;
}

export interface TLSRoute {
  match: TLSMatchAttributes[];
  route?: RouteDestination[];
}

export interface TCPRoute {
  match?: L4MatchAttributes[];
  route?: RouteDestination[];
}

export type RedirectPortSelection = 'FROM_PROTOCOL_DEFAULT' | 'FROM_REQUEST_PORT';

export interface HTTPRedirect {
  uri?: string;
  authority?: string;
  /** At most one of port and derivePort. */
  port?: number;
  derivePort?: RedirectPortSelection;
  scheme?: string;
  /** 301 (default), 302, 303, 307 or 308. */
  redirectCode?: number;
}

export interface HTTPBody {
  string?: string;
  /** base64 */
  bytes?: string;
}

export interface HTTPDirectResponse {
  status: number;
  body?: HTTPBody;
}

export interface RegexRewrite {
  match?: string;
  rewrite?: string;
}

export interface HTTPRewrite {
  uri?: string;
  authority?: string;
  uriRegexRewrite?: RegexRewrite;
}

export interface HTTPRetry {
  attempts?: number;
  perTryTimeout?: Duration;
  /** Comma-separated Envoy retry policies (5xx, gateway-error, reset, connect-failure, ...) or HTTP status codes. */
  retryOn?: string;
  retryRemoteLocalities?: boolean;
  /** Istio 1.26+: try a different host on each retry. */
  retryIgnorePreviousHosts?: boolean;
  /** Istio 1.26+: base interval between retries. */
  backoff?: Duration;
}

export interface CorsPolicy {
  /** Deprecated: use allowOrigins. */
  allowOrigin?: string[];
  allowOrigins?: StringMatch[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: Duration;
  allowCredentials?: boolean;
  unmatchedPreflights?: 'UNSPECIFIED' | 'FORWARD' | 'IGNORE';
}

export interface HTTPFaultInjectionDelay {
  /** Deprecated integer percentage: use percentage. */
  percent?: number;
  fixedDelay?: Duration;
  exponentialDelay?: Duration;
  percentage?: Percent;
}

export interface HTTPFaultInjectionAbort {
  httpStatus?: number;
  grpcStatus?: string;
  http2Error?: string;
  percentage?: Percent;
}

export interface HTTPFaultInjection {
  delay?: HTTPFaultInjectionDelay;
  abort?: HTTPFaultInjectionAbort;
}

export interface HTTPMirrorPolicy {
  destination: Destination;
  percentage?: Percent;
}

// ---------------------------------------------------------------- DestinationRule

export interface DestinationRuleSpec {
  host: string;
  trafficPolicy?: TrafficPolicy;
  subsets?: Subset[];
  exportTo?: string[];
  workloadSelector?: WorkloadSelector;
}

export interface TrafficPolicy {
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
  portLevelSettings?: PortTrafficPolicy[];
  tunnel?: TunnelSettings;
  proxyProtocol?: ProxyProtocol;
}

export interface PortTrafficPolicy {
  port?: PortSelector;
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
}

export interface TunnelSettings {
  protocol?: string;
  targetHost: string;
  targetPort: number;
}

export interface ProxyProtocol {
  version?: 'V1' | 'V2';
}

export interface Subset {
  name: string;
  labels?: Labels;
  trafficPolicy?: TrafficPolicy;
}

export const SIMPLE_LB_VALUES = ['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST'] as const;
export type SimpleLB = (typeof SIMPLE_LB_VALUES)[number];

export interface LoadBalancerSettings {
  /** At most one of simple and consistentHash. */
  simple?: SimpleLB;
  consistentHash?: ConsistentHashLB;
  localityLbSetting?: LocalityLoadBalancerSetting;
  warmupDurationSecs?: Duration;
}

export interface HTTPCookie {
  name: string;
  path?: string;
  ttl?: Duration;
}

export interface ConsistentHashLB {
  /** Exactly one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName. */
  httpHeaderName?: string;
  httpCookie?: HTTPCookie;
  useSourceIp?: boolean;
  httpQueryParameterName?: string;
  /** At most one of ringHash and maglev. */
  ringHash?: { minimumRingSize?: number };
  maglev?: { tableSize?: number };
  /** Deprecated: use ringHash.minimumRingSize. */
  minimumRingSize?: number;
}

export interface LocalityLoadBalancerSetting {
  distribute?: Array<{ from?: string; to?: Record<string, number> }>;
  failover?: Array<{ from?: string; to?: string }>;
  failoverPriority?: string[];
  enabled?: boolean;
}

export interface ConnectionPoolSettings {
  tcp?: TCPSettings;
  http?: HTTPSettings;
}

export interface TCPSettings {
  maxConnections?: number;
  connectTimeout?: Duration;
  tcpKeepalive?: { probes?: number; time?: Duration; interval?: Duration };
  maxConnectionDuration?: Duration;
  idleTimeout?: Duration;
}

export interface HTTPSettings {
  http1MaxPendingRequests?: number;
  http2MaxRequests?: number;
  maxRequestsPerConnection?: number;
  maxRetries?: number;
  idleTimeout?: Duration;
  h2UpgradePolicy?: 'DEFAULT' | 'DO_NOT_UPGRADE' | 'UPGRADE';
  useClientProtocol?: boolean;
  maxConcurrentStreams?: number;
}

export interface OutlierDetection {
  splitExternalLocalOriginErrors?: boolean;
  consecutiveLocalOriginFailures?: number;
  consecutiveGatewayErrors?: number;
  consecutive5xxErrors?: number;
  /** Deprecated: use consecutive5xxErrors / consecutiveGatewayErrors. */
  consecutiveErrors?: number;
  interval?: Duration;
  baseEjectionTime?: Duration;
  /** 0..100 */
  maxEjectionPercent?: number;
  /** 0..100 */
  minHealthPercent?: number;
}

export type ClientTLSMode = 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';

export interface ClientTLSSettings {
  mode?: ClientTLSMode;
  clientCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  credentialName?: string;
  subjectAltNames?: string[];
  sni?: string;
  insecureSkipVerify?: boolean;
  caCrl?: string;
}

// ---------------------------------------------------------------- Gateway

export interface GatewaySpec {
  servers: Server[];
  /** Selects the gateway workloads (pods/proxies) by their labels. */
  selector?: Labels;
}

export interface Port {
  number: number;
  /** HTTP, HTTPS, GRPC, GRPC-WEB, HTTP2, MONGO, MYSQL, REDIS, TCP, TLS (case-insensitive). */
  protocol: string;
  name: string;
  targetPort?: number;
}

export interface Server {
  port: Port;
  bind?: string;
  /** `dnsName` or `namespace/dnsName`; `*` allowed as the leading label. */
  hosts: string[];
  tls?: ServerTLSSettings;
  defaultEndpoint?: string;
  name?: string;
}

export type ServerTLSMode = 'PASSTHROUGH' | 'SIMPLE' | 'MUTUAL' | 'AUTO_PASSTHROUGH' | 'ISTIO_MUTUAL' | 'OPTIONAL_MUTUAL';
export type TLSProtocolVersion = 'TLS_AUTO' | 'TLSV1_0' | 'TLSV1_1' | 'TLSV1_2' | 'TLSV1_3';

export interface ServerTLSSettings {
  httpsRedirect?: boolean;
  mode?: ServerTLSMode;
  serverCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  caCrl?: string;
  credentialName?: string;
  credentialNames?: string[];
  subjectAltNames?: string[];
  verifyCertificateSpki?: string[];
  verifyCertificateHash?: string[];
  minProtocolVersion?: TLSProtocolVersion;
  maxProtocolVersion?: TLSProtocolVersion;
  cipherSuites?: string[];
}

// ---------------------------------------------------------------- ServiceEntry / WorkloadEntry

export interface ServicePort {
  number: number;
  protocol?: string;
  name: string;
  targetPort?: number;
}

export type ServiceEntryLocation = 'MESH_EXTERNAL' | 'MESH_INTERNAL';
export type ServiceEntryResolution = 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';

export interface ServiceEntrySpec {
  hosts: string[];
  addresses?: string[];
  ports?: ServicePort[];
  location?: ServiceEntryLocation;
  resolution?: ServiceEntryResolution;
  endpoints?: WorkloadEntrySpec[];
  workloadSelector?: WorkloadSelector;
  exportTo?: string[];
  subjectAltNames?: string[];
}

export interface WorkloadEntrySpec {
  /** IP address, DNS name (with DNS resolution) or unix:///path. */
  address?: string;
  /** Port name (as declared by the ServiceEntry) to the port number on this workload. */
  ports?: Record<string, number>;
  labels?: Labels;
  network?: string;
  locality?: string;
  weight?: number;
  serviceAccount?: string;
}

// ---------------------------------------------------------------- Sidecar

export type CaptureMode = 'DEFAULT' | 'IPTABLES' | 'NONE';

export interface SidecarPort {
  number?: number;
  protocol?: string;
  name?: string;
  targetPort?: number;
}

export interface IstioIngressListener {
  port: SidecarPort;
  bind?: string;
  captureMode?: CaptureMode;
  defaultEndpoint?: string;
  tls?: ServerTLSSettings;
  connectionPool?: ConnectionPoolSettings;
}

export interface IstioEgressListener {
  port?: SidecarPort;
  bind?: string;
  captureMode?: CaptureMode;
  /** `namespace/dnsName`; namespace may be `*`, `.` or `~`. */
  hosts: string[];
}

export interface OutboundTrafficPolicy {
  mode?: 'REGISTRY_ONLY' | 'ALLOW_ANY';
  egressProxy?: Destination;
}

export interface SidecarSpec {
  workloadSelector?: WorkloadSelector;
  ingress?: IstioIngressListener[];
  egress?: IstioEgressListener[];
  inboundConnectionPool?: ConnectionPoolSettings;
  outboundTrafficPolicy?: OutboundTrafficPolicy;
}
