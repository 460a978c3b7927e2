// SPIFFE identity checks for TLS connections between workloads: each side
// accepts the other's certificate only when it carries the SPIFFE id it expects.
import type { PeerCertificate } from 'node:tls';
import { spiffeIdsOf } from './certificate.ts';

/** The single SPIFFE id of a TLS peer, or undefined when it has none or several. */
export function peerSpiffeId(peer: PeerCertificate | undefined | null): string | undefined {
  if (!peer?.raw) return undefined;
  const ids = spiffeIdsOf(peer.raw);
  return ids.length === 1 ? ids[0] : undefined;
}

/**
 * A `checkServerIdentity` for tls.connect that replaces hostname checking
 * with SPIFFE id checking, as Istio's sidecars do.
 */
export function expectSpiffeId(allowed: string | string[]): (host: string, cert: PeerCertificate) => Error | undefined {
  const set = new Set(Array.isArray(allowed) ? allowed : [allowed]);
  return (_host, cert) => {
    const id = peerSpiffeId(cert);
    if (id && set.has(id)) return undefined;
    return new Error(`peer identity ${id ?? '(no single SPIFFE id)'} is not the expected ${[...set].join(' or ')}`);
  };
}
