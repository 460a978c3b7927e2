// An ADS client for the proxy (and for tests of the control plane): asks for
// Listeners and Clusters (wildcard), then for the RouteConfigurations,
// ClusterLoadAssignments and Secrets they reference; validates each response
// and ACKs or NACKs it; emits a `snapshot` only when the set is complete and
// consistent; reconnects with jittered backoff and keeps its last snapshot
// while the control plane is away.
import { EventEmitter } from 'node:events';
import { hash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@mesh/telemetry';
import { TYPE_URLS, TO_OBJECT_OPTIONS, resourceName, shortTypeName } from './codec.ts';
import { messageType, protoRoot } from './protos.ts';
import {
  ADS_METHODS,
  GRPC_INVALID_ARGUMENT,
  codecs,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type DiscoveryRequest,
  type DiscoveryResponse,
  type WireAny,
  type XdsNode,
} from './ads-protocol.ts';
import { referencedEndpointNames, referencedRouteNames, referencedSecretNames } from './references.ts';
import { EncodedResourceMap, type EncodedResource, type ResourceMap, type ResourceRefs } from './resource-map.ts';

/** What the client emits: every resource of each type, read (decoded) on demand; see resource-map.ts. */
export interface XdsSnapshot {
  listeners: ResourceMap;
  routes: ResourceMap;
  clusters: ResourceMap;
  endpoints: ResourceMap;
  secrets: ResourceMap;
  /** typeUrl → version_info last ACKed. */
  versions: Record<string, string>;
}

export interface AdsClientOptions {
  /** The control plane's ADS address, e.g. `127.0.0.1:15010`. */
  target: string;
  node: XdsNode;
  /** Insecure by default. */
  credentials?: grpc.ChannelCredentials;
  log: Logger;
  /**
   * Checks one type's resources before they are accepted; throwing NACKs them
   * with the error's message (the previous resources of that type stay in effect).
   * It sees the resources a response adds or changes: one whose bytes are
   * unchanged was checked when it arrived.
   */
  validate?: (typeUrl: string, resources: object[]) => void;
  /** State-of-the-World (default) or incremental (Delta) xDS. */
  protocol?: 'sotw' | 'delta';
  /** Reconnect backoff: the delay doubles from initialMs up to maxMs, with jitter. */
  backoff?: { initialMs?: number; maxMs?: number };
  channelOptions?: grpc.ChannelOptions;
}

export interface AdsClientEvents {
  snapshot: [XdsSnapshot];
  connected: [];
  disconnected: [{ reason: string }];
  /** A response was rejected: by decoding, by `validate`, or by the consistency of its names. */
  nack: [{ typeUrl: string; version: string; nonce: string; error: string }];
  ack: [{ typeUrl: string; version: string; nonce: string }];
}

/** Client options suited to a long-lived stream: keepalive pings, big configs. */
export const ADS_CLIENT_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 256 * 1024 * 1024,
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 5_000,
};

interface TypeState {
  typeUrl: string;
  /** LDS and CDS are wildcard; the others are fetched by name. */
  wildcard: boolean;
  names: Set<string>;
  /** Each resource's encoding and digest (which tells a real change from a re-send). */
  resources: Map<string, EncodedResource>;
  /** Per-resource versions (Delta). */
  versions: Map<string, string>;
  /** version_info last ACKed. */
  version?: string;
  /** Nonce of the last response on the current stream. */
  nonce?: string;
  /** A response (for named types: one covering every name) was accepted at least once. */
  received: boolean;
  /** Whether this type was requested on the current stream. */
  requested: boolean;
}

const ORDER = [TYPE_URLS.listener, TYPE_URLS.cluster, TYPE_URLS.route, TYPE_URLS.endpoint, TYPE_URLS.secret];

type AnyCall = grpc.ClientDuplexStream<any, any>;
interface Decoded {
  names: string[];
  entries: EncodedResource[];
  /** The decoded resources that are new or changed (what `validate` checks). */
  changed: object[];
}

export class AdsClient extends EventEmitter<AdsClientEvents> {
  readonly #opts: AdsClientOptions;
  readonly #log: Logger;
  readonly #protocol: 'sotw' | 'delta';
  readonly #types = new Map<string, TypeState>();
  #client?: grpc.Client;
  #call?: AnyCall;
  #stopped = true;
  #attempt = 0;
  #timer?: NodeJS.Timeout;
  #nodeSent = false;
  #connected = false;
  #dirty = false;
  #last?: XdsSnapshot;

