// VirtualService → Envoy routes, with Istio's semantics: routes in order
// (first match wins), each `match` entry an alternative (OR), fields inside a
// match combined (AND); destinations with weights become weighted clusters.
import type { ConfigResource } from '@mesh/contracts';
import { ExportScope, checkExportToEntry } from '@mesh/config';
import {
  FILTER_NAMES,
  typedConfig,
  type HttpCorsPolicy,
  type FractionalPercent,
  type HeaderMatcher,
  type HeaderValueOption,
  type HttpFault,
  type MetadataMatcher,
  type ValueMatcher,
  type RedirectAction,
  type RetryPolicy,
  type Route,
  type RouteAction,
  type RouteMatch,
  type StringMatcher,
  type WeightedClusterEntry,
} from '@mesh/xds';
import { FieldError, asArray, asInt, asObject, asString, refOf, requireString, type Origin, type ResourceRef } from './errors.ts';
import { parseDurationMs, msToDuration, toDuration } from './duration.ts';
import { intersectHosts, resolveHost } from './hosts.ts';
import type { HTTPMatchRequest, HTTPRoute, TCPRoute } from './istio.ts';
import type { ClusterPolicy } from './destination-rules.ts';
import { istioConfigMetadata } from './istio-metadata.ts';
import type { Service } from './services.ts';

export const MESH_GATEWAY = 'mesh';

export interface VirtualServiceModel {
  namespace: string;
  name: string;
  ref: ResourceRef;
  /** Resolved hosts (short names expanded in the VirtualService's namespace). */
  hosts: string[];
  /** `mesh` or `namespace/name` of Gateways. */
  gateways: string[];
  http: HTTPRoute[];
  tcp: TCPRoute[];
  /** `tls` routes (SNI), read through the checked readers when translated. */
  tls: unknown[];
  /** Where the VirtualService applies (spec.exportTo, else the mesh's defaultVirtualServiceExportTo). */
  exportTo: ExportScope;
  creation: string;
}

/** spec.exportTo as a list of strings (validated by galley; checked again here). */
export function readExportTo(spec: Record<string, unknown>): string[] {
  const list = asArray<string>(spec.exportTo, 'spec.exportTo');
  list.forEach((e, i) => {
    requireString(e, `spec.exportTo[${i}]`);
    const problem = checkExportToEntry(e);
    if (problem) throw new FieldError(`spec.exportTo[${i}]`, problem);
  });
  return list;
}

/** Resolves a gateway reference as Istio does: `name` is in the referring resource's namespace. */
export function resolveGatewayRef(ref: string, namespace: string): string {
  if (ref === MESH_GATEWAY) return ref;
  return ref.includes('/') ? ref : `${namespace}/${ref}`;
}

export function readVirtualService(r: ConfigResource, domainSuffix: string, defaultExportTo: readonly string[] = ['*']): VirtualServiceModel {
  const spec = r.spec as Record<string, any>;
  const ns = r.metadata.namespace;
  const hosts = asArray<string>(spec.hosts, 'spec.hosts').map((h, i) => resolveHost(requireString(h, `spec.hosts[${i}]`), ns, domainSuffix));
  const gatewaysRaw = asArray<string>(spec.gateways, 'spec.gateways').map((g, i) => requireString(g, `spec.gateways[${i}]`));
  const gateways = (gatewaysRaw.length ? gatewaysRaw : [MESH_GATEWAY]).map((g) => resolveGatewayRef(g, ns));
  const http = asArray<HTTPRoute>(spec.http, 'spec.http');
  http.forEach((h, i) => asObject(h, `spec.http[${i}]`));
  const tcp = asArray<TCPRoute>(spec.tcp, 'spec.tcp');
  tcp.forEach((t, i) => asObject(t, `spec.tcp[${i}]`));
  const tls = asArray<unknown>(spec.tls, 'spec.tls');
  tls.forEach((t, i) => asObject(t, `spec.tls[${i}]`));
  const exportTo = new ExportScope(readExportTo(spec), ns, defaultExportTo);
  return { namespace: ns, name: r.metadata.name, ref: refOf(r), hosts, gateways, http, tcp, tls, exportTo, creation: r.metadata.creationTimestamp ?? '' };
}

/** What route translation needs from the push context. */
export interface RouteLookup {
  domainSuffix: string;
  service(host: string): Service | undefined;
  /** Cluster policy of `outbound|port|subset|host` (for the route hash policy); undefined when none. */
  clusterPolicy(host: string, subset: string | undefined, port: number): ClusterPolicy | undefined;
  /** Whether the destination rule for `host` defines `subset`. */
  hasSubset(host: string, subset: string): boolean;
  /**
   * The workload the routes are built for (its labels and namespace), for matches on sourceLabels and
   * sourceNamespace; undefined where none is known (a dry run), and then such matches are kept.
   */
  source?: { labels: Readonly<Record<string, string>>; namespace: string };
}

