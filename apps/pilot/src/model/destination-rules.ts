// DestinationRule → per-cluster settings: load balancing, circuit breakers,
// outlier detection, TLS origination, plus the route hash policy that
// consistent hashing needs. Istio's merge order: rule-level policy, then its
// port-level settings, then the subset's policy and the subset's port-level settings.
import type { ConfigResource } from '@mesh/contracts';
import {
  FILTER_NAMES,
  encodeMessage,
  typedConfig,
  type CircuitBreakerThresholds,
  type Cluster,
  type CommonTlsContext,
  type HashPolicy,
  type HttpProtocolOptions,
  type OutlierDetection,
  type TcpKeepalive,
} from '@mesh/xds';
import { FieldError, asArray, asInt, asLabels, asObject, asString, refOf, requireString, type ResourceRef } from './errors.ts';
import { toDuration } from './duration.ts';
import { resolveHost } from './hosts.ts';
import type { TrafficPolicy } from './istio.ts';
import { ExportScope } from '@mesh/config';
import { readExportTo } from './virtual-services.ts';

export interface SubsetModel {
  name: string;
  labels: Record<string, string>;
  trafficPolicy?: TrafficPolicy;
  field: string;
}

export interface DestinationRuleModel {
  host: string;
  namespace: string;
  name: string;
  ref: ResourceRef;
  trafficPolicy?: TrafficPolicy;
  subsets: SubsetModel[];
  /** Where the rule applies (spec.exportTo, else the mesh's defaultDestinationRuleExportTo). */
  exportTo: ExportScope;
  creation: string;
}

export function readDestinationRule(r: ConfigResource, domainSuffix: string, defaultExportTo: readonly string[] = ['*']): DestinationRuleModel {
  const spec = r.spec as Record<string, any>;
  const host = resolveHost(requireString(spec.host, 'spec.host'), r.metadata.namespace, domainSuffix);
  const seen = new Set<string>();
  const subsets = asArray<Record<string, any>>(spec.subsets, 'spec.subsets').map((s, i) => {
    const field = `spec.subsets[${i}]`;
    const name = requireString(s?.name, `${field}.name`);
    if (seen.has(name)) throw new FieldError(`${field}.name`, `duplicate subset name "${name}"`);
    seen.add(name);
    return { name, labels: asLabels(s.labels, `${field}.labels`), trafficPolicy: asObject(s.trafficPolicy, `${field}.trafficPolicy`) as TrafficPolicy | undefined, field };
  });
  const model: DestinationRuleModel = {
    host,
    namespace: r.metadata.namespace,
    name: r.metadata.name,
    ref: refOf(r),
    trafficPolicy: asObject(spec.trafficPolicy, 'spec.trafficPolicy') as TrafficPolicy | undefined,
    subsets,
    exportTo: new ExportScope(readExportTo(spec), r.metadata.namespace, defaultExportTo),
    creation: r.metadata.creationTimestamp ?? '',
  };
  // Translate every policy once now, so a bad field rejects the rule up front
  // instead of failing later while building some proxy's clusters.
  const ports = new Set<number>([0]);
  for (const p of asArray<Record<string, any>>(model.trafficPolicy?.portLevelSettings, 'spec.trafficPolicy.portLevelSettings')) if (p?.port?.number) ports.add(p.port.number);
  for (const port of ports) {
    for (const s of [undefined, ...subsets]) {
      for (const proxyless of [false, true]) dryRunEncode(policyToCluster(effectivePolicy(model, s, port), () => {}, proxyless), s?.field ?? 'spec');
    }
  }
  return model;
}

/**
 * Encodes a policy's cluster settings through Envoy's Cluster message, so a
 * policy pilot would translate into an invalid cluster rejects the rule here,
 * naming the Istio field, instead of losing the cluster when it is served.
 */
function dryRunEncode(policy: ClusterPolicy, fallbackField: string): void {
  try {
    encodeMessage('envoy.config.cluster.v3.Cluster', { name: 'dry-run', ...policy.cluster });
  } catch (err) {
    const message = (err as Error).message;
    throw new FieldError(istioFieldOf(policy.fields, message) ?? fallbackField, `translates into an invalid Envoy cluster: ${message}`);
  }
}

/** The Istio field that produced the Envoy cluster field an encoding error names (`outlierDetection.consecutive_5xx: ...`). */
export function istioFieldOf(fields: ClusterPolicy['fields'], message: string): string | undefined {
  for (const [envoyField, istioField] of Object.entries(fields)) {
    if (new RegExp(`(^|: )${envoyField}($|[.\\[:])`).test(message)) return istioField;
  }
  return undefined;
}

