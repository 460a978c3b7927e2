// How a client holds the resources it accepted. A decoded Envoy resource is
// several times the size of its encoding (a cluster with Istio's two
// transport socket matches: ~3.8 KB of objects against 622 bytes), and a
// sidecar of a big mesh holds thousands, so the AdsClient keeps each
// resource's bytes and decodes on every read; consumers cache what they build
// from a resource by its digest (equal bytes, equal digest) instead of by the
// identity of a decoded object.
import { TO_OBJECT_OPTIONS } from './codec.ts';
import { messageType } from './protos.ts';

/** A snapshot's resources of one type, by name. */
export interface ResourceMap<T = any> extends ReadonlyMap<string, T> {
  /**
   * A digest of the resource's encoded bytes: unchanged bytes keep it. Absent
   * on maps of plain objects (tests, static config), whose objects are then
   * the cache key.
   */
  digest?(name: string): string | undefined;
}

/** One accepted resource: its encoding, the digest of it, and the names it references (computed once, when decoded). */
export interface EncodedResource {
  readonly bytes: Buffer;
  readonly digest: string;
  readonly refs: ResourceRefs;
}

export interface ResourceRefs {
  readonly routes?: readonly string[];
  readonly endpoints?: readonly string[];
  readonly secrets?: readonly string[];
}

/** Resources kept encoded; every read decodes (the caller keeps what it needs). */
export class EncodedResourceMap implements ResourceMap {
  readonly #typeUrl: string;
  readonly #entries: ReadonlyMap<string, EncodedResource>;

  constructor(typeUrl: string, entries: ReadonlyMap<string, EncodedResource>) {
    this.#typeUrl = typeUrl;
    this.#entries = entries;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  digest(name: string): string | undefined {
    return this.#entries.get(name)?.digest;
  }

  get(name: string): any {
    const e = this.#entries.get(name);
    if (e === undefined) return undefined;
    const type = messageType(this.#typeUrl);
    return type.toObject(type.decode(e.bytes), TO_OBJECT_OPTIONS);
  }

  keys(): MapIterator<string> {
    return this.#entries.keys();
  }

  *values(): MapIterator<any> {
    for (const name of this.#entries.keys()) yield this.get(name);
  }

  *entries(): MapIterator<[string, any]> {
    for (const name of this.#entries.keys()) yield [name, this.get(name)];
  }

  [Symbol.iterator](): MapIterator<[string, any]> {
    return this.entries();
  }

  forEach(fn: (value: any, key: string, map: ReadonlyMap<string, any>) => void, thisArg?: unknown): void {
    for (const [name, value] of this.entries()) fn.call(thisArg, value, name, this);
  }
}
