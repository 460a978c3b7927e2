// LDS: a sidecar's `virtualOutbound` HTTP listener, a gateway's
// `0.0.0.0_<port>` listeners, and proxyless gRPC's api_listeners named
// `<host>:<port>` (the name a client's `xds:///<host>:<port>` target asks for).
import { CONFIG_TYPE_URLS, FILTER_NAMES, type HttpConnectionManager, type Listener } from '@mesh/xds';
import type { Proxy } from '../model/proxy.ts';
import type { PushContext } from '../model/push-context.ts';
import { bindPort, type GatewayModel } from '../model/gateways.ts';
import { MESH_GATEWAY, translateTcpRoute } from '../model/virtual-services.ts';
import { OUTBOUND_HTTP_ROUTE, gatewayHttpPorts, type GenerationLog } from './routes.ts';

export const VIRTUAL_OUTBOUND = 'virtualOutbound';
const ADS = { ads: {}, resourceApiVersion: 'V3' as const };

function hcm(statPrefix: string, routeName: string, options: { useRemoteAddress?: boolean; proxyless?: boolean } = {}): HttpConnectionManager {
  return {
    '@type': CONFIG_TYPE_URLS.httpConnectionManager,
    statPrefix,
    rds: { configSource: ADS, routeConfigName: routeName },
    httpFilters: [
      // The fault filter does nothing until a route carries a fault config (VirtualService `fault`).
      ...(options.proxyless ? [] : [{ name: FILTER_NAMES.fault, typedConfig: { '@type': CONFIG_TYPE_URLS.fault } }]),
      { name: FILTER_NAMES.router, typedConfig: { '@type': CONFIG_TYPE_URLS.router } },
    ],
    ...(options.useRemoteAddress ? { useRemoteAddress: { value: true } } : {}),
  };
}

function address(host: string, port: number) {
  return { socketAddress: { address: host, portValue: port } };
}

export function sidecarListeners(proxy: Proxy): Listener[] {
  return [
    {
      name: VIRTUAL_OUTBOUND,
      address: address(proxy.bindAddress, proxy.outboundPort),
      trafficDirection: 'OUTBOUND',
      filterChains: [{ filters: [{ name: FILTER_NAMES.httpConnectionManager, typedConfig: hcm(`outbound_${proxy.bindAddress}_${proxy.outboundPort}`, OUTBOUND_HTTP_ROUTE) as any }] }],
    },
  ];
}

export function gatewayListeners(push: PushContext, proxy: Proxy, gateways: GatewayModel[], privilegedPortOffset: number, log: GenerationLog): Listener[] {
  const out: Listener[] = [];
  for (const port of gatewayHttpPorts(gateways)) {
    const bound = bindPort(port, privilegedPortOffset);
    out.push({
      name: `0.0.0.0_${port}`,
      address: address(proxy.bindAddress, bound),
      trafficDirection: 'OUTBOUND',
      filterChains: [{ filters: [{ name: FILTER_NAMES.httpConnectionManager, typedConfig: hcm(`outbound_0.0.0.0_${port}`, `http.${port}`, { useRemoteAddress: true }) as any }] }],
    });
  }
  // TCP servers: the first VirtualService bound to the gateway with a matching tcp route.
  const tcpPorts = new Map<number, GatewayModel[]>();
  for (const g of gateways) for (const s of g.servers) if (s.protocol === 'TCP') tcpPorts.set(s.port, [...(tcpPorts.get(s.port) ?? []), g]);
  for (const [port, gws] of [...tcpPorts].sort((a, b) => a[0] - b[0])) {
    if (out.some((l) => l.name === `0.0.0.0_${port}`)) continue;
    let dests: Array<{ name: string; weight: number }> | undefined;
    for (const gw of gws) {
      for (const vs of push.virtualServicesForGateway(gw.key)) {
        try {
          dests = translateTcpRoute(vs, { lookup: push, gateway: gw.key, port, proxyless: false, warn: () => {} });
        } catch (err) {
          log.error('VirtualService tcp route failed to translate; skipped', { kind: 'VirtualService', namespace: vs.namespace, name: vs.name, err: (err as Error).message });
        }
        if (dests?.length) break;
      }
      if (dests?.length) break;
    }
    if (!dests?.length) continue;
    out.push({
      name: `0.0.0.0_${port}`,
      address: address(proxy.bindAddress, bindPort(port, privilegedPortOffset)),
      trafficDirection: 'OUTBOUND',
      filterChains: [{ filters: [{ name: FILTER_NAMES.tcpProxy, typedConfig: tcpProxy(`outbound_0.0.0.0_${port}`, dests) as any }] }],
    });
  }
  return out;
}

export function tcpProxy(statPrefix: string, dests: Array<{ name: string; weight: number }>): Record<string, unknown> {
  return {
    '@type': CONFIG_TYPE_URLS.tcpProxy,
    statPrefix,
    ...(dests.length === 1 ? { cluster: dests[0].name } : { weightedClusters: { clusters: dests } }),
  };
}

/** Proxyless gRPC: `<host>:<port>` for every port of every STATIC service (and `<host>` for single-port services). */
export function proxylessListeners(push: PushContext): Listener[] {
  const out: Listener[] = [];
  for (const svc of push.services) {
    if (svc.resolution !== 'STATIC') continue;
    for (const port of svc.ports) {
      const routeName = `${svc.hostname}:${port.number}`;
      const names = [routeName, ...(svc.ports.length === 1 ? [svc.hostname] : [])];
      for (const name of names) {
        out.push({ name, apiListener: { apiListener: hcm(routeName, routeName, { proxyless: true }) as any } });
      }
    }
  }
  return out;
}

export { MESH_GATEWAY };
