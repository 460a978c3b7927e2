// An Envoy Listener compiled: the address to bind (or, with bind_to_port
// false, the address connections are handed to by a use_original_dst
// listener), its listener filters (original_dst, tls_inspector,
// http_inspector) and their timeout, and EVERY filter chain with its
// FilterChainMatch (listener/filter-chain-match.ts picks one per connection,
// as Envoy does). A chain whose transport socket is envoy.transport_sockets.tls
// terminates TLS with its DownstreamTlsContext (config/tls-config.ts,
// listener/downstream-tls.ts); a chain without one (or raw_buffer) serves
// plaintext, including TLS routed by SNI to a tcp_proxy (passthrough).
import type {
  Address__Output,
  ApiListener__Output,
  Filter__Output,
  FilterChain__Output,
  FilterChainMatch__Output,
  Listener__Output,
  ListenerFilter__Output,
  SocketAddress__Output,
  TcpProxy__Output,
  TcpProxyClusterWeight__Output,
  TcpProxyWeightedCluster__Output,
  TlsInspector__Output,
} from '@mesh/xds';
import { HCM_FILTER, HCM_TYPE, HcmConfig } from './hcm-config.ts';
import { compileNetworkRbac, NETWORK_RBAC_FILTER, NETWORK_RBAC_TYPE, type RbacFilterConfig } from './rbac-config.ts';
import { compileNetworkExtAuthz, NETWORK_EXT_AUTHZ_FILTER, NETWORK_EXT_AUTHZ_TYPE, type NetworkExtAuthzConfig } from './ext-authz-config.ts';
import { anyTypeName, durationMs, invalid, unpackAs, wrapped, type AnyLike } from './proto-values.ts';
import type { CompileOptions } from './route-table.ts';
import { checkEach, checkFields, fieldTable } from './supported-fields.ts';
import { checkDistinct, compileChainMatch, type ChainMatch } from '../listener/filter-chain-match.ts';
import { compileDownstreamTransportSocket, type DownstreamTlsSpec } from './tls-config.ts';

const TCP_PROXY_FILTER = 'envoy.filters.network.tcp_proxy';
const TCP_PROXY_TYPE = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
/** Network filters with no effect on where traffic goes or who may pass (telemetry): accepted and skipped. */
const PASSIVE_NETWORK_FILTERS = new Set(['istio.stats', 'istio.metadata_exchange', 'envoy.filters.network.metadata_exchange']);
/** Envoy's default per_connection_buffer_limit_bytes: 1 MiB. */
export const DEFAULT_CONNECTION_BUFFER_LIMIT = 1_048_576;
/** Envoy's default listener_filters_timeout: 15 s. */
export const DEFAULT_LISTENER_FILTERS_TIMEOUT_MS = 15_000;

const LISTENER_FILTER_TYPES = {
  'envoy.extensions.filters.listener.original_dst.v3.OriginalDst': 'originalDst',
  'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector': 'tlsInspector',
  'envoy.extensions.filters.listener.http_inspector.v3.HttpInspector': 'httpInspector',
} as const;
const LISTENER_FILTER_NAMES = {
  'envoy.filters.listener.original_dst': 'originalDst',
  'envoy.filters.listener.tls_inspector': 'tlsInspector',
  'envoy.filters.listener.http_inspector': 'httpInspector',
} as const;
type ListenerFilterKind = (typeof LISTENER_FILTER_TYPES)[keyof typeof LISTENER_FILTER_TYPES];

export interface TcpProxySpec {
  readonly statPrefix: string;
  readonly cluster: string | undefined;
  readonly weighted: Array<{ name: string; weight: number }> | undefined;
  readonly idleTimeoutMs: number;
  /** The chain's envoy.filters.network.rbac filters before the TCP proxy, in order: decided before anything is opened upstream. */
  readonly rbac?: readonly RbacFilterConfig[];
  /** The chain's authorization filters (network RBAC and ext_authz) in their configured order; when set, run instead of `rbac`. */
  readonly authz?: readonly NetworkAuthzStep[];
}

/** One network authorization filter in front of the TCP proxy. */
export type NetworkAuthzStep = { readonly kind: 'rbac'; readonly config: RbacFilterConfig } | { readonly kind: 'extAuthz'; readonly config: NetworkExtAuthzConfig };

