// envoy.filters.network.tcp_proxy: each downstream connection is piped to a
// host of the configured cluster (weighted clusters picked per connection).
// An ORIGINAL_DST cluster's host is the connection's original destination; a
// cluster with no host (Istio's BlackHoleCluster) closes the connection at
// once. Upstream connections bind the cluster's upstream_bind_config source
// address (Istio's 127.0.0.6 for inbound passthrough).
import type { Socket } from 'node:net';
import type { Logger } from '@mesh/telemetry';
import type { TcpProxySpec } from '../config/listener-config.ts';
import type { ClusterManager } from '../upstream/cluster-manager.ts';
import { originalDestinationOf } from './original-destination.ts';
import { checkNetworkRbac, type Counters } from '../http/rbac.ts';

/** Envoy's tcp.<stat_prefix>.* counters. */
export class TcpStats {
  downstreamCxTotal = 0;
  downstreamCxActive = 0;
  /** The cluster does not exist. */
  downstreamCxNoRoute = 0;
  /** The cluster has no host for this connection (BlackHoleCluster; ORIGINAL_DST without an original destination). */
  upstreamCxNoneHealthy = 0;
  upstreamCxConnectFail = 0;
  idleTimeout = 0;
  downstreamCxRxBytesTotal = 0;
  downstreamCxTxBytesTotal = 0;
  readonly prefix: string;
  /** The network RBAC filters' counters (`<rbac stat_prefix>.rbac.*`), shared by every TCP proxy of the listener manager. */
  readonly rbac: Counters;

  constructor(prefix: string, rbac: Counters = new Map()) {
    this.prefix = prefix;
    this.rbac = rbac;
  }

  lines(): string[] {
    const p = `tcp.${this.prefix}.`;
    return [
      `${p}downstream_cx_total: ${this.downstreamCxTotal}`,
      `${p}downstream_cx_active: ${this.downstreamCxActive}`,
      `${p}downstream_cx_no_route: ${this.downstreamCxNoRoute}`,
      `${p}upstream_cx_none_healthy: ${this.upstreamCxNoneHealthy}`,
      `${p}upstream_cx_connect_fail: ${this.upstreamCxConnectFail}`,
      `${p}idle_timeout: ${this.idleTimeout}`,
      `${p}downstream_cx_rx_bytes_total: ${this.downstreamCxRxBytesTotal}`,
      `${p}downstream_cx_tx_bytes_total: ${this.downstreamCxTxBytesTotal}`,
    ];
  }
}

export class TcpProxy {
  readonly #open = new Set<Socket>();

  spec: TcpProxySpec;
  stats: TcpStats;
  private readonly clusters: ClusterManager;
  private readonly log: Logger;
  private readonly random: () => number;

  constructor(spec: TcpProxySpec, clusters: ClusterManager, log: Logger, random: () => number, stats: TcpStats = new TcpStats(spec.statPrefix)) {
    this.spec = spec;
    this.clusters = clusters;
    this.log = log;
    this.random = random;
    this.stats = stats;
  }

  #clusterName(): string | undefined {
    const w = this.spec.weighted;
    if (!w) return this.spec.cluster;
    const total = w.reduce((s, c) => s + c.weight, 0);
    let r = this.random() * total;
    for (const c of w) if ((r -= c.weight) < 0) return c.name;
    return w[w.length - 1]?.name;
  }

  /** Connections open now. */
  get size(): number {
    return this.#open.size;
  }

  handle(downstream: Socket): void {
    const stats = this.stats;
    stats.downstreamCxTotal++;
    const rbac = this.spec.rbac;
    // Decided before anything is opened upstream: a denied peer never reaches the workload.
    if (rbac !== undefined && rbac.length > 0 && !checkNetworkRbac(rbac, downstream, stats.rbac)) {
      this.log.debug('tcp proxy: connection denied by RBAC', { remote: downstream.remoteAddress });
      downstream.destroy();
      return;
    }
    const name = this.#clusterName();
    const cluster = name === undefined ? undefined : this.clusters.get(name);
    if (!cluster) {
      stats.downstreamCxNoRoute++;
      this.log.debug('tcp proxy: no such cluster', { cluster: name });
      downstream.destroy();
      return;
    }
    const host = cluster.pick(undefined, undefined, 1, originalDestinationOf(downstream));
    if (!host || host.closed) {
      stats.upstreamCxNoneHealthy++;
      this.log.debug('tcp proxy: no upstream host', { cluster: name });
      downstream.destroy();
      return;
    }
    host.active++;
    stats.downstreamCxActive++;
    // The host's transport socket: plaintext, or TLS with the configured ALPN only (no HTTP protocol is added for TCP).
    const { socket: upstream, ready } = host.connect();
    upstream.setTimeout(cluster.spec.connectTimeoutMs);
    this.#open.add(downstream);
    let released = false;
    const close = () => {
      if (!released) {
        released = true;
        host.active--;
        host.lastUsed = Date.now();
        stats.downstreamCxActive--;
        stats.downstreamCxRxBytesTotal += downstream.bytesRead;
        stats.downstreamCxTxBytesTotal += downstream.bytesWritten;
        this.#open.delete(downstream);
      }
      downstream.destroy();
      upstream.destroy();
    };
    let connected = false;
    upstream.once(ready, () => {
      connected = true;
      cluster.stats.cxTotal++;
      upstream.setTimeout(this.spec.idleTimeoutMs);
    });
    upstream.on('timeout', () => {
      if (!connected) {
        cluster.stats.cxConnectFail++;
        stats.upstreamCxConnectFail++;
      } else stats.idleTimeout++;
      close();
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected || err.code === 'ECONNREFUSED') {
        cluster.stats.cxConnectFail++;
        stats.upstreamCxConnectFail++;
      }
      close();
    });
    downstream.on('error', close);
    upstream.on('close', close);
    downstream.on('close', close);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  }

  close(): void {
    for (const s of this.#open) s.destroy();
  }
}
