// Publishing the trust bundle: to NATS (the KV value every pilot and proxy
// reads, then a change event carrying its revision) and, in Kubernetes mode,
// to the per-namespace ConfigMaps. publish() resolves only once every sink
// has the bundle, retrying with backoff meanwhile: the rotation waits on it.
import { BUCKETS, SUBJECTS, TRUST_BUNDLE_KEY, TrustBundleChangedSchema, TrustBundleSchema, type Bus, type TypedKv, type TrustBundle } from '@mesh/contracts';
import type { Logger } from '@mesh/telemetry';

export interface TrustBundleSink {
  readonly name: string;
  publish(roots: string[]): Promise<void>;
}

export class NatsBundleSink implements TrustBundleSink {
  readonly name = 'nats';
  readonly #bus: Promise<Bus>;
  readonly #trustDomain: string;
  #kv: Promise<TypedKv<TrustBundle>> | undefined;

  constructor(bus: Promise<Bus>, trustDomain: string) {
    this.#bus = bus;
    this.#trustDomain = trustDomain;
  }

  async publish(roots: string[]): Promise<void> {
    const bus = await this.#bus;
    this.#kv ??= bus.kv(BUCKETS.trustBundle, TrustBundleSchema);
    let kv: TypedKv<TrustBundle>;
    try {
      kv = await this.#kv;
    } catch (err) {
      this.#kv = undefined;
      throw err;
    }
    const existing = await kv.get(TRUST_BUNDLE_KEY);
    if (existing && existing.value.trustDomain === this.#trustDomain && existing.value.roots.join('') === roots.join('')) return;
    const revision = await kv.put(TRUST_BUNDLE_KEY, { roots, trustDomain: this.#trustDomain, updatedAt: new Date().toISOString() });
    bus.publish(SUBJECTS.trustBundleChanged, TrustBundleChangedSchema, { revision, roots: roots.length });
  }
}

export interface PublisherOptions {
  initialRetryMs?: number;
  maxRetryMs?: number;
}

/** Returns publish(roots): resolves once every sink accepted `roots`. */
export function createBundlePublisher(sinks: TrustBundleSink[], log: Logger, options: PublisherOptions = {}): { publish(roots: string[]): Promise<void>; stop(): void } {
  let stopped = false;
  const sleepers = new Map<NodeJS.Timeout, () => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => (sleepers.delete(t), resolve()), ms);
      sleepers.set(t, resolve);
    });
  const toSink = async (sink: TrustBundleSink, roots: string[]) => {
    let delay = options.initialRetryMs ?? 250;
    for (let attempt = 1; !stopped; attempt++) {
      try {
        await sink.publish(roots);
        log.info('trust bundle published', { sink: sink.name, roots: roots.length });
        return;
      } catch (err) {
        log.warn('trust bundle publish failed; retrying', { sink: sink.name, attempt, retryInMs: delay, err: (err as Error).message });
        await sleep(delay);
        delay = Math.min(delay * 2, options.maxRetryMs ?? 10_000);
      }
    }
    throw new Error('publisher stopped');
  };
  return {
    publish: async (roots) => {
      await Promise.all(sinks.map((s) => toSink(s, roots)));
    },
    stop() {
      stopped = true;
      for (const [t, wake] of sleepers) {
        clearTimeout(t);
        wake();
      }
      sleepers.clear();
    },
  };
}
