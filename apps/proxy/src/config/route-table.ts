// An Envoy RouteConfiguration compiled into an immutable routing table:
// virtual hosts indexed by domain (exact, *.suffix, prefix.*, *), routes
// tried in order with precompiled matchers, and each route's action
// (forward / redirect / direct response) with its rewrites, timeout and retry
// policy resolved up front. Compiling is where bad config is rejected, with
// the route configuration's name and the field path in the message.
import type {
  DirectResponseAction__Output,
  HashPolicy__Output as HashPolicyMessage,
  HashPolicyConnectionProperties__Output,
  HashPolicyCookie__Output,
  HashPolicyHeader__Output,
  HashPolicyQueryParameter__Output,
  RedirectAction__Output,
  RegexMatchAndSubstitute__Output,
  RequestMirrorPolicy__Output,
  RetryBackOff__Output,
  RetryHostPredicate__Output,
  RetryPolicy__Output,
  Route__Output,
  RouteAction__Output,
  RouteUpgradeConfig__Output,
  RouteConfiguration__Output,
  RouteMatch__Output,
  VirtualHost__Output,
  WeightedCluster__Output,
  WeightedClusterEntry__Output,
} from '@mesh/xds';
import { FAULT_FILTER, FaultConfig } from './fault-config.ts';
import { CORS_FILTER, CORS_POLICY_TYPE, CorsPolicyConfig } from './cors-config.ts';
import { HeaderMutation } from './header-mutation.ts';
import { HeaderMatcher, QueryParameterMatcher, checkRegexMatcher, compileRegexMatcher, parseQuery, type RequestHead } from './matchers.ts';
import { compileMetadataMatcher, type MetadataLookup } from './rbac-config.ts';
import { anyTypeName, dataSourceBytes, durationMs, fractionalPercent, invalid, unpackAs, wrapped } from './proto-values.ts';
import { compileSearch, translateSubstitution } from './regex.ts';
import { DATA_SOURCE, RUNTIME_FRACTIONAL_PERCENT, checkEach, checkFields, fieldTable } from './supported-fields.ts';

export interface CompileOptions {
  /** Source of randomness for weighted clusters and runtime fractions (tests pass a seeded one). */
  random?: () => number;
  /** Filled by RouteTable: fields accepted without being implemented (supported-fields.ts `gaps`). */
  unimplemented?: string[];
}

// ---------------------------------------------------------------------------
// What this proxy accepts of a RouteConfiguration (see supported-fields.ts).

const ROUTE_CONFIGURATION = fieldTable<RouteConfiguration__Output>('envoy.config.route.v3.RouteConfiguration', {
  implemented: [
    'name',
    'virtualHosts',
    'requestHeadersToAdd',
    'requestHeadersToRemove',
    'responseHeadersToAdd',
    'responseHeadersToRemove',
    'ignorePortInHostMatching',
    // Only false (the RDS default: an unknown cluster answers clusterNotFoundResponseCode at request time).
    'validateClusters',
  ],
  noEffect: ['metadata'],
});
const VIRTUAL_HOST = fieldTable<VirtualHost__Output>('envoy.config.route.v3.VirtualHost', {
  implemented: [
    'name',
    'domains',
    'routes',
    'requireTls',
    'requestHeadersToAdd',
    'requestHeadersToRemove',
    'responseHeadersToAdd',
    'responseHeadersToRemove',
    'typedPerFilterConfig',
    'retryPolicy',
    'includeRequestAttemptCount',
  ],
  noEffect: ['metadata'],
});
const ROUTE = fieldTable<Route__Output>('envoy.config.route.v3.Route', {
  implemented: [
    'name',
    'match',
    'route',
    'redirect',
    'directResponse',
    'typedPerFilterConfig',
    'requestHeadersToAdd',
    'requestHeadersToRemove',
    'responseHeadersToAdd',
    'responseHeadersToRemove',
  ],
  // Metadata, the tracing span's name and sampling, stat names: telemetry only.
  noEffect: ['metadata', 'decorator', 'tracing', 'statPrefix'],
});
const ROUTE_MATCH = fieldTable<RouteMatch__Output>('envoy.config.route.v3.RouteMatch', {
  implemented: ['prefix', 'path', 'safeRegex', 'pathSeparatedPrefix', 'caseSensitive', 'runtimeFraction', 'headers', 'queryParameters', 'grpc', 'dynamicMetadata'],
});
const ROUTE_ACTION = fieldTable<RouteAction__Output>('envoy.config.route.v3.RouteAction', {
  implemented: [
    'upgradeConfigs',
    'maxStreamDuration',
    // The deprecated spellings of maxStreamDuration's grpc_timeout_header_max / _offset (Istio still sends maxGrpcTimeout).
    'maxGrpcTimeout',
    'grpcTimeoutOffset',
    'cluster',
    'clusterHeader',
    'weightedClusters',
    'clusterNotFoundResponseCode',
    'prefixRewrite',
    'regexRewrite',
    'hostRewriteLiteral',
    'autoHostRewrite',
    'hostRewriteHeader',
    'appendXForwardedHost',
    'timeout',
    'retryPolicy',
    'requestMirrorPolicies',
    'hashPolicy',
  ],
});
const ROUTE_UPGRADE = fieldTable<RouteUpgradeConfig__Output>('envoy.config.route.v3.RouteAction.UpgradeConfig', {
  // Not connectConfig: CONNECT is not supported.
  implemented: ['upgradeType', 'enabled'],
});
type MaxStreamDuration__Output = NonNullable<RouteAction__Output['maxStreamDuration']>;
const MAX_STREAM_DURATION = fieldTable<MaxStreamDuration__Output>('envoy.config.route.v3.RouteAction.MaxStreamDuration', {
  // Not maxStreamDuration itself (a cap on the whole stream): not implemented.
  implemented: ['grpcTimeoutHeaderMax', 'grpcTimeoutHeaderOffset'],
});
const WEIGHTED_CLUSTER = fieldTable<WeightedCluster__Output>('envoy.config.route.v3.WeightedCluster', {
  implemented: ['clusters', 'totalWeight'],
  // No runtime layer: Envoy with nothing under the keys uses the configured weights.
  noEffect: ['runtimeKeyPrefix'],
});
const CLUSTER_WEIGHT = fieldTable<WeightedClusterEntry__Output>('envoy.config.route.v3.WeightedCluster.ClusterWeight', {
  implemented: ['name', 'weight', 'requestHeadersToAdd', 'requestHeadersToRemove', 'responseHeadersToAdd', 'responseHeadersToRemove', 'hostRewriteLiteral'],
});
const RETRY_POLICY = fieldTable<RetryPolicy__Output>('envoy.config.route.v3.RetryPolicy', {
  implemented: ['retryOn', 'numRetries', 'perTryTimeout', 'retryHostPredicate', 'hostSelectionRetryMaxAttempts', 'retriableStatusCodes', 'retryBackOff'],
});
const RETRY_BACKOFF = fieldTable<RetryBackOff__Output>('envoy.config.route.v3.RetryPolicy.RetryBackOff', { implemented: ['baseInterval', 'maxInterval'] });
const RETRY_HOST_PREDICATE = fieldTable<RetryHostPredicate__Output>('envoy.config.route.v3.RetryPolicy.RetryHostPredicate', { implemented: ['name', 'typedConfig'] });
const HASH_POLICY = fieldTable<HashPolicyMessage>('envoy.config.route.v3.RouteAction.HashPolicy', {
  implemented: ['header', 'cookie', 'connectionProperties', 'queryParameter', 'terminal'],
});
const HASH_HEADER = fieldTable<HashPolicyHeader__Output>('envoy.config.route.v3.RouteAction.HashPolicy.Header', { implemented: ['headerName'] });
const HASH_COOKIE = fieldTable<HashPolicyCookie__Output>('envoy.config.route.v3.RouteAction.HashPolicy.Cookie', {
  // With a ttl the proxy generates the cookie when the request has none and sets it on the response (path included).
  implemented: ['name', 'ttl', 'path'],
});
const HASH_CONNECTION = fieldTable<HashPolicyConnectionProperties__Output>('envoy.config.route.v3.RouteAction.HashPolicy.ConnectionProperties', {
  implemented: ['sourceIp'],
});
const HASH_QUERY = fieldTable<HashPolicyQueryParameter__Output>('envoy.config.route.v3.RouteAction.HashPolicy.QueryParameter', { implemented: ['name'] });
const MIRROR_POLICY = fieldTable<RequestMirrorPolicy__Output>('envoy.config.route.v3.RouteAction.RequestMirrorPolicy', {
  implemented: ['cluster', 'runtimeFraction'],
  // Tracing only.
  noEffect: ['traceSampled'],
});
const REDIRECT_ACTION = fieldTable<RedirectAction__Output>('envoy.config.route.v3.RedirectAction', {
  implemented: ['httpsRedirect', 'schemeRedirect', 'hostRedirect', 'portRedirect', 'pathRedirect', 'prefixRewrite', 'regexRewrite', 'responseCode', 'stripQuery'],
});
const DIRECT_RESPONSE = fieldTable<DirectResponseAction__Output>('envoy.config.route.v3.DirectResponseAction', { implemented: ['status', 'body'] });
const REGEX_REWRITE = fieldTable<RegexMatchAndSubstitute__Output>('envoy.type.matcher.v3.RegexMatchAndSubstitute', { implemented: ['pattern', 'substitution'] });

