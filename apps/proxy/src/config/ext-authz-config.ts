// envoy.extensions.filters.http.ext_authz.v3.ExtAuthz and
// envoy.extensions.filters.network.ext_authz.v3.ExtAuthz compiled: which
// authorization service is asked (an HTTP service or the gRPC
// envoy.service.auth.v3.Authorization/Check, both through one of this proxy's
// clusters), under which bounds, when (filter_enabled_metadata), and what of
// its answer reaches the upstream request and the client. Every field this
// proxy does not act on is NACKed by name: an authorization filter that
// silently skipped part of its configuration could let through what must be
// denied (http/ext-authz.ts runs it).
import { protoRoot } from '@mesh/xds';
import type {
  EnvoyGrpc__Output,
  ExtAuthz__Output,
  ExtAuthzAuthorizationRequest__Output,
  ExtAuthzAuthorizationResponse__Output,
  ExtAuthzBufferSettings__Output,
  ExtAuthzHttpService__Output,
  GrpcService__Output,
  HeaderValue__Output,
  HttpStatus__Output,
  HttpUri__Output,
  ListStringMatcher__Output,
  NetworkExtAuthz__Output,
} from '@mesh/xds';
import { StringMatcher } from './matchers.ts';
import { compileMetadataMatcher, type MetadataLookup } from './rbac-config.ts';
import { durationMs, invalid } from './proto-values.ts';
import { checkEach, checkFields, fieldTable } from './supported-fields.ts';

export const HTTP_EXT_AUTHZ_FILTER = 'envoy.filters.http.ext_authz';
export const HTTP_EXT_AUTHZ_TYPE = 'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
export const NETWORK_EXT_AUTHZ_FILTER = 'envoy.filters.network.ext_authz';
export const NETWORK_EXT_AUTHZ_TYPE = 'envoy.extensions.filters.network.ext_authz.v3.ExtAuthz';

// What this proxy accepts of the ext_authz messages (see supported-fields.ts).
const HTTP_EXT_AUTHZ = fieldTable<ExtAuthz__Output>(HTTP_EXT_AUTHZ_TYPE, {
  implemented: [
    'grpcService',
    'httpService',
    'transportApiVersion',
    'failureModeAllow',
    'withRequestBody',
    'statusOnError',
    'filterEnabledMetadata',
    'statPrefix',
    'allowedHeaders',
    'disallowedHeaders',
  ],
});
const NETWORK_EXT_AUTHZ = fieldTable<NetworkExtAuthz__Output>(NETWORK_EXT_AUTHZ_TYPE, {
  implemented: ['statPrefix', 'grpcService', 'failureModeAllow', 'transportApiVersion', 'filterEnabledMetadata'],
});
const GRPC_SERVICE = fieldTable<GrpcService__Output>('envoy.config.core.v3.GrpcService', { implemented: ['envoyGrpc', 'timeout', 'initialMetadata'] });
const ENVOY_GRPC = fieldTable<EnvoyGrpc__Output>('envoy.config.core.v3.GrpcService.EnvoyGrpc', { implemented: ['clusterName', 'authority'] });
const HTTP_SERVICE = fieldTable<ExtAuthzHttpService__Output>('envoy.extensions.filters.http.ext_authz.v3.HttpService', {
  implemented: ['serverUri', 'pathPrefix', 'authorizationRequest', 'authorizationResponse'],
});
const HTTP_URI = fieldTable<HttpUri__Output>('envoy.config.core.v3.HttpUri', { implemented: ['uri', 'cluster', 'timeout'] });
const AUTHZ_REQUEST = fieldTable<ExtAuthzAuthorizationRequest__Output>('envoy.extensions.filters.http.ext_authz.v3.AuthorizationRequest', {
  implemented: ['allowedHeaders', 'headersToAdd'],
});
const AUTHZ_RESPONSE = fieldTable<ExtAuthzAuthorizationResponse__Output>('envoy.extensions.filters.http.ext_authz.v3.AuthorizationResponse', {
  implemented: ['allowedUpstreamHeaders', 'allowedUpstreamHeadersToAppend', 'allowedClientHeaders', 'allowedClientHeadersOnSuccess'],
});
const BUFFER_SETTINGS = fieldTable<ExtAuthzBufferSettings__Output>('envoy.extensions.filters.http.ext_authz.v3.BufferSettings', {
  implemented: ['maxRequestBytes', 'allowPartialMessage', 'packAsBytes'],
});
const HTTP_STATUS = fieldTable<HttpStatus__Output>('envoy.type.v3.HttpStatus', { implemented: ['code'] });
const LIST_STRING_MATCHER = fieldTable<ListStringMatcher__Output>('envoy.type.matcher.v3.ListStringMatcher', { implemented: ['patterns'] });
const HEADER_VALUE = fieldTable<HeaderValue__Output>('envoy.config.core.v3.HeaderValue', { implemented: ['key', 'value'] });

