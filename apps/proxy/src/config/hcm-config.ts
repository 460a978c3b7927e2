// envoy.filters.network.http_connection_manager compiled: where routes come
// from (RDS name or inline), the HTTP filter chain, and the connection
// manager's header and timeout behaviour.
import type {
  AccessLog__Output,
  CidrRange__Output,
  FileAccessLog__Output,
  HcmUpgradeConfig__Output,
  Http1ProtocolOptions__Output,
  Http2ProtocolOptions__Output,
  HttpConnectionManager__Output,
  HttpFilter__Output,
  HttpProtocolOptions__Output,
  InternalAddressConfig__Output,
  Rds__Output,
  Router__Output,
  StderrAccessLog__Output,
  StdoutAccessLog__Output,
} from '@mesh/xds';
import { FaultConfig, FAULT_FILTER } from './fault-config.ts';
import { CORS, CORS_FILTER, CORS_TYPE } from './cors-config.ts';
import { compileHttpRbac, HTTP_RBAC_FILTER, HTTP_RBAC_TYPE, type RbacFilterConfig } from './rbac-config.ts';
import { compileJwtAuthn, JWT_AUTHN_FILTER, JWT_AUTHN_TYPE, type JwtAuthnConfig } from './jwt-config.ts';
import { compileHttpExtAuthz, HTTP_EXT_AUTHZ_FILTER, HTTP_EXT_AUTHZ_TYPE, type HttpExtAuthzConfig } from './ext-authz-config.ts';
import { RouteTable, type CompileOptions } from './route-table.ts';
import { anyTypeName, durationMs, invalid, unpackAs, wrapped } from './proto-values.ts';
import { checkConfigSource, checkFields, fieldTable } from './supported-fields.ts';
import type { EscapedSlashesAction, PathNormalizationOptions } from '../http/path-normalization.ts';
import { H2_CAPS, H2_DEFAULTS, type Http2Settings } from '../http/h2-server.ts';
import type { CodecType, H1ServerOptions } from '../http/h1-server.ts';

export const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
export const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_FILTER = 'envoy.filters.http.router';
const ROUTER_TYPE = 'envoy.extensions.filters.http.router.v3.Router';
const FAULT_TYPE = 'envoy.extensions.filters.http.fault.v3.HTTPFault';
const FILE_LOG_TYPE = 'envoy.extensions.access_loggers.file.v3.FileAccessLog';
const STDOUT_LOG_TYPE = 'envoy.extensions.access_loggers.stream.v3.StdoutAccessLog';
const STDERR_LOG_TYPE = 'envoy.extensions.access_loggers.stream.v3.StderrAccessLog';

// What this proxy accepts of an HttpConnectionManager (see supported-fields.ts).
// Not accepted although HcmConfig reads it: requestTimeout, which nothing in
// http/ acts on yet.