const PREVIOUS_HOSTS = 'envoy.retry_host_predicates.previous_hosts';
const PREVIOUS_HOSTS_TYPE = 'envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate';

/** A regex_rewrite's pattern (searched, every match replaced) and its substitution. */
function regexRewrite(r: RegexMatchAndSubstitute__Output, path: string): { regex: RegExp; substitution: string } {
  checkFields(r, REGEX_REWRITE, path);
  checkRegexMatcher(r.pattern, `${path}.pattern`);
  return { regex: compileSearch(r.pattern?.regex ?? '', `${path}.pattern.regex`), substitution: translateSubstitution(r.substitution ?? '') };
}

/** The route-level fault config (typed_per_filter_config); the CORS policy is read by perFilterCors. */
function perFilterFault(perFilter: Record<string, object> | undefined, path: string): FaultConfig | undefined {
  let fault: FaultConfig | undefined;
  for (const [key, any] of Object.entries(perFilter ?? {})) {
    const p = `${path}.typedPerFilterConfig["${key}"]`;
    if (key === CORS_FILTER) continue;
    if (key !== FAULT_FILTER) invalid(p, `per-route config for filter ${key} is not supported by this proxy`);
    const config = unpackAs(any, 'envoy.extensions.filters.http.fault.v3.HTTPFault');
    if (!config) invalid(p, `expected an envoy.extensions.filters.http.fault.v3.HTTPFault, got ${anyTypeName(any) || JSON.stringify(any)}`);
    const f = new FaultConfig(config, p);
    fault = f.active ? f : undefined;
  }
  return fault;
}

/** The CORS policy of a route or virtual host (typed_per_filter_config["envoy.filters.http.cors"]). */
function perFilterCors(perFilter: Record<string, object> | undefined, path: string): CorsPolicyConfig | undefined {
  const any = perFilter?.[CORS_FILTER];
  if (any === undefined) return undefined;
  const p = `${path}.typedPerFilterConfig["${CORS_FILTER}"]`;
  const config = unpackAs(any, CORS_POLICY_TYPE);
  if (!config) invalid(p, `expected an ${CORS_POLICY_TYPE}, got ${anyTypeName(any) || JSON.stringify(any)}`);
  return new CorsPolicyConfig(config, p);
}

// ---------------------------------------------------------------------------
// Retry policy

export const RETRY_5XX = 1;
export const RETRY_GATEWAY_ERROR = 2;
export const RETRY_RESET = 4;
export const RETRY_CONNECT_FAILURE = 8;
export const RETRY_RETRIABLE_4XX = 16;
export const RETRY_REFUSED_STREAM = 32;
export const RETRY_RETRIABLE_STATUS_CODES = 64;
export const RETRY_GRPC_CANCELLED = 128;
export const RETRY_GRPC_DEADLINE_EXCEEDED = 256;
export const RETRY_GRPC_INTERNAL = 512;
export const RETRY_GRPC_RESOURCE_EXHAUSTED = 1024;
export const RETRY_GRPC_UNAVAILABLE = 2048;
export const RETRY_RESET_BEFORE_REQUEST = 4096;

