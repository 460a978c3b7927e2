// envoy.extensions.filters.http.rbac.v3.RBAC and
// envoy.extensions.filters.network.rbac.v3.RBAC compiled: each policy's
// permissions and principals become predicates over an RbacContext (what the
// request and its connection say), evaluated by http/rbac.ts. Every field
// of the RBAC messages this proxy does not evaluate is NACKed naming it: an
// authorization rule silently skipped could let through what must be denied
// (a CEL `condition`, the `matcher` API, filter_state, ...).
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type {
  CidrRange__Output,
  Int32Range__Output,
  ListMatcher__Output,
  MetadataMatcher__Output,
  NetworkRbac__Output,
  PathMatcher__Output,
  Rbac__Output,
  RbacPermission__Output,
  RbacPolicy__Output,
  RbacPrincipal__Output,
  RbacRules__Output,
  ValueMatcher__Output,
} from '@mesh/xds';
import { HeaderMatcher, StringMatcher, type RequestHead } from './matchers.ts';
import { invalid, wrapped } from './proto-values.ts';
import { checkFields, fieldTable } from './supported-fields.ts';

export const HTTP_RBAC_FILTER = 'envoy.filters.http.rbac';
export const HTTP_RBAC_TYPE = 'envoy.extensions.filters.http.rbac.v3.RBAC';
export const NETWORK_RBAC_FILTER = 'envoy.filters.network.rbac';
export const NETWORK_RBAC_TYPE = 'envoy.extensions.filters.network.rbac.v3.RBAC';

// What this proxy accepts of the RBAC messages (see supported-fields.ts).
const HTTP_RBAC = fieldTable<Rbac__Output>(HTTP_RBAC_TYPE, {
  implemented: ['rules', 'shadowRules', 'rulesStatPrefix', 'shadowRulesStatPrefix'],
  // Per-policy counters (http.<prefix>.rbac.policy.<name>.*): stats only; the filter-level counters are kept.
  noEffect: ['trackPerRuleStats'],
});
const NETWORK_RBAC = fieldTable<NetworkRbac__Output>(NETWORK_RBAC_TYPE, {
  // enforcementType: both values are implemented by deciding once, when the connection is handed to the
  // chain: nothing the rules can look at changes during a connection's life here.
  implemented: ['rules', 'shadowRules', 'statPrefix', 'shadowRulesStatPrefix', 'enforcementType'],
});
const RULES = fieldTable<RbacRules__Output>('envoy.config.rbac.v3.RBAC', { implemented: ['action', 'policies'] });
const POLICY = fieldTable<RbacPolicy__Output>('envoy.config.rbac.v3.Policy', { implemented: ['permissions', 'principals'] });
const PERMISSION = fieldTable<RbacPermission__Output>('envoy.config.rbac.v3.Permission', {
  implemented: ['andRules', 'orRules', 'any', 'header', 'urlPath', 'destinationIp', 'destinationPort', 'destinationPortRange', 'metadata', 'notRule', 'requestedServerName'],
});
const PRINCIPAL = fieldTable<RbacPrincipal__Output>('envoy.config.rbac.v3.Principal', {
  implemented: ['andIds', 'orIds', 'any', 'authenticated', 'sourceIp', 'directRemoteIp', 'remoteIp', 'header', 'urlPath', 'metadata', 'notId'],
});
type PermissionSet = NonNullable<RbacPermission__Output['andRules']>;
type PrincipalSet = NonNullable<RbacPrincipal__Output['andIds']>;
type Authenticated = NonNullable<RbacPrincipal__Output['authenticated']>;
type PathSegment = NonNullable<MetadataMatcher__Output['path']>[number];
const PERMISSION_SET = fieldTable<PermissionSet>('envoy.config.rbac.v3.Permission.Set', { implemented: ['rules'] });
const PRINCIPAL_SET = fieldTable<PrincipalSet>('envoy.config.rbac.v3.Principal.Set', { implemented: ['ids'] });
const AUTHENTICATED = fieldTable<Authenticated>('envoy.config.rbac.v3.Principal.Authenticated', { implemented: ['principalName'] });
const CIDR_RANGE = fieldTable<CidrRange__Output>('envoy.config.core.v3.CidrRange', { implemented: ['addressPrefix', 'prefixLen'] });
const INT32_RANGE = fieldTable<Int32Range__Output>('envoy.type.v3.Int32Range', { implemented: ['start', 'end'] });
const PATH_MATCHER = fieldTable<PathMatcher__Output>('envoy.type.matcher.v3.PathMatcher', { implemented: ['path'] });
const METADATA_MATCHER = fieldTable<MetadataMatcher__Output>('envoy.type.matcher.v3.MetadataMatcher', { implemented: ['filter', 'path', 'value', 'invert'] });
const PATH_SEGMENT = fieldTable<PathSegment>('envoy.type.matcher.v3.MetadataMatcher.PathSegment', { implemented: ['key'] });
const VALUE_MATCHER = fieldTable<ValueMatcher__Output>('envoy.type.matcher.v3.ValueMatcher', {
  implemented: ['nullMatch', 'stringMatch', 'boolMatch', 'presentMatch', 'listMatch'],
});
const LIST_MATCHER = fieldTable<ListMatcher__Output>('envoy.type.matcher.v3.ListMatcher', { implemented: ['oneOf'] });

