// Per-proxy xDS sync status (what was sent, what was ACKed, the last NACK)
// written to BUCKETS.proxyStatus for proxy-status tooling. Writes are
// coalesced per proxy; a heartbeat rewrites live entries so that the bucket's
// TTL only expires proxies whose pilot died without cleaning up.
import { proxyStatusKey, type ProxyStatus, type TypedKv } from '@mesh/contracts';
import type { Logger } from '@mesh/telemetry';
import { shortTypeName, type StreamInfo } from '@mesh/xds';

export interface ProxyStatusOptions {
  /** Identifies this pilot replica in every entry. */
  pilotId: string;
  flushMs?: number;
  heartbeatMs?: number;
}

/** What istioctl shows of a proxy besides its sync state: its cluster, its version and where its admin endpoint is. */
export function nodeSummary(node: StreamInfo['node']): Pick<ProxyStatus, 'clusterId' | 'version' | 'proxyAdminPort'> {
  const meta = node.metadata ?? {};
  const version = typeof meta.ISTIO_VERSION === 'string' ? meta.ISTIO_VERSION : node.userAgentName ? `${node.userAgentName} ${node.userAgentVersion ?? ''}`.trim() : undefined;
  const adminPort = (meta.PROXY_CONFIG as { proxyAdminPort?: unknown } | undefined)?.proxyAdminPort;
  return {
    ...(typeof meta.CLUSTER_ID === 'string' ? { clusterId: meta.CLUSTER_ID } : {}),
    ...(version ? { version } : {}),
    ...(typeof adminPort === 'number' && Number.isInteger(adminPort) && adminPort > 0 ? { proxyAdminPort: adminPort } : {}),
  };
}

export function toProxyStatus(stream: StreamInfo, pilotId: string): ProxyStatus {
  const types: ProxyStatus['types'] = {};
  for (const [typeUrl, t] of stream.types) {
    types[shortTypeName(typeUrl)] = {
      ...(t.sentVersion !== undefined ? { sentVersion: t.sentVersion } : {}),
      ...(t.sentNonce !== undefined ? { sentNonce: t.sentNonce } : {}),
      ...(t.ackedVersion !== undefined ? { ackedVersion: t.ackedVersion } : {}),
      ...(t.ackedNonce !== undefined ? { ackedNonce: t.ackedNonce } : {}),
      ...(t.lastError ? { lastError: t.lastError } : {}),
      resources: t.resources,
    };
  }
  return {
    proxyId: stream.node.id,
    pilot: pilotId,
    connectedAt: stream.connectedAt,
    updatedAt: new Date().toISOString(),
    ...nodeSummary(stream.node),
    types,
  };
}

export class ProxyStatusReporter {
  readonly #kv: TypedKv<ProxyStatus> | undefined;
  readonly #log: Logger;
  readonly #opts: Required<ProxyStatusOptions>;
  readonly #live = new Map<string, StreamInfo>();
  readonly #dirty = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  readonly #heartbeat: NodeJS.Timeout;

  constructor(kv: TypedKv<ProxyStatus> | undefined, log: Logger, options: ProxyStatusOptions) {
    this.#kv = kv;
    this.#log = log;
    this.#opts = { flushMs: 200, heartbeatMs: 60_000, ...options };
    this.#heartbeat = setInterval(() => {
      for (const id of this.#live.keys()) this.#dirty.add(id);
      this.#schedule();
    }, this.#opts.heartbeatMs);
    this.#heartbeat.unref();
  }

  update(stream: StreamInfo): void {
    this.#live.set(stream.node.id, stream);
    this.#dirty.add(stream.node.id);
    this.#schedule();
  }

  /** The proxy's last stream on this replica closed. */
  remove(proxyId: string): void {
    this.#live.delete(proxyId);
    this.#dirty.delete(proxyId);
    void this.#kv?.delete(proxyStatusKey(proxyId)).catch((err) => this.#log.debug('could not delete proxy status', { proxyId, err: (err as Error).message }));
  }

  #schedule(): void {
    if (this.#timer || !this.#kv) return;
    this.#timer = setTimeout(() => void this.flush(), this.#opts.flushMs);
    this.#timer.unref();
  }

  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const ids = [...this.#dirty];
    this.#dirty.clear();
    await Promise.all(
      ids.map(async (id) => {
        const s = this.#live.get(id);
        if (!s || !this.#kv) return;
        try {
          await this.#kv.put(proxyStatusKey(id), toProxyStatus(s, this.#opts.pilotId));
        } catch (err) {
          // NATS away: the next change or heartbeat writes it again.
          this.#dirty.add(id);
          this.#log.debug('could not write proxy status', { proxyId: id, err: (err as Error).message });
        }
      }),
    );
  }

  /** Deletes every entry this replica wrote (graceful shutdown). */
  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    clearTimeout(this.#timer);
    await Promise.all([...this.#live.keys()].map((id) => this.#kv?.delete(proxyStatusKey(id)).catch(() => {})));
    this.#live.clear();
  }
}