const RETRY_ON: Record<string, number> = {
  '5xx': RETRY_5XX,
  'gateway-error': RETRY_GATEWAY_ERROR,
  reset: RETRY_RESET,
  'reset-before-request': RETRY_RESET_BEFORE_REQUEST,
  'connect-failure': RETRY_CONNECT_FAILURE,
  'retriable-4xx': RETRY_RETRIABLE_4XX,
  'refused-stream': RETRY_REFUSED_STREAM,
  'retriable-status-codes': RETRY_RETRIABLE_STATUS_CODES,
  cancelled: RETRY_GRPC_CANCELLED,
  'deadline-exceeded': RETRY_GRPC_DEADLINE_EXCEEDED,
  internal: RETRY_GRPC_INTERNAL,
  'resource-exhausted': RETRY_GRPC_RESOURCE_EXHAUSTED,
  unavailable: RETRY_GRPC_UNAVAILABLE,
};

/** envoy.config.route.v3.RetryPolicy, as decoded. */
export type RetryPolicyConfig = RetryPolicy__Output;

export class RetryPolicy {
  readonly config: RetryPolicy__Output;
  readonly retryOn: number;
  readonly numRetries: number;
  readonly perTryTimeoutMs: number;
  readonly retriableStatusCodes: ReadonlySet<number>;
  /** envoy.retry_host_predicates.previous_hosts: retries avoid hosts already tried. */
  readonly avoidPreviousHosts: boolean;
  readonly hostSelectionMaxAttempts: number;
  readonly baseIntervalMs: number;
  readonly maxIntervalMs: number;

  constructor(config: RetryPolicy__Output, path: string) {
    checkFields(config, RETRY_POLICY, path);
    checkFields(config.retryBackOff, RETRY_BACKOFF, `${path}.retryBackOff`);
    this.config = config;
    let on = 0;
    for (const token of (config.retryOn ?? '').split(',')) {
      const t = token.trim();
      if (t) on |= RETRY_ON[t] ?? 0; // Envoy ignores retry conditions it does not know.
    }
    this.retryOn = on;
    this.numRetries = wrapped(config.numRetries, 1);
    this.perTryTimeoutMs = durationMs(config.perTryTimeout, `${path}.perTryTimeout`, 0);
    this.retriableStatusCodes = new Set(config.retriableStatusCodes ?? []);
    // Only the previous_hosts predicate exists here; any other would have to be ignored.
    checkEach(config.retryHostPredicate, RETRY_HOST_PREDICATE, `${path}.retryHostPredicate`);
    (config.retryHostPredicate ?? []).forEach((p, i) => {
      const type = anyTypeName(p.typedConfig);
      if (type ? type !== PREVIOUS_HOSTS_TYPE : p.name !== PREVIOUS_HOSTS) {
        invalid(`${path}.retryHostPredicate[${i}]`, `retry host predicate ${type || p.name} is not supported; only ${PREVIOUS_HOSTS}`);
      }
    });
    this.avoidPreviousHosts = (config.retryHostPredicate ?? []).length > 0;
    this.hostSelectionMaxAttempts = Math.max(1, Number(config.hostSelectionRetryMaxAttempts ?? 1));
    this.baseIntervalMs = durationMs(config.retryBackOff?.baseInterval, `${path}.retryBackOff.baseInterval`, 25);
    this.maxIntervalMs = durationMs(config.retryBackOff?.maxInterval, `${path}.retryBackOff.maxInterval`, this.baseIntervalMs * 10);
    if (this.baseIntervalMs <= 0) invalid(`${path}.retryBackOff.baseInterval`, 'must be greater than zero');
  }

  /**
   * The policy an internal request asks for with x-envoy-retry-on / x-envoy-retry-grpc-on /
   * x-envoy-max-retries (Envoy: the header's conditions are added to the route's; the count is the
   * header's, else the route's, else 1). Undefined when the headers add nothing usable.
   */
  static fromHeaders(route: RetryPolicy | undefined, retryOn: unknown, grpcOn: unknown, maxRetries: unknown): RetryPolicy | undefined {
    const extra = [retryOn, grpcOn].filter((v): v is string => typeof v === 'string' && v !== '').join(',');
    const max = typeof maxRetries === 'string' && /^\d{1,4}$/.test(maxRetries) ? Number(maxRetries) : undefined;
    if (extra === '' && max === undefined) return route;
    const base = route?.config ?? {};
    const on = [base.retryOn ?? '', extra].filter(Boolean).join(',');
    if (on === '') return route;
    try {
      return new RetryPolicy({ ...base, retryOn: on, numRetries: { value: max ?? wrapped(base.numRetries, 1) } }, 'x-envoy-retry-on');
    } catch {
      return route;
    }
  }

  /** Whether an upstream response with this status (and grpc-status, if any) may be retried. */
  retriableStatus(status: number, grpcStatus: string | undefined): boolean {
    const on = this.retryOn;
    if (on & RETRY_5XX && status >= 500) return true;
    if (on & RETRY_GATEWAY_ERROR && (status === 502 || status === 503 || status === 504)) return true;
    if (on & RETRY_RETRIABLE_4XX && status === 409) return true;
    if (on & RETRY_RETRIABLE_STATUS_CODES && this.retriableStatusCodes.has(status)) return true;
    if (grpcStatus !== undefined) {
      if (on & RETRY_GRPC_CANCELLED && grpcStatus === '1') return true;
      if (on & RETRY_GRPC_DEADLINE_EXCEEDED && grpcStatus === '4') return true;
      if (on & RETRY_GRPC_RESOURCE_EXHAUSTED && grpcStatus === '8') return true;
      if (on & RETRY_GRPC_INTERNAL && grpcStatus === '13') return true;
      if (on & RETRY_GRPC_UNAVAILABLE && grpcStatus === '14') return true;
    }
    return false;
  }

