// Listeners from LDS: one server per bound listener address, and the
// bind_to_port: false listeners kept (never bound) as hand-off targets of a
// use_original_dst listener, as Envoy keeps them.
//
// Per connection, as Envoy does: the original_dst listener filter restores the
// destination (SO_ORIGINAL_DST); a use_original_dst listener hands the
// connection to the listener of that destination (exact ip:port, else
// 0.0.0.0:port / [::]:port), which runs its own listener filters; the
// inspectors (tls_inspector, http_inspector) read the first bytes within
// listener_filters_timeout; the filter chain is picked by FilterChainMatch
// (filter-chain-match.ts), else the default chain, else the connection is
// closed and counted in listener.<prefix>.no_filter_chain_match. A chain
// with a DownstreamTlsContext first terminates TLS (downstream-tls.ts; the
// verified peer is on the TLS socket's connectionInfo()). Each HTTP chain has
// its own HCM config and H1Server (the inspected bytes are unshifted and the
// socket handed to it by `net.emit('connection')`); each TCP chain its
// TcpProxy.
//
// An update that keeps a listener's address swaps its configuration in place:
// a chain whose match and kind stay keeps its server and connections
// (requests already in flight finish on the config they started with); a
// chain that disappeared drains. A listener whose address changed, or that
// disappeared, stops accepting and drains: its responses carry
// `connection: close`, idle connections close, and whatever is left after the
// drain time is cut.
import net, { type AddressInfo, type Socket } from 'node:net';
import type { Logger } from '@mesh/telemetry';
import type { FilterChainSpec, ListenerSpec } from '../config/listener-config.ts';
import { RouteTable } from '../config/route-table.ts';
import { accessLogSink, type AccessLogSink } from '../http/access-log.ts';
import { Exchange, onDownstreamSocketClose, type ActiveHttpConfig, type ExchangeContext } from '../http/exchange.ts';
import { codecOptions } from '../config/hcm-config.ts';
import { H1Server } from '../http/h1-server.ts';
import type { ClusterManager } from '../upstream/cluster-manager.ts';
import type { StatsStore } from '../stats.ts';
import { selectChain, type ConnectionFacts } from './filter-chain-match.ts';
import { inspect, type Inspected } from './listener-filters.ts';
import {
  destinationOf,
  kernelOriginalDestination,
  normalizeIp,
  originalDestinationAvailability,
  originalDestinationOf,
  setOriginalDestination,
  type Destination,
  type OriginalDestinationResolver,
} from './original-destination.ts';
import { TcpProxy, TcpStats } from './tcp-proxy.ts';
import type { SecretLookup } from '../secrets/secret-lookup.ts';
import { TlsContexts } from '../upstream/tls-contexts.ts';
import { DownstreamTls, DownstreamTlsStats } from './downstream-tls.ts';

export interface ListenerDeps {
  clusters: ClusterManager;
  stats: StatsStore;
  log: Logger;
  random: () => number;
  /** --access-log: log every request whatever the HCM config says. */
  forceAccessLog: boolean;
  /** How long a removed listener's connections may take to finish. */
  drainTimeoutMs: number;
  /** Connections a listener accepts at once; more are closed on accept (default DEFAULT_MAX_CONNECTIONS_PER_LISTENER; 0: no limit). */
  maxConnectionsPerListener?: number;
  /**
   * How the original_dst listener filter reads a connection's original
   * destination (tests inject one). Default: SO_ORIGINAL_DST through
   * @mesh/original-dst, whose availability is checked per listener.
   */
  originalDestination?: OriginalDestinationResolver;
  /** Whether the default resolver can work here (tests inject a failure); @mesh/original-dst's answer by default. */
  originalDestinationAvailability?: () => { ok: true } | { ok: false; reason: string };
  /** SDS secrets of filter chains that terminate TLS (pilot's and the agent's); without it such chains refuse every connection. */
  secrets?: SecretLookup;
}

/**
 * Envoy has no per-listener connection limit unless configured (runtime
 * `envoy.resource_limits.listener.<name>.connection_limit`, or the overload
 * manager's global_downstream_max_connections); this proxy sets one by default
 * so a connection flood runs out of its budget before the process runs out of
 * file descriptors or memory.
 */
