// RDS: the sidecar's `outbound_http` (one virtual host per service port), a
// gateway's `http.<port>` (one virtual host per VirtualService host that the
// Gateway's servers expose), and proxyless gRPC's `<host>:<port>`.
import { GATEWAY_HTTP_PROTOCOLS } from '@mesh/config';
import type { Route, RouteConfiguration, VirtualHost } from '@mesh/xds';
import { isHttpProtocol, type Service, type ServicePort } from '../model/services.ts';
import type { Proxy } from '../model/proxy.ts';
import type { PushContext } from '../model/push-context.ts';
import type { ProxyScope } from '../model/scope.ts';
import type { GatewayModel, GatewayServerModel } from '../model/gateways.ts';
import { intersectHosts } from '../model/hosts.ts';
import { MESH_GATEWAY, defaultRoute, translateHttpRoutes, type VirtualServiceModel } from '../model/virtual-services.ts';
import { BLACKHOLE_CLUSTER, PASSTHROUGH_CLUSTER } from './clusters.ts';
import { MESH_CONFIG_ORIGIN } from '../model/errors.ts';

export const OUTBOUND_HTTP_ROUTE = 'outbound_http';

/** Hooks for problems found while generating (normally caught earlier, by the push context's dry run). */
export interface GenerationLog {
  error(msg: string, fields: Record<string, unknown>): void;
}

/**
 * The names a client may use for a service port: the host, `host:port` and,
 * for `<name>.<ns>.svc.<suffix>` hosts, `name.ns`, `name.ns.svc` and (from the
 * same namespace) `name`, each also with `:port`; plus the ServiceEntry's addresses.
 */
export function serviceDomains(svc: Service, port: number, includePortless: boolean, proxyNamespace: string, domainSuffix: string): string[] {
  const names = [svc.hostname];
  const m = new RegExp(`^([^.]+)\\.([^.]+)\\.svc\\.${domainSuffix.replace(/\./g, '\\.')}$`).exec(svc.hostname);
  if (m) {
    const [, name, ns] = m;
    if (!proxyNamespace || proxyNamespace === ns) names.push(name);
    names.push(`${name}.${ns}`, `${name}.${ns}.svc`);
  }
  for (const a of svc.addresses) if (!a.includes('/')) names.push(a);
  const out: string[] = [];
  for (const n of names) {
    if (includePortless) out.push(n);
    out.push(`${n}:${port}`);
  }
  return out;
}

export function meshRoutes(push: PushContext, scope: ProxyScope, svc: Service, port: ServicePort, proxyless: boolean, log: GenerationLog): Route[] {
  const vs = scope.virtualServiceFor(svc.hostname);
  if (vs) {
    try {
      // The push context's dry run reported everything else; only what proxyless clients do not get is new here.
      const warn = proxyless ? (field: string, message: string) => void push.report({ ...vs.ref, field, message, severity: 'warning', category: 'unsupported' }) : () => {};
      const routes = translateHttpRoutes(vs, { lookup: scope, gateway: MESH_GATEWAY, port: port.number, proxyless, warn, attribute: (r, o) => push.attribute(r, [o]) });
      if (routes.length) return routes;
    } catch (err) {
      log.error('VirtualService failed to translate; using the default route', { kind: 'VirtualService', namespace: vs.namespace, name: vs.name, err: (err as Error).message });
    }
  }
  const route = defaultRoute(svc.hostname, port.number, proxyless, scope);
  push.attribute(route, [{ ...svc.source, field: 'spec.ports' }]);
  return [route];
}

/** The port whose virtual host also answers the port-less host names: 80 if HTTP, else the lowest HTTP port. */
export function defaultHttpPort(ports: ServicePort[]): number | undefined {
  if (ports.some((p) => p.number === 80)) return 80;
  return ports.map((p) => p.number).sort((a, b) => a - b)[0];
}

/**
 * Drops domains an earlier virtual host already claimed (Envoy rejects duplicates) and empty virtual hosts.
 * Every virtual host of a sidecar's or gateway's route table carries Istio's includeRequestAttemptCount: the
 * upstream sees x-envoy-attempt-count on each try.
 */
export function dedupeDomains(vhosts: VirtualHost[]): VirtualHost[] {
  const seen = new Set<string>();
  const out: VirtualHost[] = [];
  for (const vh of vhosts) {
    const domains = (vh.domains ?? []).filter((d) => !seen.has(d.toLowerCase()));
    domains.forEach((d) => seen.add(d.toLowerCase()));
    if (domains.length) out.push({ ...vh, domains, includeRequestAttemptCount: true });
  }
  return out;
}

