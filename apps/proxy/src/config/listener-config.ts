// An Envoy Listener compiled: the address to bind and the one filter chain
// this proxy serves on it (HTTP connection manager or TCP proxy). Filter
// chains that need TLS termination or original-destination matching are
// skipped (reported in `skipped`), since plaintext is all this data plane
// terminates today.
import type {
  Address__Output,
  ApiListener__Output,
  Filter__Output,
  FilterChain__Output,
  FilterChainMatch__Output,
  Listener__Output,
  SocketAddress__Output,
  TcpProxy__Output,
  TcpProxyClusterWeight__Output,
  TcpProxyWeightedCluster__Output,
} from '@mesh/xds';
import { HCM_FILTER, HCM_TYPE, HcmConfig } from './hcm-config.ts';
import { anyTypeName, durationMs, invalid, unpackAs, wrapped } from './proto-values.ts';
import type { CompileOptions } from './route-table.ts';
import { checkEach, checkFields, fieldTable } from './supported-fields.ts';

const TCP_PROXY_FILTER = 'envoy.filters.network.tcp_proxy';
const TCP_PROXY_TYPE = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
/** Network filters with no effect on where traffic goes or who may pass (telemetry): accepted and skipped. */
const PASSIVE_NETWORK_FILTERS = new Set(['istio.stats', 'istio.metadata_exchange', 'envoy.filters.network.metadata_exchange']);
/** Envoy's default per_connection_buffer_limit_bytes: 1 MiB. */
export const DEFAULT_CONNECTION_BUFFER_LIMIT = 1_048_576;

export interface TcpProxySpec {
  readonly statPrefix: string;
  readonly cluster: string | undefined;
  readonly weighted: Array<{ name: string; weight: number }> | undefined;
  readonly idleTimeoutMs: number;
}

export interface ListenerSpec {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly bindToPort: boolean;
  /** Envoy's per_connection_buffer_limit_bytes: how much a connection may buffer each way (default 1 MiB). */
  readonly perConnectionBufferLimitBytes: number;
  readonly kind: 'http' | 'tcp' | 'none';
  readonly hcm: HcmConfig | undefined;
  readonly tcp: TcpProxySpec | undefined;
  /** Why filter chains were not served (TLS, SNI...), for logs and config_dump. */
  readonly skipped: string[];
}

// What this proxy accepts of a Listener (see supported-fields.ts).

const LISTENER = fieldTable<Listener__Output>('envoy.config.listener.v3.Listener', {
  implemented: ['name', 'address', 'filterChains', 'defaultFilterChain', 'bindToPort', 'apiListener', 'perConnectionBufferLimitBytes'],
  noEffect: [
    // Metadata and stat names.
    'metadata',
    'statPrefix',
    // INBOUND/OUTBOUND: a hint for tracing and stats.
    'trafficDirection',
  ],
});
const API_LISTENER = fieldTable<ApiListener__Output>('envoy.config.listener.v3.ApiListener', { implemented: ['apiListener'] });
const ADDRESS = fieldTable<Address__Output>('envoy.config.core.v3.Address', { implemented: ['socketAddress'] });
const SOCKET_ADDRESS = fieldTable<SocketAddress__Output>('envoy.config.core.v3.SocketAddress', { implemented: ['address', 'portValue', 'protocol'] });
const FILTER_CHAIN = fieldTable<FilterChain__Output>('envoy.config.listener.v3.FilterChain', {
  // A chain with a transport socket is not served (reported in ListenerSpec.skipped).
  implemented: ['filterChainMatch', 'filters', 'transportSocket'],
  noEffect: ['name', 'metadata'],
});
const FILTER_CHAIN_MATCH = fieldTable<FilterChainMatch__Output>('envoy.config.listener.v3.FilterChainMatch', {
  // A chain that matches on TLS or SNI, or on another original destination port, is not served (reported in skipped).
  implemented: ['destinationPort', 'serverNames', 'transportProtocol'],
});
const NETWORK_FILTER = fieldTable<Filter__Output>('envoy.config.listener.v3.Filter', { implemented: ['name', 'typedConfig'] });
const TCP_PROXY = fieldTable<TcpProxy__Output>('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', {
  implemented: ['statPrefix', 'cluster', 'weightedClusters', 'idleTimeout'],
});
const TCP_WEIGHTED = fieldTable<TcpProxyWeightedCluster__Output>('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster', { implemented: ['clusters'] });
const TCP_CLUSTER_WEIGHT = fieldTable<TcpProxyClusterWeight__Output>('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster.ClusterWeight', {
  implemented: ['name', 'weight'],
});

function needsTls(chain: FilterChain__Output): boolean {
  const m = chain.filterChainMatch ?? {};
  if (m.transportProtocol === 'tls' || (m.serverNames ?? []).length > 0) return true;
  const ts = chain.transportSocket;
  if (!ts) return false;
  const type = anyTypeName(ts.typedConfig);
  return !(type === 'envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer' || (!type && ts.name === 'envoy.transport_sockets.raw_buffer'));
}