interface Located {
  policy: TrafficPolicy;
  field: string;
}

/** The policy for one cluster, each section tagged with where it came from (for error paths). */
export interface EffectivePolicy {
  loadBalancer?: Located;
  connectionPool?: Located;
  outlierDetection?: Located;
  tls?: Located;
}

function overlay(into: EffectivePolicy, policy: TrafficPolicy | undefined, field: string, port: number): void {
  if (!policy) return;
  for (const k of ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls'] as const) {
    if (policy[k] !== undefined) into[k] = { policy, field };
  }
  const levels = asArray<Record<string, any>>(policy.portLevelSettings, `${field}.portLevelSettings`);
  levels.forEach((pl, i) => {
    if (pl?.port?.number !== port) return;
    const plField = `${field}.portLevelSettings[${i}]`;
    for (const k of ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls'] as const) {
      if (pl[k] !== undefined) into[k] = { policy: pl as TrafficPolicy, field: plField };
    }
  });
}

export function effectivePolicy(dr: DestinationRuleModel | undefined, subset: SubsetModel | undefined, port: number): EffectivePolicy {
  const out: EffectivePolicy = {};
  if (!dr) return out;
  overlay(out, dr.trafficPolicy, 'spec.trafficPolicy', port);
  if (subset) overlay(out, subset.trafficPolicy, `${subset.field}.trafficPolicy`, port);
  return out;
}

const MAX_U32 = 4_294_967_295;

export interface ClusterPolicy {
  /** Fields merged into the Envoy Cluster. */
  cluster: Cluster;
  /** Route hash policy for consistent hashing (set on routes to this cluster). */
  hashPolicy?: HashPolicy[];
  /** Upstream HTTP options (max requests per connection, idle timeout), merged with the protocol choice by the cluster builder. */
  commonHttpProtocolOptions?: HttpProtocolOptions;
  upgradeToHttp2?: boolean;
  /** connectionPool.http.useClientProtocol: the upstream speaks whatever protocol the client spoke. */
  useClientProtocol?: boolean;
  /** Which Istio field each Envoy Cluster field came from (`outlierDetection` → `spec.trafficPolicy.outlierDetection`), for error messages. */
  fields: Partial<Record<keyof Cluster, string>>;
  /**
   * What the rule's `tls` says when the cluster builder has to finish it
   * (undefined: no `tls`, so auto mutual TLS decides; SIMPLE and MUTUAL are
   * complete in `cluster.transportSocket`):
   * - ISTIO_MUTUAL: the workload certificate over SDS, with the rule's sni and
   *   subjectAltNames when set, else the cluster's SNI and the service's identities;
   * - DISABLE: plaintext, no auto mutual TLS;
   * - CREDENTIAL: SIMPLE/MUTUAL with credentialName: at a gateway, the credential
   *   of its namespace over SDS; anywhere else the cluster fails closed;
   * - FAIL_CLOSED: TLS this mesh cannot originate for this proxy;
   *   the cluster must not carry traffic at all.
   */
  tls?:
    | { mode: 'ISTIO_MUTUAL'; sni?: string; subjectAltNames?: string[] }
    | { mode: 'DISABLE' }
    /** SIMPLE/MUTUAL from files; `sni` and `verified` (a CA, no insecureSkipVerify) decide Istio's auto SNI / SAN validation. */
    | { mode: 'FILE'; sni?: string; subjectAltNames?: string[]; verified: boolean }
    | { mode: 'CREDENTIAL'; field: string; origination: { mode: 'SIMPLE' | 'MUTUAL'; credentialName: string; sni?: string; subjectAltNames?: string[]; insecureSkipVerify?: boolean } }
    | { mode: 'FAIL_CLOSED'; field: string };
}

function intOrValue(v: unknown, field: string): number | undefined {
  if (v && typeof v === 'object' && 'value' in (v as object)) return asInt((v as { value: unknown }).value, `${field}.value`);
  return asInt(v, field);
}

/**
 * Envoy cluster settings for an effective policy. `warn` receives fields that
 * are understood but not translated (the rest of the rule still applies).
 * `proxyless` keeps to what gRPC's xDS client accepts.
 */
