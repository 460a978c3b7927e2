// Listeners from LDS: one server per listener address. An update that keeps
// a listener's address swaps its configuration in place (connections stay
// up; requests already in flight finish on the config they started with). A
// listener whose address or kind changed, or that disappeared, stops
// accepting and drains: its responses carry `connection: close`, idle
// connections close, and whatever is left after the drain time is cut.
import net, { type AddressInfo, type Socket } from 'node:net';
import type { Logger } from '@mesh/telemetry';
import type { ListenerSpec } from '../config/listener-config.ts';
import { RouteTable } from '../config/route-table.ts';
import { accessLogSink, type AccessLogSink } from '../http/access-log.ts';
import { Exchange, onDownstreamSocketClose, type ActiveHttpConfig, type ExchangeContext } from '../http/exchange.ts';
import { H1Server } from '../http/h1-server.ts';
import type { ClusterManager } from '../upstream/cluster-manager.ts';
import type { StatsStore } from '../stats.ts';
import { TcpProxy } from './tcp-proxy.ts';

export interface ListenerDeps {
  clusters: ClusterManager;
  stats: StatsStore;
  log: Logger;
  random: () => number;
  /** --access-log: log every request whatever the HCM config says. */
  forceAccessLog: boolean;
  /** How long a removed listener's connections may take to finish. */
  drainTimeoutMs: number;
  /** Connections an HTTP listener accepts at once; more are closed on accept (default DEFAULT_MAX_CONNECTIONS_PER_LISTENER; 0: no limit). */
  maxConnectionsPerListener?: number;
}

/**
 * Envoy has no per-listener connection limit unless configured (runtime
 * `envoy.resource_limits.listener.<name>.connection_limit`, or the overload
 * manager's global_downstream_max_connections); this proxy sets one by default
 * so a connection flood runs out of its budget before the process runs out of
 * file descriptors or memory.
 */
export const DEFAULT_MAX_CONNECTIONS_PER_LISTENER = 65_536;

const kListener = Symbol('listener');
type ListenerSocket = Socket & { [kListener]?: ActiveListener };

function onSocketClose(this: ListenerSocket): void {
  onDownstreamSocketClose.call(this);
  const l = this[kListener];
  if (l === undefined) return;
  l.connections.delete(this);
  if (l.active !== undefined) l.active.stats.cxActive--;
  if (l.connections.size === 0) l.onEmpty?.();
}

const EMPTY_ROUTES = new RouteTable({ name: '' });

export class ActiveListener implements ExchangeContext {
  readonly listenerName: string;
  readonly clusters: ClusterManager;
  readonly random: () => number;
  draining = false;
  spec: ListenerSpec;
  active: ActiveHttpConfig | undefined = undefined;
  tcp: TcpProxy | undefined = undefined;
  readonly server: net.Server;
  readonly h1: H1Server | undefined;
  readonly connections = new Set<Socket>();
  state: 'binding' | 'bound' | 'failed' | 'closed' = 'binding';
  error: string | undefined = undefined;
  boundPort = 0;
  onEmpty: (() => void) | undefined = undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retries = 0;

  private readonly deps: ListenerDeps;

  constructor(spec: ListenerSpec, routes: RouteTable | undefined, deps: ListenerDeps) {
    this.deps = deps;
    this.listenerName = spec.name;
    this.clusters = deps.clusters;
    this.random = deps.random;
    this.spec = spec;
    if (spec.kind === 'tcp') {
      this.tcp = new TcpProxy(spec.tcp!, deps.clusters, deps.log, deps.random);
      this.server = net.createServer({ noDelay: true }, (socket) => this.tcp!.handle(socket));
      this.h1 = undefined;
    } else {
      this.h1 = new H1Server((req, res) => new Exchange(this, this.active!, req, res).start(), {
        maxConnections: deps.maxConnectionsPerListener ?? DEFAULT_MAX_CONNECTIONS_PER_LISTENER,
        bufferLimitBytes: spec.perConnectionBufferLimitBytes,
        onHandlerError: (err) => deps.log.error('request handler failed; answered 500', { listener: spec.name, err }),
      });
      this.server = this.h1.net;
    }
    this.update(spec, routes);
    this.server.on('connection', (socket: ListenerSocket) => {
      socket[kListener] = this;
      this.connections.add(socket);
      if (this.active !== undefined) {
        this.active.stats.cxTotal++;
        this.active.stats.cxActive++;
      }
      socket.on('close', onSocketClose);
    });
  }

  /** Swaps the configuration in place (same address and kind). */
  update(spec: ListenerSpec, routes: RouteTable | undefined): void {
    this.spec = spec;
    if (spec.kind === 'http') {
      const hcm = spec.hcm!;
      const logs = hcm.accessLogs.map((a) => a.path);
      if (this.deps.forceAccessLog && !logs.includes('/dev/stdout')) logs.push('/dev/stdout');
      const stats = this.deps.stats.httpPrefix(hcm.statPrefix);
      const previous = this.active;
      this.active = {
        hcm,
        routes: hcm.inlineRoutes ?? routes ?? EMPTY_ROUTES,
        stats,
        accessLog: logs.length ? (accessLogSink(logs) as AccessLogSink) : undefined,
      };
      // Open connections are now counted under the new stat prefix.
      if (previous !== undefined && previous.stats !== stats) {
        previous.stats.cxActive -= this.connections.size;
        stats.cxActive += this.connections.size;
      }
      this.h1!.configure({
        bufferLimitBytes: spec.perConnectionBufferLimitBytes,
        keepAliveTimeoutMs: Math.min(hcm.idleTimeoutMs || 300_000, 300_000),
        maxRequestsPerConnection: hcm.maxRequestsPerConnection,
        maxHeaderBytes: hcm.maxRequestHeadersBytes,
        maxHeadersCount: hcm.maxHeadersCount,
        streamIdleTimeoutMs: hcm.streamIdleTimeoutMs,
        requestHeadersTimeoutMs: hcm.requestHeadersTimeoutMs,
        acceptHttp10: hcm.acceptHttp10,
        defaultHostForHttp10: hcm.defaultHostForHttp10,
        stats,
      });
    } else if (spec.kind === 'tcp') {
      this.tcp!.spec = spec.tcp!;
    }
  }

