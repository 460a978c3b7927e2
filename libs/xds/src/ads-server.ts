// The Aggregated Discovery Service: serves snapshots from a SnapshotCache over
// State-of-the-World and Delta xDS streams. It never builds resources; it
// tracks per-stream, per-type protocol state (subscriptions, nonces, versions
// sent and ACKed, the last NACK) and pushes when a stream's snapshot changes.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@mesh/telemetry';
import { counter, gauge } from '@mesh/telemetry';
import { TYPE_URLS, shortTypeName } from './codec.ts';
import {
  adsServiceDefinition,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type DeltaResource,
  type DiscoveryRequest,
  type DiscoveryResponse,
  type XdsNode,
} from './ads-protocol.ts';
import type { Snapshot, SnapshotCache } from './snapshot.ts';
import { protoRoot } from './protos.ts';
import { registerCsds } from './csds.ts';
import { streamPeer, type StreamAuthorizer } from './xds-tls.ts';

const streamsGauge = gauge('mesh_xds_streams', 'Open ADS streams', ['protocol']);
const pushes = counter('mesh_xds_pushes_total', 'xDS responses sent', ['type']);
const acks = counter('mesh_xds_acks_total', 'xDS ACKs received', ['type']);
const nacks = counter('mesh_xds_nacks_total', 'xDS NACKs received', ['type']);
const refusals = counter(
  'mesh_xds_auth_failures_total',
  "xDS streams refused with PERMISSION_DENIED because the node's claims do not match its client certificate, by reason",
  ['reason'],
);

/** Types whose empty subscription means "everything" (legacy wildcard). */
const WILDCARD_TYPES = new Set<string>([TYPE_URLS.listener, TYPE_URLS.cluster]);

/** What the server knows about one type on one stream. */
export interface TypeStatus {
  typeUrl: string;
  wildcard: boolean;
  /** Explicitly subscribed names (RDS/EDS/SDS, or Delta subscriptions). */
  names: string[];
  sentVersion?: string;
  sentNonce?: string;
  sentAt?: string;
  ackedVersion?: string;
  ackedNonce?: string;
  ackedAt?: string;
  /** Error detail of the last NACK; cleared by the next ACK. */
  lastError?: string;
  nackedVersion?: string;
  nackedAt?: string;
  /** Number of resources in the last response. */
  resources: number;
}

export interface StreamInfo {
  id: number;
  protocol: 'sotw' | 'delta';
  node: XdsNode;
  /** The cache key this stream is served from. */
  nodeKey: string;
  peer: string;
  /** The SPIFFE id of the verified client certificate (secure listeners only). */
  peerIdentity?: string;
  connectedAt: string;
  types: Map<string, TypeStatus>;
}

/** Callbacks for the control plane (sync status, metrics). Exceptions thrown by hooks are logged and ignored. */
export interface AdsServerHooks {
  /** The first request of a stream arrived (the node is known). */
  onStreamOpen?(stream: StreamInfo): void;
  onStreamClose?(stream: StreamInfo, reason: string): void;
  onRequest?(stream: StreamInfo, typeUrl: string, request: DiscoveryRequest | DeltaDiscoveryRequest): void;
  onResponse?(stream: StreamInfo, typeUrl: string, sent: { version: string; nonce: string; resources: number; removed?: number }): void;
  onAck?(stream: StreamInfo, typeUrl: string, version: string, nonce: string): void;
  onNack?(stream: StreamInfo, typeUrl: string, version: string, nonce: string, error: string): void;
}

export interface AdsServerOptions {
  cache: SnapshotCache;
  log: Logger;
  /** Which cache key serves a node; the node id by default. */
  nodeKey?: (node: XdsNode) => string;
  hooks?: AdsServerHooks;
  /** Identifies this control plane in responses (control_plane.identifier). */
  identifier?: string;
}

/** Server options suited to long-lived xDS streams: ping idle connections, let clients ping often. */
export const ADS_SERVER_CHANNEL_OPTIONS: grpc.ServerOptions = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 5_000,
  'grpc.max_receive_message_length': 16 * 1024 * 1024,
  'grpc.max_send_message_length': -1,
};

type Call<Req, Res> = grpc.ServerDuplexStream<Req, Res>;