const HCM = fieldTable<HttpConnectionManager__Output>(HCM_TYPE, {
  implemented: [
    'codecType',
    'statPrefix',
    'rds',
    'routeConfig',
    'httpFilters',
    'useRemoteAddress',
    'xffNumTrustedHops',
    'internalAddressConfig',
    'skipXffAppend',
    'generateRequestId',
    'preserveExternalRequestId',
    'alwaysSetRequestIdInResponse',
    'serverName',
    'serverHeaderTransformation',
    'stripAnyHostPort',
    'stripMatchingHostPort',
    'commonHttpProtocolOptions',
    'httpProtocolOptions',
    'maxRequestHeadersKb',
    'streamIdleTimeout',
    'requestHeadersTimeout',
    'normalizePath',
    'mergeSlashes',
    'pathWithEscapedSlashesAction',
    'accessLog',
    'http2ProtocolOptions',
    'upgradeConfigs',
    'forwardClientCertDetails',
    'setCurrentClientCertDetails',
  ],
  // Tracing: telemetry only.
  noEffect: ['tracing'],
});
const RDS = fieldTable<Rds__Output>('envoy.extensions.filters.network.http_connection_manager.v3.Rds', { implemented: ['configSource', 'routeConfigName'] });
const HCM_COMMON_HTTP = fieldTable<HttpProtocolOptions__Output>('envoy.config.core.v3.HttpProtocolOptions', {
  implemented: ['idleTimeout', 'maxRequestsPerConnection', 'maxHeadersCount'],
});
const HCM_HTTP1 = fieldTable<Http1ProtocolOptions__Output>('envoy.config.core.v3.Http1ProtocolOptions', { implemented: ['acceptHttp_10', 'defaultHostForHttp_10'] });
const HCM_HTTP2 = fieldTable<Http2ProtocolOptions__Output>('envoy.config.core.v3.Http2ProtocolOptions', {
  implemented: ['maxConcurrentStreams', 'initialStreamWindowSize', 'initialConnectionWindowSize', 'hpackTableSize'],
});
const UPGRADE_CONFIG = fieldTable<HcmUpgradeConfig__Output>('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.UpgradeConfig', {
  // Not `filters`: an upgrade gets the connection manager's own filter chain.
  implemented: ['upgradeType', 'enabled'],
});
const INTERNAL_ADDRESS = fieldTable<InternalAddressConfig__Output>('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.InternalAddressConfig', {
  implemented: ['cidrRanges'],
});
const CIDR_RANGE = fieldTable<CidrRange__Output>('envoy.config.core.v3.CidrRange', { implemented: ['addressPrefix', 'prefixLen'] });
type SetCurrentClientCertDetails = NonNullable<HttpConnectionManager__Output['setCurrentClientCertDetails']>;
const SET_CURRENT_CLIENT_CERT_DETAILS = fieldTable<SetCurrentClientCertDetails>(
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.SetCurrentClientCertDetails',
  { implemented: ['subject', 'cert', 'chain', 'dns', 'uri'] },
);
const FORWARD_CLIENT_CERT_MODES = new Set<string>(['SANITIZE', 'FORWARD_ONLY', 'APPEND_FORWARD', 'SANITIZE_SET', 'ALWAYS_FORWARD_ONLY']);

/** Envoy's forward_client_cert_details: what happens to x-forwarded-client-cert (http/xfcc.ts). */
export type ForwardClientCertMode = 'SANITIZE' | 'FORWARD_ONLY' | 'APPEND_FORWARD' | 'SANITIZE_SET' | 'ALWAYS_FORWARD_ONLY';

/** Envoy's set_current_client_cert_details: which fields of the client certificate APPEND_FORWARD / SANITIZE_SET add. */
export interface ClientCertDetails {
  readonly subject: boolean;
  readonly cert: boolean;
  readonly chain: boolean;
  readonly dns: boolean;
  readonly uri: boolean;
}
const HTTP_FILTER = fieldTable<HttpFilter__Output>('envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter', {
  implemented: ['name', 'typedConfig', 'isOptional', 'disabled'],
});
const ROUTER = fieldTable<Router__Output>('envoy.extensions.filters.http.router.v3.Router', {
  implemented: [],
  // Stats, tracing spans and upstream access logs: telemetry only.
  noEffect: ['dynamicStats', 'startChildSpan', 'upstreamLog', 'upstreamLogOptions', 'suppressGrpcRequestFailureCodeStats'],
});
const ACCESS_LOG = fieldTable<AccessLog__Output>('envoy.config.accesslog.v3.AccessLog', { implemented: ['name', 'typedConfig'] });
// The log line's format is the proxy's own (Envoy's default format); a configured one changes no traffic.
const FILE_ACCESS_LOG = fieldTable<FileAccessLog__Output>(FILE_LOG_TYPE, { implemented: ['path'], noEffect: ['format', 'jsonFormat', 'typedJsonFormat', 'logFormat'] });
const STDOUT_ACCESS_LOG = fieldTable<StdoutAccessLog__Output>(STDOUT_LOG_TYPE, { implemented: [], noEffect: ['logFormat'] });
const STDERR_ACCESS_LOG = fieldTable<StderrAccessLog__Output>(STDERR_LOG_TYPE, { implemented: [], noEffect: ['logFormat'] });

/**
 * HTTP filters with no effect on what is routed where or who may pass
 * (telemetry, protocol hints): accepted and skipped. Anything else unknown
 * is rejected, as Envoy does, unless marked is_optional - silently skipping
 * e.g. an RBAC filter would let through traffic that must be denied.
 */