export interface FilterChainSpec {
  /** Where the chain is in the Listener: `filterChains[i]` or `defaultFilterChain`. */
  readonly path: string;
  /** The chain's name, else its path. */
  readonly name: string;
  readonly match: ChainMatch;
  readonly kind: 'http' | 'tcp';
  readonly hcm: HcmConfig | undefined;
  readonly tcp: TcpProxySpec | undefined;
  /** The DownstreamTlsContext of a chain that terminates TLS; undefined for plaintext. */
  readonly tls: DownstreamTlsSpec | undefined;
  /** Why the chain is not served; undefined when it is served (every chain that compiles is served today). */
  readonly unserved: string | undefined;
  /** The chain's content: a chain whose key is unchanged across an update keeps its connections and server. */
  readonly key: string;
}

/** Which listener filters run, and when each is disabled (filter_disabled, by destination port). */
export interface ListenerFiltersSpec {
  readonly originalDst: boolean;
  readonly tlsInspector: boolean;
  readonly httpInspector: boolean;
  readonly disabled: { readonly [K in ListenerFilterKind]?: (destinationPort: number) => boolean };
}

export interface ListenerSpec {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly bindToPort: boolean;
  /** Envoy's per_connection_buffer_limit_bytes: how much a connection may buffer each way (default 1 MiB). */
  readonly perConnectionBufferLimitBytes: number;
  /** Hand redirected connections to the listener of their original destination (Envoy's use_original_dst). */
  readonly useOriginalDst: boolean;
  readonly listenerFilters: ListenerFiltersSpec;
  /** 0: no timeout. */
  readonly listenerFiltersTimeoutMs: number;
  readonly continueOnListenerFiltersTimeout: boolean;
  readonly chains: readonly FilterChainSpec[];
  readonly defaultChain: FilterChainSpec | undefined;
  /** Envoy's listener stat prefix: `listener.<this>.` (stat_prefix, else the address as ip_port). */
  readonly statPrefix: string;
  /** 'http'/'tcp' when every served chain is of that kind; 'mixed' otherwise; 'none' when nothing is served. */
  readonly kind: 'http' | 'tcp' | 'mixed' | 'none';
  /** The first served HTTP chain's HCM (config_dump, inline route gaps): see `chains` for all of them. */
  readonly hcm: HcmConfig | undefined;
  /** The first served TCP chain's proxy. */
  readonly tcp: TcpProxySpec | undefined;
  /** Why filter chains are not served, for logs and config_dump. */
  readonly skipped: string[];
}

// What this proxy accepts of a Listener (see supported-fields.ts).