abstract class StreamBase<Req extends { node?: XdsNode; typeUrl?: string }, Res> {
  info?: StreamInfo;
  readonly call: Call<Req, Res>;
  readonly server: AdsServer;
  readonly id: number;
  log: Logger;
  #nonce = 0;
  #unwatch?: () => void;
  closed = false;

  readonly #authorize: StreamAuthorizer | undefined;

  constructor(server: AdsServer, id: number, call: Call<Req, Res>, authorize?: StreamAuthorizer) {
    this.server = server;
    this.id = id;
    this.call = call;
    this.#authorize = authorize;
    this.log = server.log.child({ stream: id });
  }

  abstract readonly protocol: 'sotw' | 'delta';
  protected abstract handle(req: Req, typeUrl: string, state: TypeStatus, first: boolean): void;
  protected abstract onSnapshot(snapshot: Snapshot): void;

  nextNonce(): string {
    return String(++this.#nonce);
  }

  snapshot(): Snapshot | undefined {
    return this.info ? this.server.cache.get(this.info.nodeKey) : undefined;
  }

  receive(req: Req): void {
    if (this.closed) return;
    if (!this.info) {
      const node = req.node;
      if (!node?.id) {
        this.fail(grpc.status.INVALID_ARGUMENT, 'the first request of a stream must carry node.id');
        return;
      }
      const peer = streamPeer(this.call);
      if (this.#authorize) {
        const refusal = this.#authorize(node, peer);
        if (refusal) {
          refusals.inc({ reason: refusal.reason });
          this.server.logRefusal(`${peer.spiffeId ?? '-'} ${node.id} ${refusal.reason}`, () =>
            this.log.warn('refusing an xDS stream whose node does not match its client certificate', {
              node: node.id,
              peer: peer.address,
              peerIdentity: peer.spiffeId,
              reason: refusal.reason,
              details: refusal.message,
            }),
          );
          this.closed = true;
          this.server.forget(this);
          this.call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: `xDS stream refused: ${refusal.message}` });
          return;
        }
      }
      let nodeKey: string;
      try {
        nodeKey = this.server.nodeKeyOf(node);
      } catch (err) {
        this.fail(grpc.status.INVALID_ARGUMENT, `cannot serve node ${node.id}: ${(err as Error).message}`);
        return;
      }
      this.info = {
        id: this.id,
        protocol: this.protocol,
        node,
        nodeKey,
        peer: peer.address,
        ...(peer.spiffeId ? { peerIdentity: peer.spiffeId } : {}),
        connectedAt: new Date().toISOString(),
        types: new Map(),
      };
      this.log = this.log.child({ node: node.id });
      this.log.info('xDS stream opened', { protocol: this.protocol, peer: this.info.peer, peerIdentity: peer.spiffeId, nodeKey });
      streamsGauge.inc({ protocol: this.protocol });
      this.#unwatch = this.server.cache.watch(nodeKey, (s) => this.onSnapshot(s));
      this.server.hook('onStreamOpen', this.info);
    }
    const typeUrl = req.typeUrl;
    if (!typeUrl) {
      this.log.warn('ignoring a request without type_url (ADS requires it)');
      return;
    }
    let state = this.info.types.get(typeUrl);
    const first = !state;
    if (!state) {
      state = { typeUrl, wildcard: false, names: [], resources: 0 };
      this.info.types.set(typeUrl, state);
    }
    this.server.hook('onRequest', this.info, typeUrl, req);
    this.handle(req, typeUrl, state, first);
  }

  write(res: Res): void {
    if (!this.closed) this.call.write(res);
  }

  fail(code: grpc.status, details: string): void {
    this.log.warn('closing xDS stream', { details });
    this.call.emit('error', { code, details });
    this.close(details);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.#unwatch?.();
    this.server.forget(this);
    if (this.info) {
      streamsGauge.dec({ protocol: this.protocol });
      this.log.info('xDS stream closed', { reason });
      this.server.hook('onStreamClose', this.info, reason);
    }
  }

  ack(typeUrl: string, state: TypeStatus, version: string, nonce: string, error: string | undefined): void {
    const now = new Date().toISOString();
    if (error) {
      state.lastError = error;
      state.nackedVersion = state.sentVersion;
      state.nackedAt = now;
      nacks.inc({ type: shortTypeName(typeUrl) });
      this.log.warn('xDS NACK', { type: shortTypeName(typeUrl), rejectedVersion: state.sentVersion, keptVersion: version, nonce, error });
      this.server.hook('onNack', this.info!, typeUrl, version, nonce, error);
    } else {
      state.ackedVersion = version;
      state.ackedNonce = nonce;
      state.ackedAt = now;
      state.lastError = undefined;
      acks.inc({ type: shortTypeName(typeUrl) });
      this.log.debug('xDS ACK', { type: shortTypeName(typeUrl), version, nonce });
      this.server.hook('onAck', this.info!, typeUrl, version, nonce);
    }
  }

  sent(typeUrl: string, state: TypeStatus, version: string, nonce: string, resources: number, removed?: number): void {
    state.sentVersion = version;
    state.sentNonce = nonce;
    state.sentAt = new Date().toISOString();
    state.resources = resources;
    pushes.inc({ type: shortTypeName(typeUrl) });
    this.log.debug('xDS push', { type: shortTypeName(typeUrl), version, nonce, resources, removed });
    this.server.hook('onResponse', this.info!, typeUrl, { version, nonce, resources, removed });
  }
}