/**
 * Istio's last virtual host of every sidecar HTTP route table: `allow_any`
 * (anything else goes to its original destination) or, with
 * outboundTrafficPolicy REGISTRY_ONLY, `block_all` (502).
 */
export function fallbackVirtualHost(mode: 'ALLOW_ANY' | 'REGISTRY_ONLY'): VirtualHost {
  return mode === 'REGISTRY_ONLY'
    ? { name: 'block_all', domains: ['*'], routes: [{ name: 'block_all', match: { prefix: '/' }, directResponse: { status: 502, body: { inlineString: 'no such service in the mesh registry\n' } } }] }
    : { name: 'allow_any', domains: ['*'], routes: [{ name: 'allow_any', match: { prefix: '/' }, route: { cluster: PASSTHROUGH_CLUSTER, timeout: { seconds: 0 } } }] };
}

/**
 * A virtual host per HTTP port of each service (the port-less names on
 * `preferredPort` when the service has it, else on its port 80 or lowest HTTP
 * port), then the fallback: the route table of an explicitly used HTTP proxy
 * (the compatibility `outbound_http` and Sidecar egress listeners bound
 * without capture), where one listener serves every port.
 */
export function explicitProxyRoute(push: PushContext, scope: ProxyScope, name: string, services: readonly Service[], preferredPort: number | undefined, log: GenerationLog): RouteConfiguration {
  const vhosts: VirtualHost[] = [];
  for (const svc of services) {
    const httpPorts = svc.ports.filter((p) => isHttpProtocol(p.protocol));
    const def = preferredPort !== undefined && httpPorts.some((p) => p.number === preferredPort) ? preferredPort : defaultHttpPort(httpPorts);
    for (const port of httpPorts) {
      vhosts.push({
        name: `${svc.hostname}:${port.number}`,
        domains: serviceDomains(svc, port.number, port.number === def, scope.namespace, push.domainSuffix),
        routes: meshRoutes(push, scope, svc, port, false, log),
      });
    }
  }
  vhosts.push(fallbackVirtualHost(scope.outboundMode));
  const rc: RouteConfiguration = { name, virtualHosts: dedupeDomains(vhosts), validateClusters: { value: false } };
  push.attribute(rc, [...(scope.sidecar ? [{ ...scope.sidecar.ref, field: 'spec.egress' }] : []), MESH_CONFIG_ORIGIN]);
  return rc;
}

/** The compatibility mode's `outbound_http`: every HTTP service port of the scope. */
export function sidecarOutboundRoute(push: PushContext, scope: ProxyScope, log: GenerationLog): RouteConfiguration {
  return explicitProxyRoute(push, scope, OUTBOUND_HTTP_ROUTE, scope.services, undefined, log);
}

// The protocols @mesh/config's supportFindings treats as served (the rest are reported as not implemented).
const GATEWAY_HTTP = new Set(GATEWAY_HTTP_PROTOCOLS);

/** Gateway server ports that serve plain HTTP (the ones with an `http.<port>` route config). */
export function gatewayHttpPorts(gateways: GatewayModel[]): number[] {
  const ports = new Set<number>();
  for (const g of gateways) for (const s of g.servers) if (GATEWAY_HTTP.has(s.protocol)) ports.add(s.port);
  return [...ports].sort((a, b) => a - b);
}

/** `claimIssuers`: the JWT issuers the gateway's RequestAuthentications accept (VirtualService matches on @request.auth.claims.*). */
export function gatewayRoute(push: PushContext, scope: ProxyScope, gateways: GatewayModel[], port: number, log: GenerationLog, claimIssuers: readonly string[] = []): RouteConfiguration {
  const entries = gateways.flatMap((gw) => gw.servers.filter((s) => s.port === port && GATEWAY_HTTP.has(s.protocol)).map((server) => ({ gw, server })));
  return gatewayServersRoute(push, scope, `http.${port}`, port, entries, gateways, log, claimIssuers);
}

/** The Gateway servers that terminate TLS and serve HTTP (protocol HTTPS, a TLS termination mode): each has its own route table. */
export function gatewayHttpsServers(gateways: GatewayModel[]): Array<{ gw: GatewayModel; server: GatewayServerModel; routeName: string }> {
  return gateways.flatMap((gw) =>
    gw.servers.filter((s) => s.protocol === 'HTTPS' && s.tls && TLS_TERMINATION_MODES.has(s.tls.mode)).map((server) => ({ gw, server, routeName: httpsRouteName(gw, server) })),
  );
}