const LISTENER = fieldTable<Listener__Output>('envoy.config.listener.v3.Listener', {
  implemented: [
    'name',
    'address',
    'filterChains',
    'defaultFilterChain',
    'bindToPort',
    'apiListener',
    'perConnectionBufferLimitBytes',
    'useOriginalDst',
    'listenerFilters',
    'listenerFiltersTimeout',
    'continueOnListenerFiltersTimeout',
    'statPrefix',
  ],
  noEffect: [
    'metadata',
    // INBOUND/OUTBOUND: a hint for tracing and stats.
    'trafficDirection',
  ],
});
const API_LISTENER = fieldTable<ApiListener__Output>('envoy.config.listener.v3.ApiListener', { implemented: ['apiListener'] });
const ADDRESS = fieldTable<Address__Output>('envoy.config.core.v3.Address', { implemented: ['socketAddress'] });
const SOCKET_ADDRESS = fieldTable<SocketAddress__Output>('envoy.config.core.v3.SocketAddress', { implemented: ['address', 'portValue', 'protocol'] });
const FILTER_CHAIN = fieldTable<FilterChain__Output>('envoy.config.listener.v3.FilterChain', {
  implemented: ['filterChainMatch', 'filters', 'transportSocket', 'transportSocketConnectTimeout'],
  noEffect: ['name', 'metadata'],
});
const FILTER_CHAIN_MATCH = fieldTable<FilterChainMatch__Output>('envoy.config.listener.v3.FilterChainMatch', {
  implemented: [
    'destinationPort',
    'prefixRanges',
    'serverNames',
    'transportProtocol',
    'applicationProtocols',
    'directSourcePrefixRanges',
    'sourceType',
    'sourcePrefixRanges',
    'sourcePorts',
  ],
});
type CidrRangeOutput = NonNullable<FilterChainMatch__Output['prefixRanges']>[number];
const CIDR_RANGE = fieldTable<CidrRangeOutput>('envoy.config.core.v3.CidrRange', { implemented: ['addressPrefix', 'prefixLen'] });
const LISTENER_FILTER = fieldTable<ListenerFilter__Output>('envoy.config.listener.v3.ListenerFilter', { implemented: ['name', 'typedConfig', 'filterDisabled'] });
type Predicate = NonNullable<ListenerFilter__Output['filterDisabled']>;
type PredicateSet = NonNullable<Predicate['orMatch']>;
type PortRange = NonNullable<Predicate['destinationPortRange']>;
const PREDICATE = fieldTable<Predicate>('envoy.config.listener.v3.ListenerFilterChainMatchPredicate', {
  implemented: ['orMatch', 'andMatch', 'notMatch', 'anyMatch', 'destinationPortRange'],
});
const PREDICATE_SET = fieldTable<PredicateSet>('envoy.config.listener.v3.ListenerFilterChainMatchPredicate.MatchSet', { implemented: ['rules'] });
const PORT_RANGE = fieldTable<PortRange>('envoy.type.v3.Int32Range', { implemented: ['start', 'end'] });
const TLS_INSPECTOR = fieldTable<TlsInspector__Output>('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector', {
  implemented: [],
  // The size of the first read: this proxy reads what the socket delivers, up to the 64 KiB ClientHello bound either way.
  noEffect: ['initialReadBufferSize'],
});
const NETWORK_FILTER = fieldTable<Filter__Output>('envoy.config.listener.v3.Filter', { implemented: ['name', 'typedConfig'] });
const TCP_PROXY = fieldTable<TcpProxy__Output>('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', {
  implemented: ['statPrefix', 'cluster', 'weightedClusters', 'idleTimeout'],
});
const TCP_WEIGHTED = fieldTable<TcpProxyWeightedCluster__Output>('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster', { implemented: ['clusters'] });
const TCP_CLUSTER_WEIGHT = fieldTable<TcpProxyClusterWeight__Output>('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster.ClusterWeight', {
  implemented: ['name', 'weight'],
});

/** Which network filter this is: by its typed config's type when it has one (as Envoy selects), else by name. */
function networkFilterKind(f: Filter__Output): 'hcm' | 'tcp' | 'rbac' | 'extAuthz' | 'passive' | undefined {
  const type = anyTypeName(f.typedConfig);
  if (type) {
    if (type === NETWORK_EXT_AUTHZ_TYPE) return 'extAuthz';
    return type === HCM_TYPE ? 'hcm' : type === TCP_PROXY_TYPE ? 'tcp' : type === NETWORK_RBAC_TYPE ? 'rbac' : PASSIVE_NETWORK_FILTERS.has(f.name ?? '') ? 'passive' : undefined;
  }
  if (f.name === HCM_FILTER) return 'hcm';
  if (f.name === TCP_PROXY_FILTER) return 'tcp';
  if (f.name === NETWORK_RBAC_FILTER) return 'rbac';
  if (f.name === NETWORK_EXT_AUTHZ_FILTER) return 'extAuthz';
  return PASSIVE_NETWORK_FILTERS.has(f.name ?? '') ? 'passive' : undefined;
}