/** Which network filter this is: by its typed config's type when it has one (as Envoy selects), else by name. */
function networkFilterKind(f: Filter__Output): 'hcm' | 'tcp' | 'passive' | undefined {
  const type = anyTypeName(f.typedConfig);
  if (type) return type === HCM_TYPE ? 'hcm' : type === TCP_PROXY_TYPE ? 'tcp' : PASSIVE_NETWORK_FILTERS.has(f.name ?? '') ? 'passive' : undefined;
  if (f.name === HCM_FILTER) return 'hcm';
  if (f.name === TCP_PROXY_FILTER) return 'tcp';
  return PASSIVE_NETWORK_FILTERS.has(f.name ?? '') ? 'passive' : undefined;
}

export function compileListener(listener: Listener__Output, options: CompileOptions = {}): ListenerSpec {
  const name = listener?.name;
  if (!name) invalid('Listener', 'a listener needs a name');
  const path = `Listener ${name}`;
  checkFields(listener, LISTENER, path);
  const bufferLimit = wrapped(listener.perConnectionBufferLimitBytes, DEFAULT_CONNECTION_BUFFER_LIMIT);
  if (listener.apiListener) {
    checkFields(listener.apiListener, API_LISTENER, `${path}.apiListener`);
    // Proxyless gRPC's listeners: nothing to bind here.
    return {
      name,
      address: '',
      port: 0,
      bindToPort: false,
      perConnectionBufferLimitBytes: bufferLimit,
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
  const chains: FilterChain__Output[] = [...(listener.filterChains ?? []), ...(listener.defaultFilterChain ? [listener.defaultFilterChain] : [])];
  if (chains.length === 0) invalid(`${path}.filterChains`, 'a listener needs at least one filter chain');
  const skipped: string[] = [];
  let hcm: HcmConfig | undefined;
  let tcp: TcpProxySpec | undefined;
  chains.forEach((chain, ci) => {
    const p = ci < (listener.filterChains ?? []).length ? `${path}.filterChains[${ci}]` : `${path}.defaultFilterChain`;
    checkFields(chain, FILTER_CHAIN, p);
    checkFields(chain.filterChainMatch, FILTER_CHAIN_MATCH, `${p}.filterChainMatch`);
    const filters = chain.filters ?? [];
    if (filters.length === 0) invalid(`${p}.filters`, 'a filter chain needs at least one filter');
    // Compile every chain so bad config is rejected even where it is not served.
    let chainHcm: HcmConfig | undefined;
    let chainTcp: TcpProxySpec | undefined;
    filters.forEach((f, fi) => {
      const fp = `${p}.filters[${fi}]`;
      checkFields(f, NETWORK_FILTER, fp);
      const kind = networkFilterKind(f);
      if (kind === 'hcm') {
        const config = unpackAs(f.typedConfig, HCM_TYPE);
        if (!config) invalid(`${fp}.typedConfig`, 'the HTTP connection manager needs its typedConfig');
        chainHcm = new HcmConfig(config, `${fp}.typedConfig`, options);
      } else if (kind === 'tcp') {
        const config = unpackAs(f.typedConfig, TCP_PROXY_TYPE);
        if (!config) invalid(`${fp}.typedConfig`, 'the TCP proxy needs its typedConfig');
        chainTcp = compileTcpProxy(config, `${fp}.typedConfig`);
      } else if (kind !== 'passive') {
        const type = anyTypeName(f.typedConfig);
        invalid(fp, `unsupported network filter ${f.name}${type ? ` (${type})` : ''}`);
      }
    });
    if (!chainHcm && !chainTcp) invalid(`${p}.filters`, 'the last filter must be the HTTP connection manager or the TCP proxy');
    if (needsTls(chain)) {
      skipped.push(`${p}: needs TLS termination, which this proxy does not do yet`);
      return;
    }
    const m = chain.filterChainMatch ?? {};
    if (m.destinationPort !== undefined && wrapped(m.destinationPort, port) !== port) {
      skipped.push(`${p}: matches original destination port ${wrapped(m.destinationPort, 0)}`);
      return;
    }
    if (hcm || tcp) {
      skipped.push(`${p}: only the first plaintext filter chain is served`);
      return;
    }
    hcm = chainHcm;
    tcp = chainHcm ? undefined : chainTcp;
  });
  return {
    name,
    address: sa.address || '0.0.0.0',
    port,
    bindToPort: wrapped(listener.bindToPort, true),
    perConnectionBufferLimitBytes: bufferLimit,
    kind: hcm ? 'http' : tcp ? 'tcp' : 'none',
    hcm,
    tcp,
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
