// The data plane assembled: applies xDS snapshots (clusters, then listeners
// and their route tables, swapped so in-flight requests finish on the config
// they started with), reports readiness, and drains on shutdown. It knows
// nothing of gRPC: whoever holds the snapshots (AdsClient, a static file, a
// test) calls apply().
import type { Logger } from '@mesh/telemetry';
import { SnapshotCompiler, TYPE_URLS, type CompiledConfig, type XdsSnapshot } from './config/snapshot-compiler.ts';
import { ListenerManager } from './listener/listener-manager.ts';
import { StatsStore, type IstioIdentity, type MembershipSource } from './stats.ts';
import { ClusterManager } from './upstream/cluster-manager.ts';
import { ProxySecrets, type AgentSources } from './secrets/proxy-secrets.ts';

export interface ProxyOptions {
  log: Logger;
  identity?: IstioIdentity;
  /** Randomness for load balancing, weighted routes and faults (tests pass a seeded one). */
  random?: () => number;
  /** Log every request (Envoy-style access log) whatever the HCM says. */
  accessLog?: boolean;
  /** How long a removed listener, or every listener at shutdown, may drain. */
  drainTimeoutMs?: number;
  /** Connections one HTTP listener accepts at once (0: no limit). */
  maxConnectionsPerListener?: number;
  /** The node as sent to pilot, shown by config_dump. */
  node?: { id: string; cluster?: string; metadata?: Record<string, unknown> };
  /** The agent's workload certificate and trust bundle (SDS source 'agent'); without it those secrets never arrive. */
  agent?: AgentSources;
}

export interface Readiness {
  ready: boolean;
  reason: string;
}

export class Proxy implements MembershipSource {
  readonly log: Logger;
  readonly stats: StatsStore;
  readonly clusters: ClusterManager;
  readonly listeners: ListenerManager;
  readonly compiler: SnapshotCompiler;
  /** Every TLS context's secrets: pilot's (ADS) and the agent's. */
  readonly secrets: ProxySecrets;
  snapshot: XdsSnapshot | undefined;
  compiled: CompiledConfig | undefined;
  appliedAt: Date | undefined;
  draining = false;
  #applying: Promise<void> = Promise.resolve();
  readonly #options: ProxyOptions;

  constructor(options: ProxyOptions) {
    this.#options = options;
    this.log = options.log;
    const random = options.random ?? Math.random;
    this.stats = new StatsStore(options.identity ?? { workload: 'unknown', namespace: 'unknown', app: 'unknown', version: 'unknown' });
    this.secrets = new ProxySecrets({ agent: options.agent, log: this.log });
    const secrets = this.secrets;
    this.clusters = new ClusterManager(this.stats, this.log, { secrets, random });
    this.listeners = new ListenerManager({
      clusters: this.clusters,
      stats: this.stats,
      log: this.log,
      random,
      forceAccessLog: options.accessLog ?? false,
      drainTimeoutMs: options.drainTimeoutMs ?? 5_000,
      maxConnectionsPerListener: options.maxConnectionsPerListener,
      secrets,
    });
    this.compiler = new SnapshotCompiler({ random });
  }

  get node() {
    return this.#options.node;
  }

  /** The AdsClient validate hook: throwing NACKs the resources. */
  readonly validate = (typeUrl: string, resources: object[]): void => this.compiler.validate(typeUrl, resources);

  /** Applies a complete snapshot. Applies are serialized; resolves once new listeners have tried to bind. */
  apply(snapshot: XdsSnapshot): Promise<void> {
    const run = this.#applying.then(() => this.#apply(snapshot));
    this.#applying = run.catch(() => {});
    return run;
  }

