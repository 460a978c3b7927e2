// A sidecar's listeners as Istio builds them (everything but the compatibility
// mode's explicit HTTP proxy, listeners.ts):
//
// - with traffic capture (INTERCEPTION_MODE REDIRECT/TPROXY): `virtualOutbound`
//   (0.0.0.0:15001, use_original_dst: connections are handed to the listener of
//   their original destination, else passed through or black-holed) and one
//   listener per outbound service port (`0.0.0.0_<port>` for HTTP, sniffed,
//   TLS and VIP-less TCP ports, `<VIP>_<port>` for TCP services with a VIP, all
//   bind_to_port false); `virtualInbound` (0.0.0.0:15006, original_dst) with a
//   filter chain per inbound port of the proxy's own service instances and a
//   passthrough chain;
// - from the Sidecar resource: egress listeners (a port, hosts, bind,
//   captureMode NONE → a listener bound at bind:port) and ingress listeners
//   (port → defaultEndpoint; captureMode NONE → bound at bind:port).
import {
  FILTER_NAMES,
  typedConfig,
  type Cluster,
  type Filter,
  type FilterChain,
  type Listener,
  type ListenerFilter,
  type RouteConfiguration,
  type TypedAny,
  type VirtualHost,
} from '@mesh/xds';
import { MESH_CONFIG_ORIGIN, type Origin } from '../model/errors.ts';
import { captures, type Proxy } from '../model/proxy.ts';
import type { PushContext } from '../model/push-context.ts';
import type { ProxyScope } from '../model/scope.ts';
import { instancePort, isHttp2Protocol, isHttpProtocol, isTcpProtocol, isTlsProtocol, labelsMatch, serviceVips, type Service, type ServicePort } from '../model/services.ts';
import type { EgressListenerModel, IngressListenerModel } from '../model/sidecars.ts';
import { MESH_GATEWAY, clusterName, translateTcpRoute, translateTlsRoutes } from '../model/virtual-services.ts';
import { BLACKHOLE_CLUSTER, INBOUND_PASSTHROUGH_BIND, INBOUND_PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER, downstreamProtocolOptions, http2Options } from './clusters.ts';
import { address, hcm, hcmFilter, tcpProxy } from './listeners.ts';
import { authorizationFilters } from './authorization.ts';
import { securedChains } from './mtls.ts';
import { modeForPort } from '../model/peer-authentication.ts';
import { dedupeDomains, explicitProxyRoute, fallbackVirtualHost, meshRoutes, serviceDomains, type GenerationLog } from './routes.ts';