function sameSet(a: Iterable<string>, b: Set<string>): boolean {
  const aa = new Set(a);
  if (aa.size !== b.size) return false;
  for (const x of aa) if (!b.has(x)) return false;
  return true;
}

class SotwStream extends StreamBase<DiscoveryRequest, DiscoveryResponse> {
  readonly protocol = 'sotw' as const;

  protected handle(req: DiscoveryRequest, typeUrl: string, state: TypeStatus, first: boolean): void {
    // A nonce on a type this stream never answered comes from an earlier
    // stream (a reconnecting client): treat the request as a first request.
    const nonce = state.sentNonce === undefined ? '' : (req.responseNonce ?? '');
    if (nonce) {
      // A response we have since superseded: the client will answer the newer
      // one too, so acting on this would act on stale state.
      if (nonce !== state.sentNonce) {
        this.log.debug('ignoring a request with a stale nonce', { type: shortTypeName(typeUrl), nonce, latest: state.sentNonce });
        return;
      }
      this.ack(typeUrl, state, req.versionInfo ?? '', nonce, req.errorDetail ? req.errorDetail.message || `error code ${req.errorDetail.code}` : undefined);
    }
    const names = (req.resourceNames ?? []).filter((n) => n !== '*');
    const explicitWildcard = (req.resourceNames ?? []).includes('*');
    const wildcard = explicitWildcard || (WILDCARD_TYPES.has(typeUrl) && names.length === 0 && (first || state.wildcard));
    const changed = first || wildcard !== state.wildcard || !sameSet(names, new Set(state.names));
    state.wildcard = wildcard;
    state.names = names;
    // A client (re)connecting gets a response even when it claims the
    // current version: it may be a different replica's identical content, but
    // answering keeps "first request → response" true for every client.
    if (changed) this.respond(typeUrl, state);
  }

  protected onSnapshot(snapshot: Snapshot): void {
    for (const [typeUrl, state] of this.info!.types) {
      if (snapshot.type(typeUrl).version !== state.sentVersion) this.respond(typeUrl, state, snapshot);
    }
  }

  respond(typeUrl: string, state: TypeStatus, snapshot = this.snapshot()): void {
    if (!snapshot) return; // served when the control plane sets this node's first snapshot
    const t = snapshot.type(typeUrl);
    const resources = state.wildcard
      ? [...t.resources.values()]
      : state.names.map((n) => t.resources.get(n)).filter((r) => r !== undefined);
    const nonce = this.nextNonce();
    this.write({ versionInfo: t.version, resources: resources.map((r) => r.wire), typeUrl, nonce, controlPlane: this.server.controlPlane });
    this.sent(typeUrl, state, t.version, nonce, resources.length);
  }
}

interface DeltaState {
  /** Resource versions the client has (as far as the server knows). */
  client: Map<string, string>;
  /** What `client` was before the last response, restored on its NACK. */
  beforeLast?: Map<string, string>;
}

