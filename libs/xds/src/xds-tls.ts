// ADS over mutual TLS (Istio's secure xDS port): both sides present a
// workload certificate from citadel and verify the other against the trust
// bundle. Certificates and roots change at runtime (renewal, root rotation),
// so they are fed through grpc-js's CertificateProvider: the server swaps its
// secure context without touching open connections, and a client's next
// connection uses the newest certificate. Then, because a valid certificate
// only proves *some* workload, the first request of each stream must claim the
// same namespace and service account the certificate names (Istio's check).
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { expectSpiffeId, parseSpiffeId, peerSpiffeId } from '@mesh/pki';
import type { XdsNode } from './ads-protocol.ts';

type Provider = grpc.experimental.CertificateProvider;
type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

/**
 * The certificate, key and trusted roots one side of an xDS connection uses,
 * replaceable at any time. Until both are set the side refuses to handshake
 * (a server drops connections, a client waits): it never falls back to plaintext.
 */
export class XdsTlsCertificates implements Provider {
  #roots: Buffer | null = null;
  #identity: { certificate: Buffer; privateKey: Buffer } | null = null;
  readonly #caListeners = new Set<CaListener>();
  readonly #identityListeners = new Set<IdentityListener>();

  /** PEM roots that verify the peer. An empty list withdraws trust: new handshakes fail until roots return. */
  setRoots(roots: readonly string[]): void {
    const text = roots.map((r) => r.trim() + '\n').join('');
    this.#roots = text ? Buffer.from(text) : null;
    const update = this.#roots ? { caCertificate: this.#roots } : null;
    for (const l of this.#caListeners) l(update);
  }

  /** The certificate chain this side presents (leaf first) and its key, both PEM. */
  setIdentity(chain: readonly string[] | string, keyPem: string): void {
    const pem = typeof chain === 'string' ? chain : chain.map((c) => c.trim() + '\n').join('');
    this.#identity = { certificate: Buffer.from(pem), privateKey: Buffer.from(keyPem) };
    for (const l of this.#identityListeners) l(this.#identity);
  }

  /** Both a certificate and roots are set. */
  get ready(): boolean {
    return this.#roots !== null && this.#identity !== null;
  }

  // The current value is delivered on a later tick: grpc-js registers its own
  // watcher only after adding the listener, and would miss a synchronous call.
  addCaCertificateListener(listener: CaListener): void {
    this.#caListeners.add(listener);
    queueMicrotask(() => {
      if (this.#roots && this.#caListeners.has(listener)) listener({ caCertificate: this.#roots });
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.#caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.add(listener);
    queueMicrotask(() => {
      if (this.#identity && this.#identityListeners.has(listener)) listener(this.#identity);
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.delete(listener);
  }
}

/** Server credentials that require a client certificate verified against the roots. */
export function adsServerCredentials(certs: XdsTlsCertificates): grpc.ServerCredentials {
  // The same object is both providers, so argument order cannot mix them up.
  return grpc.experimental.createCertificateProviderServerCredentials(certs, certs, true);
}

export interface AdsClientTlsOptions {
  /** SPIFFE ids the control plane's certificate may carry (hostname checking is replaced, as Istio's agent does). */
  serverIds: readonly string[];
  /**
   * The TLS server name sent (SNI). The address is usually an IP, which SNI
   * cannot carry; the name is not what is verified (the SPIFFE id is).
   */
  serverName?: string;
}

/** Channel credentials for a proxy: its workload certificate as the client certificate; the server verified by SPIFFE id. */
export function adsClientCredentials(certs: XdsTlsCertificates, options: AdsClientTlsOptions): { credentials: grpc.ChannelCredentials; channelOptions: grpc.ChannelOptions } {
  if (options.serverIds.length === 0) throw new Error('secure xDS needs at least one expected control-plane SPIFFE id');
  const credentials = grpc.experimental.createCertificateProviderChannelCredentials(certs, certs, { checkServerIdentity: expectSpiffeId([...options.serverIds]) });
  return { credentials, channelOptions: options.serverName ? { 'grpc.ssl_target_name_override': options.serverName } : {} };
}

/** What the server knows of a stream's client from the transport. */
export interface StreamPeer {
  address: string;
  /** The verified client certificate (secure listeners only). */
  certificate?: PeerCertificate;
  /** Its single SPIFFE URI SAN, if it has exactly one. */
  spiffeId?: string;
}

/** Why a stream was refused: `reason` is a short metric label, `message` says what to fix. */
export interface StreamRefusal {
  reason: 'no_certificate' | 'no_identity' | 'trust_domain' | 'namespace' | 'service_account';
  message: string;
}

/** Decides on a stream's first request; undefined admits it. */
export type StreamAuthorizer = (node: XdsNode, peer: StreamPeer) => StreamRefusal | undefined;

/** Every namespace the node claims, where pilot may read one: metadata NAMESPACE and both parts of an Istio node id. */
export function claimedNamespaces(node: XdsNode): string[] {
  const out = new Set<string>();
  const meta = node.metadata ?? {};
  if (typeof meta.NAMESPACE === 'string' && meta.NAMESPACE) out.add(meta.NAMESPACE);
  const parts = node.id.split('~');
  if (parts.length === 4) {
    const dot = parts[2].lastIndexOf('.');
    if (dot >= 0 && dot < parts[2].length - 1) out.add(parts[2].slice(dot + 1));
    const domainNs = parts[3].split('.')[0];
    if (domainNs) out.add(domainNs);
  }
  return [...out];
}

/**
 * Istio's connection identity check: the client certificate's SPIFFE id must be
 * in one of `trustDomains`, every namespace the node claims must be the
 * certificate's, and a claimed SERVICE_ACCOUNT must be the certificate's.
 */
export function istioIdentityAuthorizer(options: { trustDomains: () => readonly string[] }): StreamAuthorizer {
  return (node, peer) => {
    if (!peer.certificate) return { reason: 'no_certificate', message: 'the connection presented no verified client certificate' };
    if (!peer.spiffeId) return { reason: 'no_identity', message: 'the client certificate does not carry exactly one SPIFFE id' };
    const parsed = parseSpiffeId(peer.spiffeId);
    if (!parsed.ok) return { reason: 'no_identity', message: `the client certificate's identity is not a workload identity: ${parsed.error}` };
    const id = parsed.id;
    const domains = options.trustDomains();
    if (!domains.includes(id.trustDomain)) {
      return { reason: 'trust_domain', message: `the client certificate ${peer.spiffeId} is of trust domain ${id.trustDomain}, not ${domains.join(' or ')}` };
    }
    const namespaces = claimedNamespaces(node);
    if (namespaces.length === 0) return { reason: 'namespace', message: `node ${node.id} claims no namespace (metadata NAMESPACE or an Istio node id)` };
    const other = namespaces.find((ns) => ns !== id.namespace);
    if (other !== undefined) {
      return { reason: 'namespace', message: `node ${node.id} claims namespace ${other} but its certificate ${peer.spiffeId} is of namespace ${id.namespace}` };
    }
    const sa = node.metadata?.SERVICE_ACCOUNT;
    if (typeof sa === 'string' && sa && sa !== id.serviceAccount) {
      return { reason: 'service_account', message: `node ${node.id} claims service account ${sa} but its certificate ${peer.spiffeId} is of service account ${id.serviceAccount}` };
    }
    return undefined;
  };
}

/** The verified client certificate of a server call, if the transport has one. */
export function streamPeer(call: { getPeer(): string; getAuthContext?(): { sslPeerCertificate?: PeerCertificate } | null }): StreamPeer {
  const certificate = call.getAuthContext?.()?.sslPeerCertificate ?? undefined;
  return { address: call.getPeer(), certificate, spiffeId: certificate ? peerSpiffeId(certificate) : undefined };
}