/** Whether a VirtualService has an HTTP match on the calling workload (its routes then differ per workload). */
export function matchesOnSource(vs: VirtualServiceModel): boolean {
  return vs.http.some((r) => Array.isArray(r?.match) && r.match.some((m) => m && (m.sourceLabels || m.sourceNamespace)));
}

export interface RouteContext {
  lookup: RouteLookup;
  /** `mesh` or the `namespace/name` of the gateway being built. */
  gateway: string;
  /** The service port (sidecars) or gateway server port being built; 0 when not known. */
  port: number;
  proxyless: boolean;
  /** Collects fields that were understood but not translated. */
  warn(field: string, message: string): void;
  /** Records which VirtualService route produced each Envoy route (to name it if the route cannot be served). */
  attribute?(route: Route, origin: Origin): void;
  /**
   * The JWT issuers the proxy's jwt_authn filter accepts (its RequestAuthentications): a match on
   * `@request.auth.claims.<name>` reads the verified payload of each. Undefined where no token is
   * verified for routing (sidecars: Istio supports claim routing on gateways only; @mesh/config's
   * supportFindings reports it): such a match never holds.
   */
  claimIssuers?: readonly string[];
  /** Reports a claim match that can never hold at this gateway (no RequestAuthentication accepts a token there). */
  claimWarn?(field: string, message: string): void;
}

/** Istio's pseudo-header for a verified JWT claim in a VirtualService match: `@request.auth.claims.<name>[.<nested>...]`. */
export const CLAIM_HEADER_PREFIX = '@request.auth.claims.';
/** Routes one match may become (issuers × the string/list shapes of its claims); more is refused rather than silently cut. */
const MAX_CLAIM_VARIANTS = 64;

interface ClaimCondition {
  path: string[];
  /** undefined: presence. */
  match?: StringMatcher;
  invert: boolean;
}

function claimConditions(match: HTTPMatchRequest | undefined, field: string): ClaimCondition[] {
  const out: ClaimCondition[] = [];
  for (const kind of ['headers', 'withoutHeaders'] as const) {
    for (const [name, m] of Object.entries(asObject(match?.[kind], `${field}.${kind}`) ?? {})) {
      if (!name.startsWith(CLAIM_HEADER_PREFIX)) continue;
      const path = name.slice(CLAIM_HEADER_PREFIX.length).split('.');
      if (path.some((k) => k === '')) throw new FieldError(`${field}.${kind}.${name}`, 'a claim name needs non-empty parts separated by "." (e.g. @request.auth.claims.groups or @request.auth.claims.nested.key)');
      out.push({ path, match: stringMatcher(m, `${field}.${kind}.${name}`), invert: kind === 'withoutHeaders' });
    }
  }
  return out;
}

/**
 * A match's claim conditions as alternatives of RouteMatch.dynamicMetadata
 * (each an AND of metadata matchers on jwt_authn's payloads, keyed by
 * issuer): one per accepted issuer and per shape of each claim (a string, or
 * a list holding a matching string). `withoutHeaders` holds when no accepted
 * issuer's payload matches. An empty list: the match can never hold.
 */
function claimVariants(conditions: ClaimCondition[], issuers: readonly string[] | undefined, field: string): MetadataMatcher[][] {
  if (conditions.length === 0) return [[]];
  const verified = issuers ?? [];
  const matcher = (iss: string, c: ClaimCondition, value: ValueMatcher): MetadataMatcher => ({
    filter: FILTER_NAMES.jwtAuthn,
    path: [iss, ...c.path].map((key) => ({ key })),
    value,
    ...(c.invert ? { invert: true } : {}),
  });
  const shapes = (c: ClaimCondition): ValueMatcher[] => (c.match ? [{ stringMatch: c.match }, { listMatch: { oneOf: { stringMatch: c.match } } }] : [{ presentMatch: true }]);
  // withoutHeaders: no accepted issuer's payload may match, in any shape.
  const negative = conditions.filter((c) => c.invert).flatMap((c) => verified.flatMap((iss) => shapes(c).map((v) => matcher(iss, c, v))));
  const positive = conditions.filter((c) => !c.invert);
  if (positive.length === 0) return [negative];
  const out: MetadataMatcher[][] = [];
  for (const iss of verified) {
    let combos: MetadataMatcher[][] = [[]];
    for (const c of positive) combos = combos.flatMap((prefix) => shapes(c).map((v) => [...prefix, matcher(iss, c, v)]));
    for (const combo of combos) out.push([...combo, ...negative]);
    if (out.length > MAX_CLAIM_VARIANTS) throw new FieldError(field, `its claim conditions need more than ${MAX_CLAIM_VARIANTS} routes (issuers × claims); split the match`);
  }
  return out;
}