  /**
   * Whether a failure without a response may be retried: connect failure, reset, an HTTP/2 stream the
   * upstream refused (RST_STREAM REFUSED_STREAM, or above a GOAWAY's last stream) or per-try timeout.
   */
  retriableFailure(kind: 'connect' | 'reset' | 'refused' | 'timeout'): boolean {
    const on = this.retryOn;
    if (kind === 'connect') return (on & (RETRY_CONNECT_FAILURE | RETRY_5XX | RETRY_GATEWAY_ERROR | RETRY_RESET | RETRY_RESET_BEFORE_REQUEST)) !== 0;
    if (kind === 'refused') return (on & (RETRY_REFUSED_STREAM | RETRY_RESET | RETRY_5XX | RETRY_GATEWAY_ERROR)) !== 0;
    if (kind === 'reset') return (on & (RETRY_RESET | RETRY_5XX | RETRY_GATEWAY_ERROR)) !== 0;
    return (on & (RETRY_5XX | RETRY_GATEWAY_ERROR)) !== 0;
  }

  /** Fully jittered exponential back-off, as Envoy does: random in [0, base * 2^(n-1)], capped. */
  backoffMs(retry: number, random: () => number): number {
    const ceiling = Math.min(this.maxIntervalMs, this.baseIntervalMs * 2 ** (retry - 1));
    return Math.floor(random() * ceiling);
  }
}

// ---------------------------------------------------------------------------
// Actions

export interface WeightedTarget {
  readonly name: string;
  readonly weight: number;
  readonly requestMutation: HeaderMutation | undefined;
  readonly responseMutation: HeaderMutation | undefined;
  readonly hostRewriteLiteral: string | undefined;
}

export interface HashPolicy {
  readonly header?: string;
  readonly cookie?: string;
  /** Generate the cookie when the request has none, with this Max-Age in seconds (0: a session cookie); undefined: never. */
  readonly cookieTtlSeconds?: number;
  readonly cookiePath?: string;
  readonly sourceIp?: boolean;
  readonly queryParameter?: string;
  readonly terminal: boolean;
}

export class ForwardAction {
  readonly kind = 'route' as const;
  /** A single target cluster (cluster or cluster_header resolution happens per request). */
  readonly cluster: string | undefined;
  readonly clusterHeader: string | undefined;
  readonly weighted: WeightedTarget[] | undefined;
  readonly totalWeight: number;
  readonly prefixRewrite: string | undefined;
  readonly regexRewrite: RegExp | undefined;
  readonly regexSubstitution: string;
  readonly hostRewriteLiteral: string | undefined;
  readonly autoHostRewrite: boolean;
  readonly hostRewriteHeader: string | undefined;
  readonly appendXForwardedHost: boolean;
  /** 0 disables the timeout. */
  readonly timeoutMs: number;
  readonly retry: RetryPolicy | undefined;
  readonly hashPolicies: HashPolicy[];
  readonly clusterNotFoundStatus: number;
  /** upgrade_configs: upgrade type (lower case) → enabled, overriding the connection manager's for this route. */
  readonly upgrades: ReadonlyMap<string, boolean>;
  /** grpc_timeout_header_max: undefined (the grpc-timeout header is ignored), 0 (honoured, uncapped) or a cap in ms. */
  readonly grpcTimeoutHeaderMaxMs: number | undefined;
  /** grpc_timeout_header_offset, subtracted from a grpc-timeout larger than it. */
  readonly grpcTimeoutHeaderOffsetMs: number;
  /** request_mirror_policies: shadow copies sent to these clusters with this probability. */
  readonly mirrors: Array<{ cluster: string; fraction: number }>;
  readonly random: () => number;

