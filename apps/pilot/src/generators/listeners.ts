// LDS: a sidecar's `virtualOutbound` HTTP listener (a gateway's
// `0.0.0.0_<port>` listeners are in gateway-listeners.ts), and proxyless gRPC's api_listeners named
// `<host>:<port>` (the name a client's `xds:///<host>:<port>` target asks for).
import type { PathNormalization } from '@mesh/config';
import { FILTER_NAMES, typedConfig, type Address, type ConfigSource, type HttpConnectionManager, type HttpFilter, type Listener, type RouteConfiguration, type TcpProxy } from '@mesh/xds';
import type { Proxy } from '../model/proxy.ts';
import { MESH_CONFIG_ORIGIN } from '../model/errors.ts';
import type { PushContext } from '../model/push-context.ts';
import type { ProxyScope } from '../model/scope.ts';
import { MESH_GATEWAY } from '../model/virtual-services.ts';
import { OUTBOUND_HTTP_ROUTE } from './routes.ts';
import { INBOUND_XFCC } from './mtls.ts';

export const VIRTUAL_OUTBOUND = 'virtualOutbound';
const ADS: ConfigSource = { ads: {}, resourceApiVersion: 'V3' };

/**
 * Istio's mesh config `pathNormalization` as HttpConnectionManager fields
 * (Istio's security best practices, "Understand path normalization"): BASE
 * is Envoy's normalize_path (RFC 3986, backslashes to slashes), MERGE_SLASHES
 * adds merge_slashes, DECODE_AND_MERGE_SLASHES also decodes %2F and %5C first.
 */
export function pathNormalizationFields(n: PathNormalization): Pick<HttpConnectionManager, 'normalizePath' | 'mergeSlashes' | 'pathWithEscapedSlashesAction'> {
  switch (n) {
    case 'NONE':
      return {};
    case 'BASE':
      return { normalizePath: { value: true } };
    case 'MERGE_SLASHES':
      return { normalizePath: { value: true }, mergeSlashes: true };
    case 'DECODE_AND_MERGE_SLASHES':
      return { normalizePath: { value: true }, mergeSlashes: true, pathWithEscapedSlashesAction: 'UNESCAPE_AND_FORWARD' };
  }
}

export interface HcmOptions {
  /** Gateways: the client address is the peer's, not X-Forwarded-For's (Istio sets this on gateways). */
  useRemoteAddress?: boolean;
  /** Gateways: Istio's numTrustedProxies (gatewayTopology): the client is that many X-Forwarded-For hops back. */
  xffNumTrustedHops?: number;
  /** Proxyless gRPC clients' api_listener: router only, and nothing gRPC's xDS client ignores. */
  proxyless?: boolean;
  pathNormalization?: PathNormalization;
  /** Istio's node metadata HTTP10=1: accept HTTP/1.0 requests. */
  acceptHttp10?: boolean;
  /** An inline route table instead of RDS `routeName` (sidecar inbound listeners). */
  routeConfig?: RouteConfiguration;
  /** AuthorizationPolicy's RBAC filters (generators/authorization.ts), run before the fault filter and the router. */
  rbac?: HttpFilter[];
  /** Sidecar inbound: forward the client certificate details (XFCC) with the peer's identity appended (Istio's inbound HCMs). */
  forwardClientCert?: boolean;
}

/**
 * An HTTP connection manager as Istio builds them: RDS (or an inline route
 * table), the fault filter and the router; and for Envoy-style proxies, codec
 * AUTO (HTTP/1.1 or HTTP/2 by what the client speaks), WebSocket upgrades and
 * the mesh's path normalization.
 */
export function hcm(statPrefix: string, routeName: string, options: HcmOptions = {}): HttpConnectionManager {
  return {
    statPrefix,
    ...(options.routeConfig ? { routeConfig: options.routeConfig } : { rds: { configSource: ADS, routeConfigName: routeName } }),
    httpFilters: [
      ...(options.rbac ?? []),
      // The fault filter does nothing until a route carries a fault config (VirtualService `fault`); proxyless gRPC
      // clients implement it as well.
      { name: FILTER_NAMES.fault, typedConfig: typedConfig('fault', {}) },
      // As istiod: CORS acts only on routes carrying a CorsPolicy (VirtualService corsPolicy); gRPC clients have no CORS.
      ...(options.proxyless ? [] : [{ name: FILTER_NAMES.cors, typedConfig: typedConfig('cors', {}) }]),
      { name: FILTER_NAMES.router, typedConfig: typedConfig('router', {}) },
    ],
    ...(options.proxyless ? {} : { codecType: 'AUTO' as const, upgradeConfigs: [{ upgradeType: 'websocket' }] }),
    ...(options.useRemoteAddress ? { useRemoteAddress: { value: true } } : {}),
    ...(options.xffNumTrustedHops ? { xffNumTrustedHops: options.xffNumTrustedHops } : {}),
    ...(options.proxyless ? {} : pathNormalizationFields(options.pathNormalization ?? 'BASE')),
    ...(options.acceptHttp10 && !options.proxyless ? { httpProtocolOptions: { acceptHttp_10: true } } : {}),
    ...(options.forwardClientCert ? INBOUND_XFCC : {}),
  };
}

export function address(host: string, port: number): Address {
  return { socketAddress: { address: host, portValue: port } };
}

export function hcmFilter(config: HttpConnectionManager) {
  return { name: FILTER_NAMES.httpConnectionManager, typedConfig: typedConfig('httpConnectionManager', config) };
}

/**
 * The compatibility mode (a sidecar with INTERCEPTION_MODE NONE that no
 * Sidecar resource selects): one explicit HTTP proxy listener, `virtualOutbound`
 * on BIND_ADDRESS:OUTBOUND_PORT, with the route table `outbound_http`.
 */
export function sidecarListeners(push: PushContext, proxy: Proxy): Listener[] {
  const listener: Listener = {
    name: VIRTUAL_OUTBOUND,
    address: address(proxy.bindAddress, proxy.outboundPort),
    trafficDirection: 'OUTBOUND',
    filterChains: [{ filters: [hcmFilter(hcm(`outbound_${proxy.bindAddress}_${proxy.outboundPort}`, OUTBOUND_HTTP_ROUTE, { pathNormalization: push.pathNormalization, acceptHttp10: proxy.http10 }))] }],
  };
  push.attribute(listener, [MESH_CONFIG_ORIGIN]);
  return [listener];
}

export function tcpProxy(statPrefix: string, dests: Array<{ name: string; weight: number }>): TcpProxy {
  return {
    statPrefix,
    ...(dests.length === 1 ? { cluster: dests[0].name } : { weightedClusters: { clusters: dests } }),
  };
}

/** Proxyless gRPC: `<host>:<port>` for every port of every STATIC service (and `<host>` for single-port services). */
export function proxylessListeners(push: PushContext, scope: ProxyScope): Listener[] {
  const out: Listener[] = [];
  for (const svc of scope.services) {
    if (svc.resolution !== 'STATIC') continue;
    for (const port of svc.ports) {
      const routeName = `${svc.hostname}:${port.number}`;
      const names = [routeName, ...(svc.ports.length === 1 ? [svc.hostname] : [])];
      for (const name of names) {
        const listener: Listener = { name, apiListener: { apiListener: typedConfig('httpConnectionManager', hcm(routeName, routeName, { proxyless: true })) } };
        push.attribute(listener, [{ ...svc.source, field: 'spec.ports' }]);
        out.push(listener);
      }
    }
  }
  return out;
}

export { MESH_GATEWAY };