export const VIRTUAL_OUTBOUND = 'virtualOutbound';
export const VIRTUAL_INBOUND = 'virtualInbound';
const WILDCARD = '0.0.0.0';
/** The application protocols the http_inspector reports for HTTP/1.1 and cleartext HTTP/2 (Istio's sniffed HTTP chains). */
export const SNIFFED_HTTP_PROTOCOLS = ['http/1.1', 'h2c'];
// @mesh/xds has no typedConfig kind for the HTTP inspector (its proto is loaded); the Any is built here.
const HTTP_INSPECTOR: ListenerFilter = { name: FILTER_NAMES.httpInspector, typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector' } as TypedAny };
const TLS_INSPECTOR: ListenerFilter = { name: FILTER_NAMES.tlsInspector, typedConfig: typedConfig('tlsInspector', {}) };
const ORIGINAL_DST: ListenerFilter = { name: FILTER_NAMES.originalDst, typedConfig: typedConfig('originalDst', {}) };

type PortClass = 'http' | 'auto' | 'tcp' | 'tls' | 'none';

/** How a port's protocol is served: HTTP connection manager, sniffing, tcp_proxy, TLS by SNI, or not at all (UDP). */
export function portClass(protocol: string): PortClass {
  if (isHttpProtocol(protocol)) return 'http';
  if (protocol === 'AUTO') return 'auto';
  if (isTlsProtocol(protocol)) return 'tls';
  if (isTcpProtocol(protocol)) return 'tcp';
  return 'none';
}

interface Entry {
  svc: Service;
  port: ServicePort;
}

interface Ctx {
  push: PushContext;
  scope: ProxyScope;
  proxy: Proxy;
  log: GenerationLog;
  listeners: Listener[];
  routes: RouteConfiguration[];
}

function tcpFilter(statPrefix: string, dests: Array<{ name: string; weight: number }>): Filter {
  return { name: FILTER_NAMES.tcpProxy, typedConfig: typedConfig('tcpProxy', tcpProxy(statPrefix, dests)) };
}

function clusterFilter(cluster: string): Filter {
  return tcpFilter(cluster, [{ name: cluster, weight: 100 }]);
}

/** Where traffic nobody declared goes: PassthroughCluster (ALLOW_ANY) or BlackHoleCluster (REGISTRY_ONLY). */
function fallthroughChain(scope: ProxyScope): FilterChain {
  return { name: 'PassthroughFilterChain', filters: [clusterFilter(scope.outboundMode === 'REGISTRY_ONLY' ? BLACKHOLE_CLUSTER : PASSTHROUGH_CLUSTER)] };
}

function sidecarOrigin(scope: ProxyScope, field: string): Origin[] {
  return scope.sidecar ? [{ ...scope.sidecar.ref, field }] : [MESH_CONFIG_ORIGIN];
}

/**
 * tcp_proxy for a service port: the service's mesh VirtualService's TCP route (weights: TCP traffic shifting), on a
 * TLS port its `tls` route whose sniHosts cover the service's host (Istio's egress gateway task for HTTPS), else its
 * cluster.
 */
function tcpForService(ctx: Ctx, e: Entry, portNumber: number, listenerName: string): Filter {
  const vs = ctx.scope.virtualServiceFor(e.svc.hostname);
  let dests: Array<{ name: string; weight: number }> | undefined;
  const routeCtx = { lookup: ctx.scope, gateway: MESH_GATEWAY, port: portNumber, proxyless: false, warn: () => {} };
  if (vs?.tcp.length) {
    try {
      dests = translateTcpRoute(vs, routeCtx);
    } catch (err) {
      ctx.log.error('VirtualService tcp route failed to translate; using the default route', { kind: 'VirtualService', namespace: vs.namespace, name: vs.name, err: (err as Error).message });
    }
  }
  if (!dests?.length && vs?.tls.length && portClass(e.port.protocol) === 'tls') {
    try {
      // The chain serves every SNI of the service's host, so only a route taking all of it applies.
      dests = translateTlsRoutes(vs, routeCtx, [e.svc.hostname]).find((c) => c.sniHosts.includes(e.svc.hostname))?.dests;
    } catch (err) {
      ctx.log.error('VirtualService tls route failed to translate; using the default route', { kind: 'VirtualService', namespace: vs.namespace, name: vs.name, err: (err as Error).message });
    }
  }
  if (!dests?.length) return clusterFilter(clusterName(e.port.number, undefined, e.svc.hostname));
  return tcpFilter(dests.length === 1 ? dests[0].name : listenerName, dests);
}

/** The route table of one outbound HTTP port: a virtual host per service on it (Istio's names), then allow_any / block_all. */
function portRoute(ctx: Ctx, name: string, entries: Entry[]): RouteConfiguration {
  const vhosts: VirtualHost[] = entries.map((e) => ({
    name: `${e.svc.hostname}:${e.port.number}`,
    domains: serviceDomains(e.svc, e.port.number, true, ctx.scope.namespace, ctx.push.domainSuffix),
    routes: meshRoutes(ctx.push, ctx.scope, e.svc, e.port, false, ctx.log),
  }));
  vhosts.push(fallbackVirtualHost(ctx.scope.outboundMode));
  const rc: RouteConfiguration = { name, virtualHosts: dedupeDomains(vhosts), validateClusters: { value: false } };
  ctx.push.attribute(rc, [...entries.slice(0, 1).map((e) => ({ ...e.svc.source, field: 'spec.ports' })), ...sidecarOrigin(ctx.scope, 'spec.egress')]);
  return rc;
}

function conflict(ctx: Ctx, e: Entry, message: string): void {
  ctx.push.report({ ...e.svc.source, field: 'spec.ports', message, severity: 'warning', category: 'conflict' });
}

/**
 * The outbound listeners of one port under traffic capture: `0.0.0.0_<port>`
 * (HTTP, sniffed, TLS, or TCP without a VIP) and `<VIP>_<port>` for TCP
 * services with VIPs, none bound (they receive connections virtualOutbound
 * hands over by original destination).
 */
function capturedPortListeners(ctx: Ctx, portNumber: number, entries: Entry[], protocolOverride: string | undefined, bind: string, origin: Origin[]): void {
  const cls = (e: Entry) => portClass(protocolOverride ?? e.port.protocol);
  const http = entries.filter((e) => cls(e) === 'http');
  const auto = entries.filter((e) => cls(e) === 'auto');
  const tls = entries.filter((e) => cls(e) === 'tls');
  const tcp = entries.filter((e) => cls(e) === 'tcp');
  const name = `${bind}_${portNumber}`;
  let wildcardTaken = false;
  const base = (): Listener => ({ name, address: address(bind, portNumber), bindToPort: { value: false }, trafficDirection: 'OUTBOUND' });
  const push = (l: Listener, o: Origin[]) => {
    ctx.push.attribute(l, o);
    ctx.listeners.push(l);
  };

  if (http.length || auto.length) {
    const routeName = bind === WILDCARD ? String(portNumber) : `${bind}:${portNumber}`;
    ctx.routes.push(portRoute(ctx, routeName, [...http, ...auto]));
    const filter = hcmFilter(hcm(`outbound_${bind}_${portNumber}`, routeName, { pathNormalization: ctx.push.pathNormalization, acceptHttp10: ctx.proxy.http10 }));
    const l = base();
    if (http.length) {
      // An HTTP port: every connection is HTTP.
      l.filterChains = [{ filters: [filter] }];
    } else {
      // Protocol sniffing: HTTP/1.1 and h2c are routed; anything else goes by TCP to the service (by VIP, or the only one without).
      l.listenerFilters = [HTTP_INSPECTOR];
      l.filterChains = [{ name: `${name}-http`, filterChainMatch: { applicationProtocols: SNIFFED_HTTP_PROTOCOLS }, filters: [filter] }];
      const noVip: Entry[] = [];
      for (const e of auto) {
        const vips = serviceVips(e.svc);
        if (!vips.length) {
          noVip.push(e);
          continue;
        }
        // Envoy matches the destination IP before the application protocol, so a service's address needs its own
        // HTTP chain next to its TCP one; the address-less HTTP chain above would never be reached for it.
        const prefixRanges = vips.map((v) => ({ addressPrefix: v, prefixLen: { value: v.includes(':') ? 128 : 32 } }));
        l.filterChains.push(
          { name: `${name}-${e.svc.hostname}-http`, filterChainMatch: { prefixRanges, applicationProtocols: SNIFFED_HTTP_PROTOCOLS }, filters: [filter] },
          { name: `${name}-${e.svc.hostname}`, filterChainMatch: { prefixRanges }, filters: [tcpForService(ctx, e, portNumber, name)] },
        );
      }
      if (noVip.length === 1) l.defaultFilterChain = { name: `${name}-tcp`, filters: [tcpForService(ctx, noVip[0], portNumber, name)] };
      else {
        for (const e of noVip.slice(1)) conflict(ctx, e, `non-HTTP traffic to port ${portNumber} cannot tell ${noVip[0].svc.hostname} from ${e.svc.hostname} (neither has an address): it is passed through; give the ports a protocol or the services addresses`);
        l.defaultFilterChain = fallthroughChain(ctx.scope);
      }
    }
    push(l, [...origin, ...[...http, ...auto].map((e) => ({ ...e.svc.source, field: 'spec.ports' }))]);
    wildcardTaken = true;
  }

  if (tls.length) {
    if (wildcardTaken) for (const e of tls) conflict(ctx, e, `port ${portNumber} of ${e.svc.hostname} is TLS but another service serves HTTP on it; its traffic is routed as HTTP`);
    else {
      const l = base();
      l.listenerFilters = [TLS_INSPECTOR];
      l.filterChains = tls.map((e) => ({ name: `${name}-${e.svc.hostname}`, filterChainMatch: { serverNames: [e.svc.hostname] }, filters: [tcpForService(ctx, e, portNumber, name)] }));
      l.defaultFilterChain = fallthroughChain(ctx.scope);
      push(l, [...origin, ...tls.map((e) => ({ ...e.svc.source, field: 'spec.ports' }))]);
      wildcardTaken = true;
    }
  }

  for (const e of tcp) {
    const vips = bind === WILDCARD ? serviceVips(e.svc) : [];
    if (vips.length) {
      for (const vip of vips) {
        const vipName = `${vip}_${portNumber}`;
        if (ctx.listeners.some((l) => l.name === vipName)) {
          conflict(ctx, e, `address ${vip} port ${portNumber} is already used by another service; ${e.svc.hostname} is not reachable through it`);
          continue;
        }
        push({ name: vipName, address: address(vip, portNumber), bindToPort: { value: false }, trafficDirection: 'OUTBOUND', filterChains: [{ filters: [tcpForService(ctx, e, portNumber, vipName)] }] }, [
          ...origin,
          { ...e.svc.source, field: 'spec.addresses' },
        ]);
      }
    } else if (wildcardTaken) {
      conflict(ctx, e, `TCP port ${portNumber} of ${e.svc.hostname} has no address and another service already serves ${bind}:${portNumber}; give it an address (spec.addresses) to reach it`);
    } else {
      const l = base();
      l.filterChains = [{ filters: [tcpForService(ctx, e, portNumber, name)] }];
      push(l, [...origin, { ...e.svc.source, field: 'spec.ports' }]);
      wildcardTaken = true;
    }
  }
}

/** The port entries of services, by port number, leaving out `skip`. */
function byPort(services: readonly Service[], skip: ReadonlySet<number>): Map<number, Entry[]> {
  const out = new Map<number, Entry[]>();
  for (const svc of services) {
    for (const port of svc.ports) {
      if (skip.has(port.number)) continue;
      const list = out.get(port.number);
      if (list) list.push({ svc, port });
      else out.set(port.number, [{ svc, port }]);
    }
  }
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

/** Whether a Sidecar listener is bound (no capture for it): the proxy captures nothing, or the listener says captureMode NONE. */
function isBound(proxy: Proxy, l: { captureMode: string }): boolean {
  return !captures(proxy) || l.captureMode === 'NONE';
}

/** captureMode IPTABLES on a proxy without capture cannot be honoured: the listener is bound instead (reported). */
function checkCaptureMode(push: PushContext, scope: ProxyScope, proxy: Proxy, l: { captureMode: string; field: string }): void {
  if (l.captureMode === 'IPTABLES' && !captures(proxy) && scope.sidecar) {
    push.report({ ...scope.sidecar.ref, field: `${l.field}.captureMode`, message: `captureMode IPTABLES needs traffic capture, but workload ${proxy.workloadName || proxy.id} has INTERCEPTION_MODE NONE: the listener is bound at bind:port instead`, severity: 'warning', category: 'unsupported' });
  }
}

/** A Sidecar egress listener without capture: bound at bind:port, serving its hosts by the port's protocol. */
function boundEgressListener(ctx: Ctx, l: EgressListenerModel & { port: NonNullable<EgressListenerModel['port']> }): void {
  const bind = l.bind ?? (captures(ctx.proxy) ? '127.0.0.1' : ctx.proxy.bindAddress);
  const p = l.port.number;
  const name = `${bind}_${p}`;
  const services = ctx.scope.servicesOf(l);
  const origin: Origin[] = [{ ...ctx.scope.sidecar!.ref, field: l.field }];
  if (bind.startsWith('unix://')) {
    ctx.push.report({ ...origin[0], field: `${l.field}.bind`, message: 'egress listeners on unix domain sockets are not implemented: no listener is built for it', severity: 'warning', category: 'unsupported' });
    return;
  }
  const cls = portClass(l.port.protocol);
  // TCP: the service of the hosts with this port (else the only service with one port).
  const onPort = services.flatMap((svc) => svc.ports.filter((sp) => sp.number === p).map((port) => ({ svc, port })));
  const single = services.length === 1 && services[0].ports.length === 1 ? [{ svc: services[0], port: services[0].ports[0] }] : [];
  const targets: Entry[] = onPort.length ? onPort : single;
  const listener: Listener = { name, address: address(bind, p), trafficDirection: 'OUTBOUND' };
  const routeName = `${bind}:${p}`;
  const httpFilter = () => {
    ctx.routes.push(explicitProxyRoute(ctx.push, ctx.scope, routeName, services, p, ctx.log));
    return hcmFilter(hcm(`outbound_${bind}_${p}`, routeName, { pathNormalization: ctx.push.pathNormalization, acceptHttp10: ctx.proxy.http10 }));
  };
  if (cls === 'http') listener.filterChains = [{ filters: [httpFilter()] }];
  else if (cls === 'auto') {
    listener.listenerFilters = [HTTP_INSPECTOR];
    listener.filterChains = [{ name: `${name}-http`, filterChainMatch: { applicationProtocols: SNIFFED_HTTP_PROTOCOLS }, filters: [httpFilter()] }];
    listener.defaultFilterChain = targets.length ? { name: `${name}-tcp`, filters: [tcpForService(ctx, targets[0], p, name)] } : { name: 'BlackHoleFilterChain', filters: [clusterFilter(BLACKHOLE_CLUSTER)] };
  } else if (cls === 'tcp' || cls === 'tls') {
    if (!targets.length) {
      ctx.push.report({ ...origin[0], field: `${l.field}.hosts`, message: `no service of these hosts has port ${p} (or is the only one, with a single port): no listener is built for ${bind}:${p}`, severity: 'warning', category: 'unresolved' });
      return;
    }
    if (targets.length > 1) {
      ctx.push.report({ ...origin[0], field: `${l.field}.hosts`, message: `several services of these hosts have TCP port ${p} (${targets.map((t) => t.svc.hostname).join(', ')}); a TCP listener can forward to one: ${targets[0].svc.hostname}`, severity: 'warning', category: 'conflict' });
    }
    listener.filterChains = [{ filters: [tcpForService(ctx, targets[0], p, name)] }];
  } else {
    ctx.push.report({ ...origin[0], field: `${l.field}.port.protocol`, message: `protocol ${l.port.protocol} is not implemented: no listener is built for ${bind}:${p}`, severity: 'warning', category: 'unsupported' });
    return;
  }
  ctx.push.attribute(listener, origin);
  ctx.listeners.push(listener);
}

/**
 * What a sidecar (other than the compatibility mode) gets for outbound
 * traffic: listeners and their route tables. Depends on the scope, the
 * interception mode, the outbound port and the bind address only, so it is
 * shared by the proxies that have those in common.
 */
export function sidecarOutbound(push: PushContext, scope: ProxyScope, proxy: Proxy, log: GenerationLog): { listeners: Listener[]; routes: RouteConfiguration[] } {
  const ctx: Ctx = { push, scope, proxy, log, listeners: [], routes: [] };
  const capture = captures(proxy);
  if (capture) {
    const vo: Listener = {
      name: VIRTUAL_OUTBOUND,
      address: address(WILDCARD, proxy.outboundPort),
      useOriginalDst: { value: true },
      trafficDirection: 'OUTBOUND',
      // Connections to 15001 itself would loop.
      filterChains: [{ name: `${VIRTUAL_OUTBOUND}-blackhole`, filterChainMatch: { destinationPort: { value: proxy.outboundPort } }, filters: [clusterFilter(BLACKHOLE_CLUSTER)] }],
      defaultFilterChain: { ...fallthroughChain(scope), name: `${VIRTUAL_OUTBOUND}-catchall-tcp` },
    };
    push.attribute(vo, sidecarOrigin(scope, 'spec.outboundTrafficPolicy'));
    ctx.listeners.push(vo);
  }
  // No Sidecar, or one without egress listeners: Istio's default egress listener (every visible service, */*).
  const egress: Array<EgressListenerModel | undefined> = scope.sidecar?.egress.length ? scope.sidecar.egress : [undefined];
  const portSpecific = new Set(egress.flatMap((l) => (l?.port ? [l.port.number] : [])));
  for (const l of egress) {
    if (l) checkCaptureMode(push, scope, proxy, l);
    if (l?.port && isBound(proxy, l)) {
      boundEgressListener(ctx, l as EgressListenerModel & { port: NonNullable<EgressListenerModel['port']> });
      continue;
    }
    if (!capture) {
      // A port-less egress listener on a proxy without capture: nothing to bind; its hosts still scope CDS/EDS/RDS.
      if (l && scope.sidecar) {
        push.report({ ...scope.sidecar.ref, field: l.field, message: 'an egress listener without a port builds no listener on a proxy without traffic capture (INTERCEPTION_MODE NONE); its hosts only scope the services this proxy knows: give it a port (and bind) to reach them', severity: 'warning', category: 'unsupported' });
      }
      continue;
    }
    const origin = l && scope.sidecar ? [{ ...scope.sidecar.ref, field: l.field }] : [MESH_CONFIG_ORIGIN];
    const services = scope.servicesOf(l);
    if (l?.port) {
      const p = l.port.number;
      const entries = services.flatMap((svc) => svc.ports.filter((sp) => sp.number === p).map((port) => ({ svc, port })));
      capturedPortListeners(ctx, p, entries, l.port.protocol === 'AUTO' ? undefined : l.port.protocol, l.bind ?? WILDCARD, origin);
    } else {
      for (const [p, entries] of byPort(services, portSpecific)) capturedPortListeners(ctx, p, entries, undefined, WILDCARD, origin);
    }
  }
  return { listeners: ctx.listeners, routes: ctx.routes };
}

// ---------------------------------------------------------------- inbound

interface InboundPort {
  port: number;
  protocol: string;
  cluster: Cluster;
  origin: Origin;
  /** A Sidecar ingress listener's bind (matched as the destination address). */
  bind?: string;
}

/** An inbound cluster's upstream protocol: HTTP/2 for HTTP2/gRPC ports, the client's for sniffed ones. */
function protocolOptions(protocol: string): Pick<Cluster, 'typedExtensionProtocolOptions'> {
  if (isHttp2Protocol(protocol)) return { typedExtensionProtocolOptions: http2Options() };
  return protocol === 'AUTO' ? { typedExtensionProtocolOptions: downstreamProtocolOptions() } : {};
}

/**
 * virtualInbound's http_inspector, as Istio limits it: only connections to a
 * sniffed port wait for it (filter_disabled for every other destination port),
 * so a server-first or byte-at-a-time TCP protocol on a declared port is never
 * held back by the inspector waiting for a request line.
 */
function inboundHttpInspector(sniffedPorts: number[]): ListenerFilter[] {
  if (sniffedPorts.length === 0) return [];
  const ranges = [...new Set(sniffedPorts)].sort((a, b) => a - b).map((p) => ({ destinationPortRange: { start: p, end: p + 1 } }));
  return [{ ...HTTP_INSPECTOR, filterDisabled: { notMatch: ranges.length === 1 ? ranges[0] : { orMatch: { rules: ranges } } } }];
}

/**
 * virtualInbound's tls_inspector: only where a chain tells mTLS from
 * plaintext (ports not in DISABLE mode), so a server-first protocol on a
 * DISABLE port is not held back waiting for a ClientHello.
 */
function inboundTlsInspector(tlsPorts: number[], plainPorts: number[], passthroughTls: boolean): ListenerFilter[] {
  const ranges = (ps: number[]) => [...new Set(ps)].sort((a, b) => a - b).map((p) => ({ destinationPortRange: { start: p, end: p + 1 } }));
  const any = (rs: ReturnType<typeof ranges>) => (rs.length === 1 ? rs[0] : { orMatch: { rules: rs } });
  if (passthroughTls) return [plainPorts.length ? { ...TLS_INSPECTOR, filterDisabled: any(ranges(plainPorts)) } : TLS_INSPECTOR];
  if (!tlsPorts.length) return [];
  return [{ ...TLS_INSPECTOR, filterDisabled: { notMatch: any(ranges(tlsPorts)) } }];
}

function inboundClusterName(port: number): string {
  return `inbound|${port}||`;
}

/**
 * Istio ≥ 1.10's inbound cluster for a captured port: the connection goes on to
 * its original destination (the instance's IP and port, so applications bound
 * to the pod IP only receive it and ones bound to localhost only do not),
 * from 127.0.0.6, which iptables does not capture again.
 */
function originalDstInboundCluster(port: number, protocol: string): Cluster {
  return {
    name: inboundClusterName(port),
    type: 'ORIGINAL_DST',
    lbPolicy: 'CLUSTER_PROVIDED',
    connectTimeout: { seconds: 10 },
    upstreamBindConfig: { sourceAddress: { address: INBOUND_PASSTHROUGH_BIND, portValue: 0 } },
    ...protocolOptions(protocol),
  };
}

/** A Sidecar ingress listener's cluster: STATIC to its defaultEndpoint (0.0.0.0 → the instance IP, as Istio ≥ 1.10), else the original destination. */
function ingressCluster(proxy: Proxy, il: IngressListenerModel): Cluster {
  const de = il.defaultEndpoint;
  if (!de) return originalDstInboundCluster(il.port.number, il.port.protocol);
  const name = inboundClusterName(il.port.number);
  const endpointAddress =
    de.kind === 'unix'
      ? { pipe: { path: de.path } }
      : { socketAddress: { address: de.host === '0.0.0.0' || de.host === '::' ? (proxy.ips[0] ?? '127.0.0.1') : de.host, portValue: de.port } };
  return {
    name,
    type: 'STATIC',
    connectTimeout: { seconds: 10 },
    loadAssignment: { clusterName: name, endpoints: [{ lbEndpoints: [{ endpoint: { address: endpointAddress } }] }] },
    ...protocolOptions(il.port.protocol),
  };
}

const isLoopback = (ip: string) => ip.startsWith('127.') || ip === '::1';

/**
 * The proxy's own service instances' ports: services with an endpoint
 * (WorkloadEntry or inline) at one of the proxy's IPs (loopback IPs say
 * nothing: every local-mode workload has one), or whose workloadSelector
 * matches the proxy's labels in its namespace. The port is the instance's
 * (WorkloadEntry `ports`, else targetPort, else the service port).
 */
function instancePorts(push: PushContext, proxy: Proxy): InboundPort[] {
  const ips = new Set(proxy.ips.filter((ip) => !isLoopback(ip)));
  const out = new Map<number, InboundPort>();
  const add = (svc: Service, sp: ServicePort, port: number) => {
    const existing = out.get(port);
    if (existing) {
      if (existing.protocol !== sp.protocol) {
        push.report({ ...svc.source, field: 'spec.ports', message: `port ${port} of workload ${proxy.workloadName || proxy.id} is ${existing.protocol} for another service and ${sp.protocol} for ${svc.hostname}; it is served as ${existing.protocol}`, severity: 'warning', category: 'conflict' });
      }
      return;
    }
    out.set(port, { port, protocol: sp.protocol, cluster: originalDstInboundCluster(port, sp.protocol), origin: { ...svc.source, field: 'spec.ports' } });
  };
  for (const svc of push.services) {
    const own = svc.instances.filter((i) => ips.has(i.address));
    for (const sp of svc.ports) for (const inst of own) add(svc, sp, instancePort(inst, sp));
    if (!own.length && svc.selector && svc.namespace === proxy.namespace && labelsMatch(svc.selector, proxy.labels)) {
      for (const sp of svc.ports) add(svc, sp, sp.targetPort ?? sp.number);
    }
  }
  return [...out.values()].sort((a, b) => a.port - b.port);
}

/**
 * Istio's inbound retry policy (1.24+): a request the local application's connection dropped before it was sent is
 * sent again, at most twice; one that was sent is never replayed. Not for gRPC ports, as in Istio.
 */
const INBOUND_RETRY = { retryOn: 'reset-before-request', numRetries: { value: 2 } };

function inboundRoute(port: number, cluster: string, protocol: string): RouteConfiguration {
  const grpc = protocol === 'GRPC' || protocol === 'GRPC-WEB';
  return {
    name: inboundClusterName(port),
    virtualHosts: [{ name: `inbound|http|${port}`, domains: ['*'], routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster, timeout: { seconds: 0 }, ...(grpc ? {} : { retryPolicy: INBOUND_RETRY }) } }] }],
    validateClusters: { value: false },
  };
}

