// One upstream endpoint of one cluster: its address, weight and health, the
// passive outlier-detection state, and its undici connection pool (made on
// first use; closed gracefully when the endpoint leaves the cluster, so
// requests already sent to it finish).
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import { Pool } from 'undici';
import { H1Pool, type H1DispatchOptions, type H1Handler } from './h1-pool.ts';
import { healthyStatus, type ClusterSpec, type EndpointSpec } from '../config/cluster-config.ts';
import type { ClusterStats } from '../stats.ts';

/** What the router needs from a connection pool: undici's Pool and the lean H1Pool both fit. */
export interface UpstreamPool {
  dispatch(opts: H1DispatchOptions, handler: H1Handler): boolean;
  close(): Promise<void>;
  destroy(): Promise<void>;
  readonly closed: boolean;
  readonly destroyed: boolean;
}

export interface PoolSecrets {
  /** PEM material of an SDS secret by name (tls certificate or validation context). */
  secret(name: string): { cert?: string; key?: string; ca?: string } | undefined;
}

export class Host {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly hostname: string | undefined;
  readonly locality: string;
  weight: number;
  health: string;
  priority: number;
  active = 0;
  rqTotal = 0;
  rqError = 0;
  cxConnectFail = 0;
  consecutive5xx = 0;
  consecutiveGateway = 0;
  ejectedUntil = 0;
  ejections = 0;
  /** Last time a request picked this host (ORIGINAL_DST hosts are swept when idle). */
  lastUsed = 0;
  #pool: UpstreamPool | undefined;
  /** use_downstream_protocol_config: the HTTP/2 pool for requests that came in over HTTP/2. */
  #h2Pool: UpstreamPool | undefined;
  #closed = false;

  private readonly spec: ClusterSpec;
  private readonly stats: ClusterStats;
  private readonly secrets: PoolSecrets | undefined;

  constructor(endpoint: EndpointSpec, spec: ClusterSpec, stats: ClusterStats, secrets: PoolSecrets | undefined) {
    this.spec = spec;
    this.stats = stats;
    this.secrets = secrets;
    this.address = endpoint.host;
    this.port = endpoint.port;
    this.key = hostKey(endpoint.host, endpoint.port);
    this.hostname = endpoint.hostname;
    this.locality = endpoint.locality;
    this.weight = endpoint.weight;
    this.health = endpoint.health;
    this.priority = endpoint.priority;
  }

  /** Healthy per EDS and not ejected by outlier detection. */
  get healthy(): boolean {
    return healthyStatus(this.health) && this.ejectedUntil === 0;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get pool(): UpstreamPool {
    if (this.#pool !== undefined) return this.#pool;
    const spec = this.spec;
    if (!spec.tls && !spec.http2) {
      // Plaintext HTTP/1.1, the mesh's common case: the lean pool on the hot path.
      const h1 = new H1Pool(this.address, this.port, {
        connections: spec.maxConnections,
        connectTimeoutMs: spec.connectTimeoutMs,
        keepAliveTimeoutMs: Math.min(4_000, spec.idleTimeoutMs),
        maxRequestsPerConnection: spec.maxRequestsPerConnection,
        localAddress: spec.sourceAddress,
      });
      h1.on('connect', () => this.stats.cxTotal++);
      this.#pool = h1;
      return h1;
    }
    this.#pool = this.#undiciPool(spec.http2);
    return this.#pool;
  }

  /**
   * The pool for one request: with use_downstream_protocol_config allowing
   * HTTP/2, a request that came in over HTTP/2 goes upstream over HTTP/2 (its
   * own pool), any other over the cluster's usual one.
   */
  poolFor(downstreamHttp2: boolean): UpstreamPool {
    if (downstreamHttp2 && this.spec.downstreamHttp2 && !this.spec.http2) return (this.#h2Pool ??= this.#undiciPool(true));
    return this.pool;
  }

  #undiciPool(http2: boolean): UpstreamPool {
    const spec = this.spec;
    const tls = spec.tls;
    const origin = `${tls ? 'https' : 'http'}://${this.key}`;
    const connect: Record<string, unknown> = { timeout: spec.connectTimeoutMs, noDelay: true, ...this.tlsOptions() };
    const pool = new Pool(origin, {
      connections: spec.maxConnections,
      pipelining: http2 ? 100 : 1,
      connect,
      // Route timeouts are the proxy's job; undici's own timers would only cost.
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: Math.min(4_000, spec.idleTimeoutMs),
      keepAliveMaxTimeout: spec.idleTimeoutMs,
      maxRequestsPerClient: spec.maxRequestsPerConnection || undefined,
      allowH2: http2,
      useH2c: http2 && !tls,
      strictContentLength: false,
      // undici takes the source address as a client option; one in `connect` would be overwritten.
      ...(spec.sourceAddress !== undefined ? { localAddress: spec.sourceAddress } : {}),
    } as Pool.Options);
    pool.on('connect', () => this.stats.cxTotal++);
    // undici's dispatch handler contract is the one H1Pool implements.
    return pool as unknown as UpstreamPool;
  }

  /** The cluster's upstream TLS settings as tls.connect options (undefined: plaintext). Also used for upgraded (WebSocket) connections. */
  tlsOptions(): ConnectionOptions | undefined {
    const tls = this.spec.tls;
    if (!tls) return undefined;
    const ca = tls.ca ?? (tls.caSecret ? this.secrets?.secret(tls.caSecret)?.ca : undefined);
    const certSecret = tls.certSecret ? this.secrets?.secret(tls.certSecret) : undefined;
    const connect: ConnectionOptions = {
      servername: tls.sni ?? this.hostname ?? (isIp(this.address) ? undefined : this.address),
      ca,
      cert: tls.cert ?? certSecret?.cert,
      key: tls.key ?? certSecret?.key,
      rejectUnauthorized: !tls.insecureSkipVerify,
      ALPNProtocols: tls.alpn.length ? tls.alpn : undefined,
    };
    if (tls.subjectAltNames.length > 0 && !tls.insecureSkipVerify) {
      const wanted = tls.subjectAltNames;
      connect.checkServerIdentity = (_host: string, cert: PeerCertificate) => {
        const names = (cert.subjectaltname ?? '').split(', ').map((n) => n.slice(n.indexOf(':') + 1));
        return wanted.some((w) => names.includes(w)) ? undefined : new Error(`upstream certificate SANs [${names.join(', ')}] match none of ${wanted.join(', ')}`);
      };
    }
    return connect;
  }

  /** Stops new requests; in-flight ones finish, then connections close. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const pool of [this.#pool, this.#h2Pool]) if (pool && !pool.closed && !pool.destroyed) await pool.close().catch(() => {});
  }

  async destroy(): Promise<void> {
    this.#closed = true;
    for (const pool of [this.#pool, this.#h2Pool]) if (pool && !pool.destroyed) await pool.destroy().catch(() => {});
  }
}

export function hostKey(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
