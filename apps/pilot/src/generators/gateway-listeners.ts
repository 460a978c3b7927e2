// LDS for gateways: one `0.0.0.0_<port>` listener per Gateway server port.
// - HTTP servers: one HTTP connection manager on RDS `http.<port>`;
// - TCP servers: tcp_proxy to the first bound VirtualService's tcp route;
// - TLS at the gateway (Istio's "Secure Gateways" and "Ingress gateway
//   without TLS termination"): tls_inspector and one filter chain per server
//   picked by SNI (`hosts` → serverNames, `*` → no condition). HTTPS servers
//   terminate TLS (SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL) into an HCM on
//   RDS `https.<port>.<port name>.<gateway>.<namespace>`; TLS servers that
//   terminate go to tcp routes; PASSTHROUGH servers route the untouched TLS by
//   the VirtualServices' `tls` routes (sniHosts).
// A server whose TLS cannot be built (a missing credential, no CA for MUTUAL)
// keeps its SNI condition but goes to BlackHoleCluster: its clients are
// refused, never served by another chain or in plaintext.
import { GATEWAY_HTTP_PROTOCOLS, GATEWAY_TCP_PROTOCOLS, proxyConfigNumTrustedProxies } from '@mesh/config';
import { FILTER_NAMES, typedConfig, type Filter, type FilterChain, type Listener, type ListenerFilter } from '@mesh/xds';
import type { Proxy } from '../model/proxy.ts';
import { MESH_CONFIG_ORIGIN, type Origin } from '../model/errors.ts';
import type { PushContext } from '../model/push-context.ts';
import type { ProxyScope } from '../model/scope.ts';
import { bindPort, type GatewayModel, type GatewayServerModel } from '../model/gateways.ts';
import { translateTcpRoute, translateTlsRoutes } from '../model/virtual-services.ts';
import { TLS_TERMINATION_MODES, gatewayHttpPorts, httpsRouteName, type GenerationLog } from './routes.ts';
import { authorizationFilters } from './authorization.ts';
import { BLACKHOLE_CLUSTER } from './clusters.ts';
import { address, hcm, hcmFilter, tcpProxy } from './listeners.ts';
import { serverTlsSocket, type CredentialLookup } from './gateway-tls.ts';

const TLS_INSPECTOR: ListenerFilter = { name: FILTER_NAMES.tlsInspector, typedConfig: typedConfig('tlsInspector', {}) };
const GATEWAY_HTTP = new Set(GATEWAY_HTTP_PROTOCOLS);
const HTTPS_ALPN = ['h2', 'http/1.1'];

/** The Gateway servers a gateway listener on `port` serves. */
function serverOrigins(gateways: GatewayModel[], port: number): Origin[] {
  return gateways.flatMap((g) => g.servers.filter((s) => s.port === port).map((s) => ({ ...g.ref, field: s.field })));
}

type Entry = { gw: GatewayModel; server: GatewayServerModel };

/** How a server is served: plain HTTP, plain TCP, TLS terminated (then HTTP or TCP), TLS passed through, or not at all. */
function classify(s: GatewayServerModel): 'http' | 'tcp' | 'terminate' | 'passthrough' | undefined {
  if (GATEWAY_HTTP.has(s.protocol)) return 'http';
  if (GATEWAY_TCP_PROTOCOLS.includes(s.protocol)) return 'tcp';
  if (s.protocol !== 'HTTPS' && s.protocol !== 'TLS') return undefined;
  if (!s.tls) return undefined;
  if (TLS_TERMINATION_MODES.has(s.tls.mode)) return 'terminate';
  if (s.tls.mode === 'PASSTHROUGH') return 'passthrough';
  return undefined;
}

/** A server's SNI names: its hosts without namespace, none when one is `*` (any SNI, or none). */
function serverNames(hosts: readonly string[]): string[] {
  return hosts.includes('*') ? [] : [...new Set(hosts)];
}

/** Istio's gatewayTopology.numTrustedProxies: the gateway's own ProxyConfig, else the mesh default. */
function trustedHops(push: PushContext, proxy: Proxy): number {
  return proxy.numTrustedProxies ?? push.numTrustedProxies;
}

function refuse(statPrefix: string): Filter {
  return { name: FILTER_NAMES.tcpProxy, typedConfig: typedConfig('tcpProxy', tcpProxy(statPrefix, [{ name: BLACKHOLE_CLUSTER, weight: 100 }])) };
}