export function policyToCluster(p: EffectivePolicy, warn: (field: string, message: string, severity?: 'error' | 'warning') => void, proxyless: boolean): ClusterPolicy {
  const out: ClusterPolicy = { cluster: {}, fields: {} };
  // Istio lifts Envoy's default limits of 1024 so that only configured limits apply.
  const thresholds: CircuitBreakerThresholds = {
    maxConnections: { value: MAX_U32 },
    maxPendingRequests: { value: MAX_U32 },
    maxRequests: { value: MAX_U32 },
    maxRetries: { value: MAX_U32 },
    trackRemaining: true,
  };
  // Istio's default since 1.14 is LEAST_REQUEST; gRPC's xDS clients balance round robin.
  out.cluster.lbPolicy = proxyless ? 'ROUND_ROBIN' : 'LEAST_REQUEST';

  if (p.loadBalancer) {
    const f = `${p.loadBalancer.field}.loadBalancer`;
    for (const k of ['lbPolicy', 'ringHashLbConfig', 'maglevLbConfig'] as const) out.fields[k] = f;
    const lb = asObject(p.loadBalancer.policy.loadBalancer, f)!;
    const simple = asString(lb.simple, `${f}.simple`);
    const ch = asObject(lb.consistentHash, `${f}.consistentHash`);
    if (simple && ch) throw new FieldError(f, 'simple and consistentHash are mutually exclusive');
    if (simple) {
      const map: Record<string, Cluster['lbPolicy']> = { UNSPECIFIED: out.cluster.lbPolicy, ROUND_ROBIN: 'ROUND_ROBIN', LEAST_CONN: 'LEAST_REQUEST', LEAST_REQUEST: 'LEAST_REQUEST', RANDOM: 'RANDOM' };
      // PASSTHROUGH is reported by @mesh/config's supportFindings; the default applies.
      if (simple !== 'PASSTHROUGH' && !map[simple]) throw new FieldError(`${f}.simple`, `"${simple}" is not one of ROUND_ROBIN, LEAST_REQUEST, LEAST_CONN, RANDOM, PASSTHROUGH`);
      out.cluster.lbPolicy = map[simple] ?? out.cluster.lbPolicy;
    }
    if (ch) {
      const cf = `${f}.consistentHash`;
      const hash: HashPolicy = {};
      const header = asString(ch.httpHeaderName, `${cf}.httpHeaderName`);
      const cookie = asObject(ch.httpCookie, `${cf}.httpCookie`);
      const query = asString(ch.httpQueryParameterName, `${cf}.httpQueryParameterName`);
      if (header) hash.header = { headerName: header };
      else if (cookie) {
        const ttl = toDuration(cookie.ttl, `${cf}.httpCookie.ttl`);
        hash.cookie = { name: requireString(cookie.name, `${cf}.httpCookie.name`), ...(cookie.path ? { path: String(cookie.path) } : {}), ...(ttl ? { ttl } : {}) };
      } else if (ch.useSourceIp) hash.connectionProperties = { sourceIp: true };
      else if (query) hash.queryParameter = { name: query };
      else throw new FieldError(cf, 'one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName is required');
      out.hashPolicy = [hash];
      // gRFC A42: gRPC's ring hash uses header hash policies only; any other gives each RPC a random hash.
      if (proxyless && !header) warn(cf, 'proxyless gRPC clients hash only on httpHeaderName: with this policy each RPC goes to a random endpoint of the ring');
      const maglev = asObject(ch.maglev, `${cf}.maglev`);
      if (maglev && proxyless) warn(`${cf}.maglev`, 'proxyless gRPC clients get RING_HASH instead of MAGLEV');
      if (maglev && !proxyless) {
        out.cluster.lbPolicy = 'MAGLEV';
        const size = asInt(maglev.tableSize, `${cf}.maglev.tableSize`, 1);
        if (size) out.cluster.maglevLbConfig = { tableSize: { value: String(size) } };
      } else {
        out.cluster.lbPolicy = 'RING_HASH';
        const size = asInt(asObject(ch.ringHash, `${cf}.ringHash`)?.minimumRingSize, `${cf}.ringHash.minimumRingSize`, 1) ?? asInt(ch.minimumRingSize, `${cf}.minimumRingSize`, 1);
        if (size) out.cluster.ringHashLbConfig = { minimumRingSize: { value: String(size) } };
      }
    }
  }

  if (p.connectionPool) {
    const f = `${p.connectionPool.field}.connectionPool`;
    for (const k of ['circuitBreakers', 'connectTimeout', 'upstreamConnectionOptions', 'typedExtensionProtocolOptions'] as const) out.fields[k] = f;
    const cp = asObject(p.connectionPool.policy.connectionPool, f)!;
    const tcp = asObject(cp.tcp, `${f}.tcp`);
    const http = asObject(cp.http, `${f}.http`);
    if (tcp) {
      const max = asInt(tcp.maxConnections, `${f}.tcp.maxConnections`, 1);
      if (max) thresholds.maxConnections = { value: max };
      const ct = toDuration(tcp.connectTimeout, `${f}.tcp.connectTimeout`);
      if (ct) out.cluster.connectTimeout = ct;
      const ka = asObject(tcp.tcpKeepalive, `${f}.tcp.tcpKeepalive`);
      if (ka && proxyless) warn(`${f}.tcp.tcpKeepalive`, 'TCP keepalive is not sent to proxyless gRPC clients');
      if (ka && !proxyless) {
        const keep: TcpKeepalive = {};
        const probes = asInt(ka.probes, `${f}.tcp.tcpKeepalive.probes`, 1);
        const time = toDuration(ka.time, `${f}.tcp.tcpKeepalive.time`);
        const interval = toDuration(ka.interval, `${f}.tcp.tcpKeepalive.interval`);
        if (probes) keep.keepaliveProbes = { value: probes };
        if (time) keep.keepaliveTime = { value: Math.max(1, time.seconds) };
        if (interval) keep.keepaliveInterval = { value: Math.max(1, interval.seconds) };
        out.cluster.upstreamConnectionOptions = { tcpKeepalive: keep };
      }
    }
    if (http) {
      const pending = asInt(http.http1MaxPendingRequests, `${f}.http.http1MaxPendingRequests`, 1);
      const requests = asInt(http.http2MaxRequests, `${f}.http.http2MaxRequests`, 1);
      const retries = asInt(http.maxRetries, `${f}.http.maxRetries`, 0);
      if (pending) thresholds.maxPendingRequests = { value: pending };
      if (requests) thresholds.maxRequests = { value: requests };
      if (retries !== undefined) thresholds.maxRetries = { value: retries };
      const perConn = asInt(http.maxRequestsPerConnection, `${f}.http.maxRequestsPerConnection`, 0);
      const idle = toDuration(http.idleTimeout, `${f}.http.idleTimeout`);
      if (perConn || idle) out.commonHttpProtocolOptions = { ...(perConn ? { maxRequestsPerConnection: { value: perConn } } : {}), ...(idle ? { idleTimeout: idle } : {}) };
      const upgrade = asString(http.h2UpgradePolicy, `${f}.http.h2UpgradePolicy`);
      if (upgrade === 'UPGRADE') out.upgradeToHttp2 = true;
      if (http.useClientProtocol === true) out.useClientProtocol = true;
    }
  }
  out.cluster.circuitBreakers = { thresholds: [proxyless ? { maxRequests: thresholds.maxRequests } : thresholds] };

  if (p.outlierDetection) {
    const f = `${p.outlierDetection.field}.outlierDetection`;
    out.fields.outlierDetection = f;
    out.fields.commonLbConfig = `${f}.minHealthPercent`;
    const od = asObject(p.outlierDetection.policy.outlierDetection, f)!;
    const o: OutlierDetection = {};
    const c5xx = intOrValue(od.consecutive5xxErrors, `${f}.consecutive5xxErrors`) ?? asInt(od.consecutiveErrors, `${f}.consecutiveErrors`);
    const gw = intOrValue(od.consecutiveGatewayErrors, `${f}.consecutiveGatewayErrors`);
    const local = intOrValue(od.consecutiveLocalOriginFailures, `${f}.consecutiveLocalOriginFailures`);
    // Envoy enables every detector by default; Istio enforces only the configured ones.
    // Envoy's proto spells these consecutive_5xx / enforcing_consecutive_5xx (protobufjs keeps `_5xx`).
    o.consecutive_5xx = { value: c5xx ?? 0 };
    o.enforcingConsecutive_5xx = { value: c5xx ? 100 : 0 };
    if (gw !== undefined) {
      o.consecutiveGatewayFailure = { value: gw };
      o.enforcingConsecutiveGatewayFailure = { value: gw ? 100 : 0 };
    }
    if (od.splitExternalLocalOriginErrors) {
      o.splitExternalLocalOriginErrors = true;
      if (local) o.consecutiveLocalOriginFailure = { value: local };
    }
    o.enforcingSuccessRate = { value: 0 };
    const interval = toDuration(od.interval, `${f}.interval`);
    const base = toDuration(od.baseEjectionTime, `${f}.baseEjectionTime`);
    const maxPct = asInt(od.maxEjectionPercent, `${f}.maxEjectionPercent`, 0, 100);
    if (interval) o.interval = interval;
    if (base) o.baseEjectionTime = base;
    if (maxPct !== undefined) o.maxEjectionPercent = { value: maxPct };
    out.cluster.outlierDetection = o;
    const minHealth = asInt(od.minHealthPercent, `${f}.minHealthPercent`, 0, 100);
    if (minHealth !== undefined && proxyless) warn(`${f}.minHealthPercent`, 'minHealthPercent is not sent to proxyless gRPC clients');
    else if (minHealth !== undefined) out.cluster.commonLbConfig = { healthyPanicThreshold: { value: minHealth } };
  }

  if (p.tls) {
    const f = `${p.tls.field}.tls`;
    out.fields.transportSocket = f;
    out.fields.transportSocketMatches = f;
    const tls = asObject(p.tls.policy.tls, f)!;
    const mode = asString(tls.mode, `${f}.mode`) ?? 'DISABLE';
    const sni = asString(tls.sni, `${f}.sni`);
    const sans = asArray<string>(tls.subjectAltNames, `${f}.subjectAltNames`);
    sans.forEach((s, i) => requireString(s, `${f}.subjectAltNames[${i}]`));
    if (mode === 'DISABLE') out.tls = { mode: 'DISABLE' };
    else if (mode === 'ISTIO_MUTUAL') {
      if (proxyless) warn(`${f}.mode`, 'Istio mutual TLS is not sent to proxyless gRPC clients: their traffic to this host is plaintext', 'error');
      for (const k of ['caCertificates', 'clientCertificate', 'privateKey', 'credentialName'] as const) {
        if (tls[k]) warn(`${f}.${k}`, `${k} is ignored with ISTIO_MUTUAL (the workload certificate and the mesh trust bundle are used)`);
      }
      out.tls = { mode: 'ISTIO_MUTUAL', ...(sni ? { sni } : {}), ...(sans.length ? { subjectAltNames: sans } : {}) };
    } else if (mode === 'SIMPLE' || mode === 'MUTUAL') {
      if (tls.credentialName) {
        // Istio reads credentialName at gateways (sidecars only with a workloadSelector, which this mesh does
        // not implement); the cluster builder serves it to gateways and fails closed elsewhere.
        const credentialName = requireString(tls.credentialName, `${f}.credentialName`);
        out.tls = {
          mode: 'CREDENTIAL',
          field: `${f}.credentialName`,
          origination: {
            mode,
            credentialName,
            ...(sni ? { sni } : {}),
            ...(sans.length ? { subjectAltNames: sans } : {}),
            ...(tls.insecureSkipVerify === true ? { insecureSkipVerify: true } : {}),
          },
        };
      } else if (proxyless) warn(`${f}.mode`, 'TLS origination is not sent to proxyless gRPC clients: their traffic to this host is plaintext', 'error');
      else {
        const common: CommonTlsContext = {};
        const ca = asString(tls.caCertificates, `${f}.caCertificates`);
        // insecureSkipVerify: no validation at all (Istio), even with caCertificates or subjectAltNames.
        if (tls.insecureSkipVerify !== true && (ca || sans.length)) {
          common.validationContext = {
            ...(ca ? { trustedCa: { filename: ca } } : {}),
            ...(sans.length ? { matchSubjectAltNames: sans.map((s) => ({ exact: s })) } : {}),
          };
        }
        if (mode === 'MUTUAL') {
          const cert = requireString(tls.clientCertificate, `${f}.clientCertificate`);
          const key = requireString(tls.privateKey, `${f}.privateKey`);
          common.tlsCertificates = [{ certificateChain: { filename: cert }, privateKey: { filename: key } }];
        }
        out.cluster.transportSocket = {
          name: FILTER_NAMES.tls,
          typedConfig: typedConfig('upstreamTlsContext', { commonTlsContext: common, ...(sni ? { sni } : {}) }),
        };
        out.tls = { mode: 'FILE', ...(sni ? { sni } : {}), ...(sans.length ? { subjectAltNames: sans } : {}), verified: tls.insecureSkipVerify !== true && ca !== undefined && ca !== '' };
      }
    } else {
      throw new FieldError(`${f}.mode`, `"${mode}" is not one of DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL`);
    }
  }

  if (proxyless && out.cluster.lbPolicy !== 'ROUND_ROBIN' && out.cluster.lbPolicy !== 'RING_HASH') {
    warn(`${p.loadBalancer?.field ?? 'spec.trafficPolicy'}.loadBalancer`, `${out.cluster.lbPolicy} is not sent to proxyless gRPC clients; they use ROUND_ROBIN`);
    out.cluster.lbPolicy = 'ROUND_ROBIN';
  }
  return out;
}