export const DEFAULT_MAX_CONNECTIONS_PER_LISTENER = 65_536;

/** Envoy's listener.<prefix>.* counters. */
export class ListenerStats {
  downstreamCxTotal = 0;
  downstreamCxActive = 0;
  downstreamCxOverflow = 0;
  /** Connections still in the listener filters. */
  downstreamPreCxActive = 0;
  /** Listener filters that did not finish within listener_filters_timeout. */
  downstreamPreCxTimeout = 0;
  noFilterChainMatch = 0;
  /** The matching chain is not served: closed. */
  unservedFilterChain = 0;
  /** The ssl.* counters of chains that terminate TLS. */
  readonly tls = new DownstreamTlsStats();
  /** tls_inspector: a ClientHello over 64 KiB: closed. */
  clientHelloTooLarge = 0;
  /** Connections handed to another listener by use_original_dst. */
  handedOff = 0;
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  lines(): string[] {
    const p = `listener.${this.prefix}.`;
    return [
      `${p}downstream_cx_total: ${this.downstreamCxTotal}`,
      `${p}downstream_cx_active: ${this.downstreamCxActive}`,
      `${p}downstream_cx_overflow: ${this.downstreamCxOverflow}`,
      `${p}downstream_pre_cx_active: ${this.downstreamPreCxActive}`,
      `${p}downstream_pre_cx_timeout: ${this.downstreamPreCxTimeout}`,
      `${p}no_filter_chain_match: ${this.noFilterChainMatch}`,
      `${p}unserved_filter_chain: ${this.unservedFilterChain}`,
      `${p}tls_inspector.client_hello_too_large: ${this.clientHelloTooLarge}`,
      `${p}original_dst_handoff: ${this.handedOff}`,
      ...this.tls.lines(p),
    ];
  }
}

const kListener = Symbol('listener');
type ListenerSocket = Socket & { [kListener]?: ActiveListener };

function onSocketClose(this: ListenerSocket): void {
  const l = this[kListener];
  if (l === undefined) return;
  this[kListener] = undefined;
  l.connections.delete(this);
  l.listenerStats.downstreamCxActive--;
  if (l.connections.size === 0) l.onEmpty?.();
}

function ignoreError(): void {}

const EMPTY_ROUTES = new RouteTable({ name: '' });
const EMPTY_BYTES = Buffer.alloc(0);

/** Which chain runtime serves a chain: kept across updates while its match and kind stay. */
function chainIdentity(c: FilterChainSpec, isDefault: boolean): string {
  return `${isDefault ? 'default' : 'chain'}|${c.kind}|${c.tls ? 'tls' : 'plain'}|${JSON.stringify(c.match)}`;
}

/** One served filter chain at run time: its HTTP server (and HCM config) or TCP proxy. */
export class ChainRuntime implements ExchangeContext {
  readonly listenerName: string;
  readonly clusters: ClusterManager;
  readonly random: () => number;
  spec: FilterChainSpec;
  active: ActiveHttpConfig | undefined = undefined;
  readonly h1: H1Server | undefined;
  readonly tcp: TcpProxy | undefined;
  /** The chain's TLS termination (a DownstreamTlsContext), undefined for plaintext. */
  tls: DownstreamTls | undefined = undefined;
  #draining = false;
  readonly #listener: ActiveListener;
  readonly #deps: ListenerDeps;

  constructor(listener: ActiveListener, spec: FilterChainSpec, routes: Map<string, RouteTable>, deps: ListenerDeps, tcpStats: (prefix: string) => TcpStats) {
    this.#listener = listener;
    this.#deps = deps;
    this.listenerName = listener.listenerName;
    this.clusters = deps.clusters;
    this.random = deps.random;
    this.spec = spec;
    if (spec.kind === 'tcp') {
      this.tcp = new TcpProxy(spec.tcp!, deps.clusters, deps.log, deps.random, tcpStats(spec.tcp!.statPrefix));
      this.h1 = undefined;
    } else {
      this.tcp = undefined;
      this.h1 = new H1Server((req, res) => new Exchange(this, this.active!, req, res).start(), {
        maxConnections: deps.maxConnectionsPerListener ?? DEFAULT_MAX_CONNECTIONS_PER_LISTENER,
        bufferLimitBytes: listener.spec.perConnectionBufferLimitBytes,
        onHandlerError: (err) => deps.log.error('request handler failed; answered 500', { listener: listener.listenerName, chain: spec.name, err }),
      });
    }
    this.update(spec, routes, tcpStats);
  }

