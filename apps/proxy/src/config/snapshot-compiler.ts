// From an xDS snapshot (Maps of plain Envoy objects) to the compiled forms
// the data plane runs on. Compiled resources are cached by content so an
// update recompiles only what changed, and unchanged objects keep their
// identity (route tables keep their caches, clusters are not touched).
import { compileCluster, compileLoadAssignment, type ClusterSpec, type EndpointSpec } from './cluster-config.ts';
import { compileListener, type ListenerSpec } from './listener-config.ts';
import { RouteTable, type CompileOptions } from './route-table.ts';
import type { Cluster__Output, ClusterLoadAssignment__Output, Listener__Output, ResourceMap, RouteConfiguration__Output, XdsSnapshot } from '@mesh/xds';

// The same strings as @mesh/xds's TYPE_URLS, spelled here so a proxy with a static config never loads the xDS
// client (its gRPC and proto code) at all.
export const TYPE_URLS = {
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoint: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
} as const;

/** The shape AdsClient emits (docs/xds-representation.md). */
export type { XdsSnapshot };

export interface CompiledConfig {
  readonly listeners: Map<string, ListenerSpec>;
  readonly routes: Map<string, RouteTable>;
  readonly clusters: Map<string, ClusterSpec>;
  readonly endpoints: Map<string, EndpointSpec[]>;
  /** Resources that failed to compile (normally NACKed before they get here), with why. */
  readonly errors: string[];
  /**
   * Fields accepted without being implemented because our pilot sends them
   * (supported-fields.ts `gaps`), as field paths: worth a log line and a place in config_dump.
   */
  readonly unimplemented: string[];
}

/**
 * Compiled resources by name, reused while the resource's key is the same:
 * the digest of its encoded bytes for what the AdsClient delivers (it keeps
 * bytes, not decoded objects: see @mesh/xds resource-map.ts), the object
 * itself for plain maps (tests, static config). A resource is decoded only
 * when it is new or changed. Keeping a JSON copy of every resource to compare
 * contents instead cost megabytes in a big mesh and a stringify per push.
 */
class CompiledCache<T> {
  #entries = new Map<string, { key: unknown; value: T }>();

  get(name: string, key: unknown, make: () => T): T {
    const hit = this.#entries.get(name);
    if (hit !== undefined && hit.key === key) return hit.value;
    const value = make();
    this.#entries.set(name, { key, value });
    return value;
  }

  /** Forgets names not in `keep`. */
  retain(keep: Iterable<string>): void {
    const names = new Set(keep);
    for (const name of this.#entries.keys()) if (!names.has(name)) this.#entries.delete(name);
  }
}

export class SnapshotCompiler {
  readonly #listeners = new CompiledCache<ListenerSpec>();
  readonly #routes = new CompiledCache<RouteTable>();
  readonly #clusters = new CompiledCache<ClusterSpec>();
  readonly #endpoints = new CompiledCache<EndpointSpec[]>();

  private readonly options: CompileOptions;

  constructor(options: CompileOptions = {}) {
    this.options = options;
  }

  compile(snapshot: XdsSnapshot): CompiledConfig {
    const errors: string[] = [];
    const each = <R, T>(source: ResourceMap<R>, cache: CompiledCache<T>, make: (r: R, name: string) => T): Map<string, T> => {
      const out = new Map<string, T>();
      for (const name of source.keys()) {
        try {
          const key = source.digest?.(name) ?? source.get(name);
          out.set(name, cache.get(name, key, () => make(source.get(name)!, name)));
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
      cache.retain(out.keys());
      return out;
    };
    const listeners = each<Listener__Output, ListenerSpec>(snapshot.listeners, this.#listeners, (r) => compileListener(r, this.options));
    const routes = each<RouteConfiguration__Output, RouteTable>(snapshot.routes, this.#routes, (r) => new RouteTable(r, this.options));
    const clusters = each<Cluster__Output, ClusterSpec>(snapshot.clusters, this.#clusters, (r) => compileCluster(r));
    const endpoints = each<ClusterLoadAssignment__Output, EndpointSpec[]>(snapshot.endpoints, this.#endpoints, (r, name) =>
      compileLoadAssignment(r, `ClusterLoadAssignment ${name}`),
    );
    const unimplemented = [
      ...[...clusters.values()].flatMap((c) => c.unimplemented),
      ...[...routes.values()].flatMap((r) => r.unimplemented),
      ...[...listeners.values()].flatMap((l) => [...l.chains, ...(l.defaultChain ? [l.defaultChain] : [])].flatMap((c) => c.hcm?.inlineRoutes?.unimplemented ?? [])),
    ];
    return { listeners, routes, clusters, endpoints, errors, unimplemented };
  }

  /**
   * The AdsClient `validate` hook: compiles one type's resources and throws
   * (NACK) with every problem found, each naming its resource and field.
   */
  validate(typeUrl: string, resources: object[]): void {
    const errors: string[] = [];
    for (const r of resources) {
      try {
        // The AdsClient decoded these as the type URL says (docs/xds-representation.md).
        switch (typeUrl) {
          case TYPE_URLS.listener:
            compileListener(r as Listener__Output, this.options);
            break;
          case TYPE_URLS.route:
            new RouteTable(r as RouteConfiguration__Output, this.options);
            break;
          case TYPE_URLS.cluster:
            compileCluster(r as Cluster__Output);
            break;
          case TYPE_URLS.endpoint: {
            const cla = r as ClusterLoadAssignment__Output;
            compileLoadAssignment(cla, `ClusterLoadAssignment ${cla?.clusterName ?? '(unnamed)'}`);
            break;
          }
          default:
        }
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    if (errors.length > 0) throw new Error(errors.join('; '));
  }
}

/** Builds an XdsSnapshot from plain resource lists (static config files and tests). */
export function snapshotFromResources(resources: {
  listeners?: any[];
  routes?: any[];
  clusters?: any[];
  endpoints?: any[];
  secrets?: any[];
  version?: string;
}): XdsSnapshot {
  const byName = (list: any[] | undefined, key: string) => new Map((list ?? []).map((r) => [String(r[key]), r]));
  const v = resources.version ?? 'static';
  return {
    listeners: byName(resources.listeners, 'name'),
    routes: byName(resources.routes, 'name'),
    clusters: byName(resources.clusters, 'name'),
    endpoints: byName(resources.endpoints, 'clusterName'),
    secrets: byName(resources.secrets, 'name'),
    versions: Object.fromEntries(Object.values(TYPE_URLS).map((t) => [t, v])),
  };
}
