// One generator per xDS type, combined into the snapshot a proxy is served.
// Resources shared by many proxies (clusters, endpoints, a namespace's
// outbound routes) are built and encoded once per push context.
import { Snapshot, TYPE_URLS, prepareResource, type PreparedResource } from '@mesh/xds';
import type { Proxy } from '../model/proxy.ts';
import type { PushContext } from '../model/push-context.ts';
import { buildClusters } from './clusters.ts';
import { buildEndpoints } from './endpoints.ts';
import { gatewayListeners, proxylessListeners, sidecarListeners } from './listeners.ts';
import { gatewayHttpPorts, gatewayRoute, proxylessRoutes, sidecarOutboundRoute, type GenerationLog } from './routes.ts';

export interface GeneratorOptions {
  /** Gateway server ports below 1024 are bound at port + this (0 disables). */
  privilegedPortOffset: number;
  log: GenerationLog;
}

export interface GeneratedResources {
  listeners: object[];
  routes: object[];
  clusters: object[];
  endpoints: object[];
}

/** The plain Envoy objects for a proxy (tests and /debug/configz read these). */
export function generateResources(push: PushContext, proxy: Proxy, options: GeneratorOptions): GeneratedResources {
  const clusters = push.memo(`cds|${proxy.proxyless}`, () => buildClusters(push, proxy.proxyless));
  const endpoints = push.memo('eds', () => buildEndpoints(push));
  if (proxy.proxyless) {
    return { listeners: push.memo('lds|grpc', () => proxylessListeners(push)), routes: push.memo(`rds|grpc|${proxy.namespace}`, () => proxylessRoutes(push, proxy, options.log)), clusters, endpoints };
  }
  if (proxy.type === 'router') {
    const gateways = push.gatewaysFor(proxy.labels);
    return {
      listeners: gatewayListeners(push, proxy, gateways, options.privilegedPortOffset, options.log),
      routes: gatewayHttpPorts(gateways).map((port) => gatewayRoute(push, gateways, port, options.log)),
      clusters,
      endpoints,
    };
  }
  return {
    listeners: sidecarListeners(proxy),
    routes: [push.memo(`rds|outbound|${proxy.namespace}`, () => sidecarOutboundRoute(push, proxy, options.log))],
    clusters,
    endpoints,
  };
}

/**
 * Encodes resources through the protos, once per memo key. A resource that
 * does not encode is logged and left out; the others are still served.
 */
function prepared(push: PushContext, key: string | undefined, typeUrl: string, objects: object[], log: GenerationLog): PreparedResource[] {
  const build = () =>
    objects.flatMap((o) => {
      try {
        return [prepareResource(typeUrl, o as Record<string, any>)];
      } catch (err) {
        log.error('generated resource is not a valid Envoy message; left out', { err: (err as Error).message });
        return [];
      }
    });
  return key ? push.memo(`prepared|${key}`, build) : build();
}

export function generateSnapshot(push: PushContext, proxy: Proxy, options: GeneratorOptions): Snapshot {
  const r = generateResources(push, proxy, options);
  const shared = proxy.type === 'sidecar';
  const ns = proxy.namespace;
  return Snapshot.build(
    // Versions derived from content: every pilot replica gives identical config the same version.
    (_typeUrl, hash) => hash,
    {
      [TYPE_URLS.listener]: prepared(push, proxy.proxyless ? 'lds|grpc' : undefined, TYPE_URLS.listener, r.listeners, options.log),
      [TYPE_URLS.route]: prepared(push, proxy.proxyless ? `rds|grpc|${ns}` : shared ? `rds|outbound|${ns}` : undefined, TYPE_URLS.route, r.routes, options.log),
      [TYPE_URLS.cluster]: prepared(push, `cds|${proxy.proxyless}`, TYPE_URLS.cluster, r.clusters, options.log),
      [TYPE_URLS.endpoint]: prepared(push, 'eds', TYPE_URLS.endpoint, r.endpoints, options.log),
    },
  );
}

export { buildClusters, buildEndpoints, sidecarOutboundRoute, gatewayRoute, sidecarListeners, gatewayListeners, proxylessListeners, proxylessRoutes };
