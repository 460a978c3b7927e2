// Which RDS and EDS names a set of listeners and clusters depends on. The
// client subscribes by these names and the snapshot cache checks consistency
// with them (a snapshot is complete when every referenced name is present).
import { CONFIG_TYPE_URLS } from './envoy-types.ts';

function hcmRouteName(config: Record<string, any> | undefined): string | undefined {
  if (!config || config['@type'] !== CONFIG_TYPE_URLS.httpConnectionManager) return undefined;
  const name = config.rds?.routeConfigName;
  return typeof name === 'string' && name ? name : undefined;
}

/** RouteConfiguration names referenced through HttpConnectionManager `rds` in listeners (filter chains and api_listener). */
export function referencedRouteNames(listeners: Iterable<Record<string, any>>): Set<string> {
  const names = new Set<string>();
  for (const listener of listeners) {
    const chains = [...(listener.filterChains ?? []), ...(listener.defaultFilterChain ? [listener.defaultFilterChain] : [])];
    for (const chain of chains) {
      for (const filter of chain.filters ?? []) {
        const n = hcmRouteName(filter.typedConfig);
        if (n) names.add(n);
      }
    }
    const n = hcmRouteName(listener.apiListener?.apiListener);
    if (n) names.add(n);
  }
  return names;
}

/** ClusterLoadAssignment names of EDS clusters (`edsClusterConfig.serviceName`, or the cluster name). */
export function referencedEndpointNames(clusters: Iterable<Record<string, any>>): Set<string> {
  const names = new Set<string>();
  for (const cluster of clusters) {
    if (cluster.type !== 'EDS') continue;
    names.add(cluster.edsClusterConfig?.serviceName || cluster.name);
  }
  return names;
}

/**
 * Secret names fetched over ADS: SdsSecretConfig entries (`{ name, sdsConfig: { ads } }`)
 * anywhere in the given resources (TLS transport sockets of listeners and clusters).
 * Secrets served by another SDS server (e.g. a local agent) are not ADS's business.
 */
export function referencedSecretNames(resources: Iterable<object>): Set<string> {
  const names = new Set<string>();
  const visit = (v: unknown, depth: number) => {
    if (depth > 64 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1);
      return;
    }
    const o = v as { name?: unknown; sdsConfig?: { ads?: unknown } | null };
    if (typeof o.name === 'string' && o.sdsConfig && typeof o.sdsConfig === 'object' && o.sdsConfig.ads) names.add(o.name);
    for (const x of Object.values(o)) if (x && typeof x === 'object' && !(x instanceof Uint8Array)) visit(x, depth + 1);
  };
  for (const r of resources) visit(r, 0);
  return names;
}