const PASSIVE_FILTERS = new Set([
  'istio.stats',
  'istio.metadata_exchange',
  'istio.alpn',
  'envoy.filters.http.grpc_stats',
  'envoy.filters.http.wasm.stats',
]);

/** The filters the exchange runs before CORS, by filter name or config type. */
const BEFORE_CORS = new Set([FAULT_FILTER, FAULT_TYPE, HTTP_RBAC_FILTER, HTTP_RBAC_TYPE, HTTP_EXT_AUTHZ_FILTER, HTTP_EXT_AUTHZ_TYPE, JWT_AUTHN_FILTER, JWT_AUTHN_TYPE]);

const ESCAPED_SLASHES_ACTIONS = new Set(['IMPLEMENTATION_SPECIFIC_DEFAULT', 'KEEP_UNCHANGED', 'REJECT_REQUEST', 'UNESCAPE_AND_REDIRECT', 'UNESCAPE_AND_FORWARD']);

export type ServerHeader = 'OVERWRITE' | 'APPEND_IF_ABSENT' | 'PASS_THROUGH';

export interface AccessLogTarget {
  /** '/dev/stdout' (the default) or a file path. */
  path: string;
}

/** One authorization filter of the connection manager's chain. */
export type HttpAuthzStep = { readonly kind: 'rbac'; readonly config: RbacFilterConfig } | { readonly kind: 'extAuthz'; readonly config: HttpExtAuthzConfig };

export class HcmConfig {
  readonly statPrefix: string;
  readonly rdsName: string | undefined;
  readonly inlineRoutes: RouteTable | undefined;
  readonly useRemoteAddress: boolean;
  readonly xffNumTrustedHops: number;
  readonly skipXffAppend: boolean;
  readonly generateRequestId: boolean;
  readonly preserveExternalRequestId: boolean;
  readonly alwaysSetRequestIdInResponse: boolean;
  readonly serverName: string;
  readonly serverHeader: ServerHeader;
  readonly stripAnyHostPort: boolean;
  readonly stripMatchingHostPort: boolean;
  readonly idleTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxRequestsPerConnection: number;
  readonly faultFilter: boolean;
  /** envoy.filters.http.cors is in the chain (it acts on routes with a CorsPolicy, after the fault filter). */
  readonly corsFilter: boolean;
  /** Filter-level fault config (a route's typed_per_filter_config overrides it). */
  readonly fault: FaultConfig | undefined;
  /** envoy.filters.http.rbac filters, in chain order (run before the fault filter and routing). */
  readonly rbac: readonly RbacFilterConfig[];
  /**
   * The authorization filters (RBAC and ext_authz) in the configured order, run after jwt_authn and
   * before the fault filter and routing (Envoy's order in Istio: CUSTOM shadow RBAC, ext_authz, DENY, ALLOW).
   */
  readonly authz: readonly HttpAuthzStep[];
  /** envoy.filters.http.jwt_authn (at most one, run before the RBAC filters, whose metadata matchers read what it writes). */
  readonly jwtAuthn: JwtAuthnConfig | undefined;
  readonly accessLogs: AccessLogTarget[];
  /** upgrade_configs: upgrade types (lower case) allowed on this connection manager, unless a route says otherwise. */
  readonly upgrades: ReadonlySet<string>;
  /** codec_type (AUTO tells HTTP/1.1 and HTTP/2 apart by the connection preface). */
  readonly codecType: CodecType;
  /** http2_protocol_options, clamped (docs/security.md). */
  readonly http2: Http2Settings;
  readonly ignoredFilters: string[];
  /** Envoy's normalize_path, merge_slashes and path_with_escaped_slashes_action, applied before route matching. */
  readonly pathNormalization: PathNormalizationOptions;
  /** A stream with no activity either way for this long is reset (Envoy's default: 5 minutes; 0 disables). */
  readonly streamIdleTimeoutMs: number;
  /** The whole request head must arrive within this long (0: the codec's own bound only). */
  readonly requestHeadersTimeoutMs: number;
  /** Most request headers accepted (Envoy's default 100; more is 431). */
  readonly maxHeadersCount: number;
  /** Largest request head in bytes (Envoy's max_request_headers_kb, default 60 KiB; more is 431). */
  readonly maxRequestHeadersBytes: number;
  /** HTTP/1.0 requests are refused with 426 unless accepted (Envoy's accept_http_10, default false). */
  readonly acceptHttp10: boolean;
  /** The authority given to an HTTP/1.0 request without Host (Envoy's default_host_for_http_10). */
  readonly defaultHostForHttp10: string;
  /** forward_client_cert_details (default SANITIZE: an incoming x-forwarded-client-cert is removed). */
  readonly forwardClientCert: ForwardClientCertMode;
  /** set_current_client_cert_details. */
  readonly clientCertDetails: ClientCertDetails;
  /** Envoy's internal_address_config.cidr_ranges: which peers are internal (unset: RFC 1918, loopback, ULA). */
  readonly internalAddressCidrs: ReadonlyArray<{ addressPrefix: string; prefixLen: number }> | undefined;

