// A cluster at run time: its hosts (kept across EDS updates so pools, stats
// and balancer state survive), the set it currently balances over (health,
// priority, panic threshold and outlier ejections applied), and passive
// outlier detection.
import { createLoadBalancer, type LoadBalancer } from './load-balancer.ts';
import { Host, hostKey, type UpstreamTlsDeps } from './host.ts';
import { OutlierDetector, type LocalOriginFailure } from './outlier-detector.ts';
import { isIP } from 'node:net';
import { MAX_ORIGINAL_DST_HOSTS, transportFor, type ClusterSpec, type EndpointSpec } from '../config/cluster-config.ts';
import type { ClusterStats } from '../stats.ts';
import type { Logger } from '@mesh/telemetry';

export interface ClusterDeps {
  stats: ClusterStats;
  log: Logger;
  /** TLS material and counters for hosts whose transport socket is TLS; without it such hosts refuse to connect. */
  tls?: UpstreamTlsDeps;
  random?: () => number;
  /** Clock for outlier detection (ms); Date.now by default. */
  now?: () => number;
}

export class Cluster {
  readonly name: string;
  spec: ClusterSpec;
  readonly stats: ClusterStats;
  hosts: Host[] = [];
  /** Whether endpoints were ever assigned (an EDS cluster waits for its ClusterLoadAssignment). */
  hasEndpoints = false;
  /** Requests currently being retried (Envoy's max_retries circuit breaker counts these). */
  retriesActive = 0;
  #available: Host[] = [];
  #lb: LoadBalancer<Host>;
  #outlier: OutlierDetector | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  readonly #originalDst = new Map<string, Host>();
  /** ORIGINAL_DST hosts: picked by destination, never balanced over, so outlier detection leaves them alone. */
  readonly #dynamic = new WeakSet<Host>();
  readonly #deps: ClusterDeps;

  constructor(spec: ClusterSpec, deps: ClusterDeps) {
    this.name = spec.name;
    this.spec = spec;
    this.stats = deps.stats;
    this.#deps = deps;
    this.#lb = createLoadBalancer(spec.lbPolicy, [], {});
    if (spec.inlineEndpoints) this.setEndpoints(spec.inlineEndpoints);
    this.#outlier = this.#newDetector();
    this.#startTimers();
  }