  async #apply(snapshot: XdsSnapshot): Promise<void> {
    if (this.draining) return;
    const compiled = this.compiler.compile(snapshot);
    for (const e of compiled.errors) this.log.error('resource rejected; it is left out of the applied config', { error: e });
    const known = new Set(this.compiled?.unimplemented);
    const fresh = compiled.unimplemented.filter((gap) => !known.has(gap));
    if (fresh.length > 0) this.log.warn('config accepted but not implemented by this proxy (see /config_dump)', { count: fresh.length, first: fresh.slice(0, 10) });
    // Secrets before the contexts that are built from them.
    this.secrets.setAdsSecrets(snapshot.secrets, snapshot.versions[TYPE_URLS.secret] ?? '');
    // Clusters first so routes never point at a cluster that does not exist yet; the
    // listener/route swap below happens in the same tick, so no request sees a mix.
    this.clusters.apply(compiled.clusters, compiled.endpoints);
    this.stats.retainClusters(compiled.clusters.keys());
    const binding = this.listeners.apply(compiled.listeners, compiled.routes);
    this.snapshot = snapshot;
    this.compiled = compiled;
    this.appliedAt = new Date();
    await binding;
    this.log.info('config applied', {
      listeners: compiled.listeners.size,
      routes: compiled.routes.size,
      clusters: compiled.clusters.size,
      endpoints: compiled.endpoints.size,
      versions: shortVersions(snapshot.versions),
    });
  }

  readiness(): Readiness {
    if (this.draining) return { ready: false, reason: 'draining' };
    if (this.snapshot === undefined) return { ready: false, reason: 'no configuration received yet' };
    // As pilot-agent: a workload that will need its certificate is not ready before the first one is installed.
    const agent = this.#options.agent;
    if (agent && !agent.identity.current()) return { ready: false, reason: agent.identity.waitingReason() };
    const unbound = this.listeners.unbound();
    if (unbound.length > 0) return { ready: false, reason: `listeners not bound: ${unbound.join('; ')}` };
    return { ready: true, reason: 'ready' };
  }

  membership(): Map<string, [number, number]> {
    return this.clusters.membership();
  }

  listenerCount(): number {
    return this.listeners.boundCount();
  }

  statLines(): string[] {
    return this.listeners.statLines();
  }

  /** Envoy's /config_dump shape: the applied resources with their versions; secrets with private keys redacted. */
  configDump(): unknown {
    const s = this.snapshot;
    const at = this.appliedAt?.toISOString();
    const v = (t: string) => s?.versions[t] ?? '';
    const typed = (type: string, r: any) => (r && r['@type'] ? r : { '@type': `type.googleapis.com/${type}`, ...r });
    return {
      configs: [
        { '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: { node: this.node ?? {} } },
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
          versionInfo: v(TYPE_URLS.listener),
          dynamicListeners: [...(s?.listeners ?? new Map()).entries()].map(([name, l]) => ({
            name,
            activeState: { versionInfo: v(TYPE_URLS.listener), listener: typed('envoy.config.listener.v3.Listener', l), lastUpdated: at },
          })),
        },
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
          versionInfo: v(TYPE_URLS.cluster),
          dynamicActiveClusters: [...(s?.clusters ?? new Map()).values()].map((c) => ({
            versionInfo: v(TYPE_URLS.cluster),
            cluster: typed('envoy.config.cluster.v3.Cluster', c),
            lastUpdated: at,
          })),
        },
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
          dynamicRouteConfigs: [...(s?.routes ?? new Map()).values()].map((r) => ({
            versionInfo: v(TYPE_URLS.route),
            routeConfig: typed('envoy.config.route.v3.RouteConfiguration', r),
            lastUpdated: at,
          })),
        },
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.EndpointsConfigDump',
          dynamicEndpointConfigs: [...(s?.endpoints ?? new Map()).values()].map((e) => ({
            versionInfo: v(TYPE_URLS.endpoint),
            endpointConfig: typed('envoy.config.endpoint.v3.ClusterLoadAssignment', e),
            lastUpdated: at,
          })),
        },
        this.secrets.configDump(),
      ],
    };
  }

  /** Envoy's /clusters: per-host health and counters (text, or JSON for ?format=json). */
  clustersReport(): { text: string; json: unknown } {
    const lines: string[] = [];
    const json: any[] = [];
    for (const [name, c] of this.clusters.clusters) {
      const spec = c.spec;
      lines.push(
        `${name}::default_priority::max_connections::${spec.maxConnections}`,
        `${name}::default_priority::max_pending_requests::${spec.maxPendingRequests}`,
        `${name}::default_priority::max_requests::${spec.maxRequests}`,
        `${name}::default_priority::max_retries::${spec.maxRetries}`,
      );
      const hosts = c.allHosts().map((h) => {
        const health = !h.healthy ? (h.ejectedUntil ? '/failed_outlier_check' : `/eds_${h.health.toLowerCase()}`) : 'healthy';
        for (const [k, val] of [
          ['cx_connect_fail', h.cxConnectFail],
          ['rq_active', h.active],
          ['rq_error', h.rqError],
          ['rq_total', h.rqTotal],
          ['weight', h.weight],
          ['priority', h.priority],
          ['region', h.locality],
        ] as const) {
          lines.push(`${name}::${h.key}::${k}::${val}`);
        }
        lines.push(`${name}::${h.key}::health_flags::${health}`, `${name}::${h.key}::hostname::${h.hostname ?? ''}`);
        return { address: h.key, health, weight: h.weight, priority: h.priority, locality: h.locality, rq_active: h.active, rq_total: h.rqTotal, rq_error: h.rqError, cx_connect_fail: h.cxConnectFail };
      });
      json.push({ name, type: spec.type, lbPolicy: spec.lbPolicy, hosts });
    }
    return { text: lines.join('\n') + '\n', json: { cluster_statuses: json } };
  }

  /** Stop taking new connections, let in-flight requests finish (bounded), close upstream pools. */
  async shutdown(drainTimeoutMs: number): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    await this.#applying;
    await this.listeners.drainAll(drainTimeoutMs);
    await this.clusters.close();
  }

  /** Immediate stop (tests): cuts connections and destroys pools. */
  async destroy(): Promise<void> {
    this.draining = true;
    await this.listeners.drainAll(0);
    await this.clusters.destroy();
  }
}

function shortVersions(versions: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [t, v] of Object.entries(versions)) out[t.slice(t.lastIndexOf('.') + 1)] = v;
  return out;
}
