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
  type Secret,
} from '@mesh/xds';
import { istioFieldOf } from '../model/destination-rules.ts';
import { MESH_CONFIG_ORIGIN, type Origin } from '../model/errors.ts';
import { captures, type Proxy } from '../model/proxy.ts';
import type { PushContext } from '../model/push-context.ts';
import { buildClusters, inboundPassthroughCluster } from './clusters.ts';
import { sidecarInbound, sidecarOutbound } from './sidecar.ts';
import { buildEndpoints } from './endpoints.ts';
import { proxylessListeners, sidecarListeners } from './listeners.ts';
import { gatewayListeners } from './gateway-listeners.ts';
import { gatewayHttpPorts, gatewayHttpsRoute, gatewayHttpsServers, gatewayRoute, proxylessRoutes, sidecarOutboundRoute, type GenerationLog } from './routes.ts';
import { gatewaySecrets } from './secrets.ts';
import { requestAuthentication } from './request-authentication.ts';

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

interface Parts {
  listeners: Listener[];
  routes: RouteConfiguration[];
  /** Clusters shared by every proxy with the same scope and kind (memo key `keys.cds`). */
  sharedClusters: Cluster[];
  /** This proxy's own clusters (inbound). */
  ownClusters: Cluster[];
  endpoints: ClusterLoadAssignment[];
  /** Memo keys of what is shared (prepared once per push). */
  keys: { lds?: string; rds?: string; cds: string; eds: string };
}

/**
 * Whether a sidecar gets the compatibility mode: the explicit HTTP proxy
 * `virtualOutbound` (INTERCEPTION_MODE NONE and no Sidecar resource selects it).
 */
export function isCompatibilityMode(push: PushContext, proxy: Proxy): boolean {
  return proxy.type === 'sidecar' && !proxy.proxyless && !captures(proxy) && !push.scopeFor(proxy).sidecar;
}

function generateParts(push: PushContext, proxy: Proxy, options: GeneratorOptions): Parts {
  const scope = push.scopeFor(proxy);
  const k = scope.key;
  if (proxy.proxyless) {
    // Proxyless clients get no mutual TLS, hence no endpoint tlsMode metadata: their own EDS.
    const eds = `eds|grpc|${k}`;
    const endpoints = push.memo(eds, () => buildEndpoints(push, scope, { proxyless: true }));
    const keys = { lds: `lds|grpc|${k}`, rds: `rds|grpc|${k}`, cds: `cds|grpc|${k}`, eds };
    return {
      listeners: push.memo(keys.lds, () => proxylessListeners(push, scope)),
      routes: push.memo(keys.rds, () => proxylessRoutes(push, scope, proxy, options.log)),
      sharedClusters: push.memo(keys.cds, () => buildClusters(push, scope, { proxyless: true, passthroughFromHeader: false })),
      ownClusters: [],
      endpoints,
      keys,
    };
  }
  const eds = `eds|${k}`;
  const endpoints = push.memo(eds, () => buildEndpoints(push, scope));
  if (proxy.type === 'router') {
    const gateways = push.gatewaysFor(proxy.labels);
    // VirtualService matches on @request.auth.claims.* read what the gateway's jwt_authn verified.
    const claimIssuers = requestAuthentication(push, { namespace: proxy.namespace, labels: proxy.labels }).issuers;
    // Gateways originate TLS with credentials of their own namespace (DestinationRule credentialName): their own clusters.
    const cds = `cds|gateway|${proxy.namespace}|${k}`;
    return {
      listeners: gatewayListeners(push, scope, proxy, gateways, options.privilegedPortOffset, options.log),
      routes: [
        ...gatewayHttpPorts(gateways).map((port) => gatewayRoute(push, scope, gateways, port, options.log, claimIssuers)),
        // Istio requires port names unique within a Gateway; should two servers still share a name, the first one's table is served.
        ...gatewayHttpsServers(gateways)
          .filter((e, i, all) => all.findIndex((o) => o.routeName === e.routeName) === i)
          .map(({ gw, server }) => gatewayHttpsRoute(push, scope, gw, server, options.log, claimIssuers)),
      ],
      sharedClusters: push.memo(cds, () => buildClusters(push, scope, { proxyless: false, passthroughFromHeader: true, gatewayNamespace: proxy.namespace })),
      ownClusters: [],
      endpoints,
      keys: { cds, eds },
    };
  }
  const capture = captures(proxy);
  const cds = `cds|${capture ? 'capture' : 'explicit'}|${k}`;
  const sharedClusters = push.memo(cds, () => buildClusters(push, scope, { proxyless: false, passthroughFromHeader: !capture }));
  if (!capture && !scope.sidecar) {
    // The compatibility mode: the explicit HTTP proxy (what the local mesh runs until it writes Sidecar resources).
    const rds = `rds|compat|${k}`;
    return { listeners: sidecarListeners(push, proxy), routes: [push.memo(rds, () => sidecarOutboundRoute(push, scope, options.log))], sharedClusters, ownClusters: [], endpoints, keys: { rds, cds, eds } };
  }
  const outKey = `out|${k}|${proxy.interceptionMode}|${proxy.outboundPort}|${proxy.bindAddress}|${proxy.http10}`;
  const outbound = push.memo(outKey, () => sidecarOutbound(push, scope, proxy, options.log));
  const inbound = sidecarInbound(push, scope, proxy);
  return {
    listeners: uniqueListeners(push, [...outbound.listeners, ...inbound.listeners]),
    routes: outbound.routes,
    sharedClusters,
    ownClusters: [...inbound.clusters, ...(capture ? [inboundPassthroughCluster()] : [])],
    endpoints,
    keys: { rds: `rds|${outKey}`, cds, eds },
  };
}