  constructor(config: HttpConnectionManager__Output, path: string, options: CompileOptions = {}) {
    if (config.scopedRoutes) invalid(`${path}.scopedRoutes`, 'scoped routes are not supported');
    checkFields(config, HCM, path);
    checkFields(config.commonHttpProtocolOptions, HCM_COMMON_HTTP, `${path}.commonHttpProtocolOptions`);
    checkFields(config.httpProtocolOptions, HCM_HTTP1, `${path}.httpProtocolOptions`);
    const codec: string = config.codecType ?? 'AUTO';
    if (codec !== 'AUTO' && codec !== 'HTTP1' && codec !== 'HTTP2') {
      invalid(`${path}.codecType`, `AUTO, HTTP1 or HTTP2 are served downstream (HTTP/3 is not), got ${codec}`);
    }
    this.codecType = codec as CodecType;
    this.http2 = http2Settings(config.http2ProtocolOptions, `${path}.http2ProtocolOptions`);
    this.statPrefix = config.statPrefix || 'http';
    if (config.rds && config.routeConfig) invalid(path, 'only one of rds and routeConfig may be set');
    if (config.rds) {
      checkFields(config.rds, RDS, `${path}.rds`);
      checkConfigSource(config.rds.configSource, `${path}.rds.configSource`);
      this.rdsName = config.rds.routeConfigName;
      if (!this.rdsName) invalid(`${path}.rds.routeConfigName`, 'must not be empty');
      this.inlineRoutes = undefined;
    } else if (config.routeConfig) {
      this.rdsName = undefined;
      this.inlineRoutes = new RouteTable(config.routeConfig, options);
    } else {
      invalid(path, 'an HTTP connection manager needs rds or routeConfig');
    }
    this.useRemoteAddress = wrapped(config.useRemoteAddress, false);
    this.xffNumTrustedHops = Number(config.xffNumTrustedHops ?? 0);
    this.skipXffAppend = config.skipXffAppend === true;
    this.generateRequestId = wrapped(config.generateRequestId, true);
    this.preserveExternalRequestId = config.preserveExternalRequestId === true;
    this.alwaysSetRequestIdInResponse = config.alwaysSetRequestIdInResponse === true;
    this.serverName = config.serverName || 'envoy';
    this.serverHeader = (config.serverHeaderTransformation ?? 'OVERWRITE') as ServerHeader;
    this.stripAnyHostPort = config.stripAnyHostPort === true;
    this.stripMatchingHostPort = config.stripMatchingHostPort === true;
    this.idleTimeoutMs = durationMs(config.commonHttpProtocolOptions?.idleTimeout, `${path}.commonHttpProtocolOptions.idleTimeout`, 3_600_000);
    this.requestTimeoutMs = durationMs(config.requestTimeout, `${path}.requestTimeout`, 0);
    this.maxRequestsPerConnection = wrapped(config.commonHttpProtocolOptions?.maxRequestsPerConnection, 0);
    const escaped: string = config.pathWithEscapedSlashesAction ?? 'IMPLEMENTATION_SPECIFIC_DEFAULT';
    if (!ESCAPED_SLASHES_ACTIONS.has(escaped)) invalid(`${path}.pathWithEscapedSlashesAction`, `unknown action ${escaped}`);
    this.pathNormalization = {
      normalizePath: wrapped(config.normalizePath, false),
      mergeSlashes: config.mergeSlashes === true,
      // Envoy's implementation-specific default is KEEP_UNCHANGED.
      escapedSlashes: (escaped === 'IMPLEMENTATION_SPECIFIC_DEFAULT' ? 'KEEP_UNCHANGED' : escaped) as EscapedSlashesAction,
    };
    this.streamIdleTimeoutMs = durationMs(config.streamIdleTimeout, `${path}.streamIdleTimeout`, 300_000);
    this.requestHeadersTimeoutMs = durationMs(config.requestHeadersTimeout, `${path}.requestHeadersTimeout`, 0);
    this.maxHeadersCount = wrapped(config.commonHttpProtocolOptions?.maxHeadersCount, 100);
    this.maxRequestHeadersBytes = wrapped(config.maxRequestHeadersKb, 60) * 1024;
    this.acceptHttp10 = config.httpProtocolOptions?.acceptHttp_10 === true;
    this.defaultHostForHttp10 = config.httpProtocolOptions?.defaultHostForHttp_10 ?? '';
    const xfcc: string = config.forwardClientCertDetails ?? 'SANITIZE';
    if (!FORWARD_CLIENT_CERT_MODES.has(xfcc)) invalid(`${path}.forwardClientCertDetails`, `unknown mode ${xfcc}`);
    this.forwardClientCert = xfcc as ForwardClientCertMode;
    const details = config.setCurrentClientCertDetails;
    checkFields(details, SET_CURRENT_CLIENT_CERT_DETAILS, `${path}.setCurrentClientCertDetails`);
    this.clientCertDetails = {
      subject: wrapped(details?.subject, false),
      cert: details?.cert === true,
      chain: details?.chain === true,
      dns: details?.dns === true,
      uri: details?.uri === true,
    };
    checkFields(config.internalAddressConfig, INTERNAL_ADDRESS, `${path}.internalAddressConfig`);
    const cidrs: CidrRange__Output[] | undefined = config.internalAddressConfig?.cidrRanges;
    this.internalAddressCidrs = cidrs?.length
      ? cidrs.map((r, i) => {
          checkFields(r, CIDR_RANGE, `${path}.internalAddressConfig.cidrRanges[${i}]`);
          // Also takes a bare number, as hand-written static configs give it.
          const prefixLen: unknown = typeof r.prefixLen === 'number' ? r.prefixLen : wrapped(r.prefixLen, 0);
          if (typeof r.addressPrefix !== 'string' || !r.addressPrefix) invalid(`${path}.internalAddressConfig.cidrRanges[${i}].addressPrefix`, 'must be an IP address');
          return { addressPrefix: r.addressPrefix as string, prefixLen: Number(prefixLen) };
        })
      : undefined;
    const upgrades = new Set<string>();
    (config.upgradeConfigs ?? []).forEach((u, i) => {
      const p = `${path}.upgradeConfigs[${i}]`;
      checkFields(u, UPGRADE_CONFIG, p);
      if (!u.upgradeType) invalid(`${p}.upgradeType`, 'must name an upgrade (e.g. websocket)');
      const type = u.upgradeType.toLowerCase();
      if (type === 'connect') invalid(`${p}.upgradeType`, 'CONNECT is not supported by this proxy');
      if (wrapped(u.enabled, true)) upgrades.add(type);
    });
    this.upgrades = upgrades;

    const filters = config.httpFilters ?? [];
    let router = false;
    let faultFilter = false;
    let corsFilter = false;
    let fault: FaultConfig | undefined;
    const rbac: RbacFilterConfig[] = [];
    const authz: HttpAuthzStep[] = [];
    let jwtAuthn: JwtAuthnConfig | undefined;
    const ignored: string[] = [];
    filters.forEach((f, i) => {
      const p = `${path}.httpFilters[${i}]`;
      checkFields(f, HTTP_FILTER, p);
      const type = anyTypeName(f.typedConfig);
      const name = f.name ?? '';
      if (f.disabled === true) return;
      if (router) invalid(p, `the router filter must be the last HTTP filter (found ${name} after it)`);
      // The exchange applies CORS after authorization and fault injection, where Istio puts it: never in another order.
      if (corsFilter && BEFORE_CORS.has(type || name)) invalid(p, `${name} after the CORS filter is not supported: CORS runs after authorization and fault injection here`);
      // A filter is what its typed config's type says (as Envoy selects it), else what its name says.
      if (type ? type === ROUTER_TYPE : name === ROUTER_FILTER) {
        checkFields(unpackAs(f.typedConfig, ROUTER_TYPE), ROUTER, `${p}.typedConfig`);
        router = true;
      } else if (type ? type === FAULT_TYPE : name === FAULT_FILTER) {
        faultFilter = true;
        const c = f.typedConfig ? new FaultConfig(unpackAs(f.typedConfig, FAULT_TYPE) ?? {}, `${p}.typedConfig`) : undefined;
        fault = c?.active ? c : undefined;
      } else if (type ? type === CORS_TYPE : name === CORS_FILTER) {
        // An empty config: the policies are per route (typed_per_filter_config).
        checkFields(unpackAs(f.typedConfig, CORS_TYPE), CORS, `${p}.typedConfig`);
        corsFilter = true;
      } else if (type ? type === HTTP_RBAC_TYPE : name === HTTP_RBAC_FILTER) {
        // The exchange runs RBAC before the fault filter: a config that orders them the other way is not what it would do.
        if (faultFilter) invalid(p, 'an RBAC filter after the fault filter is not supported: RBAC runs before fault injection here');
        const config = unpackAs(f.typedConfig, HTTP_RBAC_TYPE);
        // Never read as "no rules" (which allows everything) a config that is missing or was not decoded.
        if (!config) invalid(`${p}.typedConfig`, `the RBAC filter needs its typed config (${HTTP_RBAC_TYPE})`);
        const compiled = compileHttpRbac(config, `${p}.typedConfig`);
        rbac.push(compiled);
        authz.push({ kind: 'rbac', config: compiled });
      } else if (type ? type === HTTP_EXT_AUTHZ_TYPE : name === HTTP_EXT_AUTHZ_FILTER) {
        // The exchange runs the authorization filters before the fault filter, in their configured order.
        if (faultFilter) invalid(p, 'an ext_authz filter after the fault filter is not supported: authorization runs before fault injection here');
        const config = unpackAs(f.typedConfig, HTTP_EXT_AUTHZ_TYPE);
        // Never read as "nothing to check" a config that is missing or was not decoded.
        if (!config) invalid(`${p}.typedConfig`, `the ext_authz filter needs its typed config (${HTTP_EXT_AUTHZ_TYPE})`);
        authz.push({ kind: 'extAuthz', config: compileHttpExtAuthz(config, `${p}.typedConfig`) });
      } else if (type ? type === JWT_AUTHN_TYPE : name === JWT_AUTHN_FILTER) {
        // The exchange runs jwt_authn first: after an RBAC, ext_authz or fault filter it would not be where the config puts it.
        if (authz.length > 0 || faultFilter) invalid(p, 'a jwt_authn filter after an RBAC, ext_authz or fault filter is not supported: jwt_authn runs first here');
        if (jwtAuthn !== undefined) invalid(p, 'only one jwt_authn filter per connection manager is supported');
        const config = unpackAs(f.typedConfig, JWT_AUTHN_TYPE);
        // A missing or undecoded config would verify nothing: never read it as "no requirement".
        if (!config) invalid(`${p}.typedConfig`, `the jwt_authn filter needs its typed config (${JWT_AUTHN_TYPE})`);
        jwtAuthn = compileJwtAuthn(config, `${p}.typedConfig`);
      } else if (PASSIVE_FILTERS.has(name) || f.isOptional === true) ignored.push(name);
      else invalid(p, `unsupported HTTP filter ${name}${type ? ` (${type})` : ''}; mark it is_optional to let the proxy skip it`);
    });
    if (!router) invalid(`${path}.httpFilters`, 'the HTTP filter chain must end with envoy.filters.http.router');
    this.faultFilter = faultFilter;
    this.corsFilter = corsFilter;
    this.fault = fault;
    this.rbac = rbac;
    this.authz = authz;
    this.jwtAuthn = jwtAuthn;
    this.ignoredFilters = ignored;
    this.accessLogs = (config.accessLog ?? []).map((a, i) => accessLog(a, `${path}.accessLog[${i}]`));
  }
}