class DeltaStream extends StreamBase<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
  readonly protocol = 'delta' as const;
  readonly #delta = new Map<string, DeltaState>();

  protected handle(req: DeltaDiscoveryRequest, typeUrl: string, state: TypeStatus, first: boolean): void {
    let ds = this.#delta.get(typeUrl);
    if (!ds) {
      ds = { client: new Map(Object.entries(req.initialResourceVersions ?? {})) };
      this.#delta.set(typeUrl, ds);
    }
    const nonce = req.responseNonce ?? '';
    if (nonce) {
      if (nonce === state.sentNonce) {
        const error = req.errorDetail ? req.errorDetail.message || `error code ${req.errorDetail.code}` : undefined;
        if (error && ds.beforeLast) ds.client = ds.beforeLast;
        ds.beforeLast = undefined;
        this.ack(typeUrl, state, error ? (state.ackedVersion ?? '') : (state.sentVersion ?? ''), nonce, error);
      } else {
        this.log.debug('stale nonce in a delta request; applying its subscription changes only', { type: shortTypeName(typeUrl), nonce });
      }
    }
    const subscribe = req.resourceNamesSubscribe ?? [];
    const unsubscribe = req.resourceNamesUnsubscribe ?? [];
    const names = new Set(state.names);
    let changed = first;
    if (first && WILDCARD_TYPES.has(typeUrl) && subscribe.length === 0) state.wildcard = true;
    const added: string[] = [];
    for (const n of subscribe) {
      if (n === '*') {
        changed ||= !state.wildcard;
        state.wildcard = true;
      } else if (!names.has(n)) {
        names.add(n);
        added.push(n);
        changed = true;
      }
    }
    for (const n of unsubscribe) {
      if (n === '*') {
        changed ||= state.wildcard;
        state.wildcard = false;
      } else if (names.delete(n)) {
        ds.client.delete(n);
        changed = true;
      }
    }
    state.names = [...names];
    if (changed) this.respond(typeUrl, state, this.snapshot(), first ? undefined : added);
  }

  protected onSnapshot(snapshot: Snapshot): void {
    for (const [typeUrl, state] of this.info!.types) this.respond(typeUrl, state, snapshot, []);
  }

  /**
   * Sends what the client lacks: subscribed resources whose version differs
   * from the client's, and removals of names it has that are gone. `mustAnswer`
   * undefined means the type's first request (always answered); names in it
   * that do not exist are reported removed, which tells the client they are absent.
   */
  respond(typeUrl: string, state: TypeStatus, snapshot: Snapshot | undefined, mustAnswer?: string[]): void {
    if (!snapshot) return;
    const ds = this.#delta.get(typeUrl)!;
    const t = snapshot.type(typeUrl);
    const wanted = (name: string) => state.wildcard || state.names.includes(name);
    const resources: DeltaResource[] = [];
    const candidates = state.wildcard ? new Set([...t.resources.keys(), ...state.names]) : new Set(state.names);
    for (const name of candidates) {
      const r = t.resources.get(name);
      if (r && ds.client.get(name) !== r.version) resources.push({ name, version: r.version, resource: r.wire });
    }
    const removed = new Set<string>();
    for (const name of ds.client.keys()) if (!t.resources.has(name) || !wanted(name)) removed.add(name);
    for (const name of mustAnswer ?? []) if (!t.resources.has(name)) removed.add(name);
    if (resources.length === 0 && removed.size === 0 && mustAnswer !== undefined) return;
    ds.beforeLast = new Map(ds.client);
    for (const r of resources) ds.client.set(r.name, r.version!);
    for (const n of removed) ds.client.delete(n);
    const nonce = this.nextNonce();
    this.write({
      systemVersionInfo: t.version,
      resources,
      typeUrl,
      removedResources: [...removed],
      nonce,
      controlPlane: this.server.controlPlane,
    });
    this.sent(typeUrl, state, t.version, nonce, resources.length, removed.size);
  }
}

/** ADS over gRPC (SotW and Delta) on top of a SnapshotCache. */
export class AdsServer {
  readonly cache: SnapshotCache;
  readonly log: Logger;
  readonly controlPlane: { identifier: string } | undefined;
  readonly #hooks: AdsServerHooks;
  readonly #nodeKey: (node: XdsNode) => string;
  readonly #streams = new Set<StreamBase<any, any>>();
  #nextId = 0;
  readonly #grpcServers = new Set<grpc.Server>();
  /** Refusals already logged (same certificate, node and reason): a client retrying every second logs once. */
  readonly #loggedRefusals = new Set<string>();