export function clusterName(port: number, subset: string | undefined, host: string): string {
  return `outbound|${port}|${subset ?? ''}|${host}`;
}

function stringMatcher(m: unknown, field: string): StringMatcher | undefined {
  const o = asObject(m, field);
  if (!o) return undefined;
  const keys = ['exact', 'prefix', 'regex'].filter((k) => o[k] !== undefined);
  if (keys.length > 1) throw new FieldError(field, 'only one of exact, prefix, regex may be set');
  if (keys.length === 0) return undefined;
  const k = keys[0];
  const v = asString(o[k], `${field}.${k}`) ?? '';
  if (k === 'regex') {
    checkRegex(v, `${field}.regex`);
    return { safeRegex: { regex: v } };
  }
  return k === 'exact' ? { exact: v } : { prefix: v };
}

function checkRegex(re: string, field: string): void {
  try {
    new RegExp(re, 'u');
  } catch (err) {
    throw new FieldError(field, `invalid regular expression: ${(err as Error).message}`);
  }
}

function headerMatcher(name: string, m: unknown, field: string, invert = false): HeaderMatcher {
  const sm = stringMatcher(m, field);
  const out: HeaderMatcher = sm ? { name, stringMatch: sm } : { name, presentMatch: true };
  if (invert) out.invertMatch = true;
  return out;
}

function routeMatch(match: HTTPMatchRequest | undefined, field: string): RouteMatch {
  const out: RouteMatch = {};
  const uri = stringMatcher(match?.uri, `${field}.uri`);
  if (!uri) out.prefix = '/';
  else if (uri.exact !== undefined) out.path = uri.exact;
  else if (uri.prefix !== undefined) out.prefix = uri.prefix;
  else out.safeRegex = uri.safeRegex;
  if (match?.ignoreUriCase) out.caseSensitive = { value: false };
  const headers: HeaderMatcher[] = [];
  // Claim pseudo-headers are matched on verified tokens (claimVariants), never against a request header of that name.
  for (const [name, m] of Object.entries(asObject(match?.headers, `${field}.headers`) ?? {})) {
    if (!name.startsWith(CLAIM_HEADER_PREFIX)) headers.push(headerMatcher(name.toLowerCase(), m, `${field}.headers.${name}`));
  }
  for (const [name, m] of Object.entries(asObject(match?.withoutHeaders, `${field}.withoutHeaders`) ?? {})) {
    if (!name.startsWith(CLAIM_HEADER_PREFIX)) headers.push(headerMatcher(name.toLowerCase(), m, `${field}.withoutHeaders.${name}`, true));
  }
  if (match?.method) headers.push(headerMatcher(':method', match.method, `${field}.method`));
  if (match?.authority) headers.push(headerMatcher(':authority', match.authority, `${field}.authority`));
  if (match?.scheme) headers.push(headerMatcher(':scheme', match.scheme, `${field}.scheme`));
  if (headers.length) out.headers = headers;
  const query = Object.entries(asObject(match?.queryParams, `${field}.queryParams`) ?? {}).map(([name, m]) => {
    const sm = stringMatcher(m, `${field}.queryParams.${name}`);
    return sm ? { name, stringMatch: sm } : { name, presentMatch: true };
  });
  if (query.length) out.queryParameters = query;
  return out;
}

