// x-forwarded-client-cert, as Envoy's HTTP connection manager treats it
// (forward_client_cert_details, set_current_client_cert_details):
// - ALWAYS_FORWARD_ONLY: the header goes upstream untouched, whatever the connection;
// - SANITIZE (the default), and any mode on a connection without a verified
//   client certificate (plaintext, or TLS without one): the header is removed,
//   so a client cannot claim an identity it did not prove;
// - FORWARD_ONLY: a mutual TLS connection's header goes upstream untouched;
// - APPEND_FORWARD / SANITIZE_SET: this hop's element is appended (after a
//   comma) or replaces the header: `By=<our URI SAN>;Hash=<sha256 of the peer
//   certificate DER, hex>` then, as configured, `Cert="<url-encoded PEM>"`,
//   `Chain="<url-encoded PEM chain>"`, `Subject="<RFC 2253 subject>"`,
//   `URI=<each peer URI SAN>`, `DNS=<each peer DNS SAN>`.
import { createHash, X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { ClientCertDetails, ForwardClientCertMode } from '../config/hcm-config.ts';
import { connectionInfo, type DownstreamConnectionInfo } from '../listener/connection-info.ts';

export const XFCC = 'x-forwarded-client-cert';

type Headers = Record<string, string | string[] | undefined>;

/** Applies the HCM's XFCC mode to a request's headers (before routing, as Envoy mutates them). */
export function applyXfcc(headers: Headers, mode: ForwardClientCertMode, details: ClientCertDetails, socket: Socket): void {
  if (mode === 'ALWAYS_FORWARD_ONLY') return;
  const info = connectionInfo(socket);
  if (mode === 'SANITIZE' || info?.peerCertificateDer === undefined) {
    if (headers[XFCC] !== undefined) delete headers[XFCC];
    return;
  }
  if (mode === 'FORWARD_ONLY') return;
  const element = xfccElement(info, details);
  if (mode === 'SANITIZE_SET') {
    headers[XFCC] = element;
    return;
  }
  const previous = headers[XFCC];
  const prior = Array.isArray(previous) ? previous.join(',') : previous;
  headers[XFCC] = prior ? `${prior},${element}` : element;
}

const elements = new WeakMap<DownstreamConnectionInfo, Map<string, string>>();

/** This hop's XFCC element for a mutual TLS connection (cached per connection and detail set). */
export function xfccElement(info: DownstreamConnectionInfo, details: ClientCertDetails): string {
  const key = `${+details.cert}${+details.chain}${+details.subject}${+details.uri}${+details.dns}`;
  let cache = elements.get(info);
  const cached = cache?.get(key);
  if (cached !== undefined) return cached;
  const parts: string[] = [];
  for (const uri of info.localUriSans) parts.push(`By=${uri}`);
  if (info.peerCertificateDer !== undefined) parts.push(`Hash=${createHash('sha256').update(info.peerCertificateDer).digest('hex')}`);
  if (details.cert && info.peerCertificateDer !== undefined) parts.push(`Cert="${urlEncode(pem(info.peerCertificateDer))}"`);
  if (details.chain && info.peerChainDer.length > 0) parts.push(`Chain="${urlEncode(info.peerChainDer.map(pem).join(''))}"`);
  if (details.subject) parts.push(`Subject="${info.peerSubject}"`);
  if (details.uri) for (const uri of info.peerUriSans) parts.push(`URI=${uri}`);
  if (details.dns) for (const dns of info.peerDnsSans) parts.push(`DNS=${dns}`);
  const element = parts.join(';');
  if (cache === undefined) elements.set(info, (cache = new Map()));
  cache.set(key, element);
  return element;
}

function pem(der: Buffer): string {
  return new X509Certificate(der).toString();
}

/** Percent-encodes everything but RFC 3986's unreserved characters (Envoy's URL encoding of PEM). */
function urlEncode(s: string): string {
  return s.replace(/[^A-Za-z0-9\-._~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
