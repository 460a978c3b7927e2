// The clusters the proxy can route to, kept by name across CDS/EDS updates.
// An update swaps the name → cluster map in one assignment; a cluster that
// stays keeps its hosts, pools and balancer state; a removed cluster closes
// its pools gracefully (requests already sent to it finish).
import type { Logger } from '@mesh/telemetry';
import { Cluster } from './cluster.ts';
import { UpstreamTlsStats } from './host.ts';
import { TlsContexts } from './tls-contexts.ts';
import type { SecretLookup } from '../secrets/secret-lookup.ts';
import type { ClusterSpec, EndpointSpec } from '../config/cluster-config.ts';
import type { StatsStore } from '../stats.ts';

export class ClusterManager {
  #clusters = new Map<string, Cluster>();

  private readonly stats: StatsStore;
  private readonly log: Logger;
  private readonly options: { secrets?: SecretLookup; random?: () => number };
  /** TLS material of upstream transport sockets, built from the current secrets. */
  readonly tlsContexts: TlsContexts;
  /** cluster.<name>.ssl.* counters, kept across cluster updates. */
  readonly #tlsStats = new Map<string, UpstreamTlsStats>();
  readonly #warnedSecrets = new Set<string>();
  readonly #unsubscribe: (() => void) | undefined;

  constructor(stats: StatsStore, log: Logger, options: { secrets?: SecretLookup; random?: () => number } = {}) {
    this.stats = stats;
    this.log = log;
    this.options = options;
    this.tlsContexts = new TlsContexts(options.secrets);
    this.#unsubscribe = options.secrets?.onChange((ref) => {
      const suffix = `|${ref.source}/${ref.name}`;
      for (const k of this.#warnedSecrets) if (k.endsWith(suffix)) this.#warnedSecrets.delete(k);
    });
  }

  #tlsDeps(cluster: string) {
    let stats = this.#tlsStats.get(cluster);
    if (stats === undefined) this.#tlsStats.set(cluster, (stats = new UpstreamTlsStats()));
    return {
      contexts: this.tlsContexts,
      stats,
      warnMissing: (secret: string) => {
        const key = `${cluster}|${secret}`;
        if (this.#warnedSecrets.has(key)) return;
        this.#warnedSecrets.add(key);
        this.log.warn('a cluster needs a TLS secret that has not arrived; its TLS connections are refused until it does', { cluster, secret });
      },
    };
  }

  /** Envoy /stats lines of upstream TLS (cluster.<name>.ssl.*), for clusters that originate TLS. */
  tlsStatLines(): string[] {
    const out: string[] = [];
    for (const [name, s] of this.#tlsStats) {
      const spec = this.#clusters.get(name)?.spec;
      if (spec !== undefined && (spec.tls !== undefined || spec.transportSocketMatches.some((m) => m.tls !== undefined))) out.push(...s.lines(name));
    }
    return out;
  }

  get(name: string): Cluster | undefined {
    return this.#clusters.get(name);
  }

  get clusters(): ReadonlyMap<string, Cluster> {
    return this.#clusters;
  }

  /**
   * Applies CDS and EDS together. `endpoints` maps a ClusterLoadAssignment
   * name to its endpoints; an EDS cluster without one keeps the endpoints it
   * had (or has none yet).
   */
  apply(specs: Map<string, ClusterSpec>, endpoints: Map<string, EndpointSpec[]>): void {
    const next = new Map<string, Cluster>();
    for (const [name, spec] of specs) {
      let cluster = this.#clusters.get(name);
      if (cluster === undefined) {
        cluster = new Cluster(spec, { stats: this.stats.cluster(name), log: this.log, tls: this.#tlsDeps(name), random: this.options.random });
        this.log.debug('cluster added', { cluster: name, type: spec.type });
      } else if (cluster.spec !== spec) {
        cluster.updateSpec(spec);
      }
      if (spec.type === 'EDS') {
        const eps = endpoints.get(spec.edsServiceName!);
        if (eps !== undefined) cluster.setEndpoints(eps);
      }
      next.set(name, cluster);
    }
    const removed = [...this.#clusters.entries()].filter(([name, c]) => next.get(name) !== c);
    this.#clusters = next;
    for (const [name, c] of removed) {
      this.log.debug('cluster removed', { cluster: name });
      void c.close();
    }
  }

  membership(): Map<string, [number, number]> {
    const out = new Map<string, [number, number]>();
    for (const [name, c] of this.#clusters) out.set(name, c.membership());
    return out;
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    const all = [...this.#clusters.values()];
    this.#clusters = new Map();
    await Promise.all(all.map((c) => c.close()));
  }

  async destroy(): Promise<void> {
    this.#unsubscribe?.();
    const all = [...this.#clusters.values()];
    this.#clusters = new Map();
    await Promise.all(all.map((c) => c.destroy()));
  }
}
