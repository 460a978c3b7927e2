// One upstream endpoint of one cluster: its address, weight and health, the
// passive outlier-detection state, its transport socket (the cluster's, or
// the transport_socket_match its EDS metadata picks: one cluster may mix
// mTLS and plaintext endpoints) and its connection pool (made on first use;
// closed gracefully when the endpoint leaves the cluster, so requests already
// sent to it finish). TLS connections take their context's material when
// they are opened (tls-contexts.ts): a rotated client certificate is used by
// new connections, open ones are left alone; a missing secret fails the
// connection, never falls back to plaintext.
import net, { type Socket } from 'node:net';
import tls, { type PeerCertificate } from 'node:tls';
import { Pool } from 'undici';
import { H1Pool, type H1DispatchOptions, type H1Handler } from './h1-pool.ts';
import { getHeader } from '../config/header-mutation.ts';
import { healthyStatus, transportFor, type ClusterSpec, type EndpointSpec, type UpstreamTlsSpec } from '../config/cluster-config.ts';
import type { ClusterStats } from '../stats.ts';
import { parseSubjectAltName, sanMatches, type TlsContexts } from './tls-contexts.ts';

/** What the router needs from a connection pool: undici's Pool and the lean H1Pool both fit. */
export interface UpstreamPool {
  dispatch(opts: H1DispatchOptions, handler: H1Handler): boolean;
  close(): Promise<void>;
  destroy(): Promise<void>;
  readonly closed: boolean;
  readonly destroyed: boolean;
}

/** Envoy's cluster.<name>.ssl.* counters (upstream connections). */
export class UpstreamTlsStats {
  handshake = 0;
  connectionError = 0;
  failVerifyError = 0;
  failVerifySan = 0;
  /** The transport socket's certificate or trust bundle (an SDS secret) has not arrived: the connection was refused. */
  secretMissing = 0;
  /** Handshakes that resumed an earlier session (Envoy's ssl.session_reused). */
  sessionReused = 0;

  lines(cluster: string): string[] {
    const p = `cluster.${cluster}.ssl.`;
    return [
      `${p}handshake: ${this.handshake}`,
      `${p}session_reused: ${this.sessionReused}`,
      `${p}connection_error: ${this.connectionError}`,
      `${p}fail_verify_error: ${this.failVerifyError}`,
      `${p}fail_verify_san: ${this.failVerifySan}`,
      `${p}secret_missing: ${this.secretMissing}`,
    ];
  }
}

/** What a cluster's hosts need to originate TLS. */
export interface UpstreamTlsDeps {
  readonly contexts: TlsContexts;
  readonly stats: UpstreamTlsStats;
  /** Logs a missing secret (once per cluster and secret). */
  warnMissing(secret: string): void;
}

/** How an upstream connection opened by Host.connect() is ready: 'connect' (plaintext) or 'secureConnect' (TLS, peer verified). */
export interface HostConnection {
  readonly socket: Socket;
  readonly ready: 'connect' | 'secureConnect';
}

function codeError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * With auto_sni / auto_san_validation a host keeps one pool per request host name: a connection opened with
 * SNI a.com (or verified for a.com) never carries a request for b.com. At most this many names per host; a new
 * one beyond it closes the least recently used name's pools gracefully (requests in flight on them finish).
 */
export const MAX_AUTO_SNI_POOLS_PER_HOST = 64;

/** A request host name's pools (auto SNI): the HTTP/1.1 one and the HTTP/2 one, each made on first use. */
interface AutoSniPools {
  h1: UpstreamPool | undefined;
  h2: UpstreamPool | undefined;
}

/** The host name of an authority (`a.com:8443` → `a.com`, `[::1]:80` → `::1`), lower case; undefined when empty. */
export function authorityHost(authority: string | undefined): string | undefined {
  if (authority === undefined) return undefined;
  let h = authority.trim();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    h = end < 0 ? h.slice(1) : h.slice(1, end);
  } else {
    const colon = h.lastIndexOf(':');
    // More than one colon without brackets: a bare IPv6 address, no port.
    if (colon >= 0 && h.indexOf(':') === colon) h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h === '' ? undefined : h.toLowerCase();
}

/**
 * Whether a certificate is valid for a host name (auto_san_validation): a DNS SAN equal to it, or a wildcard
 * SAN whose `*` is the whole leftmost label and stands for exactly one label (RFC 6125 6.4.3: `*.a.com` matches
 * `b.a.com`, not `a.com` nor `c.b.a.com`); an IP address only by an equal IP SAN. Case-insensitive.
 */
