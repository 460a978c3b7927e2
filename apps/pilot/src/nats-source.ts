// Feeds the ConfigStore from NATS KV: config and registry (ConfigResource per
// key), mesh config and trust bundle. A replica that starts late gets every
// current value first; after a reconnect each bucket is re-read from scratch
// and the store replaced, so changes missed while NATS was away are caught up.
import {
  BUCKETS,
  ConfigResourceSchema,
  CredentialSchema,
  MESH_CONFIG_KEY,
  MeshConfigSchema,
  TRUST_BUNDLE_KEY,
  TrustBundleSchema,
  type Bus,
  type ConfigResource,
  type TypedKv,
  type WatchEvent,
  type WatchHandle,
} from '@mesh/contracts';
import type { Logger } from '@mesh/telemetry';
import type { ConfigStore, StoreSource } from './config-store.ts';

/** Mirrors one bucket: a full read into a staging map, then live events. */
class BucketMirror<T> {
  readonly #kv: TypedKv<T>;
  readonly #name: string;
  readonly #log: Logger;
  readonly #replace: (entries: Map<string, T>) => void;
  readonly #put: (key: string, value: T, revision: number) => void;
  readonly #delete: (key: string, revision: number) => void;
  #handle?: WatchHandle;
  #generation = 0;

  constructor(
    kv: TypedKv<T>,
    name: string,
    log: Logger,
    handlers: { replace(entries: Map<string, T>): void; put(key: string, value: T, revision: number): void; delete(key: string, revision: number): void },
  ) {
    this.#kv = kv;
    this.#name = name;
    this.#log = log;
    this.#replace = handlers.replace;
    this.#put = handlers.put;
    this.#delete = handlers.delete;
  }

  /** (Re)reads the whole bucket; resolves once the store reflects it. */
  async sync(): Promise<number> {
    const generation = ++this.#generation;
    this.#handle?.stop();
    const staging = new Map<string, T>();
    let initializing = true;
    const handle = await this.#kv.watch((e: WatchEvent<T>) => {
      if (generation !== this.#generation) return;
      if (initializing) {
        if (e.op === 'put') staging.set(e.key, e.value);
        else staging.delete(e.key);
      } else if (e.op === 'put') this.#put(e.key, e.value, e.revision);
      else this.#delete(e.key, e.revision);
    });
    this.#handle = handle;
    await handle.initialized;
    if (generation !== this.#generation) return staging.size;
    initializing = false;
    this.#replace(staging);
    this.#log.debug('bucket synced', { bucket: this.#name, keys: staging.size });
    return staging.size;
  }

  stop(): void {
    this.#generation++;
    this.#handle?.stop();
  }
}

export interface NatsConfigSource {
  /** Resolves after the first full read of every bucket, with the number of config+registry resources. */
  readonly initialized: Promise<number>;
  stop(): void;
}

export function startNatsSource(bus: Bus, store: ConfigStore, log: Logger): NatsConfigSource {
  const mirrors: BucketMirror<any>[] = [];
  let stopped = false;

  const resourceMirror = (kv: TypedKv<ConfigResource>, source: StoreSource) =>
    new BucketMirror(kv, kv.bucket, log, {
      replace: (entries) => store.replace(source, entries),
      put: (key, value, rev) => store.put(source, key, value, rev),
      delete: (key, rev) => store.delete(source, key, rev),
    });

  const syncAll = async () => {
    for (const m of mirrors) await m.sync();
  };

  const initialized = (async () => {
    const [config, registry, mesh, trust, credentials] = await Promise.all([
      bus.kv(BUCKETS.config, ConfigResourceSchema),
      bus.kv(BUCKETS.registry, ConfigResourceSchema),
      bus.kv(BUCKETS.meshConfig, MeshConfigSchema),
      bus.kv(BUCKETS.trustBundle, TrustBundleSchema),
      bus.kv(BUCKETS.credentials, CredentialSchema),
    ]);
    mirrors.push(resourceMirror(config, 'config'), resourceMirror(registry, 'registry'));
    mirrors.push(
      new BucketMirror(mesh, mesh.bucket, log, {
        replace: (e) => store.setMeshConfig(e.get(MESH_CONFIG_KEY)),
        put: (k, v) => k === MESH_CONFIG_KEY && store.setMeshConfig(v),
        delete: (k) => k === MESH_CONFIG_KEY && store.setMeshConfig(undefined),
      }),
      new BucketMirror(trust, trust.bucket, log, {
        replace: (e) => store.setTrustBundle(e.get(TRUST_BUNDLE_KEY)),
        put: (k, v) => k === TRUST_BUNDLE_KEY && store.setTrustBundle(v),
        delete: (k) => k === TRUST_BUNDLE_KEY && store.setTrustBundle(undefined),
      }),
      new BucketMirror(credentials, credentials.bucket, log, {
        replace: (e) => store.replaceCredentials(e),
        put: (k, v) => store.putCredential(k, v),
        delete: (k) => store.deleteCredential(k),
      }),
    );
    await syncAll();
  })();

  // After a reconnect, re-read everything: the watches may have missed changes
  // (or the server may have lost its state). The store only reports real differences.
  void (async () => {
    await initialized.catch(() => {});
    for await (const s of bus.nc.status()) {
      if (stopped) break;
      if (s.type !== 'reconnect') continue;
      for (let attempt = 1; !stopped; attempt++) {
        try {
          await syncAll();
          log.info('resynced config from NATS after reconnecting', { resources: store.size() });
          break;
        } catch (err) {
          log.warn('resync from NATS failed; retrying', { attempt, err: (err as Error).message });
          await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * attempt)));
        }
      }
    }
  })();

  return {
    initialized: initialized.then(() => store.size()),
    stop() {
      stopped = true;
      for (const m of mirrors) m.stop();
    },
  };
}