function compilePredicate(p: Predicate, path: string, depth = 0): (port: number) => boolean {
  if (depth > 16) invalid(path, 'filter_disabled nests more than 16 levels');
  checkFields(p, PREDICATE, path);
  const set = (s: PredicateSet, sp: string) => {
    checkFields(s, PREDICATE_SET, sp);
    const rules = s.rules ?? [];
    if (rules.length < 2) invalid(`${sp}.rules`, 'needs at least two rules');
    return rules.map((r, i) => compilePredicate(r, `${sp}.rules[${i}]`, depth + 1));
  };
  if (p.orMatch) {
    const rules = set(p.orMatch, `${path}.orMatch`);
    return (port) => rules.some((r) => r(port));
  }
  if (p.andMatch) {
    const rules = set(p.andMatch, `${path}.andMatch`);
    return (port) => rules.every((r) => r(port));
  }
  if (p.notMatch) {
    const inner = compilePredicate(p.notMatch, `${path}.notMatch`, depth + 1);
    return (port) => !inner(port);
  }
  if (p.anyMatch === true) return () => true;
  if (p.destinationPortRange) {
    checkFields(p.destinationPortRange, PORT_RANGE, `${path}.destinationPortRange`);
    const start = Number(p.destinationPortRange.start ?? 0);
    const end = Number(p.destinationPortRange.end ?? 0);
    if (!(start <= end)) invalid(`${path}.destinationPortRange`, `start (${start}) must not be after end (${end})`);
    // Int32Range is half-open: [start, end).
    return (port) => port >= start && port < end;
  }
  invalid(path, 'a match predicate needs one of orMatch, andMatch, notMatch, anyMatch, destinationPortRange');
}

function compileListenerFilters(filters: ListenerFilter__Output[] | undefined, path: string): ListenerFiltersSpec {
  const on: { [K in ListenerFilterKind]: boolean } = { originalDst: false, tlsInspector: false, httpInspector: false };
  const disabled: { [K in ListenerFilterKind]?: (port: number) => boolean } = {};
  (filters ?? []).forEach((f, i) => {
    const fp = `${path}[${i}]`;
    checkFields(f, LISTENER_FILTER, fp);
    const type = anyTypeName(f.typedConfig);
    const kind: ListenerFilterKind | undefined = type
      ? LISTENER_FILTER_TYPES[type as keyof typeof LISTENER_FILTER_TYPES]
      : LISTENER_FILTER_NAMES[(f.name ?? '') as keyof typeof LISTENER_FILTER_NAMES];
    if (kind === undefined) invalid(fp, `unsupported listener filter ${f.name}${type ? ` (${type})` : ''}; supported: original_dst, tls_inspector, http_inspector`);
    if (on[kind]) invalid(fp, `listener filter ${f.name} appears twice`);
    on[kind] = true;
    if (kind === 'tlsInspector' && f.typedConfig && (f.typedConfig as AnyLike)['@type'] !== undefined) {
      const cfg = f.typedConfig as unknown as TlsInspector__Output;
      checkFields(cfg, TLS_INSPECTOR, `${fp}.typedConfig`);
      const size = wrapped(cfg.initialReadBufferSize, 65_536);
      if (!(size > 255 && size < 65_537)) invalid(`${fp}.typedConfig.initialReadBufferSize`, `must be in 256..65536, got ${size}`);
    } else if (f.typedConfig && (f.typedConfig as AnyLike)['@type'] !== undefined) {
      // OriginalDst and HttpInspector have no fields: anything else in them is refused.
      for (const key of Object.keys(f.typedConfig)) {
        if (key !== '@type' && (f.typedConfig as Record<string, unknown>)[key] !== undefined) invalid(`${fp}.typedConfig`, `field ${key} is not supported by this proxy`);
      }
    }
    if (f.filterDisabled) disabled[kind] = compilePredicate(f.filterDisabled, `${fp}.filterDisabled`);
  });
  return { ...on, disabled };
}

