// Keeps one JetStream KV bucket equal to a desired state, writing only what
// differs (compared as canonical JSON), so an unchanged file causes no write
// and no push downstream. It mirrors what the bucket holds; when NATS is
// unreachable it keeps retrying with backoff, and after a reconnect (or a
// failed write) it re-reads the bucket before writing again, so a server
// that lost its state gets the full desired state back.
import type { TypedKv } from '@mesh/contracts';
import { counter, gauge, type Logger } from '@mesh/telemetry';
import { canonicalJson } from './reconcile.ts';

const writes = counter('galley_kv_writes_total', 'Writes galley made to NATS KV buckets', ['bucket', 'op']);
const failures = counter('galley_kv_write_failures_total', 'Failed attempts to bring a NATS KV bucket to the desired state', ['bucket']);
const lastSync = gauge('galley_last_sync_timestamp_seconds', 'When a bucket last matched the desired state (unix seconds)', ['bucket']);
const inSync = gauge('galley_kv_in_sync', '1 when the bucket holds the desired state, 0 while writes are pending or failing', ['bucket']);

export interface BucketSyncOptions<T> {
  /** Bucket name, for logs and metrics. */
  bucket: string;
  /** Opens (or re-opens) the bucket; may wait for NATS. */
  open: () => Promise<TypedKv<T>>;
  /** The desired contents given the current ones; undefined means "no opinion yet": write nothing. */
  desired: (current: ReadonlyMap<string, T>) => Map<string, T> | undefined;
  log: Logger;
  /** Called after each successful write with the KV revision. */
  onWrite?: (op: 'put' | 'delete', key: string, revision: number, value: T | undefined) => void;
  /** Called after each pass that left the bucket equal to the desired state. */
  onSynced?: (stats: { puts: number; deletes: number }) => void;
  maxBackoffMs?: number;
}

export class BucketSync<T> {
  readonly #o: BucketSyncOptions<T>;
  #kv?: TypedKv<T>;
  #current?: Map<string, T>;
  #canonical = new Map<string, string>();
  #stale = true;
  #running = false;
  #pending = false;
  #stopped = false;
  #attempt = 0;
  #retry?: NodeJS.Timeout;
  #synced = false;
  lastSyncAt?: Date;
  lastError?: string;

  constructor(options: BucketSyncOptions<T>) {
    this.#o = options;
  }

  /** The bucket's contents as last read or written; undefined until it has been read once. */
  get current(): ReadonlyMap<string, T> | undefined {
    return this.#current;
  }

  /** True once a pass has left the bucket equal to the desired state. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Asks for a pass (coalesced with one in progress). */
  trigger(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#pending = true;
      return;
    }
    void this.#run();
  }

  /** The bucket may have changed behind our back (a reconnect): re-read it before the next pass. */
  markStale(): void {
    this.#stale = true;
    this.#kv = undefined;
    this.#attempt = 0;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.trigger();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
  }

  async #load(kv: TypedKv<T>): Promise<void> {
    const current = new Map<string, T>();
    for (const key of await kv.keys()) {
      const entry = await kv.get(key);
      if (entry) current.set(key, entry.value);
    }
    this.#current = current;
    this.#canonical = new Map([...current].map(([k, v]) => [k, canonicalJson(v)]));
    this.#stale = false;
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      do {
        this.#pending = false;
        if (await this.#pass()) continue;
        // Failed: retry later with backoff (a new trigger meanwhile just waits for it).
        const delay = Math.min(this.#o.maxBackoffMs ?? 5_000, 250 * 2 ** Math.min(this.#attempt, 5));
        clearTimeout(this.#retry);
        this.#retry = setTimeout(() => {
          this.#retry = undefined;
          this.trigger();
        }, delay);
        this.#retry.unref();
        this.#pending = false;
      } while (this.#pending && !this.#stopped);
    } finally {
      this.#running = false;
    }
  }

  /** One attempt to bring the bucket to the desired state; false when it failed and must be retried. */
  async #pass(): Promise<boolean> {
    const { bucket, log } = this.#o;
    try {
      this.#kv ??= await this.#o.open();
      const kv = this.#kv;
      if (this.#stale || !this.#current) await this.#load(kv);
      const current = this.#current!;
      const desired = this.#o.desired(current);
      if (!desired || this.#stopped) return true;
      let puts = 0;
      let deletes = 0;
      for (const [key, value] of desired) {
        const canonical = canonicalJson(value);
        if (this.#canonical.get(key) === canonical) continue;
        let revision: number;
        try {
          revision = await kv.put(key, value);
        } catch (err) {
          if ((err as Error).name === 'ZodError') {
            // A value that does not fit the contract is a bug here, not an outage: skip it.
            log.error('refusing to write a value that does not match its contract', { bucket, key, err: (err as Error).message });
            continue;
          }
          throw err;
        }
        current.set(key, value);
        this.#canonical.set(key, canonical);
        writes.inc({ bucket, op: 'put' });
        puts++;
        this.#o.onWrite?.('put', key, revision, value);
      }
      for (const key of [...current.keys()]) {
        if (desired.has(key)) continue;
        await kv.delete(key);
        const marker = await kv.kv.get(key);
        current.delete(key);
        this.#canonical.delete(key);
        writes.inc({ bucket, op: 'delete' });
        deletes++;
        this.#o.onWrite?.('delete', key, marker?.revision ?? 0, undefined);
      }
      if (this.#attempt > 0) log.info('NATS writes are going through again', { bucket });
      this.#attempt = 0;
      this.lastError = undefined;
      this.lastSyncAt = new Date();
      this.#synced = true;
      lastSync.set({ bucket }, this.lastSyncAt.getTime() / 1000);
      inSync.set({ bucket }, 1);
      this.#o.onSynced?.({ puts, deletes });
      return true;
    } catch (err) {
      failures.inc({ bucket });
      inSync.set({ bucket }, 0);
      this.lastError = (err as Error).message;
      if (this.#attempt === 0) log.warn('cannot write config to NATS; keeping the desired state and retrying', { bucket, err: this.lastError });
      else log.debug('NATS write retry failed', { bucket, attempt: this.#attempt, err: this.lastError });
      this.#attempt++;
      // The write may or may not have landed, and the bucket may be gone: re-open and re-read next time.
      this.#kv = undefined;
      this.#stale = true;
      return false;
    }
  }
}
