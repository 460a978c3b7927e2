// envoy.filters.network.tcp_proxy: each downstream connection is piped to a
// host of the configured cluster (weighted clusters picked per connection).
import net, { type Socket } from 'node:net';
import type { Logger } from '@mesh/telemetry';
import type { TcpProxySpec } from '../config/listener-config.ts';
import type { ClusterManager } from '../upstream/cluster-manager.ts';

export class TcpProxy {
  readonly #open = new Set<Socket>();

  spec: TcpProxySpec;
  private readonly clusters: ClusterManager;
  private readonly log: Logger;
  private readonly random: () => number;

  constructor(spec: TcpProxySpec, clusters: ClusterManager, log: Logger, random: () => number) {
    this.spec = spec;
    this.clusters = clusters;
    this.log = log;
    this.random = random;
  }

  #clusterName(): string | undefined {
    const w = this.spec.weighted;
    if (!w) return this.spec.cluster;
    const total = w.reduce((s, c) => s + c.weight, 0);
    let r = this.random() * total;
    for (const c of w) if ((r -= c.weight) < 0) return c.name;
    return w[w.length - 1]?.name;
  }

  handle(downstream: Socket): void {
    const name = this.#clusterName();
    const cluster = name === undefined ? undefined : this.clusters.get(name);
    const host = cluster?.pick(undefined);
    if (!cluster || !host) {
      this.log.debug('tcp proxy: no upstream', { cluster: name });
      downstream.destroy();
      return;
    }
    host.active++;
    const upstream = net.connect({ host: host.address, port: host.port, noDelay: true, timeout: cluster.spec.connectTimeoutMs });
    this.#open.add(downstream);
    let released = false;
    const close = () => {
      if (!released) {
        released = true;
        host.active--;
        this.#open.delete(downstream);
      }
      downstream.destroy();
      upstream.destroy();
    };
    upstream.once('connect', () => upstream.setTimeout(this.spec.idleTimeoutMs));
    upstream.on('timeout', () => {
      if (upstream.connecting) cluster.stats.cxConnectFail++;
      close();
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') cluster.stats.cxConnectFail++;
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