function compileChain(chain: FilterChain__Output, p: string, options: CompileOptions): FilterChainSpec {
  checkFields(chain, FILTER_CHAIN, p);
  const mp = `${p}.filterChainMatch`;
  checkFields(chain.filterChainMatch, FILTER_CHAIN_MATCH, mp);
  checkEach(chain.filterChainMatch?.prefixRanges, CIDR_RANGE, `${mp}.prefixRanges`);
  checkEach(chain.filterChainMatch?.sourcePrefixRanges, CIDR_RANGE, `${mp}.sourcePrefixRanges`);
  checkEach(chain.filterChainMatch?.directSourcePrefixRanges, CIDR_RANGE, `${mp}.directSourcePrefixRanges`);
  const match = compileChainMatch(chain.filterChainMatch, mp);
  const filters = chain.filters ?? [];
  if (filters.length === 0) invalid(`${p}.filters`, 'a filter chain needs at least one filter');
  let hcm: HcmConfig | undefined;
  let tcp: TcpProxySpec | undefined;
  const rbac: RbacFilterConfig[] = [];
  const authz: NetworkAuthzStep[] = [];
  filters.forEach((f, fi) => {
    const fp = `${p}.filters[${fi}]`;
    checkFields(f, NETWORK_FILTER, fp);
    const kind = networkFilterKind(f);
    if (kind === 'rbac') {
      if (hcm || tcp) invalid(fp, 'the network RBAC filter must come before the HTTP connection manager or TCP proxy');
      const config = unpackAs(f.typedConfig, NETWORK_RBAC_TYPE);
      // Never read as "no rules" (which allows everything) a config that is missing or was not decoded.
      if (!config) invalid(`${fp}.typedConfig`, `the network RBAC filter needs its typed config (${NETWORK_RBAC_TYPE})`);
      const compiled = compileNetworkRbac(config, `${fp}.typedConfig`);
      rbac.push(compiled);
      authz.push({ kind: 'rbac', config: compiled });
    } else if (kind === 'extAuthz') {
      if (hcm || tcp) invalid(fp, 'the network ext_authz filter must come before the HTTP connection manager or TCP proxy');
      const config = unpackAs(f.typedConfig, NETWORK_EXT_AUTHZ_TYPE);
      // A missing or undecoded config would check nothing: never read it as "allow".
      if (!config) invalid(`${fp}.typedConfig`, `the network ext_authz filter needs its typed config (${NETWORK_EXT_AUTHZ_TYPE})`);
      authz.push({ kind: 'extAuthz', config: compileNetworkExtAuthz(config, `${fp}.typedConfig`) });
    } else if (kind === 'hcm') {
      const config = unpackAs(f.typedConfig, HCM_TYPE);
      if (!config) invalid(`${fp}.typedConfig`, 'the HTTP connection manager needs its typedConfig');
      hcm = new HcmConfig(config, `${fp}.typedConfig`, options);
    } else if (kind === 'tcp') {
      const config = unpackAs(f.typedConfig, TCP_PROXY_TYPE);
      if (!config) invalid(`${fp}.typedConfig`, 'the TCP proxy needs its typedConfig');
      tcp = compileTcpProxy(config, `${fp}.typedConfig`);
    } else if (kind !== 'passive') {
      const type = anyTypeName(f.typedConfig);
      invalid(fp, `unsupported network filter ${f.name}${type ? ` (${type})` : ''}`);
    }
  });
  if (!hcm && !tcp) invalid(`${p}.filters`, 'the last filter must be the HTTP connection manager or the TCP proxy');
  // Only the TCP proxy runs the network RBAC filters: in front of an HTTP connection manager they would not be enforced.
  if (hcm && rbac.length) invalid(`${p}.filters`, 'a network RBAC filter in front of the HTTP connection manager is not supported: use the HTTP RBAC filter (envoy.filters.http.rbac)');
  if (hcm && authz.length) invalid(`${p}.filters`, 'a network ext_authz filter in front of the HTTP connection manager is not supported: use the HTTP ext_authz filter (envoy.filters.http.ext_authz)');
  const tls = compileDownstreamTransportSocket(chain.transportSocket, `${p}.transportSocket`, chain.transportSocketConnectTimeout);
  return {
    path: p,
    name: chain.name || p,
    match,
    kind: hcm ? 'http' : 'tcp',
    hcm,
    tcp: hcm || !tcp ? undefined : { ...tcp, rbac, authz },
    tls,
    unserved: undefined,
    key: JSON.stringify(chain),
  };
}