  constructor(options: AdsClientOptions) {
    super();
    this.#opts = options;
    this.#protocol = options.protocol ?? 'sotw';
    this.#log = options.log.child({ xds: options.target });
    for (const typeUrl of ORDER) {
      this.#types.set(typeUrl, {
        typeUrl,
        wildcard: typeUrl === TYPE_URLS.listener || typeUrl === TYPE_URLS.cluster,
        names: new Set(),
        resources: new Map(),
        versions: new Map(),
        received: false,
        requested: false,
      });
    }
  }

  /** The last complete snapshot emitted, if any. */
  get snapshot(): XdsSnapshot | undefined {
    return this.#last;
  }

  get connected(): boolean {
    return this.#connected;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    protoRoot(this.#log);
    this.#client = new grpc.Client(this.#opts.target, this.#opts.credentials ?? grpc.credentials.createInsecure(), {
      ...ADS_CLIENT_CHANNEL_OPTIONS,
      ...this.#opts.channelOptions,
    });
    this.#open();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    const call = this.#call;
    this.#call = undefined;
    call?.removeAllListeners();
    call?.on('error', () => {});
    call?.cancel();
    this.#client?.close();
    this.#client = undefined;
    if (this.#connected) {
      this.#connected = false;
      this.emit('disconnected', { reason: 'stopped' });
    }
  }

  #open(): void {
    if (this.#stopped || !this.#client) return;
    const delta = this.#protocol === 'delta';
    const call: AnyCall = this.#client.makeBidiStreamRequest<any, any>(
      delta ? ADS_METHODS.delta : ADS_METHODS.sotw,
      delta ? codecs.encodeDeltaRequest : codecs.encodeRequest,
      delta ? codecs.decodeDeltaResponse : codecs.decodeResponse,
    );
    this.#call = call;
    this.#nodeSent = false;
    for (const t of this.#types.values()) {
      t.nonce = undefined;
      t.requested = false;
    }
    let ended = false;
    const onEnd = (reason: string) => {
      if (ended || this.#call !== call) return;
      ended = true;
      this.#call = undefined;
      this.#onStreamEnd(reason);
    };
    call.on('data', (res: DiscoveryResponse | DeltaDiscoveryResponse) => {
      if (this.#call !== call) return;
      if (!this.#connected) {
        this.#connected = true;
        this.#attempt = 0;
        this.#log.info('connected to the control plane', { protocol: this.#protocol });
        this.emit('connected');
      }
      try {
        if (delta) this.#onDeltaResponse(res as DeltaDiscoveryResponse);
        else this.#onResponse(res as DiscoveryResponse);
      } catch (err) {
        this.#log.error('failed to handle an xDS response', { err });
      }
    });
    call.on('error', (err: grpc.ServiceError) => onEnd(`${grpc.status[err.code] ?? err.code}: ${err.details || err.message}`));
    call.on('end', () => onEnd('the control plane ended the stream'));
    call.on('status', (s: grpc.StatusObject) => onEnd(`${grpc.status[s.code]}: ${s.details}`));
    // Listeners and clusters first; named types follow once their names are known.
    for (const t of this.#types.values()) if (t.wildcard || t.names.size > 0) this.#subscribe(t);
  }

  #onStreamEnd(reason: string): void {
    if (this.#stopped) return;
    if (this.#connected) {
      this.#connected = false;
      this.#log.warn('lost the control plane; keeping the last configuration', { reason });
      this.emit('disconnected', { reason });
    } else {
      this.#log.debug('control plane not reachable', { reason, attempt: this.#attempt });
    }
    const { initialMs = 500, maxMs = 30_000 } = this.#opts.backoff ?? {};
    const ceiling = Math.min(maxMs, initialMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    // Half fixed, half random: spreads a fleet's reconnects after a control-plane restart.
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.#timer = setTimeout(() => this.#open(), delay);
    this.#timer.unref?.();
  }

  #send(req: DiscoveryRequest | DeltaDiscoveryRequest): void {
    const call = this.#call;
    if (!call) return;
    if (!this.#nodeSent) {
      req.node = this.#opts.node;
      this.#nodeSent = true;
    }
    call.write(req);
  }

  /** First request of a type on this stream (or a change of its names, SotW). */
  #subscribe(t: TypeState): void {
    if (this.#protocol === 'delta') {
      const initial: Record<string, string> = {};
      for (const [n, v] of t.versions) initial[n] = v;
      this.#send({
        typeUrl: t.typeUrl,
        resourceNamesSubscribe: t.wildcard ? ['*'] : [...t.names],
        initialResourceVersions: initial,
      });
    } else {
      this.#send({ typeUrl: t.typeUrl, versionInfo: t.version ?? '', resourceNames: t.wildcard ? [] : [...t.names], responseNonce: t.nonce ?? '' });
    }
    t.requested = true;
  }

  /**
   * Names, encodings and references of a response's resources. A resource
   * whose bytes equal one already held is not decoded again (a push re-sends
   * thousands of unchanged clusters).
   */
  #decode(t: TypeState, typeUrl: string, anys: WireAny[]): Decoded {
    const type = messageType(typeUrl);
    const held = new Map<string, [string, EncodedResource]>();
    for (const [name, e] of t.resources) held.set(e.digest, [name, e]);
    const names: string[] = [];
    const entries: EncodedResource[] = [];
    const changed: object[] = [];
    const seen = new Set<string>();
    for (const any of anys) {
      if (any.type_url !== typeUrl) throw new Error(`resource of type ${any.type_url} in a ${shortTypeName(typeUrl)} response`);
      // A copy per resource: kept as the resource's encoding, it must not pin the whole response.
      const bytes = Buffer.from(any.value ?? new Uint8Array());
      const digest = hash('sha256', bytes, 'base64');
      let name: string;
      let entry: EncodedResource;
      const same = held.get(digest);
      if (same !== undefined) [name, entry] = same;
      else {
        const obj = type.toObject(type.decode(bytes), TO_OBJECT_OPTIONS);
        name = resourceName(typeUrl, obj);
        entry = { bytes, digest, refs: refsOf(typeUrl, obj) };
        changed.push(obj);
      }
      if (seen.has(name)) throw new Error(`duplicate ${shortTypeName(typeUrl)} resource ${name}`);
      seen.add(name);
      names.push(name);
      entries.push(entry);
    }
    return { names, entries, changed };
  }

  /** The state of the type a response is for, with its nonce recorded; undefined (and logged) for a type we did not ask for. */
  #stateFor(typeUrl: string, nonce: string): TypeState | undefined {
    const t = this.#types.get(typeUrl);
    if (!t) {
      this.#log.warn('ignoring a response of a type we did not ask for', { typeUrl });
      return undefined;
    }
    t.nonce = nonce;
    return t;
  }

  /** Decodes and validates a response's resources; on any problem NACKs it (the previous resources stay) and returns undefined. */
  #decodeOrNack(t: TypeState, typeUrl: string, version: string, nonce: string, anys: WireAny[], check?: (d: Decoded) => void): Decoded | undefined {
    try {
      const decoded = this.#decode(t, typeUrl, anys);
      check?.(decoded);
      if (decoded.changed.length > 0) this.#opts.validate?.(typeUrl, decoded.changed);
      return decoded;
    } catch (err) {
      this.#nack(t, version, nonce, err instanceof Error ? err.message : String(err));
      return undefined;
    }
  }

  #onResponse(res: DiscoveryResponse): void {
    const typeUrl = res.typeUrl ?? '';
    const version = res.versionInfo ?? '';
    const nonce = res.nonce ?? '';
    const t = this.#stateFor(typeUrl, nonce);
    if (!t) return;
    const decoded = this.#decodeOrNack(t, typeUrl, version, nonce, res.resources ?? []);
    if (!decoded) return;
    const next = t.wildcard ? new Map<string, EncodedResource>() : new Map(t.resources);
    decoded.names.forEach((n, i) => {
      // Named types: a resource we did not ask for is not ours to keep.
      if (!t.wildcard && !t.names.has(n)) return;
      next.set(n, decoded.entries[i]);
    });
    this.#accept(t, next, version);
    this.#send({ typeUrl, versionInfo: version, resourceNames: t.wildcard ? [] : [...t.names], responseNonce: nonce });
    this.#ackEvent(t, version, nonce);
    this.#afterChange(t);
  }

  #onDeltaResponse(res: DeltaDiscoveryResponse): void {
    const typeUrl = res.typeUrl ?? '';
    const version = res.systemVersionInfo ?? '';
    const nonce = res.nonce ?? '';
    const t = this.#stateFor(typeUrl, nonce);
    if (!t) return;
    const resources = res.resources ?? [];
    const anys = resources.map((r) => r.resource ?? { type_url: typeUrl, value: new Uint8Array() });
    const decoded = this.#decodeOrNack(t, typeUrl, version, nonce, anys, (d) =>
      resources.forEach((r, i) => {
        if (r.name && r.name !== d.names[i]) throw new Error(`resource named ${r.name} carries ${d.names[i]}`);
      }),
    );
    if (!decoded) return;
    const next = new Map(t.resources);
    for (const name of res.removedResources ?? []) {
      next.delete(name);
      t.versions.delete(name);
    }
    decoded.names.forEach((n, i) => {
      next.set(n, decoded.entries[i]);
      t.versions.set(n, resources[i].version ?? '');
    });
    this.#accept(t, next, version);
    this.#send({ typeUrl, responseNonce: nonce });
    this.#ackEvent(t, version, nonce);
    this.#afterChange(t);
  }

  #accept(t: TypeState, next: Map<string, EncodedResource>, version: string): void {
    let changed = next.size !== t.resources.size;
    for (const [n, e] of next) if (!changed && t.resources.get(n)?.digest !== e.digest) changed = true;
    if (changed || !t.received) this.#dirty = true;
    t.resources = next;
    t.version = version;
    t.received = true;
  }

  #ackEvent(t: TypeState, version: string, nonce: string): void {
    this.#log.debug('accepted xDS response', { type: shortTypeName(t.typeUrl), version, resources: t.resources.size });
    this.emit('ack', { typeUrl: t.typeUrl, version, nonce });
  }

  #nack(t: TypeState, version: string, nonce: string, error: string): void {
    this.#log.warn('rejected xDS response; keeping the previous resources', { type: shortTypeName(t.typeUrl), version, kept: t.version, error });
    const errorDetail = { code: GRPC_INVALID_ARGUMENT, message: error };
    if (this.#protocol === 'delta') this.#send({ typeUrl: t.typeUrl, responseNonce: nonce, errorDetail });
    else this.#send({ typeUrl: t.typeUrl, versionInfo: t.version ?? '', resourceNames: t.wildcard ? [] : [...t.names], responseNonce: nonce, errorDetail });
    this.emit('nack', { typeUrl: t.typeUrl, version, nonce, error });
  }

  /** Follows references from listeners/clusters to the named types, then emits if complete. */
  #afterChange(t: TypeState): void {
    const lds = this.#types.get(TYPE_URLS.listener)!;
    const cds = this.#types.get(TYPE_URLS.cluster)!;
    const union = (types: TypeState[], kind: keyof ResourceRefs) => new Set(types.flatMap((x) => [...x.resources.values()].flatMap((e) => e.refs[kind] ?? [])));
    if (t === lds) this.#setNames(this.#types.get(TYPE_URLS.route)!, union([lds], 'routes'));
    if (t === cds) this.#setNames(this.#types.get(TYPE_URLS.endpoint)!, union([cds], 'endpoints'));
    if (t === lds || t === cds) this.#setNames(this.#types.get(TYPE_URLS.secret)!, union([lds, cds], 'secrets'));
    this.#maybeEmit();
  }

  #setNames(t: TypeState, names: Set<string>): void {
    const same = names.size === t.names.size && [...names].every((n) => t.names.has(n));
    if (same && (t.requested || names.size === 0)) return;
    const removed = [...t.names].filter((n) => !names.has(n));
    const added = [...names].filter((n) => !t.names.has(n));
    t.names = names;
    for (const n of removed) {
      if (t.resources.delete(n)) this.#dirty = true;
      t.versions.delete(n);
    }
    if (!this.#call) return;
    if (this.#protocol === 'delta') {
      if (!t.requested) this.#subscribe(t);
      else this.#send({ typeUrl: t.typeUrl, resourceNamesSubscribe: added, resourceNamesUnsubscribe: removed });
    } else {
      this.#subscribe(t);
    }
  }

  #complete(): boolean {
    for (const t of this.#types.values()) {
      if (t.wildcard ? !t.received : [...t.names].some((n) => !t.resources.has(n))) return false;
    }
    return true;
  }

  #maybeEmit(): void {
    if (!this.#dirty || !this.#complete()) return;
    this.#dirty = false;
    const versions: Record<string, string> = {};
    for (const t of this.#types.values()) if (t.version !== undefined) versions[t.typeUrl] = t.version;
    const get = (typeUrl: string) => new EncodedResourceMap(typeUrl, new Map(this.#types.get(typeUrl)!.resources));
    this.#last = {
      listeners: get(TYPE_URLS.listener),
      routes: get(TYPE_URLS.route),
      clusters: get(TYPE_URLS.cluster),
      endpoints: get(TYPE_URLS.endpoint),
      secrets: get(TYPE_URLS.secret),
      versions,
    };
    this.#log.debug('xDS snapshot complete', {
      listeners: this.#last.listeners.size,
      routes: this.#last.routes.size,
      clusters: this.#last.clusters.size,
      endpoints: this.#last.endpoints.size,
    });
    this.emit('snapshot', this.#last);
  }
}

/** The names a resource makes the client fetch: listeners name routes and secrets, clusters endpoints and secrets. */
function refsOf(typeUrl: string, obj: Record<string, any>): ResourceRefs {
  const list = (names: Set<string>) => (names.size > 0 ? [...names] : undefined);
  if (typeUrl === TYPE_URLS.listener) return { routes: list(referencedRouteNames([obj])), secrets: list(referencedSecretNames([obj])) };
  if (typeUrl === TYPE_URLS.cluster) return { endpoints: list(referencedEndpointNames([obj])), secrets: list(referencedSecretNames([obj])) };
  return {};
}
