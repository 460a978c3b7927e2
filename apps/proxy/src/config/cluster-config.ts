// An Envoy Cluster (CDS) and its ClusterLoadAssignment (EDS, or inline
// load_assignment) compiled into plain specs the cluster manager acts on.
// Validation happens here so a bad cluster is NACKed with its name and field;
// so does the supported-field check (supported-fields.ts): a field this proxy
// does not implement is NACKed, never ignored.
import type {
  Address__Output,
  CircuitBreakerThresholds__Output,
  CircuitBreakers__Output,
  Cluster__Output,
  ClusterLoadAssignment__Output,
  CommonLbConfig__Output,
  EdsClusterConfig__Output,
  Endpoint__Output,
  ExplicitHttpConfig__Output,
  UseDownstreamHttpConfig__Output,
  Http1ProtocolOptions__Output,
  Http2ProtocolOptions__Output,
  HttpProtocolOptions__Output,
  LbEndpoint__Output,
  LeastRequestLbConfig__Output,
  LocalityLbEndpoints__Output,
  MaglevLbConfig__Output,
  OriginalDstLbConfig__Output,
  OutlierDetection__Output,
  RingHashLbConfig__Output,
  SocketAddress__Output,
  UpstreamConnectionOptions__Output,
  UpstreamHttpProtocolOptions__Output,
} from '@mesh/xds';
import { fromStruct } from '@mesh/xds';
import { isIP } from 'node:net';
import { anyTypeName, durationMs, invalid, unpackAs, wrapped } from './proto-values.ts';
import { checkConfigSource, checkEach, checkFields, fieldTable } from './supported-fields.ts';
import { compileUpstreamTransportSocket, type UpstreamTlsSpec } from './tls-config.ts';

export type { UpstreamTlsSpec } from './tls-config.ts';

export type DiscoveryType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS' | 'ORIGINAL_DST';
export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'RING_HASH' | 'MAGLEV' | 'CLUSTER_PROVIDED';