/** Envoy's bounds for the window sizes (RFC 9113 §6.9.2 and its proto's validation). */
const MIN_WINDOW = 65_535;
const MAX_WINDOW = 2_147_483_647;

function http2Settings(o: Http2ProtocolOptions__Output | undefined | null, path: string): Http2Settings {
  if (o === undefined || o === null) return H2_DEFAULTS;
  checkFields(o, HCM_HTTP2, path);
  const streams = wrapped(o.maxConcurrentStreams, H2_DEFAULTS.maxConcurrentStreams);
  if (!(streams >= 1 && streams <= MAX_WINDOW)) invalid(`${path}.maxConcurrentStreams`, `must be in [1, 2147483647], got ${streams}`);
  const stream = wrapped(o.initialStreamWindowSize, H2_DEFAULTS.initialStreamWindowSize);
  if (!(stream >= MIN_WINDOW && stream <= MAX_WINDOW)) invalid(`${path}.initialStreamWindowSize`, `must be in [65535, 2147483647], got ${stream}`);
  const conn = wrapped(o.initialConnectionWindowSize, H2_DEFAULTS.initialConnectionWindowSize);
  if (!(conn >= MIN_WINDOW && conn <= MAX_WINDOW)) invalid(`${path}.initialConnectionWindowSize`, `must be in [65535, 2147483647], got ${conn}`);
  const hpack = wrapped(o.hpackTableSize, H2_DEFAULTS.hpackTableSize);
  if (!(hpack >= 0 && hpack <= 0xffffffff)) invalid(`${path}.hpackTableSize`, `must be a uint32, got ${hpack}`);
  // Honoured up to the caps: past them one connection could make the proxy hold more than a bounded amount.
  return {
    maxConcurrentStreams: Math.min(streams, H2_CAPS.maxConcurrentStreams),
    initialStreamWindowSize: Math.min(stream, H2_CAPS.initialStreamWindowSize),
    initialConnectionWindowSize: Math.min(conn, H2_CAPS.initialConnectionWindowSize),
    hpackTableSize: Math.min(hpack, H2_CAPS.hpackTableSize),
  };
}