/** The filter chains serving one inbound port (HTTP: HCM with an inline route; TCP/TLS: tcp_proxy; sniffed: both). */
function inboundChains(push: PushContext, proxy: Proxy, ip: InboundPort, bind: string): FilterChain[] {
  const cls = portClass(ip.protocol);
  const cluster = ip.cluster.name!;
  const name = `${bind}_${ip.port}`;
  // AuthorizationPolicy: RBAC filters in front of the workload's HTTP connection managers and TCP proxies.
  const authz = authorizationFilters(push, { namespace: proxy.namespace, labels: proxy.labels });
  const http = () => hcmFilter(hcm(`inbound_${bind}_${ip.port}`, cluster, { pathNormalization: push.pathNormalization, acceptHttp10: proxy.http10, routeConfig: inboundRoute(ip.port, cluster, ip.protocol), forwardClientCert: true, rbac: authz.http }));
  const tcp = () => [...authz.tcp, clusterFilter(cluster)];
  switch (cls) {
    case 'http':
      return [{ name, filters: [http()] }];
    case 'auto':
      return [
        { name: `${name}-http`, filterChainMatch: { applicationProtocols: SNIFFED_HTTP_PROTOCOLS }, filters: [http()] },
        { name: `${name}-tcp`, filters: tcp() },
      ];
    case 'tcp':
    case 'tls':
      return [{ name, filters: tcp() }];
    default:
      return [];
  }
}