  get draining(): boolean {
    return this.#draining || this.#listener.draining;
  }

  /** Swaps the chain's configuration in place (same match and kind). */
  update(spec: FilterChainSpec, routes: Map<string, RouteTable>, tcpStats: (prefix: string) => TcpStats): void {
    this.spec = spec;
    if (spec.tls === undefined) this.tls = undefined;
    else if (this.tls !== undefined) this.tls.update(spec.tls);
    else {
      const listener = this.#listener;
      this.tls = new DownstreamTls(spec.tls, {
        contexts: listener.manager.tlsContexts,
        log: this.#deps.log,
        listenerName: this.listenerName,
        chainName: spec.name,
        stats: () => listener.listenerStats.tls,
        warnMissing: (secret) => listener.manager.warnMissingSecret(this.listenerName, secret),
      });
    }
    if (spec.kind === 'tcp') {
      this.tcp!.spec = spec.tcp!;
      this.tcp!.stats = tcpStats(spec.tcp!.statPrefix);
      return;
    }
    const hcm = spec.hcm!;
    const deps = this.#deps;
    const table = hcm.rdsName !== undefined ? routes.get(hcm.rdsName) : undefined;
    if (hcm.rdsName !== undefined && table === undefined) {
      deps.log.warn('listener references a route configuration that is not known; it answers 404', { listener: this.listenerName, chain: spec.name, routeConfig: hcm.rdsName });
    }
    const logs = hcm.accessLogs.map((a) => a.path);
    if (deps.forceAccessLog && !logs.includes('/dev/stdout')) logs.push('/dev/stdout');
    const stats = deps.stats.httpPrefix(hcm.statPrefix);
    const previous = this.active;
    this.active = {
      hcm,
      routes: hcm.inlineRoutes ?? table ?? EMPTY_ROUTES,
      stats,
      accessLog: logs.length ? (accessLogSink(logs) as AccessLogSink) : undefined,
    };
    const open = this.h1!.connections.size;
    // Open connections are now counted under the new stat prefix.
    if (previous !== undefined && previous.stats !== stats) {
      previous.stats.cxActive -= open;
      stats.cxActive += open;
    }
    this.h1!.configure({ ...codecOptions(hcm), bufferLimitBytes: this.#listener.spec.perConnectionBufferLimitBytes, stats });
  }

  /** Counts a connection this chain serves (HTTP stats are per HCM stat prefix). */
  countHttp(socket: Socket): void {
    const stats = this.active!.stats;
    stats.cxTotal++;
    stats.cxActive++;
    socket.once('close', () => {
      const now = this.active?.stats ?? stats;
      now.cxActive--;
    });
    socket.on('close', onDownstreamSocketClose);
  }

  /**
   * Takes a connection whose first bytes (`bytes`) were read by the listener filters; a TLS chain
   * terminates TLS first (`clientAlpn`: what the ClientHello offered, when tls_inspector read it).
   */
  serve(socket: Socket, bytes: Buffer, clientAlpn?: readonly string[]): void {
    if (this.tls !== undefined) {
      this.tls.accept(socket, bytes, clientAlpn, (secure) => this.#serveSocket(secure, EMPTY_BYTES));
      return;
    }
    this.#serveSocket(socket, bytes);
  }

  #serveSocket(socket: Socket, bytes: Buffer): void {
    if (bytes.length > 0) socket.unshift(bytes);
    if (this.tcp !== undefined) {
      this.tcp.handle(socket);
      return;
    }
    this.countHttp(socket);
    // The contract with the HTTP server: unshifted bytes, then its 'connection' entry.
    this.h1!.net.emit('connection', socket);
  }

  /** Stops taking requests: responses carry `connection: close`, idle connections close. */
  drain(): void {
    this.#draining = true;
    this.h1?.drain();
  }

  closeIdle(): void {
    this.h1?.closeIdleConnections();
  }

  /** Open connections on this chain. */
  get size(): number {
    return this.h1 ? this.h1.connections.size : this.tcp!.size;
  }

  destroy(): void {
    this.tcp?.close();
    if (this.h1) for (const c of this.h1.connections) c.socket.destroy();
  }
}

export class ActiveListener {
  readonly listenerName: string;
  draining = false;
  spec: ListenerSpec;
  /**
   * 'direct': one plain HTTP chain, no listener filters: its H1Server's own
   * net.Server is the listener (the hot path). 'dispatch': a net.Server that
   * runs listener filters and picks a chain per connection.
   */
  readonly mode: 'direct' | 'dispatch';
  readonly server: net.Server | undefined;
  readonly connections = new Set<Socket>();
  /** 'virtual': bind_to_port false, a hand-off target only. */
  state: 'binding' | 'bound' | 'virtual' | 'failed' | 'closed' = 'binding';
  error: string | undefined = undefined;
  boundPort = 0;
  onEmpty: (() => void) | undefined = undefined;
  listenerStats: ListenerStats;
  #chains = new Map<string, ChainRuntime>();
  #retryTimer: NodeJS.Timeout | undefined;
  #retries = 0;
  readonly #manager: ListenerManager;
  readonly #deps: ListenerDeps;
  readonly #resolver: OriginalDestinationResolver | undefined;

  constructor(spec: ListenerSpec, routes: Map<string, RouteTable>, deps: ListenerDeps, manager: ListenerManager) {
    this.#deps = deps;
    this.#manager = manager;
    this.listenerName = spec.name;
    this.spec = spec;
    this.mode = listenerMode(spec);
    this.listenerStats = manager.listenerStatsFor(spec.statPrefix);
    const needsOriginalDst = spec.useOriginalDst || spec.listenerFilters.originalDst;
    if (needsOriginalDst && deps.originalDestination === undefined) {
      const available = (deps.originalDestinationAvailability ?? originalDestinationAvailability)();
      if (!available.ok) {
        // Never serve a captured connection as if it were addressed to the proxy: refuse the listener, loudly.
        this.state = 'failed';
        this.error = `the original_dst listener filter cannot read original destinations: ${available.reason}`;
        deps.log.error('listener needs original destinations and cannot read them; not serving it', { listener: spec.name, reason: available.reason });
      }
    }
    this.#resolver = needsOriginalDst ? (deps.originalDestination ?? kernelOriginalDestination) : undefined;
    this.update(spec, routes);
    if (this.mode === 'direct') {
      const only = [...this.#chains.values()][0];
      this.server = only.h1!.net;
      this.server.on('connection', (socket: ListenerSocket) => {
        // A connection handed over by a use_original_dst listener was tracked and counted by takeOver().
        if (socket[kListener] !== undefined) return;
        this.#track(socket);
        only.countHttp(socket);
      });
    } else if (spec.bindToPort) {
      this.server = net.createServer({ noDelay: true }, (socket) => this.#accept(socket));
      this.server.maxConnections = (deps.maxConnectionsPerListener ?? DEFAULT_MAX_CONNECTIONS_PER_LISTENER) || Infinity;
      this.server.on('drop', () => this.listenerStats.downstreamCxOverflow++);
    } else {
      this.server = undefined;
      if (this.state !== 'failed') this.state = 'virtual';
    }
  }

  /** The first HTTP chain's server (tests, admin). */
  get h1(): H1Server | undefined {
    for (const c of this.#chains.values()) if (c.h1) return c.h1;
    return undefined;
  }

  /** The first HTTP chain's active config. */
  get active(): ActiveHttpConfig | undefined {
    for (const c of this.#chains.values()) if (c.active) return c.active;
    return undefined;
  }

  get chains(): ReadonlyMap<string, ChainRuntime> {
    return this.#chains;
  }

  get manager(): ListenerManager {
    return this.#manager;
  }

  /** Swaps the configuration in place (same address and mode). */
  update(spec: ListenerSpec, routes: Map<string, RouteTable>): void {
    this.spec = spec;
    this.listenerStats = this.#manager.listenerStatsFor(spec.statPrefix);
    const tcpStats = (p: string) => this.#manager.tcpStatsFor(p);
    const next = new Map<string, ChainRuntime>();
    const served = [...spec.chains.map((c) => [c, false] as const), ...(spec.defaultChain ? [[spec.defaultChain, true] as const] : [])];
    for (const [chain, isDefault] of served) {
      if (chain.unserved !== undefined) continue;
      const id = chainIdentity(chain, isDefault);
      if (next.has(id)) continue;
      const existing = this.#chains.get(id);
      if (existing !== undefined) {
        existing.update(chain, routes, tcpStats);
        next.set(id, existing);
      } else next.set(id, new ChainRuntime(this, chain, routes, this.#deps, tcpStats));
    }
    for (const [id, old] of this.#chains) {
      if (next.get(id) !== old) this.#manager.drainChain(old);
    }
    this.#chains = next;
  }

  #track(socket: ListenerSocket): void {
    socket[kListener] = this;
    this.connections.add(socket);
    this.listenerStats.downstreamCxTotal++;
    this.listenerStats.downstreamCxActive++;
    socket.on('close', onSocketClose);
  }

  /** Moves a connection to this listener (use_original_dst hand-off). */
  #adopt(socket: ListenerSocket): void {
    const from = socket[kListener];
    if (from !== undefined) {
      from.connections.delete(socket);
      from.listenerStats.downstreamCxActive--;
      if (from.connections.size === 0) from.onEmpty?.();
    }
    socket.off('close', onSocketClose);
    this.#track(socket);
  }

  /** A connection accepted by this listener's socket. */
  #accept(socket: ListenerSocket): void {
    this.#track(socket);
    socket.on('error', ignoreError);
    if (this.state === 'failed' || this.draining) {
      socket.destroy();
      return;
    }
    this.#restoreDestination(socket);
    const restored = originalDestinationOf(socket);
    if (this.spec.useOriginalDst && restored !== undefined) {
      const target = this.#manager.handoffTarget(restored, this);
      if (target !== undefined) {
        this.listenerStats.handedOff++;
        target.takeOver(socket);
        return;
      }
    }
    this.#filterAndServe(socket);
  }

  /** A connection handed over by a use_original_dst listener: it runs this listener's filters and chains. */
  takeOver(socket: ListenerSocket): void {
    this.#adopt(socket);
    if (this.state === 'failed' || this.draining) {
      socket.destroy();
      return;
    }
    if (originalDestinationOf(socket) === undefined) this.#restoreDestination(socket);
    this.#filterAndServe(socket);
  }

  #restoreDestination(socket: Socket): void {
    if (this.#resolver === undefined) return;
    // filter_disabled turns off the explicit filter; use_original_dst always reads the destination (Envoy adds the filter for it).
    const disabled = this.spec.listenerFilters.disabled.originalDst;
    if (!this.spec.useOriginalDst && disabled !== undefined && disabled(socket.localPort ?? this.spec.port)) return;
    let d: Destination | undefined;
    try {
      d = this.#resolver(socket);
    } catch (err) {
      this.#deps.log.warn('original_dst: reading the original destination failed; using the local address', { listener: this.listenerName, err });
    }
    if (d !== undefined) setOriginalDestination(socket, d);
  }

  #filterAndServe(socket: Socket): void {
    const spec = this.spec;
    const f = spec.listenerFilters;
    const port = destinationOf(socket)?.port ?? spec.port;
    const stats = this.listenerStats;
    stats.downstreamPreCxActive++;
    inspect(
      socket,
      {
        tls: f.tlsInspector && !(f.disabled.tlsInspector?.(port) ?? false),
        http: f.httpInspector && !(f.disabled.httpInspector?.(port) ?? false),
        timeoutMs: spec.listenerFiltersTimeoutMs,
        continueOnTimeout: spec.continueOnListenerFiltersTimeout,
      },
      (outcome) => {
        stats.downstreamPreCxActive--;
        if (!outcome.ok) {
          if (outcome.why === 'timeout') stats.downstreamPreCxTimeout++;
          else if (outcome.why === 'client_hello_too_large') stats.clientHelloTooLarge++;
          socket.destroy();
          return;
        }
        if (outcome.timedOut) stats.downstreamPreCxTimeout++;
        if (socket.destroyed) return;
        this.#serve(socket, outcome.inspected);
      },
    );
  }

  #serve(socket: Socket, inspected: Inspected): void {
    // A config swap while the listener filters ran: the chain is picked from the config in effect now.
    const spec = this.spec;
    const dst = destinationOf(socket);
    const source = normalizeIp(socket.remoteAddress ?? '');
    const facts: ConnectionFacts = {
      destinationIp: dst?.address ?? '',
      destinationPort: dst?.port ?? 0,
      sourceIp: source,
      sourcePort: socket.remotePort ?? 0,
      directSourceIp: source,
      serverName: inspected.serverName,
      transportProtocol: inspected.transportProtocol,
      applicationProtocols: inspected.applicationProtocols,
    };
    const matched = selectChain(spec.chains, facts);
    const isDefault = matched === undefined;
    const chain = matched ?? spec.defaultChain;
    if (chain === undefined) {
      this.listenerStats.noFilterChainMatch++;
      this.#deps.log.debug('no filter chain matches the connection; closed', { listener: this.listenerName, ...facts });
      socket.destroy();
      return;
    }
    if (chain.unserved !== undefined) {
      this.listenerStats.unservedFilterChain++;
      this.#deps.log.debug('the matching filter chain is not served; closed', { listener: this.listenerName, why: chain.unserved });
      socket.destroy();
      return;
    }
    const runtime = this.#chains.get(chainIdentity(chain, isDefault));
    if (runtime === undefined) {
      socket.destroy();
      return;
    }
    // A TLS chain keeps ignoring the accepted socket's errors: the TLS socket on top of it reports them.
    if (runtime.tls === undefined) socket.off('error', ignoreError);
    runtime.serve(socket, inspected.bytes, inspected.transportProtocol === 'tls' ? inspected.applicationProtocols : undefined);
  }

  /** Binds; on failure (port in use) retries with back-off while the listener is wanted. */
  bind(): Promise<void> {
    const server = this.server;
    if (server === undefined || this.state === 'failed' || this.state === 'virtual') return Promise.resolve();
    return new Promise((resolve) => {
      const attempt = () => {
        if (this.state === 'closed') return resolve();
        const onError = (err: Error) => {
          this.state = 'failed';
          this.error = err.message;
          if (this.#retries++ === 0) {
            this.#deps.log.error('listener failed to bind; retrying', { listener: this.listenerName, address: `${this.spec.address}:${this.spec.port}`, err });
          }
          resolve();
          this.#retryTimer = setTimeout(attempt, Math.min(5_000, 250 * 2 ** Math.min(this.#retries, 5)));
          this.#retryTimer.unref();
        };
        server.once('error', onError);
        server.listen({ host: this.spec.address, port: this.spec.port, exclusive: true }, () => {
          server.off('error', onError);
          this.state = 'bound';
          this.error = undefined;
          this.boundPort = (server.address() as AddressInfo).port;
          this.#deps.log.info('listener bound', { listener: this.listenerName, address: `${this.spec.address}:${this.boundPort}`, kind: this.spec.kind });
          resolve();
        });
      };
      attempt();
    });
  }

  /** Stops accepting and lets connections finish, cutting them after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.state === 'closed') return;
    const wasBound = this.state === 'bound';
    this.state = 'closed';
    this.draining = true;
    clearTimeout(this.#retryTimer);
    if (wasBound) this.server!.close();
    const chains = [...this.#chains.values()];
    for (const c of chains) c.drain();
    if (this.connections.size > 0) {
      await new Promise<void>((resolve) => {
        const deadline = setTimeout(done, timeoutMs);
        // Keep-alive connections that finish their last response become idle: close them as they do.
        const sweep = setInterval(() => {
          for (const c of chains) c.closeIdle();
        }, 100);
        this.onEmpty = done;
        function done() {
          clearTimeout(deadline);
          clearInterval(sweep);
          resolve();
        }
      });
      for (const s of this.connections) s.destroy();
    }
    for (const c of chains) c.destroy();
  }
}

function listenerMode(spec: ListenerSpec): 'direct' | 'dispatch' {
  const all = spec.defaultChain ? [...spec.chains, spec.defaultChain] : spec.chains;
  const f = spec.listenerFilters;
  const plain =
    spec.bindToPort &&
    !spec.useOriginalDst &&
    !f.originalDst &&
    !f.tlsInspector &&
    !f.httpInspector &&
    all.length === 1 &&
    all[0].kind === 'http' &&
    all[0].unserved === undefined &&
    all[0].tls === undefined &&
    isEmptyMatch(all[0]);
  return plain ? 'direct' : 'dispatch';
}

function isEmptyMatch(c: FilterChainSpec): boolean {
  const m = c.match;
  return (
    m.destinationPort === undefined &&
    m.prefixRanges.length === 0 &&
    m.serverNames.length === 0 &&
    m.transportProtocol === '' &&
    m.applicationProtocols.length === 0 &&
    m.directSourcePrefixRanges.length === 0 &&
    m.sourceType === 'ANY' &&
    m.sourcePrefixRanges.length === 0 &&
    m.sourcePorts.length === 0
  );
}

export class ListenerManager {
  readonly listeners = new Map<string, ActiveListener>();
  readonly #draining = new Set<Promise<void>>();
  /** ip:port → listener, for use_original_dst hand-off. */
  #byAddress = new Map<string, ActiveListener>();
  readonly #listenerStats = new Map<string, ListenerStats>();
  readonly #tcpStats = new Map<string, TcpStats>();
  /** Network RBAC counters (one namespace per filter stat_prefix, shared by every chain). */
  readonly #rbacStats = new Map<string, number>();

  /** TLS material of chains that terminate TLS, built from the current secrets. */
  readonly tlsContexts: TlsContexts;
  /** listener|secret pairs already logged as missing (once each until the secret arrives). */
  readonly #warnedSecrets = new Set<string>();
  readonly #unsubscribe: (() => void) | undefined;

  private readonly deps: ListenerDeps;

  constructor(deps: ListenerDeps) {
    this.deps = deps;
    this.tlsContexts = new TlsContexts(deps.secrets);
    // A secret that arrives (or rotates) may be logged as missing again if it ever disappears.
    this.#unsubscribe = deps.secrets?.onChange((ref) => {
      const suffix = `|${ref.source}/${ref.name}`;
      for (const k of this.#warnedSecrets) if (k.endsWith(suffix)) this.#warnedSecrets.delete(k);
    });
  }

  /** Logs (once per listener and secret) a connection refused because its chain's secret has not arrived. */
  warnMissingSecret(listener: string, secret: string): void {
    const key = `${listener}|${secret}`;
    if (this.#warnedSecrets.has(key)) return;
    this.#warnedSecrets.add(key);
    this.deps.log.warn('a filter chain needs a TLS secret that has not arrived; its connections are refused until it does', { listener, secret });
  }

  listenerStatsFor(prefix: string): ListenerStats {
    let s = this.#listenerStats.get(prefix);
    if (s === undefined) this.#listenerStats.set(prefix, (s = new ListenerStats(prefix)));
    return s;
  }

  tcpStatsFor(prefix: string): TcpStats {
    let s = this.#tcpStats.get(prefix);
    if (s === undefined) this.#tcpStats.set(prefix, (s = new TcpStats(prefix, this.#rbacStats)));
    return s;
  }

  /** Envoy /stats lines for listeners (listener.<prefix>.*, with ssl.*), TCP proxies (tcp.<prefix>.*) and upstream TLS (cluster.<name>.ssl.*). */
  statLines(): string[] {
    return [
      ...[...this.#listenerStats.values()].flatMap((s) => s.lines()),
      ...[...this.#tcpStats.values()].flatMap((s) => s.lines()),
      ...[...this.#rbacStats].map(([name, n]) => `${name}: ${n}`),
      ...this.deps.clusters.tlsStatLines(),
    ];
  }

  /** Applies LDS; resolves once every new listener has tried to bind. */
  async apply(specs: Map<string, ListenerSpec>, routes: Map<string, RouteTable>): Promise<void> {
    const log = this.deps.log;
    const binds: Promise<void>[] = [];
    for (const [name, old] of this.listeners) {
      const spec = specs.get(name);
      if (spec === undefined || spec.kind === 'none' || !sameSocket(old, spec)) {
        this.listeners.delete(name);
        log.info(spec === undefined ? 'listener removed; draining' : 'listener address changed; draining the old one', { listener: name });
        this.#drain(old);
      }
    }
    for (const [name, spec] of specs) {
      for (const why of spec.skipped) log.debug('filter chain not served', { listener: name, why });
      const existing = this.listeners.get(name);
      if (existing !== undefined) {
        existing.update(spec, routes);
        if (existing.state === 'failed') binds.push(Promise.resolve());
        continue;
      }
      if (spec.kind === 'none') {
        if (spec.bindToPort) log.warn('listener has no filter chain this proxy can serve; not bound', { listener: name, skipped: spec.skipped });
        continue;
      }
      const l = new ActiveListener(spec, routes, this.deps, this);
      this.listeners.set(name, l);
      binds.push(l.bind());
    }
    const byAddress = new Map<string, ActiveListener>();
    for (const l of this.listeners.values()) byAddress.set(addressKey(l.spec.address, l.spec.port), l);
    this.#byAddress = byAddress;
    await Promise.all(binds);
  }

  /**
   * The listener a use_original_dst listener hands a connection to: the one
   * bound (or not) to exactly the original destination, else the wildcard
   * listener of its port; never the accepting listener itself.
   */
  handoffTarget(dst: Destination, from: ActiveListener): ActiveListener | undefined {
    const exact = this.#byAddress.get(addressKey(dst.address, dst.port));
    if (exact !== undefined && exact !== from) return exact;
    if (exact === from) return undefined;
    const wildcard = this.#byAddress.get(addressKey(net.isIPv6(dst.address) ? '::' : '0.0.0.0', dst.port));
    return wildcard !== undefined && wildcard !== from ? wildcard : undefined;
  }

  #drain(l: ActiveListener): void {
    const p = l.drain(this.deps.drainTimeoutMs).finally(() => this.#draining.delete(p));
    this.#draining.add(p);
  }

  /** A filter chain removed by an update: its connections finish (bounded by the drain time). */
  drainChain(c: ChainRuntime): void {
    c.drain();
    if (c.size === 0) {
      c.destroy();
      return;
    }
    const p = new Promise<void>((resolve) => {
      const started = Date.now();
      const sweep = setInterval(() => {
        c.closeIdle();
        if (c.size === 0 || Date.now() - started >= this.deps.drainTimeoutMs) {
          clearInterval(sweep);
          c.destroy();
          resolve();
        }
      }, 100);
    }).finally(() => this.#draining.delete(p));
    this.#draining.add(p);
  }

  /** Listeners that should serve but do not (with why), for readiness. */
  unbound(): string[] {
    return [...this.listeners.values()].filter((l) => l.state !== 'bound' && l.state !== 'virtual').map((l) => `${l.listenerName}: ${l.error ?? l.state}`);
  }

  boundCount(): number {
    return [...this.listeners.values()].filter((l) => l.state === 'bound').length;
  }

  /** Drains every listener (shutdown). */
  async drainAll(timeoutMs: number): Promise<void> {
    this.#unsubscribe?.();
    const all = [...this.listeners.values()];
    this.listeners.clear();
    this.#byAddress = new Map();
    await Promise.all([...all.map((l) => l.drain(timeoutMs)), ...this.#draining]);
  }
}

function addressKey(address: string, port: number): string {
  const a = normalizeIp(address);
  return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
}

function sameSocket(old: ActiveListener, b: ListenerSpec): boolean {
  const a = old.spec;
  if (a.address !== b.address || a.port !== b.port || a.bindToPort !== b.bindToPort || old.mode !== listenerMode(b)) return false;
  // A direct listener's socket is its one chain's server: another chain needs another socket.
  return old.mode === 'dispatch' || directIdentity(a) === directIdentity(b);
}

function directIdentity(spec: ListenerSpec): string {
  return spec.defaultChain ? chainIdentity(spec.defaultChain, true) : chainIdentity(spec.chains[0], false);
}
