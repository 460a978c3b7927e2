// A filter chain's DownstreamTlsContext at run time: after the chain is
// picked (tls_inspector has read the SNI and ALPN), the connection is handed
// to a node:tls server object that never listens itself (the same hand-over
// the HTTP codec uses: unshift the inspected bytes, emit 'connection'), so
// Node's own server-side verification applies (requestCert /
// rejectUnauthorized, `authorized`, `authorizationError`). The verified
// peer's certificate becomes the connection's DownstreamConnectionInfo.
//
// - Secrets are looked up per connection (TlsContexts): a rotation gives new
//   connections the new certificate, open ones keep theirs; a secret not there
//   yet refuses the connection (never plaintext).
// - ALPN: Envoy's server answers without ALPN when the client offers none of
//   its protocols (Istio's TCP clients offer only istio-peer-exchange/istio to
//   HTTP chains); Node would send a no_application_protocol alert, so the
//   server's list is offered only to a client whose ClientHello (as read by
//   tls_inspector) overlaps it.
// - The handshake is bounded (the chain's transport_socket_connect_timeout,
//   DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS by default).
import type { Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { Logger } from '@mesh/telemetry';
import type { DownstreamTlsSpec } from '../config/tls-config.ts';
import { parseSubjectAltName, sanMatches, type TlsContexts, type TlsMaterial } from '../upstream/tls-contexts.ts';
import { setConnectionInfo, type DownstreamConnectionInfo } from './connection-info.ts';
import { originalDestinationOf, setOriginalDestination } from './original-destination.ts';

/** Envoy's listener ssl.* counters (per listener stat prefix). */
export class DownstreamTlsStats {
  handshake = 0;
  connectionError = 0;
  failVerifyNoCert = 0;
  failVerifyError = 0;
  failVerifySan = 0;
  /** The chain's certificate or trust bundle (an SDS secret) has not arrived: refused. */
  secretMissing = 0;
  handshakeTimeout = 0;

  lines(prefix: string): string[] {
    return [
      `${prefix}ssl.handshake: ${this.handshake}`,
      `${prefix}ssl.connection_error: ${this.connectionError}`,
      `${prefix}ssl.fail_verify_no_cert: ${this.failVerifyNoCert}`,
      `${prefix}ssl.fail_verify_error: ${this.failVerifyError}`,
      `${prefix}ssl.fail_verify_san: ${this.failVerifySan}`,
      `${prefix}ssl.secret_missing: ${this.secretMissing}`,
      `${prefix}ssl.handshake_timeout: ${this.handshakeTimeout}`,
    ];
  }
}

export interface DownstreamTlsDeps {
  readonly contexts: TlsContexts;
  readonly log: Logger;
  readonly listenerName: string;
  readonly chainName: string;
  /** The listener's counters now (a config swap may change the stat prefix). */
  stats(): DownstreamTlsStats;
  /** Logs a missing secret once per listener and secret. */
  warnMissing(secret: string): void;
}

/** The TLS side of one filter chain: one server object per material version and ALPN offer. */
export class DownstreamTls {
  spec: DownstreamTlsSpec;
  readonly #deps: DownstreamTlsDeps;
  #version = '';
  #withAlpn: tls.Server | undefined;
  #withoutAlpn: tls.Server | undefined;
  /** Connections in their handshake, by 4-tuple: what to do with each once it is secure. */
  readonly #pending = new Map<string, (t: TLSSocket) => void>();

  constructor(spec: DownstreamTlsSpec, deps: DownstreamTlsDeps) {
    this.spec = spec;
    this.#deps = deps;
  }

  update(spec: DownstreamTlsSpec): void {
    if (spec === this.spec) return;
    this.spec = spec;
    this.#version = '';
    this.#withAlpn = this.#withoutAlpn = undefined;
  }

  /**
   * Terminates TLS on `socket` (its first bytes, read by the listener filters, in `bytes`) and calls
   * `secure` with the TLS socket once the handshake and the peer checks passed; otherwise the connection is closed and counted.
   * `clientAlpn`: the ALPN the ClientHello offered (tls_inspector), undefined when it was not read.
   */
  accept(socket: Socket, bytes: Buffer, clientAlpn: readonly string[] | undefined, secure: (tlsSocket: TLSSocket) => void): void {
    const material = this.#deps.contexts.resolve(this.spec);
    if (!material.ok) {
      if (material.why === 'secret_missing') {
        this.#deps.stats().secretMissing++;
        this.#deps.warnMissing(`${material.secret.source}/${material.secret.name}`);
      } else {
        this.#deps.stats().connectionError++;
        this.#deps.log.error('the filter chain TLS material is unusable; connection refused', { listener: this.#deps.listenerName, chain: this.#deps.chainName, reason: material.message });
      }
      socket.destroy();
      return;
    }
    const alpn = this.spec.alpn;
    const offer = alpn.length > 0 && (clientAlpn === undefined || alpn.some((p) => clientAlpn.includes(p)));
    const server = this.#server(material, offer);
    if (bytes.length > 0) socket.unshift(bytes);
    const destination = originalDestinationOf(socket);
    const key = tupleOf(socket);
    this.#pending.set(key, (t: TLSSocket) => {
      if (destination !== undefined) setOriginalDestination(t, destination);
      secure(t);
    });
    socket.once('close', () => this.#pending.delete(key));
    server.emit('connection', socket);
  }

  #server(material: TlsMaterial, offerAlpn: boolean): tls.Server {
    if (material.version !== this.#version) {
      this.#version = material.version;
      this.#withAlpn = this.#withoutAlpn = undefined;
    }
    if (offerAlpn) return (this.#withAlpn ??= this.#make(material, true));
    return (this.#withoutAlpn ??= this.#make(material, false));
  }

  #make(material: TlsMaterial, offerAlpn: boolean): tls.Server {
    const spec = this.spec;
    const deps = this.#deps;
    const server = tls.createServer({
      ...material.options,
      requestCert: spec.verify,
      // A required certificate that is missing fails the handshake itself (TLS 1.3's certificate_required alert);
      // an optional one that does not verify is refused below.
      rejectUnauthorized: spec.requireClientCertificate,
      handshakeTimeout: spec.handshakeTimeoutMs,
      ALPNProtocols: offerAlpn ? [...spec.alpn] : undefined,
      // Session tickets would let a client resume without presenting its certificate to a rotated context.
      sessionTimeout: 0,
    });
    server.on('secureConnection', (t: TLSSocket) => {
      const stats = deps.stats();
      const peer = t.getPeerX509Certificate();
      if (spec.verify && peer !== undefined && !t.authorized) {
        stats.failVerifyError++;
        deps.log.debug('client certificate does not verify; connection refused', { listener: deps.listenerName, chain: deps.chainName, reason: t.authorizationError });
        t.destroy();
        return;
      }
      if (spec.verify && peer === undefined && spec.requireClientCertificate) {
        stats.failVerifyNoCert++;
        t.destroy();
        return;
      }
      const sans = parseSubjectAltName(peer?.subjectAltName);
      if (peer !== undefined && !sanMatches(spec.sanMatchers, sans)) {
        stats.failVerifySan++;
        deps.log.debug('client certificate SANs match none of the chain matchers; connection refused', { listener: deps.listenerName, chain: deps.chainName });
        t.destroy();
        return;
      }
      if (peer === undefined && spec.sanMatchers.length > 0 && spec.verify) {
        stats.failVerifyNoCert++;
        t.destroy();
        return;
      }
      stats.handshake++;
      const chain: Buffer[] = [];
      if (peer !== undefined) {
        let c = t.getPeerCertificate(true);
        const seen = new Set<string>();
        while (c && c.raw && !seen.has(c.fingerprint256)) {
          seen.add(c.fingerprint256);
          chain.push(c.raw);
          c = c.issuerCertificate;
        }
      }
      const info: DownstreamConnectionInfo = {
        tls: true,
        peerPrincipal: sans.uri[0],
        peerUriSans: sans.uri,
        peerDnsSans: sans.dns,
        peerSubject: peer ? rfc2253(peer.subject) : '',
        peerCertificateDer: peer?.raw,
        peerChainDer: chain,
        localUriSans: material.localUris,
        sni: typeof t.servername === 'string' ? t.servername : '',
        alpn: typeof t.alpnProtocol === 'string' ? t.alpnProtocol : '',
        tlsVersion: t.getProtocol() ?? '',
      };
      setConnectionInfo(t, info);
      // The TLS socket shares the accepted socket's handle, so its 4-tuple names the pending hand-over.
      const key = tupleOf(t);
      const cb = this.#pending.get(key);
      this.#pending.delete(key);
      if (cb === undefined) {
        t.destroy();
        return;
      }
      cb(t);
    });
    server.on('tlsClientError', (err: Error & { code?: string }, t: TLSSocket) => {
      const stats = deps.stats();
      if (err.code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE') stats.failVerifyNoCert++;
      else if (t?.authorizationError) stats.failVerifyError++;
      else if (err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') {
        stats.handshakeTimeout++;
        stats.connectionError++;
      } else stats.connectionError++;
      deps.log.debug('downstream TLS handshake failed', { listener: deps.listenerName, chain: deps.chainName, code: err.code, reason: t?.authorizationError });
      // node:tls reports a handshake timeout without closing the connection: the bound is only a bound if we do.
      t?.destroy();
    });
    return server;
  }
}

function tupleOf(s: Socket): string {
  return `${s.remoteAddress}|${s.remotePort}|${s.localAddress}|${s.localPort}`;
}

/** Node prints a subject one RDN per line, most significant first; RFC 2253 (Envoy's XFCC Subject) is the reverse, comma-joined. */
export function rfc2253(subject: string): string {
  if (!subject) return '';
  return subject
    .split('\n')
    .filter((l) => l !== '')
    .reverse()
    .map((rdn) => {
      const eq = rdn.indexOf('=');
      if (eq < 0) return rdn;
      const value = rdn.slice(eq + 1).replace(/([,+"\\<>;])/g, '\\$1');
      return `${rdn.slice(0, eq)}=${value}`;
    })
    .join(',');
}