export function gatewayListeners(push: PushContext, scope: ProxyScope, proxy: Proxy, gateways: GatewayModel[], privilegedPortOffset: number, log: GenerationLog): Listener[] {
  const out: Listener[] = [];
  // AuthorizationPolicies select gateways like any workload (selector istio=ingressgateway).
  const authz = authorizationFilters(push, { namespace: proxy.namespace, labels: proxy.labels });
  const own = proxyConfigNumTrustedProxies(proxy.metadata.PROXY_CONFIG, 'PROXY_CONFIG.');
  if (own.error) log.error(`gateway ${proxy.id}: ${own.error.path}: ${own.error.message}; using the mesh default ${push.numTrustedProxies}`, { proxy: proxy.id });
  const xffNumTrustedHops = trustedHops(push, proxy);
  // Istio: a credential is a Secret of the gateway workload's namespace.
  const credentials: CredentialLookup = (name) => push.credential(proxy.namespace, name);
  const byPort = new Map<number, Entry[]>();
  for (const gw of gateways) for (const server of gw.servers) byPort.set(server.port, [...(byPort.get(server.port) ?? []), { gw, server }]);

  const httpPorts = new Set(gatewayHttpPorts(gateways));
  for (const port of [...byPort.keys()].sort((a, b) => a - b)) {
    const entries = byPort.get(port)!;
    const kinds = entries.map((e) => classify(e.server));
    const name = `0.0.0.0_${port}`;
    const bound = address(proxy.bindAddress, bindPort(port, privilegedPortOffset));
    if (httpPorts.has(port)) {
      const config = hcm(`outbound_0.0.0.0_${port}`, `http.${port}`, { useRemoteAddress: true, xffNumTrustedHops, pathNormalization: push.pathNormalization, acceptHttp10: proxy.http10, rbac: authz.http });
      const listener: Listener = { name, address: bound, trafficDirection: 'OUTBOUND', filterChains: [{ filters: [hcmFilter(config)] }] };
      push.attribute(listener, [...serverOrigins(gateways, port), MESH_CONFIG_ORIGIN]);
      out.push(listener);
      entries.forEach((e, i) => {
        if (kinds[i] === 'terminate' || kinds[i] === 'passthrough' || kinds[i] === 'tcp') {
          push.report({ ...e.gw.ref, field: `${e.server.field}.port`, message: `port ${port} also has a plain HTTP server; a port serves one of HTTP, TCP or TLS, so this ${e.server.protocol} server is not served`, severity: 'error', category: 'conflict' });
        }
      });
      continue;
    }
    if (kinds.some((k) => k === 'terminate' || k === 'passthrough')) {
      const listener = tlsListener(push, scope, proxy, entries, kinds, name, port, credentials, authz, log);
      if (listener) {
        listener.address = bound;
        out.push(listener);
      }
      entries.forEach((e, i) => {
        if (kinds[i] === 'tcp') push.report({ ...e.gw.ref, field: `${e.server.field}.port`, message: `port ${port} also has TLS servers; a port serves one of HTTP, TCP or TLS, so this TCP server is not served`, severity: 'error', category: 'conflict' });
      });
      continue;
    }
    const tcp = entries.filter((_, i) => kinds[i] === 'tcp');
    if (!tcp.length) continue;
    const gws = [...new Set(tcp.map((e) => e.gw))];
    const routed = tcpRoute(push, scope, gws, port, log);
    if (!routed) {
      for (const o of serverOrigins(gws, port)) {
        push.report({ ...o, message: `no VirtualService bound to this gateway routes TCP port ${port}; no listener is built for it`, severity: 'warning', category: 'unresolved' });
      }
      continue;
    }
    const listener: Listener = {
      name,
      address: bound,
      trafficDirection: 'OUTBOUND',
      filterChains: [{ filters: [...authz.tcp, { name: FILTER_NAMES.tcpProxy, typedConfig: typedConfig('tcpProxy', tcpProxy(`outbound_0.0.0.0_${port}`, routed.dests)) }] }],
    };
    push.attribute(listener, [routed.source, ...serverOrigins(gws, port)]);
    out.push(listener);
  }
  return out;
}

/** The first VirtualService bound to one of the gateways with a tcp route for the port. */
function tcpRoute(push: PushContext, scope: ProxyScope, gws: GatewayModel[], port: number, log: GenerationLog): { dests: Array<{ name: string; weight: number }>; source: Origin } | undefined {
  for (const gw of gws) {
    for (const vs of push.virtualServicesForGateway(gw.key, scope.namespace)) {
      try {
        const dests = translateTcpRoute(vs, { lookup: scope, gateway: gw.key, port, proxyless: false, warn: () => {} });
        if (dests?.length) return { dests, source: { ...vs.ref, field: 'spec.tcp' } };
      } catch (err) {
        log.error('VirtualService tcp route failed to translate; skipped', { kind: 'VirtualService', namespace: vs.namespace, name: vs.name, err: (err as Error).message });
      }
    }
  }
  return undefined;
}

/**
 * A TLS port's listener: a chain per terminating server and per passthrough
 * route, each SNI name (or "no SNI condition") claimed by the first chain
 * that asks for it, later claims reported as conflicts (Envoy refuses a
 * listener whose chains match the same names).
 */