  constructor(options: AdsServerOptions) {
    this.cache = options.cache;
    this.log = options.log;
    this.#hooks = options.hooks ?? {};
    this.#nodeKey = options.nodeKey ?? ((node) => node.id);
    this.controlPlane = options.identifier ? { identifier: options.identifier } : undefined;
  }

  nodeKeyOf(node: XdsNode): string {
    return this.#nodeKey(node);
  }

  hook<K extends keyof AdsServerHooks>(name: K, ...args: Parameters<NonNullable<AdsServerHooks[K]>>): void {
    const fn = this.#hooks[name] as ((...a: unknown[]) => void) | undefined;
    if (!fn) return;
    try {
      fn(...args);
    } catch (err) {
      this.log.warn('xDS hook failed', { hook: name, err });
    }
  }

  forget(stream: StreamBase<any, any>): void {
    this.#streams.delete(stream);
  }

  logRefusal(key: string, log: () => void): void {
    if (this.#loggedRefusals.has(key)) return;
    if (this.#loggedRefusals.size >= 1_000) this.#loggedRefusals.clear();
    this.#loggedRefusals.add(key);
    log();
  }

  /**
   * Adds the AggregatedDiscoveryService to a grpc-js server (to share one port with other services).
   * `authorize` decides on each stream's first request (the secure port's identity check).
   */
  register(server: grpc.Server, authorize?: StreamAuthorizer): void {
    protoRoot(this.log);
    const attach = (stream: StreamBase<any, any>, call: Call<any, any>) => {
      this.#streams.add(stream);
      call.on('data', (req) => {
        try {
          stream.receive(req);
        } catch (err) {
          stream.log.error('xDS request handling failed', { err });
          stream.fail(grpc.status.INTERNAL, `request handling failed: ${(err as Error).message}`);
        }
      });
      call.on('end', () => {
        stream.close('client closed the stream');
        call.end();
      });
      call.on('error', (err: Partial<grpc.ServiceError>) => stream.close(`stream error: ${err.details || err.message || err.code}`));
      call.on('cancelled', () => stream.close('cancelled'));
      call.on('close', () => stream.close('closed'));
    };
    server.addService(adsServiceDefinition(), {
      StreamAggregatedResources: (call: Call<DiscoveryRequest, DiscoveryResponse>) => attach(new SotwStream(this, ++this.#nextId, call, authorize), call),
      DeltaAggregatedResources: (call: Call<DeltaDiscoveryRequest, DeltaDiscoveryResponse>) => attach(new DeltaStream(this, ++this.#nextId, call, authorize), call),
    });
  }

  /**
   * Starts a gRPC server carrying ADS and CSDS on host:port (0 = a free port); resolves with the bound port.
   * Called once per listener: the same snapshots and streams are served on each (plaintext 15010, mTLS 15011).
   * With `authorize`, CSDS is not served there: it would hand every proxy's config to any certificate holder.
   */
  async listen(
    host: string,
    port: number,
    credentials = grpc.ServerCredentials.createInsecure(),
    options: grpc.ServerOptions = {},
    authorize?: StreamAuthorizer,
  ): Promise<number> {
    const server = new grpc.Server({ ...ADS_SERVER_CHANNEL_OPTIONS, ...options });
    this.register(server, authorize);
    if (!authorize) registerCsds(server, this);
    let bound: number;
    try {
      bound = await new Promise<number>((resolve, reject) =>
        server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, credentials, (err, p) => (err ? reject(err) : resolve(p))),
      );
    } catch (err) {
      server.forceShutdown();
      throw err;
    }
    this.#grpcServers.add(server);
    return bound;
  }

  /** Status of every open stream (for sync-status and debug pages). */
  streams(): StreamInfo[] {
    return [...this.#streams].flatMap((s) => (s.info ? [s.info] : []));
  }

  /**
   * Stops accepting streams, ends every open one with UNAVAILABLE (clients
   * reconnect elsewhere) and shuts the gRPC server down, forcibly after `graceMs`.
   */
  async close(graceMs = 5_000): Promise<void> {
    const servers = [...this.#grpcServers];
    this.#grpcServers.clear();
    for (const s of [...this.#streams]) {
      s.call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'control plane shutting down' });
      s.close('server shutting down');
    }
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              server.forceShutdown();
              resolve();
            }, graceMs);
            server.tryShutdown(() => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
  }
}