/** Envoy's default for a gRPC authorization call without a timeout (and here for an HTTP one too). */
export const DEFAULT_CHECK_TIMEOUT_MS = 200;
/** A timeout of 0 would wait forever: every call is bounded by this instead. */
export const MAX_CHECK_TIMEOUT_MS = 600_000;
/** The most of an authorization service's answer (HTTP body or gRPC message) that is read; more is an error. */
export const MAX_AUTHZ_RESPONSE_BYTES = 64 * 1024;

/** A ListStringMatcher: a header name matches when one pattern does. */
export type NameList = readonly StringMatcher[];

export function matchesList(list: NameList, name: string): boolean {
  for (const m of list) if (m.matches(name)) return true;
  return false;
}

export interface HttpAuthzService {
  readonly kind: 'http';
  readonly cluster: string;
  /** The server_uri's authority (validated; as Envoy, the authorization request carries the client's Host). */
  readonly authority: string;
  readonly pathPrefix: string;
  readonly timeoutMs: number;
  readonly headersToAdd: ReadonlyArray<readonly [string, string]>;
  /** authorization_response lists (undefined: not set, Envoy's defaults apply). */
  readonly allowedUpstreamHeaders: NameList | undefined;
  readonly allowedUpstreamHeadersToAppend: NameList | undefined;
  readonly allowedClientHeaders: NameList | undefined;
  readonly allowedClientHeadersOnSuccess: NameList | undefined;
}

export interface GrpcAuthzService {
  readonly kind: 'grpc';
  readonly cluster: string;
  /** The :authority of the call (EnvoyGrpc.authority, else the cluster name, as Envoy). */
  readonly authority: string;
  readonly timeoutMs: number;
  readonly initialMetadata: ReadonlyArray<readonly [string, string]>;
}

export type AuthzService = HttpAuthzService | GrpcAuthzService;

export interface BufferSettings {
  readonly maxRequestBytes: number;
  readonly allowPartialMessage: boolean;
  readonly packAsBytes: boolean;
}

/** One envoy.filters.http.ext_authz filter. */
export interface HttpExtAuthzConfig {
  readonly service: AuthzService;
  readonly failureModeAllow: boolean;
  /** The status a failed or unreachable authorization service answers the client (default 403). */
  readonly statusOnError: number;
  /** filter_enabled_metadata: the filter runs only when it matches (undefined: always). */
  readonly enabled: ((lookup: MetadataLookup) => boolean) | undefined;
  readonly withRequestBody: BufferSettings | undefined;
  /** Counters go under `http.<hcm prefix>.ext_authz.<this>` ('' or `<stat_prefix>.`). */
  readonly statPrefix: string;
  /** Request headers sent to the service: undefined means Envoy's default (HTTP: none but the always-sent ones; gRPC: all). */
  readonly allowedHeaders: NameList | undefined;
  readonly disallowedHeaders: NameList | undefined;
}

/** One envoy.filters.network.ext_authz filter. */
export interface NetworkExtAuthzConfig {
  readonly service: GrpcAuthzService;
  readonly failureModeAllow: boolean;
  readonly enabled: ((lookup: MetadataLookup) => boolean) | undefined;
  /** Counters are `ext_authz.<this>` (the stat_prefix, ending with '.'). */
  readonly statPrefix: string;
}

function nameList(l: ListStringMatcher__Output | undefined | null, path: string): NameList | undefined {
  if (l === undefined || l === null) return undefined;
  checkFields(l, LIST_STRING_MATCHER, path);
  return (l.patterns ?? []).map((p, i) => new StringMatcher(p, `${path}.patterns[${i}]`));
}