/** Listeners with a name (or address) an earlier one has are left out (Envoy rejects the whole update otherwise), each reported. */
function uniqueListeners(push: PushContext, listeners: Listener[]): Listener[] {
  const names = new Set<string>();
  const addresses = new Set<string>();
  return listeners.filter((l) => {
    const a = l.address?.socketAddress;
    const addr = a && l.bindToPort?.value !== false ? `${a.address}:${a.portValue}` : undefined;
    if (!names.has(l.name!) && (!addr || !addresses.has(addr))) {
      names.add(l.name!);
      if (addr) addresses.add(addr);
      return true;
    }
    const origin = push.originsOf(l)?.[0] ?? MESH_CONFIG_ORIGIN;
    push.report({ ...origin, message: `listener ${l.name} (${addr ?? 'not bound'}) is also built from another listener of this proxy; this one is left out`, severity: 'error', category: 'conflict' });
    return false;
  });
}

/** The plain Envoy objects for a proxy (tests and /debug/configz read these). */
export function generateResources(push: PushContext, proxy: Proxy, options: GeneratorOptions): GeneratedResources {
  const p = generateParts(push, proxy, options);
  return { listeners: p.listeners, routes: p.routes, clusters: [...p.sharedClusters, ...p.ownClusters], endpoints: p.endpoints };
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
  const p = generateParts(push, proxy, options);
  const secrets: Secret[] = gatewaySecrets(push, proxy, { listeners: p.listeners, clusters: [...p.sharedClusters, ...p.ownClusters] });
  return Snapshot.build(
    // Versions derived from content: every pilot replica gives identical config the same version.
    (_typeUrl, hash) => hash,
    {
      [TYPE_URLS.listener]: prepared(push, p.keys.lds, TYPE_URLS.listener, p.listeners),
      [TYPE_URLS.route]: prepared(push, p.keys.rds, TYPE_URLS.route, p.routes),
      [TYPE_URLS.cluster]: [...prepared(push, p.keys.cds, TYPE_URLS.cluster, p.sharedClusters), ...prepared(push, undefined, TYPE_URLS.cluster, p.ownClusters)],
      [TYPE_URLS.endpoint]: prepared(push, p.keys.eds, TYPE_URLS.endpoint, p.endpoints),
      [TYPE_URLS.secret]: secrets.map((s) => prepareResource(TYPE_URLS.secret, s)),
    },
  );
}

export { buildClusters, buildEndpoints, sidecarOutboundRoute, gatewayRoute, sidecarListeners, gatewayListeners, proxylessListeners, proxylessRoutes };