function tlsListener(
  push: PushContext,
  scope: ProxyScope,
  proxy: Proxy,
  entries: Entry[],
  kinds: Array<ReturnType<typeof classify>>,
  name: string,
  port: number,
  credentials: CredentialLookup,
  authz: ReturnType<typeof authorizationFilters>,
  log: GenerationLog,
): Listener | undefined {
  const chains: FilterChain[] = [];
  const origins: Origin[] = [];
  const claimed = new Set<string>();
  const claim = (names: string[], origin: Origin): string[] | undefined => {
    if (names.length === 0) {
      if (claimed.has('')) {
        push.report({ ...origin, message: `another server or route on port ${port} already takes connections without a matching SNI name; this one is not served`, severity: 'error', category: 'conflict' });
        return undefined;
      }
      claimed.add('');
      return [];
    }
    const mine = names.filter((n) => !claimed.has(n.toLowerCase()));
    if (mine.length < names.length) {
      const taken = names.filter((n) => !mine.includes(n));
      push.report({ ...origin, message: `SNI ${taken.join(', ')} on port ${port} is already served by an earlier server or route; ${mine.length ? 'this one serves only the other names' : 'this one is not served'}`, severity: 'error', category: 'conflict' });
      if (!mine.length) return undefined;
    }
    for (const n of mine) claimed.add(n.toLowerCase());
    return mine;
  };
  const match = (names: string[]) => (names.length ? { filterChainMatch: { serverNames: names } } : {});
  const prefix = `outbound_0.0.0.0_${port}`;

  entries.forEach(({ gw, server }, i) => {
    const origin: Origin = { ...gw.ref, field: server.field };
    if (kinds[i] === 'terminate') {
      const names = claim(serverNames(server.hosts.map((h) => h.host)), origin);
      if (!names) return;
      const http = server.protocol === 'HTTPS';
      const built = serverTlsSocket(server.tls!, credentials, http ? HTTPS_ALPN : undefined, (p) =>
        push.report({ ...gw.ref, field: `${server.field}.${p.field}`, message: p.message, severity: 'warning', category: 'unsupported' }),
      );
      const chainName = `${server.field}:${gw.namespace}/${gw.name}`;
      if ('problem' in built) {
        push.report({ ...gw.ref, field: `${server.field}.${built.problem.field}`, message: built.problem.message, severity: 'error', category: 'unresolved' });
        chains.push({ name: chainName, ...match(names), filters: [refuse(prefix)] });
        origins.push(origin);
        return;
      }
      let filters: Filter[];
      if (http) {
        filters = [hcmFilter(hcm(prefix, httpsRouteName(gw, server), { useRemoteAddress: true, xffNumTrustedHops: trustedHops(push, proxy), pathNormalization: push.pathNormalization, acceptHttp10: proxy.http10, rbac: authz.http }))];
      } else {
        const routed = tcpRoute(push, scope, [gw], port, log);
        if (!routed) {
          push.report({ ...origin, message: `no VirtualService bound to this gateway has a tcp route for port ${port}; TLS connections to this server are closed after the handshake`, severity: 'warning', category: 'unresolved' });
        }
        filters = [...authz.tcp, { name: FILTER_NAMES.tcpProxy, typedConfig: typedConfig('tcpProxy', tcpProxy(prefix, routed?.dests ?? [{ name: BLACKHOLE_CLUSTER, weight: 100 }])) }];
      }
      chains.push({ name: chainName, ...match(names), transportSocket: built.socket, filters });
      origins.push(origin);
      return;
    }
    if (kinds[i] !== 'passthrough') return;
    let routed = false;
    for (const vs of push.virtualServicesForGateway(gw.key, scope.namespace)) {
      // Only the VirtualService's hosts the server exposes to its namespace.
      const hosts = server.hosts.filter((h) => h.namespace === '*' || h.namespace === vs.namespace).map((h) => h.host);
      if (!hosts.length) continue;
      let routes;
      try {
        routes = translateTlsRoutes(vs, { lookup: scope, gateway: gw.key, port, proxyless: false, warn: () => {} }, hosts);
      } catch (err) {
        log.error('VirtualService tls route failed to translate; skipped', { kind: 'VirtualService', namespace: vs.namespace, name: vs.name, err: (err as Error).message });
        continue;
      }
      for (const r of routes) {
        const routeOrigin: Origin = { ...vs.ref, field: r.field };
        const names = claim(serverNames(r.sniHosts), routeOrigin);
        if (!names) continue;
        routed = true;
        chains.push({
          name: `${r.field}:${vs.namespace}/${vs.name}`,
          ...match(names),
          filters: [...authz.tcp, { name: FILTER_NAMES.tcpProxy, typedConfig: typedConfig('tcpProxy', tcpProxy(prefix, r.dests.length ? r.dests : [{ name: BLACKHOLE_CLUSTER, weight: 100 }])) }],
        });
        origins.push(routeOrigin, origin);
      }
    }
    if (!routed) push.report({ ...origin, message: `no VirtualService bound to this gateway has a tls route (sniHosts) for this PASSTHROUGH server; its connections are closed`, severity: 'warning', category: 'unresolved' });
  });
  if (!chains.length) return undefined;
  const listener: Listener = { name, trafficDirection: 'OUTBOUND', listenerFilters: [TLS_INSPECTOR], filterChains: chains };
  push.attribute(listener, [...origins, MESH_CONFIG_ORIGIN]);
  return listener;
}