/**
 * What the connection manager tells its codec (H1Server.configure), besides the listener's buffer
 * limit and the stats: both protocols' limits and timeouts, codec_type and the HTTP/2 settings.
 */
export function codecOptions(hcm: HcmConfig): H1ServerOptions {
  return {
    keepAliveTimeoutMs: Math.min(hcm.idleTimeoutMs || 300_000, 300_000),
    maxRequestsPerConnection: hcm.maxRequestsPerConnection,
    maxHeaderBytes: hcm.maxRequestHeadersBytes,
    maxHeadersCount: hcm.maxHeadersCount,
    streamIdleTimeoutMs: hcm.streamIdleTimeoutMs,
    requestHeadersTimeoutMs: hcm.requestHeadersTimeoutMs,
    acceptHttp10: hcm.acceptHttp10,
    defaultHostForHttp10: hcm.defaultHostForHttp10,
    codecType: hcm.codecType,
    http2: hcm.http2,
  };
}

function accessLog(a: AccessLog__Output, path: string): AccessLogTarget {
  checkFields(a, ACCESS_LOG, path);
  const type = anyTypeName(a.typedConfig);
  const kind = type || a.name;
  if (kind === FILE_LOG_TYPE || kind === 'envoy.access_loggers.file') {
    const file = unpackAs(a.typedConfig, FILE_LOG_TYPE);
    if (!file?.path) invalid(`${path}.typedConfig.path`, 'a file access log needs a path');
    checkFields(file, FILE_ACCESS_LOG, `${path}.typedConfig`);
    return { path: file.path };
  }
  if (kind === STDOUT_LOG_TYPE || kind === 'envoy.access_loggers.stdout') {
    checkFields(unpackAs(a.typedConfig, STDOUT_LOG_TYPE), STDOUT_ACCESS_LOG, `${path}.typedConfig`);
    return { path: '/dev/stdout' };
  }
  if (kind === STDERR_LOG_TYPE || kind === 'envoy.access_loggers.stderr') {
    checkFields(unpackAs(a.typedConfig, STDERR_LOG_TYPE), STDERR_ACCESS_LOG, `${path}.typedConfig`);
    return { path: '/dev/stderr' };
  }
  invalid(path, `unsupported access logger ${kind}`);
}