  constructor(config: RouteAction__Output, vhostRetry: RetryPolicy__Output | undefined, path: string, options: CompileOptions) {
    checkFields(config, ROUTE_ACTION, path);
    this.random = options.random ?? Math.random;
    this.cluster = config.cluster || undefined;
    this.clusterHeader = config.clusterHeader ? String(config.clusterHeader).toLowerCase() : undefined;
    this.weighted = undefined;
    this.totalWeight = 0;
    if (config.weightedClusters) {
      const wc: WeightedCluster__Output = config.weightedClusters;
      checkFields(wc, WEIGHTED_CLUSTER, `${path}.weightedClusters`);
      const clusters = wc.clusters ?? [];
      if (clusters.length === 0) invalid(`${path}.weightedClusters.clusters`, 'needs at least one cluster');
      this.weighted = clusters.map((c, i) => {
        const p = `${path}.weightedClusters.clusters[${i}]`;
        checkFields(c, CLUSTER_WEIGHT, p);
        if (!c.name) invalid(`${p}.name`, 'a weighted cluster needs a name');
        const weight = wrapped(c.weight, 0);
        if (!(weight >= 0)) invalid(`${p}.weight`, 'must be a non-negative integer');
        const req = new HeaderMutation(c.requestHeadersToAdd, c.requestHeadersToRemove, `${p}.requestHeadersToAdd`);
        const res = new HeaderMutation(c.responseHeadersToAdd, c.responseHeadersToRemove, `${p}.responseHeadersToAdd`);
        return {
          name: c.name,
          weight,
          requestMutation: req.empty ? undefined : req,
          responseMutation: res.empty ? undefined : res,
          hostRewriteLiteral: c.hostRewriteLiteral || undefined,
        };
      });
      this.totalWeight = this.weighted.reduce((s, c) => s + c.weight, 0);
      if (this.totalWeight <= 0) invalid(`${path}.weightedClusters`, 'the sum of weights must be greater than zero');
      const declared = wrapped(wc.totalWeight, 0);
      if (declared !== 0 && declared !== this.totalWeight) invalid(`${path}.weightedClusters.totalWeight`, `is ${declared} but the weights add up to ${this.totalWeight}`);
    }
    if (!this.cluster && !this.clusterHeader && !this.weighted) {
      invalid(path, 'a route action needs cluster, clusterHeader or weightedClusters');
    }
    this.prefixRewrite = config.prefixRewrite !== undefined && config.prefixRewrite !== '' ? config.prefixRewrite : undefined;
    this.regexRewrite = undefined;
    this.regexSubstitution = '';
    if (config.regexRewrite) {
      if (this.prefixRewrite !== undefined) invalid(path, 'only one of prefixRewrite and regexRewrite may be set');
      const r = regexRewrite(config.regexRewrite, `${path}.regexRewrite`);
      this.regexRewrite = r.regex;
      this.regexSubstitution = r.substitution;
    }
    this.hostRewriteLiteral = config.hostRewriteLiteral || undefined;
    this.autoHostRewrite = wrapped(config.autoHostRewrite, false);
    this.hostRewriteHeader = config.hostRewriteHeader ? String(config.hostRewriteHeader).toLowerCase() : undefined;
    this.appendXForwardedHost = config.appendXForwardedHost === true;
    this.timeoutMs = durationMs(config.timeout, `${path}.timeout`, 15_000);
    const retry = config.retryPolicy ?? vhostRetry;
    this.retry = retry ? new RetryPolicy(retry, config.retryPolicy ? `${path}.retryPolicy` : 'virtualHost.retryPolicy') : undefined;
    this.hashPolicies = (config.hashPolicy ?? []).map((h, i) => hashPolicy(h, `${path}.hashPolicy[${i}]`, options.unimplemented));
    const nf = config.clusterNotFoundResponseCode ?? 'SERVICE_UNAVAILABLE';
    this.clusterNotFoundStatus = nf === 'NOT_FOUND' ? 404 : nf === 'INTERNAL_SERVER_ERROR' ? 500 : 503;
    this.mirrors = (config.requestMirrorPolicies ?? []).map((m, i) => {
      const p = `${path}.requestMirrorPolicies[${i}]`;
      checkFields(m, MIRROR_POLICY, p);
      checkFields(m.runtimeFraction, RUNTIME_FRACTIONAL_PERCENT, `${p}.runtimeFraction`);
      if (!m.cluster) invalid(`${p}.cluster`, 'a mirror policy needs a cluster (cluster_header is not supported)');
      return { cluster: m.cluster, fraction: m.runtimeFraction ? fractionalPercent(m.runtimeFraction.defaultValue, `${p}.runtimeFraction.defaultValue`, 1) : 1 };
    });
    const upgrades = new Map<string, boolean>();
    (config.upgradeConfigs ?? []).forEach((u, i) => {
      const p = `${path}.upgradeConfigs[${i}]`;
      checkFields(u, ROUTE_UPGRADE, p);
      if (!u.upgradeType) invalid(`${p}.upgradeType`, 'must name an upgrade (e.g. websocket)');
      const type = u.upgradeType.toLowerCase();
      if (type === 'connect') invalid(`${p}.upgradeType`, 'CONNECT is not supported by this proxy');
      upgrades.set(type, wrapped(u.enabled, true));
    });
    this.upgrades = upgrades;
    const msd = config.maxStreamDuration;
    checkFields(msd, MAX_STREAM_DURATION, `${path}.maxStreamDuration`);
    if (msd?.grpcTimeoutHeaderMax) {
      this.grpcTimeoutHeaderMaxMs = durationMs(msd.grpcTimeoutHeaderMax, `${path}.maxStreamDuration.grpcTimeoutHeaderMax`, 0);
      this.grpcTimeoutHeaderOffsetMs = durationMs(msd.grpcTimeoutHeaderOffset, `${path}.maxStreamDuration.grpcTimeoutHeaderOffset`, 0);
    } else if (config.maxGrpcTimeout) {
      this.grpcTimeoutHeaderMaxMs = durationMs(config.maxGrpcTimeout, `${path}.maxGrpcTimeout`, 0);
      this.grpcTimeoutHeaderOffsetMs = durationMs(config.grpcTimeoutOffset, `${path}.grpcTimeoutOffset`, 0);
    } else {
      this.grpcTimeoutHeaderMaxMs = undefined;
      this.grpcTimeoutHeaderOffsetMs = 0;
    }
  }

  /** The weighted target for this request (a random pick by weight), or undefined for a single cluster. */
  pickWeighted(): WeightedTarget | undefined {
    const w = this.weighted;
    if (w === undefined) return undefined;
    let r = Math.floor(this.random() * this.totalWeight);
    for (let i = 0; i < w.length; i++) {
      r -= w[i].weight;
      if (r < 0) return w[i];
    }
    return w[w.length - 1];
  }
}

const REDIRECT_CODES: Record<string, number> = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};

export class RedirectAction {
  readonly kind = 'redirect' as const;
  readonly scheme: string | undefined;
  readonly host: string | undefined;
  readonly port: number;
  readonly pathRedirect: string | undefined;
  readonly prefixRewrite: string | undefined;
  readonly regexRewrite: RegExp | undefined;
  readonly regexSubstitution: string;
  readonly stripQuery: boolean;
  readonly status: number;

  constructor(config: RedirectAction__Output, path: string) {
    checkFields(config, REDIRECT_ACTION, path);
    this.scheme = config.httpsRedirect ? 'https' : config.schemeRedirect ? String(config.schemeRedirect).toLowerCase() : undefined;
    this.host = config.hostRedirect || undefined;
    this.port = Number(config.portRedirect ?? 0);
    this.pathRedirect = config.pathRedirect || undefined;
    this.prefixRewrite = config.prefixRewrite !== undefined ? config.prefixRewrite : undefined;
    const r = config.regexRewrite ? regexRewrite(config.regexRewrite, `${path}.regexRewrite`) : undefined;
    this.regexRewrite = r?.regex;
    this.regexSubstitution = r?.substitution ?? '';
    this.stripQuery = config.stripQuery === true;
    const code = config.responseCode ?? 'MOVED_PERMANENTLY';
    this.status = REDIRECT_CODES[code] ?? 0;
    if (!this.status) invalid(`${path}.responseCode`, `unknown redirect response code ${code}`);
  }