/** The identity of a downstream connection's peer, from its verified client certificate. */
export interface PeerIdentity {
  readonly uriSans: readonly string[];
  readonly dnsSans: readonly string[];
  readonly subject: string;
}

/** What RBAC rules look at, for one request (HTTP) or one connection (network filter). */
export interface RbacContext {
  /** The request's pseudo-headers and headers; undefined in a network filter. */
  readonly request: RequestHead | undefined;
  /** The path without query and fragment; undefined in a network filter. */
  readonly urlPath: string | undefined;
  /** The peer of the TCP connection. */
  readonly directRemoteIp: string;
  /** The client as the connection manager trusts it (use_remote_address, X-Forwarded-For). */
  readonly remoteIp: string;
  readonly destinationIp: string;
  readonly destinationPort: number;
  /** The TLS SNI, '' when none. */
  readonly serverName: string;
  /** The verified client certificate's identity; undefined on plaintext or without a client certificate. */
  readonly peer: PeerIdentity | undefined;
  /** Dynamic metadata of a filter namespace (e.g. istio_authn); undefined when no filter set any. */
  metadata(filter: string): Record<string, unknown> | undefined;
}

export type RbacPredicate = (c: RbacContext) => boolean;

export type RbacAction = 'ALLOW' | 'DENY' | 'LOG';

export interface CompiledPolicy {
  readonly name: string;
  readonly matches: RbacPredicate;
}

/** One envoy.config.rbac.v3.RBAC: an action and its policies (in name order, as Envoy's map gives no order). */
export interface CompiledRules {
  readonly action: RbacAction;
  readonly policies: readonly CompiledPolicy[];
}

/** An RBAC filter (HTTP or network) compiled. */
export interface RbacFilterConfig {
  /** Enforced rules; undefined: the filter enforces nothing (Envoy: rules absent). */
  readonly rules: CompiledRules | undefined;
  /** Evaluated and counted only. */
  readonly shadowRules: CompiledRules | undefined;
  /** HTTP: rules_stat_prefix (under the HCM's `http.<prefix>.`); network: `<stat_prefix>.` (the counters are `<this>rbac.*`). */
  readonly statPrefix: string;
  readonly shadowStatPrefix: string;
  /** shadow_rules_stat_prefix as is: the prefix of the shadow engine's dynamic metadata keys. */
  readonly shadowMetadataPrefix: string;
}

const MAX_DEPTH = 32;

function compileCidr(c: CidrRange__Output | undefined, path: string): (ip: string) => boolean {
  checkFields(c, CIDR_RANGE, path);
  const prefix = c?.addressPrefix ?? '';
  const family = isIPv4(prefix) ? 'ipv4' : isIPv6(prefix) ? 'ipv6' : undefined;
  if (family === undefined) invalid(`${path}.addressPrefix`, `must be an IP address, got ${JSON.stringify(prefix)}`);
  // Also a bare number, as hand-written static configs give it.
  const raw: unknown = c?.prefixLen;
  const len = typeof raw === 'number' ? raw : wrapped(c?.prefixLen, 0);
  const max = family === 'ipv4' ? 32 : 128;
  if (!(Number.isInteger(len) && len >= 0 && len <= max)) invalid(`${path}.prefixLen`, `must be 0..${max} for ${prefix}, got ${len}`);
  const list = new BlockList();
  list.addSubnet(prefix, len, family);
  return (ip) => {
    if (ip === '') return false;
    // Envoy compares an address with a range of its own family only.
    const f = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined;
    if (f !== family) return false;
    return list.check(ip, f);
  };
}

