// The typed boundary to NATS. Everything read from NATS passes a schema here:
// a value that does not fit is logged, counted in
// mesh_contracts_invalid_messages_total and dropped; it never reaches (or
// crashes) the consumer.
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import type { z } from 'zod';
import { counter, type Logger } from '@mesh/telemetry';
import type { BucketName, SubjectName } from './names.ts';

const invalidMessages = counter('mesh_contracts_invalid_messages_total', 'Messages and KV values dropped because they failed validation', ['source']);

export interface BusOptions {
  servers: string | string[];
  /** Connection name shown by the NATS server (component and instance). */
  name: string;
  log: Logger;
  /**
   * How many NATS servers hold each KV bucket this component creates: 1 for a single server (local mode),
   * 3 for a three-server JetStream cluster so a bucket survives one server restarting. Default: env
   * MESH_KV_REPLICAS, else 1.
   */
  kvReplicas?: number;
}

export interface Bus {
  readonly nc: NatsConnection;
  kv<T>(bucket: BucketName, schema: z.ZodType<T>, options?: { history?: number; ttlMs?: number }): Promise<TypedKv<T>>;
  publish<T>(subject: SubjectName, schema: z.ZodType<T>, message: T): void;
  subscribe<T>(subject: SubjectName, schema: z.ZodType<T>, handler: (message: T) => void): Subscription;
  close(): Promise<void>;
}

/** Connects and keeps reconnecting forever: a component that loses NATS keeps serving what it has. */
export async function connectBus(options: BusOptions): Promise<Bus> {
  const { log } = options;
  const nc = await connect({
    servers: options.servers,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
  });
  log.info('connected to NATS', { server: nc.getServer() });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') log.warn('NATS connection lost; serving last known state', { server: s.server });
      else if (s.type === 'reconnect') log.info('NATS connection restored', { server: s.server });
    }
  })();
  const kvm = new Kvm(nc);
  const replicas = options.kvReplicas ?? (Number(process.env.MESH_KV_REPLICAS) || 1);

  return {
    nc,
    async kv(bucket, schema, opts = {}) {
      const config = { history: opts.history ?? 1, replicas, ...(opts.ttlMs ? { ttl: opts.ttlMs } : {}) };
      let kv;
      try {
        kv = await kvm.create(bucket, config);
      } catch (err) {
        // Components create the buckets they use at start-up, so two can race: both find no stream, both add it,
        // and the server may refuse the later add while the first is being made ("subjects overlap with an existing
        // stream", seen in CI). The bucket exists by then; asking again binds to it.
        if (!/subjects overlap|already in use/i.test((err as Error).message)) throw err;
        log.debug('KV bucket created concurrently by another client; binding to it', { bucket });
        kv = await kvm.create(bucket, config);
      }
      return new TypedKv(kv, bucket, schema, log);
    },
    publish(subject, schema, message) {
      nc.publish(subject, JSON.stringify(schema.parse(message)));
    },
    subscribe(subject, schema, handler) {
      return nc.subscribe(subject, {
        callback: (err, msg) => {
          if (err) return log.warn('subscription error', { subject, err });
          const parsed = decode(schema, () => msg.json(), `subject:${subject}`, log);
          if (parsed.ok) handler(parsed.value);
        },
      });
    },
    async close() {
      await nc.drain();
    },
  };
}

function decode<T>(schema: z.ZodType<T>, read: () => unknown, source: string, log: Logger): { ok: true; value: T } | { ok: false } {
  let raw: unknown;
  try {
    raw = read();
  } catch (err) {
    invalidMessages.inc({ source });
    log.warn('dropped a message that is not JSON', { source, err: (err as Error).message });
    return { ok: false };
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    invalidMessages.inc({ source });
    log.warn('dropped a message that does not match its contract', {
      source,
      issues: result.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    });
    return { ok: false };
  }
  return { ok: true, value: result.data };
}

export type WatchEvent<T> =
  | { op: 'put'; key: string; value: T; revision: number; initial: boolean }
  | { op: 'delete'; key: string; revision: number; initial: boolean };

export interface WatchHandle {
  /** Resolves once every value present when the watch began has been delivered. */
  readonly initialized: Promise<void>;
  stop(): void;
}

/** A KV bucket whose values are validated against one schema. */
export class TypedKv<T> {
  readonly kv: KV;
  readonly bucket: string;
  readonly #schema: z.ZodType<T>;
  readonly #log: Logger;

  constructor(kv: KV, bucket: string, schema: z.ZodType<T>, log: Logger) {
    this.kv = kv;
    this.bucket = bucket;
    this.#schema = schema;
    this.#log = log;
  }

  /** Writes a value after validating it; returns the new revision. */
  async put(key: string, value: T): Promise<number> {
    return this.kv.put(key, JSON.stringify(this.#schema.parse(value)));
  }

  async delete(key: string): Promise<void> {
    await this.kv.delete(key);
  }

  async get(key: string): Promise<{ value: T; revision: number } | undefined> {
    const e = await this.kv.get(key);
    if (!e || e.operation !== 'PUT') return undefined;
    const parsed = decode(this.#schema, () => e.json(), `kv:${this.bucket}`, this.#log);
    return parsed.ok ? { value: parsed.value, revision: e.revision } : undefined;
  }

  async keys(): Promise<string[]> {
    const out: string[] = [];
    for await (const k of await this.kv.keys()) out.push(k);
    return out;
  }

  /**
   * Delivers the current value of every key, then every change. Invalid values
   * are dropped (counted and logged) and the last valid value stays in effect
   * for the consumer.
   */
  async watch(onEvent: (event: WatchEvent<T>) => void, options: { key?: string } = {}): Promise<WatchHandle> {
    const status = await this.kv.status();
    const iter = await this.kv.watch({ key: options.key ?? '>' });
    let markInitialized!: () => void;
    const initialized = new Promise<void>((r) => (markInitialized = r));
    let initialDone = false;
    const finishInitial = () => {
      if (!initialDone) {
        initialDone = true;
        markInitialized();
      }
    };
    if (status.values === 0) finishInitial();
    void (async () => {
      for await (const e of iter) {
        const initial = !initialDone && !e.isUpdate;
        if (e.operation === 'PUT') {
          const parsed = decode(this.#schema, () => e.json(), `kv:${this.bucket}`, this.#log);
          if (parsed.ok) onEvent({ op: 'put', key: e.key, value: parsed.value, revision: e.revision, initial });
        } else {
          onEvent({ op: 'delete', key: e.key, revision: e.revision, initial });
        }
        if (e.isUpdate || e.delta === 0) finishInitial();
      }
      finishInitial();
    })();
    return { initialized, stop: () => iter.stop() };
  }
}