export function compileListener(listener: Listener__Output, options: CompileOptions = {}): ListenerSpec {
  const name = listener?.name;
  if (!name) invalid('Listener', 'a listener needs a name');
  const path = `Listener ${name}`;
  checkFields(listener, LISTENER, path);
  const bufferLimit = wrapped(listener.perConnectionBufferLimitBytes, DEFAULT_CONNECTION_BUFFER_LIMIT);
  const noFilters: ListenerFiltersSpec = { originalDst: false, tlsInspector: false, httpInspector: false, disabled: {} };
  if (listener.apiListener) {
    checkFields(listener.apiListener, API_LISTENER, `${path}.apiListener`);
    // Proxyless gRPC's listeners: nothing to bind here.
    return {
      name,
      address: '',
      port: 0,
      bindToPort: false,
      perConnectionBufferLimitBytes: bufferLimit,
      useOriginalDst: false,
      listenerFilters: noFilters,
      listenerFiltersTimeoutMs: 0,
      continueOnListenerFiltersTimeout: false,
      chains: [],
      defaultChain: undefined,
      statPrefix: name,
      kind: 'none',
      hcm: undefined,
      tcp: undefined,
      skipped: ['api listener (proxyless gRPC)'],
    };
  }
  checkFields(listener.address, ADDRESS, `${path}.address`);
  const sa = listener.address?.socketAddress;
  if (!sa) invalid(`${path}.address.socketAddress`, 'a listener needs a socket address (pipes and internal listeners are not supported)');
  checkFields(sa, SOCKET_ADDRESS, `${path}.address.socketAddress`);
  if (sa.protocol === 'UDP') invalid(`${path}.address.socketAddress.protocol`, 'UDP listeners are not supported');
  const port = Number(sa.portValue ?? 0);
  if (!(port >= 0 && port < 65536)) invalid(`${path}.address.socketAddress.portValue`, `must be a port, got ${sa.portValue}`);
  const address = sa.address || '0.0.0.0';
  const listenerFilters = compileListenerFilters(listener.listenerFilters, `${path}.listenerFilters`);
  const chains = (listener.filterChains ?? []).map((c, i) => compileChain(c, `${path}.filterChains[${i}]`, options));
  const defaultChain = listener.defaultFilterChain ? compileChain(listener.defaultFilterChain, `${path}.defaultFilterChain`, options) : undefined;
  if (chains.length === 0 && !defaultChain) invalid(`${path}.filterChains`, 'a listener needs at least one filter chain');
  checkDistinct(chains, path);
  const all = defaultChain ? [...chains, defaultChain] : chains;
  const served = all.filter((c) => c.unserved === undefined);
  const skipped = all.flatMap((c) => (c.unserved === undefined ? [] : [c.unserved]));
  const kinds = new Set(served.map((c) => c.kind));
  const firstHttp = served.find((c) => c.kind === 'http');
  const firstTcp = served.find((c) => c.kind === 'tcp');
  return {
    name,
    address,
    port,
    bindToPort: wrapped(listener.bindToPort, true),
    perConnectionBufferLimitBytes: bufferLimit,
    useOriginalDst: wrapped(listener.useOriginalDst, false),
    listenerFilters,
    listenerFiltersTimeoutMs: durationMs(listener.listenerFiltersTimeout, `${path}.listenerFiltersTimeout`, DEFAULT_LISTENER_FILTERS_TIMEOUT_MS),
    continueOnListenerFiltersTimeout: listener.continueOnListenerFiltersTimeout === true,
    chains,
    defaultChain,
    // Envoy's stat name of an address: `0.0.0.0_15001`, `[__]_15001` (':' is not allowed in a stat name).
    statPrefix: listener.statPrefix || `${address.includes(':') ? `[${address.replaceAll(':', '_')}]` : address}_${port}`,
    kind: kinds.size === 0 ? 'none' : kinds.size === 2 ? 'mixed' : firstHttp ? 'http' : 'tcp',
    hcm: firstHttp?.hcm,
    tcp: firstTcp?.tcp,
    skipped,
  };
}

function compileTcpProxy(config: TcpProxy__Output, path: string): TcpProxySpec {
  checkFields(config, TCP_PROXY, path);
  checkFields(config.weightedClusters, TCP_WEIGHTED, `${path}.weightedClusters`);
  checkEach(config.weightedClusters?.clusters, TCP_CLUSTER_WEIGHT, `${path}.weightedClusters.clusters`);
  const weighted = config.weightedClusters?.clusters?.map((c, i) => {
    if (!c.name) invalid(`${path}.weightedClusters.clusters[${i}].name`, 'must not be empty');
    return { name: c.name, weight: Number(c.weight ?? 0) };
  });
  if (!config.cluster && !weighted) invalid(path, 'a TCP proxy needs cluster or weightedClusters');
  return {
    statPrefix: config.statPrefix || 'tcp',
    cluster: config.cluster || undefined,
    weighted,
    idleTimeoutMs: durationMs(config.idleTimeout, `${path}.idleTimeout`, 3_600_000),
  };
}
