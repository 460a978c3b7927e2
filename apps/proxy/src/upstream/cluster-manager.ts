// The clusters the proxy can route to, kept by name across CDS/EDS updates.
// An update swaps the name → cluster map in one assignment; a cluster that
// stays keeps its hosts, pools and balancer state; a removed cluster closes
// its pools gracefully (requests already sent to it finish).
import type { Logger } from '@mesh/telemetry';
import { Cluster } from './cluster.ts';
import type { PoolSecrets } from './host.ts';
import type { ClusterSpec, EndpointSpec } from '../config/cluster-config.ts';
import type { StatsStore } from '../stats.ts';

export class ClusterManager {
  #clusters = new Map<string, Cluster>();

  private readonly stats: StatsStore;
  private readonly log: Logger;
  private readonly options: { secrets?: PoolSecrets; random?: () => number };

  constructor(stats: StatsStore, log: Logger, options: { secrets?: PoolSecrets; random?: () => number } = {}) {
    this.stats = stats;
    this.log = log;
    this.options = options;
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
        cluster = new Cluster(spec, { stats: this.stats.cluster(name), log: this.log, secrets: this.options.secrets, random: this.options.random });
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
    const all = [...this.#clusters.values()];
    this.#clusters = new Map();
    await Promise.all(all.map((c) => c.close()));
  }

  async destroy(): Promise<void> {
    const all = [...this.#clusters.values()];
    this.#clusters = new Map();
    await Promise.all(all.map((c) => c.destroy()));
  }
}
