// One generator per xDS type, combined into the snapshot a proxy is served.
// Resources shared by many proxies (clusters, endpoints, a namespace's
// outbound routes) are built and encoded once per push context.
import { counter } from '@mesh/telemetry';
import {
  Snapshot,
  TYPE_URLS,
  encodeMessage,
  prepareResource,
  shortTypeName,
  type Cluster,
  type ClusterLoadAssignment,
  type Listener,
  type PreparedResource,
  type RouteConfiguration,
} from '@mesh/xds';
import { istioFieldOf } from '../model/destination-rules.ts';
import { MESH_CONFIG_ORIGIN, type Origin } from '../model/errors.ts';
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

/** Istio's name: Envoy resources pilot generated but could not encode, so did not serve. */
const internalErrors = counter('pilot_total_xds_internal_errors', 'Envoy resources pilot built but could not encode; each is left out and reported as a translation issue', ['type']);

export interface GeneratedResources {
  listeners: Listener[];
  routes: RouteConfiguration[];
  clusters: Cluster[];
  endpoints: ClusterLoadAssignment[];
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
    listeners: sidecarListeners(push, proxy),
    routes: [push.memo(`rds|outbound|${proxy.namespace}`, () => sidecarOutboundRoute(push, proxy, options.log))],
    clusters,
    endpoints,
  };
}

/** The resource's own name, for messages (before it is known to encode). */
function nameOf(o: object): string {
  const r = o as { name?: unknown; clusterName?: unknown };
  return String(r.name ?? r.clusterName ?? '(unnamed)');
}

/**
 * Reports an Envoy resource (or a route of one) that cannot be served as a
 * translation issue of the Istio resource(s) it came from, naming the Istio
 * field when the encoding error points at an Envoy field a known Istio field set.
 */
function reportUnencodable(push: PushContext, what: string, origins: Origin[] | undefined, message: string, consequence: string, type: string): void {
  const list = origins?.length ? origins : [MESH_CONFIG_ORIGIN];
  // The origin whose fields explain the error, else the first (the most specific).
  let origin = list[0];
  let field = origin.field;
  for (const o of list) {
    const f = o.fields ? istioFieldOf(o.fields, message) : undefined;
    if (f) {
      origin = o;
      field = f;
      break;
    }
  }
  const isNew = push.report({
    kind: origin.kind,
    namespace: origin.namespace,
    name: origin.name,
    field,
    message: `${what} built from this could not be encoded as an Envoy message and ${consequence}: ${message}`,
    severity: 'error',
    category: 'internal',
  });
  if (isNew) internalErrors.inc({ type });
}

/**
 * A route configuration without the routes that do not encode (each reported
 * against the VirtualService route it came from), so one bad route does not
 * take a whole route table away; undefined when that does not help.
 */
function withoutBadRoutes(push: PushContext, rc: RouteConfiguration): RouteConfiguration | undefined {
  let dropped = 0;
  const virtualHosts = (rc.virtualHosts ?? []).map((vh) => ({
    ...vh,
    routes: (vh.routes ?? []).filter((route) => {
      try {
        encodeMessage('envoy.config.route.v3.Route', route);
        return true;
      } catch (err) {
        dropped++;
        reportUnencodable(push, `route "${route.name ?? ''}" of ${rc.name} (virtual host ${vh.name})`, push.originsOf(route), (err as Error).message, 'is left out of the route table', 'RDS');
        return false;
      }
    }),
  }));
  return dropped ? { ...rc, virtualHosts } : undefined;
}

/**
 * Encodes resources through the protos, once per memo key. A resource that
 * does not encode is left out (the others are still served) and reported as
 * an error-level translation issue of the Istio resource it came from: on
 * /debug/push_status, in pilot_translation_issues and
 * pilot_total_xds_internal_errors, and in the log.
 */
function prepared(push: PushContext, key: string | undefined, typeUrl: string, objects: ReadonlyArray<Listener | RouteConfiguration | Cluster | ClusterLoadAssignment>): PreparedResource[] {
  const type = shortTypeName(typeUrl);
  const build = () =>
    objects.flatMap((o) => {
      try {
        return [prepareResource(typeUrl, o)];
      } catch (err) {
        const repaired = typeUrl === TYPE_URLS.route ? withoutBadRoutes(push, o as RouteConfiguration) : undefined;
        if (repaired) {
          try {
            return [prepareResource(typeUrl, repaired)];
          } catch (again) {
            err = again;
          }
        }
        reportUnencodable(push, `${type} ${nameOf(o)}`, push.originsOf(o), (err as Error).message, 'is not served', type);
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
      [TYPE_URLS.listener]: prepared(push, proxy.proxyless ? 'lds|grpc' : undefined, TYPE_URLS.listener, r.listeners),
      [TYPE_URLS.route]: prepared(push, proxy.proxyless ? `rds|grpc|${ns}` : shared ? `rds|outbound|${ns}` : undefined, TYPE_URLS.route, r.routes),
      [TYPE_URLS.cluster]: prepared(push, `cds|${proxy.proxyless}`, TYPE_URLS.cluster, r.clusters),
      [TYPE_URLS.endpoint]: prepared(push, 'eds', TYPE_URLS.endpoint, r.endpoints),
    },
  );
}

export { buildClusters, buildEndpoints, sidecarOutboundRoute, gatewayRoute, sidecarListeners, gatewayListeners, proxylessListeners, proxylessRoutes };
