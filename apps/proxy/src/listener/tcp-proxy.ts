// envoy.filters.network.tcp_proxy: each downstream connection is piped to a
// host of the configured cluster (weighted clusters picked per connection).
// An ORIGINAL_DST cluster's host is the connection's original destination; a
// cluster with no host (Istio's BlackHoleCluster) closes the connection at
// once. Upstream connections bind the cluster's upstream_bind_config source
// address (Istio's 127.0.0.6 for inbound passthrough).
import type { Socket } from 'node:net';
import type { Logger } from '@mesh/telemetry';
import type { NetworkAuthzStep, TcpProxySpec } from '../config/listener-config.ts';
import type { ClusterManager } from '../upstream/cluster-manager.ts';
import { originalDestinationOf } from './original-destination.ts';
import { checkNetworkRbacFilter, type Counters, type DynamicMetadata } from '../http/rbac.ts';
import { checkConnection } from '../http/ext-authz.ts';

function count(counters: Counters, name: string, by = 1): void {
  counters.set(name, (counters.get(name) ?? 0) + by);
}

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
  /** The network RBAC and ext_authz filters' counters (`<rbac stat_prefix>.rbac.*`, `ext_authz.<stat_prefix>.*`), shared by every TCP proxy of the listener manager. */
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
    this.stats.downstreamCxTotal++;
    const steps = this.spec.authz ?? (this.spec.rbac ?? []).map((config) => ({ kind: 'rbac' as const, config }));
    if (steps.length === 0) return this.#connect(downstream);
    this.#authorize(downstream, steps, 0, {});
  }

  /**
   * The chain's authorization filters from `from` on, decided before anything is opened upstream: a
   * denied peer never reaches the workload. An ext_authz filter holds the connection (nothing is read
   * from it, so what the client sends waits in the socket's bounded buffers) until its answer.
   */
  #authorize(downstream: Socket, steps: readonly NetworkAuthzStep[], from: number, metadata: DynamicMetadata): void {
    const counters = this.stats.rbac;
    for (let i = from; i < steps.length; i++) {
      const step = steps[i];
      if (step.kind === 'rbac') {
        if (!checkNetworkRbacFilter(step.config, downstream, counters, metadata)) {
          this.log.debug('tcp proxy: connection denied by RBAC', { remote: downstream.remoteAddress });
          downstream.destroy();
          return;
        }
        continue;
      }
      const config = step.config;
      const p = `ext_authz.${config.statPrefix}`;
      if (config.enabled !== undefined && !config.enabled((f) => metadata[f])) {
        count(counters, `${p}disabled`);
        continue;
      }
      count(counters, `${p}total`);
      count(counters, `${p}active`);
      downstream.pause();
      const pending = checkConnection(config.service, downstream, this.clusters);
      let gone = false;
      const onGone = () => {
        gone = true;
        pending.cancel();
      };
      downstream.once('close', onGone);
      downstream.once('error', onGone);
      const next = i + 1;
      void pending.outcome.then((o) => {
        count(counters, `${p}active`, -1);
        downstream.off('close', onGone);
        downstream.off('error', onGone);
        if (gone || downstream.destroyed) return;
        if (o.kind === 'ok') {
          count(counters, `${p}ok`);
          return this.#authorize(downstream, steps, next, metadata);
        }
        if (o.kind === 'denied') count(counters, `${p}denied`);
        else {
          count(counters, `${p}error`);
          if (config.failureModeAllow) {
            count(counters, `${p}failure_mode_allowed`);
            return this.#authorize(downstream, steps, next, metadata);
          }
        }
        this.log.debug('tcp proxy: connection denied by ext_authz', { remote: downstream.remoteAddress, outcome: o.kind, reason: o.kind === 'error' ? o.reason : undefined });
        count(counters, `${p}cx_closed`);
        downstream.destroy();
      }).catch(() => downstream.destroy()); // never let a connection through on a bug
      return;
    }
    this.#connect(downstream);
  }

  #connect(downstream: Socket): void {
    const stats = this.stats;
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
