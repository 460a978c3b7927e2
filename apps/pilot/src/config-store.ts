// Pilot's in-memory copy of what NATS holds: validated config, the service
// registry, mesh config and trust bundle. It survives NATS outages (pilot
// keeps serving its last model) and is replaced wholesale on a resync.
import type { ConfigResource, Credential, MeshConfig, TrustBundle } from '@mesh/contracts';
import type { ModelInput } from './model/push-context.ts';

export type StoreSource = 'config' | 'registry';

export interface StoreChange {
  source: StoreSource | 'meshConfig' | 'trustBundle' | 'credentials';
  key: string;
  op: 'put' | 'delete';
}

export class ConfigStore {
  readonly #maps: Record<StoreSource, Map<string, ConfigResource>> = { config: new Map(), registry: new Map() };
  meshConfig: MeshConfig | undefined;
  trustBundle: TrustBundle | undefined;
  /** TLS credentials for credentialName, by credentialKey(namespace, name); they hold private keys: never logged or dumped. */
  readonly credentials = new Map<string, Credential>();
  /** Highest KV revision seen per source, for debug output. */
  readonly revisions: Record<string, number> = {};
  /** Called after every effective change. */
  onChange: (change: StoreChange) => void = () => {};

  put(source: StoreSource, key: string, value: ConfigResource, revision?: number): void {
    if (revision !== undefined) this.revisions[source] = Math.max(this.revisions[source] ?? 0, revision);
    const old = this.#maps[source].get(key);
    if (old && JSON.stringify(old) === JSON.stringify(value)) return;
    this.#maps[source].set(key, value);
    this.onChange({ source, key, op: 'put' });
  }

  delete(source: StoreSource, key: string, revision?: number): void {
    if (revision !== undefined) this.revisions[source] = Math.max(this.revisions[source] ?? 0, revision);
    if (this.#maps[source].delete(key)) this.onChange({ source, key, op: 'delete' });
  }

  /** Replaces a source's contents (after a resync), reporting only real differences. */
  replace(source: StoreSource, entries: Map<string, ConfigResource>): void {
    for (const key of [...this.#maps[source].keys()]) if (!entries.has(key)) this.delete(source, key);
    for (const [key, value] of entries) this.put(source, key, value);
  }

  setMeshConfig(value: MeshConfig | undefined): void {
    if (JSON.stringify(value) === JSON.stringify(this.meshConfig)) return;
    this.meshConfig = value;
    this.onChange({ source: 'meshConfig', key: 'mesh', op: value ? 'put' : 'delete' });
  }

  setTrustBundle(value: TrustBundle | undefined): void {
    if (JSON.stringify(value?.roots) === JSON.stringify(this.trustBundle?.roots)) {
      this.trustBundle = value;
      return;
    }
    this.trustBundle = value;
    this.onChange({ source: 'trustBundle', key: 'bundle', op: value ? 'put' : 'delete' });
  }

  putCredential(key: string, value: Credential): void {
    if (JSON.stringify(this.credentials.get(key)) === JSON.stringify(value)) return;
    this.credentials.set(key, value);
    this.onChange({ source: 'credentials', key, op: 'put' });
  }

  deleteCredential(key: string): void {
    if (this.credentials.delete(key)) this.onChange({ source: 'credentials', key, op: 'delete' });
  }

  replaceCredentials(entries: Map<string, Credential>): void {
    for (const key of [...this.credentials.keys()]) if (!entries.has(key)) this.deleteCredential(key);
    for (const [key, value] of entries) this.putCredential(key, value);
  }

  size(): number {
    return this.#maps.config.size + this.#maps.registry.size;
  }

  /** Everything the model is built from. */
  input(): ModelInput {
    return {
      configs: [...this.#maps.config.values(), ...this.#maps.registry.values()],
      meshConfig: this.meshConfig,
      credentials: new Map(this.credentials),
      revision: this.revisions.config,
    };
  }

  entries(source: StoreSource): Array<[string, ConfigResource]> {
    return [...this.#maps[source]];
  }
}