  /** Binds; on failure (port in use) retries with back-off while the listener is wanted. */
  bind(): Promise<void> {
    return new Promise((resolve) => {
      const attempt = () => {
        if (this.state === 'closed') return resolve();
        const onError = (err: Error) => {
          this.state = 'failed';
          this.error = err.message;
          if (this.#retries++ === 0) {
            this.deps.log.error('listener failed to bind; retrying', { listener: this.listenerName, address: `${this.spec.address}:${this.spec.port}`, err });
          }
          resolve();
          this.#retryTimer = setTimeout(attempt, Math.min(5_000, 250 * 2 ** Math.min(this.#retries, 5)));
          this.#retryTimer.unref();
        };
        this.server.once('error', onError);
        this.server.listen({ host: this.spec.address, port: this.spec.port, exclusive: true }, () => {
          this.server.off('error', onError);
          this.state = 'bound';
          this.error = undefined;
          this.boundPort = (this.server.address() as AddressInfo).port;
          this.deps.log.info('listener bound', { listener: this.listenerName, address: `${this.spec.address}:${this.boundPort}`, kind: this.spec.kind });
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
    if (wasBound) this.server.close();
    const h1 = this.h1;
    h1?.drain();
    if (this.connections.size > 0) {
      await new Promise<void>((resolve) => {
        const deadline = setTimeout(done, timeoutMs);
        // Keep-alive connections that finish their last response become idle: close them as they do.
        const sweep = setInterval(() => h1?.closeIdleConnections(), 100);
        this.onEmpty = done;
        function done() {
          clearTimeout(deadline);
          clearInterval(sweep);
          resolve();
        }
      });
      for (const s of this.connections) s.destroy();
    }
    this.tcp?.close();
  }
}

export class ListenerManager {
  readonly listeners = new Map<string, ActiveListener>();
  readonly #draining = new Set<Promise<void>>();

  private readonly deps: ListenerDeps;

  constructor(deps: ListenerDeps) {
    this.deps = deps;
  }

  /** Applies LDS; resolves once every new listener has tried to bind. */
  async apply(specs: Map<string, ListenerSpec>, routes: Map<string, RouteTable>): Promise<void> {
    const log = this.deps.log;
    const binds: Promise<void>[] = [];
    for (const [name, old] of this.listeners) {
      const spec = specs.get(name);
      if (spec === undefined || !sameSocket(old.spec, spec) || !spec.bindToPort || spec.kind === 'none') {
        this.listeners.delete(name);
        log.info(spec === undefined ? 'listener removed; draining' : 'listener address changed; draining the old one', { listener: name });
        this.#drain(old);
      }
    }
    for (const [name, spec] of specs) {
      for (const why of spec.skipped) log.debug('filter chain not served', { listener: name, why });
      const table = spec.hcm?.rdsName !== undefined ? routes.get(spec.hcm.rdsName) : undefined;
      if (spec.hcm?.rdsName !== undefined && table === undefined) log.warn('listener references a route configuration that is not known; it answers 404', { listener: name, routeConfig: spec.hcm.rdsName });
      const existing = this.listeners.get(name);
      if (existing !== undefined) {
        existing.update(spec, table);
        if (existing.state === 'failed') binds.push(Promise.resolve());
        continue;
      }
      if (!spec.bindToPort) continue;
      if (spec.kind === 'none') {
        log.warn('listener has no filter chain this proxy can serve; not bound', { listener: name, skipped: spec.skipped });
        continue;
      }
      const l = new ActiveListener(spec, table, this.deps);
      this.listeners.set(name, l);
      binds.push(l.bind());
    }
    await Promise.all(binds);
  }

  #drain(l: ActiveListener): void {
    const p = l.drain(this.deps.drainTimeoutMs).finally(() => this.#draining.delete(p));
    this.#draining.add(p);
  }

  /** Listeners that should be bound but are not (with why), for readiness. */
  unbound(): string[] {
    return [...this.listeners.values()].filter((l) => l.state !== 'bound').map((l) => `${l.listenerName}: ${l.error ?? l.state}`);
  }

  boundCount(): number {
    return [...this.listeners.values()].filter((l) => l.state === 'bound').length;
  }

  /** Drains every listener (shutdown). */
  async drainAll(timeoutMs: number): Promise<void> {
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all([...all.map((l) => l.drain(timeoutMs)), ...this.#draining]);
  }
}

function sameSocket(a: ListenerSpec, b: ListenerSpec): boolean {
  return a.address === b.address && a.port === b.port && a.kind === b.kind && a.bindToPort === b.bindToPort;
}