export function certificateMatchesHost(host: string, sans: { readonly dns: readonly string[]; readonly ip: readonly string[] }): boolean {
  if (net.isIP(host)) return sans.ip.some((ip) => ip === host || (net.isIPv6(host) && net.isIPv6(ip) && expandV6(ip) === expandV6(host)));
  const name = host.toLowerCase();
  for (const raw of sans.dns) {
    const san = raw.toLowerCase().replace(/\.$/, '');
    if (san === name) return true;
    if (san.startsWith('*.') && san.indexOf('*', 1) < 0) {
      const dot = name.indexOf('.');
      if (dot > 0 && name.slice(dot + 1) === san.slice(2) && san.slice(2).includes('.')) return true;
    }
  }
  return false;
}

/** An IPv6 address in one canonical spelling (the URL parser's), so `::1` equals `0:0::1`. */
function expandV6(a: string): string {
  return new URL(`http://[${a}]/`).hostname;
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
  /** auto_sni / auto_san_validation: pools per request host name, least recently used first. */
  readonly #autoPools = new Map<string, AutoSniPools>();
  /**
   * The last TLS session the upstream gave this host's connections, for resumption (Envoy's upstream TLS keeps one
   * session per context): only for the same secret versions, SNI and ALPN. A resumed session skips the certificate
   * signatures of a full handshake; its peer was verified against this host's (immutable) TLS spec when it was made.
   */
  #tlsSession: { key: string; data: Buffer } | undefined;
  /** This endpoint's transport socket: undefined for plaintext. */
  readonly tls: UpstreamTlsSpec | undefined;
  /** The endpoint's envoy.transport_socket_match metadata (kept to rebuild the host on a cluster update). */
  readonly transportSocketMatch: Readonly<Record<string, unknown>> | undefined;

  private readonly spec: ClusterSpec;
  private readonly stats: ClusterStats;
  private readonly tlsDeps: UpstreamTlsDeps | undefined;

  constructor(endpoint: EndpointSpec, spec: ClusterSpec, stats: ClusterStats, tlsDeps: UpstreamTlsDeps | undefined) {
    this.spec = spec;
    this.stats = stats;
    this.tlsDeps = tlsDeps;
    this.transportSocketMatch = endpoint.transportSocketMatch;
    this.tls = transportFor(spec, endpoint.transportSocketMatch);
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
    if (!this.tls && !spec.http2) {
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
  poolFor(downstreamHttp2: boolean, autoHost?: string): UpstreamPool {
    if (autoHost !== undefined && this.tls !== undefined) return this.#autoPool(this.spec.http2 || (downstreamHttp2 && this.spec.downstreamHttp2), autoHost);
    if (downstreamHttp2 && this.spec.downstreamHttp2 && !this.spec.http2) return (this.#h2Pool ??= this.#undiciPool(true));
    return this.pool;
  }

  /**
   * The host name a request's upstream TLS connection is for under auto_sni / auto_san_validation: the
   * override header's value when the cluster names one and the request carries it, else its Host. Undefined
   * when neither option is on, the endpoint's transport is plaintext, or the request names no host: the
   * TLS context's own sni and SAN matchers apply.
   */
  autoTlsHost(headers: readonly string[]): string | undefined {
    const spec = this.spec;
    if (this.tls === undefined || !(spec.autoSni || spec.autoSanValidation)) return undefined;
    const h = headers as string[];
    const fromOverride = spec.autoSniHeader === undefined ? undefined : authorityHost(getHeader(h, spec.autoSniHeader));
    return fromOverride ?? authorityHost(getHeader(h, 'host') ?? getHeader(h, ':authority'));
  }

  #autoPool(http2: boolean, autoHost: string): UpstreamPool {
    const pools = this.#autoPools;
    let entry = pools.get(autoHost);
    if (entry !== undefined) {
      // Most recently used last.
      pools.delete(autoHost);
      pools.set(autoHost, entry);
    } else {
      if (pools.size >= MAX_AUTO_SNI_POOLS_PER_HOST) {
        const [oldest, old] = pools.entries().next().value!;
        pools.delete(oldest);
        for (const p of [old.h1, old.h2]) if (p && !p.closed && !p.destroyed) p.close().catch(() => {});
      }
      entry = { h1: undefined, h2: undefined };
      pools.set(autoHost, entry);
    }
    if (http2) return (entry.h2 ??= this.#undiciPool(true, autoHost));
    return (entry.h1 ??= this.#undiciPool(false, autoHost));
  }

  /** How many request host names have their own pools (auto_sni / auto_san_validation). */
  get autoSniPoolCount(): number {
    return this.#autoPools.size;
  }

  /**
   * An HTTP/2 pool whatever the cluster's protocol options say: gRPC side calls (an ext_authz
   * Check) need HTTP/2 even on a cluster whose ordinary requests go over HTTP/1.1.
   */
  http2Pool(): UpstreamPool {
    if (this.spec.http2) return this.pool;
    return (this.#h2Pool ??= this.#undiciPool(true));
  }

  #undiciPool(http2: boolean, autoHost?: string): UpstreamPool {
    const spec = this.spec;
    const secure = this.tls !== undefined;
    const origin = `${secure ? 'https' : 'http'}://${this.key}`;
    // TLS connections are opened by connect() (material looked up per connection); plaintext ones by undici.
    const connect = secure ? this.#connector(http2 ? 'h2' : 'http/1.1', autoHost) : { timeout: spec.connectTimeoutMs, noDelay: true };
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
      useH2c: http2 && !secure,
      strictContentLength: false,
      // undici takes the source address as a client option; one in `connect` would be overwritten.
      ...(spec.sourceAddress !== undefined ? { localAddress: spec.sourceAddress } : {}),
    } as Pool.Options);
    pool.on('connect', () => this.stats.cxTotal++);
    // undici's dispatch handler contract is the one H1Pool implements.
    const upstream = pool as unknown as UpstreamPool;
    if (secure) {
      // undici derives a servername from each request's Host and closes a TLS connection whose last request had
      // another one: our connector picks the SNI itself (the context's, or auto SNI's per pool), so every request
      // of a pool names the same one and connections are reused whatever Host they carry.
      const servername = autoHost ?? this.address;
      const dispatch = upstream.dispatch.bind(upstream);
      upstream.dispatch = (opts, handler) => dispatch({ ...opts, servername } as H1DispatchOptions, handler);
    }
    return upstream;
  }

  /** undici's connector for a TLS host: `protocol` is the pool's own ALPN protocol, offered after the configured ones. */
  #connector(protocol: string, autoHost: string | undefined) {
    return (opts: { localAddress?: string | null }, callback: (...args: [null, Socket] | [Error, null]) => void): void => {
      const { socket, ready } = this.connect({ protocol, localAddress: opts.localAddress ?? undefined, autoHost });
      let done = false;
      const finish = (err: Error | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.off(ready, onReady);
        socket.off('error', finish);
        if (err !== null) {
          socket.destroy();
          callback(err, null);
        } else callback(null, socket);
      };
      // A check made on 'secureConnect' (auto SAN validation without a validation context) may have destroyed it.
      const onReady = () => finish(socket.destroyed ? codeError(`upstream connection to ${this.key} failed verification`, 'ERR_TLS_SAN_MISMATCH') : null);
      const timer = setTimeout(() => finish(codeError(`connect timeout to ${this.key}`, 'UND_ERR_CONNECT_TIMEOUT')), this.spec.connectTimeoutMs);
      socket.once(ready, onReady);
      socket.once('error', finish);
    };
  }

  /**
   * Opens a connection to this host with its transport socket. TLS offers the configured ALPN
   * protocols plus `protocol` (the HTTP pool's own: 'http/1.1' or 'h2'; none for TCP), presents the
   * current client certificate and checks the peer against the trusted CAs and the SAN matchers.
   * A secret that has not arrived fails the socket (code ERR_TLS_SECRET_MISSING) on the next tick.
   * `autoHost` (from autoTlsHost()): the request's host name, the SNI under auto_sni and the name the
   * certificate must be valid for under auto_san_validation (instead of the context's SAN matchers).
   */
  connect(o: { protocol?: string; localAddress?: string; autoHost?: string } = {}): HostConnection {
    const localAddress = o.localAddress ?? this.spec.sourceAddress;
    const spec = this.tls;
    if (spec === undefined) {
      return { socket: net.connect({ host: this.address, port: this.port, noDelay: true, ...(localAddress !== undefined ? { localAddress } : {}) }), ready: 'connect' };
    }
    const deps = this.tlsDeps;
    const material = deps?.contexts.resolve(spec);
    if (material === undefined || !material.ok) {
      const refused = new net.Socket();
      let err: Error;
      if (material !== undefined && material.why === 'secret_missing') {
        deps!.stats.secretMissing++;
        deps!.warnMissing(`${material.secret.source}/${material.secret.name}`);
        err = codeError(`TLS secret ${material.secret.name} (${material.secret.source}) has not arrived`, 'ERR_TLS_SECRET_MISSING');
      } else {
        if (deps) deps.stats.connectionError++;
        err = codeError(`the upstream TLS context is unusable: ${material?.ok === false && material.why === 'invalid' ? material.message : 'no TLS contexts'}`, 'ERR_TLS_CONTEXT_INVALID');
      }
      process.nextTick(() => refused.destroy(err));
      return { socket: refused, ready: 'secureConnect' };
    }
    const stats = deps!.stats;
    const alpn = offeredAlpn(spec.alpn, o.protocol);
    const autoHost = o.autoHost;
    // An IP address cannot be an SNI (RFC 6066): such a request host leaves the configured one.
    const autoSni = this.spec.autoSni && autoHost !== undefined && !net.isIP(autoHost) ? autoHost : undefined;
    const autoSan = this.spec.autoSanValidation ? autoHost : undefined;
    const servername = autoSni ?? spec.sni ?? this.hostname ?? (net.isIP(this.address) ? undefined : this.address);
    const matchers = spec.sanMatchers;
    // The name checked is part of the key: a session verified for one host is never resumed for another.
    const sessionKey = `${material.version}|${servername ?? ''}|${autoSan ?? ''}|${alpn.join(',')}`;
    const sanMismatch = (cert: PeerCertificate) => {
      stats.failVerifySan++;
      return codeError(`upstream certificate SANs [${cert.subjectaltname ?? ''}] are not valid for ${autoSan}`, 'ERR_TLS_SAN_MISMATCH');
    };
    const session = this.#tlsSession?.key === sessionKey ? this.#tlsSession.data : undefined;
    const socket = tls.connect({
      host: this.address,
      port: this.port,
      ...(localAddress !== undefined ? { localAddress } : {}),
      secureContext: material.context,
      ...(servername !== undefined ? { servername } : {}),
      ...(session !== undefined ? { session } : {}),
      ALPNProtocols: alpn.length ? alpn : undefined,
      rejectUnauthorized: spec.verify,
      // Envoy checks the upstream certificate's SANs only against the configured matchers (no implicit host name check).
      checkServerIdentity: (_host: string, cert: PeerCertificate) => {
        if (autoSan !== undefined) return certificateMatchesHost(autoSan, parseSubjectAltName(cert.subjectaltname)) ? undefined : sanMismatch(cert);
        if (sanMatches(matchers, parseSubjectAltName(cert.subjectaltname))) return undefined;
        stats.failVerifySan++;
        return codeError(`upstream certificate SANs [${cert.subjectaltname ?? ''}] match none of the cluster's SAN matchers`, 'ERR_TLS_SAN_MISMATCH');
      },
    });
    socket.setNoDelay(true);
    if (autoSan !== undefined && !spec.verify) {
      // Without a validation context Node never calls checkServerIdentity (nor enforces it); the host name
      // check is still made, so auto SAN validation never passes a certificate for another name.
      socket.once('secureConnect', () => {
        const cert = socket.getPeerCertificate();
        if (!certificateMatchesHost(autoSan, parseSubjectAltName(cert?.subjectaltname))) socket.destroy(sanMismatch(cert));
      });
    }
    socket.once('secureConnect', () => {
      stats.handshake++;
      if (socket.isSessionReused()) stats.sessionReused++;
    });
    // Only a session of a connection whose peer passed verification is kept (a failed one errors before any ticket counts).
    socket.on('session', (data: Buffer) => {
      if (socket.authorized || !spec.verify) this.#tlsSession = { key: sessionKey, data };
    });
    socket.once('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_TLS_SAN_MISMATCH') return;
      if (socket.connecting) return; // TCP connect failure: counted as a connect failure, not TLS
      if (err.code !== undefined && /CERT|ISSUER|SIGNATURE|VERIFY/.test(err.code) && !err.code.startsWith('ERR_SSL_')) stats.failVerifyError++;
      else stats.connectionError++;
    });
    return { socket, ready: 'secureConnect' };
  }

  /** Whether this host's connections are TLS. */
  get secure(): boolean {
    return this.tls !== undefined;
  }

  /** Stops new requests; in-flight ones finish, then connections close. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const pool of this.#allPools()) if (!pool.closed && !pool.destroyed) await pool.close().catch(() => {});
  }

  async destroy(): Promise<void> {
    this.#closed = true;
    for (const pool of this.#allPools()) if (!pool.destroyed) await pool.destroy().catch(() => {});
  }

  #allPools(): UpstreamPool[] {
    const out: UpstreamPool[] = [];
    for (const p of [this.#pool, this.#h2Pool]) if (p) out.push(p);
    for (const e of this.#autoPools.values()) for (const p of [e.h1, e.h2]) if (p) out.push(p);
    return out;
  }
}

export function hostKey(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The ALPN list a new upstream TLS connection offers: the configured one plus the pool's own protocol. For Istio's
 * mesh mTLS (a configured list naming `istio`) an HTTP pool offers what Istio's `istio.alpn` filter sets instead -
 * `istio-http/1.1, istio, http/1.1` or `istio-h2, istio, h2` - which is how a server sidecar's inbound chains tell
 * mesh HTTP from mesh TCP on a port whose protocol is sniffed.
 */
export function offeredAlpn(configured: readonly string[], protocol: string | undefined): string[] {
  if (protocol === undefined) return [...configured];
  if (configured.includes('istio')) return [protocol === 'h2' ? 'istio-h2' : `istio-${protocol}`, 'istio', protocol];
  return configured.includes(protocol) ? [...configured] : [...configured, protocol];
}