  /** The Location header for this request; `matchedPrefixLength` is what the route's match consumed. */
  location(req: RequestHead, route: Route): string {
    const scheme = this.scheme ?? req.scheme;
    let host = this.host ?? req.authority;
    const port = this.port;
    if (port) host = `${stripPort(host)}:${port}`;
    else if (this.host === undefined && this.scheme !== undefined && this.scheme !== req.scheme) host = stripPort(host);
    // Default ports are implied by the scheme.
    if ((scheme === 'http' && host.endsWith(':80')) || (scheme === 'https' && host.endsWith(':443'))) host = stripPort(host);
    const q = req.path.indexOf('?');
    const pathOnly = q < 0 ? req.path : req.path.slice(0, q);
    let query = q < 0 ? '' : req.path.slice(q);
    let newPath = pathOnly;
    if (this.pathRedirect !== undefined) {
      const pq = this.pathRedirect.indexOf('?');
      if (pq >= 0) {
        newPath = this.pathRedirect.slice(0, pq);
        query = this.pathRedirect.slice(pq);
      } else newPath = this.pathRedirect;
    } else if (this.prefixRewrite !== undefined) {
      newPath = route.rewritePrefix(pathOnly, this.prefixRewrite);
    } else if (this.regexRewrite !== undefined) {
      this.regexRewrite.lastIndex = 0;
      newPath = pathOnly.replace(this.regexRewrite, this.regexSubstitution);
    }
    if (this.stripQuery || query === '?') query = '';
    return `${scheme}://${host}${newPath}${query}`;
  }
}

export class DirectResponse {
  readonly kind = 'direct' as const;
  readonly status: number;
  readonly body: Buffer | undefined;

  constructor(config: DirectResponseAction__Output, path: string) {
    checkFields(config, DIRECT_RESPONSE, path);
    checkFields(config.body, DATA_SOURCE, `${path}.body`);
    this.status = Number(config.status);
    if (!(this.status >= 200 && this.status < 600)) invalid(`${path}.status`, `must be in [200, 600), got ${config.status}`);
    this.body = dataSourceBytes(config.body, `${path}.body`);
  }
}

export type Action = ForwardAction | RedirectAction | DirectResponse;

// ---------------------------------------------------------------------------
// Routes

/**
 * What route selection reads of a request: its head and, for
 * RouteMatch.dynamic_metadata, the dynamic metadata the filters before the
 * router wrote (jwt_authn's verified payloads, RBAC shadow results), by
 * filter namespace. Route selection runs after those filters.
 */
export interface RouteRequest extends RequestHead {
  readonly dynamicMetadata?: Readonly<Record<string, Record<string, unknown>>> | undefined;
}

type MetadataPredicate = (lookup: MetadataLookup) => boolean;

const M_PREFIX = 0;
const M_PATH = 1;
const M_REGEX = 2;
const M_SEPARATED_PREFIX = 3;

export class Route {
  readonly name: string;
  readonly matchKind: number;
  /** prefix / path value (lower-cased when case-insensitive). */
  readonly matchValue: string;
  readonly matchRegex: RegExp | undefined;
  readonly caseSensitive: boolean;
  readonly headers: HeaderMatcher[];
  readonly queryParameters: QueryParameterMatcher[];
  /** RouteMatch.dynamic_metadata: every matcher must hold (Envoy: AND). */
  readonly dynamicMetadata: MetadataPredicate[];
  readonly grpcOnly: boolean;
  readonly runtimeFraction: number;
  readonly action: Action;
  readonly requestMutation: HeaderMutation | undefined;
  readonly responseMutation: HeaderMutation | undefined;
  readonly fault: FaultConfig | undefined;
  /** The route's own CORS policy (else its virtual host's applies). */
  readonly cors: CorsPolicyConfig | undefined;
  readonly random: () => number;

  constructor(config: Route__Output, vhostRetry: RetryPolicy__Output | undefined, vhostFault: FaultConfig | undefined, path: string, options: CompileOptions) {
    checkFields(config, ROUTE, path);
    this.name = config.name ?? '';
    this.random = options.random ?? Math.random;
    const m = config.match;
    if (!m || typeof m !== 'object') invalid(`${path}.match`, 'a route needs a match');
    checkFields(m, ROUTE_MATCH, `${path}.match`);
    checkFields(m.runtimeFraction, RUNTIME_FRACTIONAL_PERCENT, `${path}.match.runtimeFraction`);
    this.caseSensitive = wrapped(m.caseSensitive, true);
    this.matchRegex = undefined;
    if (m.prefix !== undefined) {
      this.matchKind = M_PREFIX;
      this.matchValue = m.prefix;
    } else if (m.path !== undefined) {
      this.matchKind = M_PATH;
      this.matchValue = m.path;
    } else if (m.safeRegex !== undefined) {
      this.matchKind = M_REGEX;
      this.matchValue = m.safeRegex.regex ?? '';
      this.matchRegex = compileRegexMatcher(m.safeRegex, `${path}.match.safeRegex`);
    } else if (m.pathSeparatedPrefix !== undefined) {
      this.matchKind = M_SEPARATED_PREFIX;
      this.matchValue = m.pathSeparatedPrefix;
      if (this.matchValue.endsWith('/') || this.matchValue.includes('?') || this.matchValue.includes('#')) {
        invalid(`${path}.match.pathSeparatedPrefix`, 'must not end with / or contain ? or #');
      }
    } else {
      // prefix: '' is dropped from the plain object as a default; it means "match everything".
      this.matchKind = M_PREFIX;
      this.matchValue = '';
    }
    if (!this.caseSensitive) this.matchValue = this.matchValue.toLowerCase();
    this.headers = (m.headers ?? []).map((h, i) => new HeaderMatcher(h, `${path}.match.headers[${i}]`));
    this.queryParameters = (m.queryParameters ?? []).map((q, i) => new QueryParameterMatcher(q, `${path}.match.queryParameters[${i}]`));
    this.dynamicMetadata = (m.dynamicMetadata ?? []).map((d, i) => compileMetadataMatcher(d, `${path}.match.dynamicMetadata[${i}]`));
    this.grpcOnly = m.grpc !== undefined;
    this.runtimeFraction = m.runtimeFraction ? fractionalPercent(m.runtimeFraction.defaultValue, `${path}.match.runtimeFraction.defaultValue`, 1) : 1;

    if (config.route) this.action = new ForwardAction(config.route, vhostRetry, `${path}.route`, options);
    else if (config.redirect) this.action = new RedirectAction(config.redirect, `${path}.redirect`);
    else if (config.directResponse) this.action = new DirectResponse(config.directResponse, `${path}.directResponse`);
    else invalid(path, 'a route needs one of route, redirect or directResponse');

    const req = new HeaderMutation(config.requestHeadersToAdd, config.requestHeadersToRemove, `${path}.requestHeadersToAdd`);
    const res = new HeaderMutation(config.responseHeadersToAdd, config.responseHeadersToRemove, `${path}.responseHeadersToAdd`);
    this.requestMutation = req.empty ? undefined : req;
    this.responseMutation = res.empty ? undefined : res;
    const routeFault = perFilterFault(config.typedPerFilterConfig, path);
    // A route's own fault config (even an inactive one) replaces its virtual host's.
    this.fault = config.typedPerFilterConfig?.[FAULT_FILTER] !== undefined ? routeFault : vhostFault;
    this.cors = perFilterCors(config.typedPerFilterConfig, path);
  }

