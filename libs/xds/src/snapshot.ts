// Versioned, consistent snapshots of the resources one node (or group of
// nodes sharing a key) should have, kept apart from the gRPC server that
// serves them: the control plane sets snapshots, the server watches them.
import { createHash, hash } from 'node:crypto';
import { TYPE_URLS, encodeMessage, resourceName, shortTypeName } from './codec.ts';
import type { WireAny } from './ads-protocol.ts';
import { referencedEndpointNames, referencedRouteNames } from './references.ts';

/** One resource, encoded once and shared by every stream that sends it. */
export interface PreparedResource {
  readonly name: string;
  readonly typeUrl: string;
  /** The in-memory (plain-object) form. */
  readonly resource: Record<string, any>;
  readonly wire: WireAny;
  /** Content hash of the encoded bytes: the per-resource version Delta xDS uses. */
  readonly version: string;
}

/**
 * Encodes a resource through the real protos. Throws an Error naming the type,
 * the resource and what was wrong, so a bad resource is caught where it is
 * built rather than by a proxy's NACK.
 */
export function prepareResource(typeUrl: string, resource: object): PreparedResource {
  const name = resourceName(typeUrl, resource);
  let value: Buffer;
  try {
    value = encodeMessage(typeUrl, resource);
  } catch (err) {
    throw new Error(`${shortTypeName(typeUrl)} ${name}: ${(err as Error).message}`, { cause: err });
  }
  const version = hash('sha256', value, 'base64url').slice(0, 16);
  return { name, typeUrl, resource, wire: { type_url: typeUrl, value }, version };
}

export interface TypeSnapshot {
  /** version_info sent for this type. */
  readonly version: string;
  readonly resources: ReadonlyMap<string, PreparedResource>;
  /** Hash of every (name, version): equal hashes mean equal contents. */
  readonly contentHash: string;
}

export const ALL_TYPES: readonly string[] = [TYPE_URLS.listener, TYPE_URLS.route, TYPE_URLS.cluster, TYPE_URLS.endpoint, TYPE_URLS.secret];

function contentHash(resources: ReadonlyMap<string, PreparedResource>): string {
  const parts: string[] = [];
  for (const name of [...resources.keys()].sort()) parts.push(name, resources.get(name)!.version);
  return hash('sha256', parts.join('\0'), 'base64url').slice(0, 16);
}

// Many proxies share the same prepared lists (one per push); their hash is computed once.
const listHashes = new WeakMap<object, { map: Map<string, PreparedResource>; hash: string }>();

/** An immutable set of resources of every type, with one version per type. */
export class Snapshot {
  readonly version: string;
  readonly #types: Map<string, TypeSnapshot>;

  private constructor(version: string, types: Map<string, TypeSnapshot>) {
    this.version = version;
    this.#types = types;
  }

  /**
   * Builds a snapshot. `resources` maps a type URL to plain objects or
   * prepared resources (pilot prepares shared resources once per push).
   * Every type in ALL_TYPES is present, empty when not given. `version` may
   * be a function of the type and its content hash: control-plane replicas
   * that derive versions from content agree on them.
   */
  static build(
    version: string | ((typeUrl: string, contentHash: string) => string),
    resources: Partial<Record<string, Iterable<Record<string, any> | PreparedResource>>>,
  ): Snapshot {
    const types = new Map<string, TypeSnapshot>();
    for (const typeUrl of new Set([...ALL_TYPES, ...Object.keys(resources)])) {
      const list = resources[typeUrl];
      const cached = list && typeof list === 'object' ? listHashes.get(list) : undefined;
      if (cached) {
        types.set(typeUrl, { version: typeof version === 'string' ? version : version(typeUrl, cached.hash), resources: cached.map, contentHash: cached.hash });
        continue;
      }
      const map = new Map<string, PreparedResource>();
      for (const r of resources[typeUrl] ?? []) {
        const prepared = isPrepared(r) ? r : prepareResource(typeUrl, r);
        if (prepared.typeUrl !== typeUrl) throw new Error(`resource ${prepared.name} of type ${prepared.typeUrl} given as ${typeUrl}`);
        if (map.has(prepared.name)) throw new Error(`${shortTypeName(typeUrl)}: duplicate resource name ${prepared.name}`);
        map.set(prepared.name, prepared);
      }
      const h = contentHash(map);
      if (Array.isArray(list) && list.length > 0 && list.every((r) => isPrepared(r))) listHashes.set(list, { map, hash: h });
      types.set(typeUrl, { version: typeof version === 'string' ? version : version(typeUrl, h), resources: map, contentHash: h });
    }
    if (typeof version === 'string') return new Snapshot(version, types);
    const all = createHash('sha256');
    for (const t of types.values()) all.update(t.version).update('\0');
    return new Snapshot(all.digest('base64url').slice(0, 16), types);
  }