function compilePathMatcher(m: PathMatcher__Output | undefined, path: string): RbacPredicate {
  checkFields(m, PATH_MATCHER, path);
  if (!m?.path) invalid(`${path}.path`, 'a path matcher needs a string matcher');
  const s = new StringMatcher(m.path, `${path}.path`);
  // Only requests have a path: in a network filter it never matches (as Envoy).
  return (c) => c.urlPath !== undefined && s.matches(c.urlPath);
}

function compileHeader(h: RbacPermission__Output['header'], path: string): RbacPredicate {
  const m = new HeaderMatcher(h!, path);
  return (c) => c.request !== undefined && m.matches(c.request);
}

type ValuePredicate = (v: unknown) => boolean;

function compileValueMatcher(v: ValueMatcher__Output | undefined, path: string, depth: number): ValuePredicate {
  if (depth > MAX_DEPTH) invalid(path, `nests more than ${MAX_DEPTH} levels`);
  checkFields(v, VALUE_MATCHER, path);
  if (!v) invalid(path, 'a metadata matcher needs a value matcher');
  if (v.nullMatch !== undefined) return (x) => x === null;
  if (v.stringMatch !== undefined) {
    const s = new StringMatcher(v.stringMatch, `${path}.stringMatch`);
    return (x) => typeof x === 'string' && s.matches(x);
  }
  if (v.boolMatch !== undefined) {
    const b = v.boolMatch;
    return (x) => x === b;
  }
  if (v.presentMatch !== undefined) {
    const want = v.presentMatch;
    return (x) => (x !== undefined) === want;
  }
  if (v.listMatch !== undefined) {
    checkFields(v.listMatch, LIST_MATCHER, `${path}.listMatch`);
    if (!v.listMatch.oneOf) invalid(`${path}.listMatch.oneOf`, 'a list matcher needs oneOf');
    const inner = compileValueMatcher(v.listMatch.oneOf, `${path}.listMatch.oneOf`, depth + 1);
    return (x) => Array.isArray(x) && x.some(inner);
  }
  invalid(path, 'a value matcher needs one of nullMatch, stringMatch, boolMatch, presentMatch, listMatch');
}

/** Dynamic metadata by filter namespace (what jwt_authn or an RBAC shadow engine wrote). */
export type MetadataLookup = (filter: string) => Record<string, unknown> | undefined;

function compileMetadata(m: MetadataMatcher__Output | undefined, path: string): RbacPredicate {
  const matches = compileMetadataMatcher(m, path);
  return (c) => matches((f) => c.metadata(f));
}

/** A MetadataMatcher (as RBAC and ext_authz's filter_enabled_metadata use it) over a request's dynamic metadata. */
export function compileMetadataMatcher(m: MetadataMatcher__Output | undefined, path: string): (lookup: MetadataLookup) => boolean {
  checkFields(m, METADATA_MATCHER, path);
  if (!m?.filter) invalid(`${path}.filter`, 'a metadata matcher needs a filter name');
  const keys = (m.path ?? []).map((s, i) => {
    checkFields(s, PATH_SEGMENT, `${path}.path[${i}]`);
    if (!s.key) invalid(`${path}.path[${i}].key`, 'must not be empty');
    return s.key;
  });
  if (keys.length === 0) invalid(`${path}.path`, 'a metadata matcher needs a path');
  const value = compileValueMatcher(m.value, `${path}.value`, 0);
  const filter = m.filter;
  const invert = m.invert === true;
  return (lookup) => {
    let v: unknown = lookup(filter);
    for (const k of keys) v = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined;
    return value(v) !== invert;
  };
}

function compileDestinationPortRange(r: Int32Range__Output | undefined, path: string): RbacPredicate {
  checkFields(r, INT32_RANGE, path);
  const start = Number(r?.start ?? 0);
  const end = Number(r?.end ?? 0);
  if (!(start <= end)) invalid(path, `start (${start}) must not be after end (${end})`);
  // Int32Range is half-open: [start, end).
  return (c) => c.destinationPort >= start && c.destinationPort < end;
}

function every(ps: RbacPredicate[]): RbacPredicate {
  if (ps.length === 1) return ps[0];
  return (c) => {
    for (let i = 0; i < ps.length; i++) if (!ps[i](c)) return false;
    return true;
  };
}