function headerOps(ops: unknown, field: string): { add: HeaderValueOption[]; remove: string[] } {
  const o = asObject(ops, field);
  const add: HeaderValueOption[] = [];
  for (const [k, v] of Object.entries(asObject(o?.set, `${field}.set`) ?? {})) add.push({ header: { key: k, value: String(v) }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' });
  for (const [k, v] of Object.entries(asObject(o?.add, `${field}.add`) ?? {})) add.push({ header: { key: k, value: String(v) }, appendAction: 'APPEND_IF_EXISTS_OR_ADD' });
  const remove = asArray<string>(o?.remove, `${field}.remove`).map((h, i) => requireString(h, `${field}.remove[${i}]`));
  return { add, remove };
}

/** The header operations an Envoy route and a weighted-cluster entry both have. */
type HeaderTarget = Pick<Route & WeightedClusterEntry, 'requestHeadersToAdd' | 'requestHeadersToRemove' | 'responseHeadersToAdd' | 'responseHeadersToRemove'>;

/** Applies Istio `headers` (request/response operations) to an Envoy route or weighted-cluster entry. */
function applyHeaders(target: HeaderTarget, headers: unknown, field: string): void {
  const h = asObject(headers, field);
  if (!h) return;
  const req = headerOps(h.request, `${field}.request`);
  const res = headerOps(h.response, `${field}.response`);
  if (req.add.length) target.requestHeadersToAdd = req.add;
  if (req.remove.length) target.requestHeadersToRemove = req.remove;
  if (res.add.length) target.responseHeadersToAdd = res.add;
  if (res.remove.length) target.responseHeadersToRemove = res.remove;
}

/** A destination → cluster name; the port comes from the destination, the only service port, or the context. */
function destinationCluster(dest: unknown, field: string, ctx: RouteContext, vsNamespace: string): { name: string; host: string; subset?: string; port: number } {
  const d = asObject(dest, field);
  if (!d) throw new FieldError(field, 'is required');
  const host = resolveHost(requireString(d.host, `${field}.host`), vsNamespace, ctx.lookup.domainSuffix);
  const subset = asString(d.subset, `${field}.subset`) || undefined;
  const explicit = asInt(asObject(d.port, `${field}.port`)?.number, `${field}.port.number`, 1, 65535);
  const svc = ctx.lookup.service(host);
  let port = explicit;
  if (!port && svc) {
    if (svc.ports.length === 1) port = svc.ports[0].number;
    else if (svc.ports.some((p) => p.number === ctx.port)) port = ctx.port;
    else {
      port = svc.ports[0].number;
      ctx.warn(`${field}.port`, `service ${host} has several ports; pick one with destination.port (using ${port})`);
    }
  }
  if (!port) port = ctx.port || 80;
  if (!svc) ctx.warn(`${field}.host`, `no service ${host} is registered; requests will fail with 503 until one is`);
  else if (subset && !ctx.lookup.hasSubset(host, subset)) ctx.warn(`${field}.subset`, `no DestinationRule for ${host} defines subset "${subset}"`);
  return { name: clusterName(port, subset, host), host, subset, port };
}

function percentToFraction(pct: unknown, field: string, legacy?: unknown): FractionalPercent {
  const o = asObject(pct, field);
  let value = 100;
  if (o && o.value !== undefined) {
    if (typeof o.value !== 'number' || o.value < 0 || o.value > 100) throw new FieldError(`${field}.value`, 'expected a percentage in [0, 100]');
    value = o.value;
  } else if (typeof legacy === 'number') value = legacy;
  return { numerator: Math.round(value * 10_000), denominator: 'MILLION' };
}

const GRPC_CODES: Record<string, number> = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
};

function faultConfig(fault: unknown, field: string): HttpFault | undefined {
  const f = asObject(fault, field);
  if (!f) return undefined;
  const out: HttpFault = {};
  const delay = asObject(f.delay, `${field}.delay`);
  if (delay) {
    const fixed = toDuration(delay.fixedDelay, `${field}.delay.fixedDelay`);
    if (!fixed) throw new FieldError(`${field}.delay.fixedDelay`, 'is required');
    out.delay = { fixedDelay: fixed, percentage: percentToFraction(delay.percentage, `${field}.delay.percentage`, delay.percent) };
  }
  const abort = asObject(f.abort, `${field}.abort`);
  if (abort) {
    const a: NonNullable<HttpFault['abort']> = { percentage: percentToFraction(abort.percentage, `${field}.abort.percentage`) };
    if (abort.httpStatus !== undefined) a.httpStatus = asInt(abort.httpStatus, `${field}.abort.httpStatus`, 200, 599);
    else if (abort.grpcStatus !== undefined) {
      const code = GRPC_CODES[String(abort.grpcStatus)];
      if (code === undefined) throw new FieldError(`${field}.abort.grpcStatus`, `"${abort.grpcStatus}" is not a gRPC status name`);
      a.grpcStatus = code;
    } else throw new FieldError(`${field}.abort`, 'httpStatus or grpcStatus is required');
    out.abort = a;
  }
  return out.delay || out.abort ? out : undefined;
}

/** Istio's translation of a VirtualService corsPolicy into Envoy's per-route CorsPolicy. */
function corsPolicy(cors: unknown, field: string): HttpCorsPolicy | undefined {
  const c = asObject(cors, field);
  if (!c) return undefined;
  const origins: StringMatcher[] = [];
  // The deprecated allowOrigin holds plain strings, each an exact origin.
  asArray<unknown>(c.allowOrigin, `${field}.allowOrigin`).forEach((o, i) => origins.push({ exact: requireString(o, `${field}.allowOrigin[${i}]`) }));
  asArray<unknown>(c.allowOrigins, `${field}.allowOrigins`).forEach((o, i) => {
    const m = stringMatcher(o, `${field}.allowOrigins[${i}]`);
    if (m) origins.push(m);
  });
  const list = (v: unknown, f: string) => asArray<unknown>(v, f).map((x, i) => requireString(x, `${f}[${i}]`)).join(',');
  const out: HttpCorsPolicy = {};
  if (origins.length) out.allowOriginStringMatch = origins;
  const methods = list(c.allowMethods, `${field}.allowMethods`);
  if (methods) out.allowMethods = methods;
  const headers = list(c.allowHeaders, `${field}.allowHeaders`);
  if (headers) out.allowHeaders = headers;
  const expose = list(c.exposeHeaders, `${field}.exposeHeaders`);
  if (expose) out.exposeHeaders = expose;
  const maxAgeMs = parseDurationMs(c.maxAge, `${field}.maxAge`);
  if (maxAgeMs !== undefined) out.maxAge = String(Math.floor(maxAgeMs / 1000));
  if (c.allowCredentials !== undefined) {
    if (typeof c.allowCredentials !== 'boolean') throw new FieldError(`${field}.allowCredentials`, 'expected a boolean');
    out.allowCredentials = { value: c.allowCredentials };
  }
  // Istio forwards preflights from origins the policy does not allow unless told to IGNORE them.
  out.forwardNotMatchingPreflights = { value: c.unmatchedPreflights !== 'IGNORE' };
  return out;
}

const PREVIOUS_HOSTS: NonNullable<RetryPolicy['retryHostPredicate']> = [
  { name: 'envoy.retry_host_predicates.previous_hosts', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' } },
];

/**
 * Istio's default retry policy for HTTP routes without `retries`. Since Istio 1.24 it no longer retries
 * 503 answers (a non-idempotent request may have run): `retriable-status-codes` stays with no codes.
 * Retries prefer hosts not tried yet (Envoy's previous_hosts predicate, up to 5 picks per retry), except on
 * routes with consistent hashing, whose requests belong to one host.
 */
export function defaultRetry(hashed: boolean): RetryPolicy & { retryOn: string } {
  return {
    retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
    numRetries: { value: 2 },
    ...(hashed ? {} : { retryHostPredicate: PREVIOUS_HOSTS }),
    hostSelectionRetryMaxAttempts: 5,
  };
}

function retryPolicy(retries: unknown, field: string, proxyless: boolean, hashed: boolean): RetryPolicy | undefined {
  const r = asObject(retries, field);
  // Proxyless gRPC has its own retry semantics (status names); only explicit retries go to it.
  if (!r) return proxyless ? undefined : defaultRetry(hashed);
  const attempts = asInt(r.attempts, `${field}.attempts`, 0) ?? 0;
  if (attempts === 0) return undefined;
  const out: RetryPolicy = { ...defaultRetry(hashed), numRetries: { value: attempts } };
  const retryOn = asString(r.retryOn, `${field}.retryOn`);
  if (retryOn) {
    // Numbers are status codes; listing one implies retriable-status-codes.
    const codes: number[] = [];
    const conditions: string[] = [];
    for (const token of retryOn.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (/^\d{3}$/.test(token)) codes.push(Number(token));
      else conditions.push(token);
    }
    if (codes.length) {
      if (!conditions.includes('retriable-status-codes')) conditions.push('retriable-status-codes');
      out.retriableStatusCodes = codes;
    }
    out.retryOn = conditions.join(',');
  }
  const perTry = toDuration(r.perTryTimeout, `${field}.perTryTimeout`);
  if (perTry) out.perTryTimeout = perTry;
  // An explicit retryIgnorePreviousHosts wins over the default, consistent hashing or not.
  if (r.retryIgnorePreviousHosts === true) out.retryHostPredicate = PREVIOUS_HOSTS;
  else if (r.retryIgnorePreviousHosts === false) delete out.retryHostPredicate;
  const backoff = toDuration(r.backoff, `${field}.backoff`);
  if (backoff) out.retryBackOff = { baseInterval: backoff };
  return out;
}

/**
 * A destination's weight, a relative proportion (Istio since 1.15: any int32 >= 0, the destination receiving
 * weight/sum); a single destination gets all traffic whatever its weight, 0 included.
 */
function routeWeight(weight: unknown, field: string, destinations: number): number {
  const w = asInt(weight, field, 0, 2 ** 31 - 1);
  return destinations === 1 ? 100 : (w ?? 0);
}

const REDIRECT_CODES: Record<number, RedirectAction['responseCode']> = { 301: 'MOVED_PERMANENTLY', 302: 'FOUND', 303: 'SEE_OTHER', 307: 'TEMPORARY_REDIRECT', 308: 'PERMANENT_REDIRECT' };

/** One HTTP route of a VirtualService → zero or more Envoy routes (one per applicable match). */
function translateHttpRoute(vs: VirtualServiceModel, route: HTTPRoute, i: number, ctx: RouteContext): Route[] {
  const field = `spec.http[${i}]`;
  const matches = asArray<HTTPMatchRequest>(route.match, `${field}.match`);
  const applicable: Array<{ m: HTTPMatchRequest | undefined; f: string }> = [];
  if (matches.length === 0) applicable.push({ m: undefined, f: `${field}.match` });
  matches.forEach((m, j) => {
    const f = `${field}.match[${j}]`;
    asObject(m, f);
    const port = asInt(m?.port, `${f}.port`, 1, 65535);
    if (port && ctx.port && port !== ctx.port) return;
    const gws = asArray<string>(m?.gateways, `${f}.gateways`).map((g) => resolveGatewayRef(g, vs.namespace));
    if (gws.length && !gws.includes(ctx.gateway)) return;
    // Istio keeps a match on the caller only in the routes of the workloads it names.
    const source = ctx.lookup.source;
    if (source && m?.sourceLabels && !Object.entries(m.sourceLabels).every(([k, v]) => source.labels[k] === v)) return;
    if (source && m?.sourceNamespace && m.sourceNamespace !== source.namespace) return;
    applicable.push({ m, f });
  });
  if (applicable.length === 0) return [];

  const base: Omit<Route, 'match'> = ctx.proxyless ? {} : { metadata: istioConfigMetadata(vs.ref) };
  const kinds = (['route', 'redirect', 'directResponse'] as const).filter((k) => route[k] !== undefined && !(k === 'route' && asArray(route.route, `${field}.route`).length === 0));
  if (kinds.length !== 1) throw new FieldError(field, 'exactly one of route, redirect or directResponse is required');

  if (route.redirect !== undefined) {
    const r = asObject(route.redirect, `${field}.redirect`)!;
    const redirect: RedirectAction = {};
    const uri = asString(r.uri, `${field}.redirect.uri`);
    const authority = asString(r.authority, `${field}.redirect.authority`);
    const scheme = asString(r.scheme, `${field}.redirect.scheme`);
    const port = asInt(r.port, `${field}.redirect.port`, 1, 65535);
    if (uri) redirect.pathRedirect = uri;
    if (authority) redirect.hostRedirect = authority;
    if (scheme) redirect.schemeRedirect = scheme;
    if (port) redirect.portRedirect = port;
    const code = asInt(r.redirectCode, `${field}.redirect.redirectCode`) ?? 301;
    if (!REDIRECT_CODES[code]) throw new FieldError(`${field}.redirect.redirectCode`, `${code} is not one of 301, 302, 303, 307, 308`);
    redirect.responseCode = REDIRECT_CODES[code];
    base.redirect = redirect;
  } else if (route.directResponse !== undefined) {
    const d = asObject(route.directResponse, `${field}.directResponse`)!;
    const status = asInt(d.status, `${field}.directResponse.status`, 200, 599);
    if (!status) throw new FieldError(`${field}.directResponse.status`, 'is required');
    const body = asObject(d.body, `${field}.directResponse.body`);
    base.directResponse = { status, ...(body?.string !== undefined ? { body: { inlineString: String(body.string) } } : body?.bytes !== undefined ? { body: { inlineBytes: String(body.bytes) } } : {}) };
  } else {
    const dests = asArray<Record<string, any>>(route.route, `${field}.route`);
    const resolved = dests.map((d, j) => {
      const f = `${field}.route[${j}]`;
      asObject(d, f);
      const c = destinationCluster(d.destination, `${f}.destination`, ctx, vs.namespace);
      return { ...c, weight: routeWeight(d.weight, `${f}.weight`, dests.length), headers: d.headers, field: f };
    });
    const total = resolved.reduce((s, d) => s + d.weight, 0);
    if (resolved.length > 1 && total === 0) throw new FieldError(`${field}.route`, 'the destination weights add up to 0');
    // Weight-0 destinations receive nothing; dropping them keeps the route simple for every data plane.
    const live = resolved.filter((d) => d.weight > 0);
    const action: RouteAction = {};
    if (live.length === 1) {
      action.cluster = live[0].name;
      applyHeaders(base, live[0].headers, `${live[0].field}.headers`);
    } else {
      action.weightedClusters = {
        clusters: live.map((d) => {
          const entry: WeightedClusterEntry = { name: d.name, weight: { value: d.weight } };
          applyHeaders(entry, d.headers, `${d.field}.headers`);
          return entry;
        }),
      };
    }
    // Consistent hashing: the route carries the hash policy of its (first) destination cluster.
    const policy = ctx.lookup.clusterPolicy(live[0].host, live[0].subset, live[0].port);
    if (policy?.hashPolicy) action.hashPolicy = policy.hashPolicy;

    const rewrite = asObject(route.rewrite, `${field}.rewrite`);
    if (rewrite) {
      const uri = asString(rewrite.uri, `${field}.rewrite.uri`);
      const regex = asObject(rewrite.uriRegexRewrite, `${field}.rewrite.uriRegexRewrite`);
      if (uri !== undefined && regex) throw new FieldError(`${field}.rewrite`, 'uri and uriRegexRewrite are mutually exclusive');
      if (uri !== undefined) action.prefixRewrite = uri;
      if (regex) {
        const pattern = requireString(regex.match, `${field}.rewrite.uriRegexRewrite.match`);
        checkRegex(pattern, `${field}.rewrite.uriRegexRewrite.match`);
        action.regexRewrite = { pattern: { regex: pattern }, substitution: asString(regex.rewrite, `${field}.rewrite.uriRegexRewrite.rewrite`) ?? '' };
      }
      const authority = asString(rewrite.authority, `${field}.rewrite.authority`);
      if (authority) action.hostRewriteLiteral = authority;
    }
    // Istio disables Envoy's 15 s default route timeout unless a timeout is set.
    const timeoutMs = parseDurationMs(route.timeout, `${field}.timeout`);
    action.timeout = msToDuration(timeoutMs ?? 0);
    const retries = retryPolicy(route.retries, `${field}.retries`, ctx.proxyless, action.hashPolicy !== undefined);
    if (retries) action.retryPolicy = retries;
    const mirrors: Array<{ dest: unknown; pct: unknown; legacy?: unknown; f: string }> = [];
    // mirrorPercent is the deprecated integer form of mirrorPercentage.
    if (route.mirror) mirrors.push({ dest: route.mirror, pct: route.mirrorPercentage, legacy: route.mirrorPercent, f: `${field}.mirror` });
    asArray<Record<string, any>>(route.mirrors, `${field}.mirrors`).forEach((m, j) => mirrors.push({ dest: m?.destination, pct: m?.percentage, f: `${field}.mirrors[${j}].destination` }));
    if (mirrors.length && ctx.proxyless) ctx.warn(mirrors[0].f.replace(/\.destination$/, ''), 'request mirroring is not sent to proxyless gRPC clients');
    if (mirrors.length && !ctx.proxyless) {
      action.requestMirrorPolicies = mirrors.map((m) => ({
        cluster: destinationCluster(m.dest, m.f, ctx, vs.namespace).name,
        runtimeFraction: { defaultValue: percentToFraction(m.pct, `${m.f.replace(/\.destination$/, '')}.percentage`, m.legacy) },
      }));
    }
    base.route = action;
  }
  applyHeaders(base, route.headers, `${field}.headers`);
  const fault = faultConfig(route.fault, `${field}.fault`);
  // Proxyless gRPC clients apply it too (gRPC's xDS fault injection: the same filter config, per route).
  if (fault) base.typedPerFilterConfig = { [FILTER_NAMES.fault]: typedConfig('fault', fault) };
  const cors = corsPolicy(route.corsPolicy, `${field}.corsPolicy`);
  // gRPC's xDS client would reject a per-route config of a filter it does not have.
  if (cors && ctx.proxyless) ctx.warn(`${field}.corsPolicy`, 'corsPolicy is not sent to proxyless gRPC clients');
  if (cors && !ctx.proxyless) base.typedPerFilterConfig = { ...base.typedPerFilterConfig, [FILTER_NAMES.cors]: typedConfig('corsPolicy', cors) };
  if (route.name !== undefined) asString(route.name, `${field}.name`);

  // The routes share `base`'s nested objects: generated resources are never mutated after they are built.
  const envoyMatches: RouteMatch[] = [];
  for (const { m, f } of applicable) {
    const claims = claimConditions(m, f);
    const variants = claimVariants(claims, ctx.claimIssuers, f);
    const rm = routeMatch(m, f);
    if (variants.length === 0) {
      // A sidecar is told by supportFindings; at a gateway no RequestAuthentication verifies a token to match.
      if (ctx.claimIssuers !== undefined) {
        (ctx.claimWarn ?? ctx.warn)(f, `no RequestAuthentication of this gateway accepts a token, so no claim (${claims.map((c) => c.path.join('.')).join(', ')}) is ever verified: this match never holds and is left out`);
      }
      continue;
    }
    for (const v of variants) envoyMatches.push(v.length ? { ...rm, dynamicMetadata: v } : rm);
  }
  return envoyMatches.map((match, j) => ({
    ...(route.name ? { name: envoyMatches.length > 1 ? `${route.name}.${j}` : route.name } : {}),
    match,
    ...base,
  }));
}

/** Every HTTP route of a VirtualService for one context, in order. Throws FieldError on a bad field. */
export function translateHttpRoutes(vs: VirtualServiceModel, ctx: RouteContext): Route[] {
  return vs.http.flatMap((r, i) => {
    const routes = translateHttpRoute(vs, r, i, ctx);
    for (const route of routes) ctx.attribute?.(route, { ...vs.ref, field: `spec.http[${i}]` });
    return routes;
  });
}

/** The route used when no VirtualService applies to a service port. */
export function defaultRoute(host: string, port: number, proxyless: boolean, lookup?: RouteLookup): Route {
  const hashPolicy = lookup?.clusterPolicy(host, undefined, port)?.hashPolicy;
  return {
    name: 'default',
    match: { prefix: '/' },
    route: {
      cluster: clusterName(port, undefined, host),
      timeout: { seconds: 0 },
      ...(proxyless ? {} : { retryPolicy: defaultRetry(hashPolicy !== undefined) }),
      ...(hashPolicy ? { hashPolicy } : {}),
    },
  };
}

/** TCP routes of a VirtualService for one context: the first matching route's weighted destinations. */
export function translateTcpRoute(vs: VirtualServiceModel, ctx: RouteContext): Array<{ name: string; weight: number }> | undefined {
  for (let i = 0; i < vs.tcp.length; i++) {
    const field = `spec.tcp[${i}]`;
    const route = vs.tcp[i];
    const matches = asArray<Record<string, any>>(route.match, `${field}.match`);
    const ok =
      matches.length === 0 ||
      matches.some((m, j) => {
        const port = asInt(m?.port, `${field}.match[${j}].port`, 1, 65535);
        const gws = asArray<string>(m?.gateways, `${field}.match[${j}].gateways`).map((g) => resolveGatewayRef(g, vs.namespace));
        return (!port || !ctx.port || port === ctx.port) && (!gws.length || gws.includes(ctx.gateway));
      });
    if (!ok) continue;
    const dests = asArray<Record<string, any>>(route.route, `${field}.route`);
    if (dests.length === 0) throw new FieldError(`${field}.route`, 'at least one destination is required');
    const out = dests.map((d, j) => {
      const c = destinationCluster(d?.destination, `${field}.route[${j}].destination`, ctx, vs.namespace);
      return { name: c.name, weight: routeWeight(d.weight, `${field}.route[${j}].weight`, dests.length) };
    });
    return out.filter((d) => d.weight > 0);
  }
  return undefined;
}

/** One SNI-routed chain of a TLS passthrough server. */
export interface TlsRouteChain {
  /** The SNI names it takes (the route's sniHosts narrowed to the server's hosts; `*` for any). */
  sniHosts: string[];
  dests: Array<{ name: string; weight: number }>;
  /** The VirtualService route it came from (`spec.tls[i]`). */
  field: string;
}

/**
 * A VirtualService's `tls` routes for one gateway server (Istio's TLS
 * passthrough): one chain per route whose match applies to this gateway and
 * port, on the match's sniHosts that the server exposes. A match's sniHosts
 * must each be one of the VirtualService's hosts (or within a wildcard one).
 */
export function translateTlsRoutes(vs: VirtualServiceModel, ctx: RouteContext, serverHosts: readonly string[]): TlsRouteChain[] {
  const out: TlsRouteChain[] = [];
  vs.tls.forEach((raw, i) => {
    const field = `spec.tls[${i}]`;
    const route = asObject(raw, field)!;
    const matches = asArray<unknown>(route.match, `${field}.match`);
    if (matches.length === 0) throw new FieldError(`${field}.match`, 'at least one match with sniHosts is required');
    const sni = new Set<string>();
    matches.forEach((mRaw, j) => {
      const mf = `${field}.match[${j}]`;
      const m = asObject(mRaw, mf)!;
      const port = asInt(m.port, `${mf}.port`, 1, 65535);
      const gws = asArray<string>(m.gateways, `${mf}.gateways`).map((g) => resolveGatewayRef(requireString(g, `${mf}.gateways`), vs.namespace));
      if ((port && ctx.port && port !== ctx.port) || (gws.length && !gws.includes(ctx.gateway))) return;
      const hosts = asArray<string>(m.sniHosts, `${mf}.sniHosts`).map((h, k) => resolveHost(requireString(h, `${mf}.sniHosts[${k}]`), vs.namespace, ctx.lookup.domainSuffix));
      if (hosts.length === 0) throw new FieldError(`${mf}.sniHosts`, 'at least one SNI host is required');
      for (const h of hosts) {
        if (!vs.hosts.some((vh) => intersectHosts(vh, h) === h)) throw new FieldError(`${mf}.sniHosts`, `${h} is not one of the VirtualService's hosts`);
        for (const sh of serverHosts) {
          const both = intersectHosts(sh, h);
          if (both) sni.add(both);
        }
      }
    });
    if (sni.size === 0) return;
    const dests = asArray<Record<string, unknown>>(route.route, `${field}.route`);
    if (dests.length === 0) throw new FieldError(`${field}.route`, 'at least one destination is required');
    const weighted = dests.map((d, j) => {
      const c = destinationCluster(asObject(d, `${field}.route[${j}]`)!.destination, `${field}.route[${j}].destination`, ctx, vs.namespace);
      return { name: c.name, weight: routeWeight(d.weight, `${field}.route[${j}].weight`, dests.length) };
    });
    out.push({ sniHosts: [...sni], dests: weighted.filter((d) => d.weight > 0), field });
  });
  return out;
}