/**
 * What a sidecar gets for inbound traffic: `virtualInbound` under capture
 * (chains per inbound port: the Sidecar's ingress listeners if it has any,
 * else the proxy's own service instances), listeners bound at bind:port for
 * ingress listeners without capture, and the inbound clusters.
 */
export function sidecarInbound(push: PushContext, scope: ProxyScope, proxy: Proxy): { listeners: Listener[]; clusters: Cluster[] } {
  const listeners: Listener[] = [];
  const clusters: Cluster[] = [];
  const sc = scope.sidecar;
  // PeerAuthentication, per workload port (the port connections arrive on: the instance's, or the ingress listener's).
  const mtls = push.mtlsFor(proxy.namespace, proxy.labels);
  const captured: InboundPort[] = [];
  for (const il of sc?.ingress ?? []) {
    const origin: Origin = { ...sc!.ref, field: il.field };
    checkCaptureMode(push, scope, proxy, il);
    if (!isBound(proxy, il)) {
      captured.push({ port: il.port.number, protocol: il.port.protocol, cluster: ingressCluster(proxy, il), origin, ...(il.bind ? { bind: il.bind } : {}) });
      continue;
    }
    if (!il.defaultEndpoint) {
      push.report({ ...origin, field: `${il.field}.defaultEndpoint`, message: 'an ingress listener without traffic capture needs a defaultEndpoint (127.0.0.1:PORT, 0.0.0.0:PORT or unix:///path) to forward to: no listener is built for it', severity: 'error', category: 'invalid' });
      continue;
    }
    // Istio: the instance's IP (0.0.0.0 when it has none); a local-mode workload's is 127.0.0.1.
    const bind = il.bind ?? proxy.ips[0] ?? WILDCARD;
    const cluster = ingressCluster(proxy, il);
    const ip: InboundPort = { port: il.port.number, protocol: il.port.protocol, cluster, origin };
    const { chains, needsTlsInspector } = securedChains(inboundChains(push, proxy, ip, bind), modeForPort(mtls, il.port.number));
    if (!chains.length) {
      push.report({ ...origin, field: `${il.field}.port.protocol`, message: `protocol ${il.port.protocol} is not implemented: no listener is built for ${bind}:${il.port.number}`, severity: 'warning', category: 'unsupported' });
      continue;
    }
    const l: Listener = { name: `${bind}_${il.port.number}`, address: address(bind, il.port.number), trafficDirection: 'INBOUND', filterChains: chains.filter((c) => c.filterChainMatch) };
    const inspectors = [...(needsTlsInspector ? [TLS_INSPECTOR] : []), ...(portClass(il.port.protocol) === 'auto' ? [HTTP_INSPECTOR] : [])];
    if (inspectors.length) l.listenerFilters = inspectors;
    const unmatched = chains.filter((c) => !c.filterChainMatch);
    if (l.filterChains!.length) l.defaultFilterChain = unmatched[0];
    else l.filterChains = unmatched;
    push.attribute(l, [origin]);
    listeners.push(l);
    clusters.push(cluster);
  }
  if (!captures(proxy)) return { listeners, clusters };

  const ports = sc?.ingress.length ? captured : instancePorts(push, proxy);
  const chains: FilterChain[] = [{ name: `${VIRTUAL_INBOUND}-blackhole`, filterChainMatch: { destinationPort: { value: proxy.inboundPort } }, filters: [clusterFilter(BLACKHOLE_CLUSTER)] }];
  const tlsPorts: number[] = [];
  const plainPorts: number[] = [];
  for (const ip of ports) {
    if (ip.port === proxy.inboundPort) continue;
    const { chains: built, needsTlsInspector } = securedChains(inboundChains(push, proxy, ip, WILDCARD), modeForPort(mtls, ip.port));
    if (built.length) (needsTlsInspector ? tlsPorts : plainPorts).push(ip.port);
    if (!built.length) {
      push.report({ ...ip.origin, message: `inbound port ${ip.port} is ${ip.protocol}, which is not implemented: its traffic is passed through to the workload`, severity: 'warning', category: 'unsupported' });
      continue;
    }
    for (const c of built) {
      c.filterChainMatch = {
        ...c.filterChainMatch,
        destinationPort: { value: ip.port },
        ...(ip.bind ? { prefixRanges: [{ addressPrefix: ip.bind, prefixLen: { value: ip.bind.includes(':') ? 128 : 32 } }] } : {}),
      };
      chains.push(c);
    }
    clusters.push(ip.cluster);
  }
  // Ports nobody declared are passed through under the workload's own mode (STRICT: mTLS only).
  const passthrough = securedChains([{ name: VIRTUAL_INBOUND, filterChainMatch: { prefixRanges: [{ addressPrefix: '0.0.0.0', prefixLen: { value: 0 } }] }, filters: [...authorizationFilters(push, { namespace: proxy.namespace, labels: proxy.labels }).tcp, clusterFilter(INBOUND_PASSTHROUGH_CLUSTER)] }], mtls.mode);
  chains.push(...passthrough.chains);
  const vi: Listener = {
    name: VIRTUAL_INBOUND,
    address: address(WILDCARD, proxy.inboundPort),
    trafficDirection: 'INBOUND',
    listenerFilters: [
      ORIGINAL_DST,
      ...inboundTlsInspector(tlsPorts, plainPorts, passthrough.needsTlsInspector),
      ...inboundHttpInspector(ports.filter((p) => portClass(p.protocol) === 'auto').map((p) => p.port)),
    ],
    filterChains: chains,
  };
  push.attribute(vi, [...ports.map((p) => p.origin), MESH_CONFIG_ORIGIN]);
  listeners.push(vi);
  return { listeners, clusters };
}