  #newDetector(): OutlierDetector | undefined {
    const od = this.spec.outlier;
    if (od === undefined) return undefined;
    return new OutlierDetector(od, {
      hosts: () => this.hosts,
      changed: () => this.#rebuild(),
      ejected: (host, type, ms) => {
        this.stats.ejections++;
        this.#deps.log.info('outlier detection ejected a host', { cluster: this.name, host: host.key, reason: type, ejectionMs: ms, timesEjected: host.ejections });
      },
      random: this.#deps.random ?? Math.random,
      now: this.#deps.now ?? Date.now,
    });
  }

  /** Applies a new Cluster resource. Pools are rebuilt only when pool-relevant settings changed. */
  updateSpec(spec: ClusterSpec): void {
    const old = this.spec;
    this.spec = spec;
    if (old.poolKey !== spec.poolKey || old.type !== spec.type) {
      // Hosts carry the spec their pools were built with: replace them all.
      const endpoints = this.hosts.map((h) => ({
        host: h.address,
        port: h.port,
        weight: h.weight,
        health: h.health,
        priority: h.priority,
        hostname: h.hostname,
        locality: h.locality,
        transportSocketMatch: h.transportSocketMatch,
      }));
      for (const h of this.hosts) void h.close();
      this.hosts = [];
      for (const h of this.#originalDst.values()) void h.close();
      this.#originalDst.clear();
      this.setEndpoints(spec.inlineEndpoints ?? endpoints);
    } else if (spec.inlineEndpoints) {
      this.setEndpoints(spec.inlineEndpoints);
    } else {
      this.#rebuild();
    }
    if (JSON.stringify(old.outlier) !== JSON.stringify(spec.outlier)) {
      // Envoy builds a new cluster (and detector) for a changed Cluster: ejections do not carry over.
      this.#outlier?.stop();
      let returned = false;
      for (const h of this.hosts) {
        if (h.ejectedUntil !== 0) {
          h.ejectedUntil = 0;
          returned = true;
        }
      }
      this.#outlier = this.#newDetector();
      if (returned) this.#rebuild();
    }
    this.#stopTimers();
    this.#startTimers();
  }

  /** Applies an endpoint list: hosts that stay keep their pool and state; removed hosts close gracefully. */
  setEndpoints(endpoints: EndpointSpec[]): void {
    this.hasEndpoints = true;
    const byKey = new Map(this.hosts.map((h) => [h.key, h]));
    const next: Host[] = [];
    for (const e of endpoints) {
      const key = hostKey(e.host, e.port);
      let existing = byKey.get(key);
      // Another transport socket (its EDS metadata changed): another host, so TLS and plaintext connections are never shared.
      if (existing && !next.includes(existing) && existing.tls !== transportFor(this.spec, e.transportSocketMatch)) {
        byKey.delete(key);
        void existing.close();
        existing = undefined;
      }
      if (existing && !next.includes(existing)) {
        existing.weight = e.weight;
        existing.health = e.health;
        existing.priority = e.priority;
        byKey.delete(key);
        next.push(existing);
      } else if (!existing) {
        next.push(new Host(e, this.spec, this.stats, this.#deps.tls));
      }
    }
    for (const removed of byKey.values()) void removed.close();
    this.hosts = next;
    this.#rebuild();
  }

  #rebuild(): void {
    const hosts = this.hosts;
    let available: Host[] = [];
    if (hosts.length > 0) {
      const healthy = hosts.filter((h) => h.healthy);
      if (healthy.length / hosts.length < this.spec.panicThreshold) {
        // Panic mode: too few healthy hosts; Envoy spreads over all of them rather than overload the few.
        const top = Math.min(...hosts.map((h) => h.priority));
        available = hosts.filter((h) => h.priority === top);
      } else {
        const top = Math.min(...healthy.map((h) => h.priority));
        available = healthy.filter((h) => h.priority === top);
      }
    }
    this.#available = available;
    this.#lb = createLoadBalancer(this.spec.lbPolicy, available, {
      choiceCount: this.spec.leastRequestChoiceCount,
      ringSize: this.spec.ringSize,
      tableSize: this.spec.maglevTableSize,
      random: this.#deps.random,
    });
  }

  get available(): readonly Host[] {
    return this.#available;
  }

  /**
   * Picks a host. `avoid` lists hosts already tried (retry host predicate);
   * up to `attempts` picks are made to find one outside it. An ORIGINAL_DST
   * cluster (lb_policy CLUSTER_PROVIDED) balances nothing: its host is the
   * downstream connection's original destination (`originalDst`, restored by
   * the original_dst listener filter, or taken from the configured header),
   * made on first use; without one there is no host, as in Envoy.
   */
  pick(hash: number | undefined, avoid?: Host[], attempts = 1, originalDst?: { address: string; port: number }): Host | undefined {
    if (this.spec.type === 'ORIGINAL_DST') return originalDst === undefined ? undefined : this.#originalDstHost(originalDst.address, originalDst.port);
    let host = this.#lb.pick(hash);
    if (avoid !== undefined && host !== undefined) {
      for (let i = 1; i < attempts && avoid.includes(host!); i++) host = this.#lb.pick(hash, i);
    }
    return host;
  }

  /**
   * ORIGINAL_DST by an explicit-proxy authority "host:port" (a name is resolved
   * per connection), created on first use. Envoy takes only IP literals here;
   * `pick(..., originalDst)` is the Envoy path.
   */
  originalDestination(dest: string): Host | undefined {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(dest);
    const address = m ? m[1] : dest;
    const port = m ? Number(m[2]) : 80;
    if (!address) return undefined;
    return this.#originalDstHost(address, port);
  }

  #originalDstHost(address: string, port: number): Host | undefined {
    if (!(Number.isInteger(port) && port > 0 && port < 65536)) return undefined;
    const key = hostKey(address, port);
    let host = this.#originalDst.get(key);
    if (host === undefined) {
      if (this.#originalDst.size >= MAX_ORIGINAL_DST_HOSTS) {
        this.#sweep(Date.now());
        if (this.#originalDst.size >= MAX_ORIGINAL_DST_HOSTS) {
          this.stats.rqPendingOverflow++;
          return undefined;
        }
      }
      host = new Host({ host: address, port, weight: 1, health: 'HEALTHY', priority: 0, hostname: undefined, locality: '' }, this.spec, this.stats, this.#deps.tls);
      this.#originalDst.set(key, host);
      this.#dynamic.add(host);
    }
    host.lastUsed = Date.now();
    return host;
  }

  /** Removes ORIGINAL_DST hosts with nothing in flight that were not used for a cleanup interval. */
  #sweep(now: number): void {
    const cutoff = now - this.spec.cleanupIntervalMs;
    for (const [k, h] of this.#originalDst) {
      if (h.active === 0 && h.lastUsed <= cutoff) {
        this.#originalDst.delete(k);
        void h.close();
      }
    }
  }

  /** How many ORIGINAL_DST hosts exist now. */
  get originalDstHostCount(): number {
    return this.#originalDst.size;
  }

  /**
   * Feeds passive outlier detection with one attempt's outcome: the upstream's
   * status, or 0 when nothing came back (`failure` says why; a connect failure
   * when not given).
   */
  recordOutcome(host: Host, status: number, failure?: LocalOriginFailure): void {
    const od = this.#outlier;
    if (od === undefined || this.#dynamic.has(host)) return;
    if (status !== 0) od.response(host, status);
    else od.localOriginFailure(host, failure ?? 'connect');
  }

  /** The outlier detector, when the cluster has outlier detection (tests drive its interval). */
  get outlierDetector(): OutlierDetector | undefined {
    return this.#outlier;
  }

  #startTimers(): void {
    if (this.spec.type === 'ORIGINAL_DST') {
      this.#sweepTimer = setInterval(() => this.#sweep(Date.now()), this.spec.cleanupIntervalMs);
      this.#sweepTimer.unref();
    }
  }

  #stopTimers(): void {
    clearInterval(this.#sweepTimer);
  }

  /** [healthy, total] as /clusters and the membership gauges report them. */
  membership(): [number, number] {
    return [this.hosts.filter((h) => h.healthy).length, this.hosts.length];
  }

  allHosts(): Host[] {
    return [...this.hosts, ...this.#originalDst.values()];
  }

  /** Graceful: in-flight requests finish on their connections. */
  async close(): Promise<void> {
    this.#stopTimers();
    this.#outlier?.stop();
    await Promise.all(this.allHosts().map((h) => h.close()));
  }

  async destroy(): Promise<void> {
    this.#stopTimers();
    this.#outlier?.stop();
    await Promise.all(this.allHosts().map((h) => h.destroy()));
  }
}

/** "10.0.0.1:80" or "[::1]:80" (an IP literal and a port, as x-envoy-original-dst-host carries them); undefined otherwise. */
export function parseHostPort(v: string): { address: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(v);
  if (m === null) return undefined;
  const address = m[1] ?? m[2];
  const port = Number(m[3]);
  if (!isIP(address) || (m[1] !== undefined && isIP(address) !== 6) || !(port > 0 && port < 65536)) return undefined;
  return { address, port };
}