function timeout(value: Parameters<typeof durationMs>[0], path: string): number {
  const ms = durationMs(value, path, DEFAULT_CHECK_TIMEOUT_MS);
  return ms === 0 ? MAX_CHECK_TIMEOUT_MS : Math.min(ms, MAX_CHECK_TIMEOUT_MS);
}

function headerPairs(values: HeaderValue__Output[] | undefined, path: string): Array<readonly [string, string]> {
  checkEach(values, HEADER_VALUE, path);
  return (values ?? []).map((h, i) => {
    if (!h.key) invalid(`${path}[${i}].key`, 'must name a header');
    return [h.key.toLowerCase(), h.value ?? ''] as const;
  });
}

function checkApiVersion(v: unknown, path: string): void {
  // AUTO is v3 since Envoy dropped v2; v2 is long gone.
  if (v !== undefined && v !== null && v !== 'V3' && v !== 'AUTO' && v !== 2 && v !== 0) invalid(path, `only the V3 ext_authz API is supported, got ${String(v)}`);
}

export function compileGrpcService(g: GrpcService__Output | undefined | null, path: string): GrpcAuthzService {
  if (!g) invalid(path, 'needs a grpc_service');
  checkFields(g, GRPC_SERVICE, path);
  if (!g.envoyGrpc) invalid(`${path}.envoyGrpc`, 'only envoy_grpc (a cluster of this proxy) is supported');
  checkFields(g.envoyGrpc, ENVOY_GRPC, `${path}.envoyGrpc`);
  const cluster = g.envoyGrpc.clusterName;
  if (!cluster) invalid(`${path}.envoyGrpc.clusterName`, 'must name a cluster');
  return {
    kind: 'grpc',
    cluster,
    authority: g.envoyGrpc.authority || cluster,
    timeoutMs: timeout(g.timeout, `${path}.timeout`),
    initialMetadata: headerPairs(g.initialMetadata, `${path}.initialMetadata`),
  };
}