function some(ps: RbacPredicate[]): RbacPredicate {
  if (ps.length === 1) return ps[0];
  return (c) => {
    for (let i = 0; i < ps.length; i++) if (ps[i](c)) return true;
    return false;
  };
}

export function compilePermission(p: RbacPermission__Output | undefined, path: string, depth = 0): RbacPredicate {
  if (depth > MAX_DEPTH) invalid(path, `nests more than ${MAX_DEPTH} levels`);
  if (!p || typeof p !== 'object') invalid(path, 'expected a Permission');
  checkFields(p, PERMISSION, path);
  const set = (s: PermissionSet, sp: string) => {
    checkFields(s, PERMISSION_SET, sp);
    const rules = s.rules ?? [];
    if (rules.length === 0) invalid(`${sp}.rules`, 'needs at least one rule');
    return rules.map((r, i) => compilePermission(r, `${sp}.rules[${i}]`, depth + 1));
  };
  if (p.andRules) return every(set(p.andRules, `${path}.andRules`));
  if (p.orRules) return some(set(p.orRules, `${path}.orRules`));
  if (p.any === true) return () => true;
  if (p.header) return compileHeader(p.header, `${path}.header`);
  if (p.urlPath) return compilePathMatcher(p.urlPath, `${path}.urlPath`);
  if (p.destinationIp) {
    const m = compileCidr(p.destinationIp, `${path}.destinationIp`);
    return (c) => m(c.destinationIp);
  }
  if (p.destinationPort !== undefined) {
    const port = Number(p.destinationPort);
    if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) invalid(`${path}.destinationPort`, `must be a port, got ${p.destinationPort}`);
    return (c) => c.destinationPort === port;
  }
  if (p.destinationPortRange) return compileDestinationPortRange(p.destinationPortRange, `${path}.destinationPortRange`);
  if (p.metadata) return compileMetadata(p.metadata, `${path}.metadata`);
  if (p.notRule) {
    const inner = compilePermission(p.notRule, `${path}.notRule`, depth + 1);
    return (c) => !inner(c);
  }
  if (p.requestedServerName) {
    const s = new StringMatcher(p.requestedServerName, `${path}.requestedServerName`);
    return (c) => s.matches(c.serverName);
  }
  // `any: false` or nothing set: Envoy refuses a permission without a rule.
  invalid(path, 'a permission needs a rule (andRules, orRules, any, header, urlPath, destinationIp, destinationPort, destinationPortRange, metadata, notRule, requestedServerName)');
}

function compileAuthenticated(a: Authenticated, path: string): RbacPredicate {
  checkFields(a, AUTHENTICATED, path);
  if (!a.principalName) return (c) => c.peer !== undefined;
  const s = new StringMatcher(a.principalName, `${path}.principalName`);
  // Envoy: the URI SANs, else the DNS SANs, else the subject.
  return (c) => {
    const peer = c.peer;
    if (peer === undefined) return false;
    if (peer.uriSans.length > 0) return peer.uriSans.some((u) => s.matches(u));
    if (peer.dnsSans.length > 0) return peer.dnsSans.some((d) => s.matches(d));
    return s.matches(peer.subject);
  };
}

export function compilePrincipal(p: RbacPrincipal__Output | undefined, path: string, depth = 0): RbacPredicate {
  if (depth > MAX_DEPTH) invalid(path, `nests more than ${MAX_DEPTH} levels`);
  if (!p || typeof p !== 'object') invalid(path, 'expected a Principal');
  checkFields(p, PRINCIPAL, path);
  const set = (s: PrincipalSet, sp: string) => {
    checkFields(s, PRINCIPAL_SET, sp);
    const ids = s.ids ?? [];
    if (ids.length === 0) invalid(`${sp}.ids`, 'needs at least one id');
    return ids.map((r, i) => compilePrincipal(r, `${sp}.ids[${i}]`, depth + 1));
  };
  if (p.andIds) return every(set(p.andIds, `${path}.andIds`));
  if (p.orIds) return some(set(p.orIds, `${path}.orIds`));
  if (p.any === true) return () => true;
  if (p.authenticated) return compileAuthenticated(p.authenticated, `${path}.authenticated`);
  if (p.sourceIp) {
    // Deprecated in Envoy for direct_remote_ip, which it means.
    const m = compileCidr(p.sourceIp, `${path}.sourceIp`);
    return (c) => m(c.directRemoteIp);
  }
  if (p.directRemoteIp) {
    const m = compileCidr(p.directRemoteIp, `${path}.directRemoteIp`);
    return (c) => m(c.directRemoteIp);
  }
  if (p.remoteIp) {
    const m = compileCidr(p.remoteIp, `${path}.remoteIp`);
    return (c) => m(c.remoteIp);
  }
  if (p.header) return compileHeader(p.header, `${path}.header`);
  if (p.urlPath) return compilePathMatcher(p.urlPath, `${path}.urlPath`);
  if (p.metadata) return compileMetadata(p.metadata, `${path}.metadata`);
  if (p.notId) {
    const inner = compilePrincipal(p.notId, `${path}.notId`, depth + 1);
    return (c) => !inner(c);
  }
  invalid(path, 'a principal needs an identifier (andIds, orIds, any, authenticated, directRemoteIp, remoteIp, header, urlPath, metadata, notId)');
}