/** Modes in which a gateway server terminates TLS (the rest pass it through or are not implemented). */
export const TLS_TERMINATION_MODES: ReadonlySet<string> = new Set(['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL', 'ISTIO_MUTUAL']);

/** Istio's name of an HTTPS server's route table: `https.<port>.<port name>.<gateway>.<namespace>`. */
export function httpsRouteName(gw: GatewayModel, server: GatewayServerModel): string {
  return `https.${server.port}.${server.portName}.${gw.name}.${gw.namespace}`;
}

/** An HTTPS server's route table: the VirtualServices bound to its gateway, on the hosts it exposes. */
export function gatewayHttpsRoute(push: PushContext, scope: ProxyScope, gw: GatewayModel, server: GatewayServerModel, log: GenerationLog, claimIssuers: readonly string[] = []): RouteConfiguration {
  return gatewayServersRoute(push, scope, httpsRouteName(gw, server), server.port, [{ gw, server }], [gw], log, claimIssuers);
}

function gatewayServersRoute(
  push: PushContext,
  scope: ProxyScope,
  name: string,
  port: number,
  entries: Array<{ gw: GatewayModel; server: GatewayServerModel }>,
  gateways: GatewayModel[],
  log: GenerationLog,
  claimIssuers: readonly string[],
): RouteConfiguration {
  const byHost = new Map<string, VirtualHost & { seen: Set<VirtualServiceModel> }>();
  for (const { gw, server } of entries) {
    for (const vs of push.virtualServicesForGateway(gw.key, scope.namespace)) {
      let routes: Route[] | undefined;
      for (const vsHost of vs.hosts) {
        for (const sh of server.hosts) {
          if (sh.namespace !== '*' && sh.namespace !== vs.namespace) continue;
          const host = intersectHosts(sh.host, vsHost);
          if (!host) continue;
          let vh = byHost.get(host);
          if (!vh) {
            vh = { name: `${host}:${port}`, domains: host === '*' ? ['*'] : [host, `${host}:*`], routes: [], seen: new Set() };
            byHost.set(host, vh);
          }
          if (server.httpsRedirect) vh.requireTls = 'ALL';
          if (vh.seen.has(vs)) continue;
          vh.seen.add(vs);
          try {
            routes ??= translateHttpRoutes(vs, {
              lookup: scope,
              gateway: gw.key,
              port,
              proxyless: false,
              warn: () => {},
              attribute: (r, o) => push.attribute(r, [o]),
              claimIssuers,
              claimWarn: (field, message) => void push.report({ ...vs.ref, field, message, severity: 'warning', category: 'unresolved' }),
            });
            vh.routes!.push(...routes);
          } catch (err) {
            log.error('VirtualService failed to translate for a gateway; skipped', { kind: 'VirtualService', namespace: vs.namespace, name: vs.name, gateway: gw.key, err: (err as Error).message });
          }
        }
      }
    }
  }
  const vhosts: VirtualHost[] = [...byHost.values()].map(({ seen: _seen, ...vh }) => vh);
  if (vhosts.length === 0) {
    vhosts.push({ name: `blackhole:${port}`, domains: ['*'], routes: [{ name: 'blackhole', match: { prefix: '/' }, directResponse: { status: 404 } }] });
  }
  const rc: RouteConfiguration = { name, virtualHosts: dedupeDomains(vhosts), validateClusters: { value: false } };
  push.attribute(rc, [...gateways.flatMap((g) => g.servers.filter((s) => s.port === port).map((s) => ({ ...g.ref, field: s.field }))), MESH_CONFIG_ORIGIN]);
  return rc;
}

/** Proxyless gRPC: one route config per service port, named like its listener. */
export function proxylessRoutes(push: PushContext, scope: ProxyScope, proxy: Proxy, log: GenerationLog): RouteConfiguration[] {
  const out: RouteConfiguration[] = [];
  for (const svc of scope.services) {
    if (svc.resolution !== 'STATIC') continue;
    for (const port of svc.ports) {
      const rc: RouteConfiguration = {
        name: `${svc.hostname}:${port.number}`,
        virtualHosts: [{ name: `${svc.hostname}:${port.number}`, domains: serviceDomains(svc, port.number, true, proxy.namespace, push.domainSuffix), routes: meshRoutes(push, scope, svc, port, true, log) }],
      };
      push.attribute(rc, [{ ...svc.source, field: 'spec.ports' }]);
      out.push(rc);
    }
  }
  return out;
}

export { BLACKHOLE_CLUSTER };