  /** The type's resources; an empty set for a type the snapshot does not carry. */
  type(typeUrl: string): TypeSnapshot {
    return this.#types.get(typeUrl) ?? { version: this.version, resources: new Map(), contentHash: '' };
  }

  typeUrls(): string[] {
    return [...this.#types.keys()];
  }

  /**
   * The same snapshot, but every type whose contents equal `previous`'s keeps
   * `previous`'s version: streams are then not pushed a type that did not change.
   */
  carryVersionsFrom(previous: Snapshot | undefined): Snapshot {
    if (!previous) return this;
    const types = new Map<string, TypeSnapshot>();
    for (const [typeUrl, t] of this.#types) {
      const old = previous.#types.get(typeUrl);
      types.set(typeUrl, old && old.contentHash === t.contentHash ? { ...t, version: old.version } : t);
    }
    return new Snapshot(this.version, types);
  }

  /**
   * What makes the snapshot inconsistent for a client: RDS names listeners
   * reference but the snapshot lacks, EDS clusters without a load assignment.
   */
  consistencyErrors(): string[] {
    const errors: string[] = [];
    const listeners = [...this.type(TYPE_URLS.listener).resources.values()].map((r) => r.resource);
    const clusters = [...this.type(TYPE_URLS.cluster).resources.values()].map((r) => r.resource);
    const routes = this.type(TYPE_URLS.route).resources;
    const endpoints = this.type(TYPE_URLS.endpoint).resources;
    for (const n of referencedRouteNames(listeners)) if (!routes.has(n)) errors.push(`route configuration ${n} is referenced by a listener but missing`);
    for (const n of referencedEndpointNames(clusters)) if (!endpoints.has(n)) errors.push(`cluster load assignment ${n} is referenced by an EDS cluster but missing`);
    return errors;
  }

  /** Resource counts per type, for logs and debug pages. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [typeUrl, t] of this.#types) out[shortTypeName(typeUrl)] = t.resources.size;
    return out;
  }
}

function isPrepared(r: Record<string, any> | PreparedResource): r is PreparedResource {
  return typeof (r as PreparedResource).wire === 'object' && typeof (r as PreparedResource).version === 'string' && 'resource' in r;
}

export type SnapshotListener = (snapshot: Snapshot) => void;

/**
 * Snapshots keyed by node key (the control plane decides the key per proxy:
 * its id, or a group such as "all sidecars of namespace X"). Watchers of a key
 * are called on every set.
 */
export class SnapshotCache {
  readonly #snapshots = new Map<string, Snapshot>();
  readonly #watchers = new Map<string, Set<SnapshotListener>>();

  /** Stores the snapshot (carrying over versions of unchanged types) and notifies the key's watchers. Returns what was stored. */
  set(key: string, snapshot: Snapshot): Snapshot {
    const stored = snapshot.carryVersionsFrom(this.#snapshots.get(key));
    this.#snapshots.set(key, stored);
    for (const w of [...(this.#watchers.get(key) ?? [])]) w(stored);
    return stored;
  }

  get(key: string): Snapshot | undefined {
    return this.#snapshots.get(key);
  }

  delete(key: string): void {
    this.#snapshots.delete(key);
  }

  keys(): string[] {
    return [...this.#snapshots.keys()];
  }

  /** Calls `listener` on every later set of `key`; returns the unsubscribe function. */
  watch(key: string, listener: SnapshotListener): () => void {
    let set = this.#watchers.get(key);
    if (!set) this.#watchers.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#watchers.get(key) === set) this.#watchers.delete(key);
    };
  }

  /** Number of watchers of a key (streams currently served from it). */
  watcherCount(key: string): number {
    return this.#watchers.get(key)?.size ?? 0;
  }
}
