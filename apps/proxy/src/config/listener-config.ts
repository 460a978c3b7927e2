// An Envoy Listener compiled: the address to bind and the one filter chain
// this proxy serves on it (HTTP connection manager or TCP proxy). Filter
// chains that need TLS termination or original-destination matching are
// skipped (reported in `skipped`), since plaintext is all this data plane
// terminates today.
import { HCM_FILTER, HCM_TYPE, HcmConfig } from './hcm-config.ts';
import { anyTypeName, durationMs, invalid, wrapped } from './proto-values.ts';
import type { CompileOptions } from './route-table.ts';

const TCP_PROXY_FILTER = 'envoy.filters.network.tcp_proxy';
const TCP_PROXY_TYPE = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

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
  readonly kind: 'http' | 'tcp' | 'none';
  readonly hcm: HcmConfig | undefined;
  readonly tcp: TcpProxySpec | undefined;
  /** Why filter chains were not served (TLS, SNI...), for logs and config_dump. */
  readonly skipped: string[];
}

function needsTls(chain: any): boolean {
  const m = chain.filterChainMatch ?? {};
  if (m.transportProtocol === 'tls' || (m.serverNames ?? []).length > 0) return true;
  const ts = chain.transportSocket;
  return !!ts && !(ts.name === 'envoy.transport_sockets.raw_buffer' || anyTypeName(ts.typedConfig).endsWith('RawBuffer'));
}

export function compileListener(listener: any, options: CompileOptions = {}): ListenerSpec {
  const name: string = listener?.name;
  if (!name) invalid('Listener', 'a listener needs a name');
  const path = `Listener ${name}`;
  if (listener.apiListener) {
    // Proxyless gRPC's listeners: nothing to bind here.
    return { name, address: '', port: 0, bindToPort: false, kind: 'none', hcm: undefined, tcp: undefined, skipped: ['api listener (proxyless gRPC)'] };
  }
  const sa = listener.address?.socketAddress;
  if (!sa) invalid(`${path}.address.socketAddress`, 'a listener needs a socket address (pipes and internal listeners are not supported)');
  if (sa.protocol === 'UDP') invalid(`${path}.address.socketAddress.protocol`, 'UDP listeners are not supported');
  const port = Number(sa.portValue ?? 0);
  if (!(port >= 0 && port < 65536)) invalid(`${path}.address.socketAddress.portValue`, `must be a port, got ${sa.portValue}`);
  const chains: any[] = [...(listener.filterChains ?? []), ...(listener.defaultFilterChain ? [listener.defaultFilterChain] : [])];
  if (chains.length === 0) invalid(`${path}.filterChains`, 'a listener needs at least one filter chain');
  const skipped: string[] = [];
  let hcm: HcmConfig | undefined;
  let tcp: TcpProxySpec | undefined;
  chains.forEach((chain, ci) => {
    const p = ci < (listener.filterChains ?? []).length ? `${path}.filterChains[${ci}]` : `${path}.defaultFilterChain`;
    const filters: any[] = chain.filters ?? [];
    if (filters.length === 0) invalid(`${p}.filters`, 'a filter chain needs at least one filter');
    // Compile every chain so bad config is rejected even where it is not served.
    let chainHcm: HcmConfig | undefined;
    let chainTcp: TcpProxySpec | undefined;
    filters.forEach((f, fi) => {
      const fp = `${p}.filters[${fi}]`;
      const type = anyTypeName(f.typedConfig);
      if (f.name === HCM_FILTER || type === HCM_TYPE) {
        if (!f.typedConfig) invalid(`${fp}.typedConfig`, 'the HTTP connection manager needs its typedConfig');
        chainHcm = new HcmConfig(f.typedConfig, `${fp}.typedConfig`, options);
      } else if (f.name === TCP_PROXY_FILTER || type === TCP_PROXY_TYPE) {
        chainTcp = compileTcpProxy(f.typedConfig ?? {}, `${fp}.typedConfig`);
      } else if (f.name !== 'istio.stats' && f.name !== 'istio.metadata_exchange' && f.name !== 'envoy.filters.network.metadata_exchange') {
        invalid(`${fp}`, `unsupported network filter ${f.name}${type ? ` (${type})` : ''}`);
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
    kind: hcm ? 'http' : tcp ? 'tcp' : 'none',
    hcm,
    tcp,
    skipped,
  };
}

function compileTcpProxy(config: any, path: string): TcpProxySpec {
  const weighted = config.weightedClusters?.clusters?.map((c: any, i: number) => {
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
