// What a downstream connection carries besides its bytes: whether it is TLS
// and, for mutual TLS, who the verified peer is. Set by the listener when it
// terminates TLS (listener/downstream-tls.ts) on the socket it hands to the
// chain's HTTP connection manager or tcp_proxy, so HTTP exchanges
// (`req.socket`) and TCP proxies read it the same way: `connectionInfo(socket)`.
// The peer's principal (Istio's `source.principal`, RBAC's authenticated
// principal_name, XFCC's URI=) is the URI SAN of its verified certificate.
import type { Socket } from 'node:net';

export interface DownstreamConnectionInfo {
  /** The connection was TLS (terminated by this proxy). */
  readonly tls: true;
  /** The verified peer's first URI SAN (a SPIFFE id in the mesh); undefined without a verified client certificate. */
  readonly peerPrincipal: string | undefined;
  /** Every URI SAN of the verified peer certificate. */
  readonly peerUriSans: readonly string[];
  readonly peerDnsSans: readonly string[];
  /** The peer certificate's subject, RFC 2253 (as Envoy prints it); '' without one. */
  readonly peerSubject: string;
  /** The peer certificate (DER) and its chain as the peer sent it (DER, leaf first); undefined without one. */
  readonly peerCertificateDer: Buffer | undefined;
  readonly peerChainDer: readonly Buffer[];
  /** The URI SANs of the certificate this proxy presented (XFCC's By=). */
  readonly localUriSans: readonly string[];
  readonly sni: string;
  /** The negotiated ALPN protocol, '' when none. */
  readonly alpn: string;
  readonly tlsVersion: string;
}

const kInfo = Symbol('downstreamConnectionInfo');
type WithInfo = Socket & { [kInfo]?: DownstreamConnectionInfo };

export function setConnectionInfo(socket: Socket, info: DownstreamConnectionInfo): void {
  (socket as WithInfo)[kInfo] = info;
  // Also as a plain property of the socket, where http/rbac.ts looks for it.
  if (info.peerPrincipal !== undefined) (socket as Socket & { peerPrincipal?: string }).peerPrincipal = info.peerPrincipal;
}

/** The TLS facts of a downstream connection; undefined for plaintext. */
export function connectionInfo(socket: Socket | null | undefined): DownstreamConnectionInfo | undefined {
  return socket ? (socket as WithInfo)[kInfo] : undefined;
}