  /** Whether the route's match holds. `pathOnly` is :path without the query; `query` is parsed on demand by the caller. */
  matches(req: RouteRequest, pathOnly: string, query: Map<string, string> | undefined): boolean {
    switch (this.matchKind) {
      case M_PREFIX: {
        const v = this.matchValue;
        if (v.length > 0) {
          const p = req.path;
          if (this.caseSensitive ? !p.startsWith(v) : p.slice(0, v.length).toLowerCase() !== v) return false;
        }
        break;
      }
      case M_PATH:
        if (this.caseSensitive ? pathOnly !== this.matchValue : pathOnly.toLowerCase() !== this.matchValue) return false;
        break;
      case M_REGEX:
        if (!this.matchRegex!.test(pathOnly)) return false;
        break;
      default: {
        const v = this.matchValue;
        const p = this.caseSensitive ? pathOnly : pathOnly.toLowerCase();
        if (!p.startsWith(v) || (p.length > v.length && p.charCodeAt(v.length) !== 47)) return false;
      }
    }
    const headers = this.headers;
    for (let i = 0; i < headers.length; i++) if (!headers[i].matches(req)) return false;
    const qs = this.queryParameters;
    for (let i = 0; i < qs.length; i++) if (!qs[i].matches(query!)) return false;
    const md = this.dynamicMetadata;
    if (md.length > 0) {
      // No filter wrote any metadata: every matcher reads "absent" (an inverted one then holds).
      const all = req.dynamicMetadata;
      const lookup: MetadataLookup = (filter) => all?.[filter];
      for (let i = 0; i < md.length; i++) if (!md[i](lookup)) return false;
    }
    if (this.grpcOnly) {
      const ct = req.headers['content-type'];
      if (typeof ct !== 'string' || !ct.startsWith('application/grpc')) return false;
    }
    if (this.runtimeFraction < 1 && this.random() >= this.runtimeFraction) return false;
    return true;
  }

  /** Replaces what this route's match consumed with `replacement` (prefix_rewrite). */
  rewritePrefix(pathOnly: string, replacement: string): string {
    if (this.matchKind === M_PREFIX || this.matchKind === M_SEPARATED_PREFIX) return replacement + pathOnly.slice(this.matchValue.length);
    return replacement;
  }
}

function hashPolicy(h: HashPolicyMessage, path: string, unimplemented: string[] | undefined): HashPolicy {
  checkFields(h, HASH_POLICY, path);
  checkFields(h.header, HASH_HEADER, `${path}.header`);
  checkFields(h.cookie, HASH_COOKIE, `${path}.cookie`, unimplemented);
  checkFields(h.connectionProperties, HASH_CONNECTION, `${path}.connectionProperties`);
  checkFields(h.queryParameter, HASH_QUERY, `${path}.queryParameter`);
  return {
    header: h.header?.headerName?.toLowerCase(),
    cookie: h.cookie?.name,
    cookieTtlSeconds: h.cookie?.ttl ? Math.floor(durationMs(h.cookie.ttl, `${path}.cookie.ttl`, 0) / 1000) : undefined,
    cookiePath: h.cookie?.path || undefined,
    sourceIp: h.connectionProperties?.sourceIp === true,
    queryParameter: h.queryParameter?.name,
    terminal: h.terminal === true,
  };
}

// ---------------------------------------------------------------------------
// Virtual hosts and the table

export class VirtualHost {
  readonly name: string;
  readonly domains: string[];
  readonly routes: Route[];
  readonly needsQuery: boolean;
  readonly requestMutation: HeaderMutation | undefined;
  readonly responseMutation: HeaderMutation | undefined;
  /** EXTERNAL_ONLY / ALL: plaintext requests are redirected to https. */
  readonly requireTls: boolean;
  /** Every upstream attempt carries x-envoy-attempt-count (1, then 2 on the first retry, ...). */
  readonly includeRequestAttemptCount: boolean;
  /** The virtual host's CORS policy, for routes without their own. */
  readonly cors: CorsPolicyConfig | undefined;

  constructor(config: VirtualHost__Output, path: string, options: CompileOptions) {
    checkFields(config, VIRTUAL_HOST, path);
    this.name = config.name ?? '';
    const domains: unknown[] = config.domains ?? [];
    if (domains.length === 0) invalid(`${path}.domains`, 'a virtual host needs at least one domain');
    this.domains = domains.map((d, i) => {
      if (typeof d !== 'string' || d === '') invalid(`${path}.domains[${i}]`, 'must be a non-empty string');
      return d.toLowerCase();
    });
    const vhostFault = perFilterFault(config.typedPerFilterConfig, path);
    // The virtual host's retry policy is checked once here, and again wherever a route without its own uses it.
    if (config.retryPolicy) new RetryPolicy(config.retryPolicy, `${path}.retryPolicy`);
    this.routes = (config.routes ?? []).map((r, i) => new Route(r, config.retryPolicy, vhostFault, `${path}.routes[${i}]`, options));
    this.needsQuery = this.routes.some((r) => r.queryParameters.length > 0);
    const req = new HeaderMutation(config.requestHeadersToAdd, config.requestHeadersToRemove, `${path}.requestHeadersToAdd`);
    const res = new HeaderMutation(config.responseHeadersToAdd, config.responseHeadersToRemove, `${path}.responseHeadersToAdd`);
    this.requestMutation = req.empty ? undefined : req;
    this.responseMutation = res.empty ? undefined : res;
    this.requireTls = config.requireTls === 'ALL' || config.requireTls === 'EXTERNAL_ONLY';
    this.includeRequestAttemptCount = config.includeRequestAttemptCount === true;
    this.cors = perFilterCors(config.typedPerFilterConfig, path);
  }