function compileHttpService(h: ExtAuthzHttpService__Output, path: string): HttpAuthzService {
  checkFields(h, HTTP_SERVICE, path);
  const uri = h.serverUri;
  if (!uri) invalid(`${path}.serverUri`, 'the HTTP service needs a server_uri');
  checkFields(uri, HTTP_URI, `${path}.serverUri`);
  if (!uri.cluster) invalid(`${path}.serverUri.cluster`, 'must name a cluster');
  let authority: string;
  try {
    authority = new URL(uri.uri ?? '').host;
  } catch {
    invalid(`${path}.serverUri.uri`, `must be an absolute URI, got ${JSON.stringify(uri.uri)}`);
  }
  if (!authority) invalid(`${path}.serverUri.uri`, `must name a host, got ${JSON.stringify(uri.uri)}`);
  const pathPrefix = h.pathPrefix ?? '';
  if (pathPrefix !== '' && (!pathPrefix.startsWith('/') || /[\s?#]/.test(pathPrefix))) invalid(`${path}.pathPrefix`, `must be a path starting with '/', got ${JSON.stringify(pathPrefix)}`);
  const rq = h.authorizationRequest;
  checkFields(rq, AUTHZ_REQUEST, `${path}.authorizationRequest`);
  const rs = h.authorizationResponse;
  const rsp = `${path}.authorizationResponse`;
  checkFields(rs, AUTHZ_RESPONSE, rsp);
  return {
    kind: 'http',
    cluster: uri.cluster,
    authority,
    pathPrefix,
    timeoutMs: timeout(uri.timeout, `${path}.serverUri.timeout`),
    headersToAdd: headerPairs(rq?.headersToAdd, `${path}.authorizationRequest.headersToAdd`),
    allowedUpstreamHeaders: nameList(rs?.allowedUpstreamHeaders, `${rsp}.allowedUpstreamHeaders`),
    allowedUpstreamHeadersToAppend: nameList(rs?.allowedUpstreamHeadersToAppend, `${rsp}.allowedUpstreamHeadersToAppend`),
    allowedClientHeaders: nameList(rs?.allowedClientHeaders, `${rsp}.allowedClientHeaders`),
    allowedClientHeadersOnSuccess: nameList(rs?.allowedClientHeadersOnSuccess, `${rsp}.allowedClientHeadersOnSuccess`),
  };
}

let statusCodes: Record<string, number> | undefined;

/** An envoy.type.v3.HttpStatus code (decoded as its enum name, e.g. 'Forbidden') as a number. */
export function httpStatusCode(s: HttpStatus__Output | undefined | null, path: string, fallback: number): number {
  if (s === undefined || s === null) return fallback;
  checkFields(s, HTTP_STATUS, path);
  const code: unknown = s.code;
  if (code === undefined || code === null) return fallback;
  let n: number | undefined;
  if (typeof code === 'number') n = code;
  else if (typeof code === 'string') {
    statusCodes ??= protoRoot().lookupEnum('envoy.type.v3.StatusCode').values;
    n = /^\d+$/.test(code) ? Number(code) : statusCodes[code];
  }
  if (n === undefined || !(n >= 200 && n <= 599)) invalid(`${path}.code`, `must be an HTTP status 200..599, got ${JSON.stringify(code)}`);
  return n;
}

function compileEnabled(c: ExtAuthz__Output['filterEnabledMetadata'], path: string): HttpExtAuthzConfig['enabled'] {
  return c === undefined || c === null ? undefined : compileMetadataMatcher(c, path);
}

/** envoy.extensions.filters.http.ext_authz.v3.ExtAuthz. */
export function compileHttpExtAuthz(config: ExtAuthz__Output, path: string): HttpExtAuthzConfig {
  checkFields(config, HTTP_EXT_AUTHZ, path);
  checkApiVersion(config.transportApiVersion, `${path}.transportApiVersion`);
  if (config.grpcService && config.httpService) invalid(path, 'only one of grpc_service and http_service may be set');
  let service: AuthzService;
  if (config.grpcService) service = compileGrpcService(config.grpcService, `${path}.grpcService`);
  else if (config.httpService) service = compileHttpService(config.httpService, `${path}.httpService`);
  // Never read as "nothing to ask" (which would allow everything) a filter without a service.
  else invalid(path, 'the ext_authz filter needs a grpc_service or an http_service');
  let withRequestBody: BufferSettings | undefined;
  if (config.withRequestBody) {
    const b = config.withRequestBody;
    checkFields(b, BUFFER_SETTINGS, `${path}.withRequestBody`);
    const max = Number(b.maxRequestBytes ?? 0);
    if (!(Number.isInteger(max) && max > 0)) invalid(`${path}.withRequestBody.maxRequestBytes`, `must be greater than 0, got ${b.maxRequestBytes}`);
    withRequestBody = { maxRequestBytes: max, allowPartialMessage: b.allowPartialMessage === true, packAsBytes: b.packAsBytes === true };
  }
  const sp = config.statPrefix ?? '';
  return {
    service,
    failureModeAllow: config.failureModeAllow === true,
    statusOnError: httpStatusCode(config.statusOnError, `${path}.statusOnError`, 403),
    enabled: compileEnabled(config.filterEnabledMetadata, `${path}.filterEnabledMetadata`),
    withRequestBody,
    statPrefix: sp === '' ? '' : `${sp}.`,
    allowedHeaders: nameList(config.allowedHeaders, `${path}.allowedHeaders`) ?? (service.kind === 'http' ? nameList(config.httpService?.authorizationRequest?.allowedHeaders, `${path}.httpService.authorizationRequest.allowedHeaders`) : undefined),
    disallowedHeaders: nameList(config.disallowedHeaders, `${path}.disallowedHeaders`),
  };
}

/** envoy.extensions.filters.network.ext_authz.v3.ExtAuthz. */
export function compileNetworkExtAuthz(config: NetworkExtAuthz__Output, path: string): NetworkExtAuthzConfig {
  checkFields(config, NETWORK_EXT_AUTHZ, path);
  checkApiVersion(config.transportApiVersion, `${path}.transportApiVersion`);
  if (!config.statPrefix) invalid(`${path}.statPrefix`, 'the network ext_authz filter needs a stat_prefix');
  return {
    service: compileGrpcService(config.grpcService, `${path}.grpcService`),
    failureModeAllow: config.failureModeAllow === true,
    enabled: compileEnabled(config.filterEnabledMetadata, `${path}.filterEnabledMetadata`),
    statPrefix: config.statPrefix.endsWith('.') ? config.statPrefix : `${config.statPrefix}.`,
  };
}
