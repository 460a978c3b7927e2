// An Envoy Cluster (CDS) and its ClusterLoadAssignment (EDS, or inline
// load_assignment) compiled into plain specs the cluster manager acts on.
// Validation happens here so a bad cluster is NACKed with its name and field.
import { readFileSync } from 'node:fs';
import { durationMs, invalid, wrapped, anyTypeName } from './proto-values.ts';

export type DiscoveryType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS' | 'ORIGINAL_DST';
export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'RING_HASH' | 'MAGLEV' | 'CLUSTER_PROVIDED';

const LB_POLICIES = new Set(['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'RING_HASH', 'MAGLEV', 'CLUSTER_PROVIDED']);

export interface OutlierSpec {
  consecutive5xx: number;
  consecutiveGatewayFailure: number;
  intervalMs: number;
  baseEjectionMs: number;
  maxEjectionPercent: number;
  enforcing5xx: number;
  enforcingGateway: number;
}

export interface UpstreamTlsSpec {
  sni: string | undefined;
  /** Inline PEM material, or names of SDS secrets resolved when pools are made. */
  ca: string | undefined;
  caSecret: string | undefined;
  cert: string | undefined;
  key: string | undefined;
  certSecret: string | undefined;
  insecureSkipVerify: boolean;
  alpn: string[];
  /** Exact SANs the upstream certificate must carry (any one of them); empty: hostname check only. */
  subjectAltNames: string[];
}

export interface ClusterSpec {
  readonly name: string;
  readonly type: DiscoveryType;
  /** The ClusterLoadAssignment name an EDS cluster waits for. */
  readonly edsServiceName: string | undefined;
  readonly connectTimeoutMs: number;
  readonly lbPolicy: LbPolicy;
  readonly leastRequestChoiceCount: number;
  readonly ringSize: number;
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  readonly maxRetries: number;
  /** Below this share of healthy hosts the load balancer ignores health (Envoy's panic mode). */
  readonly panicThreshold: number;
  readonly idleTimeoutMs: number;
  readonly maxRequestsPerConnection: number;
  readonly http2: boolean;
  readonly outlier: OutlierSpec | undefined;
  readonly tls: UpstreamTlsSpec | undefined;
  /** ORIGINAL_DST: take the destination from this request header instead of the authority. */
  readonly originalDstHeader: string | undefined;
  readonly cleanupIntervalMs: number;
  readonly inlineEndpoints: EndpointSpec[] | undefined;
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
}

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function protocolOptions(cluster: any): { http2: boolean; idleTimeout: any; maxRequests: number } {
  const opts = cluster.typedExtensionProtocolOptions?.[HTTP_OPTIONS];
  let http2 = cluster.http2ProtocolOptions !== undefined;
  let idleTimeout = cluster.commonHttpProtocolOptions?.idleTimeout;
  let maxRequests = wrapped(cluster.maxRequestsPerConnection, 0);
  if (opts) {
    http2 = http2 || opts.explicitHttpConfig?.http2ProtocolOptions !== undefined || opts.useDownstreamProtocolConfig?.http2ProtocolOptions !== undefined;
    idleTimeout = opts.commonHttpProtocolOptions?.idleTimeout ?? idleTimeout;
    maxRequests = wrapped(opts.commonHttpProtocolOptions?.maxRequestsPerConnection, maxRequests);
  }
  return { http2, idleTimeout, maxRequests };
}

function upstreamTls(cluster: any, path: string): UpstreamTlsSpec | undefined {
  const ts = cluster.transportSocket;
  if (!ts) return undefined;
  const type = anyTypeName(ts.typedConfig);
  if (ts.name === 'envoy.transport_sockets.raw_buffer' || type.endsWith('RawBuffer')) return undefined;
  if (!(ts.name === 'envoy.transport_sockets.tls' || type === 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext')) {
    invalid(`${path}.transportSocket`, `unsupported transport socket ${ts.name || type}`);
  }
  const ctx = ts.typedConfig ?? {};
  const common = ctx.commonTlsContext ?? {};
  const vc = common.validationContext ?? common.combinedValidationContext?.defaultValidationContext;
  const inlineCert = common.tlsCertificates?.[0];
  const dataSource = (d: any, field: string): string | undefined => {
    if (d?.inlineString !== undefined) return d.inlineString;
    if (d?.inlineBytes !== undefined) return Buffer.from(d.inlineBytes, 'base64').toString();
    if (d?.filename !== undefined) {
      try {
        return readFileSync(d.filename, 'utf8');
      } catch (err) {
        invalid(`${path}.transportSocket.typedConfig.commonTlsContext.${field}.filename`, `cannot read ${d.filename}: ${(err as Error).message}`);
      }
    }
    return undefined;
  };
  const sans = (vc?.matchTypedSubjectAltNames ?? vc?.matchSubjectAltNames ?? [])
    .map((m: any) => m.matcher?.exact ?? m.exact)
    .filter((v: unknown): v is string => typeof v === 'string');
  return {
    sni: ctx.sni || undefined,
    ca: dataSource(vc?.trustedCa, 'validationContext.trustedCa'),
    caSecret: common.validationContextSdsSecretConfig?.name ?? common.combinedValidationContext?.validationContextSdsSecretConfig?.name,
    cert: dataSource(inlineCert?.certificateChain, 'tlsCertificates[0].certificateChain'),
    key: dataSource(inlineCert?.privateKey, 'tlsCertificates[0].privateKey'),
    subjectAltNames: sans,
    certSecret: common.tlsCertificateSdsSecretConfigs?.[0]?.name,
    insecureSkipVerify: !vc && !common.validationContextSdsSecretConfig && !common.combinedValidationContext,
    alpn: common.alpnProtocols ?? [],
  };
}

/** Compiles a Cluster. Inline load_assignment endpoints are compiled too. */
export function compileCluster(cluster: any): ClusterSpec {
  const name: string = cluster?.name;
  if (!name) invalid('Cluster', 'a cluster needs a name');
  const path = `Cluster ${name}`;
  const type = (cluster.type ?? 'STATIC') as DiscoveryType;
  if (cluster.clusterType) invalid(`${path}.clusterType`, `custom cluster types (${cluster.clusterType.name}) are not supported`);
  if (!['STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'EDS', 'ORIGINAL_DST'].includes(type)) invalid(`${path}.type`, `unknown discovery type ${type}`);
  const lbPolicy = (cluster.lbPolicy ?? 'ROUND_ROBIN') as LbPolicy;
  if (!LB_POLICIES.has(lbPolicy)) invalid(`${path}.lbPolicy`, `unsupported lb policy ${lbPolicy}; supported: ${[...LB_POLICIES].join(', ')}`);
  if (type === 'ORIGINAL_DST' && lbPolicy !== 'CLUSTER_PROVIDED') {
    invalid(`${path}.lbPolicy`, 'an ORIGINAL_DST cluster needs lbPolicy CLUSTER_PROVIDED');
  }
  const thresholds = (cluster.circuitBreakers?.thresholds ?? []).find((t: any) => (t.priority ?? 'DEFAULT') === 'DEFAULT') ?? {};
  const proto = protocolOptions(cluster);
  const od = cluster.outlierDetection;
  const outlier: OutlierSpec | undefined = od
    ? {
        consecutive5xx: wrapped(od.consecutive5xx, 5),
        consecutiveGatewayFailure: wrapped(od.consecutiveGatewayFailure, 5),
        intervalMs: durationMs(od.interval, `${path}.outlierDetection.interval`, 10_000),
        baseEjectionMs: durationMs(od.baseEjectionTime, `${path}.outlierDetection.baseEjectionTime`, 30_000),
        maxEjectionPercent: wrapped(od.maxEjectionPercent, 10),
        enforcing5xx: wrapped(od.enforcingConsecutive5xx, 100),
        enforcingGateway: wrapped(od.enforcingConsecutiveGatewayFailure, 0),
      }
    : undefined;
  const tls = upstreamTls(cluster, path);
  const inlineEndpoints = cluster.loadAssignment ? compileLoadAssignment(cluster.loadAssignment, `${path}.loadAssignment`) : undefined;
  // A STATIC/DNS cluster without load_assignment is valid and empty (Istio's BlackHoleCluster).
  const endpoints = inlineEndpoints ?? (type === 'EDS' || type === 'ORIGINAL_DST' ? undefined : []);
  const spec = {
    name,
    type,
    edsServiceName: type === 'EDS' ? cluster.edsClusterConfig?.serviceName || name : undefined,
    connectTimeoutMs: durationMs(cluster.connectTimeout, `${path}.connectTimeout`, 5_000),
    lbPolicy,
    leastRequestChoiceCount: wrapped(cluster.leastRequestLbConfig?.choiceCount, 2),
    ringSize: Number(cluster.ringHashLbConfig?.minimumRingSize?.value ?? 1024),
    maxConnections: wrapped(thresholds.maxConnections, 1024),
    maxPendingRequests: wrapped(thresholds.maxPendingRequests, 1024),
    maxRequests: wrapped(thresholds.maxRequests, 1024),
    maxRetries: wrapped(thresholds.maxRetries, 3),
    panicThreshold: wrapped(cluster.commonLbConfig?.healthyPanicThreshold, 50) / 100,
    idleTimeoutMs: durationMs(proto.idleTimeout, `${path}.commonHttpProtocolOptions.idleTimeout`, 3_600_000),
    maxRequestsPerConnection: proto.maxRequests,
    http2: proto.http2,
    outlier,
    tls,
    originalDstHeader:
      type === 'ORIGINAL_DST'
        ? cluster.originalDstLbConfig?.useHttpHeader
          ? (cluster.originalDstLbConfig.httpHeaderName || 'x-envoy-original-dst-host').toLowerCase()
          : undefined
        : undefined,
    cleanupIntervalMs: durationMs(cluster.cleanupInterval, `${path}.cleanupInterval`, 5_000),
    inlineEndpoints: endpoints,
  };
  const poolKey = JSON.stringify([spec.connectTimeoutMs, spec.maxConnections, spec.idleTimeoutMs, spec.maxRequestsPerConnection, spec.http2, spec.tls]);
  return { ...spec, poolKey };
}

/** Compiles a ClusterLoadAssignment into a flat endpoint list (priority and locality kept per endpoint). */
export function compileLoadAssignment(cla: any, path: string): EndpointSpec[] {
  const out: EndpointSpec[] = [];
  (cla?.endpoints ?? []).forEach((group: any, gi: number) => {
    const priority = Number(group.priority ?? 0);
    const l = group.locality ?? {};
    const locality = [l.region, l.zone, l.subZone].filter(Boolean).join('/');
    (group.lbEndpoints ?? []).forEach((lb: any, i: number) => {
      const p = `${path}.endpoints[${gi}].lbEndpoints[${i}]`;
      const sa = lb.endpoint?.address?.socketAddress;
      if (!sa) {
        if (lb.endpointName) invalid(`${p}.endpointName`, 'named endpoints are not supported');
        invalid(`${p}.endpoint.address.socketAddress`, 'an endpoint needs a socket address');
      }
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
        hostname: lb.endpoint.hostname || undefined,
        locality,
      });
    });
  });
  return out;
}

/** Whether Envoy routes to an endpoint with this EDS health status. */
export function healthyStatus(health: string): boolean {
  return health === 'UNKNOWN' || health === 'HEALTHY';
}