  route(req: RouteRequest): Route | undefined {
    const path = req.path;
    const q = path.indexOf('?');
    const pathOnly = q < 0 ? path : path.slice(0, q);
    const query = this.needsQuery ? parseQuery(path) : undefined;
    const routes = this.routes;
    for (let i = 0; i < routes.length; i++) if (routes[i].matches(req, pathOnly, query)) return routes[i];
    return undefined;
  }
}

export function stripPort(authority: string): string {
  if (authority.charCodeAt(0) === 91 /* [ */) {
    const end = authority.indexOf(']');
    return end < 0 ? authority : authority.slice(0, end + 1);
  }
  const colon = authority.lastIndexOf(':');
  return colon < 0 ? authority : authority.slice(0, colon);
}

const CACHE_LIMIT = 1024;

export class RouteTable {
  readonly name: string;
  /** Fields accepted without being implemented because our pilot sends them (supported-fields.ts `gaps`), as field paths. */
  readonly unimplemented: readonly string[];
  readonly virtualHosts: VirtualHost[];
  readonly requestMutation: HeaderMutation | undefined;
  readonly responseMutation: HeaderMutation | undefined;
  readonly ignorePortInHostMatching: boolean;
  readonly #exact = new Map<string, VirtualHost>();
  /** [suffix, vhost] longest suffix first ("*.foo.com" → ".foo.com"). */
  readonly #suffixes: Array<[string, VirtualHost]> = [];
  /** [prefix, vhost] longest prefix first ("foo.*" → "foo."). */
  readonly #prefixes: Array<[string, VirtualHost]> = [];
  readonly #default: VirtualHost | undefined;
  /** Wildcard lookups are memoized per authority; exact ones are a single Map hit anyway. */
  readonly #cache = new Map<string, VirtualHost | null>();

  constructor(config: RouteConfiguration__Output, options: CompileOptions = {}) {
    this.name = config?.name ?? '';
    const path = `RouteConfiguration ${this.name || '(inline)'}`;
    const unimplemented: string[] = [];
    this.unimplemented = unimplemented;
    const opts: CompileOptions = { ...options, unimplemented };
    checkFields(config, ROUTE_CONFIGURATION, path);
    if (wrapped(config?.validateClusters, false)) {
      invalid(`${path}: validateClusters`, 'true is not supported: this proxy cannot reject a route configuration for naming a cluster it does not have (an unknown cluster answers clusterNotFoundResponseCode per request)');
    }
    this.virtualHosts = (config?.virtualHosts ?? []).map((v, i) => new VirtualHost(v, `${path}: virtualHosts[${i}]${v?.name ? ` (${v.name})` : ''}`, opts));
    const req = new HeaderMutation(config?.requestHeadersToAdd, config?.requestHeadersToRemove, `${path}: requestHeadersToAdd`);
    const res = new HeaderMutation(config?.responseHeadersToAdd, config?.responseHeadersToRemove, `${path}: responseHeadersToAdd`);
    this.requestMutation = req.empty ? undefined : req;
    this.responseMutation = res.empty ? undefined : res;
    this.ignorePortInHostMatching = config?.ignorePortInHostMatching === true;
    let defaultHost: VirtualHost | undefined;
    const seen = new Map<string, string>();
    this.virtualHosts.forEach((vh, i) => {
      for (const d of vh.domains) {
        const owner = seen.get(d);
        if (owner !== undefined) invalid(`${path}: virtualHosts[${i}].domains`, `domain "${d}" is already used by virtual host ${owner}; domains must be unique`);
        seen.set(d, vh.name || String(i));
        if (d === '*') defaultHost = vh;
        else if (d.startsWith('*')) this.#suffixes.push([d.slice(1), vh]);
        else if (d.endsWith('*')) this.#prefixes.push([d.slice(0, -1), vh]);
        else this.#exact.set(d, vh);
      }
    });
    this.#default = defaultHost;
    this.#suffixes.sort((a, b) => b[0].length - a[0].length);
    this.#prefixes.sort((a, b) => b[0].length - a[0].length);
  }

  /**
   * The virtual host for a Host/:authority value. Envoy's order: exact,
   * longest *.suffix, longest prefix.*, then "*". A host with a port that
   * matches nothing specific is tried again without the port before "*".
   */
  selectVirtualHost(authority: string): VirtualHost | undefined {
    let host = authority.toLowerCase();
    if (this.ignorePortInHostMatching) host = stripPort(host);
    const exact = this.#exact.get(host);
    if (exact !== undefined) return exact;
    const cached = this.#cache.get(host);
    if (cached !== undefined) return cached ?? this.#default;
    let found = this.#wildcard(host);
    if (found === undefined) {
      const bare = stripPort(host);
      if (bare !== host) found = this.#exact.get(bare) ?? this.#wildcard(bare);
    }
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(host, found ?? null);
    return found ?? this.#default;
  }

  #wildcard(host: string): VirtualHost | undefined {
    for (const [suffix, vh] of this.#suffixes) if (host.length > suffix.length && host.endsWith(suffix)) return vh;
    for (const [prefix, vh] of this.#prefixes) if (host.length > prefix.length && host.startsWith(prefix)) return vh;
    return undefined;
  }

  /** Selects the virtual host and the first matching route. */
  route(req: RouteRequest): { virtualHost: VirtualHost; route: Route } | undefined {
    const vh = this.selectVirtualHost(req.authority);
    if (vh === undefined) return undefined;
    const route = vh.route(req);
    return route === undefined ? undefined : { virtualHost: vh, route };
  }

  /** Every cluster name a route may send to (for config_dump and warm-up checks). */
  clusterNames(): Set<string> {
    const out = new Set<string>();
    for (const vh of this.virtualHosts) {
      for (const r of vh.routes) {
        if (r.action.kind !== 'route') continue;
        if (r.action.cluster) out.add(r.action.cluster);
        for (const w of r.action.weighted ?? []) out.add(w.name);
      }
    }
    return out;
  }
}