const DISCOVERY_TYPES: ReadonlySet<string> = new Set<DiscoveryType>(['STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'EDS', 'ORIGINAL_DST']);
const LB_POLICIES: ReadonlySet<string> = new Set<LbPolicy>(['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'RING_HASH', 'MAGLEV', 'CLUSTER_PROVIDED']);
const isDiscoveryType = (t: string): t is DiscoveryType => DISCOVERY_TYPES.has(t);
const isLbPolicy = (p: string): p is LbPolicy => LB_POLICIES.has(p);

/** Envoy's passive outlier detection (envoy.config.cluster.v3.OutlierDetection), defaults applied. */
export interface OutlierSpec {
  readonly consecutive5xx: number;
  readonly enforcingConsecutive5xx: number;
  readonly consecutiveGatewayFailure: number;
  readonly enforcingConsecutiveGatewayFailure: number;
  /** Local-origin failures (connect failures, timeouts, resets) are counted apart from upstream responses. */
  readonly splitExternalLocalOriginErrors: boolean;
  readonly consecutiveLocalOriginFailure: number;
  readonly enforcingConsecutiveLocalOriginFailure: number;
  readonly intervalMs: number;
  readonly baseEjectionMs: number;
  /** Cap on base × times ejected (Envoy's default: 300 s, or the base time when that is larger). */
  readonly maxEjectionMs: number;
  readonly maxEjectionJitterMs: number;
  readonly maxEjectionPercent: number;
  readonly alwaysEjectOneHost: boolean;
  readonly successRateMinimumHosts: number;
  readonly successRateRequestVolume: number;
  /** The stdev factor / 1000 (Envoy's 1900 → 1.9). */
  readonly successRateStdevFactor: number;
  readonly enforcingSuccessRate: number;
  readonly enforcingLocalOriginSuccessRate: number;
  readonly failurePercentageThreshold: number;
  readonly failurePercentageMinimumHosts: number;
  readonly failurePercentageRequestVolume: number;
  readonly enforcingFailurePercentage: number;
  readonly enforcingFailurePercentageLocalOrigin: number;
}

/** One of a cluster's transport_socket_matches: endpoints whose `envoy.transport_socket_match` metadata holds every `match` entry use its socket. */
export interface TransportSocketMatchSpec {
  readonly name: string;
  readonly match: Readonly<Record<string, unknown>>;
  /** undefined: plaintext (raw_buffer). */
  readonly tls: UpstreamTlsSpec | undefined;
}

/** The filter metadata namespace EDS endpoints carry their transport socket match labels in (Istio: tlsMode). */
export const TRANSPORT_SOCKET_MATCH_METADATA = 'envoy.transport_socket_match';

export interface ClusterSpec {
  readonly name: string;
  readonly type: DiscoveryType;
  /** The ClusterLoadAssignment name an EDS cluster waits for. */
  readonly edsServiceName: string | undefined;
  readonly connectTimeoutMs: number;
  readonly lbPolicy: LbPolicy;
  readonly leastRequestChoiceCount: number;
  /** RING_HASH: the ring's minimum size (capped by its maximum). */
  readonly ringSize: number;
  /** MAGLEV: the lookup table's size (a prime; Envoy's default 65537). */
  readonly maglevTableSize: number;
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  readonly maxRetries: number;
  /** Below this share of healthy hosts the load balancer ignores health (Envoy's panic mode). */
  readonly panicThreshold: number;
  readonly idleTimeoutMs: number;
  readonly maxRequestsPerConnection: number;
  readonly http2: boolean;
  /**
   * use_downstream_protocol_config with http2_protocol_options: requests that came in over HTTP/2 go upstream
   * over HTTP/2, the rest over HTTP/1.1 (Istio sets it for sniffed ports and DestinationRule useClientProtocol).
   */
  readonly downstreamHttp2: boolean;
  readonly outlier: OutlierSpec | undefined;
  /**
   * upstream_http_protocol_options.auto_sni: a TLS connection's SNI is the request's host (its Host/:authority,
   * or the override header's value when present), not the TLS context's `sni`; connections are pooled per host.
   */
  readonly autoSni: boolean;
  /** upstream_http_protocol_options.auto_san_validation: the upstream certificate must be valid for the request's host. */
  readonly autoSanValidation: boolean;
  /** override_auto_sni_header (lower case): the header naming that host instead of Host/:authority. */
  readonly autoSniHeader: string | undefined;
  /** The cluster's transport socket (undefined: plaintext): what endpoints no transport socket match picks use. */
  readonly tls: UpstreamTlsSpec | undefined;
  /** transport_socket_matches, in order (Envoy's rule: the first whose match the endpoint's metadata satisfies wins). */
  readonly transportSocketMatches: readonly TransportSocketMatchSpec[];
  /** ORIGINAL_DST: take the destination from this request header instead of the authority. */
  readonly originalDstHeader: string | undefined;
  readonly cleanupIntervalMs: number;
  /** upstream_bind_config.source_address: the local address upstream connections bind (Istio: 127.0.0.6 for inbound passthrough). */
  readonly sourceAddress: string | undefined;
  readonly inlineEndpoints: EndpointSpec[] | undefined;
  /**
   * Fields accepted without being implemented because our pilot sends them
   * (supported-fields.ts `gaps`), as field paths; for logs and config_dump.
   */
  readonly unimplemented: readonly string[];
  /** Everything that changes how pools are built: pools are rebuilt when it changes. */
  readonly poolKey: string;
}

export interface EndpointSpec {
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly health: string;
  readonly priority: number;
  readonly hostname: string | undefined;
  readonly locality: string;
  /**
   * The endpoint's `envoy.transport_socket_match` filter metadata (else its locality's), which picks
   * the cluster's transport socket match; undefined when it has none.
   */
  readonly transportSocketMatch?: Readonly<Record<string, unknown>> | undefined;
}

// ---------------------------------------------------------------------------
// What this proxy accepts of a Cluster (see supported-fields.ts).

const CLUSTER = fieldTable<Cluster__Output>('envoy.config.cluster.v3.Cluster', {
  implemented: [
    'name',
    'type',
    'edsClusterConfig',
    'connectTimeout',
    'lbPolicy',
    'maxRequestsPerConnection',
    'circuitBreakers',
    'http2ProtocolOptions',
    'outlierDetection',
    'cleanupInterval',
    'ringHashLbConfig',
    'maglevLbConfig',
    'leastRequestLbConfig',
    'transportSocket',
    'commonLbConfig',
    'commonHttpProtocolOptions',
    'loadAssignment',
    'originalDstLbConfig',
    'typedExtensionProtocolOptions',
    'upstreamConnectionOptions',
    'upstreamBindConfig',
    'transportSocketMatches',
  ],
  noEffect: [
    // Metadata for other filters and telemetry; what would read it here (subset load balancing) is not accepted.
    'metadata',
    // Stat names and which stats exist.
    'altStatName',
    'trackClusterStats',
    // A DNS cluster's host names are resolved by the system resolver on every new connection: there is no
    // cached answer whose TTL to respect or that needs refreshing.
    'respectDnsTtl',
    'dnsRefreshRate',
  ],
  // Pilot sets V4_ONLY on DNS clusters; connections resolve with the system's default family instead.
  gaps: ['dnsLookupFamily'],
});

const EDS_CLUSTER_CONFIG = fieldTable<EdsClusterConfig__Output>('envoy.config.cluster.v3.Cluster.EdsClusterConfig', {
  implemented: ['edsConfig', 'serviceName'],
});

const CIRCUIT_BREAKERS = fieldTable<CircuitBreakers__Output>('envoy.config.cluster.v3.CircuitBreakers', { implemented: ['thresholds'] });

const THRESHOLDS = fieldTable<CircuitBreakerThresholds__Output>('envoy.config.cluster.v3.CircuitBreakers.Thresholds', {
  // HIGH-priority thresholds apply only to routes with priority HIGH, and RouteAction.priority is not
  // accepted, so no request is ever counted against them: they are accepted and have nothing to limit.
  implemented: ['priority', 'maxConnections', 'maxPendingRequests', 'maxRequests', 'maxRetries'],
  // Only adds the remaining_* gauges.
  noEffect: ['trackRemaining'],
});

const OUTLIER_DETECTION = fieldTable<OutlierDetection__Output>('envoy.config.cluster.v3.OutlierDetection', {
  implemented: [
    'consecutive_5xx',
    'enforcingConsecutive_5xx',
    'consecutiveGatewayFailure',
    'enforcingConsecutiveGatewayFailure',
    'splitExternalLocalOriginErrors',
    'consecutiveLocalOriginFailure',
    'enforcingConsecutiveLocalOriginFailure',
    'interval',
    'baseEjectionTime',
    'maxEjectionTime',
    'maxEjectionTimeJitter',
    'maxEjectionPercent',
    'alwaysEjectOneHost',
    'enforcingSuccessRate',
    'enforcingLocalOriginSuccessRate',
    'successRateMinimumHosts',
    'successRateRequestVolume',
    'successRateStdevFactor',
    'failurePercentageThreshold',
    'enforcingFailurePercentage',
    'enforcingFailurePercentageLocalOrigin',
    'failurePercentageMinimumHosts',
    'failurePercentageRequestVolume',
  ],
  // Only matters with active health checking, and a cluster with healthChecks is not accepted.
  noEffect: ['successfulActiveHealthCheckUnejectHost'],
});

const COMMON_LB_CONFIG = fieldTable<CommonLbConfig__Output>('envoy.config.cluster.v3.Cluster.CommonLbConfig', { implemented: ['healthyPanicThreshold'] });
const RING_HASH = fieldTable<RingHashLbConfig__Output>('envoy.config.cluster.v3.Cluster.RingHashLbConfig', { implemented: ['minimumRingSize', 'maximumRingSize'] });
const MAGLEV = fieldTable<MaglevLbConfig__Output>('envoy.config.cluster.v3.Cluster.MaglevLbConfig', { implemented: ['tableSize'] });
const LEAST_REQUEST = fieldTable<LeastRequestLbConfig__Output>('envoy.config.cluster.v3.Cluster.LeastRequestLbConfig', { implemented: ['choiceCount'] });
const ORIGINAL_DST = fieldTable<OriginalDstLbConfig__Output>('envoy.config.cluster.v3.Cluster.OriginalDstLbConfig', { implemented: ['useHttpHeader', 'httpHeaderName'] });

type BindConfigOutput = NonNullable<Cluster__Output['upstreamBindConfig']>;
const BIND_CONFIG = fieldTable<BindConfigOutput>('envoy.config.core.v3.BindConfig', { implemented: ['sourceAddress'] });
const BIND_SOCKET_ADDRESS = fieldTable<SocketAddress__Output>('envoy.config.core.v3.SocketAddress', { implemented: ['address', 'portValue', 'protocol'] });

/** ORIGINAL_DST clusters create a host per destination: at most this many at once (idle ones are swept first). */
export const MAX_ORIGINAL_DST_HOSTS = 4_096;

const UPSTREAM_CONNECTION_OPTIONS = fieldTable<UpstreamConnectionOptions__Output>('envoy.config.cluster.v3.UpstreamConnectionOptions', {
  implemented: [],
  // Pilot sends Istio's connectionPool.tcp.tcpKeepalive; the upstream pools do not set SO_KEEPALIVE yet.
  gaps: ['tcpKeepalive'],
});

/** Upstream connections' HTTP options (cluster-level, or in the typed HttpProtocolOptions). */
const UPSTREAM_COMMON_HTTP = fieldTable<HttpProtocolOptions__Output>('envoy.config.core.v3.HttpProtocolOptions', {
  implemented: ['idleTimeout', 'maxRequestsPerConnection'],
});
/** The upstream codecs take no options: an empty message selects the protocol, any option is refused. */
const UPSTREAM_HTTP1 = fieldTable<Http1ProtocolOptions__Output>('envoy.config.core.v3.Http1ProtocolOptions', { implemented: [] });
const UPSTREAM_HTTP2 = fieldTable<Http2ProtocolOptions__Output>('envoy.config.core.v3.Http2ProtocolOptions', { implemented: [] });

const UPSTREAM_HTTP_PROTOCOL_OPTIONS = fieldTable<UpstreamHttpProtocolOptions__Output>('envoy.extensions.upstreams.http.v3.HttpProtocolOptions', {
  implemented: ['commonHttpProtocolOptions', 'upstreamHttpProtocolOptions', 'explicitHttpConfig', 'useDownstreamProtocolConfig'],
});
type AutoSniOptions = NonNullable<UpstreamHttpProtocolOptions__Output['upstreamHttpProtocolOptions']>;
const AUTO_SNI_OPTIONS = fieldTable<AutoSniOptions>('envoy.config.core.v3.UpstreamHttpProtocolOptions', {
  implemented: ['autoSni', 'autoSanValidation', 'overrideAutoSniHeader'],
});
const USE_DOWNSTREAM_HTTP_CONFIG = fieldTable<UseDownstreamHttpConfig__Output>('envoy.extensions.upstreams.http.v3.HttpProtocolOptions.UseDownstreamHttpConfig', {
  implemented: ['httpProtocolOptions', 'http2ProtocolOptions'],
});
const EXPLICIT_HTTP_CONFIG = fieldTable<ExplicitHttpConfig__Output>('envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig', {
  implemented: ['httpProtocolOptions', 'http2ProtocolOptions'],
});

type TransportSocketMatchOutput = NonNullable<Cluster__Output['transportSocketMatches']>[number];
const TRANSPORT_SOCKET_MATCH = fieldTable<TransportSocketMatchOutput>('envoy.config.cluster.v3.Cluster.TransportSocketMatch', { implemented: ['name', 'match', 'transportSocket'] });

// ...and of a ClusterLoadAssignment.

const CLUSTER_LOAD_ASSIGNMENT = fieldTable<ClusterLoadAssignment__Output>('envoy.config.endpoint.v3.ClusterLoadAssignment', { implemented: ['clusterName', 'endpoints'] });
const LOCALITY_LB_ENDPOINTS = fieldTable<LocalityLbEndpoints__Output>('envoy.config.endpoint.v3.LocalityLbEndpoints', {
  // metadata: its envoy.transport_socket_match entry picks a transport socket match for endpoints that carry none.
  implemented: ['locality', 'lbEndpoints', 'priority', 'metadata'],
  noEffect: [
    // Envoy uses locality weights only when the cluster enables locality-weighted load balancing
    // (commonLbConfig.localityWeightedLbConfig), which this proxy does not accept; without it Envoy ignores them too.
    'loadBalancingWeight',
  ],
});
const LB_ENDPOINT = fieldTable<LbEndpoint__Output>('envoy.config.endpoint.v3.LbEndpoint', {
  // metadata: its envoy.transport_socket_match entry picks the cluster's transport socket match; the rest
  // is read by subset load balancing and telemetry, neither of which is accepted here.
  implemented: ['endpoint', 'healthStatus', 'loadBalancingWeight', 'metadata'],
});
const ENDPOINT = fieldTable<Endpoint__Output>('envoy.config.endpoint.v3.Endpoint', {
  implemented: ['address', 'hostname'],
  // Only active health checking reads it, and a cluster with healthChecks is not accepted.
  noEffect: ['healthCheckConfig'],
});
const ENDPOINT_ADDRESS = fieldTable<Address__Output>('envoy.config.core.v3.Address', { implemented: ['socketAddress'] });
const ENDPOINT_SOCKET_ADDRESS = fieldTable<SocketAddress__Output>('envoy.config.core.v3.SocketAddress', { implemented: ['address', 'portValue', 'protocol'] });

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions' as const;

// ---------------------------------------------------------------------------

interface ProtocolOptions {
  http2: boolean;
  downstreamHttp2: boolean;
  idleTimeoutMs: number;
  maxRequests: number;
  autoSni: boolean;
  autoSanValidation: boolean;
  autoSniHeader: string | undefined;
}

/** An HTTP header name as a request carries it (RFC 9110 token, any case). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function protocolOptions(cluster: Cluster__Output, path: string): ProtocolOptions {
  let http2 = false;
  let downstreamHttp2 = false;
  if (cluster.http2ProtocolOptions) {
    checkFields(cluster.http2ProtocolOptions, UPSTREAM_HTTP2, `${path}.http2ProtocolOptions`);
    http2 = true;
  }
  checkFields(cluster.commonHttpProtocolOptions, UPSTREAM_COMMON_HTTP, `${path}.commonHttpProtocolOptions`);
  let idleTimeoutMs = durationMs(cluster.commonHttpProtocolOptions?.idleTimeout, `${path}.commonHttpProtocolOptions.idleTimeout`, 3_600_000);
  let maxRequests = wrapped(cluster.maxRequestsPerConnection, 0);
  maxRequests = wrapped(cluster.commonHttpProtocolOptions?.maxRequestsPerConnection, maxRequests);
  let autoSni = false;
  let autoSanValidation = false;
  let autoSniHeader: string | undefined;
  for (const [key, any] of Object.entries(cluster.typedExtensionProtocolOptions ?? {})) {
    const p = `${path}.typedExtensionProtocolOptions["${key}"]`;
    if (key !== HTTP_OPTIONS) invalid(p, `protocol options for ${key} are not supported by this proxy`);
    if (cluster.http2ProtocolOptions || cluster.commonHttpProtocolOptions) {
      invalid(p, 'the typed HttpProtocolOptions cannot be combined with the deprecated http2ProtocolOptions / commonHttpProtocolOptions');
    }
    const opts = unpackAs(any, HTTP_OPTIONS);
    if (!opts) invalid(p, `expected a ${HTTP_OPTIONS}, got ${anyTypeName(any) || JSON.stringify(any)}`);
    checkFields(opts, UPSTREAM_HTTP_PROTOCOL_OPTIONS, p);
    const common = opts.commonHttpProtocolOptions;
    checkFields(common, UPSTREAM_COMMON_HTTP, `${p}.commonHttpProtocolOptions`);
    if (common?.idleTimeout) idleTimeoutMs = durationMs(common.idleTimeout, `${p}.commonHttpProtocolOptions.idleTimeout`, idleTimeoutMs);
    maxRequests = wrapped(common?.maxRequestsPerConnection, maxRequests);
    const auto = opts.upstreamHttpProtocolOptions;
    if (auto) {
      checkFields(auto, AUTO_SNI_OPTIONS, `${p}.upstreamHttpProtocolOptions`);
      autoSni = auto.autoSni === true;
      autoSanValidation = auto.autoSanValidation === true;
      if (auto.overrideAutoSniHeader) {
        if (!HEADER_NAME.test(auto.overrideAutoSniHeader)) invalid(`${p}.upstreamHttpProtocolOptions.overrideAutoSniHeader`, `not a valid header name: ${JSON.stringify(auto.overrideAutoSniHeader)}`);
        autoSniHeader = auto.overrideAutoSniHeader.toLowerCase();
      }
    }
    const explicit = opts.explicitHttpConfig;
    const downstream = opts.useDownstreamProtocolConfig;
    if (downstream) {
      // HTTP/1.1 requests always go upstream as HTTP/1.1 (http_protocol_options or not); HTTP/2 ones only when allowed.
      checkFields(downstream, USE_DOWNSTREAM_HTTP_CONFIG, `${p}.useDownstreamProtocolConfig`);
      checkFields(downstream.httpProtocolOptions, UPSTREAM_HTTP1, `${p}.useDownstreamProtocolConfig.httpProtocolOptions`);
      checkFields(downstream.http2ProtocolOptions, UPSTREAM_HTTP2, `${p}.useDownstreamProtocolConfig.http2ProtocolOptions`);
      downstreamHttp2 = downstream.http2ProtocolOptions !== undefined;
      http2 = false;
      continue;
    }
    if (!explicit) invalid(p, 'explicitHttpConfig or useDownstreamProtocolConfig is required (autoConfig is not supported)');
    checkFields(explicit, EXPLICIT_HTTP_CONFIG, `${p}.explicitHttpConfig`);
    checkFields(explicit.httpProtocolOptions, UPSTREAM_HTTP1, `${p}.explicitHttpConfig.httpProtocolOptions`);
    checkFields(explicit.http2ProtocolOptions, UPSTREAM_HTTP2, `${p}.explicitHttpConfig.http2ProtocolOptions`);
    http2 = explicit.http2ProtocolOptions !== undefined;
  }
  return { http2, downstreamHttp2, idleTimeoutMs, maxRequests, autoSni, autoSanValidation, autoSniHeader };
}

function transportSocketMatches(cluster: Cluster__Output, path: string): TransportSocketMatchSpec[] {
  return (cluster.transportSocketMatches ?? []).map((m, i) => {
    const mp = `${path}.transportSocketMatches[${i}]`;
    checkFields(m, TRANSPORT_SOCKET_MATCH, mp);
    if (!m.name) invalid(`${mp}.name`, 'a transport socket match needs a name');
    if (!m.transportSocket) invalid(`${mp}.transportSocket`, 'a transport socket match needs its transport socket');
    return { name: m.name, match: structValue(m.match, `${mp}.match`), tls: compileUpstreamTransportSocket(m.transportSocket, `${mp}.transportSocket`) };
  });
}

/** A google.protobuf.Struct as decoded (`{ fields }`) as a plain object. */
function structValue(s: unknown, path: string): Record<string, unknown> {
  if (s === undefined || s === null) return {};
  if (typeof s !== 'object' || Array.isArray(s)) invalid(path, 'expected a Struct');
  const fields = (s as { fields?: unknown }).fields;
  if (fields !== undefined && (typeof fields !== 'object' || fields === null)) invalid(path, 'expected a Struct');
  return fromStruct(s as { fields?: Record<string, never> });
}

/** The `envoy.transport_socket_match` entry of a Metadata, undefined when absent. */
function transportSocketMatchOf(metadata: { filterMetadata?: Record<string, unknown> } | undefined | null, path: string): Record<string, unknown> | undefined {
  const entry = metadata?.filterMetadata?.[TRANSPORT_SOCKET_MATCH_METADATA];
  return entry === undefined ? undefined : structValue(entry, `${path}.filterMetadata["${TRANSPORT_SOCKET_MATCH_METADATA}"]`);
}

/**
 * Envoy's rule for which transport socket an endpoint gets: the first match all of whose entries
 * equal the endpoint's `envoy.transport_socket_match` metadata (an empty match matches any
 * endpoint), else the cluster's transport socket.
 */
export function transportFor(spec: Pick<ClusterSpec, 'tls' | 'transportSocketMatches'>, metadata: Readonly<Record<string, unknown>> | undefined): UpstreamTlsSpec | undefined {
  for (const m of spec.transportSocketMatches) {
    let all = true;
    for (const [k, v] of Object.entries(m.match)) {
      if (metadata === undefined || JSON.stringify(metadata[k]) !== JSON.stringify(v)) {
        all = false;
        break;
      }
    }
    if (all) return m.tls;
  }
  return spec.tls;
}

/** A 0..100 percentage field of outlier detection. */
function percent(w: { value?: number } | undefined, fallback: number, path: string): number {
  const v = wrapped(w, fallback);
  if (!(v >= 0 && v <= 100)) invalid(path, `must be a percentage in [0, 100], got ${v}`);
  return v;
}

function outlierDetection(od: OutlierDetection__Output | undefined, path: string): OutlierSpec | undefined {
  if (!od) return undefined;
  checkFields(od, OUTLIER_DETECTION, path);
  const intervalMs = durationMs(od.interval, `${path}.interval`, 10_000);
  if (!(intervalMs > 0)) invalid(`${path}.interval`, 'must be greater than zero');
  const baseEjectionMs = durationMs(od.baseEjectionTime, `${path}.baseEjectionTime`, 30_000);
  if (!(baseEjectionMs > 0)) invalid(`${path}.baseEjectionTime`, 'must be greater than zero');
  const maxEjectionMs = durationMs(od.maxEjectionTime, `${path}.maxEjectionTime`, Math.max(300_000, baseEjectionMs));
  if (maxEjectionMs < baseEjectionMs) invalid(`${path}.maxEjectionTime`, `must not be smaller than baseEjectionTime (${baseEjectionMs} ms)`);
  return {
    consecutive5xx: wrapped(od.consecutive_5xx, 5),
    enforcingConsecutive5xx: percent(od.enforcingConsecutive_5xx, 100, `${path}.enforcingConsecutive_5xx`),
    consecutiveGatewayFailure: wrapped(od.consecutiveGatewayFailure, 5),
    enforcingConsecutiveGatewayFailure: percent(od.enforcingConsecutiveGatewayFailure, 0, `${path}.enforcingConsecutiveGatewayFailure`),
    splitExternalLocalOriginErrors: od.splitExternalLocalOriginErrors === true,
    consecutiveLocalOriginFailure: wrapped(od.consecutiveLocalOriginFailure, 5),
    enforcingConsecutiveLocalOriginFailure: percent(od.enforcingConsecutiveLocalOriginFailure, 100, `${path}.enforcingConsecutiveLocalOriginFailure`),
    intervalMs,
    baseEjectionMs,
    maxEjectionMs,
    maxEjectionJitterMs: durationMs(od.maxEjectionTimeJitter, `${path}.maxEjectionTimeJitter`, 0),
    maxEjectionPercent: percent(od.maxEjectionPercent, 10, `${path}.maxEjectionPercent`),
    alwaysEjectOneHost: wrapped(od.alwaysEjectOneHost, false),
    successRateMinimumHosts: wrapped(od.successRateMinimumHosts, 5),
    successRateRequestVolume: wrapped(od.successRateRequestVolume, 100),
    successRateStdevFactor: wrapped(od.successRateStdevFactor, 1900) / 1000,
    enforcingSuccessRate: percent(od.enforcingSuccessRate, 100, `${path}.enforcingSuccessRate`),
    enforcingLocalOriginSuccessRate: percent(od.enforcingLocalOriginSuccessRate, 100, `${path}.enforcingLocalOriginSuccessRate`),
    failurePercentageThreshold: percent(od.failurePercentageThreshold, 85, `${path}.failurePercentageThreshold`),
    failurePercentageMinimumHosts: wrapped(od.failurePercentageMinimumHosts, 5),
    failurePercentageRequestVolume: wrapped(od.failurePercentageRequestVolume, 50),
    enforcingFailurePercentage: percent(od.enforcingFailurePercentage, 0, `${path}.enforcingFailurePercentage`),
    enforcingFailurePercentageLocalOrigin: percent(od.enforcingFailurePercentageLocalOrigin, 0, `${path}.enforcingFailurePercentageLocalOrigin`),
  };
}

/** Envoy's healthy_panic_threshold (a Percent, default 50%) as a share in [0, 1]. */
function panicThreshold(p: { value?: number | string } | undefined, path: string): number {
  const v = Number(wrapped(p, 50));
  if (!(v >= 0 && v <= 100)) invalid(`${path}.value`, `must be a percentage in [0, 100], got ${p?.value}`);
  return v / 100;
}

function isPrime(n: number): boolean {
  if (n < 2 || !Number.isInteger(n)) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

function defaultThresholds(cb: CircuitBreakers__Output | undefined, path: string): CircuitBreakerThresholds__Output {
  checkFields(cb, CIRCUIT_BREAKERS, path);
  checkEach(cb?.thresholds, THRESHOLDS, `${path}.thresholds`);
  return (cb?.thresholds ?? []).find((t) => (t.priority ?? 'DEFAULT') === 'DEFAULT') ?? {};
}

/**
 * Compiles a Cluster (its inline load_assignment too). Throws a ConfigError
 * naming the cluster and the field for anything it cannot apply.
 */
export function compileCluster(cluster: Cluster__Output): ClusterSpec {
  const name = cluster?.name;
  if (!name) invalid('Cluster', 'a cluster needs a name');
  const path = `Cluster ${name}`;
  if (cluster.clusterType) invalid(`${path}.clusterType`, `custom cluster types (${cluster.clusterType.name}) are not supported`);
  const unimplemented: string[] = [];
  checkFields(cluster, CLUSTER, path, unimplemented);
  const type = cluster.type ?? 'STATIC';
  if (!isDiscoveryType(type)) invalid(`${path}.type`, `unknown discovery type ${type}`);
  const lbPolicy = cluster.lbPolicy ?? 'ROUND_ROBIN';
  if (!isLbPolicy(lbPolicy)) invalid(`${path}.lbPolicy`, `unsupported lb policy ${lbPolicy}; supported: ${[...LB_POLICIES].join(', ')}`);
  if (type === 'ORIGINAL_DST' && lbPolicy !== 'CLUSTER_PROVIDED') {
    invalid(`${path}.lbPolicy`, 'an ORIGINAL_DST cluster needs lbPolicy CLUSTER_PROVIDED');
  }
  checkFields(cluster.edsClusterConfig, EDS_CLUSTER_CONFIG, `${path}.edsClusterConfig`);
  checkConfigSource(cluster.edsClusterConfig?.edsConfig, `${path}.edsClusterConfig.edsConfig`);
  checkFields(cluster.upstreamConnectionOptions, UPSTREAM_CONNECTION_OPTIONS, `${path}.upstreamConnectionOptions`, unimplemented);
  checkFields(cluster.commonLbConfig, COMMON_LB_CONFIG, `${path}.commonLbConfig`);
  checkFields(cluster.leastRequestLbConfig, LEAST_REQUEST, `${path}.leastRequestLbConfig`);
  checkFields(cluster.originalDstLbConfig, ORIGINAL_DST, `${path}.originalDstLbConfig`);
  checkFields(cluster.ringHashLbConfig, RING_HASH, `${path}.ringHashLbConfig`);
  checkFields(cluster.maglevLbConfig, MAGLEV, `${path}.maglevLbConfig`);
  const thresholds = defaultThresholds(cluster.circuitBreakers, `${path}.circuitBreakers`);
  const proto = protocolOptions(cluster, path);
  const outlier = outlierDetection(cluster.outlierDetection, `${path}.outlierDetection`);
  const tls = compileUpstreamTransportSocket(cluster.transportSocket, `${path}.transportSocket`);
  const socketMatches = transportSocketMatches(cluster, path);
  const sourceAddress = bindSourceAddress(cluster.upstreamBindConfig, `${path}.upstreamBindConfig`);

  const minRing = Number(cluster.ringHashLbConfig?.minimumRingSize?.value ?? 1024);
  const maxRing = Number(cluster.ringHashLbConfig?.maximumRingSize?.value ?? 8_388_608);
  if (!(minRing >= 1 && minRing <= maxRing)) invalid(`${path}.ringHashLbConfig`, `minimumRingSize (${minRing}) must be between 1 and maximumRingSize (${maxRing})`);
  const maglevTableSize = Number(cluster.maglevLbConfig?.tableSize?.value ?? 65_537);
  if (!(isPrime(maglevTableSize) && maglevTableSize <= 5_000_011)) invalid(`${path}.maglevLbConfig.tableSize`, `must be a prime number no larger than 5000011, got ${maglevTableSize}`);

  const inlineEndpoints = cluster.loadAssignment ? compileLoadAssignment(cluster.loadAssignment, `${path}.loadAssignment`) : undefined;
  // A STATIC/DNS cluster without load_assignment is valid and empty (Istio's BlackHoleCluster).
  const endpoints = inlineEndpoints ?? (type === 'EDS' || type === 'ORIGINAL_DST' ? undefined : []);
  const odc = cluster.originalDstLbConfig;
  const spec = {
    name,
    type,
    edsServiceName: type === 'EDS' ? cluster.edsClusterConfig?.serviceName || name : undefined,
    connectTimeoutMs: durationMs(cluster.connectTimeout, `${path}.connectTimeout`, 5_000),
    lbPolicy,
    leastRequestChoiceCount: wrapped(cluster.leastRequestLbConfig?.choiceCount, 2),
    ringSize: minRing,
    maglevTableSize,
    maxConnections: wrapped(thresholds.maxConnections, 1024),
    maxPendingRequests: wrapped(thresholds.maxPendingRequests, 1024),
    maxRequests: wrapped(thresholds.maxRequests, 1024),
    maxRetries: wrapped(thresholds.maxRetries, 3),
    panicThreshold: panicThreshold(cluster.commonLbConfig?.healthyPanicThreshold, `${path}.commonLbConfig.healthyPanicThreshold`),
    idleTimeoutMs: proto.idleTimeoutMs,
    maxRequestsPerConnection: proto.maxRequests,
    http2: proto.http2,
    downstreamHttp2: proto.downstreamHttp2,
    autoSni: proto.autoSni,
    autoSanValidation: proto.autoSanValidation,
    autoSniHeader: proto.autoSniHeader,
    outlier,
    tls,
    transportSocketMatches: socketMatches,
    originalDstHeader: type === 'ORIGINAL_DST' && odc?.useHttpHeader ? (odc.httpHeaderName || 'x-envoy-original-dst-host').toLowerCase() : undefined,
    cleanupIntervalMs: cleanupInterval(cluster, path),
    sourceAddress,
    inlineEndpoints: endpoints,
    unimplemented,
  } satisfies Omit<ClusterSpec, 'poolKey'>;
  const poolKey = JSON.stringify([spec.connectTimeoutMs, spec.maxConnections, spec.idleTimeoutMs, spec.maxRequestsPerConnection, spec.http2, spec.downstreamHttp2, spec.autoSni, spec.autoSanValidation, spec.autoSniHeader, spec.tls, spec.transportSocketMatches, spec.sourceAddress]);
  return { ...spec, poolKey };
}

function cleanupInterval(cluster: Cluster__Output, path: string): number {
  const ms = durationMs(cluster.cleanupInterval, `${path}.cleanupInterval`, 5_000);
  if (cluster.cleanupInterval !== undefined && !(ms > 0)) invalid(`${path}.cleanupInterval`, 'must be greater than zero');
  return ms;
}

function bindSourceAddress(bind: BindConfigOutput | undefined, path: string): string | undefined {
  if (!bind) return undefined;
  checkFields(bind, BIND_CONFIG, path);
  const sa = bind.sourceAddress;
  if (!sa) invalid(`${path}.sourceAddress`, 'a bind config needs a source address');
  checkFields(sa, BIND_SOCKET_ADDRESS, `${path}.sourceAddress`);
  if (sa.protocol !== undefined && sa.protocol !== 'TCP') invalid(`${path}.sourceAddress.protocol`, `must be TCP, got ${sa.protocol}`);
  if (!sa.address || !isIP(sa.address)) invalid(`${path}.sourceAddress.address`, `must be an IP address, got ${JSON.stringify(sa.address ?? '')}`);
  if (Number(sa.portValue ?? 0) !== 0) invalid(`${path}.sourceAddress.portValue`, 'binding a fixed source port is not supported (use 0)');
  return sa.address;
}

/** Compiles a ClusterLoadAssignment into a flat endpoint list (priority and locality kept per endpoint). */
export function compileLoadAssignment(cla: ClusterLoadAssignment__Output, path: string): EndpointSpec[] {
  const out: EndpointSpec[] = [];
  checkFields(cla, CLUSTER_LOAD_ASSIGNMENT, path);
  (cla?.endpoints ?? []).forEach((group, gi) => {
    const gp = `${path}.endpoints[${gi}]`;
    checkFields(group, LOCALITY_LB_ENDPOINTS, gp);
    const priority = Number(group.priority ?? 0);
    const l = group.locality ?? {};
    const locality = [l.region, l.zone, l.subZone].filter(Boolean).join('/');
    const localityMatch = transportSocketMatchOf(group.metadata, `${gp}.metadata`);
    (group.lbEndpoints ?? []).forEach((lb, i) => {
      const p = `${gp}.lbEndpoints[${i}]`;
      checkFields(lb, LB_ENDPOINT, p);
      const ep: Endpoint__Output = lb.endpoint ?? {};
      checkFields(ep, ENDPOINT, `${p}.endpoint`);
      checkFields(ep.address, ENDPOINT_ADDRESS, `${p}.endpoint.address`);
      const sa = ep.address?.socketAddress;
      if (!sa) invalid(`${p}.endpoint.address.socketAddress`, 'an endpoint needs a socket address');
      checkFields(sa, ENDPOINT_SOCKET_ADDRESS, `${p}.endpoint.address.socketAddress`);
      if (sa.protocol !== undefined && sa.protocol !== 'TCP') invalid(`${p}.endpoint.address.socketAddress.protocol`, `only TCP endpoints are supported, got ${sa.protocol}`);
      if (!sa.address) invalid(`${p}.endpoint.address.socketAddress.address`, 'must not be empty');
      const port = Number(sa.portValue ?? 0);
      if (!(port > 0 && port < 65536)) invalid(`${p}.endpoint.address.socketAddress.portValue`, `must be a port in 1..65535, got ${sa.portValue}`);
      const weight = wrapped(lb.loadBalancingWeight, 1);
      if (!(weight >= 1)) invalid(`${p}.loadBalancingWeight`, 'must be at least 1');
      out.push({
        host: sa.address,
        port,
        weight,
        health: lb.healthStatus ?? 'UNKNOWN',
        priority,
        hostname: ep.hostname || undefined,
        locality,
        transportSocketMatch: transportSocketMatchOf(lb.metadata, `${p}.metadata`) ?? localityMatch,
      });
    });
  });
  return out;
}

/** Whether Envoy routes to an endpoint with this EDS health status. */
export function healthyStatus(health: string): boolean {
  return health === 'UNKNOWN' || health === 'HEALTHY';
}