function compilePolicy(name: string, p: RbacPolicy__Output, path: string): CompiledPolicy {
  checkFields(p, POLICY, path);
  const permissions = p.permissions ?? [];
  const principals = p.principals ?? [];
  // Envoy's validation: a policy needs at least one of each.
  if (permissions.length === 0) invalid(`${path}.permissions`, 'a policy needs at least one permission');
  if (principals.length === 0) invalid(`${path}.principals`, 'a policy needs at least one principal');
  const perm = some(permissions.map((x, i) => compilePermission(x, `${path}.permissions[${i}]`)));
  const prin = some(principals.map((x, i) => compilePrincipal(x, `${path}.principals[${i}]`)));
  return { name, matches: (c) => perm(c) && prin(c) };
}

const ACTIONS: Record<string, RbacAction> = { ALLOW: 'ALLOW', DENY: 'DENY', LOG: 'LOG', '0': 'ALLOW', '1': 'DENY', '2': 'LOG' };

export function compileRules(r: RbacRules__Output | undefined, path: string): CompiledRules | undefined {
  if (r === undefined || r === null) return undefined;
  checkFields(r, RULES, path);
  const action = ACTIONS[String(r.action ?? 'ALLOW')];
  if (action === undefined) invalid(`${path}.action`, `must be ALLOW, DENY or LOG, got ${JSON.stringify(r.action)}`);
  const policies = Object.keys(r.policies ?? {})
    .sort()
    .map((name) => compilePolicy(name, r.policies![name], `${path}.policies[${JSON.stringify(name)}]`));
  return { action, policies };
}

/** envoy.extensions.filters.http.rbac.v3.RBAC. */
export function compileHttpRbac(config: Rbac__Output, path: string): RbacFilterConfig {
  checkFields(config, HTTP_RBAC, path);
  return {
    rules: compileRules(config.rules, `${path}.rules`),
    shadowRules: compileRules(config.shadowRules, `${path}.shadowRules`),
    statPrefix: config.rulesStatPrefix ?? '',
    shadowStatPrefix: config.shadowRulesStatPrefix ?? '',
    shadowMetadataPrefix: config.shadowRulesStatPrefix ?? '',
  };
}

/** envoy.extensions.filters.network.rbac.v3.RBAC. */
export function compileNetworkRbac(config: NetworkRbac__Output, path: string): RbacFilterConfig {
  checkFields(config, NETWORK_RBAC, path);
  if (!config.statPrefix) invalid(`${path}.statPrefix`, 'the network RBAC filter needs a stat_prefix');
  const enforcement = String(config.enforcementType ?? 'ONE_TIME_ON_FIRST_BYTE');
  if (!['ONE_TIME_ON_FIRST_BYTE', 'CONTINUOUS', '0', '1'].includes(enforcement)) invalid(`${path}.enforcementType`, `unknown enforcement type ${enforcement}`);
  // Counters are `<stat_prefix>.rbac.*` (Istio's prefix `tcp.` already ends with the dot: `tcp.rbac.*`).
  const root = config.statPrefix.endsWith('.') ? config.statPrefix : `${config.statPrefix}.`;
  return {
    rules: compileRules(config.rules, `${path}.rules`),
    shadowRules: compileRules(config.shadowRules, `${path}.shadowRules`),
    statPrefix: root,
    shadowStatPrefix: `${root}${config.shadowRulesStatPrefix ?? ''}`,
    shadowMetadataPrefix: config.shadowRulesStatPrefix ?? '',
  };
}
